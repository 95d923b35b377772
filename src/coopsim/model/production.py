"""Joint production of public value, a CES function over pooled resource kinds, and its sharing.

Q = A · [Σ_k a_k x_k^ρ]^(ν/ρ). With ρ < 0 the kinds are complements (a partnership lacking any
kind produces nothing: the reason sectors partner at all); ρ → 0 is Cobb–Douglas; ρ = 1 makes them
perfect substitutes, the linear public good of the canonical games. ν is returns to scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.partnerships import segment_sum
from coopsim.model.sectors import FINANCE, SECTORS
from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

__all__ = ["ces", "joint_output", "linear_public_good", "produce", "share_benefits"]

_RHO_EPS = 1e-9


def ces(
    inputs: np.ndarray,
    weights: np.ndarray,
    rho: float,
    nu: float = 1.0,
    scale: float = 1.0,
    axis: int = -1,
) -> np.ndarray:
    """CES output over the resource kinds along ``axis`` of ``inputs`` (the last by default; the
    model keeps kinds first, ``axis=0``, where numpy reduces fastest), never a warning.

    Zero inputs are handled exactly: with ρ ≤ 0 any zero input with positive weight gives zero
    output (complements); with ρ > 0 zeros simply contribute nothing. The power mean is taken in
    log space relative to the largest input, so no input however small or large overflows.
    """
    x = np.maximum(np.asarray(inputs, dtype=float), 0.0)
    a = np.asarray(weights, dtype=float)
    a = a / a.sum()
    used = a > 0
    along = [1] * x.ndim
    along[axis] = -1
    a_, used_ = a.reshape(along), used.reshape(along)  # broadcast along the kinds

    def top_of(v: np.ndarray) -> np.ndarray:
        return v.max(axis=axis, keepdims=True)

    def total_of(v: np.ndarray) -> np.ndarray:
        return v.sum(axis=axis, keepdims=True)

    # The common case, strictly positive inputs with every weight used, takes a shorter road that
    # agrees with the general one to within 1e-15 relative (not bit for bit).
    if abs(rho) >= _RHO_EPS and x.size and used.all() and x.min() > 0:
        log_x = np.log(x)
        log_top = top_of(log_x)
        terms = np.log(a_) + rho * (log_x - log_top)
        peak = top_of(terms)
        lse = peak + np.log(total_of(np.exp(terms - peak)))
        # np.clip without its cost; it may differ in the sign of a zero, which adding log_top
        # (never -0.0) and exp() erase
        power_mean = np.minimum(np.maximum(lse / rho, -745.0), 0.0)
        return np.squeeze(scale * np.exp(nu * (log_top + power_mean)), axis=axis)
    present = (x > 0) & used_
    top = top_of(np.where(used_, x, 0.0))
    safe_top = np.where(top > 0, top, 1.0)
    log_ratio = np.where(present, np.log(np.where(present, x, 1.0)) - np.log(safe_top), 0)
    if abs(rho) < _RHO_EPS:  # Cobb–Douglas limit
        rel = np.exp(total_of(np.where(used_, a_, 0.0) * log_ratio))
    else:
        terms = np.where(present, np.log(np.where(used_, a_, 1.0)) + rho * log_ratio, -np.inf)
        peak = top_of(terms)
        safe_peak = np.where(np.isfinite(peak), peak, 0.0)
        total = total_of(np.exp(terms - safe_peak))
        lse = safe_peak + np.log(np.where(total > 0, total, 1.0))
        rel = np.exp(np.clip(lse / rho, -745.0, 0.0))  # a power mean never exceeds the maximum
    if rho <= _RHO_EPS:
        missing = np.any(used_ & ~present, axis=axis, keepdims=True)
    else:
        missing = np.zeros(top.shape, bool)
    core = np.where((top > 0) & ~missing, top * rel, 0.0)
    return np.squeeze(scale * core**nu, axis=axis)


def linear_public_good(contributions: np.ndarray, multiplier: float) -> np.ndarray:
    """The canonical public good: the pot r·Σc (CES with ρ = 1, ν = 1 and one resource kind)."""
    c = np.asarray(contributions, dtype=float)
    return ces(c[..., None], np.ones(1), rho=1.0, nu=1.0, scale=multiplier)


# --------------------------------------------------------------------------------------------------
# Phases: production; benefits


@in_round
def produce(model: CoopModel, state: StepState) -> None:
    """Phase: each partnership turns its members' delivered resources, and the state's seed
    finance, into public value (CES), scaled by shared goals and skill, bounded by demand."""
    table, s = model.partnerships_table, state
    n_p = len(s.ids)
    pooled = segment_sum(s.delivered_units, s.pid, n_p)
    seeded = table.pending_seed[s.ids]
    pooled[FINANCE] += seeded
    table.pending_seed[s.ids] = 0.0
    value = _value(model, pooled, s)
    pooled_total = pooled.sum(axis=0)
    table.avg_product[s.ids] = np.where(
        pooled_total > 0, value / np.maximum(pooled_total, 1e-12), table.avg_product[s.ids]
    )
    s.value = value
    s.public_value = float(value.sum())
    s.seed_finance = float(seeded.sum())


def joint_output(
    model: CoopModel, pooled: np.ndarray, shared: np.ndarray, skill: np.ndarray
) -> np.ndarray:
    """Value per partnership from its ``pooled`` resources (kinds, partnerships), scaled by its
    members' mean goal fit (``shared``) and collaborative capacity (``skill``), before demand."""
    p = model.config.production
    k = pooled.shape[0]
    scale = p.productivity * k**p.returns_to_scale
    value = ces(pooled, np.ones(k), p.substitution, p.returns_to_scale, scale, axis=0)
    value = value * (1 - p.alignment_weight + p.alignment_weight * shared)
    return value * (1 - p.capacity_weight + p.capacity_weight * skill)


