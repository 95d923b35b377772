"""Calibration files: a base scenario, priors over its parameters, empirical targets, a budget.

The file::

    base: ../../scenarios/baseline.yaml     # or the scenario inline under `scenario:`
    set: {steps: 180}                       # optional changes to the base, by dotted path
    calibration:
      priors:                               # any scenario field by its dotted path
        partnerships.exit_trust: {low: 0.1, high: 0.5}
        trust.loss: {low: 0.05, high: 0.8, scale: log}
        governance.mode: [statism, governance]        # a list: each value equally likely
      targets:
        five-year-dissolution:
          statistic: dissolution_incidence  # a statistic of coopsim.statistics, with its
          at: 60                            # arguments ...
          formed_after: 60
          partnerships: cross_sector
          observed: 0.5                     # ... and the observed value with its
          tolerance: 0.05                   # tolerance (or `sd`), or a bound: below / above,
          source: "Park & Ungson (2001)"    # a number or {target: OTHER}
        trust-level:
          output: mean_trust                # or an output of the registry (`coopsim outputs`)
          above: 0.3
          use: check                        # checked out of sample, not fitted
          set: {governance.mode: pluralism} # this target's runs change the scenario so
          source: "..."
      replicates: 3                         # runs per parameter set (their mean is compared)
      seed: 2026                            # root of every random number (default: scenario's)
      budget: {evaluations: 3000, population: 100, generations: 10, minimum_epsilon: 0.0}
      check: {draws: 100}                   # posterior predictive check: posterior draws

Targets hold no expressions: a target names an output or a statistic and gives numbers. A
target's distance is ``|simulated − observed| / scale`` (``scale`` its ``sd`` or ``tolerance``),
or for a bound how far beyond it the value lies, divided by the ``tolerance``; a parameter set's
distance is the largest over the calibration targets, so a threshold of 1 means every target is
within its tolerance. Problems are reported like scenario problems (``FILE:LINE:COL:
dotted.path: message (got VALUE)``), all at once, as ``ScenarioError``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from annotated_types import Interval
from pydantic import SkipValidation

from coopsim import statistics as stats
from coopsim.model import outputs
from coopsim.model.validation import translate_errors, unknown_key_message
from coopsim.scenario import yamlsafe
from coopsim.scenario.loader import (
    Override,
    ScenarioError,
    comment,
    field_hint,
    fields_at,
    plain_text,
    read_source,
    read_yaml,
    scenario_from_dict,
    scenario_warnings,
    split_dotted,
)
from coopsim.scenario.schema import MAX_SEED, NAME_PATTERN, JsonSchemaGenerator, scenario_to_dict
from coopsim.scenario.sweep import (
    _base_scenario,
    _check_value,
    _number_kind,
    _parameter_path,
    _Problems,
    indicator_names,
)

__all__ = [
    "Bound",
    "Calibration",
    "Prior",
    "Target",
    "calibration_from_dict",
    "calibration_json_schema",
    "calibration_warnings",
    "dump_calibration",
    "is_calibration_file",
    "load_calibration",
    "parse_calibration",
]

MAX_EVALUATIONS = 10_000_000
MAX_REPLICATES = 1_000
USES = ("calibrate", "check")
_CONFIG: pydantic.ConfigDict = {"extra": "forbid"}
Slug = Annotated[str, pydantic.StringConstraints(pattern=NAME_PATTERN)]
Positive = Annotated[float, pydantic.Field(gt=0)]


# --------------------------------------------------------------------------------------------------
# The schema of the file (pydantic checks types; paths, outputs and statistics are checked after)


@dataclass(frozen=True)
class PriorRange:
    """A uniform prior over ``low``..``high``, on a linear or a log scale."""

    __pydantic_config__ = _CONFIG
    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"


@dataclass(frozen=True)
class TargetRef:
    """The value of another target of the same parameter set."""

    __pydantic_config__ = _CONFIG
    target: str


@dataclass(frozen=True)
class TargetSpec:
    """One empirical target: what is measured, what was observed, and where it comes from."""

    __pydantic_config__ = _CONFIG
    source: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=2_000)] = field(
        metadata={"doc": "Where the observed value comes from (a citation)."}
    )
    output: str | None = field(
        default=None, metadata={"doc": "An output of the registry (`coopsim outputs`)."}
    )
    statistic: Literal["dissolution_incidence", "life_median"] | None = field(
        default=None, metadata={"doc": "A named statistic of runs (coopsim.statistics)."}
    )
    at: int | None = field(default=None, metadata={"doc": "dissolution_incidence: age (months)."})
    formed_after: int | None = field(
        default=None, metadata={"doc": "Partnership statistics: burn-in (step)."}
    )
    partnerships: Literal["all", "cross_sector", "single_sector"] | None = None
    aggregate: Literal["mean", "sum", "first", "last"] | None = field(
        default=None, metadata={"doc": "A step output: how its steps are summarised."}
    )
    steps: tuple[int, int] | None = field(
        default=None, metadata={"doc": "A step output: the first and last step summarised."}
    )
    observed: float | None = None
    sd: Positive | None = field(default=None, metadata={"doc": "Uncertainty of `observed`."})
    tolerance: Positive | None = field(
        default=None, metadata={"doc": "Accepted distance from `observed` (or beyond a bound)."}
    )
    below: float | TargetRef | None = None
    above: float | TargetRef | None = None
    use: Literal["calibrate", "check"] = "calibrate"
    set: SkipValidation[dict[str, Any] | None] = field(
        default=None, metadata={"doc": "Changes to the scenario for this target's runs."}
    )
    description: Annotated[str, pydantic.StringConstraints(max_length=20_000)] = ""


@dataclass(frozen=True)
class Budget:
    """How much the calibration may run."""

    __pydantic_config__ = _CONFIG
    evaluations: Annotated[int, Interval(ge=1, le=MAX_EVALUATIONS)] = field(
        metadata={"doc": "Parameter sets evaluated, at most (each runs `replicates` runs)."}
    )
    population: Annotated[int, Interval(ge=2, le=100_000)] = 100
    generations: Annotated[int, Interval(ge=1, le=1_000)] = 10
    minimum_epsilon: Annotated[float, pydantic.Field(ge=0)] = 0.0


@dataclass(frozen=True)
class CheckSettings:
    """The posterior predictive check."""

    __pydantic_config__ = _CONFIG
    draws: Annotated[int, Interval(ge=1, le=100_000)] = 100
    replicates: Annotated[int, Interval(ge=1, le=MAX_REPLICATES)] | None = None


@dataclass(frozen=True)
class CalibrationSettings:
    """The ``calibration:`` block."""

    __pydantic_config__ = _CONFIG
    priors: SkipValidation[dict[str, Any]] = field(
        metadata={"doc": "Priors by dotted path: a {low, high, scale} range or a list of values."}
    )
    targets: dict[str, TargetSpec]
    budget: Budget
    replicates: Annotated[int, Interval(ge=1, le=MAX_REPLICATES)] = 1
    seed: Annotated[int, Interval(ge=0, le=MAX_SEED)] | None = None
    check: CheckSettings = field(default_factory=CheckSettings)


@dataclass(frozen=True)
class CalibrationFile:
    """A calibration file: a base scenario (a path or inline) and the ``calibration:`` block."""

    __pydantic_config__ = _CONFIG
    calibration: CalibrationSettings
    base: str | None = None
    scenario: SkipValidation[dict[str, Any] | None] = None
    set: SkipValidation[dict[str, Any] | None] = None
    name: Slug | None = None
    description: Annotated[str, pydantic.StringConstraints(max_length=20_000)] = ""


@functools.cache
def _file_adapter() -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(CalibrationFile)


def calibration_json_schema() -> dict[str, Any]:
    """The JSON Schema of calibration files (the scenario is described by ``coopsim schema``)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coopsim.invalid/schema/calibration.json",
        **_file_adapter().json_schema(schema_generator=JsonSchemaGenerator),
    }


