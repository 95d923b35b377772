"""Joint production of public value: a CES function over pooled resource kinds.

Q = A · [Σ_k a_k x_k^ρ]^(ν/ρ). With ρ < 0 the kinds are complements (a partnership lacking any
kind produces nothing: the reason sectors partner at all); ρ → 0 is Cobb–Douglas; ρ = 1 makes them
perfect substitutes, the linear public good of the canonical games. ν is returns to scale.
"""

from __future__ import annotations

import numpy as np

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
    output (complements); with ρ > 0 zeros simply contribute nothing.
    """
    x = np.maximum(np.asarray(inputs, dtype=float), 0.0)
    a = np.asarray(weights, dtype=float)
    a = a / a.sum()
    used = a > 0
    if abs(rho) < _RHO_EPS:  # Cobb–Douglas limit
        has_zero = np.any((x <= 0) & used, axis=-1)
        logs = np.where(used, np.log(np.where(x > 0, x, 1.0)), 0.0)
        core = np.exp(np.sum(a * logs, axis=-1))
        core = np.where(has_zero, 0.0, core)
    elif rho < 0:
        has_zero = np.any((x <= 0) & used, axis=-1)
        safe = np.where(x > 0, x, 1.0)
        inner = np.sum(np.where(used, a * safe**rho, 0.0), axis=-1)
        core = np.where(has_zero, 0.0, inner ** (1.0 / rho))
    else:
        inner = np.sum(a * x**rho, axis=-1)
        core = inner ** (1.0 / rho)
    return scale * core**nu


def linear_public_good(contributions: np.ndarray, multiplier: float) -> np.ndarray:
    """The canonical public good: the pot r·Σc (CES with ρ = 1, ν = 1 and one resource kind)."""
    c = np.asarray(contributions, dtype=float)
    return ces(c[..., None], np.ones(1), rho=1.0, nu=1.0, scale=multiplier)
