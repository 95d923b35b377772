"""Model parameters as plain, frozen dataclasses: one source for defaults, ranges, units and docs.

Ranges are ``annotated_types`` constraints and descriptions live in field metadata, so pydantic
validates these very classes (``coopsim.model.validation``, for the Python API and for scenario
files alike) and the scenario layer derives the JSON Schema from them. One step is one month.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from annotated_types import Interval

from coopsim.model.sectors import SECTOR_DEFAULTS, SECTORS

MAX_ORGANISATIONS = 200_000
MAX_STEPS = 1_000_000

Mode = Literal["statism", "pluralism", "corporatism", "governance"]
MODES: tuple[str, ...] = get_args(Mode)  # the one list of the governance modes, in this order
ShockKind = Literal["capacity_loss", "budget_cut", "demand_surge", "trust_shock", "staff_exodus"]
SHOCK_KINDS: tuple[str, ...] = (
    "capacity_loss",
    "budget_cut",
    "demand_surge",
    "trust_shock",
    "staff_exodus",
)

Unit = Annotated[float, Interval(ge=0.0, le=1.0)]
# Upper bounds: what the model can compute with. Each is far above any value a study would use
# (the defaults are all below 30) and keeps every sum, product and exponent the model forms
# finite in float64, over the largest run (MAX_ORGANISATIONS × MAX_STEPS); 1e308 used to
# validate and then end in NaN, infinities or an invariant error (issue 19).
MAX_AMOUNT = 1e6
MAX_WEIGHT = 1e3
# A resource, demand, budget, value or cost per organisation per step: 1e6 × 2e5 organisations ×
# 1e6 steps = 2e17, and a product of two such amounts (a price times a quantity) 1e12 per step.
Amount = Annotated[float, Interval(ge=0.0, le=MAX_AMOUNT)]
# A threshold only compared with what accumulates (partnerships.completion_value, times at most
# 50 members): a huge one means "never met" (the validation patterns use 1e9), so it may go far
# beyond an amount and still stay finite.
MAX_THRESHOLD = 1e12
Threshold = Annotated[float, Interval(ge=0.0, le=MAX_THRESHOLD)]
# A goal weight: weights are normalised, so only their ratios matter and 1e3 : 1 (or 0) already
# says any preference; the cap keeps their sum finite and the normalised shares exact.
GoalWeight = Annotated[float, Interval(ge=0.0, le=MAX_WEIGHT)]
# A motivation weight, slope, sensitivity or noise scale: it multiplies utilities and appeals
# that are themselves bounded by the amounts above inside a logistic, tanh or exp; at 1e3 a
# choice is already a step function, and the products stay far from float64's overflow.
Coefficient = Annotated[float, Interval(ge=0.0, le=MAX_WEIGHT)]
Step = Annotated[int, Interval(ge=0, le=MAX_STEPS)]


def _describe(schema: dict[str, Any], cls: type) -> None:
    """Copy each field's ``doc`` and ``unit`` metadata into the JSON Schema."""
    props = schema.get("properties", {})
    for f in fields(cls):
        if f.name in props and "doc" in f.metadata:
            unit = f.metadata.get("unit")
            props[f.name]["description"] = f.metadata["doc"] + (f" [{unit}]" if unit else "")


_CONFIG = {"extra": "forbid", "json_schema_extra": _describe, "strict": False}


def doc(text: str, unit: str | None = None) -> dict[str, str]:
    """Field metadata: a description and an optional unit."""
    return {"doc": text, "unit": unit} if unit else {"doc": text}


def _param(default: Any, text: str, unit: str | None = None) -> Any:
    return field(default=default, metadata=doc(text, unit))


def _part(factory: Any, text: str) -> Any:
    return field(default_factory=factory, metadata=doc(text))


# --------------------------------------------------------------------------------------------------
# Population


@dataclass(frozen=True)
class Resources:
    """Per-step endowment by resource kind."""

    __pydantic_config__ = _CONFIG
    finance: Amount = _param(1.0, "Money an organisation can commit each step.", "units/step")
    staff: Amount = _param(0.5, "Staff time it can commit each step.", "units/step")
    expertise: Amount = _param(0.5, "Technical and service expertise.", "units/step")
    legitimacy: Amount = _param(
        0.5, "Local knowledge and social standing it lends to joint work.", "units/step"
    )