# --------------------------------------------------------------------------------------------------
# The resolved calibration


@dataclass(frozen=True)
class Prior:
    """A prior over one scenario field: uniform over ``low``..``high`` (linear or log scale) or
    over the listed ``values``. Whole-number fields take the nearest whole number."""

    name: str
    path: tuple[str | int, ...]
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    values: tuple[Any, ...] | None = None
    integer: bool = False

    @property
    def categorical(self) -> bool:
        return self.values is not None

    def to_data(self) -> Any:
        if self.values is not None:
            return list(self.values)
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.scale != "linear":
            out["scale"] = self.scale
        return out

    def interval(self, level: float) -> tuple[float, float]:
        """The central ``level`` interval of the prior (on the parameter's own scale)."""
        assert self.low is not None and self.high is not None
        tail = (1.0 - level) / 2
        if self.scale == "log":
            lo, hi = math.log(self.low), math.log(self.high)
            return math.exp(lo + tail * (hi - lo)), math.exp(hi - tail * (hi - lo))
        return self.low + tail * (self.high - self.low), self.high - tail * (self.high - self.low)


@dataclass(frozen=True)
class Bound:
    """A bound on a target's value: a number, or the value of another target."""

    value: float | None = None
    target: str | None = None

    def to_data(self) -> Any:
        return {"target": self.target} if self.target is not None else self.value

    def describe(self) -> str:
        return f"target {self.target}" if self.target is not None else f"{self.value:g}"


