"""Sweep files: a base scenario, the parameters to vary, the design and what to keep.

A sweep is data (SALib's ProblemSpec and EMA Workbench's parameters are the models): names,
values or ranges, the design and its size, seeds and outputs, separate from how the runs are
executed (``coopsim.experiments``). The file::

    base: ../../scenarios/baseline.yaml   # or the scenario inline under `scenario:`
    set:                                  # optional changes to the base, by dotted path
      steps: 180
    sweep:
      design: grid                        # grid | lhs | sobol | morris
      samples: 64                         # lhs points, sobol base samples N, morris trajectories
      replicates: 3                       # seeds per point
      seed: 2026                          # root of the SeedSequence (default: the scenario's seed)
      parameters:                         # any scenario field by its dotted path
        governance.mode: [statism, governance]     # values
        turnover.rate: {low: 0.0, high: 0.2}       # a range (grid needs `num`)
      outputs: [sustainability_index, mean_trust]  # run outputs to keep (default: all numeric
                                          # ones but steps and seed; `coopsim outputs run`)
      timeseries: false                   # or true, or a list of columns; thinned with `every`

Other keys of the block: ``seeds`` (``common``: replicate r has the same seed at every point;
``independent``), ``batch_size`` (runs per task, default ``auto``), ``second_order`` (sobol),
``levels`` (morris). A list of values is split into equal parts of the unit interval by the
sampled designs; whole-number fields get whole numbers. Top level: ``name`` (default: the
scenario's), ``description``, and ``set:``, which changes the base scenario before anything
varies, as ``coopsim run --set`` does.

Problems are reported like scenario problems, ``FILE:LINE:COL: dotted.path: message (got
VALUE)``, all at once, as ``ScenarioError``. Unknown keys are errors, every parameter path must
name a field of the scenario schema, and every value or range end must be valid for that field.
A ``base:`` path is read relative to the sweep file's folder, else to the current folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
import yaml
from annotated_types import Interval
from pydantic import SkipValidation

from coopsim.model import outputs
from coopsim.model.config import MAX_STEPS
from coopsim.model.sectors import SECTORS
from coopsim.model.validation import NOTHING, show_value, translate_errors, unknown_key_message
from coopsim.scenario import yamlsafe
from coopsim.scenario.loader import (
    Override,
    Problem,
    ScenarioError,
    comment,
    field_hint,
    fields_at,
    load_scenario,
    parse_override,
    plain_text,
    read_source,
    read_yaml,
    scenario_from_dict,
    scenario_warnings,
    split_dotted,
)
from coopsim.scenario.schema import (
    MAX_SEED,
    NAME_PATTERN,
    JsonSchemaGenerator,
    Scenario,
    scenario_to_dict,
)

__all__ = [
    "DESIGNS",
    "MAX_REPLICATES",
    "MAX_RUNS",
    "Parameter",
    "Sweep",
    "dump_sweep",
    "indicator_names",
    "is_sweep_file",
    "load_sweep",
    "parse_sweep",
    "sweep_from_dict",
    "sweep_json_schema",
    "sweep_warnings",
    "timeseries_columns",
]

DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
MAX_RUNS = 2_000_000  # design.parquet and the resume bookkeeping stay well under a gigabyte
MAX_POINTS = MAX_RUNS
MAX_REPLICATES = 10_000
MAX_VALUES = 10_000  # values listed for one parameter
MAX_BATCH = 100_000
NOT_SWEPT = {
    "name": "the name identifies the sweep, not a run",
    "description": "the description is text, not a parameter",
    "seed": "run seeds come from the sweep's `seed` and `replicates`",
    "output": "what a run writes does not change its results",
}

Slug = Annotated[str, pydantic.StringConstraints(pattern=NAME_PATTERN)]
_CONFIG: pydantic.ConfigDict = {"extra": "forbid"}


# --------------------------------------------------------------------------------------------------
# The schema of the file (pydantic validates it; parameters are checked against the scenario)


@dataclass(frozen=True)
class Range:
    """A range of a numeric parameter (for grid designs, ``num`` evenly spaced values)."""

    __pydantic_config__ = _CONFIG
    low: float
    high: float
    num: Annotated[int, Interval(ge=2, le=MAX_VALUES)] | None = None
    scale: Literal["linear", "log"] = "linear"


@dataclass(frozen=True)
class DiscoverSettings:
    """Scenario discovery in the sweep's report: where ``outcome`` is below (or above) a value."""

    __pydantic_config__ = _CONFIG
    outcome: str
    below: float | None = None
    above: float | None = None
    method: Literal["prim", "cart"] = "prim"
    threshold: Annotated[float, Interval(ge=0.0, le=1.0)] = 0.8