@dataclass(frozen=True)
class Goals:
    """Weights over goal dimensions (normalised when organisations are created)."""

    __pydantic_config__ = _CONFIG
    public_value: GoalWeight = _param(0.25, "Weight on public value.")
    profit: GoalWeight = _param(0.25, "Weight on profit.")
    mission: GoalWeight = _param(0.25, "Weight on the organisation's mission.")
    own_sector: GoalWeight = _param(0.25, "Weight on sectoral interest (departmentalism).")

    def __post_init__(self) -> None:
        if self.public_value + self.profit + self.mission + self.own_sector <= 0:
            raise ValueError("at least one goal weight must be positive")


@dataclass(frozen=True)
class Sector:
    """One sector's organisations: how many, and the profile they are drawn around."""

    __pydantic_config__ = _CONFIG
    count: Annotated[int, Interval(ge=0, le=MAX_ORGANISATIONS)] = _param(
        0, "Number of organisations of this sector."
    )
    resources: Resources = _part(Resources, "Per-step endowment by resource kind.")
    goals: Goals = _part(Goals, "Goal weights.")
    intrinsic_motivation: Unit = _param(0.5, "Public-service or mission motivation.")
    incentive_sensitivity: Unit = _param(0.5, "How much rewards and sanctions weigh.")
    transparency: Unit = _param(0.5, "How visible its real contribution is to partners.")
    integrity: Unit = _param(0.6, "How reliably it keeps commitments.")
    collaborative_capacity: Unit = _param(
        0.5, "Negotiation, mediation and network-management skill."
    )
    authority: Unit = _param(0.1, "Formal power to decide and direct.")
    responsibility: Unit = _param(0.1, "Accountability for outcomes.")


def _sector_class(name: str) -> type:
    """A ``Sector`` subclass whose defaults are the named sector's profile."""
    profile = SECTOR_DEFAULTS[name]
    nested = {"resources": Resources, "goals": Goals}
    specs = []
    for f in fields(Sector):
        if f.name in nested:
            sub = _with_defaults(nested[f.name], name, profile[f.name])
            spec = field(default_factory=sub, metadata=f.metadata)
            specs.append((f.name, sub, spec))
        else:
            specs.append((f.name, f.type, field(default=profile[f.name], metadata=f.metadata)))
    title = "".join(p.capitalize() for p in name.split("_")) + "Sector"
    return make_dataclass(title, specs, bases=(Sector,), frozen=True, module=__name__)


def _with_defaults(base: type, sector: str, values: dict[str, float]) -> type:
    title = "".join(p.capitalize() for p in sector.split("_")) + base.__name__
    specs = [
        (f.name, f.type, field(default=values[f.name], metadata=f.metadata)) for f in fields(base)
    ]
    cls = make_dataclass(title, specs, bases=(base,), frozen=True, module=__name__)
    globals()[title] = cls  # importable by name, so configurations pickle
    return cls


GovernmentSector = _sector_class("government")
BusinessSector = _sector_class("business")
CivilSocietySector = _sector_class("civil_society")
CommunitySector = _sector_class("community")
SECTOR_CLASSES = dict(
    zip(
        SECTORS,
        (GovernmentSector, BusinessSector, CivilSocietySector, CommunitySector),
        strict=True,
    )
)


