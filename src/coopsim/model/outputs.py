"""Every output of the model, declared once: name, level, type, unit, label and meaning.

Parameters have one declaration (``config.py``); this is the same for what a run produces. Four
levels: ``step`` (a row of ``CoopModel.timeseries()``), ``run`` (an entry of ``summary()``),
``partnership`` (a row of ``partnerships()``) and ``member`` (one member's terms in one
negotiation, a row of ``terms()``). Each level lists its outputs in the order the model
produces them.

An output's ``role`` says how readers treat it: a ``key`` identifies the row (the step, the
run's seed), ``context`` describes its circumstances (the mode in force, public demand), and an
``indicator`` is an outcome to compare across modes and sweeps. Outputs whose names depend on the
population or the causes (``trust_<a>_<b>``, ``benefit_share_<sector>``, ``dissolved_<cause>``)
are families generated from ``SECTORS`` and ``CAUSES``. A run output that is a statistic of a step
output (``cooperation_rate``, the window mean) names it, so ``derive`` computes it from any time
series, and calibration targets can be declared the same way.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple, get_args

from coopsim.model.config import MODES
from coopsim.model.partnerships import CAUSES, STATUS_NAMES
from coopsim.model.sectors import SECTORS, pair_name

__all__ = [
    "FAMILIES",
    "LEVELS",
    "OUTPUTS",
    "Derived",
    "Family",
    "Output",
    "UnknownOutput",
    "check",
    "derive",
    "family",
    "find",
    "get",
    "markdown",
    "names",
    "suggest",
    "table",
]

Level = Literal["step", "run", "partnership", "member"]
Role = Literal["key", "context", "indicator"]
DType = Literal["int", "float", "bool", "str", "list"]  # list: a list of text
Statistic = Literal["window_mean", "mean", "sum"]
LEVELS: tuple[str, ...] = get_args(Level)
ROLES: tuple[str, ...] = get_args(Role)
STATISTICS: dict[str, str] = {  # what each statistic is, in words (steps without a value skipped)
    "window_mean": "mean over the last `metrics.window` steps",
    "mean": "mean over all steps",
    "sum": "sum over all steps",
}
_PANDAS = {"int": "int64", "float": "float64", "bool": "bool", "str": "str", "list": "object"}
_NULLABLE = {"int": "Int64", "float": "float64", "bool": "boolean", "str": "str", "list": "object"}


class Derived(NamedTuple):
    """A run output that is a statistic of a step output."""

    statistic: Statistic
    source: str


@dataclass(frozen=True)
class Output:
    """One output. ``label`` is short (axes, table rows); ``meaning`` one sentence (reports, docs).

    ``missing`` says what a missing value (None, NaN) means; only outputs with one can be
    missing. ``low``/``high`` bound its values (figures clip confidence bands to them); ``values``
    lists what a text output can hold. A family member says what it is ``about`` (its sectors or
    cause) and ``requires`` the sectors that must be present for it to be recorded. ``derived``
    (run level) names the step output it summarises and how; ``run`` (step level) is the run
    output derived from it, filled in from the run outputs' ``derived``.
    """

    name: str
    level: Level
    dtype: DType
    label: str
    unit: str
    meaning: str
    role: Role = "indicator"
    missing: str = ""
    low: float = -math.inf
    high: float = math.inf
    values: tuple[str, ...] = ()
    derived: Derived | None = None
    run: str | None = None
    family: str | None = None
    about: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()

    @property
    def indicator(self) -> bool:
        """An outcome to compare across modes (not a key, not context)."""
        return self.role == "indicator"

    @property
    def nullable(self) -> bool:
        return bool(self.missing)

    @property
    def numeric(self) -> bool:
        return self.dtype in ("int", "float")

    @property
    def pandas_dtype(self) -> str:
        """The column's pandas dtype (``Int64`` for whole numbers that may be missing)."""
        return (_NULLABLE if self.nullable else _PANDAS)[self.dtype]


@dataclass(frozen=True)
class Family:
    """Outputs named by a pattern over sectors or causes; ``members`` makes them, in order."""

    pattern: str
    level: Level
    label: str
    unit: str
    meaning: str
    members: Callable[[], tuple[Output, ...]]