@dataclass(frozen=True)
class SweepSettings:
    """The ``sweep:`` block."""

    __pydantic_config__ = _CONFIG
    parameters: SkipValidation[dict[str, list[Any] | Range]] = field(
        metadata={"doc": "Parameters by dotted path: a list of values or a {low, high} range."}
    )
    design: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: Annotated[int, Interval(ge=1, le=MAX_POINTS)] | None = None
    replicates: Annotated[int, Interval(ge=1, le=MAX_REPLICATES)] = 1
    seed: Annotated[int, Interval(ge=0, le=MAX_SEED)] | None = None
    seeds: Literal["common", "independent"] = "common"
    outputs: tuple[str, ...] | None = None
    timeseries: bool | tuple[str, ...] = False
    every: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = 1
    batch_size: Annotated[int, Interval(ge=1, le=MAX_BATCH)] | Literal["auto"] = "auto"
    second_order: bool = True
    levels: Annotated[int, Interval(ge=2, le=100)] = 4
    discover: DiscoverSettings | None = None


@dataclass(frozen=True)
class SweepFile:
    """A sweep file: a base scenario (a path or inline) and the ``sweep:`` block."""

    __pydantic_config__ = _CONFIG
    sweep: SweepSettings
    base: str | None = None
    scenario: SkipValidation[dict[str, Any] | None] = None
    set: SkipValidation[dict[str, Any] | None] = field(
        default=None,
        metadata={"doc": "Changes to the base scenario by dotted path, as `--set` makes them."},
    )
    name: Slug | None = None
    description: Annotated[str, pydantic.StringConstraints(max_length=20_000)] = ""


@functools.cache
def _file_adapter() -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(SweepFile)


def sweep_json_schema() -> dict[str, Any]:
    """The JSON Schema of sweep files (the inline scenario is described by ``coopsim schema``)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coopsim.invalid/schema/sweep.json",
        **_file_adapter().json_schema(schema_generator=JsonSchemaGenerator),
    }


# --------------------------------------------------------------------------------------------------
# The resolved sweep


@dataclass(frozen=True)
class Parameter:
    """One varied scenario field: a list of ``values`` or a range ``low``..``high``."""

    name: str
    path: tuple[str | int, ...]
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    num: int | None = None
    scale: str = "linear"
    integer: bool = False  # the field holds whole numbers

    @property
    def is_range(self) -> bool:
        return self.values is None

    def to_data(self) -> Any:
        if self.values is not None:
            return list(self.values)
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.num is not None:
            out["num"] = self.num
        if self.scale != "linear":
            out["scale"] = self.scale
        return out


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the resolved base scenario, parameters and design settings."""

    name: str
    scenario: Any
    parameters: tuple[Parameter, ...]
    design: str
    samples: int | None
    replicates: int
    seed: int
    seeds: str
    outputs: tuple[str, ...]
    timeseries: tuple[str, ...]  # empty: no time series kept
    every: int
    batch_size: int | None  # None: sized automatically so a task lasts about a second
    second_order: bool = True
    levels: int = 4
    description: str = ""
    source: str | None = None
    discover: DiscoverSettings | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def n_points(self) -> int:
        return design_points(self.design, self.parameters, self.samples, self.second_order)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def to_data(self) -> dict[str, Any]:
        """Plain data of the resolved sweep; ``sweep_from_dict`` of it gives the same sweep."""
        block: dict[str, Any] = {
            "design": self.design,
            "samples": self.samples,
            "replicates": self.replicates,
            "seed": self.seed,
            "seeds": self.seeds,
            "parameters": {p.name: p.to_data() for p in self.parameters},
            "outputs": list(self.outputs),
            "timeseries": list(self.timeseries) if self.timeseries else False,
            "every": self.every,
            "batch_size": self.batch_size if self.batch_size is not None else "auto",
        }
        if self.design == "sobol":
            block["second_order"] = self.second_order
        if self.design == "morris":
            block["levels"] = self.levels
        if self.discover is not None:
            found = self.discover
            block["discover"] = {
                "outcome": found.outcome,
                **({"below": found.below} if found.below is not None else {}),
                **({"above": found.above} if found.above is not None else {}),
                "method": found.method,
                "threshold": found.threshold,
            }
        if self.samples is None:
            del block["samples"]
        return {
            "name": self.name,
            "description": self.description,
            "scenario": scenario_to_dict(self.scenario),
            "sweep": block,
        }