@dataclass(frozen=True)
class Population:
    """The organisations of each sector, and how they know and federate with each other."""

    __pydantic_config__ = _CONFIG
    government: GovernmentSector = _part(GovernmentSector, "Government agencies.")  # type: ignore[valid-type]
    business: BusinessSector = _part(BusinessSector, "Firms.")  # type: ignore[valid-type]
    civil_society: CivilSocietySector = _part(CivilSocietySector, "NGOs.")  # type: ignore[valid-type]
    community: CommunitySector = _part(CommunitySector, "Citizen groups.")  # type: ignore[valid-type]
    heterogeneity: Unit = _param(
        0.15, "Spread of individual traits around the sector profile (0 = identical)."
    )
    acquaintance_degree: Annotated[int, Interval(ge=1, le=100)] = _param(
        6, "Mean degree of the scale-free acquaintance network (who knows whom)."
    )
    peak_membership: Unit = _param(
        0.6, "Share of each sector affiliated to its peak organisation (insiders)."
    )

    def sector(self, name: str) -> Sector:
        return getattr(self, name)

    @property
    def size(self) -> int:
        return sum(self.sector(s).count for s in SECTORS)


# --------------------------------------------------------------------------------------------------
# Governance, environment and shocks


def _rule(slot: str, decides: str) -> Any:
    return _param(
        None,
        f"The {slot} rule ({decides}) taken from this mode instead of the mode's own "
        "(empty: the mode's own).",
    )


@dataclass(frozen=True)
class Rules:
    """A hybrid: slots whose rule is taken from another mode, each named by that mode (docs/ODD.md
    §7.15 lists the rules). Unnamed slots keep the governing mode's own rule."""

    __pydantic_config__ = _CONFIG
    boundary: Mode | None = _rule("boundary", "who may initiate and join")
    position: Mode | None = _rule("position", "who ranks the candidates, and how")
    choice: Mode | None = _rule("choice", "what a member commits; what leaving costs")
    aggregation: Mode | None = _rule("aggregation", "how terms are decided")
    information: Mode | None = _rule("information", "who monitors whom, paid by whom")
    payoff: Mode | None = _rule("payoff", "shares, sanctions, rewards, the state's spending")
    scope: Mode | None = _rule("scope", "the objective")

    def chosen(self) -> dict[str, str]:
        """The slots overridden, and the mode each takes its rule from."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def merged(self, other: Rules) -> Rules:
        """These overrides, with ``other``'s taking precedence slot by slot."""
        return Rules(**(self.chosen() | other.chosen()))


@dataclass(frozen=True)
class ModeSwitch:
    """A reform: the governance mode changes at a step."""

    __pydantic_config__ = _CONFIG
    at: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = _param(
        1, "Step at which the new mode rules."
    )
    mode: Mode = _param("governance", "The new governance mode.")
    rules: Rules = _part(
        Rules, "Slots of the new mode taken from other modes (over `governance.rules`)."
    )


@dataclass(frozen=True)
class Governance:
    """The governance mode and any reforms during the run."""

    __pydantic_config__ = _CONFIG
    mode: Mode = _param("governance", f"{' | '.join(MODES)} (the state's role).")
    rules: Rules = _part(
        Rules,
        "A hybrid: slots whose rule comes from another mode, for the mode and every mode a "
        "reform switches to.",
    )
    switch: tuple[ModeSwitch, ...] = _param((), "Reforms: changes of mode during the run.")
    contract_term: Annotated[int, Interval(ge=1, le=240)] = _param(
        12,
        "Length of a partnership's term: a purchaser re-tenders seats at its end; an exit penalty "
        "is owed on the rest of it.",
        "steps",
    )


@dataclass(frozen=True)
class Environment:
    """Problem pressure and the public purse."""

    __pydantic_config__ = _CONFIG
    demand: Amount = _param(
        1.5, "Public demand for value per organisation (wicked problems persist).", "value/step"
    )
    demand_reversion: Unit = _param(
        0.05, "Rate at which demand returns to its level after a drift.", "1/step"
    )
    # a standard deviation of the level itself: above 1 the level is zeroed most steps, and
    # a larger one compounds to overflow over a long run
    demand_volatility: Unit = _param(0.03, "Relative size of random demand drift.")
    budget: Amount = _param(
        0.6,
        "Government budget per agency for the mode's spending (same for every mode).",
        "units/step",
    )
    capacity_building: Coefficient = _param(
        0.1, "Training effect: capacity gains 1 − exp(−effect × budget spent on the organisation)."
    )


