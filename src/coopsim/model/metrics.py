"""Run indicators: inequality, sustainability, Kaplan–Meier survival, shock depth and recovery."""

from __future__ import annotations

import numpy as np


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 when all are equal or all zero)."""
    x = np.sort(np.clip(np.asarray(values, dtype=float), 0.0, None))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * np.sum(ranks * x) / (n * total)) - (n + 1) / n)


def sustainability_index(participation: np.ndarray, cooperation: np.ndarray, window: int) -> float:
    """max(0, mean(s) − sd(s)) of s = participation × cooperation over the last ``window`` steps."""
    s = (np.asarray(participation) * np.asarray(cooperation))[-window:]
    if len(s) == 0:
        return 0.0
    return float(max(0.0, s.mean() - s.std()))


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan–Meier table; ``events`` is True for a dissolution, False for censored (completed
    or still active)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times = np.unique(d[e])
    at_risk = np.array([(d >= t).sum() for t in times], dtype=np.int64)
    died = np.array([((d == t) & e).sum() for t in times], dtype=np.int64)
    survival = np.cumprod(1.0 - died / np.maximum(at_risk, 1)) if len(times) else np.zeros(0)
    return {"time": times, "at_risk": at_risk, "events": died, "survival": survival}


def median_survival(table: dict[str, np.ndarray]) -> float | None:
    """First time the survival curve reaches 0.5 or below; None if it never does."""
    below = np.flatnonzero(table["survival"] <= 0.5)
    return float(table["time"][below[0]]) if len(below) else None


def shock_response(series: np.ndarray, shock_index: int, baseline: int, level: float):
    """(depth, recovery steps) of a series hit at ``shock_index``.

    The reference is the mean of the ``baseline`` steps before the shock. Recovery is the number
    of steps from the shock until the series is back at ``level`` × reference after first falling
    below it (0 if it never falls below; None if it never comes back). Depth is the largest
    relative fall below the reference from the shock until recovery (or the end of the run).
    """
    x = np.asarray(series, dtype=float)
    pre = x[max(0, shock_index - baseline) : shock_index]
    if len(pre) == 0 or pre.mean() <= 0 or shock_index >= len(x):
        return None, None
    ref = pre.mean()
    post = x[shock_index:]
    below = post < level * ref
    if not below.any():
        recovery: int | None = 0
        span = post[:1]
    else:
        first = int(np.argmax(below))
        back = np.flatnonzero(post[first:] >= level * ref)
        recovery = first + int(back[0]) if len(back) else None
        span = post[: recovery + 1] if recovery is not None else post
    depth = float(max(0.0, 1.0 - span.min() / ref))
    return depth, recovery
