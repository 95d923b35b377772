"""Boundary rules: who may initiate a partnership, who may be asked to join, and who agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model import formation
from coopsim.model.rules.base import Pool, Rule

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


class Boundary(Rule):
    """Who may initiate, who may be asked, who agrees to join."""

    slot = "boundary"

    def initiators(self, model: CoopModel, eligible: np.ndarray) -> np.ndarray:
        """Which eligible organisations may propose a partnership (default: any)."""
        return eligible

    def joinable(self, model: CoopModel) -> np.ndarray | None:
        """Mask of organisations that may be asked to join (None: any eligible one)."""
        return None

    def joins(self, model: CoopModel, pool: Pool) -> np.ndarray | None:
        """Which asked candidates agree to join (None: every one asked)."""
        return None


class Agencies(Boundary):
    """Agencies initiate; any eligible organisation may be assigned as a member."""

    reads = ("orgs.is_government",)

    def initiators(self, model, eligible):
        return eligible[model.orgs.is_government[eligible]]


class Tender(Agencies):
    """Agencies initiate by tender; only non-state organisations may bid."""

    def joinable(self, model):
        return ~model.orgs.is_government


class Insiders(Boundary):
    """Agencies and peak organisations initiate; only peak members (insiders) are nominated."""

    reads = ("orgs.is_government", "orgs.peak", "orgs.peak_member")

    def initiators(self, model, eligible):
        orgs = model.orgs
        return eligible[orgs.is_government[eligible] | np.isin(eligible, orgs.peak)]

    def joinable(self, model):
        return model.orgs.peak_member.copy()


class Open(Boundary):
    """Anyone may initiate; a candidate joins only if it wants to (voluntary joining).

    It wants to with a chance that rises with shared goals, with its trust in the lead and with
    what the lead's resources add to its own (complementarity)."""

    reads = (
        "orgs.goals",
        "orgs.available",
        "relationships",
        "streams.formation",
        "partnerships.join_appeal",
        "partnerships.join_steepness",
        "partnerships.join_complementarity",
    )

    def joins(self, model, pool):
        p = model.config.partnerships
        _, trusted_by = pool.trust
        _, back = pool.gains
        gain = back / formation.row_max(back, pool.cands)
        appeal = pool.fit + trusted_by + p.join_complementarity * gain
        draw = model.streams.formation.random(pool.cands.shape)
        return draw < 0.5 * (1.0 + np.tanh(p.join_steepness * (appeal - p.join_appeal)))