@dataclass(frozen=True)
class Target:
    """A resolved target."""

    name: str
    measure: stats.Measure
    source: str
    use: str = "calibrate"
    observed: float | None = None
    sd: float | None = None
    tolerance: float | None = None
    below: Bound | None = None
    above: Bound | None = None
    set: tuple[tuple[str, Any], ...] = ()  # (dotted path, value), in file order
    description: str = ""

    @property
    def kind(self) -> str:
        """``value`` (an observed number), ``bound`` (below and/or above) or ``reference`` (a
        value other targets compare with, judged by none)."""
        if self.observed is not None:
            return "value"
        return "bound" if (self.below or self.above) else "reference"

    @property
    def scale(self) -> float:
        """What one unit of distance is: ``sd`` or ``tolerance`` (1 when neither is given)."""
        return self.sd or self.tolerance or 1.0

    @property
    def group(self) -> str:
        """Targets with the same scenario changes share runs: a key of those changes."""
        return json.dumps(list(self.set), sort_keys=False)

    def to_data(self) -> dict[str, Any]:
        m = self.measure
        out: dict[str, Any] = {}
        if m.statistic is not None:
            out["statistic"] = m.statistic
            out.update(m.args)
        else:
            out["output"] = m.output
            if m.level == "step":
                out["aggregate"] = m.aggregate
                if m.steps is not None:
                    out["steps"] = list(m.steps)
        for key in ("observed", "sd", "tolerance"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        for key in ("below", "above"):
            bound = getattr(self, key)
            if bound is not None:
                out[key] = bound.to_data()
        out["use"] = self.use
        if self.set:
            out["set"] = dict(self.set)
        out["source"] = self.source
        if self.description:
            out["description"] = self.description
        return out

    def describe(self) -> str:
        """What is compared, in words: ``= 0.5 ± 0.05`` or ``below target x``."""
        if self.observed is not None:
            spread = f" ± {self.scale:g}" if (self.sd or self.tolerance) else ""
            return f"= {self.observed:g}{spread}" + (" (sd)" if self.sd else "")
        if self.kind == "reference":
            return "reported (a reference for other targets)"
        parts = []
        if self.above is not None:
            parts.append(f"above {self.above.describe()}")
        if self.below is not None:
            parts.append(f"below {self.below.describe()}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: the resolved base scenario, priors, targets and budget."""

    name: str
    scenario: Any
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    replicates: int
    seed: int
    evaluations: int
    population: int = 100
    generations: int = 10
    minimum_epsilon: float = 0.0
    draws: int = 100
    check_replicates: int | None = None
    description: str = ""
    source: str | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.priors]

    @property
    def fitted(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.use == "calibrate")

    @property
    def checked(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.use == "check")

    def target(self, name: str) -> Target:
        return next(t for t in self.targets if t.name == name)

    def to_data(self) -> dict[str, Any]:
        """Plain data of the resolved calibration; ``calibration_from_dict`` of it gives the
        same calibration."""
        check: dict[str, Any] = {"draws": self.draws}
        if self.check_replicates is not None:
            check["replicates"] = self.check_replicates
        return {
            "name": self.name,
            "description": self.description,
            "scenario": scenario_to_dict(self.scenario),
            "calibration": {
                "priors": {p.name: p.to_data() for p in self.priors},
                "targets": {t.name: t.to_data() for t in self.targets},
                "replicates": self.replicates,
                "seed": self.seed,
                "budget": {
                    "evaluations": self.evaluations,
                    "population": self.population,
                    "generations": self.generations,
                    "minimum_epsilon": self.minimum_epsilon,
                },
                "check": check,
            },
        }


# --------------------------------------------------------------------------------------------------
# Entry points


def load_calibration(path: str | Path, overrides: Iterable[Any] = ()) -> Calibration:
    """The calibration in a YAML file; ``overrides`` (``--set`` texts) apply to its base."""
    return parse_calibration(read_source(path), str(path), overrides, base_dir=Path(path).parent)


def parse_calibration(
    text: str,
    source: str = "<text>",
    overrides: Iterable[Any] = (),
    base_dir: str | Path | None = None,
) -> Calibration:
    """The calibration in YAML ``text``; a ``base:`` path is read relative to ``base_dir``."""
    data, smap = read_yaml(text, source)
    return _validate(data, smap, list(overrides), Path(base_dir) if base_dir else None)


def calibration_from_dict(
    data: Any,
    source: str = "<dict>",
    overrides: Iterable[Any] = (),
    base_dir: str | Path | None = None,
) -> Calibration:
    """The calibration in plain data (as a YAML file would hold it)."""
    return parse_calibration(plain_text(data, source), source, overrides, base_dir)


def is_calibration_file(path: str | Path) -> bool:
    """Whether ``path`` holds a mapping with a top-level ``calibration:`` key."""
    return yamlsafe.has_top_level_key(path, "calibration")


def dump_calibration(calibration: Calibration, header: str | None = None) -> str:
    """YAML of a resolved calibration (base scenario inline, every default filled in)."""
    text = yaml.safe_dump(
        calibration.to_data(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return comment(header) + text


def calibration_warnings(calibration: Calibration) -> list[str]:
    """Valid but probably not meant (each a readable sentence)."""
    out = [f"scenario: {w}" for w in scenario_warnings(calibration.scenario)]
    if calibration.evaluations < 2 * calibration.population:
        out.append(
            f"calibration.budget.evaluations: {calibration.evaluations} evaluations allow at most "
            f"one generation of {calibration.population} particles: the posterior is the prior "
            "cut at one threshold"
        )
    if not calibration.checked:
        out.append("calibration.targets: no target is checked out of sample (use: check)")
    return out


# --------------------------------------------------------------------------------------------------
# Validation

_BLOCK_FIELDS = {
    (): [f.name for f in dataclasses.fields(CalibrationFile)],
    ("calibration",): [f.name for f in dataclasses.fields(CalibrationSettings)],
    ("calibration", "budget"): [f.name for f in dataclasses.fields(Budget)],
    ("calibration", "check"): [f.name for f in dataclasses.fields(CheckSettings)],
}
_TARGET_FIELDS = [f.name for f in dataclasses.fields(TargetSpec)]
_SPECIAL = {
    ("missing", ("calibration",)): "required: the calibration block (priors, targets, budget)",
    ("missing", ("calibration", "budget")): (
        "required: the evaluation budget, e.g. budget: {evaluations: 2000}"
    ),
    ("string_pattern_mismatch", ("name",)): (
        "must be a slug: lowercase letters, digits, '-' and '_', at most 64 characters"
    ),
}


def _unknown_key(path: tuple) -> str:
    parent = path[:-1]
    if len(parent) == 3 and parent[:2] == ("calibration", "targets"):
        return unknown_key_message(str(path[-1]), _TARGET_FIELDS)
    if (
        len(parent) == 4
        and parent[:2] == ("calibration", "targets")
        and parent[3]
        in (
            "below",
            "above",
        )
    ):
        return unknown_key_message(str(path[-1]), ["target"])
    return unknown_key_message(str(path[-1]), _BLOCK_FIELDS.get(parent, []))


def _validate(data: Any, smap: yamlsafe.SourceMap, overrides: list[Any], base_dir: Path | None):
    problems = _Problems(smap)
    if data is None:
        problems.add(
            (), "the file is empty: a calibration needs `base:` (or `scenario:`) and `calibration:`"
        )
        problems.raise_if_any()
    if not isinstance(data, dict):
        problems.add((), "the top level must be a mapping with `base:` and `calibration:`", data)
        problems.raise_if_any()
    parsed: CalibrationFile | None = None
    try:
        parsed = _file_adapter().validate_json(json.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        for path, message, got, key in translate_errors(exc.errors(), data, _unknown_key, _SPECIAL):
            problems.add(path, message, got, key=key)
    except ValueError as exc:
        problems.add((), f"cannot read the values: {exc}")
        problems.raise_if_any()
    scenario = _base_scenario(data, problems, overrides, base_dir, what="calibration")
    block = data.get("calibration")
    raw = block.get("priors") if isinstance(block, dict) else None
    priors: list[Prior] = []
    if scenario is not None:
        priors = _priors(raw, scenario, problems)
    if parsed is None or scenario is None:
        problems.raise_if_any()
    assert parsed is not None and scenario is not None
    settings = parsed.calibration
    targets = _targets(settings.targets, data["calibration"]["targets"], scenario, priors, problems)
    problems.raise_if_any()
    _check_corners(scenario, priors, problems)
    problems.raise_if_any()
    return Calibration(
        name=parsed.name or scenario.name,
        description=parsed.description,
        scenario=scenario,
        priors=tuple(priors),
        targets=tuple(targets),
        replicates=settings.replicates,
        seed=settings.seed if settings.seed is not None else scenario.seed,
        evaluations=settings.budget.evaluations,
        population=settings.budget.population,
        generations=settings.budget.generations,
        minimum_epsilon=settings.budget.minimum_epsilon,
        draws=settings.check.draws,
        check_replicates=settings.check.replicates,
        source=smap.source,
    )


# ---- priors ------------------------------------------------------------------------------------


def _priors(raw: Any, scenario: Any, problems: _Problems) -> list[Prior]:
    where = ("calibration", "priors")
    if not isinstance(raw, dict) or not raw:
        if isinstance(raw, dict) or raw is None:
            problems.add(
                where,
                "name at least one parameter to calibrate, by its dotted path "
                "(e.g. trust.loss: {low: 0.05, high: 0.5})",
            )
        else:
            problems.add(where, "must be a mapping of dotted paths to priors", raw)
        return []
    base = scenario_to_dict(scenario)
    out: list[Prior] = []
    taken: dict[tuple, str] = {}
    for name, spec in raw.items():
        at = (*where, name)
        path = _parameter_path(str(name), base, at, problems)
        if path is None:
            continue
        overlap = next(
            (o for p, o in taken.items() if path[: len(p)] == p or p[: len(path)] == path), None
        )
        if overlap is not None:
            problems.add(at, f"sets the same field as {overlap}: give it one prior", key=True)
            continue
        taken[tuple(path)] = str(name)
        kind = _number_kind(field_hint(path))
        if isinstance(spec, list):
            if len(spec) < 2:
                problems.add(
                    at,
                    "a prior lists at least two values (to fix one value, use `set:`)",
                    spec,
                )
                continue
            ok = True
            for i, value in enumerate(spec):
                ok &= _check_value(path, value, (*at, i), problems)
            if ok:
                values = tuple(float(v) if kind == "float" else v for v in spec)
                if len({json.dumps(v) for v in values}) < len(values):
                    problems.add(at, "lists a value twice", spec)
                    continue
                out.append(Prior(str(name), path, values=values))
        elif isinstance(spec, dict):
            prior = _prior_range(str(name), path, spec, kind, at, problems)
            if prior is not None:
                out.append(prior)
        else:
            problems.add(
                at,
                "must be a range ({low: 0.1, high: 0.5}, optionally scale: log) or a list of "
                "values",
                spec,
            )
    return out


def _prior_range(name, path, spec: dict, kind, at, problems: _Problems) -> Prior | None:
    if kind is None:
        problems.add(at, "a range needs a numeric field; list the values of this one instead", spec)
        return None
    ok = True
    for key in spec:
        if key not in ("low", "high", "scale"):
            problems.add(
                (*at, key), unknown_key_message(str(key), ["low", "high", "scale"]), key=True
            )
            ok = False
    for key in ("low", "high"):
        if key not in spec:
            problems.add(at, f"a range needs `{key}`")
            ok = False
        elif isinstance(spec[key], bool) or not isinstance(spec[key], int | float):
            problems.add((*at, key), "must be a number", spec[key])
            ok = False
        else:
            ok &= _check_value(path, spec[key], (*at, key), problems)
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        problems.add((*at, "scale"), "must be one of 'linear' or 'log'", scale)
        ok = False
    if not ok:
        return None
    low, high = spec["low"], spec["high"]
    if not low < high:
        problems.add(at, f"low must be below high (low {low}, high {high})")
        return None
    if scale == "log" and low <= 0:
        problems.add((*at, "low"), "a log scale needs low above 0", low)
        return None
    if kind == "float":
        low, high = float(low), float(high)
    return Prior(name, path, low=low, high=high, scale=scale, integer=kind == "int")


def _check_corners(scenario: Any, priors: list[Prior], problems: _Problems) -> None:
    """Every prior at its low end, then at its high end: the scenario stays valid (a prior on
    ``size_min`` must not pass ``size_max``, for instance)."""
    ranged = [p for p in priors if not p.categorical]
    if not ranged:
        return
    base = scenario_to_dict(scenario)
    for end in ("low", "high"):
        overrides = []
        for p in ranged:
            value = getattr(p, end)
            value = round(value) if p.integer else value
            overrides.append(Override(p.path, value, f"calibration.priors.{p.name} ({end})"))
        try:
            scenario_from_dict(base, "<calibration>", overrides)
        except ScenarioError as exc:
            first = exc.problems[0]
            at = ("calibration", "priors", ranged[0].name)
            problems.add(
                at,
                f"with every prior at its {end} end the scenario is invalid: "
                f"{first.path}: {first.message}",
                key=True,
            )
            return


# ---- targets -----------------------------------------------------------------------------------


def _targets(specs, raw: dict, scenario: Any, priors: list[Prior], problems) -> list[Target]:
    where = ("calibration", "targets")
    if not specs:
        problems.add(where, "name at least one target (an output or statistic with a value)")
        return []
    prior_paths = [p.path for p in priors]
    out: list[Target] = []
    for name, spec in specs.items():
        at = (*where, name)
        target = _target(str(name), spec, raw.get(name) or {}, at, scenario, prior_paths, problems)
        if target is not None:
            out.append(target)
    names = {t.name: t for t in out}
    for t in out:
        for key in ("below", "above"):
            bound = getattr(t, key)
            if bound is None or bound.target is None:
                continue
            other = names.get(bound.target)
            if bound.target == t.name:
                problems.add((*where, t.name, key, "target"), "cannot refer to itself")
            elif other is None:
                if bound.target not in specs:
                    problems.add(
                        (*where, t.name, key, "target"),
                        f"no target {bound.target!r}; targets: {', '.join(specs)}",
                        bound.target,
                    )
            elif t.use == "calibrate" and other.use != "calibrate":
                problems.add(
                    (*where, t.name, key, "target"),
                    "a calibration target can only compare with another calibration target "
                    f"({bound.target!r} is use: check)",
                    bound.target,
                )
    if specs and out and not any(t.use == "calibrate" for t in out) and not problems.items:
        problems.add(where, "no target has use: calibrate: at least one must be fitted")
    return out


def _target(name, spec: TargetSpec, raw: dict, at, scenario, prior_paths, problems):
    if (spec.output is None) == (spec.statistic is None):
        problems.add(
            at,
            "give either `output:` (an output of the registry) or `statistic:` ("
            + ", ".join(stats.statistic_names())
            + ")",
        )
        return None
    fixed = prior_paths if spec.use == "calibrate" else []  # a check may configure its own
    changes, steps = _target_set(spec.set, raw, at, scenario, fixed, problems)
    if changes is None:
        return None
    measure = (
        _statistic_measure(spec, at, steps, problems)
        if spec.statistic is not None
        else _output_measure(spec, at, steps, problems)
    )
    if measure is None:
        return None
    ok = True
    has_bound = spec.below is not None or spec.above is not None
    if spec.observed is not None and has_bound:
        problems.add(at, "give `observed` (a value) or `below`/`above` (bounds), not both")
        ok = False
    elif spec.observed is None and not has_bound and spec.use == "calibrate":
        problems.add(
            at,
            "give the observed value (`observed:` with `sd:` or `tolerance:`) or a bound "
            "(`below:` / `above:`); only a target checked (use: check) may be a reference "
            "that other targets compare with",
        )
        ok = False
    if spec.sd is not None and spec.tolerance is not None:
        problems.add((*at, "sd"), "give `sd` or `tolerance`, not both", spec.sd)
        ok = False
    if spec.observed is not None and spec.sd is None and spec.tolerance is None:
        problems.add(
            (*at, "observed"),
            "needs `sd:` or `tolerance:` (the distance that counts as one unit)",
            spec.observed,
        )
        ok = False
    if has_bound and spec.use == "calibrate" and spec.tolerance is None:
        problems.add(
            at,
            "a bound fitted in the calibration needs `tolerance:` (how far beyond "
            "the bound counts as one unit of distance)",
        )
        ok = False
    if has_bound and spec.sd is not None:
        problems.add((*at, "sd"), "a bound takes `tolerance`, not `sd`", spec.sd)
        ok = False
    if (
        isinstance(spec.below, float | int)
        and isinstance(spec.above, float | int)
        and not spec.above < spec.below
    ):
        problems.add(at, f"above ({spec.above}) must be below below ({spec.below})")
        ok = False
    for key in ("observed", "below", "above"):
        value = getattr(spec, key)
        if isinstance(value, float | int) and not math.isfinite(value):
            problems.add((*at, key), "must be a finite number", value)
            ok = False
    if not ok:
        return None

    def bound(value):
        if value is None:
            return None
        if isinstance(value, TargetRef):
            return Bound(target=value.target)
        return Bound(value=float(value))

    return Target(
        name=name,
        measure=measure,
        source=spec.source,
        use=spec.use,
        observed=None if spec.observed is None else float(spec.observed),
        sd=spec.sd,
        tolerance=spec.tolerance,
        below=bound(spec.below),
        above=bound(spec.above),
        set=changes,
        description=spec.description,
    )


def _target_set(changes, raw, at, scenario, prior_paths, problems):
    """The target's scenario changes, checked on the base scenario; and that scenario's steps."""
    if changes is None:
        return (), scenario.steps
    if not isinstance(changes, dict):
        problems.add((*at, "set"), "must be a mapping of dotted paths to values", changes)
        return None, None
    overrides = []
    for key, value in changes.items():
        path = split_dotted(str(key))
        place = (*at, "set", key)
        if path is None:
            problems.add(place, "is not a dotted path of scenario keys", key=True)
            return None, None
        if field_hint(path) is None:
            known = fields_at(path[:-1])
            problems.add(
                place,
                f"not a scenario field; expected one of: {', '.join(known)}"
                if known
                else "not a scenario field",
                key=True,
            )
            return None, None
        if any(path[: len(p)] == p or p[: len(path)] == path for p in prior_paths):
            problems.add(
                place,
                "is calibrated (it has a prior): a fitted target cannot fix it (a target with "
                "use: check may, to configure an experiment of its own)",
                key=True,
            )
            return None, None
        origin = problems.smap.value(place)
        label = problems.smap.source + (f":{origin.line}:{origin.col}" if origin else "")
        overrides.append(Override(path, value, label))
    try:
        changed = scenario_from_dict(scenario_to_dict(scenario), "<target>", overrides)
    except ScenarioError as exc:
        first = exc.problems[0]
        problems.add(
            (*at, "set"), f"{first.path}: {first.message}" if first.path else first.message
        )
        return None, None
    return tuple((str(k), v) for k, v in changes.items()), changed.steps


def _statistic_measure(spec: TargetSpec, at, steps: int, problems) -> stats.Measure | None:
    statistic = stats.STATISTICS[spec.statistic]  # type: ignore[index]
    ok = True
    for key in ("aggregate", "steps"):
        if getattr(spec, key) is not None:
            problems.add(
                (*at, key), f"applies to step outputs, not to {statistic.name}", getattr(spec, key)
            )
            ok = False
    args: dict[str, Any] = {}
    for key in ("at", "formed_after", "partnerships"):
        value = getattr(spec, key)
        argument = statistic.arguments.get(key)
        if argument is None:
            if value is not None:
                takes = ", ".join(statistic.arguments) or "no arguments"
                problems.add((*at, key), f"{statistic.name} takes {takes}", value, key=True)
                ok = False
            continue
        if value is None:
            if argument.required:
                problems.add(at, f"{statistic.name} needs `{key}`: {argument.meaning}")
                ok = False
                continue
            value = argument.default
        why = argument.problem(value)
        if why:
            problems.add((*at, key), why, value)
            ok = False
        args[key] = value
    if ok and "at" in args and args.get("formed_after", 0) + args["at"] > steps:
        problems.add(
            (*at, "at"),
            f"the runs last {steps} steps: a partnership founded at step "
            f"{args.get('formed_after', 0)} (formed_after) cannot be followed {args['at']} months",
            args["at"],
        )
        ok = False
    if ok and args.get("formed_after", 0) >= steps:
        problems.add(
            (*at, "formed_after"), f"must be before the last step ({steps})", args["formed_after"]
        )
        ok = False
    if not ok:
        return None
    return stats.Measure(statistic=statistic.name, arguments=tuple(args.items()))


def _output_measure(spec: TargetSpec, at, steps: int, problems) -> stats.Measure | None:
    name = str(spec.output)
    for key in ("at", "formed_after", "partnerships"):
        if getattr(spec, key) is not None:
            problems.add(
                (*at, key),
                "is an argument of statistics, not of outputs",
                getattr(spec, key),
                key=True,
            )
            return None
    stepwise = spec.aggregate is not None or spec.steps is not None
    run_names = indicator_names()
    step_names = outputs.names("step", role=("context", "indicator"), numeric=True)
    if stepwise:
        if name not in step_names:
            problems.add(
                (*at, "output"), _not_output(name, step_names, "a numeric step output"), name
            )
            return None
        span = spec.steps
        if span is not None and not 0 <= span[0] <= span[1] <= steps:
            problems.add(
                (*at, "steps"), f"must be [first, last] with 0 ≤ first ≤ last ≤ {steps}", list(span)
            )
            return None
        return stats.Measure(
            output=name,
            aggregate=spec.aggregate or "mean",
            steps=None if span is None else (int(span[0]), int(span[1])),
            level="step",
        )
    if name not in run_names:
        if name in step_names:
            problems.add(
                (*at, "output"),
                f"{name!r} is a step output: say how its steps are "
                "summarised (aggregate: mean, sum, first or last; steps: [first, last])",
                name,
            )
        else:
            problems.add(
                (*at, "output"), _not_output(name, run_names, "a numeric run output"), name
            )
        return None
    return stats.Measure(output=name, level="run")


def _not_output(name: str, known, what: str) -> str:
    close = outputs.suggest(name, known)
    hint = f": did you mean {close!r}?" if close else " (`coopsim outputs` lists them)"
    return f"not {what}{hint}"
