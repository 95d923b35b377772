"""Docking 3: the optional public goods game with loners (Hauert, De Monte, Hofbauer & Sigmund
2002), on the model's own pieces.

A well-mixed finite population of cooperators (C), defectors (D) and loners (L). Each generation
the population is shuffled into groups of N. Loners take the fixed payoff σ. The participants
(C and D) of a group play a public goods game: cooperators pay c = 1, the pot is the model's own
linear production (``production.linear_public_good``, factor r) shared among the participants.
A group with fewer than two participants has no game and everyone in it gets σ. Strategies then
change by synchronous payoff-proportional imitation of a random other individual
(``learning.payoff_proportional_imitation``, well-mixed; the individual-based counterpart of the
replicator dynamics the paper analyses) plus rare mutation (``learning.mutate``).
Published: for 2 < r < N the frequencies cycle (rock–paper–scissors: C → D → L → C), and the
time-averaged population payoff equals the loner payoff σ.
"""

from __future__ import annotations

import math

import numpy as np

from coopsim.model.learning import mutate, payoff_proportional_imitation
from coopsim.model.production import linear_public_good

__all__ = [
    "COOPERATOR",
    "DEFECTOR",
    "LONER",
    "hauert_optional",
    "optional_pgg_payoffs",
    "replicator_fixed_point",
]

COOPERATOR, DEFECTOR, LONER = 0, 1, 2
# Size limits: memory grows with the population, time with population × generations; the
# published runs use N = 5 and 1,000 individuals.
MAX_POPULATION = 1_000_000
MAX_GROUP_SIZE = 1_000
MAX_GENERATIONS = 1_000_000

CITATION = (
    "Hauert, C., De Monte, S., Hofbauer, J. & Sigmund, K. (2002). Volunteering as Red Queen "
    "mechanism for cooperation in public goods games. Science 296, 1129–1132"
)


def optional_pgg_payoffs(
    strategy: np.ndarray, group_size: int, r: float, sigma: float, cost: float = 1.0
) -> np.ndarray:
    """Payoffs when consecutive blocks of ``group_size`` individuals form the groups."""
    groups = strategy.reshape(-1, group_size)
    n_c = (groups == COOPERATOR).sum(axis=1)
    participants = n_c + (groups == DEFECTOR).sum(axis=1)
    played = participants >= 2
    share = linear_public_good(n_c * cost, r) / np.maximum(participants, 1)
    payoff = np.where(groups == COOPERATOR, share[:, None] - cost, share[:, None])
    payoff = np.where((groups == LONER) | ~played[:, None], sigma, payoff)
    return payoff.ravel()


def _published(r: float, group_size: int, sigma: float) -> dict:
    if r >= group_size:
        return {
            "value": None,
            "regime": "r >= N",
            "statement": "no dilemma: cooperators take over, the population payoff exceeds sigma",
            "citation": CITATION,
        }
    return {
        "value": sigma,
        "quantity": "time-averaged population payoff (mean_payoff)",
        "regime": "2 < r < N: C, D and L cycle" if r > 2 else "r <= 2: loners take over",
        "statement": "the time average of the population payoff equals the loner payoff sigma",
        "citation": CITATION,
    }


def replicator_fixed_point(r: float, group_size: int, sigma: float) -> dict[str, float] | None:
    """The interior rest point Q of the replicator dynamics (exists for 2 < r < N), around which
    the orbits cycle and to which their time averages converge (Hauert et al. 2002, JTB 218).

    With loner share z and cooperator share f among participants, P_D − P_C depends on z only,
    F(z) = 1 + (r − 1)·z^(N−1) − (r/N)·(1 − z^N)/(1 − z); and P_D = σ fixes f.
    """
    n = group_size
    if not 2 < r < n:
        return None

    def gap(z: float) -> float:  # P_D − P_C
        return 1 + (r - 1) * z ** (n - 1) - (r / n) * (1 - z**n) / (1 - z)

    grid = np.linspace(1e-9, 1 - 1e-6, 4001)
    values = np.array([gap(z) for z in grid])
    k = int(np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))[0])
    lo, hi = grid[k], grid[k + 1]
    for _ in range(100):  # bisection: robust and warning-free
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.sign(gap(mid)) == np.sign(gap(lo)) else (lo, mid)
    z = 0.5 * (lo + hi)
    # A defector's payoff: sigma when alone, else r·f·E[m/(m+1)] over m ~ Bin(N−1, 1−z) others.
    m = np.arange(1, n)
    weights = np.array([math.comb(n - 1, k) for k in m]) * (1 - z) ** m * z ** (n - 1 - m)
    f = sigma * (1 - z ** (n - 1)) / (r * float(np.sum(weights * m / (m + 1))))
    participating = 1 - z
    return {
        "cooperator": float(f * participating),
        "defector": float((1 - f) * participating),
        "loner": float(z),
    }


