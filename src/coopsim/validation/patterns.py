"""The eight patterns of docs/ODD.md §1.2 as paired experiments (pattern-oriented modelling,
Grimm et al. 2005).

A pattern is data: its arms (a governance mode and parameter overrides, by dotted path, with an
optional mid-run change), the measures taken from each run, and its contrasts — a treatment
quantity against a control quantity with the direction the pattern predicts. Every arm of a
pattern runs on the same seeds, so a treatment and its control share the population, the shocks
and the noise streams (common random numbers) and pair up seed by seed.

``run_patterns`` executes the arms on an executor (``coopsim.executors``: local processes or Dask;
arms that are the same run are run once);
``evaluate`` turns the measures into one paired effect per contrast (``stats.paired_effect``).
The experiment script (``experiments/patterns.py``) and the reduced tests
(``tests/validation/test_patterns.py``) share everything here.

Two protocol notes that every arm follows:

- A run with a shock is compared with a *placebo* run carrying the same shock at severity 0: the
  two differ only in the shock's strength. (Since version 0.2 demand drifts on its own stream, so
  a run without the shock entry would see the same demand too; the placebo keeps the comparison
  explicit.)
- Mid-run changes (``Arm.changes``) replace ``model.config.incentives`` between two steps. The
  model reads the incentive parameters afresh every step (the mode's enforcement and expected
  incentives, and the crowding update), so the change takes effect from the next step on; other
  sections are cached at construction (trust parameters, the shock schedule, the population) and
  may not be changed this way.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from coopsim.executors import gather
from coopsim.model import CoopModel, ModelConfig
from coopsim.model import trust as trust_rules
from coopsim.model.config import MODES, Shock
from coopsim.model.partnerships import DISSOLVED
from coopsim.model.population import alignment
from coopsim.model.sectors import GOAL_DIMENSIONS, GOVERNMENT, SECTOR_DEFAULTS, SECTORS
from coopsim.statistics import Measure, RunData
from coopsim.validation.stats import PairedEffect, paired_effect

MUTABLE_SECTIONS = ("incentives",)
WORKER_MODULES = ("coopsim.validation.patterns",)  # what local workers import before a job

Values = Mapping[str, Mapping[str, float]]  # arm -> measure -> value, for one seed


# --------------------------------------------------------------------------------------------------
# Arms, quantities and contrasts


@dataclass(frozen=True)
class Arm:
    """One experimental condition: a mode, overrides by dotted path, and mid-run changes.

    ``changes`` holds ``(step, overrides)`` pairs applied just before that step runs (only
    ``incentives.*``); ``collect`` names the recorders the measures need.
    """

    mode: str
    overrides: tuple[tuple[str, Any], ...] = ()
    changes: tuple[tuple[int, tuple[tuple[str, Any], ...]], ...] = ()
    collect: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for _, change in self.changes:
            for path, _ in change:
                if path.split(".")[0] not in MUTABLE_SECTIONS:
                    raise ValueError(f"{path}: only {MUTABLE_SECTIONS} may change mid-run")

    @property
    def run_key(self) -> str:
        """Identity of the run (collectors aside): arms with equal keys are the same run."""
        return repr((self.mode, self.overrides, self.changes))

    def config(self) -> ModelConfig:
        return ModelConfig().with_overrides(dict(self.overrides))


def arm(mode: str, collect: Sequence[str] = (), changes=(), **overrides: Any) -> Arm:
    """An ``Arm`` with overrides given as keywords, ``__`` for the dots (``turnover__rate=0``)."""
    items = tuple(sorted((k.replace("__", "."), _frozen(k, v)) for k, v in overrides.items()))
    frozen_changes = tuple(
        (at, tuple(sorted((k.replace("__", "."), v) for k, v in change.items())))
        for at, change in changes
    )
    return Arm(mode, items, frozen_changes, tuple(collect))


def _frozen(key: str, value: Any) -> Any:
    """Hashable, printable values: shocks become ``Shock`` objects, lists become tuples."""
    if key == "shocks":
        return tuple(Shock(**s) if isinstance(s, dict) else s for s in value)
    if isinstance(value, list):
        return tuple(value)
    return value


class Quantity(ABC):
    """A number computed from one seed's measures of several arms."""

    @abstractmethod
    def __call__(self, values: Values) -> float:
        """The quantity for one seed."""

    @abstractmethod
    def arms(self) -> set[str]:
        """The arms it reads."""


@dataclass(frozen=True)
class M(Quantity):
    """A measure of one arm."""

    arm: str
    measure: str

    def __call__(self, values: Values) -> float:
        return float(values.get(self.arm, {}).get(self.measure, math.nan))

    def arms(self) -> set[str]:
        return {self.arm}

    def __str__(self) -> str:
        return f"{self.measure}[{self.arm}]"


@dataclass(frozen=True)
class Diff(Quantity):
    """a − b: the effect of a treatment inside one seed (e.g. of turnover)."""

    a: Quantity
    b: Quantity

    def __call__(self, values: Values) -> float:
        return self.a(values) - self.b(values)

    def arms(self) -> set[str]:
        return self.a.arms() | self.b.arms()

    def __str__(self) -> str:
        return f"({self.a} − {self.b})"


@dataclass(frozen=True)
class RelativeLoss(Quantity):
    """1 − measure[arm] / measure[base]: the share lost against the paired placebo run."""

    arm: str
    base: str
    measure: str

    def __call__(self, values: Values) -> float:
        a = M(self.arm, self.measure)(values)
        b = M(self.base, self.measure)(values)
        return 1.0 - a / b if b > 0 else math.nan

    def arms(self) -> set[str]:
        return {self.arm, self.base}

    def __str__(self) -> str:
        return f"1 − {self.measure}[{self.arm}]/{self.measure}[{self.base}]"


@dataclass(frozen=True)
class Contrast:
    """Treatment against control, paired by seed; ``direction`` +1 if the pattern predicts the
    treatment higher. ``primary`` marks the contrast that carries the pattern's verdict."""

    name: str
    claim: str
    treatment: Quantity
    control: Quantity
    direction: int
    primary: bool = False

    def arms(self) -> set[str]:
        return self.treatment.arms() | self.control.arms()


