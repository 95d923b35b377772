"""Attributing a difference between two rule sets to their slots: Harsanyi dividends, Shapley values
and one-at-a-time effects, from a table of every composition.

A composition is a set of slots that take the second mode's rule (the rest keep the first
mode's), written as a bit mask: bit *i* set means slot *i* is switched. ``values[..., mask]`` is an
outcome of that composition (leading axes: seeds, resamples, ...), so ``values[..., 0]`` is the
first mode and ``values[..., 2**k - 1]`` the second.

- The Harsanyi dividend of a set *T* of slots is the part of the outcome that appears only when all
  of *T* are switched together (the Möbius transform of the table): dividends of single slots are
  their effects alone, those of two or more slots are interactions; all of them sum to the total.
- A slot's Shapley value is the sum of the dividends it takes part in, each shared equally among
  the slots of its set; equivalently its marginal effect averaged over every order of switching.
  Shapley values sum to the total difference (efficiency).
- One-at-a-time effects: a slot switched alone in the first mode, and the same switch made last,
  with every other slot already at the second mode.

No maintained Python library computes exact Shapley values and Harsanyi dividends of a complete
game table of this size (SHAP estimates them for model features), so they are written here.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAX_SLOTS",
    "coalition_sizes",
    "effects_in_first",
    "effects_in_second",
    "harsanyi_dividends",
    "interaction",
    "shapley_values",
    "shapley_weights",
]

MAX_SLOTS = 16  # 65,536 compositions: far beyond the seven rule slots


def _slots(values: np.ndarray) -> int:
    n = values.shape[-1]
    k = n.bit_length() - 1
    if n < 2 or 1 << k != n or k > MAX_SLOTS:
        raise ValueError(
            f"a composition table has 2**k columns, one per set of switched slots (got {n})"
        )
    return k


def coalition_sizes(k: int) -> np.ndarray:
    """How many slots each composition (bit mask ``0 .. 2**k - 1``) switches."""
    masks = np.arange(1 << k)
    return np.array([int(m).bit_count() for m in masks], dtype=np.int64)


def harsanyi_dividends(values: np.ndarray) -> np.ndarray:
    """The dividend of every set of slots (same shape as ``values``; the empty set's is the first
    mode's value): ``d(T) = Σ_{S ⊆ T} (-1)^{|T|-|S|} v(S)``, by the fast Möbius transform."""
    v = np.asarray(values, dtype=np.float64)
    k = _slots(v)
    d = v.copy()
    masks = np.arange(1 << k)
    for i in range(k):
        bit = 1 << i
        has = masks[(masks & bit) != 0]
        d[..., has] -= d[..., has ^ bit]
    return d


def shapley_weights(k: int) -> np.ndarray:
    """The matrix ``W`` (``2**k`` × ``k``) with ``dividends @ W`` the Shapley values: a set's
    dividend shared equally among its slots."""
    masks = np.arange(1 << k)
    sizes = coalition_sizes(k)
    member = ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(np.float64)
    return member / np.maximum(sizes, 1)[:, None]


def shapley_values(values: np.ndarray) -> np.ndarray:
    """Each slot's Shapley value (last axis: slots, in bit order); they sum to
    ``values[..., -1] - values[..., 0]``."""
    v = np.asarray(values, dtype=np.float64)
    k = _slots(v)
    return harsanyi_dividends(v) @ shapley_weights(k)


def effects_in_first(values: np.ndarray) -> np.ndarray:
    """Each slot switched alone, every other slot as in the first mode: ``v({i}) − v(∅)``."""
    v = np.asarray(values, dtype=np.float64)
    k = _slots(v)
    return v[..., [1 << i for i in range(k)]] - v[..., :1]


def effects_in_second(values: np.ndarray) -> np.ndarray:
    """Each slot's switch made last, every other slot already as in the second mode:
    ``v(N) − v(N ∖ {i})`` (minus the effect of switching it back alone in the second mode)."""
    v = np.asarray(values, dtype=np.float64)
    k = _slots(v)
    full = (1 << k) - 1
    return v[..., -1:] - v[..., [full ^ (1 << i) for i in range(k)]]


def interaction(values: np.ndarray) -> np.ndarray:
    """The sum of the dividends of two or more slots: the part of the total difference that no
    slot produces alone (total minus the one-at-a-time effects in the first mode)."""
    v = np.asarray(values, dtype=np.float64)
    total = v[..., -1] - v[..., 0]
    return total - effects_in_first(v).sum(axis=-1)