def design_points(
    design: str, parameters: Iterable[Parameter], samples: int | None, second_order: bool = True
) -> int:
    """How many points a design has (before replicates)."""
    params = list(parameters)
    d = len(params)
    if design == "grid":
        return math.prod(len(p.values) if p.values is not None else (p.num or 0) for p in params)
    n = samples or 0
    if design == "lhs":
        return n
    if design == "sobol":
        return n * (2 * d + 2) if second_order else n * (d + 2)
    return n * (d + 1)  # morris: trajectories of d + 1 points


# --------------------------------------------------------------------------------------------------
# Entry points


def load_sweep(path: str | Path, overrides: Iterable[Any] = ()) -> Sweep:
    """The sweep in a YAML file; ``overrides`` (``--set`` texts) apply to its base scenario."""
    return parse_sweep(read_source(path), str(path), overrides, base_dir=Path(path).parent)


def parse_sweep(
    text: str,
    source: str = "<text>",
    overrides: Iterable[Any] = (),
    base_dir: str | Path | None = None,
) -> Sweep:
    """The sweep in YAML ``text``; a ``base:`` path is read relative to ``base_dir``."""
    data, smap = read_yaml(text, source)
    return _validate(data, smap, list(overrides), Path(base_dir) if base_dir else None)


def sweep_from_dict(
    data: Any,
    source: str = "<dict>",
    overrides: Iterable[Any] = (),
    base_dir: str | Path | None = None,
) -> Sweep:
    """The sweep in plain data (as a YAML file would hold it)."""
    return parse_sweep(plain_text(data, source), source, overrides, base_dir)


def is_sweep_file(path: str | Path) -> bool:
    """Whether ``path`` holds a mapping with a top-level ``sweep:`` key (False if unreadable)."""
    return yamlsafe.has_top_level_key(path, "sweep")