@dataclass
class RunOutput:
    """What the measures see of one finished run."""

    model: CoopModel
    steps: int
    ts: pd.DataFrame
    summary: dict[str, Any]
    collected: dict[str, Any]


@dataclass(frozen=True)
class Pattern:
    """One pattern (docs/ODD.md §1.2) as an experiment."""

    number: int
    key: str
    title: str
    statement: str
    steps: int  # default run length (reduced: the effect shows, the run stays cheap)
    full_steps: int  # run length for the paper-size experiment
    build_arms: Callable[[int], dict[str, Arm]]
    contrasts: tuple[Contrast, ...]
    measures: Callable[[RunOutput, int], dict[str, float]]
    series: Callable[[RunOutput, int], dict[str, np.ndarray]] = field(default=lambda out, steps: {})
    min_steps: int = 60

    def arms(self, steps: int | None = None) -> dict[str, Arm]:
        steps = self.steps if steps is None else steps
        if steps < self.min_steps:
            raise ValueError(f"pattern {self.number} needs at least {self.min_steps} steps")
        return self.build_arms(steps)

    def contrast(self, name: str) -> Contrast:
        return next(c for c in self.contrasts if c.name == name)

    def reduced(self, names: Sequence[str], steps: int | None = None) -> Pattern:
        """The same pattern with only the named contrasts and the arms they read (for tests)."""
        keep = tuple(self.contrast(n) for n in names)
        needed = set().union(*(c.arms() for c in keep))
        build = self.build_arms
        return replace(
            self,
            contrasts=keep,
            build_arms=lambda n: {k: a for k, a in build(n).items() if k in needed},
            steps=self.steps if steps is None else steps,
        )


