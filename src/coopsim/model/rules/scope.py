"""Scope rules: the partnership's objective, a weighting of the four goal dimensions."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.partnerships import segment_sum
from coopsim.model.rules.base import Rule, peak_delegates
from coopsim.model.sectors import GOVERNMENT, PUBLIC_VALUE

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel


class Scope(Rule):
    """The objective of each drafted partnership (rows summing to 1)."""

    slot = "scope"
    reads = ("orgs.goals",)

    @abstractmethod
    def objective(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Each drafted partnership's objective (goal weights summing to 1)."""


def national_objective(goals: np.ndarray) -> np.ndarray:
    """Goal vectors (rows) tilted half-way to public value (the national interest)."""
    target = np.zeros(4)
    target[PUBLIC_VALUE] = 1.0
    v = 0.5 * goals / goals.sum(axis=-1, keepdims=True) + 0.5 * target
    return v / v.sum(axis=-1, keepdims=True)


class National(Scope):
    """The national objective: the lead's goals tilted half-way to public value."""

    def objective(self, model, drafts):
        return national_objective(model.orgs.goals[drafts.leads])


class Specification(Scope):
    """The tender's specification: the lead agency's own goals."""

    def objective(self, model, drafts):
        goals = model.orgs.goals[drafts.leads]
        return goals / goals.sum(axis=1, keepdims=True)


class PeakBlend(Scope):
    """The blend of the members' peak organisations' goals and the lead's; an agency lead weighs
    its own goals half."""

    reads = ("orgs.goals", "orgs.peak", "orgs.sector")

    def objective(self, model, drafts):
        orgs = model.orgs
        speaks, peak_of, lead_is_peak = peak_delegates(model, drafts)
        goals = speaks.astype(float) @ orgs.goals[peak_of]
        goals += np.where(lead_is_peak, 0.0, 1.0)[:, None] * orgs.goals[drafts.leads]
        negotiators = speaks.sum(axis=1) + ~lead_is_peak
        objective = goals / negotiators[:, None]
        agency = orgs.sector[drafts.leads] == GOVERNMENT
        objective[agency] = 0.5 * objective[agency] + 0.5 * orgs.goals[drafts.leads[agency]]
        return objective / objective.sum(axis=1, keepdims=True)


class CommonGround(Scope):
    """The members' common ground: the sum of their goals."""

    def objective(self, model, drafts):
        common = segment_sum(model.orgs.goals[drafts.members].T, drafts.group, len(drafts)).T
        return common / common.sum(axis=1, keepdims=True)
