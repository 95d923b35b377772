"""Learning and imitation updates, vectorised over agents (numpy only).

The same functions drive adaptation in the simulation core (docs/ODD.md §7.13) and the docking
games, so the docking results validate the code the model actually runs. Reinforcement:
Bush–Mosteller. Imitation: best neighbour (Nowak & May 1992), payoff-proportional (Santos,
Santos & Pacheco 2008; the finite-population replicator dynamics) and pairwise Fermi (Szabó &
Tőke 1998). Neighbourhoods are ``Neighbours`` CSR structures (``coopsim.model.network``); the
stochastic rules also accept ``None`` for a well-mixed population. Every random draw comes from
the ``numpy.random.Generator`` passed in, and the number of draws never depends on payoffs, so
runs that share a seed share their random numbers (common random numbers across treatments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.network import Neighbours
from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

__all__ = [
    "best_neighbour_imitation",
    "bush_mosteller",
    "fermi_imitation",
    "imitate",
    "mutate",
    "payoff_proportional_imitation",
    "reinforce",
]


def _check_unit(name: str, x: np.ndarray, low: float = 0.0, high: float = 1.0) -> None:
    if not np.all((x >= low) & (x <= high)):  # also rejects NaN
        raise ValueError(f"{name} must lie in [{low}, {high}]")


def bush_mosteller(
    propensity: np.ndarray | float,
    cooperated: np.ndarray | float,
    stimulus: np.ndarray | float,
    rate: np.ndarray | float,
) -> np.ndarray:
    """Bush–Mosteller reinforcement of the propensity to cooperate (Macy & Flache 2002).

    The action taken is reinforced by a positive stimulus and inhibited by a negative one, in
    proportion to the room left: p_a ← p_a + l·s·(1 − p_a) if s ≥ 0, p_a ← p_a + l·s·p_a if s < 0,
    where p_a is the propensity of the action taken (p for cooperation, 1 − p for defection).
    ``cooperated`` in [0, 1] is the weight of the cooperative action (a partial delivery mixes the
    two updates), ``stimulus`` in [−1, 1] the satisfaction (payoff against aspiration), ``rate``
    in [0, 1] the learning rate l. Broadcasts over arrays; the result stays in [0, 1].
    """
    p = np.asarray(propensity, dtype=float)
    w = np.asarray(cooperated, dtype=float)
    s = np.asarray(stimulus, dtype=float)
    rate_ = np.asarray(rate, dtype=float)
    _check_unit("propensity", p)
    _check_unit("cooperated", w)
    _check_unit("stimulus", s, -1.0, 1.0)
    _check_unit("rate", rate_)
    ls = rate_ * s
    room = np.where(ls >= 0, 1.0 - p, p)  # room to grow after cooperating
    after_c = p + ls * room
    room_d = np.where(ls >= 0, p, 1.0 - p)  # defection reinforced means p falls
    after_d = p - ls * room_d
    return np.clip(w * after_c + (1.0 - w) * after_d, 0.0, 1.0)


def _segment_starts(neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray]:
    deg = np.diff(neighbours.indptr)
    has = deg > 0
    return has, neighbours.indptr[:-1][has]


def best_neighbour_imitation(
    strategy: np.ndarray, payoff: np.ndarray, neighbours: Neighbours
) -> np.ndarray:
    """Synchronous, deterministic imitation of the best scorer in the neighbourhood and self.

    Each agent adopts the strategy of the highest payoff among itself and its neighbours
    (Nowak & May 1992). Ties: an agent keeps its own strategy if its payoff equals the best;
    among tied neighbours the lowest agent id wins. Returns a new array; inputs are untouched.
    """
    strategy = np.asarray(strategy)
    payoff = np.asarray(payoff, dtype=float)
    n = neighbours.n
    if strategy.shape != (n,) or payoff.shape != (n,):
        raise ValueError(f"strategy and payoff must have shape ({n},)")
    if not np.all(np.isfinite(payoff)):
        raise ValueError("payoff must be finite")
    has, starts = _segment_starts(neighbours)
    if starts.size == 0:
        return strategy.copy()
    theirs = payoff[neighbours.indices]
    best = np.full(n, -np.inf)
    best[has] = np.maximum.reduceat(theirs, starts)
    pos = np.where(theirs == best[neighbours.rows], np.arange(theirs.size), theirs.size)
    first = np.zeros(n, dtype=np.int64)
    first[has] = np.minimum.reduceat(pos, starts)
    keep = ~has | (payoff >= best)
    model = neighbours.indices[np.where(keep, 0, first)]
    return np.where(keep, strategy, strategy[model])


def _random_models(
    n: int, neighbours: Neighbours | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One uniformly random neighbour per agent (a random other agent if well-mixed).

    Returns (model, has_model). Always draws ``n`` numbers, so the stream does not depend on state.
    """
    u = rng.random(n)
    if neighbours is None:
        if n < 2:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        other = np.floor(u * (n - 1)).astype(np.int64)
        return other + (other >= np.arange(n)), np.ones(n, dtype=bool)
    if neighbours.n != n:
        raise ValueError(f"neighbours has {neighbours.n} agents, strategy has {n}")
    deg = np.diff(neighbours.indptr)
    has = deg > 0
    pick = neighbours.indptr[:-1] + np.minimum(np.floor(u * deg).astype(np.int64), deg - 1)
    model = np.zeros(n, dtype=np.int64)
    model[has] = neighbours.indices[pick[has]]
    return model, has