class UnknownOutput(KeyError):
    """A name that is no output (of the level asked for); the message suggests the closest."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _out(
    name: str, level: Level, dtype: DType, label: str, unit: str, meaning: str, **kw
) -> Output:
    return Output(name, level, dtype, label, unit, meaning, **kw)


def _pretty(name: str) -> str:
    return name.replace("_", " ")


_SHARE = {"low": 0.0, "high": 1.0}
_COUNT = {"low": 0.0}
# What a missing value means for a rate or a mean over members (no members: no value, not 0).
_NO_ROUND = "no active partnership this month"
_NO_WINDOW = "no partnership in the window"
_NOTHING_SHARED = "nothing distributed this month"
_NO_PARTNERSHIP = "no partnership in the run"


# --------------------------------------------------------------------------------------------------
# Families


def _sector_trust() -> tuple[Output, ...]:
    return tuple(
        _out(
            pair_name(i, i + j),
            "step",
            "float",
            f"Trust: {_pretty(a)} – {_pretty(b)}",
            "effective trust, 0–1",
            f"Mean effective trust over the relationships between {_pretty(a)} and {_pretty(b)} "
            "organisations, in either direction (the trust between strangers where there is "
            "none yet).",
            family="trust_<a>_<b>",
            about=(a, b),
            requires=tuple(dict.fromkeys((a, b))),
            **_SHARE,
        )
        for i, a in enumerate(SECTORS)
        for j, b in enumerate(SECTORS[i:])
    )


def _benefit_shares() -> tuple[Output, ...]:
    return tuple(
        _out(
            f"benefit_share_{sector}",
            "step",
            "float",
            f"Benefit share: {_pretty(sector)}",
            "share of value",
            f"The {_pretty(sector)} sector's share of the benefit distributed this step "
            "(none when nothing was distributed).",
            family="benefit_share_<sector>",
            about=(sector,),
            missing=_NOTHING_SHARED,
            **_SHARE,
        )
        for sector in SECTORS
    )


def _control_shares() -> tuple[Output, ...]:
    return tuple(
        _out(
            f"control_share_{sector}",
            "step",
            "float",
            f"Control share: {_pretty(sector)}",
            "share of control",
            f"The {_pretty(sector)} sector's share of the control (the weight of members' goals "
            "in their partnerships' objectives) held in active partnerships at the end of the "
            "step (none when no partnership is active).",
            family="control_share_<sector>",
            about=(sector,),
            missing=_NO_ROUND,
            **_SHARE,
        )
        for sector in SECTORS
    )


# Why a partnership dissolved, in words (the causes of partnerships.CAUSES).
CAUSE_MEANINGS = {
    "low_trust": "its members' trust in their partners stayed below `partnerships.exit_trust`",
    "goal_conflict": "its members' goals fitted its objective poorly",
    "free_riding": "its members saw their partners withhold their commitments",
    "outside_option": "its members found a better stand-alone use of their resources",
    "lead_exit": "its lead walked away for its outside option",
    "too_few_members": "fewer than `partnerships.min_members` remained with nobody leaving, "
    "which the current model never produces",
    "shock": "a capacity shock drove its members or its lead out",
    "enforcement_lapse": "left only because a short-funded state charged less than the full "
    "exit penalty",
    "replaced": "of a re-tender, which never happens: an outbid member leaves, the partnership "
    "goes on",
}


def _dissolutions() -> tuple[Output, ...]:
    return tuple(
        _out(
            f"dissolved_{cause}",
            "run",
            "int",
            f"Dissolved: {_pretty(cause)}",
            "count per run",
            f"Partnerships dissolved over the run because {CAUSE_MEANINGS[cause]}.",
            family="dissolved_<cause>",
            about=(cause,),
            **_COUNT,
        )
        for cause in CAUSES
        if cause not in ("", "completed")
    )


FAMILIES: tuple[Family, ...] = (
    Family(
        "trust_<a>_<b>",
        "step",
        "Trust: a – b",
        "effective trust, 0–1",
        "Mean effective trust over the relationships between organisations of sectors a and b, "
        "in either direction; one column per pair of sectors present (a before b in sector "
        "order, a = b included).",
        _sector_trust,
    ),
    Family(
        "benefit_share_<sector>",
        "step",
        "Benefit share: sector",
        "share of value",
        "Each sector's share of the benefit distributed this step (none when nothing was "
        "distributed); one column per sector.",
        _benefit_shares,
    ),
    Family(
        "control_share_<sector>",
        "step",
        "Control share: sector",
        "share of control",
        "Each sector's share of the control held in active partnerships (none when no "
        "partnership is active); one column per sector.",
        _control_shares,
    ),
    Family(
        "dissolved_<cause>",
        "run",
        "Dissolved, by cause",
        "count per run",
        "Partnerships dissolved over the run, by cause: "
        + ", ".join(f"`{c}`" for c in CAUSES if c not in ("", "completed"))
        + " (`replaced` and `too_few_members` are always 0).",
        _dissolutions,
    ),
)
_FAMILY = {f.pattern: f for f in FAMILIES}


# --------------------------------------------------------------------------------------------------
# The outputs, level by level, in the order the model produces them

_PER_MONTH = "value units per month"

_STEP: tuple[Output | str, ...] = (
    _out("step", "step", "int", "Step", "month", "Step number, from 0; one step is one month.",
         role="key", **_COUNT),
    _out("mode", "step", "str", "Governance mode", "",
         "Name of the governance mode in force (it changes at a scheduled reform).",
         role="context", values=MODES),
    _out("demand", "step", "float", "Public demand", _PER_MONTH,
         "Public demand this step: the ceiling on the public value all partnerships together "
         "can produce.", role="context", **_COUNT),
    _out("budget", "step", "float", "Government budget", _PER_MONTH,
         "The government budget this step, for the mode's spending (what is left unspent is not "
         "carried over).", role="context", **_COUNT),
    _out("participation_rate", "step", "float", "Participation rate",
         "share of organisations in a partnership",
         "Share of organisations in at least one active partnership at the end of the step.",
         **_SHARE),
    _out("mean_trust", "step", "float", "Mean trust", "effective trust, 0–1",
         "Mean effective trust over all relationships that exist (the trust between strangers "
         "when there is none).", **_SHARE),
    _out("active_partnerships", "step", "int", "Active partnerships", "count",
         "Partnerships active at the end of the step.", **_COUNT),
    _out("partnerships_formed", "step", "int", "Partnerships formed", "count per month",
         "Partnerships founded this step.", **_COUNT),
    _out("cooperation_rate", "step", "float", "Cooperation rate",
         "share of committed resources delivered",
         "Resources delivered ÷ resources committed over all active member rows this step "
         "(none when nothing was committed: no partnership is active).", missing=_NO_ROUND,
         **_SHARE),
    _out("free_riding_rate", "step", "float", "Free-riding rate", "share of members withholding",
         "Share of active member rows whose delivery share is below `trust.defection_threshold` "
         "(none when no partnership is active).", missing=_NO_ROUND, **_SHARE),
    _out("partner_trust", "step", "float", "Trust between partners", "effective trust, 0–1",
         "Mean trust of active members in their co-members at the start of the round (none "
         "when no partnership is active).", missing=_NO_ROUND, **_SHARE),
    _out("public_value", "step", "float", "Public value", _PER_MONTH,
         "Public value produced this step, summed over partnerships after rationing by demand.",
         **_COUNT),
    _out("monitoring_costs", "step", "float", "Monitoring costs", _PER_MONTH,
         "Monitoring costs incurred this step.", **_COUNT),
    _out("enforcement_costs", "step", "float", "Enforcement costs", _PER_MONTH,
         "Enforcement costs incurred this step (a cost per sanction applied).", **_COUNT),
    _out("sanctions", "step", "int", "Sanctions", "count per month",
         "Sanctions applied this step.", **_COUNT),
    _out("rewards", "step", "float", "Rewards", _PER_MONTH,
         "Rewards paid this step, after the budget's cap.", **_COUNT),
    _out("budget_spent", "step", "float", "Budget spent", _PER_MONTH,
         "Government budget used this step.", **_COUNT),
    _out("seed_finance", "step", "float", "Seed finance", "resource units per month",
         "Finance the state seeded into partnerships' production this step.", **_COUNT),
    _out("members_left", "step", "int", "Members leaving", "count per month",
         "Members who left a partnership on their own this step (the remaining members of a "
         "partnership that ends are not counted).", **_COUNT),
    _out("demand_bound", "step", "int", "Demand bound binds", "0 or 1",
         "1 when the public value produced this step was rationed to demand (the demand bound "
         "binds), else 0.", low=0, high=1),
    _out("cross_sector_share", "step", "float", "Cross-sector share", "share of partnerships",
         "Share of this step's active partnerships whose members span at least two sectors.",
         missing=_NO_ROUND, **_SHARE),
    _out("peak_dues", "step", "float", "Peak dues", _PER_MONTH,
         "Dues members paid into their peaks' pools this step (only where peaks pay for "
         "monitoring).", **_COUNT),
    _out("peak_pool", "step", "float", "Peak pools", "value units",
         "What the peaks' pools hold after this step's dues, fines and costs.", **_COUNT),
    _out("peak_expulsions", "step", "int", "Peak expulsions", "count per month",
         "Members expelled from their peak this step for leaving a partnership early.",
         **_COUNT),
    _out("exit_penalties", "step", "float", "Exit penalties", _PER_MONTH,
         "Penalties members paid this step for leaving before their term ended (the choice "
         "rule's cost of exit; zero under rules whose exit is free).", **_COUNT),
    _out("partnerships_dissolved", "step", "int", "Partnerships dissolved", "count per month",
         "Partnerships dissolved this step.", **_COUNT),
    _out("partnerships_completed", "step", "int", "Partnerships completed", "count per month",
         "Partnerships that met their objective this step.", **_COUNT),
    _out("dilemma_strength", "step", "float", "Dilemma strength", "value units",
         "Mean over member rows of the stand-alone value a member forgoes by delivering one unit, "
         "less the goal-valued return its sharing rule gives it (its marginal share): positive "
         "when delivering does not pay privately (a social dilemma); negative when the sharing "
         "rule makes delivering pay on its own; none when no partnership is active.",
         missing=_NO_ROUND),
    _out("dilemma_after_incentives", "step", "float", "Dilemma after incentives",
         "value units",
         "The dilemma strength less what a member expects per unit delivered from rewards and "
         "avoided sanctions (monitoring chance × amount; value units, not weighted by its "
         "sensitivity): positive when delivering still does not pay.", missing=_NO_ROUND),
    _out("public_value_cumulative", "step", "float", "Cumulative public value", "value units",
         "Public value produced from the first step to this one.", **_COUNT),
    _out("negotiation_costs", "step", "float", "Negotiation costs", _PER_MONTH,
         "Negotiation costs incurred this step: pairs × rounds of the talks held at founding "
         "(failed ones too) and at renewal.", **_COUNT),
    _out("proposals_withdrawn", "step", "int", "Proposals withdrawn", "count per month",
         "Drafted partnerships whose lead expected less from its best offer than from going "
         "alone, so it did not propose.", **_COUNT),
    _out("negotiations", "step", "int", "Negotiations", "count per month",
         "Talks held this step: proposals at founding and renewals at the end of a term.",
         **_COUNT),
    _out("negotiation_success_rate", "step", "float", "Negotiation success rate",
         "share of negotiations",
         "Share of this step's talks that reached agreement (none without talks).",
         missing="no talks this month", **_SHARE),
    _out("terms_acceptability", "step", "float", "Terms acceptability", "value units per month",
         "Mean surplus of the terms accepted this step over the accepting members' outside "
         "options (expected value a month; none without an agreement).",
         missing="no agreement this month", **_COUNT),
    _out("terms_equity", "step", "float", "Terms equity", "1 = equal, 0 = one takes all",
         "1 − Gini of the accepting members' surplus over their outside options this step "
         "(none without an agreement).", missing="no agreement this month", **_SHARE),
    _out("control_conceded", "step", "float", "Control conceded", "share of the lead's",
         "Mean part of its control and agreed share a lead conceded in this step's agreements "
         "(none without an agreement).", missing="no agreement this month", **_SHARE),
    _out("transaction_costs", "step", "float", "Transaction costs", _PER_MONTH,
         "Negotiation, monitoring and enforcement costs incurred this step.", **_COUNT),
    _out("members_replaced", "step", "int", "Members replaced", "count per month",
         "Seats lost at a pluralist re-tender this step.", **_COUNT),
    "benefit_share_<sector>",
    "control_share_<sector>",
    _out("mean_understanding", "step", "float", "Shared understanding", "mean, 0–1",
         "Mean shared understanding of active members with their partners (none when no "
         "partnership is active).", missing=_NO_ROUND, **_SHARE),
    _out("benefit_gini", "step", "float", "Benefit Gini", "0 = equal, 1 = one takes all",
         "Gini coefficient of the benefit each organisation received so far, over all "
         "organisations (also those never in a partnership).", **_SHARE),
    "trust_<a>_<b>",
    _out("mean_propensity", "step", "float", "Cooperation propensity", "mean, 0–1",
         "Mean learned cooperation propensity over organisations.", **_SHARE),
    _out("mean_motivation", "step", "float", "Intrinsic motivation", "mean, 0–1",
         "Mean effective intrinsic motivation over organisations (after crowding).", **_SHARE),
    _out("institutionalisation", "step", "float", "Institutionalisation",
         "share of relationships, 0–1",
         "Mean institutionalisation over relationships: how far their trust is held in "
         "agreements and routines rather than in persons.", **_SHARE),
    _out("liaison_changes", "step", "int", "Liaison changes", "cumulative count",
         "Liaisons replaced since the start of the run (turnover and staff exoduses).", **_COUNT),
    _out("enforcement_strength", "step", "float", "Enforcement strength", "0–1",
         "Share of the intended monitoring the budget pays for where the state monitors "
         "(1 where partners monitor).", **_SHARE),
)  # fmt: skip


def _window(source: str) -> Derived:
    return Derived("window_mean", source)


_RUN: tuple[Output | str, ...] = (
    _out("steps", "run", "int", "Steps", "months", "Steps run.", role="key", **_COUNT),
    _out("seed", "run", "int", "Seed", "", "The run's random seed.", role="key", **_COUNT),
    _out("mode", "run", "str", "Governance mode", "",
         "The governance mode in force at the end of the run.", role="key", values=MODES),
    _out("organisations", "run", "int", "Organisations", "count",
         "Organisations in the run.", role="context", **_COUNT),
    _out("sustainability_index", "run", "float", "Sustainability index", "0–1",
         "max(0, mean − sd) of participation × cooperation over the last `metrics.window` "
         "steps: high when cooperation is broad, complete and steady.", **_SHARE),
    _out("partnership_survival_median", "run", "float", "Median dissolution-specific survival",
         "months",
         "Age at which the dissolution-specific survival falls to one half: Kaplan–Meier with "
         "dissolution the event and completed and active partnerships censored, the median life "
         "were completion impossible (none if the curve stays above one half).",
         missing="median not reached",
         **_COUNT),
    _out("survival_horizon", "run", "int", "Survival horizon τ", "months",
         "τ, the partnership age up to which the restricted means are measured: "
         "`metrics.survival_horizon`, or the oldest age the run follows when that is younger "
         "and a partnership of that age is still active.", role="context",
         missing=_NO_PARTNERSHIP, **_COUNT),
    _out("partnership_life_restricted", "run", "float", "Restricted mean partnership life",
         "months",
         "Restricted mean life ∫₀^τ S(t) dt: the mean months a partnership lasts within its "
         "first τ (S: the share not yet ended in any way, Kaplan–Meier).",
         missing=_NO_PARTNERSHIP, **_COUNT),
    _out("dissolution_time_lost", "run", "float", "Time lost to dissolution", "months",
         "Restricted mean time lost to dissolution ∫₀^τ F(t) dt (F: the cumulative incidence of "
         "dissolution, Aalen–Johansen, completion competing): of the first τ months, the mean "
         "a partnership does not live because it dissolved.",
         missing=_NO_PARTNERSHIP, **_COUNT),
    _out("completion_time_lost", "run", "float", "Time lost to completion", "months",
         "Restricted mean time lost to completion ∫₀^τ F(t) dt (F: the cumulative incidence of "
         "completion, dissolution competing): of the first τ months, the mean a partnership "
         "does not run because it met its objective; with the two others it sums to τ.",
         missing=_NO_PARTNERSHIP, **_COUNT),
    _out("cooperation_rate", "run", "float", "Cooperation rate",
         "share of committed resources delivered",
         "Share of committed resources actually delivered, averaged over the steps of the last "
         "`metrics.window` that had a partnership.", derived=_window("cooperation_rate"),
         missing=_NO_WINDOW, **_SHARE),
    _out("participation_rate", "run", "float", "Participation rate",
         "share of organisations in a partnership",
         "Share of organisations in an active partnership, averaged over the last "
         "`metrics.window` steps.", derived=_window("participation_rate"), **_SHARE),
    _out("mean_trust", "run", "float", "Mean trust", "effective trust, 0–1",
         "Mean effective trust over all relationships, averaged over the last `metrics.window` "
         "steps.", derived=_window("mean_trust"), **_SHARE),
    _out("free_riding_rate", "run", "float", "Free-riding rate", "share of members withholding",
         "Share of members delivering far less than committed, averaged over the steps of the "
         "last `metrics.window` that had a partnership.", derived=_window("free_riding_rate"),
         missing=_NO_WINDOW, **_SHARE),
    _out("public_value_total", "run", "float", "Public value, total", "value units",
         "Public value produced over the whole run.", derived=Derived("sum", "public_value"),
         **_COUNT),
    _out("transaction_costs_total", "run", "float", "Transaction costs, total", "value units",
         "Monitoring, negotiation and enforcement costs over the whole run.",
         derived=Derived("sum", "transaction_costs"), **_COUNT),
    _out("partnerships_formed", "run", "int", "Partnerships formed", "count",
         "Partnerships formed over the run.", **_COUNT),
    _out("partnerships_completed", "run", "int", "Partnerships completed", "count",
         "Partnerships that met their objective.", **_COUNT),
    _out("partnerships_dissolved", "run", "int", "Partnerships dissolved", "count",
         "Partnerships that broke up before meeting their objective.", **_COUNT),
    _out("dissolution_hazard", "run", "float", "Dissolution hazard", "per partnership-month",
         "Dissolutions per partnership-month: dissolved partnerships ÷ the sum over steps of "
         "active partnerships.", **_COUNT),
    _out("member_exit_rate", "run", "float", "Member exit rate", "per member-month",
         "Members leaving or replaced per member-month.", **_COUNT),
    _out("inclusiveness", "run", "float", "Inclusiveness", "share of organisations ever partnered",
         "Share of organisations that were ever in a partnership.", **_SHARE),
    _out("benefit_gini", "run", "float", "Benefit Gini", "0 = equal, 1 = one takes all",
         "Inequality (Gini) of the benefits organisations received over the run.", **_SHARE),
    _out("demand_bound_share", "run", "float", "Demand bound share", "share of months",
         "Share of the run's months in which the demand bound binds (value rationed to demand).",
         derived=Derived("mean", "demand_bound"), **_SHARE),
    _out("cross_sector_share", "run", "float", "Cross-sector share", "share of partnerships",
         "Mean over the window's months with a partnership of the share of active partnerships "
         "spanning at least two sectors.", derived=Derived("window_mean", "cross_sector_share"),
         missing="no partnership in the window", **_SHARE),
    _out("dilemma_strength", "run", "float", "Dilemma strength", "value units",
         "Mean over the run's steps with a partnership of the gain from withholding over "
         "delivering (the social dilemma).",
         derived=Derived("mean", "dilemma_strength"), missing="no partnership in the run"),
    _out("dilemma_after_incentives", "run", "float", "Dilemma after incentives", "value units",
         "Mean over the run's steps with a partnership of the dilemma after expected rewards and "
         "sanctions.",
         derived=Derived("mean", "dilemma_after_incentives"), missing="no partnership in the run"),
    _out("negotiation_success_rate", "run", "float", "Negotiation success rate",
         "share of negotiations",
         "Share of the run's talks (founding and renewal) that reached agreement: the forum's "
         "success at reaching agreement (Choi & Robertson 2014).", missing="no talks in the run",
         **_SHARE),
    _out("terms_acceptability", "run", "float", "Terms acceptability", "value units per month",
         "Mean surplus over their outside options of every accepted member's terms in the run's "
         "agreements (expected value a month).", missing="no agreement in the run", **_COUNT),
    _out("terms_equity", "run", "float", "Terms equity", "1 = equal, 0 = one takes all",
         "1 − Gini of the accepted members' surplus over their outside options, over the run's "
         "agreements.", missing="no agreement in the run", **_SHARE),
    _out("control_conceded", "run", "float", "Control conceded", "share of the lead's",
         "Mean over the run's steps with an agreement of the part of their control leads "
         "conceded.", derived=Derived("mean", "control_conceded"),
         missing="no agreement in the run", **_SHARE),
    _out("mean_understanding", "run", "float", "Shared understanding", "mean, 0–1",
         "Mean shared understanding of active members with their partners, over the steps of "
         "the last `metrics.window` that had a partnership.",
         derived=_window("mean_understanding"), missing=_NO_WINDOW, **_SHARE),
    "dissolved_<cause>",
    _out("shock_depth", "run", "float", "Shock depth", "relative fall of public value",
         "Largest relative fall of public value below its pre-shock mean, from the first shock "
         "until recovery or the end of the run (none without a shock).", missing="no shock",
         **_SHARE),
    _out("shock_recovery_steps", "run", "int", "Shock recovery time", "months",
         "Months from the first shock until public value is back at `metrics.recovery_level` × "
         "its pre-shock mean (0 if it never fell below; none if it never recovers, or without a "
         "shock).", missing="not recovered, or no shock", **_COUNT),
)  # fmt: skip

_PARTNERSHIP: tuple[Output | str, ...] = (
    _out("partnership", "partnership", "int", "Partnership", "",
         "Number of the partnership in its run, from 0 in order of founding.", role="key",
         **_COUNT),
    _out("formed", "partnership", "int", "Formed", "step",
         "Step at which the partnership was founded.", role="context", **_COUNT),
    _out("ended", "partnership", "int", "Ended", "step",
         "Step at which it ended (empty while active).", role="context", missing="still active",
         **_COUNT),
    _out("status", "partnership", "str", "Status", "",
         "`active`, `completed` (it met its objective) or `dissolved`.", values=STATUS_NAMES),
    _out("cause", "partnership", "str", "Cause", "",
         "Why it ended: `completed`, or the cause of its dissolution (none while active).",
         values=tuple(c for c in CAUSES if c), missing="still active"),
    _out("age", "partnership", "int", "Age", "months",
         "Months from its founding to its end, or to the last step if still active.", **_COUNT),
    _out("mode", "partnership", "str", "Governance mode", "",
         "The governance mode under which it was founded.", role="context", values=MODES),
    _out("lead", "partnership", "str", "Lead", "", "Name of the lead organisation.",
         role="context"),
    _out("lead_sector", "partnership", "str", "Lead sector", "", "Sector of the lead.",
         role="context", values=SECTORS),
    _out("members", "partnership", "list", "Members", "",
         "Names of everyone who was ever a member, as a list: the founding members, lead "
         "first, then those who joined at a re-tender.", role="context"),
    _out("n_members", "partnership", "int", "Founding members", "count",
         "Number of founding members.", **_COUNT),
    _out("sectors", "partnership", "list", "Sectors", "",
         "Sectors of everyone in `members`, each once, sorted, as a list.", role="context"),
    _out("value", "partnership", "float", "Public value", "value units",
         "Public value the partnership produced over its life.", **_COUNT),
    _out("transaction_costs", "partnership", "float", "Transaction costs", "value units",
         "Transaction costs the partnership paid over its life.", **_COUNT),
)  # fmt: skip


NEGOTIATION_KINDS = ("founding", "renewal")  # a negotiation founds or renews a partnership
SHARE_RULES = ("authority", "contract", "sector_quota", "agreed_half")  # the payoff rules' names

_MEMBER: tuple[Output | str, ...] = (
    _out("negotiation", "member", "int", "Negotiation", "",
         "Number of the talks in the run, from 0 in order.", role="key", **_COUNT),
    _out("step", "member", "int", "Step", "step", "Step of the talks.", role="context", **_COUNT),
    _out("kind", "member", "str", "Kind", "",
         "`founding` (a proposal) or `renewal` (at the end of a term).", role="context",
         values=NEGOTIATION_KINDS),
    _out("partnership", "member", "int", "Partnership", "",
         "The partnership the talks founded or renewed (none where talks to found one failed; a "
         "partnership whose renewal failed dissolved).",
         role="context", missing="the talks failed to found a partnership", **_COUNT),
    _out("organisation", "member", "str", "Organisation", "", "Name of the member.",
         role="key"),
    _out("sector", "member", "str", "Sector", "", "Sector of the member.", role="context",
         values=SECTORS),
    _out("lead", "member", "bool", "Lead", "", "Whether the member leads the partnership.",
         role="context"),
    _out("commitment", "member", "float", "Commitment", "share of endowment",
         "Share of its endowment the member is to commit each month.", **_SHARE),
    _out("share_rule", "member", "str", "Share rule", "",
         "How value is shared (the payoff rule): `authority` (agreed shares, by authority before "
         "any trade), `contract` (value follows delivery), `sector_quota` (agreed quotas), "
         "`agreed_half` (half by agreed shares, half by delivery).", role="context",
         values=SHARE_RULES),
    _out("share", "member", "float", "Agreed share", "share of value",
         "The member's agreed share (summing to 1 in each offer); it fixes as much of the value "
         "as the share rule says.", **_SHARE),
    _out("control", "member", "float", "Control", "share of control",
         "Weight of the member's goals in the objective (summing to 1 in each offer).", **_SHARE),
    _out("concession", "member", "float", "Concession", "share of the lead's",
         "Part of its control and share the lead conceded in this offer.", **_SHARE),
    _out("understanding", "member", "float", "Shared understanding", "0–1",
         "The member's shared understanding after the talks' dialogue.", **_SHARE),
    _out("expected_value", "member", "float", "Expected value", "value units per month",
         "What the member expects of the terms a month: its claim on the value the offer "
         "would produce, valued by its goal fit."),
    _out("outside_option", "member", "float", "Outside option", "value units per month",
         "What its committed resources produce alone a month, less what refusing costs it."),
    _out("surplus", "member", "float", "Surplus", "value units per month",
         "Expected value less the outside option: the member accepts when it is positive."),
    _out("accepted", "member", "bool", "Accepted", "",
         "Whether the member accepted the last terms it was offered."),
    _out("outcome", "member", "str", "Outcome", "",
         "`agreed` or `failed`: how the talks ended.", values=("agreed", "failed")),
)  # fmt: skip


def _expand(declared: Iterable[Output | str]) -> tuple[Output, ...]:
    out: list[Output] = []
    for item in declared:
        out.extend(_FAMILY[item].members() if isinstance(item, str) else (item,))
    return tuple(out)


def _build() -> tuple[Output, ...]:
    step, run, partnership = _expand(_STEP), _expand(_RUN), _expand(_PARTNERSHIP)
    summarised = {o.derived.source: o.name for o in run if o.derived is not None}
    step = tuple(replace(o, run=summarised.get(o.name)) for o in step)
    return (*step, *run, *partnership, *_expand(_MEMBER))


OUTPUTS: tuple[Output, ...] = _build()
_BY_LEVEL: dict[str, dict[str, Output]] = {
    level: {o.name: o for o in OUTPUTS if o.level == level} for level in LEVELS
}


# --------------------------------------------------------------------------------------------------
# Reading the registry


def _roles(role: str | Iterable[str] | None) -> set[str]:
    chosen = set(ROLES) if role is None else {role} if isinstance(role, str) else set(role)
    unknown = chosen - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s) {sorted(unknown)}: expected {', '.join(ROLES)}")
    return chosen


def _level(level: str) -> dict[str, Output]:
    if level not in _BY_LEVEL:
        raise ValueError(f"unknown output level {level!r}: expected {', '.join(LEVELS)}")
    return _BY_LEVEL[level]


def names(
    level: Level,
    *,
    role: Role | Iterable[Role] | None = None,
    sectors: Iterable[str] | None = None,
    numeric: bool | None = None,
) -> tuple[str, ...]:
    """Names of the outputs of ``level``, in the order the model produces them.

    ``role`` keeps one role (or several); ``sectors`` keeps only outputs recorded when just these
    sectors are present (all sectors by default); ``numeric`` keeps numbers (or text) only.
    """
    roles = _roles(role)
    present = set(SECTORS if sectors is None else sectors)
    return tuple(
        o.name
        for o in _level(level).values()
        if o.role in roles
        and present.issuperset(o.requires)
        and (numeric is None or o.numeric == numeric)
    )


def family(pattern: str) -> tuple[Output, ...]:
    """The outputs of a family (``"dissolved_<cause>"``), in order."""
    if pattern not in _FAMILY:
        known = ", ".join(_FAMILY)
        raise UnknownOutput(f"{pattern!r} is not a family of outputs: expected one of {known}")
    return tuple(o for o in OUTPUTS if o.family == pattern)


def find(name: str, level: Level | None = None) -> Output | None:
    """The output called ``name`` (at ``level``; without one, the first of run, step,
    partnership, member), or None."""
    for where in (level,) if level is not None else ("run", "step", "partnership", "member"):
        found = _level(where).get(name)
        if found is not None:
            return found
    return None


def get(name: str, level: Level | None = None) -> Output:
    """The output called ``name`` at ``level``. Without a level the name must belong to one level
    only. Raises ``UnknownOutput`` (with the closest name) for a name that is no output."""
    if level is None:
        levels = [where for where in LEVELS if name in _BY_LEVEL[where]]
        if len(levels) > 1:
            raise ValueError(
                f"{name!r} is an output of several levels ({', '.join(levels)}): name the level"
            )
        level = levels[0] if levels else None
    found = _level(level).get(name) if level is not None else None
    if found is None:
        raise UnknownOutput(_unknown(name, level))
    return found


def suggest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to a mistyped one, if any is close."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(name: str, level: str | None, known: Iterable[str] | None = None) -> str:
    if known is None:
        known = _BY_LEVEL[level] if level is not None else dict.fromkeys(o.name for o in OUTPUTS)
    where = f"a {level} output" if level else "an output"
    close = suggest(name, known)
    hint = f": did you mean {close!r}?" if close else ""
    return f"{name!r} is not {where}{hint}"


def check(
    wanted: Iterable[str],
    level: Level,
    *,
    role: Role | Iterable[Role] | None = None,
    numeric: bool | None = None,
) -> tuple[str, ...]:
    """``wanted`` as a tuple if every name is an output of ``level`` (of ``role``, numeric if
    asked); else ``UnknownOutput`` naming each unknown name and the closest known one."""
    wanted = tuple(wanted)
    known = names(level, role=role, numeric=numeric)
    bad = [_unknown(n, level, known) for n in wanted if n not in known]
    if bad:
        raise UnknownOutput("; ".join(bad))
    return wanted


def derive(name: str, timeseries: Any, *, window: int) -> float:
    """A derived run output computed from a time series (``timeseries()``, or any frame with the
    source column), ``window`` being ``metrics.window``: the same arithmetic as the model's."""
    output = get(name, "run")
    if output.derived is None:
        raise ValueError(f"{name!r} is not derived from a step output")
    statistic, source = output.derived
    column = timeseries[source]  # pandas skips steps without a value (NaN); none at all: NaN
    if statistic == "window_mean":
        return float(column.tail(window).mean())
    if statistic == "sum":
        return float(column.sum())
    return float(column.mean())