def _value(model: CoopModel, pooled: np.ndarray, s: StepState) -> np.ndarray:
    pid, n_p = s.pid, len(s.ids)
    count = np.maximum(np.bincount(pid, minlength=n_p), 1)
    shared = np.bincount(pid, weights=s.fit, minlength=n_p) / count
    skill = np.bincount(pid, weights=model.orgs.collaborative_capacity[s.org], minlength=n_p)
    value = joint_output(model, pooled, shared, skill / count)
    total = value.sum()
    s.demand_bound = bool(total > model.demand)
    if s.demand_bound:  # wicked problems: value is bounded by public demand
        value = value * (model.demand / total)
    return value


@in_round
def share_benefits(model: CoopModel, state: StepState) -> None:
    """Phase: each partnership pays the transaction costs it owes from its value, then shares
    the rest by the mode's sharing rule; members' payoffs and the round's accounts follow."""
    cfg, orgs, table, s = model.config, model.orgs, model.partnerships_table, state
    org, pid, n_p = s.org, s.pid, len(s.ids)
    paid_costs = np.minimum(s.owed, s.value)
    table.pending_cost[s.ids] = s.owed - paid_costs
    net = s.value - paid_costs
    weights = np.maximum(model.mode.payoff.benefit_weights(model, s.round), 0.0)
    weight_sum = np.bincount(pid, weights=weights, minlength=n_p)[pid]
    norm = np.where(
        weight_sum > 0, weights / np.where(weight_sum > 0, weight_sum, 1.0), 1.0 / s.sizes[pid]
    )
    benefit = net[pid] * norm
    standalone = cfg.production.stand_alone
    s.benefit = benefit
    gained = benefit * s.fit + s.reward - s.sanction - s.dues
    s.membership_return = gained - standalone * s.delivered
    held = np.bincount(org, weights=s.committed_total, minlength=orgs.n)
    endowment = s.available.sum(axis=0)
    kept = np.bincount(org, weights=s.committed_total - s.delivered, minlength=orgs.n)
    orgs.payoff = standalone * (endowment - held + kept) + np.bincount(
        org, weights=gained, minlength=orgs.n
    )
    orgs.benefit_total += np.bincount(org, weights=benefit, minlength=orgs.n)
    table.value[s.ids] += s.value
    table.transaction_costs[s.ids] += paid_costs
    s.benefit_by_sector = np.bincount(orgs.sector[org], weights=benefit, minlength=len(SECTORS))
    s.ledger = {
        "available": float(s.available.sum()),
        "committed": float(s.committed_total.sum()),
        "delivered": float(s.delivered.sum()),
        "overcommitted": float((held - endowment).max()),
        "value": float(s.value.sum()),
        "benefits": float(benefit.sum()),
        "costs_paid": float(paid_costs.sum()),
        "budget": float(model.budget),
        "budget_left": float(s.budget_left),
        "peak_pool_before": s.peak_pool_before,
        "peak_pool_in": s.peak_dues + s.peak_fines,
        "peak_pool_out": s.peak_costs,
        "peak_pool_after": s.peak_pool_after,
    }
