"""Scope rules: the partnership's objective, a weighting of the four goal dimensions."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.partnerships import segment_sum
from coopsim.model.rules.base import Rule, peak_delegates
from coopsim.model.sectors import PUBLIC_VALUE

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel


class Scope(Rule):
    """The objective of each drafted partnership (rows summing to 1), from its members' goals
    and the control each holds."""

    slot = "scope"
    reads = ("orgs.goals",)

    @abstractmethod
    def objective(self, model: CoopModel, drafts: Drafts, control: np.ndarray) -> np.ndarray:
        """Each drafted partnership's objective (goal weights summing to 1)."""


def blend(goals: np.ndarray, drafts: Drafts, control: np.ndarray) -> np.ndarray:
    """Goal vectors of the drafted members (rows, each summing to 1 first) weighted by their
    control, summed per partnership and normalised."""
    weighted = goals / goals.sum(axis=1, keepdims=True) * control[:, None]
    out = segment_sum(weighted.T, drafts.group, len(drafts)).T
    return out / out.sum(axis=1, keepdims=True)


def national_objective(goals: np.ndarray) -> np.ndarray:
    """Goal vectors (rows) tilted half-way to public value (the national interest)."""
    target = np.zeros(4)
    target[PUBLIC_VALUE] = 1.0
    v = 0.5 * goals / goals.sum(axis=-1, keepdims=True) + 0.5 * target
    return v / v.sum(axis=-1, keepdims=True)


class National(Scope):
    """The national objective: the goals of those holding control tilted half-way to public
    value."""

    def objective(self, model, drafts, control):
        return national_objective(blend(model.orgs.goals[drafts.members], drafts, control))


class Specification(Scope):
    """The tender's specification: the goals of those holding control, as written (no tilt)."""

    def objective(self, model, drafts, control):
        return blend(model.orgs.goals[drafts.members], drafts, control)


class PeakBlend(Scope):
    """The blend the peaks negotiate: a member of a sector whose peak speaks is represented by
    its peak's goals, the lead by its own; weighted by control."""

    reads = ("orgs.goals", "orgs.peak", "orgs.sector")

    def objective(self, model, drafts, control):
        orgs = model.orgs
        speaks, peak_of, _ = peak_delegates(model, drafts)
        sector = orgs.sector[drafts.members]
        lead = drafts.members == drafts.leads[drafts.group]
        voice = np.where(speaks[drafts.group, sector] & ~lead, peak_of[sector], drafts.members)
        return blend(orgs.goals[voice], drafts, control)


class CommonGround(Scope):
    """The members' common ground: every member's goals, weighted by its control."""

    def objective(self, model, drafts, control):
        return blend(model.orgs.goals[drafts.members], drafts, control)
