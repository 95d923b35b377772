"""Run indicators: inequality, sustainability, Kaplan–Meier survival, shock depth and recovery."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
from scipy import stats


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
    """max(0, mean(s) − sd(s)) of s = participation × cooperation over the last ``window`` steps.

    A step without a cooperation rate (nothing committed: no partnership) has s = 0: nobody
    cooperated in it.
    """
    rate = np.nan_to_num(np.asarray(cooperation, dtype=float), nan=0.0)
    s = (np.asarray(participation) * rate)[-window:]
    if len(s) == 0:
        return 0.0
    return float(max(0.0, s.mean() - s.std()))


def kaplan_meier(
    durations: np.ndarray, events: np.ndarray, level: float | None = None
) -> dict[str, np.ndarray]:
    """Kaplan–Meier table at each event time: ``time``, ``at_risk``, ``events``, ``survival``.

    ``events`` is True for a dissolution, False for censored (completed or still active). The
    curve is ``scipy.stats.ecdf`` on right-censored data; the counts are bookkeeping. With
    ``level``, also ``low`` and ``high``: the exponential-Greenwood (log(−log)) limits, which
    collapse onto the curve where they are undefined (survival 0 after the last one at risk ends).
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times, died = np.unique(d[e], return_counts=True)
    table = {
        "time": times,
        "at_risk": (len(d) - np.searchsorted(np.sort(d), times, side="left")).astype(np.int64),
        "events": died.astype(np.int64),
        "survival": np.zeros(0),
    }
    if level is not None:
        table["low"] = table["high"] = np.zeros(0)
    if not len(times):
        return table
    sf = stats.ecdf(stats.CensoredData.right_censored(d, ~e)).sf
    at = np.searchsorted(sf.quantiles, times)  # scipy's rows include censoring-only times
    table["survival"] = sf.probabilities[at]
    if level is not None:
        with warnings.catch_warnings():  # undefined limits are NaN, and handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            limits = sf.confidence_interval(level, method="log-log")
        for name, bound in (("low", limits.low), ("high", limits.high)):
            values = bound.probabilities[at]
            table[name] = np.where(np.isnan(values), table["survival"], values)
    return table


def median_survival(table: Mapping[str, np.ndarray]) -> float | None:
    """First event time at which survival is at or below one half; None if it never is.

    Decided in exact fractions from the table's counts (scipy has no Kaplan–Meier quantile, and
    a float product can land a hair either side of an exact one half).
    """
    alive = Fraction(1)
    for time, at_risk, died in zip(table["time"], table["at_risk"], table["events"], strict=True):
        alive *= Fraction(int(at_risk) - int(died), int(at_risk))
        if alive <= Fraction(1, 2):
            return float(time)
    return None


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
