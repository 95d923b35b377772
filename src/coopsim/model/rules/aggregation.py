"""Aggregation rules: how terms are decided — who negotiates with whom, for how many rounds,
and how formal the agreement is."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model.rules.base import Rule, peak_delegates

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel


class Aggregation(Rule):
    """How terms are decided: the negotiating pairs and rounds, and the agreement's formality."""

    slot = "aggregation"
    rounds: ClassVar[int] = 1
    formality: ClassVar[float] = 1.0  # how formal the agreement is (feeds institutionalisation)

    def negotiating_pairs(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Pairs that negotiate each drafted partnership's terms."""
        raise NotImplementedError


class Decree(Aggregation):
    """Decree: the lead sets the terms and tells each member (take it or leave it)."""

    def negotiating_pairs(self, model, drafts):
        return drafts.sizes - 1


class Award(Aggregation):
    """Tender award: the purchaser evaluates every bid once; the contract fixes the terms."""

    def negotiating_pairs(self, model, drafts):
        return drafts.considered


class PeakBargaining(Aggregation):
    """Peak bargaining: the lead and the members' peak organisations negotiate, in two rounds."""

    rounds = 2
    formality = 0.8
    reads = ("orgs.peak", "orgs.sector")

    def negotiating_pairs(self, model, drafts):
        speaks, _, lead_is_peak = peak_delegates(model, drafts)
        negotiators = speaks.sum(axis=1) + ~lead_is_peak
        return negotiators * (negotiators - 1) // 2 + 1


class Multilateral(Aggregation):
    """Multilateral bargaining: every member negotiates with every other, in two rounds."""

    rounds = 2
    formality = 0.5

    def negotiating_pairs(self, model, drafts):
        k = drafts.sizes
        return k * (k - 1) // 2
