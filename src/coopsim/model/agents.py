"""Organisations as Mesa agents: the readable face of the array state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from coopsim.model.sectors import GOAL_DIMENSIONS, RESOURCE_KINDS, SECTORS

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


class Organisation(mesa.Agent):
    """A government agency, firm, NGO or citizen group; its state lives in ``model.orgs``."""

    model: CoopModel

    def __init__(self, model: CoopModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.orgs.names[self.index]

    @property
    def sector(self) -> str:
        return SECTORS[self.model.orgs.sector[self.index]]

    @property
    def resources(self) -> dict[str, float]:
        """This step's endowment by kind, after shocks."""
        row = self.model.orgs.available[:, self.index]
        return dict(zip(RESOURCE_KINDS, row.tolist(), strict=True))

    @property
    def goals(self) -> dict[str, float]:
        return dict(zip(GOAL_DIMENSIONS, self.model.orgs.goals[self.index].tolist(), strict=True))

    @property
    def motivation(self) -> float:
        """Intrinsic motivation net of crowding-out."""
        return float(self.model.orgs.effective_motivation()[self.index])

    @property
    def propensity(self) -> float:
        return float(self.model.orgs.propensity[self.index])

    @property
    def partnerships(self) -> list[int]:
        """Ids of the partnerships it is an active member of."""
        m = self.model.members
        rows = np.flatnonzero(m.view("active") & (m.view("organisation") == self.index))
        return sorted(int(p) for p in m.partnership[rows])

    def trust_in(self, other: Organisation) -> float:
        """Effective trust in another organisation (trust between strangers if never met)."""
        return float(self.model.trust_between(np.array([self.index]), np.array([other.index]))[0])

    def __repr__(self) -> str:
        return f"Organisation({self.name})"
