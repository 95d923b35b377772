"""Joint production of public value: a CES function over pooled resource kinds.

Q = A · [Σ_k a_k x_k^ρ]^(ν/ρ). With ρ < 0 the kinds are complements (a partnership lacking any
kind produces nothing: the reason sectors partner at all); ρ → 0 is Cobb–Douglas; ρ = 1 makes them
perfect substitutes, the linear public good of the canonical games. ν is returns to scale.
"""

from __future__ import annotations

import numpy as np

from coopsim.model.arrays import narrow_max, narrow_sum

__all__ = ["ces", "linear_public_good"]

_RHO_EPS = 1e-9


def ces(
    inputs: np.ndarray,
    weights: np.ndarray,
    rho: float,
    nu: float = 1.0,
    scale: float = 1.0,
) -> np.ndarray:
    """CES output for each row of ``inputs`` (shape ``(..., kinds)``), never a warning.

    Zero inputs are handled exactly: with ρ ≤ 0 any zero input with positive weight gives zero
    output (complements); with ρ > 0 zeros simply contribute nothing. The power mean is taken in
    log space relative to the row's largest input, so no input however small or large overflows.
    """
    x = np.maximum(np.asarray(inputs, dtype=float), 0.0)
    a = np.asarray(weights, dtype=float)
    a = a / a.sum()
    used = a > 0
    # The common case, strictly positive inputs with every weight used, takes a shorter road that
    # agrees with the general one to within 1e-15 relative (not bit for bit).
    if abs(rho) >= _RHO_EPS and x.size and used.all() and x.min() > 0:
        log_x = np.log(x)
        log_top = narrow_max(log_x)
        terms = np.log(a) + rho * (log_x - log_top[..., None])
        peak = narrow_max(terms)
        lse = peak + np.log(narrow_sum(np.exp(terms - peak[..., None])))
        # np.clip without its cost; it may differ in the sign of a zero, which adding log_top
        # (never -0.0) and exp() erase
        power_mean = np.minimum(np.maximum(lse / rho, -745.0), 0.0)
        return scale * np.exp(nu * (log_top + power_mean))
    present = (x > 0) & used
    top = narrow_max(np.where(used, x, 0.0))
    safe_top = np.where(top > 0, top, 1.0)
    log_ratio = np.where(
        present, np.log(np.where(present, x, 1.0)) - np.log(safe_top)[..., None], 0
    )
    if abs(rho) < _RHO_EPS:  # Cobb–Douglas limit
        rel = np.exp(narrow_sum(np.where(used, a, 0.0) * log_ratio))
    else:
        terms = np.where(present, np.log(np.where(used, a, 1.0)) + rho * log_ratio, -np.inf)
        peak = narrow_max(terms)
        safe_peak = np.where(np.isfinite(peak), peak, 0.0)
        total = narrow_sum(np.exp(terms - safe_peak[..., None]))
        lse = safe_peak + np.log(np.where(total > 0, total, 1.0))
        rel = np.exp(np.clip(lse / rho, -745.0, 0.0))  # a power mean never exceeds the maximum
    missing = np.any(used & ~present, axis=-1) if rho <= _RHO_EPS else np.zeros(top.shape, bool)
    core = np.where((top > 0) & ~missing, top * rel, 0.0)
    return scale * core**nu


def linear_public_good(contributions: np.ndarray, multiplier: float) -> np.ndarray:
    """The canonical public good: the pot r·Σc (CES with ρ = 1, ν = 1 and one resource kind)."""
    c = np.asarray(contributions, dtype=float)
    return ces(c[..., None], np.ones(1), rho=1.0, nu=1.0, scale=multiplier)
