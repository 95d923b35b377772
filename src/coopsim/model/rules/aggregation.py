"""Aggregation rules: how terms are decided — who negotiates with whom, for how many rounds,
and how formal the agreement is."""

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
    def negotiating_pairs(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Pairs that negotiate each drafted partnership's terms."""

    def rounds(self, model: CoopModel) -> int:
        """Rounds of negotiation: one offer, or ``costs.bargaining_rounds`` of bargaining."""
        return model.config.costs.bargaining_rounds if self.bargains else 1

    def formality(self, model: CoopModel) -> float:
        """How formal the agreement is (feeds institutionalisation): 1 for a formal contract,
        ``trust.memorandum_formality`` for a memorandum of understanding."""
        return 1.0 if self.agreement == "contract" else model.config.trust.memorandum_formality


class Decree(Aggregation):
    """Decree: the lead sets the terms in a formal order to each member (take it or leave it)."""

    def negotiating_pairs(self, model, drafts):
        return drafts.sizes - 1


class Award(Aggregation):
    """Tender award: the purchaser evaluates every bid once; a formal contract fixes the terms."""

    def negotiating_pairs(self, model, drafts):
        return drafts.considered


class PeakBargaining(Aggregation):
    """Peak bargaining: the lead and the members' peak organisations bargain to a formal accord."""

    bargains = True
    reads = (*Aggregation.reads, "orgs.peak", "orgs.sector")

    def negotiating_pairs(self, model, drafts):
        speaks, _, lead_is_peak = peak_delegates(model, drafts)
        negotiators = speaks.sum(axis=1) + ~lead_is_peak
        return negotiators * (negotiators - 1) // 2 + 1


class Multilateral(Aggregation):
    """Multilateral bargaining: every member bargains with every other, to a memorandum of
    understanding."""

    agreement = "memorandum"
    bargains = True

    def negotiating_pairs(self, model, drafts):
        k = drafts.sizes
        return k * (k - 1) // 2
