"""The same scenario under several governance modes and seeds: a comparison directory.

Every mode runs on the same seeds (common random numbers), so differences between modes are
paired by seed. Runs go to an executor (``coopsim.executors``): local processes when there are
several workers, or a Dask cluster.

```
comparisons/<UTC timestamp>_<name>_<short hash>/
  scenario.yaml        the resolved base scenario (its mode is overridden by each run's mode)
  metadata.json        modes, seeds, runs done, versions, command, times, status
  timeseries.parquet   one row per step per run, with `mode` and `seed` columns
  partnerships.parquet one row per partnership per run, with `mode` and `seed`
  survival.parquet     dissolution-specific survival (Kaplan–Meier, completions censored) per run,
                       with `mode` and `seed`
  cumulative_incidence.parquet  completion and dissolution by age (Aalen–Johansen) per run, with
                       `mode` and `seed`
  summaries.parquet    one row per run: mode, seed and every indicator
  comparison.parquet   indicator × mode: n, mean, sd, ci_low, ci_high (95% over seeds)
  effects.parquet      indicator × pair of modes: paired mean difference with its 95% interval,
                       Vargha–Delaney A12 and its magnitude
  comparison.csv       comparison.parquet as text, for a quick look
  figures/             filled by the report (coopsim.report)
```
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coopsim import io
from coopsim.executors import make_executor, run_all
from coopsim.model.config import MODES
from coopsim.runs.run import (
    Interrupted,
    finish_directory,
    recorded_failure,
    resolved_header,
    simulate,
    start_directory,
    thin,
)
from coopsim.runs.stats import comparison_table, effects_table
from coopsim.scenario import dump_scenario, scenario_from_dict, scenario_to_dict

__all__ = ["MAX_SEEDS", "compare_modes", "replicate_seeds"]

MAX_SEEDS = 10_000
WORKER_MODULES = ("coopsim.runs.compare",)  # what local workers import before a run
Progress = Callable[[int, int], None]


def replicate_seeds(root: int, n: int) -> list[int]:
    """``n`` independent seeds from ``root`` (``SeedSequence.spawn``), as non-negative ints."""
    if not 1 <= n <= MAX_SEEDS:
        raise ValueError(f"the number of seeds must be between 1 and {MAX_SEEDS} (got {n})")
    children = np.random.SeedSequence(root).spawn(n)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def _one_run(task: tuple[dict[str, Any], str, int]) -> dict[str, Any]:
    """Run one mode and seed (in a worker process or in this one)."""
    data, mode, seed = task
    scenario = scenario_from_dict(data).with_mode(mode).replace(seed=seed)
    try:
        tables = simulate(scenario)
    except Exception as exc:  # a failed run is reported, the others go on
        return {"mode": mode, "seed": seed, "error": f"{type(exc).__name__}: {exc}"}
    every = scenario.output.every
    return {
        "mode": mode,
        "seed": seed,
        "timeseries": _tag(thin(tables.timeseries, every), mode, seed),
        "partnerships": _tag(tables.partnerships, mode, seed),
        "survival": _tag(tables.survival, mode, seed),
        "incidence": _tag(tables.incidence, mode, seed),
        "summary": {**tables.summary, "mode": mode, "seed": seed},
    }


def _tag(frame: pd.DataFrame, mode: str, seed: int) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in ("mode", "seed") if c in frame.columns])
    frame.insert(0, "seed", np.int64(seed) if len(frame) else pd.Series(dtype="int64"))
    frame.insert(0, "mode", mode)
    return frame


def compare_modes(
    scenario: Any,
    modes: Sequence[str] = MODES,
    seeds: int | Sequence[int] = 5,
    out: str | Path = "comparisons",
    *,
    workers: int | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    command: str | None = None,
    source: str | None = None,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
    on_directory: Callable[[Path], None] | None = None,
) -> Path:
    """Run ``scenario`` under each of ``modes`` on the same seeds; write a comparison directory.

    ``seeds`` is a count (seeds drawn from the scenario's seed) or the seeds themselves.
    ``workers`` > 1 runs in local processes (default: one per CPU, at most one per run; 1 runs in
    this process); ``executor="dask"`` on a Dask ``LocalCluster``, ``scheduler`` on an existing
    Dask cluster (as for sweeps). Results do not depend on where the runs go. A run that raises
    (or kills its worker) becomes an error row; the others go on. Ctrl-C keeps every finished
    run, writes the tables from them and raises ``Interrupted``. Called from the top level of a
    script outside ``if __name__ == "__main__":`` with worker processes, it stops at once
    (``coopsim.executors.UnguardedScript``), before any directory is made; workers that die
    before any run finishes leave no directory behind either.
    """
    modes = list(dict.fromkeys(modes))
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ValueError(f"unknown mode(s) {unknown}; choose from {', '.join(MODES)}")
    seed_list = (
        replicate_seeds(scenario.seed, seeds) if isinstance(seeds, int) else [int(s) for s in seeds]
    )
    tasks = [(scenario_to_dict(scenario), mode, seed) for seed in seed_list for mode in modes]
    text = dump_scenario(scenario, header=resolved_header("comparison"))
    digest = io.short_hash(text, ",".join(modes), ",".join(map(str, seed_list)))
    fields = {
        "modes": modes,
        "rules": scenario.governance.rules.chosen(),  # slots every mode takes from another
        "seeds": seed_list,
        "root_seed": scenario.seed,
        "steps": scenario.steps,
        "runs_planned": len(tasks),
        "runs_completed": 0,
        "common_random_numbers": True,
    }
    # The executor starts first: one that cannot start (Dask not installed, no scheduler at that
    # address) leaves no comparison directory behind.
    runner = make_executor(executor, workers, scheduler, len(tasks), WORKER_MODULES)
    finished = False
    try:
        path, meta, clock = start_directory(
            out,
            "comparison",
            scenario,
            text,
            digest,
            fields,
            command=command,
            source=source,
            overrides=overrides,
            on_directory=on_directory,
        )
        results: list[dict[str, Any]] = []
        interrupted = False
        try:
            for _, result in run_all(runner, _one_run, tasks, on_lost=_lost_run):
                results.append(result)
                if progress is not None:
                    progress(len(results), len(tasks))
        except KeyboardInterrupt:
            interrupted = True
        except Exception as exc:  # the runs could not go on
            if not results:  # nothing to keep: no directory is left behind
                shutil.rmtree(path, ignore_errors=True)
                raise
            meta.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            finish_directory(path, meta, clock)
            raise
        finished = not interrupted
    finally:
        runner.close(cancel=not finished)

    order = {(m, s): i for i, (_, m, s) in enumerate(tasks)}
    results.sort(key=lambda r: order[(r["mode"], r["seed"])])
    ok = [r for r in results if "error" not in r]
    errors = [{k: r[k] for k in ("mode", "seed", "error")} for r in results if "error" in r]
    with recorded_failure(path, meta, clock):
        _write_tables(path, ok, modes, scenario.output.partnerships)
    meta.update(
        runs_completed=len(ok),
        errors=errors,
        status="interrupted" if interrupted else ("failed_runs" if errors else "complete"),
        **runner.describe(),
    )
    finish_directory(path, meta, clock, list_files=True)
    if interrupted:
        raise Interrupted(path, len(ok), len(tasks), unit="runs")
    return path


def _lost_run(task: tuple[dict[str, Any], str, int], exc: BaseException) -> dict[str, Any]:
    """The error row of a run that killed its worker process (twice, the second time alone)."""
    _, mode, seed = task
    return {"mode": mode, "seed": seed, "error": f"WorkerLost: the worker process died ({exc})"}


def _write_tables(path: Path, ok: list[dict[str, Any]], modes: list[str], partnerships: bool):
    def stack(key: str) -> pd.DataFrame:
        frames = [r[key] for r in ok if len(r[key])]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    io.write_parquet(path / "timeseries.parquet", stack("timeseries"))
    if partnerships:
        io.write_parquet(path / "partnerships.parquet", stack("partnerships"))
    io.write_parquet(path / "survival.parquet", stack("survival"))
    io.write_parquet(path / "cumulative_incidence.parquet", stack("incidence"))
    summaries = pd.DataFrame([r["summary"] for r in ok])
    if len(summaries):
        front = ["mode", "seed"]
        summaries = summaries[front + [c for c in summaries.columns if c not in front]]
        summaries = summaries.astype({c: "float64" for c in _nullable(summaries)})
    io.write_parquet(path / "summaries.parquet", summaries)
    if len(summaries):
        table = comparison_table(summaries, modes)
        effects = effects_table(summaries, modes)
    else:
        table, effects = comparison_table(pd.DataFrame(columns=["mode", "seed"]), modes), None
    io.write_parquet(path / "comparison.parquet", table)
    io.atomic_write_text(path / "comparison.csv", table.to_csv(index=False))
    if effects is not None:
        io.write_parquet(path / "effects.parquet", effects)


def _nullable(frame: pd.DataFrame) -> list[str]:
    """Columns of numbers with gaps (None): stored as float with NaN."""
    out = []
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].dropna()
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            if numeric:
                out.append(column)
    return out