@dataclass(frozen=True)
class Shock:
    """A shock: scheduled at a step, or drawn at random with a per-step rate."""

    __pydantic_config__ = _CONFIG
    kind: ShockKind = _param("capacity_loss", "What happens.")
    at: Annotated[int, Interval(ge=1, le=MAX_STEPS)] | None = _param(
        None, "Step at which it fires (omit and give `rate` for random shocks)."
    )
    rate: Unit | None = _param(None, "Per-step probability of firing at random.", "1/step")
    target: str | tuple[str, ...] = _param(
        "all", "`all`, a sector name, or a list of organisation names (e.g. government-3)."
    )
    severity: Unit = _param(0.5, "Share of capacity, budget or trust lost; demand rise factor.")
    duration: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = _param(
        12, "Steps the effect lasts (capacity_loss, budget_cut, demand_surge).", "steps"
    )

    def __post_init__(self) -> None:
        if (self.at is None) == (self.rate is None):
            raise ValueError("a shock needs exactly one of `at` (scheduled) or `rate` (random)")


# --------------------------------------------------------------------------------------------------
# Mechanisms


@dataclass(frozen=True)
class Partnerships:
    """Formation, size, commitment and the life cycle of partnerships."""

    __pydantic_config__ = _CONFIG
    initiation_rate: Unit = _param(
        0.08,
        "Initiation opportunities per organisation per step: with `initiation: shared`, "
        "rate × organisations × (0.5 + unmet demand) proposals are expected each step in every "
        "mode, shared among the initiators its boundary rule allows (who, not how many).",
        "1/step",
    )
    initiation: Literal["shared", "per_organisation"] = _param(
        "shared",
        "shared: the same expected number of proposals in every mode; per_organisation: each "
        "allowed initiator proposes at the rate (more initiators, more proposals; a sensitivity "
        "check, and the rule before 0.4).",
    )
    size_min: Annotated[int, Interval(ge=2, le=50)] = _param(2, "Fewest members (with the lead).")
    size_max: Annotated[int, Interval(ge=2, le=50)] = _param(5, "Most members (with the lead).")
    max_memberships: Annotated[int, Interval(ge=1, le=16)] = _param(
        2, "Partnerships one organisation can belong to at once."
    )
    commitment: Unit = _param(0.4, "Share of its endowment a member commits to a partnership.")
    completion_value: Threshold = _param(
        30.0, "Cumulative value per member at which the objective is met.", "value"
    )
    min_members: Annotated[int, Interval(ge=1, le=50)] = _param(
        2, "Below this many members a partnership dissolves."
    )
    patience: Annotated[int, Interval(ge=1, le=120)] = _param(
        4, "Consecutive bad steps before a member leaves.", "steps"
    )
    exit_trust: Unit = _param(0.25, "Trust in partners below which a member wants out.")
    candidates: Annotated[int, Interval(ge=1, le=200)] = _param(
        10, "Candidates considered when choosing partners or bidders."
    )
    join_appeal: Coefficient = _param(
        1.2,
        "Voluntary joining (the open boundary rule): the appeal at which half of the candidates "
        "asked agree to join (appeal = goal fit + trust in the lead + weighted complementarity).",
    )
    join_steepness: Coefficient = _param(
        3.0, "Voluntary joining: how sharply the chance to join rises with appeal (tanh slope)."
    )
    join_complementarity: Coefficient = _param(
        0.5,
        "Voluntary joining: weight in the appeal of what the lead's resources add to the "
        "candidate's own (relative to the best in the candidate list).",
    )
    ranking_noise: Coefficient = _param(
        0.3,
        "Scale of the Gumbel noise in a convenor's ranking of candidates (the convenor position "
        "rule): 0 ranks strictly by trust, complementarity and goal fit.",
    )
    control_trade: bool = _param(
        True,
        "Control traded for resources: a lead may concede control and share to win commitments, "
        "and a `budget_cut` lowers the targeted agencies' own finance as well as the state's "
        "spending budget. false: no concession, and a cut acts on the spending budget alone.",
    )
    max_concession: Unit = _param(
        0.6,
        "Largest part of its control and agreed share a lead may concede to win commitments "
        "(it tries none, a third, two thirds and all of it).",
    )
    offer_uncertainty: Coefficient = _param(
        0.5,
        "How uncertain a lead is whether a member accepts: the scale, relative to the member's "
        "outside option, of the logistic chance the lead expects it to accept (members decide "
        "without noise; talks fail when the lead misjudges).",
    )
    dialogue_learning: Unit = _param(
        0.2,
        "Shared understanding: the part of what a member does not yet understand of its "
        "partners that one round of dialogue in the negotiation removes.",
    )
    understanding_weight: Unit = _param(
        0.5,
        "How far shared understanding raises a member's goal fit towards 1: fit + weight × "
        "understanding × (1 − fit).",
    )
    min_capacity: Unit = _param(
        0.5, "Capacity below which an organisation takes on no new partnership."
    )
    shock_exit_capacity: Unit = _param(
        0.35, "Capacity below which a member leaves its partnerships (cause shock)."
    )

    def __post_init__(self) -> None:
        if self.size_min > self.size_max:
            raise ValueError("size_min must not exceed size_max")
        if self.min_members > self.size_min:
            raise ValueError("min_members must not exceed size_min (new partnerships would end)")


