"""Monitoring, enforcement and the state's spending: what partners see of each other's delivery,
and what the mode does about it with the budget it has."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model import peaks
from coopsim.model.costs import transaction_costs
from coopsim.model.rules.base import Round
from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.rules.base import Enforcement
    from coopsim.model.step import StepState


@in_round
def monitor(model: CoopModel, state: StepState) -> None:
    """Phase: partners see each member's delivery through a noise that shrinks with its
    transparency; a share seen below the defection threshold is a shortfall."""
    cfg, s = model.config, state
    noise = s.observation_noise[s.org, s.slot]
    opacity = 1.0 - model.orgs.transparency[s.org]
    s.observed = np.clip(s.delivery + cfg.trust.observation_noise * opacity * noise, 0.0, 1.0)
    shortfall = s.observed < cfg.trust.defection_threshold
    s.round = Round(
        s.rows,
        s.org,
        s.pid,
        s.ids,
        s.committed_total,
        s.delivered,
        s.observed,
        shortfall,
        s.monitor_draw[s.org, s.slot],
    )


def expected_incentives(model: CoopModel, organisation: np.ndarray, weighted: bool = True):
    """(expected reward, expected sanction) per unit of commitment, weighted by sensitivity
    (``weighted``; else in value units): what an organisation expects from the information
    rule's monitoring and the payoff rule."""
    inc = model.config.incentives
    orgs = model.orgs
    pay = model.mode.payoff
    info = model.mode.information
    seen = info.coverage(model, organisation) * info.strength(model, organisation)
    warned = (model.steps - orgs.last_warning[organisation]) <= inc.warning_memory
    sanction_now = np.where(warned | (not pay.graduated(model)), 1.0, 0.3)
    s = orgs.incentive_sensitivity[organisation]
    expected_sanction = seen * inc.sanction * sanction_now if inc.sanction > 0 else 0.0
    expected_reward = seen * inc.reward * model.reward_paid_share if pay.rewards else 0.0
    if not weighted:
        return np.broadcast_to(expected_reward, organisation.shape), np.broadcast_to(
            expected_sanction, organisation.shape
        )
    return s * expected_reward, s * expected_sanction


@in_round
def enforce_and_spend(model: CoopModel, state: StepState) -> None:
    """Phase: the mode monitors, sanctions and rewards, paid by the state's budget or by the
    partnership as the mode says; the state spends what is left on seed finance and training."""
    s, info = state, model.mode.information
    budget = model.budget
    coverage = info.coverage(model, s.org)
    s.dues = np.zeros(len(s.rows))
    s.peak_pool_before = s.peak_pool_after = float(model.peak_pool.sum())  # unless peaks pay
    if info.payer == "state":
        planned = model.config.costs.monitoring * float(coverage.sum())
        model.enforcement_strength = min(1.0, budget / planned) if planned > 0 else 1.0
    else:
        model.enforcement_strength = 1.0
    if info.payer == "peak":
        peaks.collect_dues(model, s, coverage)
    monitored, caught = info.detect(model, s.round)
    enf = model.mode.payoff.enforce(model, s.round, monitored, caught)
    s.sanction, s.warned_before = enf.sanction, enf.warned_before
    s.sanctioned = enf.sanction > 0
    budget = _pay_for_enforcement(model, s, enf, budget)
    budget = _pay_rewards(model, s, enf.reward, budget)
    budget = _spend(model, s, budget)
    s.budget_left = budget
    s.budget_spent = float(model.budget - budget)


def _pay_for_enforcement(model: CoopModel, s: StepState, enf: Enforcement, budget: float):
    """Monitoring and enforcement costs: the state pays what its budget allows, or each
    partnership owes its own. Returns the budget left."""
    costs = model.config.costs
    _, mon_cost, enf_cost = transaction_costs(
        costs, monitored=float(enf.monitored.sum()), actions=float(s.sanctioned.sum())
    )
    s.owed = model.partnerships_table.pending_cost[s.ids]
    payer = model.mode.information.payer
    if payer == "state":
        due = mon_cost + enf_cost
        paid = min(budget, due)
        mon_cost, enf_cost = (c * paid / due if due > 0 else c for c in (mon_cost, enf_cost))
        budget -= paid
    else:
        per_row = costs.monitoring * enf.monitored + costs.enforcement * s.sanctioned
        if payer == "peak":
            per_row = peaks.pay_and_fine(model, s, per_row)
        s.owed = s.owed + np.bincount(s.pid, weights=per_row, minlength=len(s.ids))
    s.monitoring_costs, s.enforcement_costs = float(mon_cost), float(enf_cost)
    s.sanctions = int(s.sanctioned.sum())
    return budget


def _pay_rewards(model: CoopModel, s: StepState, reward: np.ndarray, budget: float) -> float:
    """Rewards earned, scaled down to the share of the budget the mode lets them take."""
    affordable = budget * model.config.incentives.reward_budget
    claimed = float(reward.sum())
    if claimed > affordable:
        reward = reward * (affordable / claimed)
    model.reward_paid_share = float(reward.sum()) / claimed if claimed > 0 else 1.0
    s.reward = reward
    s.rewards = float(reward.sum())
    return budget - s.rewards


def _spend(model: CoopModel, s: StepState, budget: float) -> float:
    """The mode's spending of what is left, capped at it: seed finance for the next round and
    training that builds collaborative capacity (saturating)."""
    spending = model.mode.payoff.spend(model, budget, s.round)
    seed = np.asarray(spending["seed"], dtype=float)
    training = np.asarray(spending["training"], dtype=float)
    planned = float(seed.sum() + training.sum())
    if planned > budget + 1e-9 * max(1.0, model.budget):  # shares of tiny deliveries can
        # round well past what is left; last-digit rounding is left alone
        cut = max(budget, 0.0) / planned
        seed, training = seed * cut, training * cut
    model.partnerships_table.pending_seed[s.ids] += seed
    budget -= float(seed.sum() + training.sum())
    orgs = model.orgs
    gain = -np.expm1(-model.config.environment.capacity_building * training)  # < 1
    orgs.collaborative_capacity += gain * (1.0 - orgs.collaborative_capacity)
    return budget
