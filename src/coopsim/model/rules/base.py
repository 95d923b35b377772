"""What every rule shares: the rule interface, the round a rule sees, the candidate pool it ranks.

A governance mode is a composition of seven rules, one per rule slot of Ostrom's Institutional
Analysis and Development framework (boundary, position, choice, aggregation, information, payoff,
scope). A rule is a small class; it reads the model's arrays and the step's state, declares which
(``reads``, ``writes``) and assumes nothing of the rules in the other slots.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model import formation
from coopsim.model.population import alignment

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel


class Rule(ABC):
    """One rule for one decision (its slot). Subclasses say what it is in their docstring."""

    slot: ClassVar[str]
    reads: ClassVar[tuple[str, ...]] = ()  # model arrays and parameters it reads
    writes: ClassVar[tuple[str, ...]] = ()  # model state it changes (beyond what it returns)

    @classmethod
    def summary(cls) -> str:
        """The rule in one line (its docstring's first line)."""
        return (cls.__doc__ or cls.__name__).strip().splitlines()[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


@dataclass(frozen=True)
class Round:
    """What the rules see of one step's delivery, one entry per active member row."""

    rows: np.ndarray  # member-table rows, grouped by partnership
    organisation: np.ndarray
    partnership: np.ndarray  # local index 0..len(ids)-1 of the row's partnership
    ids: np.ndarray  # partnership-table id of each local index
    committed: np.ndarray  # resource units committed
    delivered: np.ndarray  # resource units delivered
    observed: np.ndarray  # delivered share as partners observed it
    shortfall: np.ndarray  # observed share below the defection threshold (bool)
    monitor_draw: np.ndarray  # uniform draw per row for who is monitored (common numbers)


@dataclass(frozen=True)
class Enforcement:
    """Sanctions and rewards per row (value units), and who was monitored."""

    sanction: np.ndarray
    reward: np.ndarray
    warned_before: np.ndarray  # the sanctioned had been warned (graduated sanctions)
    monitored: np.ndarray  # bool per row


@dataclass(eq=False)
class Pool:
    """The candidates each lead may ask this step (one row per lead, ``NOBODY``-padded), and
    what is known of them, each computed once however many rules read it."""

    model: CoopModel
    leads: np.ndarray
    cands: np.ndarray
    order: np.ndarray | None = field(default=None)  # an order fixed by the pool's search

    @property
    def them(self) -> np.ndarray:
        return np.maximum(self.cands, 0)

    @cached_property
    def gains(self) -> tuple[np.ndarray, np.ndarray]:
        """(what each candidate adds to its lead's resources, what the lead adds to its own)."""
        return formation.pooled_gains(self.model, self.leads, self.cands)

    @cached_property
    def complementarity(self) -> np.ndarray:
        if "gains" in self.__dict__:
            return self.gains[0]
        return formation.complementarity(self.model, self.leads, self.cands)

    @cached_property
    def fit(self) -> np.ndarray:
        """Alignment of each candidate's goals with its lead's."""
        goals = self.model.orgs.goals
        return alignment(goals[self.them], goals[self.leads][:, None, :])

    @cached_property
    def trust(self) -> tuple[np.ndarray, np.ndarray]:
        """(the lead's trust in each candidate, each candidate's trust in the lead)."""
        lead = np.repeat(self.leads[:, None], self.cands.shape[1], axis=1)
        them = self.them
        trust_in, trusted_by = self.model.trust_between(
            np.stack((lead, them)), np.stack((them, lead))
        )
        return trust_in, trusted_by

    @property
    def considered(self) -> np.ndarray:
        return (self.cands >= 0).sum(axis=1)


def peak_delegates(model: CoopModel, drafts: Drafts):
    """Who speaks for each drafted partnership in peak bargaining: (speaks (F, sectors), each
    sector's peak (0 where none), whether the lead is itself a speaking peak)."""
    orgs = model.orgs
    present = np.zeros((len(drafts), len(orgs.peak)), dtype=bool)
    present[drafts.group, orgs.sector[drafts.members]] = True
    speaks = present & (orgs.peak >= 0)[None, :]
    peak_of = np.where(orgs.peak >= 0, orgs.peak, 0)
    lead_is_peak = np.any(speaks & (peak_of[None, :] == drafts.leads[:, None]), axis=1)
    return speaks, peak_of, lead_is_peak