@dataclass(frozen=True)
class Behaviour:
    """The contribution choice: a logistic response to four motivation terms."""

    __pydantic_config__ = _CONFIG
    choice_sensitivity: Coefficient = _param(4.0, "β of the logistic delivery choice.")
    mission_weight: Coefficient = _param(
        1.0, "Internal-positive: mission and goal alignment with the objective."
    )
    blame_weight: Coefficient = _param(
        0.6, "Internal-negative: blame avoidance from authority–responsibility mismatch."
    )
    reciprocity_weight: Coefficient = _param(
        2.0, "Conditional cooperation: expected partner delivery (through trust)."
    )
    integrity_weight: Coefficient = _param(0.5, "Weight of keeping one's commitments.")
    noise: Coefficient = _param(0.5, "Standard deviation of idiosyncratic utility shocks.")


@dataclass(frozen=True)
class Production:
    """CES joint production of public value and the stand-alone outside option."""

    __pydantic_config__ = _CONFIG
    productivity: Amount = _param(
        1.6, "A: value per unit of balanced pooled resources.", "value/unit"
    )
    substitution: Annotated[float, Interval(ge=-10.0, le=1.0)] = _param(
        -1.0, "ρ: below 0 resource kinds are complements; 1 = perfect substitutes."
    )
    returns_to_scale: Annotated[float, Interval(ge=0.1, le=2.0)] = _param(1.0, "ν.")
    alignment_weight: Unit = _param(
        0.5, "How much shared understanding (goal alignment) scales output."
    )
    capacity_weight: Unit = _param(0.5, "How much collaborative capacity scales output.")
    stand_alone: Amount = _param(
        0.4, "Value per unit of uncommitted resource produced alone (outside option).", "value/unit"
    )


@dataclass(frozen=True)
class Trust:
    """Personal and institutional trust, asymmetric updating and institutionalisation."""

    __pydantic_config__ = _CONFIG
    initial_personal: Unit = _param(0.3, "Personal trust between strangers (T₀).")
    initial_institutional: Unit = _param(0.3, "Institutional trust before any joint work.")
    gain: Unit = _param(0.08, "Personal trust gained per fully cooperative step.", "1/step")
    loss: Unit = _param(0.25, "Personal trust lost per full defection (quick to lose).", "1/step")
    damage: Unit = _param(0.15, "Lasting damage added by a betrayal.")
    healing: Unit = _param(0.05, "Rate at which lasting damage heals.", "1/step")
    defection_threshold: Unit = _param(
        0.5, "Observed delivery below this share of the commitment counts as a defection."
    )
    institutionalisation: Unit = _param(
        0.04, "Rate at which joint work becomes institutionalised (records, routines).", "1/step"
    )
    memorandum_formality: Unit = _param(
        0.5,
        "Formality of a memorandum of understanding relative to a formal contract (1): it scales "
        "how fast joint work under it institutionalises. The aggregation rule chooses the kind.",
    )
    institutional_learning: Unit = _param(
        0.15,
        "Rate at which institutional trust follows personal trust, times institutionalisation.",
    )
    personal_weight_min: Unit = _param(
        0.2, "ω of a fully institutionalised relationship (ω = 1 when new)."
    )
    observation_noise: Unit = _param(
        0.3, "Noise in partners' view of an opaque member's delivery (shrinks with transparency)."
    )


