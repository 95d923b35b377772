"""Survival of partnerships under competing ends: cumulative incidence and restricted means.

A partnership ends in one of several ways (dissolved, completed) or is still active when the run
stops (censored). The share that has *dissolved* by an age is then a cumulative incidence, not
one minus a Kaplan–Meier survival: treating completion as censoring would overstate dissolution.
``aalen_johansen`` is the discrete-time Aalen–Johansen estimator: ends in the same month share
the survival just before it (S(t−)). Written here in numpy because scipy has no competing-risks
estimator and lifelines' ``AalenJohansenFitter`` breaks tied ages apart with random jitter (and
warns), while monthly ages tie exactly; the tests check it against lifelines on untied ages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ENDS = ("completed", "dissolved")  # how a partnership can end: competing risks

__all__ = [
    "ENDS",
    "aalen_johansen",
    "cumulative_incidence",
    "followed_until",
    "incidence_curve",
    "median_life",
    "restricted_means",
]


def _arrays(ages: Sequence[float], ends: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    time = np.asarray(ages, dtype=float)
    end = np.array(["" if e is None else str(e) for e in ends], dtype=object)
    if time.shape != end.shape:
        raise ValueError("ages and ends must have the same length")
    if np.any(~np.isfinite(time)) or np.any(time < 0):
        raise ValueError("ages must be finite and at least 0")
    return time, end


def aalen_johansen(
    ages: Sequence[float], ends: Sequence[str | None], kinds: Sequence[str]
) -> dict[str, np.ndarray]:
    """Cumulative incidence of each kind of end, one row per distinct age at which any ended.

    ``ends`` holds each partnership's kind of end, empty or None while it was still going
    (censored at its age). Columns: ``age``; ``at_risk`` (partnerships of that age or older:
    one censored at an age was at risk at it); one count column per kind; ``survival``, the
    Kaplan–Meier share not yet ended in any way; ``incidence_<kind>``, the Aalen–Johansen share
    ended that way by the age. Every column is a step function, constant between rows; the
    incidences of all kinds present plus the survival sum to 1 at each age.
    """
    time, end = _arrays(ages, ends)
    event = end != ""
    times = np.unique(time[event])
    at_risk = time.size - np.searchsorted(np.sort(time), times, side="left")
    row = np.searchsorted(times, time[event])
    ended = np.bincount(row, minlength=times.size)
    survival = np.cumprod(1.0 - ended / at_risk)
    before = np.concatenate([[1.0], survival])[: times.size]  # S(t−), shared by all ends at t
    table: dict[str, np.ndarray] = {"age": times, "at_risk": at_risk.astype(np.int64)}
    for kind in kinds:
        table[kind] = np.bincount(row[end[event] == kind], minlength=times.size).astype(np.int64)
    table["survival"] = survival
    for kind in kinds:
        table[f"incidence_{kind}"] = np.cumsum(before * table[kind] / at_risk)
    return table


def incidence_curve(
    ages: Sequence[float], ends: Sequence[str | None], of: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(times, incidence)``: the Aalen–Johansen cumulative incidence of end ``of`` at each
    distinct age at which a partnership ended (in any way); a step function between ``times``."""
    table = aalen_johansen(ages, ends, (of,))
    return table["age"], table[f"incidence_{of}"]


def followed_until(ages: Sequence[float], ends: Sequence[str | None]) -> float:
    """The oldest age to which the estimates are defined: the largest age seen, or infinity
    when every partnership of that age ended (nothing is left at risk, so the curves stay flat
    beyond it); NaN without partnerships."""
    time, end = _arrays(ages, ends)
    if time.size == 0:
        return float("nan")
    oldest = time == time.max()
    return float(time.max()) if np.any(end[oldest] == "") else float("inf")


def cumulative_incidence(
    ages: Sequence[float], ends: Sequence[str | None], of: str, at: float
) -> float:
    """The share of partnerships that ended by ``of`` by age ``at`` (Aalen–Johansen), with the
    other kinds of end competing and the unended censored; NaN when there are no partnerships
    or ``at`` is past ``followed_until`` (the estimate would be an extrapolation)."""
    if not at <= followed_until(ages, ends):  # NaN (no partnerships) fails too
        return float("nan")
    times, incidence = incidence_curve(ages, ends, of)
    k = np.searchsorted(times, at, side="right")
    return float(incidence[k - 1]) if k else 0.0


def _area(times: np.ndarray, values: np.ndarray, start: float, horizon: float) -> float:
    """∫₀^horizon of the step function that is ``start`` before ``times[0]`` and ``values[i]``
    from ``times[i]`` on."""
    inside = times < horizon
    edges = np.concatenate([[0.0], times[inside], [horizon]])
    heights = np.concatenate([[start], values[inside]])
    return float(np.sum(np.diff(edges) * heights))


def restricted_means(
    ages: Sequence[float], ends: Sequence[str | None], kinds: Sequence[str], horizon: float
) -> dict[str, float] | None:
    """Restricted means over the first τ months of partnership life; None without partnerships.

    τ (``horizon`` in the result) is ``horizon`` or, where the partnerships were not followed
    that long, ``followed_until``: past it the curves are unknown. ``life`` is the restricted
    mean life ∫₀^τ S(t) dt (S: not yet ended in any way) and ``lost_<kind>`` the restricted mean
    time lost to that kind of end, ∫₀^τ F_kind(t) dt; over all kinds present they sum to τ.
    """
    reach = followed_until(ages, ends)
    if np.isnan(reach):
        return None
    tau = float(min(horizon, reach))
    table = aalen_johansen(ages, ends, kinds)
    out = {"horizon": tau, "life": _area(table["age"], table["survival"], 1.0, tau)}
    for kind in kinds:
        out[f"lost_{kind}"] = _area(table["age"], table[f"incidence_{kind}"], 0.0, tau)
    return out


def median_life(ages: Sequence[float], ends: Sequence[str | None]) -> float:
    """The age by which half of the partnerships have ended in any way (Kaplan–Meier, the
    unended censored); NaN when fewer than half are seen to end."""
    times, incidence = incidence_curve(ages, ["ended" if e else "" for e in ends], "ended")
    reached = np.nonzero(incidence >= 0.5 - 1e-12)[0]
    return float(times[reached[0]]) if reached.size else float("nan")