def hauert_optional(
    *,
    r: float = 3.0,
    group_size: int = 5,
    sigma: float = 1.0,
    generations: int = 5000,
    seed: int = 1,
    population: int | None = None,
    mutation: float = 0.01,
    window: float = 0.8,
) -> dict:
    """Run the optional PGG; return the population payoff and the C/D/L shares averaged over the
    last ``window`` of the generations, beside the published figure, with every parameter used.

    ``population`` defaults to 200 groups (1000 individuals for N = 5) and must be a multiple of
    ``group_size``. The population starts with C, D and L drawn with equal odds per individual.
    """
    if int(group_size) != group_size or not 2 <= group_size <= MAX_GROUP_SIZE:
        raise ValueError(
            f"group_size must be an integer in [2, {MAX_GROUP_SIZE:,}] (got {group_size})"
        )
    if not (math.isfinite(r) and r > 1):
        raise ValueError(f"r must be a finite number > 1 (got {r})")
    if not (math.isfinite(sigma) and 0 < sigma < r - 1):
        raise ValueError(f"sigma must satisfy 0 < sigma < r - 1 (got sigma={sigma}, r={r})")
    if int(generations) != generations or not 1 <= generations <= MAX_GENERATIONS:
        raise ValueError(
            f"generations must be an integer in [1, {MAX_GENERATIONS:,}] (got {generations})"
        )
    if population is None:
        population = 200 * int(group_size)
    if int(population) != population or population < group_size or population % group_size:
        raise ValueError(
            f"population must be a positive multiple of group_size {group_size} (got {population})"
        )
    if population > MAX_POPULATION:
        raise ValueError(
            f"population must be at most {MAX_POPULATION:,} (got {population}): its memory "
            "grows with it"
        )
    if not 0 <= mutation <= 1:
        raise ValueError(f"mutation must lie in [0, 1] (got {mutation})")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed})")
    if not 0 < window <= 1:
        raise ValueError(f"window must lie in (0, 1] (got {window})")
    group_size, generations, population = int(group_size), int(generations), int(population)

    rng = np.random.default_rng(seed)
    n = population
    # Largest possible payoff gap: a defector among N − 1 cooperators against a cooperator
    # among N − 1 defectors (or either against a loner's sigma).
    best = max(r * (group_size - 1) / group_size, sigma)
    worst = min(r / group_size - 1.0, 0.0, sigma)
    gap = best - worst
    strategy = rng.integers(0, 3, size=n).astype(np.int8)
    mean_payoff = np.empty(generations)
    shares = np.empty((generations, 3))
    for t in range(generations):
        order = rng.permutation(n)
        payoff = np.empty(n)
        payoff[order] = optional_pgg_payoffs(strategy[order], group_size, r, sigma)
        mean_payoff[t] = payoff.mean()
        shares[t] = np.bincount(strategy, minlength=3) / n
        strategy = payoff_proportional_imitation(strategy, payoff, None, rng, gap)
        strategy = mutate(strategy, 3, mutation, rng)

    last = max(1, round(window * generations))
    tail = shares[-last:]
    return {
        "benchmark": "hauert-optional",
        "measured": "mean_payoff",  # the figure to set beside published["value"]
        "mean_payoff": float(mean_payoff[-last:].mean()),
        "mean_payoff_sd": float(mean_payoff[-last:].std()),
        "cooperator_share": float(tail[:, COOPERATOR].mean()),
        "defector_share": float(tail[:, DEFECTOR].mean()),
        "loner_share": float(tail[:, LONER].mean()),
        "share_range": {
            name: [float(tail[:, k].min()), float(tail[:, k].max())]
            for k, name in enumerate(("cooperator", "defector", "loner"))
        },
        "averaged_over_generations": last,
        "published": _published(r, group_size, sigma),
        "replicator_fixed_point": replicator_fixed_point(r, group_size, sigma),
        "parameters": {
            "r": r,
            "group_size": group_size,
            "sigma": sigma,
            "generations": generations,
            "seed": seed,
            "population": population,
            "mutation": mutation,
            "window": window,
            "contribution": 1.0,
            "max_payoff_gap": gap,
            "update": "synchronous payoff-proportional imitation (well-mixed) plus mutation",
        },
    }
