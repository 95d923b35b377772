"""Reading result directories: a run, a comparison of modes, or a parameter sweep (a
decomposition by rule slot is a sweep; ``coopsim.experiments.decomposition`` reads it).

A run and a comparison are read into the same shape (``Results``): every table carries ``mode``
and ``seed`` columns, so each figure draws one run or many the same way. A sweep is read into
``SweepResults``: its design, its finished runs joined with their parameter values, and which
columns are parameters and which are outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from coopsim.model import outputs

__all__ = [
    "Event",
    "ReportError",
    "Results",
    "SweepResults",
    "detect_kind",
    "load_results",
    "load_sweep",
    "scenario_events",
]

Kind = Literal["run", "comparison", "sweep", "calibration", "decomposition"]
KINDS: tuple[str, ...] = ("run", "comparison", "sweep", "calibration", "decomposition")
# Columns of a sweep's tables that are neither parameters nor outputs to report: the design's own
# and the run outputs that identify or describe a run rather than measure it.
BOOKKEEPING = {"run_id", "point", "seed", "replicate", "error"} | set(
    outputs.names("run", role=("key", "context"))
)


class ReportError(ValueError):
    """A directory the report cannot read (not a coopsim result, or missing its tables)."""


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: unreadable JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"{path}: unreadable YAML ({exc})") from None
    return data if isinstance(data, dict) else {}


def _read_parquet(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several kinds
        raise ReportError(f"{path}: unreadable Parquet ({type(exc).__name__}: {exc})") from None


def detect_kind(directory: str | Path) -> Kind:
    """``run``, ``comparison``, ``sweep``, ``calibration`` or ``decomposition``: from
    metadata.json's ``kind``, else from the files."""
    path = Path(directory)
    if not path.is_dir():
        raise ReportError(f"{path}: no such directory")
    kind = _read_json(path / "metadata.json").get("kind")
    if kind in KINDS:
        return kind
    if (path / "design.parquet").is_file() or (path / "results").is_dir():
        return "sweep"
    if (path / "calibration.yaml").is_file():
        return "calibration"
    if (path / "summaries.parquet").is_file() or (path / "comparison.parquet").is_file():
        return "comparison"
    if (path / "timeseries.parquet").is_file() or (path / "summary.json").is_file():
        return "run"
    raise ReportError(
        f"{path}: not a run, comparison or sweep directory "
        "(no metadata.json kind, timeseries.parquet, summaries.parquet or design.parquet)"
    )


# --------------------------------------------------------------------------------------------------
# Runs and comparisons


@dataclass(frozen=True)
class Event:
    """Something scheduled in the scenario, drawn on time axes: a shock or a reform."""

    start: float
    end: float
    label: str
    kind: Literal["shock", "reform"]


def scenario_events(scenario: dict[str, Any]) -> list[Event]:
    """Scheduled shocks (with their duration) and reforms (changes of mode) of a scenario."""
    events: list[Event] = []
    for shock in scenario.get("shocks") or []:
        if not isinstance(shock, dict) or shock.get("at") is None:
            continue  # random shocks have no fixed time
        at = float(shock["at"])
        duration = float(shock.get("duration") or 1)
        target = shock.get("target")
        label = str(shock.get("kind", "shock")).replace("_", " ")
        if target and target != "all":
            label += f" ({str(target).replace('_', ' ')})"
        events.append(Event(at, at + max(duration, 1.0), label, "shock"))
    governance = scenario.get("governance") or {}
    for reform in governance.get("switch") or []:
        if isinstance(reform, dict) and reform.get("at") is not None:
            at = float(reform["at"])
            events.append(Event(at, at, f"reform → {reform.get('mode')}", "reform"))
    return events


@dataclass
class Results:
    """A run or a comparison: every table has ``mode`` and ``seed`` columns."""

    kind: Kind
    path: Path
    metadata: dict[str, Any]
    scenario: dict[str, Any]
    modes: list[str]
    seeds: list[int]
    timeseries: pd.DataFrame
    summaries: pd.DataFrame
    partnerships: pd.DataFrame | None = None
    survival: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.metadata.get("scenario") or self.scenario.get("name") or self.path.name)


def _tag(frame: pd.DataFrame | None, mode: str, seed: int) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.copy()
    frame["mode"] = mode
    frame["seed"] = seed
    return frame


