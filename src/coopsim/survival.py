"""Survival of partnerships under competing ends: cumulative incidence and median life.

A partnership ends in one of several ways (dissolved, completed) or is still active when the run
stops (censored). The share that has *dissolved* by an age is then a cumulative incidence, not
one minus a Kaplan–Meier survival: treating completion as censoring would overstate dissolution.
``cumulative_incidence`` is the Aalen–Johansen estimator of it (written here in a few lines of
numpy: scipy has no competing-risks estimator and lifelines is not a dependency); issue 16's
competing-risks figures can build on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["cumulative_incidence", "incidence_curve", "median_life"]


def _arrays(ages: Sequence[float], ends: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    time = np.asarray(ages, dtype=float)
    end = np.array(["" if e is None else str(e) for e in ends], dtype=object)
    if time.shape != end.shape:
        raise ValueError("ages and ends must have the same length")
    if np.any(~np.isfinite(time)) or np.any(time < 0):
        raise ValueError("ages must be finite and at least 0")
    return time, end


def incidence_curve(
    ages: Sequence[float], ends: Sequence[str | None], of: str
) -> tuple[np.ndarray, np.ndarray]:
    """The Aalen–Johansen cumulative incidence of end ``of`` at each distinct event age.

    ``ends`` holds each partnership's kind of end (``"dissolved"``, ``"completed"``, ...), empty
    or None when it was still going (censored at its age). Returns ``(times, incidence)``: the
    incidence is a step function, constant between ``times``. Ends at the same age as a
    censoring count first (a partnership censored at age a was at risk at a).
    """
    time, end = _arrays(ages, ends)
    if time.size == 0:
        return np.zeros(0), np.zeros(0)
    event = end != ""
    times = np.unique(time[event])
    at_risk = time.size - np.searchsorted(np.sort(time), times, side="left")
    incidence = np.zeros(times.size)
    survival, total = 1.0, 0.0
    for i, t in enumerate(times):
        here = event & (time == t)
        n = at_risk[i]
        total += survival * np.count_nonzero(here & (end == of)) / n
        survival *= 1.0 - np.count_nonzero(here) / n
        incidence[i] = total
    return times, incidence


def cumulative_incidence(
    ages: Sequence[float], ends: Sequence[str | None], of: str, at: float
) -> float:
    """The share of partnerships that ended by ``of`` by age ``at`` (Aalen–Johansen), with the
    other kinds of end competing and the unended censored; NaN when there are no partnerships,
    or when some were still going at the oldest age seen and it is below ``at`` (the estimate
    would be an extrapolation). Partnerships that all ended before ``at`` define it."""
    time, end = _arrays(ages, ends)
    if time.size == 0:
        return float("nan")
    if time.max() < at:
        oldest = time == time.max()
        if np.any(end[oldest] == ""):
            return float("nan")
    times, incidence = incidence_curve(ages, ends, of)
    k = np.searchsorted(times, at, side="right")
    return float(incidence[k - 1]) if k else 0.0


def median_life(ages: Sequence[float], ends: Sequence[str | None]) -> float:
    """The age by which half of the partnerships have ended in any way (Kaplan–Meier, the
    unended censored); NaN when fewer than half are seen to end."""
    times, incidence = incidence_curve(
        ages, ["ended" if e else "" for e in (str(x) if x else "" for x in ends)], "ended"
    )
    reached = np.nonzero(incidence >= 0.5 - 1e-12)[0]
    return float(times[reached[0]]) if reached.size else float("nan")