def dump_sweep(sweep: Sweep, header: str | None = None) -> str:
    """YAML of a resolved sweep (base scenario inline, every default filled in)."""
    text = yaml.safe_dump(
        sweep.to_data(), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    return comment(header) + text


def sweep_warnings(sweep: Sweep) -> list[str]:
    """Valid but probably not meant (each a readable sentence)."""
    out = [f"scenario: {w}" for w in scenario_warnings(sweep.scenario)]
    if sweep.design == "grid" and sweep.samples is not None:
        out.append("sweep.samples: a grid's size is the product of its values; samples is unused")
    for p in sweep.parameters:
        if p.is_range and p.num is not None and sweep.design != "grid":
            out.append(
                f"sweep.parameters.{p.name}.num: only grid designs use `num`; "
                f"{sweep.design} draws values across the whole range"
            )
        if p.values is not None:
            seen = [json.dumps(v, sort_keys=True) for v in p.values]
            if len(set(seen)) < len(seen):
                out.append(f"sweep.parameters.{p.name}: a value is listed twice")
    if sweep.timeseries and sweep.every > sweep.scenario.steps:
        out.append(
            f"sweep.every: {sweep.every} is longer than the run ({sweep.scenario.steps} steps): "
            "only the first and last steps are kept"
        )
    return out


# --------------------------------------------------------------------------------------------------
# Indicators and time-series columns (from the outputs registry)


def indicator_names() -> tuple[str, ...]:
    """The run outputs a sweep can keep: the numeric entries of ``CoopModel.summary()`` that
    measure or describe a run (not its keys: steps, seed, mode)."""
    return outputs.names("run", role=("context", "indicator"), numeric=True)


def timeseries_columns(sectors: Iterable[str] | None = None) -> tuple[str, ...]:
    """Columns of ``CoopModel.timeseries()`` besides ``step`` when ``sectors`` are present
    (all sectors by default)."""
    return outputs.names("step", role=("context", "indicator"), sectors=sectors)


def _possible_sectors(scenario: Any, parameters: Sequence[Parameter]) -> tuple[str, ...]:
    """Sectors that some run of the sweep has: present in the base or with a varied count."""
    varied = {p.name for p in parameters}
    return tuple(
        s
        for s in SECTORS
        if scenario.population.sector(s).count > 0 or f"population.{s}.count" in varied
    )


# --------------------------------------------------------------------------------------------------
# Validation


class _Problems:
    """Collects problems, each located in the sweep file by its data path."""

    def __init__(self, smap: yamlsafe.SourceMap):
        self.smap = smap
        self.items: list[Problem] = []

    def add(self, path: tuple, message: str, got: Any = NOTHING, key: bool = False) -> None:
        origin = self.smap.key(path) if key else self.smap.value(path)
        dotted = ".".join(str(p) for p in path)
        shown = None if got is NOTHING else show_value(got)
        line, col = (origin.line, origin.col) if origin else (None, None)
        self.items.append(Problem(self.smap.source, message, dotted, line, col, shown))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            ordered = sorted(self.items, key=lambda p: (p.line is None, p.line or 0, p.col or 0))
            raise ScenarioError(ordered)


def _validate(data: Any, smap: yamlsafe.SourceMap, overrides: list[Any], base_dir: Path | None):
    problems = _Problems(smap)
    if data is None:
        problems.add((), "the file is empty: a sweep needs `base:` (or `scenario:`) and `sweep:`")
        problems.raise_if_any()
    if not isinstance(data, dict):
        problems.add((), "the top level must be a mapping with `base:` and `sweep:` keys", data)
        problems.raise_if_any()
    if not set(data) & set(_SWEEP_ONLY) and set(data) & _scenario_keys():
        problems.add(
            (),
            "a scenario file, not a sweep file (no `sweep:` block): `coopsim run` or "
            "`coopsim compare` runs it; a sweep file names it as `base:` and adds a `sweep:` "
            "block (examples in experiments/sweeps/)",
        )
        problems.raise_if_any()
    parsed: SweepFile | None = None
    try:
        parsed = _file_adapter().validate_json(json.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        _translate(exc.errors(), data, (), problems)
    except ValueError as exc:
        problems.add((), f"cannot read the values: {exc}")
        problems.raise_if_any()
    # Go on where the parts that later checks need are readable: all problems at once.
    scenario = _base_scenario(data, problems, overrides, base_dir)
    block = data.get("sweep")
    raw = block.get("parameters") if isinstance(block, dict) else None
    parameters = []
    if scenario is not None and isinstance(block, dict) and "parameters" in block:
        parameters = _parameters(raw, scenario, problems)
    if parsed is None or scenario is None:
        problems.raise_if_any()
    assert parsed is not None and scenario is not None
    settings: SweepSettings = parsed.sweep
    _check_design(settings, parameters, problems)
    kept = _check_names(settings.outputs, indicator_names(), "outputs", "an indicator", problems)
    sectors = _possible_sectors(scenario, parameters)
    if settings.timeseries is True:
        series = timeseries_columns(sectors)
    elif settings.timeseries is False:
        series = ()
    else:
        series = _check_names(
            settings.timeseries,
            timeseries_columns(),
            "timeseries",
            "a time-series column",
            problems,
        )
        _check_sectors(series, sectors, problems)
    if settings.discover is not None:
        found = settings.discover
        if (found.below is None) == (found.above is None):
            problems.add(("sweep", "discover"), "give one of `below:` or `above:` (a value)")
        if found.outcome not in kept:
            close = outputs.suggest(found.outcome, kept)
            hint = f"did you mean {close!r}?" if close else f"it keeps: {', '.join(kept)}"
            problems.add(
                ("sweep", "discover", "outcome"),
                f"not an output this sweep keeps: {hint}",
                found.outcome,
            )
    problems.raise_if_any()
    sweep = Sweep(
        name=parsed.name or scenario.name,
        description=parsed.description,
        scenario=scenario,
        parameters=tuple(parameters),
        design=settings.design,
        samples=settings.samples,
        replicates=settings.replicates,
        seed=settings.seed if settings.seed is not None else scenario.seed,
        seeds=settings.seeds,
        outputs=kept,
        timeseries=tuple(series),
        every=settings.every,
        batch_size=None if settings.batch_size == "auto" else settings.batch_size,
        second_order=settings.second_order,
        levels=settings.levels,
        source=smap.source,
        discover=settings.discover,
    )
    if sweep.n_runs > MAX_RUNS:
        problems.add(
            ("sweep",),
            f"the design has {sweep.n_points:,} points × {sweep.replicates} replicates = "
            f"{sweep.n_runs:,} runs; the limit is {MAX_RUNS:,} (split it into several sweeps)",
        )
    problems.raise_if_any()
    return sweep


# Top-level keys of sweep files that scenario files do not have.
_SWEEP_ONLY = ("sweep", "base", "scenario", "set")


@functools.cache
def _scenario_keys() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(Scenario))


def _base_scenario(data: dict, problems: _Problems, overrides, base_dir, what: str = "sweep"):
    base, inline = data.get("base"), data.get("scenario")
    if (base is None) == (inline is None):
        problems.add(
            ("base",) if base is not None else (),
            "give the base scenario either as a file (`base: path.yaml`) or inline "
            "(`scenario:` mapping), not both"
            if base is not None
            else f"a {what} needs a base scenario: `base: path.yaml` or an inline `scenario:`",
        )
        return None
    if base is not None and not isinstance(base, str):
        return None  # reported by the schema
    given = [o if isinstance(o, Override) else parse_override(o) for o in overrides]
    for override in given:  # --set reaches the base scenario, never the sweep file's own keys
        if override.path and override.path[0] in _SWEEP_ONLY:
            dotted = ".".join(map(str, override.path))
            problems.extend(
                [
                    Problem(
                        override.label,
                        f"--set changes the base scenario, which has no `{override.path[0]}`: "
                        f"change `{dotted}` in the sweep file itself",
                    )
                ]
            )
    given = [o for o in given if not (o.path and o.path[0] in _SWEEP_ONLY)]
    overrides = _set_overrides(data.get("set"), problems) + given
    if base is not None:
        try:
            path = _find_base(base, base_dir)
        except OSError as exc:  # e.g. a name too long for the file system
            problems.add(("base",), f"cannot read the file: {exc.strerror or exc}", base)
            return None
        if path is None:
            tried = [str(base_dir / base)] if base_dir else []
            tried.append(str(Path.cwd() / base))
            problems.add(("base",), f"no such file (looked for {' and '.join(tried)})", base)
            return None
        try:
            return load_scenario(path, overrides)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            return None
    if not isinstance(inline, dict):
        problems.add(("scenario",), "must be a mapping of scenario keys", inline)
        return None
    label = f"{problems.smap.source}#scenario"
    try:
        return scenario_from_dict(inline, label, overrides)
    except ScenarioError as exc:
        for p in exc.problems:
            if p.source != label:  # a --set option: it names itself
                problems.extend([p])
                continue
            path = ("scenario", *_split(p.path)) if p.path else ("scenario",)
            origin = problems.smap.value(path)
            line, col = (origin.line, origin.col) if origin else (None, None)
            problems.extend(
                [
                    Problem(
                        problems.smap.source, p.message, ".".join(map(str, path)), line, col, p.got
                    )
                ]
            )
        return None


def _set_overrides(changes: Any, problems: _Problems) -> list[Override]:
    """The ``set:`` mapping as overrides, each labelled with its place in the sweep file."""
    if not isinstance(changes, dict):
        if changes is not None:
            problems.add(("set",), "must be a mapping of dotted paths to values", changes)
        return []
    out = []
    for key, value in changes.items():
        path = split_dotted(str(key))
        if path is None:
            problems.add(("set", key), "is not a dotted path of scenario keys", key=True)
            continue
        origin = problems.smap.value(("set", key))
        label = problems.smap.source + (f":{origin.line}:{origin.col}" if origin else "")
        out.append(Override(path, value, label))
    return out


def _find_base(base: str, base_dir: Path | None) -> Path | None:
    """The first candidate that is a file, else None; OSError if none is and one could not be
    looked at (a name too long, a folder that cannot be searched)."""
    candidates = [base_dir / base] if base_dir is not None else []
    candidates.append(Path(base))
    error: OSError | None = None
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate
        except OSError as exc:
            error = error or exc
    if error is not None:
        raise error
    return None


def _split(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in dotted.split("."))


# ---- parameters ------------------------------------------------------------------------------


def _parameters(raw: dict[str, Any], scenario: Any, problems: _Problems) -> list[Parameter]:
    where = ("sweep", "parameters")
    if not isinstance(raw, dict) or not raw:
        problems.add(
            where,
            "name at least one parameter to vary, by its dotted path "
            "(e.g. turnover.rate: {low: 0.0, high: 0.2})",
            raw,
        )
        return []
    base = scenario_to_dict(scenario)
    out = []
    taken: dict[tuple, str] = {}  # the path of each parameter so far
    for name, spec in raw.items():
        at = (*where, name)
        path = _parameter_path(name, base, at, problems)
        if path is None:
            continue
        overlap = next(
            (o for p, o in taken.items() if path[: len(p)] == p or p[: len(path)] == path), None
        )
        if overlap is not None:
            problems.add(
                at,
                f"sets the same field as {overlap}: vary one of them, or the whole part once",
                key=True,
            )
            continue
        taken[tuple(path)] = name
        hint = field_hint(path)
        integer = _number_kind(hint) == "int"
        if isinstance(spec, list):
            if not spec:
                problems.add(at, "lists no values")
                continue
            if len(spec) > MAX_VALUES:
                problems.add(at, f"lists {len(spec):,} values; the limit is {MAX_VALUES:,}")
                continue
            ok = True
            for i, value in enumerate(spec):
                ok &= _check_value(path, value, (*at, i), problems)
            if ok:
                values = tuple(_canonical(path, v) for v in spec)
                out.append(Parameter(name, path, values=values, integer=integer))
        elif isinstance(spec, dict):
            parameter = _range(name, path, spec, hint, at, problems)
            if parameter is not None:
                out.append(parameter)
        else:
            problems.add(
                at,
                "must be a list of values ([a, b, c]) or a range ({low: 0.0, high: 1.0})",
                spec,
            )
    return out


def _parameter_path(name: str, base: dict, at: tuple, problems: _Problems):
    path = split_dotted(name)
    if path is None:
        problems.add(at, "is not a dotted path of scenario keys (e.g. turnover.rate)", key=True)
        return None
    if path[0] in NOT_SWEPT:
        problems.add(at, f"cannot be varied: {NOT_SWEPT[path[0]]}", key=True)
        return None
    if field_hint(path) is None:
        problems.add(at, _unknown_path(path), key=True)
        return None
    node: Any = base
    for depth, part in enumerate(path):
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                listed = ".".join(map(str, path[:depth]))
                problems.add(
                    at,
                    f"the base scenario's {listed} has {len(node)} item(s), so there is no "
                    f"{listed}.{part}",
                    key=True,
                )
                return None
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            break
    return path


def _unknown_path(path: tuple) -> str:
    """Why ``path`` names no field: the first part that is unknown, and a suggestion."""
    for n in range(1, len(path) + 1):
        if field_hint(path[:n]) is None:
            known = fields_at(path[: n - 1])
            bad = str(path[n - 1])
            prefix = ".".join(map(str, path[: n - 1]))
            where = f" in {prefix}" if prefix else ""
            close = difflib.get_close_matches(bad, known, n=1, cutoff=0.6)
            if close:
                return f"no scenario field {bad!r}{where}: did you mean {close[0]!r}?"
            if known:
                return f"no scenario field {bad!r}{where}; expected one of: {', '.join(known)}"
            return f"{prefix or 'it'} has no fields to index into"
    return "not a scenario field"


def _number_kind(hint: Any) -> str | None:
    """``"int"``, ``"float"`` or None (not a number) for a field type."""
    kinds = set()
    stack = [hint]
    while stack:
        tp = stack.pop()
        if get_origin(tp) is Annotated:
            stack.append(get_args(tp)[0])
        elif get_origin(tp) in (Union, UnionType):
            stack.extend(a for a in get_args(tp) if a is not type(None))
        elif tp is bool:
            return None
        elif tp in (int, float):
            kinds.add(tp)
        else:
            return None
    if kinds == {int}:
        return "int"
    return "float" if kinds else None


@functools.cache
def _value_adapter(path: tuple) -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(field_hint(path))


def _check_value(path: tuple, value: Any, at: tuple, problems: _Problems) -> bool:
    """Whether ``value`` is valid for the field at ``path`` (problems are added if not)."""
    try:
        _value_adapter(path).validate_json(json.dumps(value), strict=True)
    except pydantic.ValidationError as exc:
        # Unknown keys in a value are keys of the scenario section it sets.
        _translate(exc.errors(), value, at, problems, lambda p: _unknown_key((*path, *p), True))
        return False
    except ValueError as exc:
        problems.add(at, f"cannot read the value: {exc}", value)
        return False
    return True


def _canonical(path: tuple, value: Any) -> Any:
    """A value as the field holds it: floats for float fields (so columns have one type)."""
    if _number_kind(field_hint(path)) == "float" and isinstance(value, int):
        return float(value)
    return value


_RANGE_KEYS = ("low", "high", "num", "scale")


def _range(name, path, spec: dict, hint, at, problems: _Problems) -> Parameter | None:
    kind = _number_kind(hint)
    if kind is None:
        problems.add(
            at,
            "a range needs a numeric field; list the values of this one instead ([a, b, ...])",
            spec,
        )
        return None
    ok = True
    for key in spec:
        if key not in _RANGE_KEYS:
            close = difflib.get_close_matches(str(key), _RANGE_KEYS, n=1, cutoff=0.6)
            hint_text = (
                f": did you mean {close[0]!r}?" if close else "; a range has low, high, num, scale"
            )
            problems.add((*at, key), "unknown key" + hint_text, key=True)
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
    num = spec.get("num")
    if num is not None and (isinstance(num, bool) or not isinstance(num, int) or num < 2):
        problems.add((*at, "num"), "must be a whole number of values, at least 2", num)
        ok = False
    elif num is not None and num > MAX_VALUES:
        problems.add((*at, "num"), f"must be at most {MAX_VALUES:,}", num)
        ok = False
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        problems.add((*at, "scale"), "must be one of 'linear' or 'log'", scale)
        ok = False
    if not ok:
        return None
    low, high = spec["low"], spec["high"]
    if not low < high:
        problems.add(at, "low must be below high", spec)
        return None
    if scale == "log" and low <= 0:
        problems.add((*at, "low"), "a log scale needs low above 0", low)
        return None
    if kind == "float":
        low, high = float(low), float(high)
    return Parameter(name, path, low=low, high=high, num=num, scale=scale, integer=kind == "int")


def _check_design(settings: SweepSettings, parameters: list[Parameter], problems: _Problems):
    design, samples = settings.design, settings.samples
    if design in SAMPLED:
        if samples is None:
            problems.add(("sweep",), f"a {design} design needs `samples`")
        elif design in ("sobol", "morris") and samples < 2:
            problems.add(("sweep", "samples"), f"a {design} design needs at least 2", samples)
        elif design == "sobol" and samples & (samples - 1):
            lower = 1 << (samples.bit_length() - 1)
            problems.add(
                ("sweep", "samples"),
                "a Sobol (Saltelli) design needs a power of 2 to keep its balance "
                f"(e.g. {lower} or {lower * 2})",
                samples,
            )
    if design == "morris" and settings.levels % 2:
        problems.add(("sweep", "levels"), "Morris levels must be even (e.g. 4)", settings.levels)
    if design == "grid":
        for p in parameters:
            at = ("sweep", "parameters", p.name)
            if p.is_range and p.num is None:
                problems.add(at, "a range in a grid needs `num` (how many evenly spaced values)")
            elif p.is_range and p.integer and p.num > p.high - p.low + 1:
                problems.add(
                    (*at, "num"),
                    f"a whole-number range {p.low}..{p.high} has only {p.high - p.low + 1} values",
                    p.num,
                )


def _check_names(names, known: tuple[str, ...], key: str, what: str, problems: _Problems):
    if names is None:
        return known
    if not names:
        problems.add(("sweep", key), f"name at least one {what.split(' ', 1)[1]}")
    for i, name in enumerate(names):
        if name not in known:
            close = outputs.suggest(name, known)
            hint = f"did you mean {close!r}?" if close else f"expected one of: {', '.join(known)}"
            problems.add(("sweep", key, i), f"not {what}: {hint}", name)
    return tuple(dict.fromkeys(names))


def _check_sectors(series: Sequence[str], sectors: Sequence[str], problems: _Problems) -> None:
    """A column about sectors that no run of the sweep has would be empty in every run."""
    for i, name in enumerate(series):
        output = outputs.find(name, "step")
        absent = [s for s in output.requires if s not in sectors] if output else []
        if absent:
            problems.add(
                ("sweep", "timeseries", i),
                f"never recorded: no run of this sweep has {' or '.join(absent)} organisations "
                f"(population.{absent[0]}.count is 0 and not varied)",
                name,
            )


# ---- pydantic's errors in the file's words -------------------------------------------------

# The sweep file's wording for errors at particular places, by (kind of error, data path).
_SPECIAL = {
    ("missing", ("sweep",)): "required: the sweep block (design, parameters, ...)",
    ("string_pattern_mismatch", ("name",)): (
        "must be a slug: lowercase letters, digits, '-' and '_', at most 64 characters"
    ),
}


def _translate(
    errors: list[dict[str, Any]],
    data: Any,
    prefix: tuple,
    problems: _Problems,
    unknown_key: Callable[[tuple], str] | None = None,
):
    """Add one problem per place from pydantic's errors (union arms merged)."""
    unknown_key = unknown_key or _unknown_key
    for path, message, got, key in translate_errors(errors, data, unknown_key, _SPECIAL):
        problems.add((*prefix, *path), message, got, key=key)


_BLOCK_FIELDS = {
    (): [f.name for f in dataclasses.fields(SweepFile)],
    ("sweep",): [f.name for f in dataclasses.fields(SweepSettings)],
    ("sweep", "discover"): [f.name for f in dataclasses.fields(DiscoverSettings)],
}


def _unknown_key(path: tuple, in_scenario: bool = False) -> str:
    """An unknown key of the sweep file's blocks or, ``in_scenario``, of the scenario's sections."""
    known = fields_at(path[:-1]) if in_scenario else _BLOCK_FIELDS.get(path[:-1], [])
    return unknown_key_message(str(path[-1]), known)
