"""Shocks of a VUCA world: scheduled or random, aimed at a sector or at named organisations.

Lasting shocks (``capacity_loss``, ``budget_cut``, ``demand_surge``) hold for their duration and
compound when they overlap; one-off shocks (``trust_shock``, ``staff_exodus``) strike once. A
budget cut reaches the targeted agencies' share of the budget; a demand surge raises the whole
society's demand, whatever its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model import trust
from coopsim.model.config import Shock
from coopsim.model.sectors import FINANCE, SECTORS
from coopsim.model.turnover import replace_liaisons

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

LASTING = ("capacity_loss", "budget_cut", "demand_surge")


@dataclass(frozen=True)
class FiredShock:
    step: int
    kind: str
    target: str
    severity: float
    duration: int
    organisations: np.ndarray

    @property
    def until(self) -> int:
        return self.step + self.duration


def resolve_target(target: str | tuple[str, ...], names: list[str], sector: np.ndarray):
    """Organisation indices a shock's target names: ``all``, a sector, an organisation, or a
    list of these (each item's organisations in turn); ValueError for unknown names."""
    wanted = (target,) if isinstance(target, str) else tuple(target)
    index = {name: i for i, name in enumerate(names)}
    unknown = [w for w in wanted if w not in index and w != "all" and w not in SECTORS]
    if unknown:
        raise ValueError(f"shock target names unknown organisations: {', '.join(unknown)}")
    parts = [
        np.arange(len(names))
        if w == "all"
        else np.flatnonzero(sector == SECTORS.index(w))
        if w in SECTORS
        else np.array([index[w]])
        for w in wanted
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


class ShockSchedule:
    """Fires shocks as steps pass and reports the effects in force."""

    def __init__(self, shocks: tuple[Shock, ...], names: list[str], sector: np.ndarray):
        self.specs = shocks
        self.targets = [resolve_target(s.target, names, sector) for s in shocks]
        self.fired: list[FiredShock] = []
        self.active: list[FiredShock] = []

    def fire(self, step: int, rng: np.random.Generator) -> list[FiredShock]:
        """Shocks that strike at this step (random ones draw from ``rng`` every step)."""
        draws = rng.random(len(self.specs))  # one draw per spec, fired or not: common numbers
        new = []
        for spec, targets, u in zip(self.specs, self.targets, draws, strict=True):
            due = spec.at == step if spec.at is not None else u < (spec.rate or 0.0)
            if due:
                label = spec.target if isinstance(spec.target, str) else ",".join(spec.target)
                new.append(
                    FiredShock(step, spec.kind, label, spec.severity, spec.duration, targets)
                )
        self.fired.extend(new)
        self.active = [s for s in self.active if s.until > step]
        self.active.extend(s for s in new if s.kind in LASTING)
        return new

    def trigger(self, shock: FiredShock) -> None:
        """Add a shock fired by hand (e.g. from the browser app)."""
        self.fired.append(shock)
        if shock.kind in LASTING:
            self.active.append(shock)

    def capacity(self, n: int) -> np.ndarray:
        """Share of each organisation's endowment left after capacity losses in force."""
        cap = np.ones(n)
        for s in self.active:
            if s.kind == "capacity_loss":
                cap[s.organisations] *= 1.0 - s.severity
        return cap

    def budget_factor(self, n: int) -> np.ndarray:
        """Share of each organisation's budget left after cuts in force (agencies hold budgets)."""
        factor = np.ones(n)
        for s in self.active:
            if s.kind == "budget_cut":
                factor[s.organisations] *= 1.0 - s.severity
        return factor

    def demand_factor(self) -> float:
        return float(np.prod([1.0 + s.severity for s in self.active if s.kind == "demand_surge"]))


def environment(model: CoopModel, state: StepState) -> None:
    """Phase: public demand drifts back towards its level with noise; shocks strike."""
    env = model.config.environment
    fired = model.shocks.fire(state.t, model.streams.shocks)
    drift = model.streams.demand.standard_normal()
    model.demand_level += (
        env.demand_reversion * (env.demand * model.orgs.n - model.demand_level)
        + env.demand_volatility * model.demand_level * drift
    )
    model.demand_level = max(model.demand_level, 0.0)
    for shock in fired:
        strike(model, shock)
    apply_lasting(model)


def apply_lasting(model: CoopModel) -> None:
    """The effects of the lasting shocks in force: capacity, demand and the state's budget; with
    the control trade, a budget cut also lowers the targeted agencies' own finance."""
    orgs = model.orgs
    orgs.capacity = model.shocks.capacity(orgs.n)
    budget = model.shocks.budget_factor(orgs.n)
    if model.config.partnerships.control_trade:
        orgs.available[FINANCE] *= budget
    model.demand = model.demand_level * model.shocks.demand_factor()
    model.budget_share = budget[orgs.is_government]
    model.budget = model.config.environment.budget * float(model.budget_share.sum())


def strike(model: CoopModel, shock: FiredShock) -> None:
    """A one-off shock's effect (lasting ones act through the schedule)."""
    model.last_shock = shock
    if shock.kind == "trust_shock":
        rel = model.relationships
        rows = rel.towards(shock.organisations)
        rel.personal[rows] *= 1.0 - shock.severity
        rel.institutional[rows] *= 1.0 - shock.severity
        rel.damage[rows] = trust.add_damage(rel.damage[rows], 1.0, shock.severity)
    elif shock.kind == "staff_exodus":
        leave = np.zeros(model.orgs.n, dtype=bool)
        draws = model.streams.shocks.random(len(shock.organisations))
        leave[shock.organisations[draws < shock.severity]] = True
        replace_liaisons(model, leave)