def window(steps: int) -> int:
    """The last steps over which 'late' levels are averaged: 60, or a quarter of a short run."""
    return max(1, min(60, steps // 4))


def late(ts: pd.DataFrame, column: str, steps: int) -> float:
    return float(ts[column].tail(window(steps)).mean())


# --------------------------------------------------------------------------------------------------
# Recorders that watch a run step by step


class Collector:
    def __init__(self, model: CoopModel, steps: int):
        self.steps = steps

    def before(self, model: CoopModel) -> None:
        pass

    def after(self, model: CoopModel) -> None:
        pass

    def result(self) -> Any:
        return None


class TrustEvents(Collector):
    """Change of effective trust over a step in relationships that saw exactly one cooperation or
    one defection in it (the in-run view of pattern 1). Pairs whose liaison changed in the step
    are left out (turnover resets personal trust whatever happened)."""

    def __init__(self, model: CoopModel, steps: int):
        super().__init__(model, steps)
        self.sums = {"cooperation": 0.0, "defection": 0.0}
        self.counts = {"cooperation": 0, "defection": 0}

    def before(self, model: CoopModel) -> None:
        rel = model.relationships
        self.n = len(rel)
        self.eff = rel.effective().copy()
        self.coop = rel.view("cooperations").copy()
        self.defe = rel.view("defections").copy()

    def after(self, model: CoopModel) -> None:
        if self.n == 0:
            return
        rel, n = model.relationships, self.n
        changed = model.orgs.liaison_tenure == 1  # a liaison arrived during this step
        fresh = ~(changed[rel.view("source")[:n]] | changed[rel.view("target")[:n]])
        dc = rel.view("cooperations")[:n] - self.coop
        dd = rel.view("defections")[:n] - self.defe
        delta = rel.effective()[:n] - self.eff
        for name, rows in (
            ("cooperation", (dc == 1) & (dd == 0) & fresh),
            ("defection", (dd == 1) & (dc == 0) & fresh),
        ):
            self.sums[name] += float(delta[rows].sum())
            self.counts[name] += int(rows.sum())

    def result(self) -> dict[str, float]:
        mean = {k: self.sums[k] / self.counts[k] if self.counts[k] else math.nan for k in self.sums}
        return {
            "ev_gain": mean["cooperation"],
            "ev_loss": -mean["defection"],
            "ev_cooperations": float(self.counts["cooperation"]),
            "ev_defections": float(self.counts["defection"]),
        }


class AgeCurve(Collector):
    """Mean delivered share by partnership age (the 'round' of a public-goods game) for the
    cohort of partnerships formed in the first ``COHORT`` steps."""

    COHORT = 12

    def __init__(self, model: CoopModel, steps: int):
        super().__init__(model, steps)
        self.sums = np.zeros(steps)
        self.counts = np.zeros(steps)

    def after(self, model: CoopModel) -> None:
        rows = model.members.live()
        if not len(rows):
            return
        formed = model.partnerships_table.formed[model.members.partnership[rows]]
        cohort = formed <= self.COHORT
        age = model.steps - formed[cohort]
        np.add.at(self.sums, age, model.members.delivery[rows][cohort])
        np.add.at(self.counts, age, 1)

    def result(self) -> np.ndarray:
        rounds = self.steps - self.COHORT
        with np.errstate(invalid="ignore"):
            curve = self.sums[:rounds] / self.counts[:rounds]
        return np.where(self.counts[:rounds] > 0, curve, np.nan)


class ValueWindow(Collector):
    """Public value produced during the first shock's window, by the sector of each
    partnership's lead (pattern 5: who carries the work)."""

    def __init__(self, model: CoopModel, steps: int):
        super().__init__(model, steps)
        shock = model.config.shocks[0]
        self.start, self.end = int(shock.at), int(shock.at) + int(shock.duration) - 1
        self.before_value = np.zeros(0)
        self.share = math.nan

    def before(self, model: CoopModel) -> None:
        if model.steps == self.start - 1:
            table = model.partnerships_table
            self.before_value = table.value[: table.size].copy()

    def after(self, model: CoopModel) -> None:
        if model.steps == self.end:
            table = model.partnerships_table
            produced = table.value[: table.size].copy()
            produced[: len(self.before_value)] -= self.before_value
            non_government = model.orgs.sector[table.lead[: table.size]] != GOVERNMENT
            total = produced.sum()
            self.share = float(produced[non_government].sum() / total) if total > 0 else math.nan

    def result(self) -> float:
        return self.share


COLLECTORS: dict[str, type[Collector]] = {
    "trust_events": TrustEvents,
    "age_curve": AgeCurve,
    "value_window": ValueWindow,
}


# --------------------------------------------------------------------------------------------------
# Pattern 1: trust asymmetry


def counterfactual_trust(model: CoopModel, recent: int = 12) -> dict[str, np.ndarray]:
    """For every relationship active in the last ``recent`` steps: effective trust now, after one
    full cooperation, and after one full defection, by the model's own trust rules; and the
    cooperations it then takes to win the lost trust back (healing as the model heals)."""
    rel, p = model.relationships, model.config.trust
    rows = np.flatnonzero(rel.view("last_met") >= model.steps - recent + 1)
    P, inst = rel.personal[rows], rel.institutional[rows]
    D, u = rel.damage[rows], rel.institutionalised[rows]

    def eff(personal, institutional, damage):
        return trust_rules.effective_trust(
            personal, institutional, damage, u, p.personal_weight_min
        )

    def after(personal, institutional, damage, evidence):
        personal = trust_rules.update_personal(personal, evidence, p.gain, p.loss)
        damage = trust_rules.add_damage(damage, evidence < p.defection_threshold, p.damage)
        institutional = trust_rules.update_institutional(
            institutional, personal, u, p.institutional_learning
        )
        return personal, institutional, damage

    before = eff(P, inst, D)
    coop = eff(*after(P, inst, D, np.ones_like(P)))
    state = after(P, inst, D, np.zeros_like(P))
    defect = eff(*state)
    repair = np.full(len(rows), np.inf)
    personal, institutional, damage = state[0], state[1], trust_rules.heal(state[2], p.healing)
    for k in range(1, 241):
        personal, institutional, damage = after(personal, institutional, damage, np.ones_like(P))
        damage = trust_rules.heal(damage, p.healing)
        done = np.isinf(repair) & (eff(personal, institutional, damage) >= before - 1e-12)
        repair[done] = k
        if not np.isinf(repair).any():
            break
    return {"trust": before, "gain": coop - before, "loss": before - defect, "repair": repair}


def _trust_measures(out: RunOutput, steps: int) -> dict[str, float]:
    cf = counterfactual_trust(out.model)
    res = dict(out.collected["trust_events"])
    if len(cf["trust"]):
        res.update(
            cf_gain=float(cf["gain"].mean()),
            cf_loss=float(cf["loss"].mean()),
            cf_share_asymmetric=float(np.mean(cf["loss"] > cf["gain"])),
            cf_repair_median=float(np.median(cf["repair"])),
            cf_relationships=float(len(cf["trust"])),
        )
    return res


def _trust_series(out: RunOutput, steps: int) -> dict[str, np.ndarray]:
    cf = counterfactual_trust(out.model)
    return {k: cf[k] for k in ("trust", "gain", "loss")}


def _default_arms(collect: Sequence[str]) -> Callable[[int], dict[str, Arm]]:
    return lambda steps: {m: arm(m, collect=collect) for m in MODES}


P1 = Pattern(
    number=1,
    key="trust_asymmetry",
    title="Trust asymmetry",
    statement="One defection lowers trust more than one cooperation raises it.",
    steps=160,
    full_steps=360,
    build_arms=_default_arms(("trust_events",)),
    contrasts=tuple(
        c
        for m in MODES
        for c in (
            Contrast(
                f"1{m[0]}",
                f"{m}: loss from one defection > gain from one cooperation (same state)",
                M(m, "cf_loss"),
                M(m, "cf_gain"),
                +1,
                primary=m == "governance",
            ),
            Contrast(
                f"1{m[0]}'",
                f"{m}: in the run, trust falls after a defection more than it rises after a "
                "cooperation",
                M(m, "ev_loss"),
                M(m, "ev_gain"),
                +1,
            ),
        )
    ),
    measures=_trust_measures,
    series=_trust_series,
)


# --------------------------------------------------------------------------------------------------
# Pattern 2: contributions in fixed groups decay without incentives; sanctions sustain them

FIXED_GROUPS = dict(
    partnerships__patience=120, partnerships__completion_value=1e9, partnerships__exit_trust=0.0
)
EARLY_ROUNDS = 5
LATE_ROUNDS = 12


def _pgg_arms(steps: int) -> dict[str, Arm]:
    out = {}
    for m in MODES:
        out[f"{m}/none"] = arm(
            m, ("age_curve",), **FIXED_GROUPS, incentives__reward=0.0, incentives__sanction=0.0
        )
        out[f"{m}/sanctions"] = arm(m, ("age_curve",), **FIXED_GROUPS, incentives__reward=0.0)
    return out


def _pgg_measures(out: RunOutput, steps: int) -> dict[str, float]:
    curve = out.collected["age_curve"]
    return {
        "first_round": float(curve[0]),
        "early": float(np.nanmean(curve[:EARLY_ROUNDS])),
        "late": float(np.nanmean(curve[-LATE_ROUNDS:])),
        "rounds": float(len(curve)),
    }


P2 = Pattern(
    number=2,
    key="public_goods_decay",
    title="Contributions decay without incentives; sanctions sustain them",
    statement=(
        "Without incentives, contributions start mid-range and decay without reaching zero "
        "(public-goods experiments); well-used sanctions sustain them (Fehr & Gächter 2000)."
    ),
    steps=72,
    full_steps=132,
    min_steps=AgeCurve.COHORT + EARLY_ROUNDS + LATE_ROUNDS,
    build_arms=_pgg_arms,
    contrasts=tuple(
        c
        for m in ("corporatism", "statism", "governance", "pluralism")
        for c in (
            Contrast(
                f"2{m[0]}-decay",
                f"{m}: without incentives, late rounds < early rounds",
                M(f"{m}/none", "late"),
                M(f"{m}/none", "early"),
                -1,
                primary=m == "corporatism",
            ),
            Contrast(
                f"2{m[0]}-sanctions",
                f"{m}: with sanctions, late rounds > late rounds without",
                M(f"{m}/sanctions", "late"),
                M(f"{m}/none", "late"),
                +1,
                primary=m == "corporatism",
            ),
        )
    ),
    measures=_pgg_measures,
    series=lambda out, steps: {"curve": out.collected["age_curve"]},
)


# --------------------------------------------------------------------------------------------------
# Pattern 3: sanctions crowd out; rewards plus graduated sanctions sustain best

REGIMES = {
    "none": dict(incentives__reward=0.0, incentives__sanction=0.0),
    "sanction_only": dict(
        incentives__reward=0.0, incentives__sanction=0.5, incentives__graduated=False
    ),
    "reward_graduated": dict(
        incentives__reward=0.2, incentives__sanction=0.5, incentives__graduated=True
    ),
    "reward_sanction": dict(
        incentives__reward=0.2, incentives__sanction=0.5, incentives__graduated=False
    ),
}


# Which regimes are distinct runs in each mode: every mode sanctions, but only the payoff rules
# that pay rewards (pluralism's ContractShares, governance's AgreedShares) pay rewards, and only
# those that graduate (corporatism's SectorQuotas, AgreedShares) warn first (docs/ODD.md §7.8).
# A regime the mode's rules cannot tell from another is not run twice: under statism rewards and
# graduation both do nothing; under pluralism graduation does nothing; under corporatism rewards
# do nothing, so its ``reward_graduated`` arm is graduated sanctions alone.
CROWDING_REGIMES: dict[str, tuple[str, ...]] = {
    "governance": ("none", "sanction_only", "reward_graduated", "reward_sanction"),
    "statism": ("none", "sanction_only"),
    "pluralism": ("none", "sanction_only", "reward_sanction"),
    "corporatism": ("none", "sanction_only", "reward_graduated"),
}
CROWDING_MODES = tuple(CROWDING_REGIMES)


def _crowding_arms(steps: int) -> dict[str, Arm]:
    out = {}
    off = {"incentives.sanction": 0.0, "incentives.reward": 0.0}
    for m, regimes in CROWDING_REGIMES.items():
        for name in regimes:
            out[f"{m}/{name}"] = arm(m, **REGIMES[name])
        out[f"{m}/sanctions_removed"] = arm(
            m, changes=((steps // 2, off),), **REGIMES["sanction_only"]
        )
    return out


def _crowding_measures(out: RunOutput, steps: int) -> dict[str, float]:
    ts = out.ts
    return {
        "cooperation": late(ts, "cooperation_rate", steps),
        "motivation": late(ts, "mean_motivation", steps),
        "motivation_end": float(ts["mean_motivation"].iloc[-1]),
        "sustainability": float(out.summary["sustainability_index"]),
        "sanctions": float(ts["sanctions"].sum()),
    }


def _crowding_contrasts(m: str) -> tuple[Contrast, ...]:
    """Governance keeps the contrast names of version 0.2 (3a–3g); the other modes' contrasts are
    named ``3<initial>-<letter>`` with the same letters where the same comparison is meant."""

    def name(letter: str) -> str:
        return f"3{letter}" if m == "governance" else f"3{m[0]}-{letter}"

    def q(regime: str, measure: str) -> M:
        return M(f"{m}/{regime}", measure)

    out = [
        Contrast(
            name("a"),
            f"{m}: sanctions alone lower intrinsic motivation (vs no incentives)",
            q("sanction_only", "motivation"),
            q("none", "motivation"),
            -1,
            primary=True,
        ),
        Contrast(
            name("b"),
            f"{m}: the motivation loss outlasts the removal of sanctions (half a run later)",
            q("sanctions_removed", "motivation"),
            q("none", "motivation"),
            -1,
            primary=True,
        ),
        Contrast(
            name("c"),
            f"{m}: cooperation stays lower after sanctions are removed (vs never sanctioned)",
            q("sanctions_removed", "cooperation"),
            q("none", "cooperation"),
            -1,
        ),
    ]
    regimes = CROWDING_REGIMES[m]
    best = "reward_graduated" if "reward_graduated" in regimes else "reward_sanction"
    label = {
        "governance": "rewards + graduated sanctions",
        "pluralism": "rewards + sanctions (its rule does not graduate)",
        "corporatism": "graduated sanctions (its rule pays no rewards)",
    }.get(m)
    if label is not None:
        out += [
            Contrast(
                name("d"),
                f"{m}: {label} keep more motivation than sanctions alone",
                q(best, "motivation"),
                q("sanction_only", "motivation"),
                +1,
            ),
            Contrast(
                name("e"),
                f"{m}: {label}: more cooperation than sanctions alone",
                q(best, "cooperation"),
                q("sanction_only", "cooperation"),
                +1,
                primary=True,
            ),
        ]
    if m == "governance":
        out += [
            Contrast(
                "3f",
                "governance: rewards + graduated sanctions: more cooperation than rewards + "
                "immediate sanctions",
                q("reward_graduated", "cooperation"),
                q("reward_sanction", "cooperation"),
                +1,
            ),
            Contrast(
                "3g",
                "governance: rewards + graduated sanctions: more cooperation than no incentives",
                q("reward_graduated", "cooperation"),
                q("none", "cooperation"),
                +1,
            ),
        ]
    return tuple(out)


P3 = Pattern(
    number=3,
    key="crowding_out",
    title="Sanctions crowd out motivation; rewards plus graduated sanctions sustain best",
    statement=(
        "Sanctions alone crowd out intrinsic motivation and their harm outlasts their removal; "
        "rewards plus graduated sanctions sustain cooperation best."
    ),
    steps=160,
    full_steps=360,
    min_steps=80,
    build_arms=_crowding_arms,
    contrasts=tuple(c for m in CROWDING_MODES for c in _crowding_contrasts(m)),
    measures=_crowding_measures,
    series=lambda out, steps: {
        "mean_motivation": out.ts["mean_motivation"].to_numpy(),
        "cooperation_rate": out.ts["cooperation_rate"].to_numpy(),
    },
)


# --------------------------------------------------------------------------------------------------
# Pattern 4: turnover erodes personal trust; institutionalisation and handover protect

TRUST_REGIMES = {
    "personal": dict(trust__institutionalisation=0.0, turnover__handover=0.0),
    "default": {},
    "institutional": dict(trust__institutionalisation=0.2, turnover__handover=1.0),
}
HIGH_TURNOVER = 0.15


def _turnover_arms(steps: int) -> dict[str, Arm]:
    out = {}
    for regime, kw in TRUST_REGIMES.items():
        out[f"{regime}/stable"] = arm("governance", turnover__rate=0.0, **kw)
        out[f"{regime}/turnover"] = arm("governance", turnover__rate=HIGH_TURNOVER, **kw)
    return out


def _turnover_effect(regime: str, measure: str) -> Diff:
    return Diff(M(f"{regime}/turnover", measure), M(f"{regime}/stable", measure))


P4 = Pattern(
    number=4,
    key="turnover",
    title="Staff turnover erodes personal trust; institutions and handover protect",
    statement=(
        "Staff turnover erodes cooperation where trust is personal; institutionalisation and "
        "good handover protect it."
    ),
    steps=160,
    full_steps=360,
    build_arms=_turnover_arms,
    contrasts=(
        Contrast(
            "4a",
            "personal trust only: turnover lowers cooperation",
            M("personal/turnover", "cooperation"),
            M("personal/stable", "cooperation"),
            -1,
            primary=True,
        ),
        Contrast(
            "4b",
            "default trust: turnover lowers cooperation",
            M("default/turnover", "cooperation"),
            M("default/stable", "cooperation"),
            -1,
        ),
        Contrast(
            "4c",
            "institutionalisation + handover shrink the turnover loss of cooperation",
            _turnover_effect("institutional", "cooperation"),
            _turnover_effect("personal", "cooperation"),
            +1,
            primary=True,
        ),
        Contrast(
            "4d",
            "personal trust only: turnover lowers trust in partners",
            M("personal/turnover", "partner_trust"),
            M("personal/stable", "partner_trust"),
            -1,
        ),
        Contrast(
            "4e",
            "institutionalisation + handover shrink the turnover loss of partner trust",
            _turnover_effect("institutional", "partner_trust"),
            _turnover_effect("personal", "partner_trust"),
            +1,
        ),
    ),
    measures=lambda out, steps: {
        "cooperation": late(out.ts, "cooperation_rate", steps),
        "partner_trust": late(out.ts, "partner_trust", steps),
        "mean_trust": late(out.ts, "mean_trust", steps),
        "public_value": late(out.ts, "public_value", steps),
    },
    series=lambda out, steps: {
        "partner_trust": out.ts["partner_trust"].to_numpy(),
        "cooperation_rate": out.ts["cooperation_rate"].to_numpy(),
    },
)


# --------------------------------------------------------------------------------------------------
# Pattern 5: a capacity shock to government

SHOCK_DURATION = 24
SHOCK_SEVERITY = 0.8


def shock_step(steps: int) -> int:
    """When the capacity shock strikes: 60 steps before the end (recovery stays in view)."""
    return steps - 60


def _capacity_shock(steps: int, severity: float) -> list[dict[str, Any]]:
    return [
        {
            "kind": "capacity_loss",
            "at": shock_step(steps),
            "target": "government",
            "severity": severity,
            "duration": SHOCK_DURATION,
        }
    ]


def _shock_arms(steps: int) -> dict[str, Arm]:
    out = {}
    for m in MODES:
        for name, severity in (("placebo", 0.0), ("shock", SHOCK_SEVERITY)):
            out[f"{m}/{name}"] = arm(m, ("value_window",), shocks=_capacity_shock(steps, severity))
    return out


def _shock_measures(out: RunOutput, steps: int) -> dict[str, float]:
    at = shock_step(steps)
    step, pv = out.ts["step"].to_numpy(), out.ts["public_value"].to_numpy()
    during = (step >= at) & (step < at + SHOCK_DURATION)
    return {
        "value_before": float(pv[(step >= at - 24) & (step < at)].mean()),
        "value_during": float(pv[during].mean()),
        "value_after": float(pv[step >= at + SHOCK_DURATION].mean()),
        "non_government_share": out.collected["value_window"],
    }


P5 = Pattern(
    number=5,
    key="capacity_shock",
    title="A government capacity shock hurts statism most",
    statement=(
        "A capacity shock to government hurts statism most; under governance, NGOs and firms "
        "carry the work."
    ),
    steps=120,
    full_steps=240,
    min_steps=100,
    build_arms=_shock_arms,
    contrasts=(
        *(
            Contrast(
                f"5{m[0]}",
                f"relative loss of public value during the shock: statism > {m}",
                RelativeLoss("statism/shock", "statism/placebo", "value_during"),
                RelativeLoss(f"{m}/shock", f"{m}/placebo", "value_during"),
                +1,
                primary=m == "governance",
            )
            for m in ("governance", "pluralism", "corporatism")
        ),
        Contrast(
            "5n",
            "governance: the share of value from partnerships led by firms and NGOs rises "
            "during the shock",
            M("governance/shock", "non_government_share"),
            M("governance/placebo", "non_government_share"),
            +1,
            primary=True,
        ),
    ),
    measures=_shock_measures,
    series=lambda out, steps: {"public_value": out.ts["public_value"].to_numpy()},
)


# --------------------------------------------------------------------------------------------------
# Pattern 6: goal conflict shortens partnership survival

DISTINCT_GOAL = {
    "government": "public_value",
    "business": "profit",
    "civil_society": "mission",
    "community": "public_value",
}
POLARISATION = 0.5


def polarised_goals(weight: float) -> dict[str, float]:
    """Overrides that move each sector's goal weights a share ``weight`` of the way from its
    default profile towards its one distinctive goal (agencies: public value; firms: profit;
    NGOs: mission), lowering cross-sector alignment without changing anything else."""
    out = {}
    for sector in SECTORS:
        goals = SECTOR_DEFAULTS[sector]["goals"]
        total = sum(goals.values())
        for dim in GOAL_DIMENSIONS:
            pure = 1.0 if dim == DISTINCT_GOAL[sector] else 0.0
            out[f"population__{sector}__goals__{dim}"] = (1 - weight) * goals[
                dim
            ] / total + weight * pure
    return out


CONFLICT_MODES = ("pluralism", "corporatism", "governance")


def _conflict_arms(steps: int) -> dict[str, Arm]:
    out = {}
    for m in CONFLICT_MODES:
        out[f"{m}/aligned"] = arm(m)
        out[f"{m}/conflict"] = arm(m, **polarised_goals(POLARISATION))
    return out


def _partnership_ages(model: CoopModel) -> tuple[np.ndarray, np.ndarray]:
    table = model.partnerships_table
    ended = table.view("ended")
    age = np.where(ended >= 0, ended, model.steps) - table.view("formed")
    return age, table.view("status") == DISSOLVED


def _conflict_measures(out: RunOutput, steps: int) -> dict[str, float]:
    model, s = out.model, out.summary
    table = model.partnerships_table
    fits = [
        float(alignment(model.orgs.goals[list(m)], table.objective[i]).mean())
        for i, m in enumerate(table.member_lists)
    ]
    median = s["partnership_survival_median"]
    dissolved = s["partnerships_dissolved"]
    return {
        "hazard": float(s["dissolution_hazard"]),
        "alignment": float(np.mean(fits)) if fits else math.nan,
        "median_survival": math.nan if median is None else float(median),
        "goal_conflict_share": s.get("dissolved_goal_conflict", 0) / dissolved
        if dissolved
        else 0.0,
        "formed": float(s["partnerships_formed"]),
    }


def _conflict_series(out: RunOutput, steps: int) -> dict[str, np.ndarray]:
    age, event = _partnership_ages(out.model)
    return {"age": age, "dissolved": event}


P6 = Pattern(
    number=6,
    key="goal_conflict",
    title="Goal conflict shortens partnership survival",
    statement="Goal conflict (low alignment) shortens partnership survival.",
    steps=160,
    full_steps=360,
    build_arms=_conflict_arms,
    contrasts=tuple(
        c
        for m in CONFLICT_MODES
        for c in (
            Contrast(
                f"6{m[0]}",
                f"{m}: polarised goals raise the dissolution hazard",
                M(f"{m}/conflict", "hazard"),
                M(f"{m}/aligned", "hazard"),
                +1,
                primary=m != "governance",
            ),
            Contrast(
                f"6{m[0]}-check",
                f"{m}: manipulation check — polarised goals lower member–objective alignment",
                M(f"{m}/conflict", "alignment"),
                M(f"{m}/aligned", "alignment"),
                -1,
            ),
        )
    ),
    measures=_conflict_measures,
    series=_conflict_series,
)


# --------------------------------------------------------------------------------------------------
# Pattern 7: government scarcity raises partnership formation

CUT_SEVERITY = 0.5
LEAN_MODES = ("statism", "governance")  # where the cut is decomposed (scarcity vs the cut event)


def cut_step(steps: int) -> int:
    return steps // 5


def _budget_cut(steps: int, severity: float) -> list[dict[str, Any]]:
    at = cut_step(steps)
    return [
        {
            "kind": "budget_cut",
            "at": at,
            "target": "government",
            "severity": severity,
            "duration": steps - at + 1,
        }
    ]


TRADES = {"trade": True, "notrade": False}  # partnerships.control_trade


def _scarcity_arms(steps: int) -> dict[str, Arm]:
    """Every mode with and without the control trade, each with a lasting cut and its placebo;
    the lean arms (a lower budget from the start, no cut event) with the trade only."""
    out = {}
    lean = ModelConfig().environment.budget * (1 - CUT_SEVERITY)
    for m in MODES:
        for t, on in TRADES.items():
            for name, severity in (("placebo", 0.0), ("cut", CUT_SEVERITY)):
                out[f"{m}/{t}/{name}"] = arm(
                    m, shocks=_budget_cut(steps, severity), partnerships__control_trade=on
                )
        if m in LEAN_MODES:
            out[f"{m}/trade/lean"] = arm(
                m, shocks=_budget_cut(steps, 0.0), environment__budget=lean
            )
    return out


def _scarcity_measures(out: RunOutput, steps: int) -> dict[str, float]:
    at = cut_step(steps)
    model = out.model
    table = model.partnerships_table
    formed = table.view("formed")
    in_window = formed >= at
    led = model.orgs.sector[table.view("lead")] == GOVERNMENT
    ts = out.ts[out.ts["step"] >= at]
    conceded = pd.to_numeric(ts["control_conceded"], errors="coerce")
    control = pd.to_numeric(ts["control_share_government"], errors="coerce")
    return {
        "government_led": float(np.sum(in_window & led)),
        "other_led": float(np.sum(in_window & ~led)),
        "formed": float(np.sum(in_window)),
        "government_benefit_share": float(ts["benefit_share_government"].mean()),
        "government_control_share": float(control.mean()) if control.notna().any() else math.nan,
        "control_conceded": float(conceded.mean()) if conceded.notna().any() else 0.0,
        "public_value": float(ts["public_value"].mean()),
    }


def _scarcity_series(out: RunOutput, steps: int) -> dict[str, np.ndarray]:
    model = out.model
    table = model.partnerships_table
    led = model.orgs.sector[table.view("lead")] == GOVERNMENT
    counts = np.bincount(table.view("formed")[led], minlength=steps + 1)[1 : steps + 1]
    return {"government_led_per_step": counts}


def _cut_effect(m: str, t: str, measure: str) -> Diff:
    return Diff(M(f"{m}/{t}/cut", measure), M(f"{m}/{t}/placebo", measure))


def _scarcity_contrasts(m: str) -> tuple[Contrast, ...]:
    def q(t: str, name: str, measure: str) -> M:
        return M(f"{m}/{t}/{name}", measure)

    out = [
        Contrast(
            f"7{m[0]}",
            f"{m}: a lasting budget cut raises government-led formation (control trade on)",
            q("trade", "cut", "government_led"),
            q("trade", "placebo", "government_led"),
            +1,
            primary=True,
        ),
        Contrast(
            f"7{m[0]}-notrade",
            f"{m}: the same without the control trade",
            q("notrade", "cut", "government_led"),
            q("notrade", "placebo", "government_led"),
            +1,
        ),
        Contrast(
            f"7{m[0]}-trade",
            f"{m}: the trade adds to the cut's effect on government-led formation "
            "(difference in differences)",
            _cut_effect(m, "trade", "government_led"),
            _cut_effect(m, "notrade", "government_led"),
            +1,
        ),
        Contrast(
            f"7{m[0]}-all",
            f"{m}: a lasting budget cut raises formation of all partnerships (control trade on)",
            q("trade", "cut", "formed"),
            q("trade", "placebo", "formed"),
            +1,
        ),
    ]
    if m in LEAN_MODES:
        out.append(
            Contrast(
                f"7{m[0]}-lean",
                f"{m}: the same lower budget from the start (no cut event) raises it too",
                q("trade", "lean", "government_led"),
                q("trade", "placebo", "government_led"),
                +1,
            )
        )
    out += [
        Contrast(
            f"7{m[0]}-conceded",
            f"{m}: under the cut, leads concede more control (control trade on)",
            q("trade", "cut", "control_conceded"),
            q("trade", "placebo", "control_conceded"),
            +1,
        ),
        Contrast(
            f"7{m[0]}-control",
            f"{m}: under the cut, government's share of control falls (control trade on)",
            q("trade", "cut", "government_control_share"),
            q("trade", "placebo", "government_control_share"),
            -1,
        ),
        Contrast(
            f"7{m[0]}-benefit",
            f"{m}: under the cut, government's benefit share falls (control trade on)",
            q("trade", "cut", "government_benefit_share"),
            q("trade", "placebo", "government_benefit_share"),
            -1,
        ),
    ]
    return tuple(out)


P7 = Pattern(
    number=7,
    key="scarcity",
    title="Government scarcity raises partnership formation",
    statement="Government resource scarcity raises partnership formation (resources traded for "
    "control).",
    steps=120,
    full_steps=240,
    build_arms=_scarcity_arms,
    contrasts=tuple(c for m in MODES for c in _scarcity_contrasts(m)),
    measures=_scarcity_measures,
    series=_scarcity_series,
)


# --------------------------------------------------------------------------------------------------
# Pattern 8: churn, stability and inclusiveness across modes


INCIDENCE_AGE = 60  # months: pattern 8's stability is the dissolved share by this age


def _incidence(model: CoopModel, group: str) -> float:
    """Cumulative incidence of dissolution by ``INCIDENCE_AGE`` months (Aalen–Johansen, completion
    competing, the active censored) of the run's partnerships in ``group``
    (``coopsim.statistics``: ``dissolution_incidence``); NaN where none was followed that long."""
    measure = Measure(
        statistic="dissolution_incidence",
        arguments=(("at", INCIDENCE_AGE), ("partnerships", group)),
    )
    return measure.value([RunData(summary={}, partnerships=model.partnerships())])


def _mode_measures(out: RunOutput, steps: int) -> dict[str, float]:
    s, ts = out.summary, out.ts
    median = s["partnership_survival_median"]
    return {
        "member_exit_rate": float(s["member_exit_rate"]),
        "dissolution_hazard": float(s["dissolution_hazard"]),
        "dissolution_incidence": _incidence(out.model, "cross_sector"),
        "dissolution_incidence_all": _incidence(out.model, "all"),
        "inclusiveness": float(s["inclusiveness"]),
        "median_survival": math.nan if median is None else float(median),
        "members_left": float(ts["members_left"].sum()),
        "members_replaced": float(ts["members_replaced"].sum()),
        "cooperation": late(ts, "cooperation_rate", steps),
        "partner_trust": late(ts, "partner_trust", steps),
    }


def _versus(measure: str, mode: str, direction: int, claim: str, primary=True, letter=None):
    return tuple(
        Contrast(
            f"8{letter or measure[0]}-{other[:4]}",
            f"{claim} ({mode} vs {other})",
            M(mode, measure),
            M(other, measure),
            direction,
            primary=primary,
        )
        for other in MODES
        if other != mode
    )


P8 = Pattern(
    number=8,
    key="mode_churn",
    title="Pluralism churns most; corporatism is stable but exclusive",
    statement="Pluralism gives the most churn; corporatism the most stable but least inclusive "
    "partnerships.",
    steps=160,
    full_steps=360,
    build_arms=_default_arms(()),
    contrasts=(
        *_versus("member_exit_rate", "pluralism", +1, "pluralism churns most"),
        *_versus(
            "dissolution_incidence",
            "corporatism",
            -1,
            f"corporatism is the most stable: the fewest cross-sector partnerships dissolved by "
            f"{INCIDENCE_AGE} months",
        ),
        *_versus(
            "dissolution_hazard",
            "corporatism",
            -1,
            "corporatism has the lowest dissolution hazard (all partnerships, per month)",
            primary=False,
            letter="h",
        ),
        *_versus("inclusiveness", "corporatism", -1, "corporatism is the least inclusive"),
    ),
    measures=_mode_measures,
    series=lambda out, steps: _ends_series(out.model),
)


def _ends_series(model: CoopModel) -> dict[str, np.ndarray]:
    """Every partnership's age, how it ended (0 active, 1 dissolved, 2 completed) and whether its
    members come from two sectors or more (for the pooled incidence curves of pattern 8)."""
    frame = model.partnerships()
    end = frame["status"].map({"dissolved": 1, "completed": 2}).fillna(0).to_numpy(int)
    cross = frame["sectors"].map(len).to_numpy() >= 2
    return {"age": frame["age"].to_numpy(float), "end": end, "cross": cross}


PATTERNS: dict[int, Pattern] = {p.number: p for p in (P1, P2, P3, P4, P5, P6, P7, P8)}


# --------------------------------------------------------------------------------------------------
# Running and evaluating


@dataclass(frozen=True)
class Job:
    """One run (an arm at a seed) and every (pattern, arm name) that reads it."""

    arm: Arm
    steps: int
    seed: int
    uses: tuple[tuple[int, str], ...]


def plan(
    patterns: Iterable[Pattern],
    seeds: Sequence[int],
    steps: Mapping[int, int] | None = None,
    full: bool = False,
) -> list[Job]:
    """Jobs for every arm of every pattern at every seed; equal runs are planned once.

    ``steps`` maps a pattern number to its run length (default: the pattern's ``steps``, or
    ``full_steps`` when ``full``)."""
    merged: dict[tuple[str, int], tuple[Arm, list[tuple[int, str]]]] = {}
    for p in patterns:
        n = (steps or {}).get(p.number, p.full_steps if full else p.steps)
        for name, a in p.arms(n).items():
            key = (a.run_key, n)
            if key in merged:
                old, uses = merged[key]
                collect = tuple(dict.fromkeys(old.collect + a.collect))
                merged[key] = (Arm(old.mode, old.overrides, old.changes, collect), uses)
            else:
                merged[key] = (a, [])
            merged[key][1].append((p.number, name))
    return [Job(a, n, seed, tuple(uses)) for (_, n), (a, uses) in merged.items() for seed in seeds]


def run_arm(a: Arm, steps: int, seed: int) -> RunOutput:
    """Run one arm for ``steps`` steps at ``seed``, with its collectors and mid-run changes."""
    model = CoopModel(config=a.config(), mode=a.mode, rng=seed)
    collectors = {name: COLLECTORS[name](model, steps) for name in a.collect}
    changes = dict(a.changes)
    for _ in range(steps):
        if model.steps + 1 in changes:
            model.config = model.config.with_overrides(dict(changes[model.steps + 1]))
        for c in collectors.values():
            c.before(model)
        model.step()
        for c in collectors.values():
            c.after(model)
    collected = {name: c.result() for name, c in collectors.items()}
    return RunOutput(model, steps, model.timeseries(), model.summary(), collected)


def run_job(job: Job) -> list[dict[str, Any]]:
    """Run a job and take every reader's measures (and series) from it: picklable rows."""
    out = run_arm(job.arm, job.steps, job.seed)
    rows = []
    for number, name in job.uses:
        p = PATTERNS[number]
        rows.append(
            {
                "pattern": number,
                "arm": name,
                "seed": job.seed,
                "measures": p.measures(out, job.steps),
                "series": p.series(out, job.steps),
            }
        )
    return rows


@dataclass
class Results:
    """Measures (one row per pattern, arm and seed) and series (per pattern and arm, by seed)."""

    measures: pd.DataFrame
    series: dict[int, dict[str, list[dict[str, np.ndarray]]]]

    def of(self, number: int) -> pd.DataFrame:
        frame = self.measures[self.measures["pattern"] == number]
        return frame.dropna(axis=1, how="all")


def run_patterns(
    patterns: Iterable[Pattern],
    seeds: Sequence[int],
    steps: Mapping[int, int] | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    full: bool = False,
    *,
    executor: str | None = None,
    scheduler: str | None = None,
) -> Results:
    """Every arm of every pattern at every seed, in ``workers`` local processes (1: in this one),
    or on Dask (``executor="dask"``, or an existing cluster's ``scheduler``, as for sweeps).
    The results do not depend on where the jobs run."""
    jobs = plan(list(patterns), seeds, steps, full)
    outputs = gather(
        run_job,
        jobs,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        preload=WORKER_MODULES,
        progress=progress,
    )
    rows = [row for result in outputs for row in result]  # in the order of the jobs
    records = [
        {"pattern": r["pattern"], "arm": r["arm"], "seed": r["seed"], **r["measures"]} for r in rows
    ]
    series: dict[int, dict[str, list[dict[str, np.ndarray]]]] = {}
    for r in sorted(rows, key=lambda r: r["seed"]):
        series.setdefault(r["pattern"], {}).setdefault(r["arm"], []).append(r["series"])
    frame = pd.DataFrame(records).sort_values(["pattern", "arm", "seed"], ignore_index=True)
    return Results(frame, series)


def seed_values(frame: pd.DataFrame) -> dict[int, dict[str, dict[str, float]]]:
    """seed -> arm -> measure -> value."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    measures = [c for c in frame.columns if c not in ("pattern", "arm", "seed")]
    for rec in frame.to_dict("records"):
        out.setdefault(int(rec["seed"]), {})[rec["arm"]] = {m: rec[m] for m in measures}
    return out


def contrast_effect(contrast: Contrast, frame: pd.DataFrame) -> PairedEffect:
    """The paired effect of one contrast over the seeds in ``frame`` (one pattern's measures)."""
    by_seed = seed_values(frame)
    seeds = sorted(by_seed)
    treatment = [contrast.treatment(by_seed[s]) for s in seeds]
    control = [contrast.control(by_seed[s]) for s in seeds]
    return paired_effect(treatment, control, contrast.direction)


def evaluate(pattern: Pattern, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per contrast of ``pattern``: the claim and its paired effect."""
    rows = []
    for c in pattern.contrasts:
        effect = contrast_effect(c, frame)
        rows.append(
            {
                "pattern": pattern.number,
                "contrast": c.name,
                "primary": c.primary,
                "claim": c.claim,
                "treatment": str(c.treatment),
                "control": str(c.control),
                **effect.as_dict(),
            }
        )
    return pd.DataFrame(rows)


def arm_table(pattern: Pattern, frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and n of every measure of every arm (levels, beside the contrasts)."""
    long = frame.melt(id_vars=["pattern", "arm", "seed"], var_name="measure").dropna()
    table = long.groupby(["arm", "measure"])["value"].agg(["mean", "std", "count"])
    table = table.reset_index()
    table.insert(0, "pattern", pattern.number)
    return table