@dataclass(frozen=True)
class Turnover:
    """Liaison staff turnover and handover."""

    __pydantic_config__ = _CONFIG
    rate: Unit = _param(0.04, "Hazard that an organisation's liaison leaves.", "1/step")
    handover: Unit = _param(
        0.5, "χ: share of the relationship a successor inherits from institutional trust."
    )


@dataclass(frozen=True)
class Incentives:
    """Rewards, sanctions and motivation crowding (which the mode decides how to use)."""

    __pydantic_config__ = _CONFIG
    reward: Amount = _param(
        0.2,
        "Reward per unit delivered, for monitored members not seen below the defection "
        "threshold (paid by the "
        "pluralist and governance payoff rules; the statist and corporatist rules pay none).",
        "value/unit",
    )
    reward_budget: Unit = _param(
        0.5,
        "Most of the budget left after monitoring that rewards may take; the rest goes to the "
        "payoff rule's seed finance and training.",
    )
    sanction: Amount = _param(
        0.5,
        "Sanction per unit of committed resource seen to be withheld; also the statist exit "
        "penalty per unit of the term's commitment left.",
        "value/unit",
    )
    monitoring: Unit = _param(
        0.6,
        "Share a sampling monitor observes each step: the referee's audit (contracts), peaks "
        "(their members), peers (each other). The statist inspection observes every member.",
    )
    peak_dues: Amount = _param(
        0.02,
        "Most a peak's member pays into its pool per partnership per month, where peaks pay "
        "for monitoring (the corporatist information rule): dues cover what the pool lacks for "
        "this month's monitoring; the pool pays for monitoring and sanctioning members and takes "
        "in their fines.",
        "value/step",
    )
    graduated: bool = _param(
        True,
        "Warn first, sanction only repeat shortfalls (the statist and pluralist payoff rules "
        "sanction from the first breach and ignore it).",
    )
    warning_memory: Annotated[int, Interval(ge=1, le=120)] = _param(
        6, "Steps a warning is remembered.", "steps"
    )
    crowding_out: Unit = _param(
        0.06, "Share of intrinsic motivation eroded by one sanction (non-graduated: full)."
    )
    crowding_in: Unit = _param(0.04, "Share of eroded motivation restored by one reward.")
    recovery: Unit = _param(0.005, "Natural recovery of eroded motivation.", "1/step")
    graduated_harm: Unit = _param(
        0.5, "Crowding-out of a sanction after a warning, relative to an unannounced one."
    )
    paired_harm: Unit = _param(
        0.5, "Crowding-out of a sanction where the same regime also rewards, relative."
    )


@dataclass(frozen=True)
class Learning:
    """How organisations learn their cooperation propensity."""

    __pydantic_config__ = _CONFIG
    rule: Literal["bush_mosteller", "imitation", "none"] = _param(
        "bush_mosteller", "Reinforcement (Bush–Mosteller), imitation of peers, or none."
    )
    rate: Unit = _param(0.1, "Learning rate.", "1/step")
    habituation: Unit = _param(0.05, "Rate at which aspirations follow payoffs.", "1/step")
    initial_propensity: Unit = _param(0.5, "Cooperation propensity at the start.")
    imitation_selection: Annotated[float, Interval(ge=0.0, le=100.0)] = _param(
        5.0, "Selection strength of imitation (Fermi rule): 0 copies at random."
    )


@dataclass(frozen=True)
class TransactionCosts:
    """The one transaction-cost function every mode shares (coefficients)."""

    __pydantic_config__ = _CONFIG
    negotiation: Amount = _param(0.05, "Per negotiating pair and round, at formation.", "value")
    bargaining_rounds: Annotated[int, Interval(ge=1, le=20)] = _param(
        2,
        "Rounds of peak and multilateral bargaining (a decree and a tender award take one).",
    )
    monitoring: Amount = _param(0.03, "Per member observed by a monitor, per step.", "value/step")
    enforcement: Amount = _param(0.05, "Per sanction or contract penalty applied.", "value")


