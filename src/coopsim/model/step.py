"""What the phases of one step share: a typed state, made anew each step.

A step is a sequence of phases (``CoopModel.phases``, in the order of docs/ODD.md §3), each a
function ``phase(model, state)`` beside its mechanism's module. A phase reads the model's arrays and
what earlier phases left in the state, and writes its own results there; the record phase turns
them into the step's outputs. ``partnerships.commit`` opens the cooperation round (it finds the
active member rows); the phases marked ``in_round`` come after it and are skipped in a step with
no active partnership. Crowding, between them, runs every step (motivation heals regardless).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from coopsim.model.sectors import SECTORS

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.rules.base import Round

Phase = Callable[["CoopModel", "StepState"], None]


def _ints() -> Any:
    return field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _floats() -> Any:
    return field(default_factory=lambda: np.zeros(0))


@dataclass(eq=False)
class StepState:
    """One step's intermediate results, phase by phase (arrays per member row of the round,
    per partnership of the round, or per organisation, as named)."""

    t: int
    # Delivery and monitoring noise per (organisation, membership slot): drawn every step, used or
    # not, so that runs in different modes share their random numbers.
    choice_noise: np.ndarray = _floats()
    observation_noise: np.ndarray = _floats()
    monitor_draw: np.ndarray = _floats()

    # formation and terms
    formed: int = 0
    negotiation_costs: float = 0.0
    proposals_withdrawn: int = 0  # drafts whose lead expected less than going alone
    negotiations: int = 0  # talks held (founding and renewal)
    agreements: int = 0  # talks that agreed
    agreed_surplus: np.ndarray = _floats()  # accepted members' surplus over their outside option
    concessions: np.ndarray = _floats()  # each agreement's concession

    # the round: active member rows, grouped by partnership
    rows: np.ndarray = _ints()
    org: np.ndarray = _ints()  # each row's organisation
    slot: np.ndarray = _ints()  # each row's membership slot
    pid: np.ndarray = _ints()  # each row's partnership, as a local index 0..len(ids)-1
    ids: np.ndarray = _ints()  # each local partnership's id in the partnership table
    starts: np.ndarray = _ints()  # first row of each local partnership
    sizes: np.ndarray = _ints()  # members of each local partnership

    # commitment
    available: np.ndarray = _floats()  # (kinds, organisations) endowment after shocks
    committed: np.ndarray = _floats()  # (kinds, rows) units committed
    committed_total: np.ndarray = _floats()

    # contribution
    src: np.ndarray = _ints()  # co-member pairs, as row positions
    dst: np.ndarray = _ints()
    met: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    partners: np.ndarray = _ints()  # co-members of each row
    trust_in_partners: np.ndarray = _floats()
    fit: np.ndarray = _floats()  # goal fit with the objective, raised by shared understanding
    private_return: np.ndarray = _floats()  # per unit delivered, net of standing alone
    delivery: np.ndarray = _floats()  # share of the commitment delivered
    delivered_units: np.ndarray = _floats()  # (kinds, rows)
    delivered: np.ndarray = _floats()

    # production
    value: np.ndarray = _floats()  # per partnership
    demand_bound: bool = False  # value was rationed to demand

    # monitoring
    observed: np.ndarray = _floats()  # delivery as partners saw it
    round: Round | None = None  # what the mode sees of the round

    # enforcement and spending
    budget_left: float = 0.0
    sanction: np.ndarray = _floats()  # value units per row
    sanctioned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    warned_before: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    reward: np.ndarray = _floats()
    owed: np.ndarray = _floats()  # transaction costs each partnership owes
    dues: np.ndarray = _floats()  # peak dues per row (value units)
    peak_dues: float = 0.0
    peak_fines: float = 0.0
    peak_costs: float = 0.0  # monitoring and enforcement costs the peaks' pools paid
    peak_pool_before: float = 0.0
    peak_pool_after: float = 0.0

    # benefits
    benefit: np.ndarray = _floats()  # value units per row, before fit
    membership_return: np.ndarray = _floats()

    # exit
    exit_cost: np.ndarray = _floats()  # what leaving costs each row now (value units)

    # The round's outputs (their idle values when no partnership is active: a rate or a mean
    # over members has no value then, so NaN, not 0).
    cooperation_rate: float = math.nan
    free_riding_rate: float = math.nan
    partner_trust: float = math.nan
    public_value: float = 0.0
    monitoring_costs: float = 0.0
    enforcement_costs: float = 0.0
    sanctions: int = 0
    rewards: float = 0.0
    budget_spent: float = 0.0
    seed_finance: float = 0.0
    benefit_by_sector: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))
    members_left: int = 0
    exit_penalties: float = 0.0
    peak_expulsions: int = 0
    partnerships_dissolved: int = 0
    partnerships_completed: int = 0
    dilemma_strength: float = math.nan
    dilemma_after_incentives: float = math.nan
    ledger: dict[str, float] = field(default_factory=dict)  # the round's accounts (invariants)

    @property
    def round_open(self) -> bool:
        """Whether some partnership is active this step."""
        return len(self.rows) > 0


def in_round(phase: Phase) -> Phase:
    """Mark a phase of the cooperation round: the step skips it when no partnership is active.
    Such a phase belongs after ``partnerships.commit``, which finds the round's member rows."""
    phase.round_only = True  # type: ignore[attr-defined]
    return phase


def runs_now(phase: Phase, state: StepState) -> bool:
    """Whether the step runs ``phase`` now (a round phase only in a round)."""
    return state.round_open or not getattr(phase, "round_only", False)