# --------------------------------------------------------------------------------------------------
# Documentation


def table(level: Level) -> list[dict[str, str]]:
    """One row per output of ``level`` for documentation, each family as one row."""
    rows: list[dict[str, str]] = []
    for o in _level(level).values():
        group = _FAMILY.get(o.family or "")
        if group is not None and any(row["name"] == group.pattern for row in rows):
            continue
        derived = f"{STATISTICS[o.derived[0]]} of `{o.derived[1]}`" if o.derived else ""
        rows.append(
            {
                "name": group.pattern if group else o.name,
                "type": o.dtype + (f" or none ({o.missing})" if o.nullable else ""),
                "unit": group.unit if group else o.unit,
                "label": group.label if group else o.label,
                "role": o.role,
                "meaning": group.meaning if group else o.meaning,
                "run": f"`{o.run}`" if o.run else "",
                "derived": derived,
            }
        )
    return rows


def markdown(level: Level) -> str:
    """The outputs of ``level`` as a Markdown table (the ODD's observation section holds them)."""
    rows = table(level)
    columns = (("run", "Run output"), ("derived", "Derived as"))
    extra = [(key, title) for key, title in columns if any(row[key] for row in rows)]
    header = ["Output", "Type", "Unit", "Role", "Meaning", *(title for _, title in extra)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"`{row['name']}`", row["type"], row["unit"], row["role"], row["meaning"]]
        cells += [row[key] for key, _ in extra]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
