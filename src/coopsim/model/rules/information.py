"""Information rules: who monitors whom, how intensely, and who pays for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model.rules.base import Round, Rule

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


class Information(Rule):
    """Who is monitored (a share of members each step) and who pays for monitoring."""

    slot = "information"
    intensity: ClassVar[float]  # share of members monitored each step
    state_pays: ClassVar[bool]  # monitoring paid from the state's budget (else the partnership)
    reads = ("enforcement_strength",)

    def detect(self, model: CoopModel, rnd: Round) -> tuple[np.ndarray, np.ndarray]:
        """Rows monitored this step, and those caught short."""
        monitored = rnd.monitor_draw < self.intensity * model.enforcement_strength
        return monitored, monitored & rnd.shortfall


class Inspection(Information):
    """The state inspects every member, paid from its budget."""

    intensity = 1.0
    state_pays = True


class Audit(Information):
    """The referee audits half of the contracts each step, paid from its budget."""

    intensity = 0.5
    state_pays = True


class PeakMonitoring(Information):
    """Peak organisations monitor their members, paid by the partnership."""

    intensity = 0.75
    state_pays = False


class PeerReview(Information):
    """Members monitor each other (joint evaluation), paid by the partnership."""

    intensity = 0.6
    state_pays = False