@dataclass(frozen=True)
class Metrics:
    """Windows and levels used by the run indicators."""

    __pydantic_config__ = _CONFIG
    window: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = _param(
        60, "Last steps over which the sustainability index is computed.", "steps"
    )
    recovery_level: Unit = _param(0.9, "Share of the pre-shock level that counts as recovered.")
    baseline_window: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = _param(
        12, "Steps before a shock that define its pre-shock level.", "steps"
    )
    survival_horizon: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = _param(
        60,
        "τ: partnership age up to which restricted mean life and time lost are measured (cut "
        "to the oldest age a run follows, which it reports as `survival_horizon`).",
        "months",
    )


@dataclass(frozen=True)
class ModelConfig:
    """Every parameter of a run, each with a default."""

    __pydantic_config__ = _CONFIG
    governance: Governance = _part(Governance, "Governance mode and reforms.")
    population: Population = _part(Population, "Organisations by sector.")
    environment: Environment = _part(Environment, "Demand and the government budget.")
    partnerships: Partnerships = _part(Partnerships, "Partnership formation and life cycle.")
    behaviour: Behaviour = _part(Behaviour, "The contribution choice.")
    production: Production = _part(Production, "Joint production.")
    trust: Trust = _part(Trust, "Trust dynamics.")
    turnover: Turnover = _part(Turnover, "Staff turnover.")
    incentives: Incentives = _part(Incentives, "Rewards and sanctions.")
    learning: Learning = _part(Learning, "Learning of cooperation propensity.")
    costs: TransactionCosts = _part(TransactionCosts, "Transaction-cost coefficients.")
    shocks: tuple[Shock, ...] = _param((), "Scheduled and random shocks.")
    metrics: Metrics = _part(Metrics, "Indicator windows.")

    def with_overrides(self, overrides: Mapping[str, Any]) -> ModelConfig:
        """A copy with values replaced by dotted path (``{"trust.gain": 0.1}``), plain data
        (dicts, lists) built into parameter objects, and the result validated as a scenario
        file is; raises ``ParameterError`` listing every problem."""
        from coopsim.model.validation import validated  # it builds on this module

        return validated(self, overrides)


def _limits(hint: Any) -> tuple[Any, Any]:
    """The ``ge`` and ``le`` bounds of a field's type (in ``Annotated``, perhaps optional).

    A float field's bounds are floats: ``Annotated[float, Ge(0)]`` (pydantic's own
    ``NonNegativeFloat``) and ``Annotated[float, Ge(0.0)]`` compare equal, so ``typing`` caches
    them as one object and the bound's own type depends on which module was imported first.
    """
    if get_origin(hint) in (Union, UnionType):
        hint = next((h for h in get_args(hint) if get_origin(h) is Annotated), hint)
    if get_origin(hint) is not Annotated:
        return None, None
    low = high = None
    for meta in get_args(hint)[1:]:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    if get_args(hint)[0] is float:
        low, high = (None if b is None else float(b) for b in (low, high))
    return low, high


def parameter_table(obj: Any = None, path: str = "") -> list[dict[str, Any]]:
    """Every parameter: dotted path, default, range, unit and description (for docs and tools)."""
    obj = ModelConfig() if obj is None else obj
    rows: list[dict[str, Any]] = []
    hints = get_type_hints(type(obj), include_extras=True)
    for f in fields(obj):
        value = getattr(obj, f.name)
        where = f"{path}{f.name}"
        if dataclasses.is_dataclass(value):
            rows += parameter_table(value, where + ".")
            continue
        low, high = _limits(hints[f.name])
        rows.append(
            {
                "path": where,
                "default": value,
                "low": low,
                "high": high,
                "unit": f.metadata.get("unit", ""),
                "description": f.metadata.get("doc", ""),
            }
        )
    return rows
