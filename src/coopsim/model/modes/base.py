"""One interface for the four governance modes.

A mode acts only through its rules for each decision: who initiates, how partners are chosen, the
objective, the commitment, how delivery is monitored and enforced, how benefits are shared, who
decides exit, and what the state spends its budget on. Motivation, trust, survival and production
are shared mechanisms that no mode touches directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model import formation
from coopsim.model.formation import Drafts, Shortlist, Terms
from coopsim.model.sectors import PUBLIC_VALUE

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


@dataclass(frozen=True)
class Proposal:
    """One partnership as the mode would form it: lead first among the members."""

    members: np.ndarray
    objective: np.ndarray
    commitment: np.ndarray  # share of each member's endowment
    negotiating_pairs: int
    rounds: int


@dataclass(frozen=True)
class Round:
    """What the mode sees of one step's delivery, one entry per active member row."""

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


def alignment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of goal vectors (rows of ``a`` against ``b``)."""
    na = np.sqrt((a * a).sum(axis=-1))  # np.linalg.norm, bit for bit
    nb = np.sqrt((b * b).sum(axis=-1))
    return (a * b).sum(axis=-1) / np.maximum(na * nb, 1e-12)


class GovernanceMode(ABC):
    """A governance mode: the state's role and its rules for each decision."""

    name: ClassVar[str]
    role: ClassVar[str]
    formality: ClassVar[float]  # how formal its agreements are (feeds institutionalisation)
    monitoring: ClassVar[float]  # share of members monitored each step
    state_monitors: ClassVar[bool]  # monitoring paid from the budget (else from the partnership)
    pays_rewards: ClassVar[bool] = False
    reward_share: ClassVar[float] = 1.0  # most of the budget rewards may take
    mandated: ClassVar[bool] = False  # members are held in while enforcement is funded

    # ---- formation -------------------------------------------------------------------------
    fills_every_seat: ClassVar[bool] = False  # founded only with all size − 1 seats filled

    @abstractmethod
    def initiators(self, model: CoopModel, eligible: np.ndarray) -> np.ndarray:
        """Which eligible organisations may propose a partnership."""

    @abstractmethod
    def shortlist(self, model: CoopModel, leads: np.ndarray) -> Shortlist:
        """Every lead's acceptable partners, best first (all leads at once)."""

    @abstractmethod
    def terms(self, model: CoopModel, drafts: Drafts) -> Terms:
        """Objective, commitments and negotiation effort of each drafted partnership."""

    def draft(self, model: CoopModel, leads: np.ndarray, sizes: np.ndarray) -> Drafts:
        """Partnerships led by ``leads`` (in that order) of the given sizes, as far as the
        ranked candidates still have free membership slots."""
        seats = np.asarray(sizes) - 1
        least = model.config.partnerships.size_min - 1
        fewest = seats if self.fills_every_seat else np.full(len(seats), least)
        return formation.fill_seats(
            leads, self.shortlist(model, leads), seats, fewest, formation.free_slots(model)
        )

    def propose(self, model: CoopModel, lead: int, size: int) -> Proposal | None:
        """The partnership ``lead`` would found now with ``size`` members, or None (one lead's
        formation, for reading and testing; the model drafts all proposals at once)."""
        drafts = self.draft(model, np.array([lead]), np.array([size]))
        if not len(drafts):
            return None
        terms = self.terms(model, drafts)
        return Proposal(
            members=drafts.members,
            objective=terms.objective[0],
            commitment=terms.commitment,
            negotiating_pairs=int(terms.negotiating_pairs[0]),
            rounds=terms.rounds,
        )

    # ---- delivery ----------------------------------------------------------------------------
    def graduated(self, model: CoopModel) -> bool:
        return model.config.incentives.graduated

    def sanctions(self, model: CoopModel) -> bool:
        return model.config.incentives.sanction > 0

    def expected_incentives(self, model: CoopModel, organisation: np.ndarray):
        """(expected reward, expected sanction) per unit of commitment, weighted by sensitivity."""
        inc = model.config.incentives
        orgs = model.orgs
        seen = self.monitoring * model.enforcement_strength
        warned = (model.steps - orgs.last_warning[organisation]) <= inc.warning_memory
        sanction_now = np.where(warned | (not self.graduated(model)), 1.0, 0.3)
        s = orgs.incentive_sensitivity[organisation]
        expected_sanction = seen * inc.sanction * sanction_now if self.sanctions(model) else 0.0
        expected_reward = seen * inc.reward * model.reward_paid_share if self.pays_rewards else 0.0
        return s * expected_reward, s * expected_sanction

    @abstractmethod
    def enforce(self, model: CoopModel, rnd: Round) -> Enforcement:
        """Monitor, sanction and reward this step's delivery."""

    @abstractmethod
    def benefit_weights(self, model: CoopModel, rnd: Round) -> np.ndarray:
        """Each row's claim on its partnership's value (normalised within the partnership)."""

    def exit_groups(self, model: CoopModel, rnd: Round) -> np.ndarray:
        """Group ids: a member who wants out leaves only if most of its group want out too
        (default: each member decides alone)."""
        return np.arange(len(rnd.rows))

    @abstractmethod
    def spend(self, model: CoopModel, budget: float, rnd: Round) -> dict[str, np.ndarray | float]:
        """What the state does with what is left of its budget after enforcement.

        Returns ``seed`` (finance for the next step, per local partnership index) and
        ``training`` (budget per organisation spent on capacity building).
        """

    def review(self, model: CoopModel, t: int) -> None:  # noqa: B027 (an optional hook)
        """Revisit running partnerships after a step (default: nothing to review)."""

    # ---- shared helpers ----------------------------------------------------------------------
    def candidates(self, model: CoopModel, leads: np.ndarray, allowed=None, exclude=None):
        """The shared candidate search (§7.3) for every lead: (leads, M) ids, -1 padded."""
        return formation.candidates(model, leads, allowed, exclude)

    def complementarity(self, model: CoopModel, leads: np.ndarray, cands: np.ndarray):
        """What each candidate (row per lead) would add to its lead's resources."""
        return formation.complementarity(model, leads, cands)

    def pooled_gains(self, model: CoopModel, leads: np.ndarray, cands: np.ndarray):
        """(complementarity, what each lead's resources would add to each candidate's own)."""
        return formation.pooled_gains(model, leads, cands)

    def detect(self, model: CoopModel, rnd: Round, intensity: float | np.ndarray):
        """Rows monitored this step, and those caught short."""
        monitored = rnd.monitor_draw < intensity * model.enforcement_strength
        return monitored, monitored & rnd.shortfall

    def punish(self, model: CoopModel, rnd: Round, caught: np.ndarray, graduated: bool):
        """Sanction amounts per row; with graduated sanctions a first shortfall draws a warning."""
        inc = model.config.incentives
        orgs = model.orgs
        warned = (model.steps - orgs.last_warning[rnd.organisation]) <= inc.warning_memory
        if graduated:
            hit = caught & warned
            orgs.last_warning[rnd.organisation[caught & ~warned]] = model.steps
        else:
            hit = caught
        amount = np.where(hit, inc.sanction * rnd.committed * (1.0 - rnd.observed), 0.0)
        return amount, hit & warned

    def reward_delivery(self, model: CoopModel, rnd: Round, monitored: np.ndarray) -> np.ndarray:
        """Reward members seen to deliver as committed."""
        return np.where(
            monitored & ~rnd.shortfall, model.config.incentives.reward * rnd.delivered, 0.0
        )

    @staticmethod
    def national_objective(goals: np.ndarray) -> np.ndarray:
        """Goal vectors (rows) tilted to public value (the national interest)."""
        target = np.zeros(4)
        target[PUBLIC_VALUE] = 1.0
        v = 0.5 * goals / goals.sum(axis=-1, keepdims=True) + 0.5 * target
        return v / v.sum(axis=-1, keepdims=True)