def load_results(directory: str | Path) -> Results:
    """Read a run or comparison directory."""
    path = Path(directory)
    kind = detect_kind(path)
    if kind in ("sweep", "decomposition"):
        raise ReportError(f"{path}: a {kind} directory (use load_sweep)")
    metadata = _read_json(path / "metadata.json")
    scenario = _read_yaml(path / "scenario.yaml")
    timeseries = _read_parquet(path / "timeseries.parquet")
    if timeseries is None:
        raise ReportError(f"{path}: timeseries.parquet is missing")
    partnerships = _read_parquet(path / "partnerships.parquet")
    survival = _read_parquet(path / "survival.parquet")

    if kind == "run":
        mode = str(
            metadata.get("mode")
            or (scenario.get("governance") or {}).get("mode")
            or (timeseries["mode"].iloc[0] if "mode" in timeseries and len(timeseries) else "run")
        )
        seed = int(metadata.get("seed", scenario.get("seed", 0)) or 0)
        # The run's own `mode` column follows reforms; label the whole run by its initial mode.
        timeseries = _tag(timeseries, mode, seed)
        partnerships = _tag(partnerships, mode, seed)
        survival = _tag(survival, mode, seed)
        summary = _read_json(path / "summary.json")
        summaries = pd.DataFrame([{**summary, "mode": mode, "seed": seed}])
        modes, seeds = [mode], [seed]
        comparison = effects = None
    else:
        summaries = _read_parquet(path / "summaries.parquet")
        if summaries is None:
            summaries = pd.DataFrame(columns=["mode", "seed"])
        present = list(dict.fromkeys(timeseries["mode"])) if "mode" in timeseries else []
        modes = [m for m in metadata.get("modes") or present if m in set(present)] or present
        seeds = sorted({int(s) for s in timeseries["seed"]}) if "seed" in timeseries else []
        comparison = _read_parquet(path / "comparison.parquet")
        effects = _read_parquet(path / "effects.parquet")
    summaries = _numeric(summaries)
    return Results(
        kind=kind,
        path=path,
        metadata=metadata,
        scenario=scenario,
        modes=modes,
        seeds=seeds,
        timeseries=timeseries,
        summaries=summaries,
        partnerships=partnerships,
        survival=survival,
        comparison=comparison,
        effects=effects,
        events=scenario_events(scenario),
    )


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of numbers with gaps (None, as JSON writes NaN) as floats; text stays text."""
    frame = frame.copy()
    for column in frame.columns:
        if column == "mode" or frame[column].dtype != object:
            continue
        values = frame[column].dropna()
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


# --------------------------------------------------------------------------------------------------
# Sweeps


@dataclass
class SweepResults:
    """A sweep: the design, the finished runs (joined with their parameters), failures."""

    path: Path
    metadata: dict[str, Any]
    spec: dict[str, Any]
    design: pd.DataFrame
    results: pd.DataFrame
    failed: pd.DataFrame
    parameters: list[str]
    outputs: list[str]

    @property
    def sweep(self) -> dict[str, Any]:
        block = self.spec.get("sweep")
        return block if isinstance(block, dict) else {}

    @property
    def design_kind(self) -> str:
        return str(self.sweep.get("design") or self.metadata.get("design") or "grid")

    @property
    def name(self) -> str:
        scenario = self.spec.get("scenario") if isinstance(self.spec.get("scenario"), dict) else {}
        return str(
            self.metadata.get("name")
            or self.spec.get("name")
            or (scenario or {}).get("name")
            or self.path.name
        )

    def ranges(self) -> dict[str, Any]:
        """Each parameter's specification as written in the sweep (values or a range)."""
        params = self.sweep.get("parameters")
        return dict(params) if isinstance(params, dict) else {}


def _results_parts(path: Path) -> pd.DataFrame:
    folder = path / "results"
    parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    frames = [f for f in (_read_parquet(p) for p in parts) if f is not None and len(f)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def load_sweep(directory: str | Path) -> SweepResults:
    """Read a sweep directory: sweep.yaml, design.parquet and results/part-*.parquet."""
    path = Path(directory)
    metadata = _read_json(path / "metadata.json")
    spec = _read_yaml(path / "sweep.yaml")
    design = _read_parquet(path / "design.parquet")
    results = _results_parts(path)
    if design is None:
        design = pd.DataFrame()
    if results.empty and design.empty:
        raise ReportError(f"{path}: neither design.parquet nor results/*.parquet holds any run")

    block = spec.get("sweep") if isinstance(spec.get("sweep"), dict) else {}
    declared = list((block or {}).get("parameters") or {})
    if not declared:
        declared = [c for c in design.columns if c not in BOOKKEEPING]
    parameters = [p for p in declared if p in design.columns or p in results.columns]

    if "run_id" in results and "run_id" in design:
        missing = [c for c in design.columns if c not in results.columns]
        if missing:
            results = results.merge(design[["run_id", *missing]], on="run_id", how="left")
    if "error" in results:
        bad = results["error"].notna() & (results["error"].astype(str) != "")
        failed, results = results[bad].copy(), results[~bad].copy()
    else:
        failed = results.iloc[0:0].copy()

    wanted = (block or {}).get("outputs")
    skip = BOOKKEEPING | set(parameters) | set(design.columns)
    numeric = [
        c
        for c in results.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(results[c])
        and not pd.api.types.is_bool_dtype(results[c])
        and results[c].notna().any()
    ]
    if isinstance(wanted, list) and wanted:
        outputs = [c for c in wanted if c in numeric] + [c for c in numeric if c not in wanted]
    else:
        outputs = numeric
    return SweepResults(
        path=path,
        metadata=metadata,
        spec=spec,
        design=design,
        results=results.reset_index(drop=True),
        failed=failed.reset_index(drop=True),
        parameters=parameters,
        outputs=outputs,
    )
