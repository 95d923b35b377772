"""Choice rules: what a member may commit, and what leaving takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model import peaks
from coopsim.model.partnerships import CAUSE
from coopsim.model.rules.base import Rule

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


class Choice(Rule):
    """What a member may commit, and what leaving costs it."""

    slot = "choice"
    pays_on_exit: ClassVar[bool] = False  # the exit cost is a penalty paid now (else forfeited)
    reads = ("partnerships.commitment", "governance.contract_term", "state.membership_return")
    writes = ("state.exit_cost",)

    def commitment(self, model: CoopModel, drafts: Drafts) -> np.ndarray:
        """Each drafted member's commitment, a share of its endowment (default: the preset)."""
        return np.full(len(drafts.members), model.config.partnerships.commitment)

    def exit_cost(self, model: CoopModel, state: StepState) -> np.ndarray:
        """What leaving now would cost each member row, in value units (default: nothing)."""
        return np.zeros(len(state.rows))

    def refusal_cost(self, model: CoopModel, drafts: Drafts, units: np.ndarray) -> np.ndarray:
        """What refusing the terms would cost each drafted member a month, in value units, given
        the resource units it is asked to commit (default: nothing)."""
        return np.zeros(len(drafts.members))

    def after_exit(self, model: CoopModel, state: StepState, chose: np.ndarray) -> None:
        """What follows for the rows that chose to leave (default: nothing more)."""

    def exits(self, model: CoopModel, state: StepState, cause: np.ndarray) -> np.ndarray:
        """Of the members who want to leave (``cause`` > 0), those who do, and why: a member
        leaves when staying to the end of the term would cost it at least what leaving costs.
        What leaving costs each row is left in ``state.exit_cost``."""
        cost = state.exit_cost = self.exit_cost(model, state)
        return np.where(staying_loss(model, state) >= cost, cause, 0)


def months_left(model: CoopModel, state: StepState) -> np.ndarray:
    """Months to the end of each member row's current term (``governance.contract_term``)."""
    term = model.config.governance.contract_term
    age = state.t - model.partnerships_table.formed[state.ids][state.pid]
    return term - age % term


def staying_loss(model: CoopModel, state: StepState) -> np.ndarray:
    """What staying to the end of the term costs each row: its loss this month, continued."""
    return np.maximum(-state.membership_return, 0.0) * months_left(model, state)


class Mandate(Choice):
    """Mandated commitment; refusing it, or leaving before the term ends, costs a penalty while
    the state funds enforcement: ``incentives.sanction`` per unit of the commitment refused or
    left undelivered."""

    pays_on_exit = True
    reads = (*Choice.reads, "incentives.sanction", "enforcement_strength", "state.committed")

    def exit_cost(self, model, state):
        return self.penalty(model, state) * model.enforcement_strength

    def refusal_cost(self, model, drafts, units):
        """A member who refuses its mandate owes the penalty on a month's commitment."""
        return model.config.incentives.sanction * units * model.enforcement_strength

    @staticmethod
    def penalty(model: CoopModel, state: StepState) -> np.ndarray:
        """The penalty at full enforcement: the sanction on the rest of the term's commitment."""
        rest = state.committed_total * months_left(model, state)
        return model.config.incentives.sanction * rest

    def exits(self, model, state, cause):
        """As every choice rule; a member that leaves only because a short-funded state charges
        less than the full penalty leaves for ``enforcement_lapse``."""
        cause = super().exits(model, state, cause)
        lapsed = (cause > 0) & (staying_loss(model, state) < self.penalty(model, state))
        return np.where(lapsed, CAUSE["enforcement_lapse"], cause)


class Contract(Choice):
    """Contracted commitment; a member leaves when it chooses to."""


class PeakMembership(Choice):
    """Negotiated commitment; a member of a peak that leaves before the term ends breaks ranks
    and is expelled for a term (``governance.contract_term``): it forfeits the share its peak
    negotiates for it (its benefit this month, for that term) and is an outsider until then."""

    reads = (*Choice.reads, "orgs.peak_member", "state.benefit")
    writes = (*Choice.writes, "orgs.peak_member", "orgs.expelled_until")

    def exit_cost(self, model, state):
        insider = model.orgs.peak_member[state.org]
        forfeited = state.benefit * model.config.governance.contract_term
        return np.where(insider, np.maximum(forfeited, 0.0), 0.0)

    def after_exit(self, model, state, chose):
        peaks.expel(model, state, chose)


class Voluntary(Choice):
    """Voluntary commitment that rises with the member's propensity to cooperate."""

    reads = (*Choice.reads, "orgs.propensity")

    def commitment(self, model, drafts):
        share = model.config.partnerships.commitment * (0.5 + model.orgs.propensity[drafts.members])
        return np.clip(share, 0.0, 1.0)
