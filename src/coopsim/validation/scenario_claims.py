"""What each bundled scenario's description says to look for, as claims checked across seeds.

Every scenario file's ``description`` ends with "What to look for": effects a reader should see
when running it, with and without a shock, across modes, or with a remedy. Here each effect is a
**claim**: a treatment quantity against a control quantity (or a reference value), in the
direction the description states, over runs of the scenario file with ``--set``-style overrides
(the arms). Every arm of a scenario runs on the same seeds (the ``seed`` override), so a
treatment and its control share the population, the network and every noise stream (common
random numbers) and pair up seed by seed; a contrast inside one run (late against early months)
pairs up too.

Three kinds of claim:

- ``paired``: the mean paired difference lies in the stated direction by at least
  ``min_effect``, and a one-sided paired t-test is significant (``stats.one_sided_p``);
- ``equivalent``: the description says something does *not* change; two one-sided tests (TOST)
  put the mean paired difference inside ±``min_effect``;
- ``every_seed``: a bound that holds in every run (``direction`` × difference ≥ ``min_effect``
  at each seed).

Measures read fixed months (``Window``) or run outputs (``Summary``). A run is causal, so a run
cut short at ``steps`` is the first ``steps`` months of the full run: a ``Window`` measure that
ends before the cut reads exactly the same numbers. ``ScenarioClaims.reduced_steps`` is the
shortest run the claims of a scenario read the same way in (``reduced_why`` says why);
``tests/scenario/test_what_to_look_for.py`` runs it, ``experiments/scenario_claims.py`` measures
every claim at the full length with more seeds (docs/VALIDATION.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from coopsim.executors import gather
from coopsim.model import CoopModel
from coopsim.scenario import load_scenario
from coopsim.validation.patterns import Diff, M, Quantity, RelativeLoss
from coopsim.validation.stats import one_sided_p, t_interval

__all__ = [
    "CLAIMS",
    "Claim",
    "Constant",
    "Diff",
    "LedShare",
    "M",
    "RelativeLoss",
    "ScenarioClaims",
    "Summary",
    "Verdict",
    "Window",
    "judge",
    "run_claims",
]

Kind = Literal["paired", "equivalent", "every_seed"]
WORKER_MODULES = ("coopsim.validation.scenario_claims",)
Values = Mapping[str, Mapping[str, float]]  # arm -> measure -> value, for one seed


# --------------------------------------------------------------------------------------------------
# Measures: one number from one run


@dataclass(frozen=True)
class Run:
    """What a measure sees of a finished run."""

    ts: pd.DataFrame
    partnerships: pd.DataFrame
    summary: dict[str, Any]


@dataclass(frozen=True)
class Window:
    """A statistic (mean, sum or max, steps without a value skipped) of a step output over the
    months ``start`` ≤ step < ``stop``."""

    column: str
    start: int
    stop: int
    statistic: Literal["mean", "sum", "max"] = "mean"

    def __call__(self, run: Run) -> float:
        steps = run.ts["step"]
        values = run.ts.loc[(steps >= self.start) & (steps < self.stop), self.column].dropna()
        if values.empty:
            return math.nan
        return float(getattr(values, self.statistic)())


@dataclass(frozen=True)
class Summary:
    """A run output (``CoopModel.summary()``); a missing value reads as ``missing``."""

    name: str
    missing: float = math.nan

    def __call__(self, run: Run) -> float:
        value = run.summary.get(self.name)
        return self.missing if value is None else float(value)


@dataclass(frozen=True)
class LedShare:
    """Share of the partnership-months in ``start`` ≤ month < ``stop`` spent in partnerships
    led by an organisation of ``sectors``."""

    sectors: tuple[str, ...]
    start: int
    stop: int

    def __call__(self, run: Run) -> float:
        p = run.partnerships
        if p.empty:
            return math.nan
        ended = p["ended"].astype("float64").fillna(np.inf).to_numpy()
        months = np.clip(
            np.minimum(ended, self.stop) - np.maximum(p["formed"].to_numpy(), self.start), 0, None
        )
        total = months.sum()
        if total <= 0:
            return math.nan
        return float(months[p["lead_sector"].isin(self.sectors).to_numpy()].sum() / total)


Measure = Window | Summary | LedShare


@dataclass(frozen=True)
class Constant(Quantity):
    """A reference value (the control of a one-sample claim)."""

    value: float

    def __call__(self, values: Values) -> float:
        return self.value

    def arms(self) -> set[str]:
        return set()

    def __str__(self) -> str:
        return f"{self.value:g}"


# --------------------------------------------------------------------------------------------------
# Claims


@dataclass(frozen=True)
class Claim:
    """One effect a description names: ``treatment`` against ``control`` in ``direction``
    (+1: treatment higher), by at least ``min_effect`` (for ``equivalent``: the margin)."""

    name: str
    says: str
    treatment: Quantity
    control: Quantity
    direction: int = 1
    min_effect: float = 0.0
    kind: Kind = "paired"

    def arms(self) -> set[str]:
        return self.treatment.arms() | self.control.arms()


@dataclass(frozen=True)
class ScenarioClaims:
    """The claims of one scenario file: its arms (``--set`` overrides), measures and claims."""

    scenario: str  # the file's stem in scenarios/
    arms: Mapping[str, tuple[str, ...]]
    measures: Mapping[str, Measure]
    claims: tuple[Claim, ...]
    reduced_steps: int | None = None  # None: the file's own length
    reduced_why: str = ""

    def __post_init__(self) -> None:
        for claim in self.claims:
            unknown = claim.arms() - set(self.arms)
            if unknown:
                raise ValueError(f"{self.scenario}/{claim.name}: unknown arms {sorted(unknown)}")
            for q in _leaves(claim.treatment) + _leaves(claim.control):
                if isinstance(q, M) and q.measure not in self.measures:
                    raise ValueError(f"{self.scenario}/{claim.name}: unknown measure {q.measure}")
        for name, measure in self.measures.items():
            stop = getattr(measure, "stop", None)
            if self.reduced_steps and stop is not None and stop > self.reduced_steps + 1:
                raise ValueError(f"{self.scenario}: {name} reads past the reduced run")

    def arms_needed(self, claims: Iterable[Claim] | None = None) -> list[str]:
        needed = set().union(*(c.arms() for c in (claims or self.claims)))
        return [a for a in self.arms if a in needed]


def _leaves(q: Quantity) -> list[Quantity]:
    if isinstance(q, Diff):
        return _leaves(q.a) + _leaves(q.b)
    if isinstance(q, RelativeLoss):
        return [M(q.arm, q.measure), M(q.base, q.measure)]
    return [q]


# --------------------------------------------------------------------------------------------------
# Running


def run_job(job: tuple[str, str, str, tuple[str, ...], int, int | None]) -> dict[str, Any]:
    """One arm of one scenario at one seed: every measure of the scenario."""
    directory, scenario, arm, overrides, seed, steps = job
    extra = [f"seed={seed}"] + ([f"steps={steps}"] if steps else [])
    loaded = load_scenario(Path(directory) / f"{scenario}.yaml", [*overrides, *extra])
    model = CoopModel.from_scenario(loaded).run()
    run = Run(model.timeseries(), model.partnerships(), model.summary())
    spec = CLAIMS[scenario]
    return {
        "scenario": scenario,
        "arm": arm,
        "seed": seed,
        **{name: measure(run) for name, measure in spec.measures.items()},
    }


def run_claims(
    specs: Iterable[ScenarioClaims],
    seeds: Sequence[int],
    directory: str | Path,
    reduced: bool = True,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every needed arm of every scenario at every seed, in ``workers`` local processes (the
    results do not depend on how many): one row per run, one column per measure."""
    jobs = [
        (
            str(directory),
            s.scenario,
            arm,
            tuple(s.arms[arm]),
            seed,
            s.reduced_steps if reduced else None,
        )
        for s in specs
        for arm in s.arms_needed()
        for seed in seeds
    ]
    rows = gather(run_job, jobs, workers=workers, preload=WORKER_MODULES, progress=progress)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Judging


