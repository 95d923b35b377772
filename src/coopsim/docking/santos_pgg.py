"""Docking 2: public goods games on graphs (Santos, Santos & Pacheco 2008), on the model's pieces.

N agents sit on a graph of average degree z. Agent g is the centre of one public goods game whose
members are g and its k_g neighbours, so an agent of degree k plays k + 1 games. A cooperator
contributes c = 1 to every game it plays (``per-game`` cost) or splits one unit of cost across
its k + 1 games (``per-individual`` cost). Each pot is the model's own linear production
(``production.linear_public_good``, r = η·(z + 1)) shared equally among the game's members.
Strategies then change by synchronous payoff-proportional imitation
(``learning.payoff_proportional_imitation``): each agent picks one random neighbour and adopts its
strategy with probability (P_y − P_x)/M, M the larger of the two agents' possible payoff spans.
Published (Fig. 1): cooperation appears at lower η on scale-free graphs than on regular ones, and
at the lowest η on scale-free graphs with per-individual cost.
"""

from __future__ import annotations

import math

import numpy as np

from coopsim.model.learning import payoff_proportional_imitation
from coopsim.model.network import Neighbours, degree, random_regular, scale_free, with_self
from coopsim.model.production import linear_public_good

__all__ = ["group_payoffs", "payoff_bounds", "santos_pgg"]

CITATION = (
    "Santos, F. C., Santos, M. D. & Pacheco, J. M. (2008). Social diversity promotes the "
    "emergence of cooperation in public goods games. Nature 454, 213–216"
)
GRAPHS = ("regular", "scale-free")
COSTS = ("per-game", "per-individual")
# Size limits: memory grows with the edges (n·z), time with graphs × generations × n·z; the
# published runs use n = 1,000 and z = 4.
MAX_N = 100_000
MAX_EDGES = 10_000_000  # n·z
MAX_GENERATIONS = 1_000_000
MAX_GRAPHS = 1_000


def _unit_contribution(groups: Neighbours, cost: str, c: float) -> np.ndarray:
    """What a cooperator puts into each of its games: c, or c/(k + 1) split across them."""
    size = degree(groups).astype(float)  # k + 1: the games an agent plays = its group's size
    return np.full(groups.n, c) if cost == "per-game" else c / size


def group_payoffs(
    cooperation: np.ndarray, groups: Neighbours, r: float, unit: np.ndarray
) -> np.ndarray:
    """Each agent's total payoff over the games it plays (the group centred on every member of
    ``groups``, which must include self). ``cooperation`` in [0, 1] weights the unit contribution.
    """
    given = cooperation * unit  # contribution of each agent to each of its games
    size = degree(groups).astype(float)
    pooled = np.bincount(groups.rows, weights=given[groups.indices], minlength=groups.n)
    share = linear_public_good(pooled, r) / size  # the pot of game g, split among its members
    received = np.bincount(groups.rows, weights=share[groups.indices], minlength=groups.n)
    return received - size * given


def payoff_bounds(groups: Neighbours, r: float, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest payoff each agent can get: a lone cooperator among defectors, and a
    defector among cooperators. The payoff is linear in the strategy profile, so both follow
    from the all-cooperator payoff and each agent's return on its own contribution."""
    size = degree(groups).astype(float)
    own_return = (
        r
        * unit
        * np.bincount(groups.rows, weights=(1.0 / size)[groups.indices], minlength=groups.n)
    )
    own_cost = size * unit
    all_c = group_payoffs(np.ones(groups.n), groups, r, unit)
    return own_return - own_cost, all_c - own_return + own_cost


def _published() -> dict:
    return {
        "value": None,
        "statement": (
            "cooperation emerges at lower eta = r/(z+1) on scale-free graphs than on regular "
            "graphs, and lowest on scale-free graphs with cost per individual (Fig. 1); "
            "well-mixed populations need eta > 1"
        ),
        "citation": CITATION,
    }


def santos_pgg(
    *,
    graph: str = "scale-free",
    eta: float = 0.6,
    cost: str = "per-individual",
    n: int = 1000,
    z: int = 4,
    generations: int = 3000,
    graphs: int = 3,
    seed: int = 1,
    initial_cooperators: float = 0.5,
    window: float = 0.2,
) -> dict:
    """Run the PGG on ``graphs`` independently drawn graphs; return the cooperator share averaged
    over the last ``window`` of the generations and over the graphs, with every parameter used.

    Each graph gets its own random stream, spawned from ``seed``: graph, initial strategies
    (cooperator with probability ``initial_cooperators``) and imitation draws.
    """
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {', '.join(GRAPHS)} (got {graph!r})")
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {', '.join(COSTS)} (got {cost!r})")
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0 (got {eta})")
    if int(z) != z or z < 2 or (graph == "scale-free" and z % 2):
        raise ValueError(f"z must be an integer >= 2, even for scale-free graphs (got {z})")
    if int(n) != n or n <= z or (graph == "regular" and (n * z) % 2):
        raise ValueError(f"n must be an integer > z, with n·z even for regular graphs (got {n})")
    if n > MAX_N or n * z > MAX_EDGES:
        raise ValueError(
            f"n must be at most {MAX_N:,} and n·z at most {MAX_EDGES:,} (got n={n}, z={z}): "
            "the graph's memory grows with n·z"
        )
    for name, value, most in (
        ("generations", generations, MAX_GENERATIONS),
        ("graphs", graphs, MAX_GRAPHS),
    ):
        if int(value) != value or not 1 <= value <= most:
            raise ValueError(f"{name} must be an integer in [1, {most:,}] (got {value})")
    if not 0 <= initial_cooperators <= 1:
        raise ValueError(f"initial_cooperators must lie in [0, 1] (got {initial_cooperators})")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed})")
    if not 0 < window <= 1:
        raise ValueError(f"window must lie in (0, 1] (got {window})")
    n, z, generations, graphs = int(n), int(z), int(generations), int(graphs)

    r = eta * (z + 1)
    build = random_regular if graph == "regular" else scale_free
    last = max(1, round(window * generations))
    per_graph = []
    for rng in (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(graphs)):
        ties = build(n, z, rng)  # whom an agent imitates
        groups = with_self(ties)  # the game centred on each agent: itself and its neighbours
        unit = _unit_contribution(groups, cost, 1.0)
        low, high = payoff_bounds(groups, r, unit)
        cooperator = (rng.random(n) < initial_cooperators).astype(np.int8)
        shares = np.empty(generations)
        for t in range(generations):
            payoff = group_payoffs(cooperator, groups, r, unit)
            cooperator = payoff_proportional_imitation(cooperator, payoff, ties, rng, high - low)
            shares[t] = cooperator.mean()
        per_graph.append(float(shares[-last:].mean()))

    return {
        "benchmark": "santos-pgg",
        "measured": "cooperator_share",  # the figure to set beside published["value"]
        "cooperator_share": float(np.mean(per_graph)),
        "cooperator_share_per_graph": per_graph,
        "averaged_over_generations": last,
        "published": _published(),
        "parameters": {
            "graph": graph,
            "eta": eta,
            "cost": cost,
            "n": n,
            "z": z,
            "generations": generations,
            "graphs": graphs,
            "seed": seed,
            "initial_cooperators": initial_cooperators,
            "window": window,
            "r": r,
            "contribution": 1.0,
            "update": "synchronous payoff-proportional imitation, M = max(span_x, span_y)",
        },
    }
