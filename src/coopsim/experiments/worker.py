"""What runs on a worker (a local process, a Dask worker, or this process): a batch of runs.

A task carries the resolved base scenario as plain data and, per run, its id, seed and parameter
values. Each run is validated as a scenario with the values set as overrides (the same path as
``coopsim run --set``), run for the scenario's steps, and reduced to its indicators (and its thinned
time series when asked). A run that raises is tried once more; if it fails again its error is
returned in place of indicators, and the batch goes on.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Batch", "BatchResult", "RunSpec", "run_batch"]

MAX_ERROR_CHARS = 2_000


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, seed and the values of the varied parameters (by path)."""

    run_id: int
    seed: int
    values: tuple[tuple[tuple[str | int, ...], str, Any], ...]  # (path, name, value)


@dataclass(frozen=True)
class Batch:
    """A task: runs of one sweep, and what to keep of each."""

    base: dict[str, Any]
    runs: tuple[RunSpec, ...]
    outputs: tuple[str, ...]
    timeseries: tuple[str, ...] = ()
    every: int = 1


@dataclass
class BatchResult:
    """Indicators (or errors) of each run, and the time series when kept."""

    run_ids: list[int]
    indicators: list[list[float]]
    errors: list[str | None]
    timeseries: Any = None  # a DataFrame (run_id, step, columns...) or None
    seconds: float = 0.0  # wall time in the worker
    cpu_seconds: float = 0.0  # processor time in the worker
    pid: int = field(default_factory=os.getpid)


def run_batch(batch: Batch) -> BatchResult:
    """Run every run of ``batch``; never raises for a failing run."""
    import pandas as pd

    clock, cpu = time.perf_counter(), time.process_time()
    result = BatchResult([], [], [])
    frames = []
    for spec in batch.runs:
        outcome: Any = None
        error = None
        for _attempt in range(2):
            try:
                outcome = _one_run(batch, spec)
                error = None
                break
            except Exception as exc:
                error = _describe(exc)
        result.run_ids.append(spec.run_id)
        if error is None:
            summary, series = outcome
            result.indicators.append([_number(summary.get(name)) for name in batch.outputs])
            result.errors.append(None)
            if series is not None:
                frames.append(series)
        else:
            result.indicators.append([math.nan] * len(batch.outputs))
            result.errors.append(error)
    if batch.timeseries:
        result.timeseries = pd.concat(frames, ignore_index=True) if frames else None
    result.seconds = time.perf_counter() - clock
    result.cpu_seconds = time.process_time() - cpu
    return result


def _one_run(batch: Batch, spec: RunSpec) -> tuple[dict[str, Any], Any]:
    from coopsim.model import CoopModel
    from coopsim.runs.run import thin
    from coopsim.scenario import Override, scenario_from_dict

    label = f"sweep run {spec.run_id}"
    overrides = [Override(path, value, f"{label}: {name}") for path, name, value in spec.values]
    overrides.append(Override(("seed",), spec.seed, f"{label}: seed"))
    scenario = scenario_from_dict(batch.base, label, overrides)
    model = CoopModel.from_scenario(scenario)
    model.run_for(scenario.steps)
    summary = model.summary()
    series = None
    if batch.timeseries:
        frame = thin(model.timeseries(), batch.every)
        # A sector-pair column is absent from runs without that sector: empty (NaN) there.
        series = frame.reindex(columns=["step", *batch.timeseries])
        series.insert(0, "run_id", spec.run_id)
    return summary, series


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return math.nan if value is None else float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    where = traceback.extract_tb(exc.__traceback__)
    if where:
        last = where[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return text[:MAX_ERROR_CHARS]
