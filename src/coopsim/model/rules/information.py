"""Information rules: who monitors whom, and who pays for it.

A rule says, per member row, the chance it is observed this step (``coverage``) and draws who is
from the step's monitoring numbers (one uniform per row, the same in every mode). A short-funded
state monitors less: a state-paid rule's coverage is scaled by the enforcement strength."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from coopsim.model.rules.base import Round, Rule

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


class Information(Rule):
    """Who is observed each step, and who pays for monitoring."""

    slot = "information"
    payer: ClassVar[Literal["state", "partnership", "peak"]]  # who pays for monitoring
    reads = ("incentives.monitoring", "enforcement_strength")

    @property
    def state_pays(self) -> bool:
        return self.payer == "state"

    def strength(self, model: CoopModel, organisation: np.ndarray) -> np.ndarray | float:
        """The share of its planned monitoring the payer can afford, per organisation observed:
        the state's enforcement strength, a peak's, or 1 where partnerships pay."""
        return model.enforcement_strength if self.payer == "state" else 1.0

    def coverage(self, model: CoopModel, organisation: np.ndarray) -> np.ndarray:
        """The chance that a member row of each given organisation is observed at full funding."""
        return np.full(len(organisation), model.config.incentives.monitoring)

    def draws(self, model: CoopModel, rnd: Round) -> np.ndarray:
        """The uniform number deciding whether each row is observed (default: its own)."""
        return rnd.monitor_draw

    def detect(self, model: CoopModel, rnd: Round) -> tuple[np.ndarray, np.ndarray]:
        """Rows monitored this step, and those caught short."""
        org = rnd.organisation
        chance = self.coverage(model, org) * self.strength(model, org)
        monitored = self.draws(model, rnd) < chance
        return monitored, monitored & rnd.shortfall


class Inspection(Information):
    """The state inspects every member, paid from its budget."""

    payer = "state"
    reads = ("enforcement_strength",)

    def coverage(self, model, organisation):
        return np.ones(len(organisation))


class Audit(Information):
    """The referee audits a share (``incentives.monitoring``) of the contracts, paid from its
    budget: every member of an audited partnership is observed."""

    payer = "state"

    def draws(self, model, rnd):
        first = np.searchsorted(rnd.partnership, np.arange(len(rnd.ids)))  # rows are grouped
        return rnd.monitor_draw[first][rnd.partnership]


class PeakMonitoring(Information):
    """Peak organisations observe a share (``incentives.monitoring``) of their own members, paid
    from their pools of members' dues (``incentives.peak_dues``); outsiders are not observed."""

    payer = "peak"
    reads = (
        "incentives.monitoring",
        "incentives.peak_dues",
        "costs.monitoring",
        "orgs.peak_member",
        "orgs.sector",
        "peak_pool",
        "peak_strength",
    )
    writes = ("peak_pool", "peak_strength")

    def strength(self, model, organisation):
        return model.peak_strength[model.orgs.sector[organisation]]

    def coverage(self, model, organisation):
        insider = model.orgs.peak_member[organisation]
        return np.where(insider, model.config.incentives.monitoring, 0.0)


class PeerReview(Information):
    """Members observe each other (joint evaluation): a share (``incentives.monitoring``) of
    them each step, paid by the partnership."""

    payer = "partnership"
