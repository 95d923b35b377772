"""Paired effect sizes for pattern experiments run with common random numbers.

Every treatment and its control run on the same seeds (same population, shocks and noise), so
their results pair up by seed: the effect is the mean of the paired differences, with a Student-t
interval and a percentile-bootstrap interval. The Vargha–Delaney A12 (the chance that a run of the
treatment scores higher than a run of the control, ties counting half) is the distribution-free
effect size that simulation studies report (Vargha & Delaney 2000).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _stats

from coopsim.runs import stats as _runs
from coopsim.runs.stats import LEVEL, a12

__all__ = [
    "LEVEL",
    "PairedEffect",
    "a12",
    "a12_magnitude",
    "bootstrap_interval",
    "one_sided_p",
    "paired_effect",
    "t_interval",
]


def a12_magnitude(value: float) -> str:
    """Vargha & Delaney's labels for |A12 − ½|: negligible < .06 ≤ small < .14 ≤ medium < .21."""
    return _runs.a12_magnitude(value) or "n/a"


def t_interval(d: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    """Student-t interval for the mean of ``d`` (a point when all values are equal)."""
    _, _, _, low, high = _runs.mean_ci(_finite(d), level)
    return low, high


def bootstrap_interval(
    d: Sequence[float], level: float = LEVEL, resamples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile-bootstrap interval for the mean of ``d`` (``scipy.stats.bootstrap``; seeded:
    the same data, the same interval)."""
    x = _finite(d)
    if x.size < 2:
        return math.nan, math.nan
    result = _stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def one_sided_p(d: Sequence[float], direction: int) -> float:
    """Paired t-test p-value for H1: mean(d)·direction > 0.

    Computed directly (not with ``scipy.stats.ttest_1samp``) so that constant differences give
    0 or 1 instead of a warning: a deterministic effect is a certain one.
    """
    x = _finite(d) * direction
    if x.size < 2:
        return math.nan
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    if sd == 0.0:
        return 0.0 if mean > 0 else 1.0
    t = mean / (sd / math.sqrt(x.size))
    return float(_stats.t.sf(t, x.size - 1))


@dataclass(frozen=True)
class PairedEffect:
    """Effect of a treatment over its control, paired by seed (``diff`` = treatment − control)."""

    n: int
    treatment_mean: float
    control_mean: float
    diff: float
    sd: float
    ci_low: float
    ci_high: float
    boot_low: float
    boot_high: float
    p_one_sided: float  # paired t, in the expected direction
    a12: float
    a12_magnitude: str
    share_expected: float  # share of seeds whose difference has the expected sign
    direction: int  # +1: treatment expected higher; −1: lower
    verdict: str  # "as expected", "reversed" or "no clear effect" (95% interval vs 0)

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def paired_effect(
    treatment: Sequence[float],
    control: Sequence[float],
    direction: int,
    level: float = LEVEL,
) -> PairedEffect:
    """The paired effect of ``treatment`` over ``control``; seeds where either is NaN drop out."""
    if direction not in (1, -1):
        raise ValueError("direction must be +1 or -1")
    t = np.asarray(treatment, dtype=float)
    c = np.asarray(control, dtype=float)
    if t.shape != c.shape:
        raise ValueError("treatment and control must pair up seed by seed")
    both = np.isfinite(t) & np.isfinite(c)
    t, c = t[both], c[both]
    d = t - c
    n = int(d.size)
    low, high = t_interval(d, level)
    boot_low, boot_high = bootstrap_interval(d, level)
    value = a12(t, c)
    if n >= 2 and low * direction > 0 and high * direction > 0:
        verdict = "as expected"
    elif n >= 2 and low * direction < 0 and high * direction < 0:
        verdict = "reversed"
    else:
        verdict = "no clear effect"
    return PairedEffect(
        n=n,
        treatment_mean=float(t.mean()) if n else math.nan,
        control_mean=float(c.mean()) if n else math.nan,
        diff=float(d.mean()) if n else math.nan,
        sd=float(d.std(ddof=1)) if n > 1 else math.nan,
        ci_low=low,
        ci_high=high,
        boot_low=boot_low,
        boot_high=boot_high,
        p_one_sided=one_sided_p(d, direction),
        a12=value,
        a12_magnitude=a12_magnitude(value),
        share_expected=float(np.mean(d * direction > 0)) if n else math.nan,
        direction=direction,
        verdict=verdict,
    )


def _finite(values: Sequence[float]) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]