@dataclass(frozen=True)
class Verdict:
    """A claim judged over seeds: the mean difference (treatment − control) with its 95%
    t-interval, the effect in sd of the differences, the test's p-value and whether it holds."""

    scenario: str
    claim: str
    kind: str
    n: int
    treatment: float
    control: float
    diff: float
    ci_low: float
    ci_high: float
    sd: float
    p: float
    holds: bool

    @property
    def standardised(self) -> float:
        """|mean| / sd of the paired differences (inf when they are all equal)."""
        if self.sd == 0 or math.isnan(self.sd):
            return math.inf if self.diff else 0.0
        return abs(self.diff) / self.sd


def judge(spec: ScenarioClaims, claim: Claim, frame: pd.DataFrame, alpha: float) -> Verdict:
    """The verdict on ``claim`` from the runs of ``spec`` in ``frame`` (``run_claims``).

    The summary numbers are over the seeds where both quantities are finite; a ``paired`` or
    ``equivalent`` claim fails if any seed is missing one.
    """
    by_seed = _seed_values(frame[frame["scenario"] == spec.scenario])
    seeds = sorted(by_seed)
    t = np.array([claim.treatment(by_seed[s]) for s in seeds], dtype=float)
    c = np.array([claim.control(by_seed[s]) for s in seeds], dtype=float)
    with np.errstate(invalid="ignore"):
        d = t - c
    finite = np.isfinite(d)
    n = int(finite.sum())
    mean = float(d[finite].mean()) if n else math.nan
    sd = float(d[finite].std(ddof=1)) if n > 1 else math.nan
    low, high = t_interval(d[finite]) if n > 1 else (math.nan, math.nan)
    complete = n == len(seeds) > 1
    if claim.kind == "paired":
        p = one_sided_p(d, claim.direction)
        holds = complete and p < alpha and mean * claim.direction >= claim.min_effect
    elif claim.kind == "equivalent":  # two one-sided tests against ±margin
        margin = claim.min_effect
        p = max(one_sided_p(d + margin, 1), one_sided_p(d - margin, -1))
        holds = complete and p < alpha
    else:  # every_seed: NaN never meets a bound; +inf may (a run that never recovers)
        p = math.nan
        with np.errstate(invalid="ignore"):
            holds = bool(len(seeds) > 0 and np.all(claim.direction * d >= claim.min_effect))
    return Verdict(
        spec.scenario,
        claim.name,
        claim.kind,
        n,
        float(t[finite].mean()) if n else math.nan,
        float(c[finite].mean()) if n else math.nan,
        mean,
        low,
        high,
        sd,
        p,
        holds,
    )


