"""Choice rules: what a member may commit, and what leaving takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.partnerships import CAUSE
from coopsim.model.rules.base import Rule

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


class Choice(Rule):
    """What a member may commit, and whether one who wants to leave may."""

    slot = "choice"
    reads = ("partnerships.commitment",)

    def commitment(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Each drafted member's commitment, a share of its endowment (default: the preset)."""
        return np.full(len(drafts.members), model.config.partnerships.commitment)

    def exits(self, model: CoopModel, state: StepState, cause: np.ndarray) -> np.ndarray:
        """Of the members who want to leave (``cause`` > 0), who leave, and why (default: each
        decides alone)."""
        return cause


class Mandate(Choice):
    """Mandated commitment; members are held in while the state funds enforcement."""

    reads = ("partnerships.commitment", "enforcement_strength")

    def exits(self, model, state, cause):
        lapse = model.enforcement_strength < 0.5
        return np.where((cause > 0) & lapse, CAUSE["enforcement_lapse"], 0)


class Contract(Choice):
    """Contracted commitment; a member leaves when it chooses to."""


class PeakConsent(Choice):
    """Negotiated commitment; a member leaves only with its peak's consent: when most of its
    sector's members in partnerships want out too."""

    reads = ("partnerships.commitment", "orgs.sector")

    def exits(self, model, state, cause):
        groups = model.orgs.sector[state.org].astype(np.int64)
        share = np.bincount(groups, weights=cause > 0) / np.maximum(np.bincount(groups), 1)
        return np.where(share[groups] >= 0.5, cause, 0)


class Voluntary(Choice):
    """Voluntary commitment that rises with the member's propensity to cooperate."""

    reads = ("partnerships.commitment", "orgs.propensity")

    def commitment(self, model, drafts):
        share = model.config.partnerships.commitment * (0.5 + model.orgs.propensity[drafts.members])
        return np.clip(share, 0.0, 1.0)