def _check_state(strategy: np.ndarray, payoff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    strategy = np.asarray(strategy)
    payoff = np.asarray(payoff, dtype=float)
    if strategy.ndim != 1 or payoff.shape != strategy.shape:
        raise ValueError("strategy and payoff must be 1-d arrays of the same length")
    if not np.all(np.isfinite(payoff)):
        raise ValueError("payoff must be finite")
    return strategy, payoff


def payoff_proportional_imitation(
    strategy: np.ndarray,
    payoff: np.ndarray,
    neighbours: Neighbours | None,
    rng: np.random.Generator,
    max_payoff_gap: float | np.ndarray,
) -> np.ndarray:
    """Payoff-proportional imitation, synchronous (Santos, Santos & Pacheco 2008).

    Each agent x picks one neighbour y at random and adopts its strategy with probability
    (P_y − P_x)/M when P_y > P_x. M is ``max_payoff_gap``: one positive number for every pair, or
    a per-agent array of payoff spans, the pair using max(M_x, M_y) (the larger agent's range,
    as in Santos & Pacheco 2005). Probabilities are capped at 1. ``neighbours=None``: well-mixed.
    """
    strategy, payoff = _check_state(strategy, payoff)
    n = strategy.size
    gap = np.asarray(max_payoff_gap, dtype=float)
    if gap.shape not in ((), (n,)) or not np.all(gap > 0) or not np.all(np.isfinite(gap)):
        raise ValueError(f"max_payoff_gap must be positive and finite, a scalar or shape ({n},)")
    model, has = _random_models(n, neighbours, rng)
    draw = rng.random(n)
    pair_gap = gap if gap.ndim == 0 else np.maximum(gap, gap[model])
    prob = np.clip((payoff[model] - payoff) / pair_gap, 0.0, 1.0)
    adopt = has & (draw < prob)
    return np.where(adopt, strategy[model], strategy)


def fermi_imitation(
    strategy: np.ndarray,
    payoff: np.ndarray,
    neighbours: Neighbours | None,
    rng: np.random.Generator,
    selection: float,
) -> np.ndarray:
    """Pairwise comparison (Fermi rule), synchronous.

    Each agent x picks one random neighbour y and adopts its strategy with probability
    1 / (1 + exp(−s·(P_y − P_x))); ``selection`` s ≥ 0 (0: neutral drift, large: imitate the
    better). Computed with tanh, so large payoff gaps never overflow. ``neighbours=None``:
    well-mixed.
    """
    strategy, payoff = _check_state(strategy, payoff)
    if not (np.isfinite(selection) and selection >= 0):
        raise ValueError(f"selection must be finite and >= 0 (got {selection})")
    n = strategy.size
    model, has = _random_models(n, neighbours, rng)
    draw = rng.random(n)
    prob = 0.5 * (1.0 + np.tanh(0.5 * selection * (payoff[model] - payoff)))
    adopt = has & (draw < prob)
    return np.where(adopt, strategy[model], strategy)


def mutate(
    strategy: np.ndarray, n_strategies: int, rate: float, rng: np.random.Generator
) -> np.ndarray:
    """Exploration: each agent, with probability ``rate``, takes a uniformly random strategy
    in ``0 .. n_strategies − 1`` (possibly its own). Always draws 2·n numbers."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must lie in [0, 1] (got {rate})")
    strategy = np.asarray(strategy)
    n = strategy.size
    flip = rng.random(n) < rate
    fresh = rng.integers(0, n_strategies, size=n)
    return np.where(flip, fresh.astype(strategy.dtype), strategy)


# --------------------------------------------------------------------------------------------------
# Phases: learning; imitation


@in_round
def reinforce(model: CoopModel, state: StepState) -> None:
    """Phase: each member's return per unit committed is what neighbours may imitate; with
    Bush–Mosteller learning, what paid off against aspiration is reinforced."""
    cfg, orgs, s = model.config.learning, model.orgs, state
    n, org = orgs.n, s.org
    count = np.bincount(org, minlength=n)
    who = np.flatnonzero(count > 0)
    per_unit = np.bincount(org, weights=s.membership_return, minlength=n)[who] / np.maximum(
        np.bincount(org, weights=s.committed_total, minlength=n)[who], 1e-12
    )
    orgs.return_per_unit[:] = 0.0
    orgs.return_per_unit[who] = per_unit
    if cfg.rule != "bush_mosteller":
        return
    coop = np.bincount(org, weights=s.delivery, minlength=n)[who] / count[who]
    stimulus = np.tanh(2.0 * (per_unit - orgs.aspiration[who]))
    orgs.propensity[who] = bush_mosteller(
        orgs.propensity[who], np.clip(coop, 0.0, 1.0), stimulus, cfg.rate
    )
    orgs.aspiration[who] += cfg.habituation * (per_unit - orgs.aspiration[who])


def imitate(model: CoopModel, state: StepState) -> None:
    """Phase: with imitation learning, organisations copy a neighbour's propensity (pairwise
    Fermi on last round's returns per unit), each with probability ``learning.rate``."""
    cfg, orgs = model.config.learning, model.orgs
    draws = model.streams.learning.random(orgs.n)  # drawn always: common random numbers
    if cfg.rule != "imitation" or orgs.n < 2:
        return
    adopt = fermi_imitation(
        orgs.propensity,
        orgs.return_per_unit,
        model.network,
        model.streams.learning,
        selection=cfg.imitation_selection,
    )
    orgs.propensity = np.where(draws < cfg.rate, adopt, orgs.propensity)