def _seed_values(frame: pd.DataFrame) -> dict[int, dict[str, dict[str, float]]]:
    """seed -> arm -> measure -> value."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    measures = [c for c in frame.columns if c not in ("scenario", "arm", "seed")]
    for rec in frame.to_dict("records"):
        out.setdefault(int(rec["seed"]), {})[rec["arm"]] = {m: rec[m] for m in measures}
    return out


# --------------------------------------------------------------------------------------------------
# The scenarios' claims

MODES = ("statism", "pluralism", "corporatism", "governance")


def _q(spec: str | float | Quantity) -> Quantity:
    """``"arm:measure"`` as ``M``, a number as ``Constant``, a quantity as it is."""
    if isinstance(spec, Quantity):
        return spec
    if isinstance(spec, str):
        arm, _, measure = spec.partition(":")
        return M(arm, measure)
    return Constant(float(spec))


def claim(
    name: str,
    says: str,
    treatment: str | float | Quantity,
    control: str | float | Quantity,
    direction: int = 1,
    least: float = 0.0,
    kind: Kind = "paired",
) -> Claim:
    """A ``Claim`` with quantities written as ``"arm:measure"`` or a number (a reference)."""
    return Claim(name, says, _q(treatment), _q(control), direction, least, kind)


def _modes(**extra: str) -> dict[str, tuple[str, ...]]:
    """An arm per mode (``governance.mode=…``), and per mode and ``extra`` override."""
    arms = {m: (f"governance.mode={m}",) for m in MODES}
    for suffix, override in extra.items():
        arms.update({f"{m}_{suffix}": (f"governance.mode={m}", override) for m in MODES})
    return arms


def _baseline() -> ScenarioClaims:
    si, churn, hazard = "sustainability_index", "member_exit_rate", "dissolution_hazard"
    claims = [
        claim(f"si-governance-{m}", f"governance sustains more than {m}",
              f"governance:{si}", f"{m}:{si}", +1, 0.1)
        for m in ("statism", "pluralism", "corporatism")
    ] + [
        claim(f"si-pluralism-{m}", f"pluralism sustains more than {m}",
              f"pluralism:{si}", f"{m}:{si}", +1, 0.1)
        for m in ("statism", "corporatism")
    ] + [
        claim(f"churn-governance-{m}", f"governance churns less than {m}",
              f"governance:{churn}", f"{m}:{churn}", -1, 0.002)
        for m in ("statism", "pluralism", "corporatism")
    ] + [
        claim(f"dissolution-corporatism-{m}", f"corporatism dissolves more than {m}",
              f"corporatism:{hazard}", f"{m}:{hazard}", +1, 0.002)
        for m in ("statism", "pluralism", "governance")
    ]  # fmt: skip
    return ScenarioClaims(
        "baseline",
        _modes(),
        {name: Summary(name) for name in (si, churn, hazard)},
        tuple(claims),
        reduced_steps=160,
        reduced_why="160 of 240 months: the sustainability index then reads months 101–160 "
        "instead of 181–240; every ordering is the same at both lengths (docs/VALIDATION.md)",
    )


def _china() -> ScenarioClaims:
    arms = {
        "reform": (),
        "authority": ("population.government.authority=0.85",),
        "shared_goals": ("population.government.goals.own_sector=0.1",),
        "payoff": ("governance.rules.payoff=governance",),
        "payoff_reward": ("governance.rules.payoff=governance", "incentives.reward=0.4"),
    }
    measures = {
        "hazard": Summary("dissolution_hazard"),
        "cooperation": Summary("cooperation_rate"),
        "completed": Summary("partnerships_completed"),
        "life": Summary("partnership_life_restricted"),
        "low_trust": Summary("dissolved_low_trust"),
        "goal_conflict": Summary("dissolved_goal_conflict"),
    }
    claims = [
        claim("dissolved-for-low-trust", "partnerships dissolve for low trust",
              "reform:low_trust", "reform:goal_conflict", +1, 3),
        claim("none-for-goal-conflict", "none dissolves for goal conflict",
              "reform:goal_conflict", 0, -1, 0, "every_seed"),
    ]  # fmt: skip
    for remedy, cooperation in (("authority", 0.15), ("shared_goals", 0.05), ("payoff", 0.2)):
        claims += [
            claim(f"{remedy}-fewer-dissolutions", f"{remedy}: a lower dissolution hazard",
                  f"{remedy}:hazard", "reform:hazard", -1, 0.0015),
            claim(f"{remedy}-more-cooperation", f"{remedy}: more cooperation",
                  f"{remedy}:cooperation", "reform:cooperation", +1, cooperation),
            claim(f"{remedy}-more-completed", f"{remedy}: more partnerships completed",
                  f"{remedy}:completed", "reform:completed", +1, 5),
            claim(f"{remedy}-shorter-life", f"{remedy}: partnerships end sooner (completed)",
                  f"{remedy}:life", "reform:life", -1, 2),
        ]  # fmt: skip
    claims.append(
        claim("reward-adds-nothing", "a higher reward adds nothing to the hybrid (±0.02)",
              "payoff_reward:cooperation", "payoff:cooperation", 0, 0.02, "equivalent")
    )  # fmt: skip
    return ScenarioClaims("china_streamline_reform", arms, measures, tuple(claims))


SURGE = (24, 42)  # covid_vaccination: the demand surge, months 24–41


def _covid() -> ScenarioClaims:
    calm = "shocks=[]"
    arms = {
        "governance": (),
        "governance_calm": (calm,),
        "statism": ("governance.mode=statism",),
        "statism_calm": ("governance.mode=statism", calm),
        "opaque_firms": ("population.business.transparency=0.3",),
    }
    measures = {
        "value": Window("public_value", *SURGE, "sum"),
        "participation": Window("participation_rate", *SURGE),
        "trust": Window("mean_trust", *SURGE),
    }
    gain = {m: Diff(M(m, "value"), M(f"{m}_calm", "value")) for m in ("governance", "statism")}
    claims = (
        claim("surge-raises-value", "governance: public value rises with the surge",
              "governance:value", "governance_calm:value", +1, 300),
        claim("participation-stays", "governance: participation stays above 0.9",
              "governance:participation", 0.9, +1, 0),
        claim("statism-participation", "statism: far fewer organisations take part",
              "statism:participation", "governance:participation", -1, 0.3),
        claim("statism-meets-none", "statism: the surge adds next to no value",
              gain["governance"], gain["statism"], +1, 300),
        claim("opaque-firms-trust", "opaque firms: some trust lost",
              "opaque_firms:trust", "governance:trust", -1, 0.005),
        claim("opaque-firms-value", "opaque firms: no public value lost (±150)",
              "opaque_firms:value", "governance:value", 0, 150, "equivalent"),
    )  # fmt: skip
    return ScenarioClaims(
        "covid_vaccination",
        arms,
        measures,
        claims,
        reduced_steps=SURGE[1],
        reduced_why="42 of 72 months: every measure reads the surge (months 24–41), so the "
        "numbers are those of the full runs",
    )


QUAKE = (36, 60)  # kobe_1995: agencies out, months 36–59


def _kobe() -> ScenarioClaims:
    measures = {
        "value": Window("public_value", *QUAKE, "sum"),
        "active": Window("active_partnerships", *QUAKE),
        "ngo_led": LedShare(("civil_society", "community"), *QUAKE),
        "recovery": Summary("shock_recovery_steps", missing=math.inf),
    }
    loss = {m: RelativeLoss(m, f"{m}_calm", "value") for m in MODES}
    months_out = QUAKE[1] - QUAKE[0]
    claims = (
        claim("statism-value-collapses", "statism: over 90% of public value lost",
              loss["statism"], 0.9, +1, 0),
        claim("statism-partnerships-end", "statism: partnerships end while agencies are out",
              "statism:active", "statism_calm:active", -1, 10),
        claim("statism-recovers-with-agencies", "statism: value back only after agencies",
              "statism:recovery", months_out, +1, 0, "every_seed"),
        claim("loss-statism-pluralism", "statism loses more than pluralism (narrowly)",
              loss["statism"], loss["pluralism"], +1, 0),
        claim("loss-statism-corporatism", "statism loses more than corporatism",
              loss["statism"], loss["corporatism"], +1, 0.1),
        claim("loss-statism-governance", "statism loses more than governance",
              loss["statism"], loss["governance"], +1, 0.5),
        claim("governance-value-holds", "governance: public value does not fall",
              loss["governance"], 0, -1, 0.02),
        claim("governance-ngo-led", "governance: NGOs and citizen groups lead most",
              "governance:ngo_led", 0.5, +1, 0.05),
    )  # fmt: skip
    return ScenarioClaims(
        "kobe_1995",
        _modes(calm="shocks=[]"),
        measures,
        claims,
        reduced_steps=72,
        reduced_why="72 of 120 months: the quake's months (36–59) read the same; statist value "
        "is back 25–26 months after the quake in 19 of 20 runs (a run not back by month 72 "
        "counts as later, which the claim allows)",
    )


CUT = (24, 144)  # nyc_parks: the budget cut, months 24–143


def _nyc() -> ScenarioClaims:
    measures = {
        "formed": Window("partnerships_formed", *CUT, "sum"),
        "government_share": Window("benefit_share_government", *CUT),
        "community_share": Window("benefit_share_community", *CUT),
        "community_control": Window("control_share_community", *CUT),
        "conceded": Window("control_conceded", *CUT, "max"),
        "participation": Window("participation_rate", *CUT),
    }
    claims = (
        claim("government-share-falls", "agencies' benefit share falls",
              "cut:government_share", "no_cut:government_share", -1, 0.005),
        claim("formation-unchanged", "partnerships_formed unchanged (±15 of about 135)",
              "cut:formed", "no_cut:formed", 0, 15, "equivalent"),
        claim("community-share-unchanged", "citizen groups' benefit share unchanged (±0.02)",
              "cut:community_share", "no_cut:community_share", 0, 0.02, "equivalent"),
        claim("community-control-unchanged", "citizen groups' control unchanged (±0.03)",
              "cut:community_control", "no_cut:community_control", 0, 0.03, "equivalent"),
        claim("no-control-conceded", "no lead concedes control",
              "cut:conceded", 0, -1, 0, "every_seed"),
        claim("already-partnered", "participation above 0.95 without the cut",
              "no_cut:participation", 0.95, +1, 0),
    )  # fmt: skip
    return ScenarioClaims(
        "nyc_parks",
        {"cut": (), "no_cut": ("shocks=[]",)},
        measures,
        claims,
        reduced_steps=CUT[1],
        reduced_why="144 of 180 months: every measure reads the cut (months 24–143), so the "
        "numbers are those of the full runs",
    )


def _uk() -> ScenarioClaims:
    arms = {
        "mission": (),
        "no_turnover": ("turnover.rate=0",),
        "enduring": ("trust.institutionalisation=0.1", "turnover.handover=0.8"),
    }
    measures = {
        "trust_early": Window("mean_trust", 13, 37),
        "trust_late": Window("mean_trust", 73, 121),
        "trust": Summary("mean_trust"),
        "cooperation": Summary("cooperation_rate"),
        "hazard": Summary("dissolution_hazard"),
        "life": Summary("partnership_life_restricted"),
    }
    claims = (
        claim("trust-erodes", "mean_trust lower in years 7–10 than in years 2–3",
              "mission:trust_late", "mission:trust_early", -1, 0.03),
        claim("turnover-trust", "less trust than without turnover",
              "mission:trust", "no_turnover:trust", -1, 0.1),
        claim("turnover-cooperation", "less cooperation than without turnover",
              "mission:cooperation", "no_turnover:cooperation", -1, 0.02),
        claim("turnover-hazard", "more dissolutions than without turnover",
              "mission:hazard", "no_turnover:hazard", +1, 0.002),
        claim("enduring-trust", "enduring arrangements: more trust",
              "enduring:trust", "mission:trust", +1, 0.05),
        claim("enduring-cooperation", "enduring arrangements: more cooperation",
              "enduring:cooperation", "mission:cooperation", +1, 0.01),
        claim("enduring-hazard", "enduring arrangements: fewer dissolutions",
              "enduring:hazard", "mission:hazard", -1, 0.001),
        claim("enduring-life", "enduring arrangements: longer partnership life",
              "enduring:life", "mission:life", +1, 1.0),
    )  # fmt: skip
    return ScenarioClaims("uk_levelling_up", arms, measures, claims)


def _vietnam() -> ScenarioClaims:
    hybrid = "governance.rules.payoff=governance"
    arms = {
        "directive": (),
        "governance": ("governance.mode=governance",),
        "reward": ("incentives.reward=0.4",),
        "hybrid": (hybrid,),
        "hybrid_warned": (hybrid, "incentives.graduated=true"),
    }
    measures = {
        "first_year": Window("participation_rate", 1, 13),
        "motivation_early": Window("mean_motivation", 13, 37),
        "motivation_late": Window("mean_motivation", 97, 121),
        "cooperation_early": Window("cooperation_rate", 13, 37),
        "cooperation_late": Window("cooperation_rate", 97, 121),
    }
    claims = (
        claim("slow-start", "the directive involves fewer in its first year",
              "directive:first_year", "governance:first_year", -1, 0.15),
        claim("motivation-falls", "motivation lower in years 9–10 than in years 2–3",
              "directive:motivation_late", "directive:motivation_early", -1, 0.05),
        claim("cooperation-decays", "cooperation lower in years 9–10 than in years 2–3",
              "directive:cooperation_late", "directive:cooperation_early", -1, 0.02),
        claim("governance-motivation", "governance: motivation holds",
              "governance:motivation_late", "directive:motivation_late", +1, 0.1),
        claim("governance-cooperation", "governance: more cooperation",
              "governance:cooperation_late", "directive:cooperation_late", +1, 0.1),
        claim("reward-does-nothing", "a reward changes nothing under the statist rule",
              "reward:cooperation_late", "directive:cooperation_late", 0, 1e-12, "equivalent"),
        claim("hybrid-motivation", "governance payoff rule: motivation holds",
              "hybrid:motivation_late", "directive:motivation_late", +1, 0.1),
        claim("hybrid-cooperation", "governance payoff rule: more cooperation",
              "hybrid:cooperation_late", "directive:cooperation_late", +1, 0.08),
        claim("warning-first-lowers", "warning first: a little less cooperation",
              "hybrid_warned:cooperation_late", "hybrid:cooperation_late", -1, 0.01),
    )  # fmt: skip
    return ScenarioClaims(
        "vietnam_sun_nutrition",
        arms,
        measures,
        claims,
        reduced_steps=120,
        reduced_why="120 of 180 months: every measure reads months before 121, so the numbers "
        "are those of the full runs",
    )


CLAIMS: dict[str, ScenarioClaims] = {
    s.scenario: s for s in (_baseline(), _china(), _covid(), _kobe(), _nyc(), _uk(), _vietnam())
}
