"""Aggregation rules: how terms are decided — who holds control before any trade, who negotiates
with whom, for how many rounds, and how formal the agreement is."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from coopsim.model.rules.base import Rule, peak_delegates

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel


class Aggregation(Rule):
    """How terms are decided: the negotiating pairs and rounds, and the kind of agreement."""

    slot = "aggregation"
    agreement: ClassVar[Literal["contract", "memorandum"]] = "contract"
    bargains: ClassVar[bool] = False  # rounds of bargaining (else one offer)
    reads = ("costs.bargaining_rounds", "trust.memorandum_formality")

    @abstractmethod
    def control(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Each drafted member's control before any trade: the weight of its goals in the
        objective, summing to 1 in each partnership, the lead's the largest."""

    @abstractmethod
    def negotiating_pairs(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Pairs that negotiate each drafted partnership's terms."""

    def rounds(self, model: CoopModel) -> int:
        """Rounds of negotiation: one offer, or ``costs.bargaining_rounds`` of bargaining."""
        return model.config.costs.bargaining_rounds if self.bargains else 1

    def formality(self, model: CoopModel) -> float:
        """How formal the agreement is (feeds institutionalisation): 1 for a formal contract,
        ``trust.memorandum_formality`` for a memorandum of understanding."""
        return 1.0 if self.agreement == "contract" else model.config.trust.memorandum_formality


def lead_only(drafts: Drafts) -> np.ndarray:
    """All control with the lead."""
    return (drafts.members == drafts.leads[drafts.group]).astype(float)


class Decree(Aggregation):
    """Decree: the lead sets the terms in a formal order to each member (take it or leave it)
    and keeps all control."""

    def control(self, model, drafts):
        return lead_only(drafts)

    def negotiating_pairs(self, model, drafts):
        return drafts.sizes - 1


class Award(Aggregation):
    """Tender award: the purchaser evaluates every bid once; a formal contract fixes the terms;
    the purchaser keeps control (it writes the specification)."""

    def control(self, model, drafts):
        return lead_only(drafts)

    def negotiating_pairs(self, model, drafts):
        return drafts.considered


class PeakBargaining(Aggregation):
    """Peak bargaining: the lead and the members' peak organisations bargain to a formal accord,
    over shares of control first (one for the lead, one for each sector whose peak speaks), then
    within each sector (equal); an agency lead, the state as mediator, holds half the control."""

    bargains = True
    reads = (*Aggregation.reads, "orgs.peak", "orgs.sector", "orgs.is_government")

    def control(self, model, drafts):
        orgs = model.orgs
        speaks, _, _ = peak_delegates(model, drafts)
        seats = (speaks.sum(axis=1) + 1.0)[drafts.group]
        sector = orgs.sector[drafts.members].astype(np.int64)
        key = drafts.group * speaks.shape[1] + sector
        in_sector = np.bincount(key, minlength=speaks.size)[key]
        control = np.where(speaks[drafts.group, sector], 1.0 / (seats * in_sector), 0.0)
        lead = drafts.members == drafts.leads[drafts.group]
        control += np.where(lead, 1.0 / seats, 0.0)
        mediator = orgs.is_government[drafts.leads][drafts.group]
        return np.where(mediator, 0.5 * control + 0.5 * lead, control)

    def negotiating_pairs(self, model, drafts):
        speaks, _, lead_is_peak = peak_delegates(model, drafts)
        negotiators = speaks.sum(axis=1) + ~lead_is_peak
        return negotiators * (negotiators - 1) // 2 + 1


class Multilateral(Aggregation):
    """Multilateral bargaining: every member bargains with every other, to a memorandum of
    understanding; each holds an equal part of control, the convenor two."""

    agreement = "memorandum"
    bargains = True

    def control(self, model, drafts):
        lead = drafts.members == drafts.leads[drafts.group]
        weight = np.where(lead, 2.0, 1.0)
        return weight / (drafts.sizes + 1.0)[drafts.group]

    def negotiating_pairs(self, model, drafts):
        k = drafts.sizes
        return k * (k - 1) // 2
