"""Docking 1: the spatial prisoner's dilemma of Nowak & May (1992), on the model's own pieces.

Cells of a square lattice are pure cooperators (C) or defectors (D). Each generation every cell
plays the one-shot game with its eight Moore neighbours and with itself (R = 1, T = b,
S = P = 0), then all cells at once adopt the strategy of the best scorer among themselves and
their neighbours (``learning.best_neighbour_imitation`` on a ``network.moore_lattice``).
For 1.8 < b < 2 the cooperator share settles near 12·ln 2 − 8 ≈ 0.318; for b > 2 it nearly
vanishes.
"""

from __future__ import annotations

import math

import numpy as np

from coopsim.model.learning import best_neighbour_imitation
from coopsim.model.network import Neighbours, degree, moore_lattice

__all__ = ["PUBLISHED_SHARE", "nowak_may", "spatial_pd_payoffs"]

PUBLISHED_SHARE = 12 * math.log(2) - 8  # ≈ 0.3178
CITATION = (
    "Nowak, M. A. & May, R. M. (1992). Evolutionary games and spatial chaos. Nature 359, 826–829"
)
BOUNDARIES = ("periodic", "fixed")
# Size limits: memory grows with size² (about 7.5 bytes a cell: 100,000 asked 74.5 GiB), time
# with size² × generations; the published lattice is 200 × 200.
MAX_SIZE = 2_000
MAX_GENERATIONS = 100_000


def spatial_pd_payoffs(cooperator: np.ndarray, lattice: Neighbours, b: float) -> np.ndarray:
    """Total payoff of each cell over its games with every member of its neighbourhood
    (self included if the lattice includes self): R = 1 and T = b per cooperating partner,
    S = P = 0."""
    c_partners = np.bincount(lattice.rows, weights=cooperator[lattice.indices], minlength=lattice.n)
    return np.where(cooperator, 1.0, b) * c_partners


def _published(b: float) -> dict:
    if 1.8 < b < 2:
        return {
            "value": PUBLISHED_SHARE,
            "regime": "1.8 < b < 2",
            "statement": "the cooperator share fluctuates around 12·ln 2 − 8 ≈ 0.318",
            "citation": CITATION,
        }
    if b > 2:
        return {
            "value": None,
            "regime": "b > 2",
            "statement": "defectors take over; cooperation nearly vanishes",
            "citation": CITATION,
        }
    return {
        "value": None,
        "regime": "b <= 1.8",
        "statement": "no single published share for this b (cooperator clusters persist)",
        "citation": CITATION,
    }


def nowak_may(
    *,
    b: float = 1.9,
    size: int = 200,
    generations: int = 500,
    initial_cooperators: float = 0.9,
    boundary: str = "periodic",
    seed: int = 1,
    window: float = 0.2,
) -> dict:
    """Run the spatial PD; return the cooperator share averaged over the last ``window`` of the
    generations, beside the published figure, with every parameter used.

    Initial strategies are independent draws (cooperator with probability
    ``initial_cooperators``); ``boundary`` is ``periodic`` (torus) or ``fixed`` (edge cells have
    fewer neighbours and so fewer games).
    """
    if not (math.isfinite(b) and b >= 1):
        raise ValueError(f"b (temptation T) must be a finite number >= 1 (got {b})")
    if int(size) != size or not 3 <= size <= MAX_SIZE:
        raise ValueError(
            f"size must be an integer in [3, {MAX_SIZE:,}] (got {size}): the lattice's memory "
            "grows with size²"
        )
    if int(generations) != generations or not 1 <= generations <= MAX_GENERATIONS:
        raise ValueError(
            f"generations must be an integer in [1, {MAX_GENERATIONS:,}] (got {generations})"
        )
    if not 0 <= initial_cooperators <= 1:
        raise ValueError(f"initial_cooperators must lie in [0, 1] (got {initial_cooperators})")
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {', '.join(BOUNDARIES)} (got {boundary!r})")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed})")
    if not 0 < window <= 1:
        raise ValueError(f"window must lie in (0, 1] (got {window})")
    size, generations = int(size), int(generations)

    rng = np.random.default_rng(seed)
    lattice = moore_lattice(size, periodic=boundary == "periodic", include_self=True)
    games = degree(lattice)  # 9 in the bulk (8 neighbours + self)
    cooperator = rng.random(lattice.n) < initial_cooperators
    shares = np.empty(generations + 1)
    shares[0] = cooperator.mean()
    for t in range(1, generations + 1):
        payoff = spatial_pd_payoffs(cooperator, lattice, b)
        cooperator = best_neighbour_imitation(cooperator, payoff, lattice)
        shares[t] = cooperator.mean()

    last = max(1, round(window * generations))
    return {
        "benchmark": "nowak-may",
        "measured": "cooperator_share",  # the figure to set beside published["value"]
        "cooperator_share": float(shares[-last:].mean()),
        "cooperator_share_sd": float(shares[-last:].std()),
        "final_cooperator_share": float(shares[-1]),
        "averaged_over_generations": last,
        "published": _published(b),
        "parameters": {
            "b": b,
            "size": size,
            "generations": generations,
            "initial_cooperators": initial_cooperators,
            "boundary": boundary,
            "seed": seed,
            "window": window,
            "payoffs": {"R": 1.0, "T": b, "S": 0.0, "P": 0.0},
            "neighbourhood": "Moore (8) plus self",
            "update": "synchronous deterministic best-neighbour imitation",
            "games_per_cell_bulk": int(games.max()),
        },
    }
