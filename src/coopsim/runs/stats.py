"""Statistics over replicate runs: means with confidence intervals and effect sizes between modes.

With common random numbers (every mode run on the same seeds) two modes' runs pair up by seed,
so the mean difference and its interval come from the paired differences. The Vargha–Delaney
A12 (the probability that a run of one mode scores higher than a run of the other, ties
counting half) is the unpaired, distribution-free effect size that simulation studies report.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _stats

from coopsim.model import outputs

__all__ = [
    "a12",
    "a12_magnitude",
    "bounds",
    "comparison_table",
    "difference_bounds",
    "effects_table",
    "indicator_columns",
    "mean_ci",
]

LEVEL = 0.95


def mean_ci(
    values: Sequence[float],
    level: float = LEVEL,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> tuple[int, float, float, float, float]:
    """``(n, mean, sd, low, high)`` of the finite values: a Student-t interval for the mean
    (``scipy.stats.t.interval``), clipped to ``bounds``, the range the quantity can take (a
    count's interval does not go below 0, a share's not above 1; see ``bounds``).

    With fewer than two values the interval (and with none, the mean) is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    if sd == 0.0:  # scipy needs a positive scale; equal values give the point itself
        return n, mean, sd, mean, mean
    low, high = _stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n))
    bottom, top = bounds
    return n, mean, sd, float(np.clip(low, bottom, top)), float(np.clip(high, bottom, top))


def bounds(name: str, level: str | None = "run") -> tuple[float, float]:
    """The range an output can take (``low``, ``high`` in the outputs registry; unbounded for a
    name it does not know): its intervals are clipped to it."""
    output = (outputs.find(name, level) if level else None) or outputs.find(name)
    return (output.low, output.high) if output is not None else (-math.inf, math.inf)


def difference_bounds(name: str) -> tuple[float, float]:
    """The range of a difference of two values of an output: ``low − high`` to ``high − low``."""
    low, high = bounds(name)
    return low - high, high - low


def a12(x: Sequence[float], y: Sequence[float]) -> float:
    """Vargha–Delaney A12: P(X > Y) + P(X = Y) / 2 over finite values (NaN if one is empty).

    That is the Mann–Whitney U of ``x`` over the number of pairs (``scipy.stats.mannwhitneyu``;
    only U is used, so its p-value is the cheap asymptotic one).
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return math.nan
    u = _stats.mannwhitneyu(a, b, method="asymptotic").statistic
    return float(u / (a.size * b.size))


def a12_magnitude(value: float) -> str | None:
    """Vargha & Delaney (2000) thresholds: negligible, small, medium, large."""
    if not math.isfinite(value):
        return None
    distance = abs(value - 0.5)
    if distance < 0.06:
        return "negligible"
    if distance < 0.14:
        return "small"
    if distance < 0.21:
        return "medium"
    return "large"


def indicator_columns(summaries: pd.DataFrame) -> list[str]:
    """Numeric indicator columns of a summaries table (not the keys or context of a run)."""
    skip = outputs.names("run", role=("key", "context"))
    out = []
    for column in summaries.columns:
        if column in skip:
            continue
        values = pd.to_numeric(summaries[column], errors="coerce")
        if summaries[column].dtype == bool or values.notna().sum() == 0:
            continue
        if values.notna().sum() < summaries[column].notna().sum():
            continue  # text in the column
        out.append(column)
    return out


def comparison_table(
    summaries: pd.DataFrame, modes: Sequence[str], level: float = LEVEL
) -> pd.DataFrame:
    """One row per indicator and mode: n (the runs with a value), mean, sd and the confidence
    interval over seeds, clipped to the indicator's possible range."""
    rows = []
    for indicator in indicator_columns(summaries):
        for mode in modes:
            values = pd.to_numeric(summaries.loc[summaries["mode"] == mode, indicator])
            n, mean, sd, low, high = mean_ci(values.to_numpy(dtype=float), level, bounds(indicator))
            rows.append(
                {
                    "indicator": indicator,
                    "mode": mode,
                    "n": n,
                    "mean": mean,
                    "sd": sd,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    columns = ["indicator", "mode", "n", "mean", "sd", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def effects_table(
    summaries: pd.DataFrame, modes: Sequence[str], level: float = LEVEL
) -> pd.DataFrame:
    """Each indicator, each pair of modes (a, b): paired mean difference a − b with its
    interval over common seeds, and A12 (the chance a run under a beats one under b)."""
    rows = []
    for indicator in indicator_columns(summaries):
        wide = summaries.pivot_table(
            index="seed", columns="mode", values=indicator, aggfunc="first", dropna=False
        )
        for mode_a, mode_b in itertools.combinations(modes, 2):
            a = _column(wide, mode_a)
            b = _column(wide, mode_b)
            both = np.isfinite(a) & np.isfinite(b)
            n, diff, _, low, high = mean_ci(a[both] - b[both], level, difference_bounds(indicator))
            value = a12(a, b)
            rows.append(
                {
                    "indicator": indicator,
                    "mode_a": mode_a,
                    "mode_b": mode_b,
                    "n_pairs": n,
                    "mean_diff": diff,
                    "diff_ci_low": low,
                    "diff_ci_high": high,
                    "a12": value,
                    "a12_magnitude": a12_magnitude(value),
                }
            )
    columns = [
        "indicator",
        "mode_a",
        "mode_b",
        "n_pairs",
        "mean_diff",
        "diff_ci_low",
        "diff_ci_high",
        "a12",
        "a12_magnitude",
    ]
    return pd.DataFrame(rows, columns=columns)


def _column(wide: pd.DataFrame, mode: str) -> np.ndarray:
    if mode not in wide.columns:
        return np.full(len(wide), np.nan)
    return pd.to_numeric(wide[mode], errors="coerce").to_numpy(dtype=float)
