"""Running a sweep: the design table first, then batches of runs streamed to Parquet parts.

``run_sweep`` writes ``sweep.yaml``, ``design.parquet`` and ``metadata.json`` before any run
starts, then hands out batches of runs (sized so a task lasts about a second and a half) to the
executor, a few more than it has slots so none waits, and writes each finished batch as one
Parquet part. Only the design, the ids still to run and the batches in flight are held in memory.

Resume (``resume=DIR``) reads the design back, removes what a killed process left half-done, and
runs only the ids that have no row yet. Runs that raised were recorded with their error and are
not run again. Ctrl-C stops handing out batches, waits for the ones running (at most a minute),
writes them and raises ``SweepInterrupted``, which says how to resume; a second Ctrl-C stops at
once.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from coopsim import io
from coopsim.executors import make_executor
from coopsim.experiments.designs import UNIT_PREFIX, decode, design_table
from coopsim.experiments.store import SweepStore
from coopsim.experiments.worker import Batch, BatchResult, RunSpec, run_batch
from coopsim.runs.run import Interrupted, command_line, graceful_interrupt
from coopsim.scenario import Problem, ScenarioError, scenario_to_dict
from coopsim.scenario.sweep import Sweep, dump_sweep, load_sweep, sweep_from_dict

__all__ = [
    "TASK_SECONDS",
    "SweepInterrupted",
    "code_digest",
    "resume_command",
    "run_sweep",
    "sweep_digest",
]

TASK_SECONDS = 1.5  # target duration of one task (batch of runs)
MAX_BATCH_RUNS = 5_000
MAX_TIMESERIES_ROWS = 200_000  # per part
METADATA_EVERY = 10.0  # seconds between metadata.json updates while running
FLUSH_SECONDS = 5.0  # finished batches are gathered into one part for at most this long
FLUSH_ROWS = 20_000
STOP_GRACE = 60.0  # after Ctrl-C, seconds to wait for running batches before leaving them
WORKER_MODULES = ("coopsim.experiments.worker",)  # what local workers import before a batch
Progress = Callable[[int, int], None]


def resume_command(path: Path, kind: str = "sweep") -> str:
    """The command that continues the directory ``path`` (a sweep, or a decomposition)."""
    if kind == "decomposition":
        return f"coopsim decompose --resume {path}"
    return f"coopsim sweep {path / 'sweep.yaml'} --resume {path}"


class SweepInterrupted(Interrupted):
    """Ctrl-C stopped the sweep; finished runs are kept and ``resume_command`` continues it."""

    def __init__(self, path: Path, done: int, total: int, kind: str = "sweep"):
        super().__init__(path, done, total, unit="runs")
        self.resume_command = resume_command(path, kind)
        self.args = (f"{self.args[0]}; resume with: {self.resume_command}",)


def sweep_digest(sweep: Sweep) -> str:
    """What identifies a sweep's runs: the resolved scenario, parameters, design and seeds."""
    data = sweep.to_data()
    data["sweep"].pop("discover", None)  # the report's analysis, not the runs
    data.pop("name", None)
    data.pop("description", None)
    return io.short_hash(json.dumps(data, sort_keys=True), length=16)


def code_digest() -> str:
    """A hash of the code that decides results (the model and the scenario layer's sources).

    Recorded for every session: a sweep resumed after that code changed mixes results of two
    models, and the session says so (and a warning is printed).
    """
    import coopsim.model
    import coopsim.scenario

    files = []
    for package in (coopsim.model, coopsim.scenario):
        root = Path(package.__file__).parent
        files += sorted(root.rglob("*.py"))
    return io.short_hash(*(f.read_bytes() for f in files), length=16)


def _as_sweep(spec: Any, overrides: Sequence[Any]) -> Sweep:
    if isinstance(spec, Sweep):
        return spec
    if isinstance(spec, Mapping):
        return sweep_from_dict(dict(spec), overrides=overrides)
    if isinstance(spec, str | Path):
        return load_sweep(spec, overrides)
    raise TypeError(f"expected a Sweep, a sweep file path or a dict (got {type(spec).__name__})")


def run_sweep(
    spec_or_path: Sweep | str | Path | Mapping[str, Any] | None = None,
    *,
    workers: int | None = None,
    executor: str | None = "processes",
    scheduler: str | None = None,
    out: str | Path = "sweeps",
    resume: str | Path | None = None,
    progress: bool | Progress = True,
    command: str | None = None,
    overrides: Sequence[Any] = (),
    flush_seconds: float = FLUSH_SECONDS,
    kind: str = "sweep",
    details: Mapping[str, Any] | None = None,
) -> Path:
    """Run a sweep into a new sweep directory under ``out`` (or continue ``resume``).

    ``executor``: ``"processes"`` (local, ``workers`` of them, default one per core; one runs
    in this process) or ``"dask"`` (a new ``LocalCluster`` of ``workers``); ``scheduler``: the
    address of an existing Dask scheduler. ``progress``: a bar on stderr, False, or a callable
    ``(done, total)``. Finished batches are written as one Parquet part every ``flush_seconds``
    (0: one part per batch; a killed sweep loses at most that much work). ``kind`` and
    ``details`` go to a new directory's metadata.json (a decomposition is a sweep of rule
    compositions: ``coopsim.experiments.decomposition``). Returns the sweep directory. Raises
    ``ScenarioError`` for an invalid sweep and ``SweepInterrupted`` on Ctrl-C.
    """

    def make(runs: int) -> Any:
        return make_executor(executor, workers, scheduler, runs, WORKER_MODULES)

    with contextlib.ExitStack() as held:  # the directory's lock, while this process writes
        labels = {"kind": kind, **(details or {})}
        return _run(
            spec_or_path,
            resume,
            overrides,
            out,
            make,
            held,
            progress,
            command,
            flush_seconds,
            labels,
        )


def _run(
    spec_or_path, resume, overrides, out, make, held, progress, command, flush_seconds, labels
):
    runner = None
    if resume is not None:
        store, sweep, design = _reopen(Path(resume), spec_or_path, overrides, held, labels)
    else:
        if spec_or_path is None:
            raise TypeError("run_sweep needs a sweep (or resume=DIR)")
        sweep = _as_sweep(spec_or_path, overrides)
        # The executor starts before anything is written: one that cannot start (Dask not
        # installed, no scheduler at that address) leaves no sweep directory behind.
        runner = make(sweep.n_runs)
        try:
            store, design = _create(sweep, out, labels)
            held.enter_context(store.writing())
        except BaseException:
            runner.close(cancel=True)
            raise
    return _execute(
        store,
        sweep,
        design,
        make=make,
        runner=runner,
        progress=progress,
        command=command or command_line(),
        flush_seconds=flush_seconds,
    )


# --------------------------------------------------------------------------------------------------
# The directory


def _header() -> str:
    version = io.package_versions().get("coopsim") or "unknown"
    return (
        f"Resolved sweep written by coopsim {version}: the base scenario inline, every default\n"
        "filled in. design.parquet beside it lists every run (id, point, replicate, seed, values)."
    )


def _create(
    sweep: Sweep, out: str | Path, labels: Mapping[str, Any]
) -> tuple[SweepStore, pd.DataFrame]:
    text = dump_sweep(sweep, header=_header())
    design = design_table(sweep)
    path = io.new_output_dir(out, sweep.name, io.short_hash(text))
    store = SweepStore(path)
    try:
        store.prepare()
        io.atomic_write_text(store.sweep_file, text)
        store.write_design(design)
        store.write_metadata(_metadata(sweep, path, labels))
    except BaseException:  # no run yet: leave no directory without metadata.json behind
        shutil.rmtree(path, ignore_errors=True)
        raise
    return store, store.read_design()


def _metadata(sweep: Sweep, path: Path, labels: Mapping[str, Any]) -> dict[str, Any]:
    """A new sweep directory's metadata (no session yet); ``labels``: its kind and details."""
    kind = labels.get("kind", "sweep")
    return {
        "kind": kind,
        "status": "created",
        "name": sweep.name,
        "source": sweep.source,
        "design": sweep.design,
        "parameters": sweep.names,
        "outputs": list(sweep.outputs),
        "points": sweep.n_points,
        "replicates": sweep.replicates,
        "runs_planned": sweep.n_runs,
        "runs_finished": 0,
        "runs_failed": 0,
        "seed": sweep.seed,
        "seeds": sweep.seeds,
        "digest": sweep_digest(sweep),
        "code_digest": code_digest(),
        "created_utc": io.utc_now().isoformat(),
        "sessions": [],
        "resume": resume_command(path, kind),
        **{k: v for k, v in labels.items() if k != "kind"},
        **io.environment(),
    }


def _reopen(
    path: Path,
    spec: Any,
    overrides: Sequence[Any],
    held: contextlib.ExitStack,
    labels: Mapping[str, Any],
):
    store = SweepStore(path)
    if not store.sweep_file.is_file():
        raise ScenarioError(
            [Problem(str(path), "not a sweep directory (no sweep.yaml): nothing to resume")]
        )
    held.enter_context(store.writing())  # before tidying: another writer's parts stay
    if overrides and spec is None:
        raise ScenarioError(
            [
                Problem(
                    "--set",
                    f"cannot change the sweep in {path} while resuming it: start a new sweep "
                    "with the changed values",
                )
            ]
        )
    stored = load_sweep(store.sweep_file)
    if not store.read_metadata():  # deleted or unreadable: rebuilt from what the directory holds
        meta = _metadata(stored, path, labels)
        meta.update(status="rebuilt", rebuilt_utc=io.utc_now().isoformat())
        store.write_metadata(meta)
    recorded = store.read_metadata().get("digest")
    if recorded is not None and sweep_digest(stored) != recorded:
        raise ScenarioError(
            [
                Problem(
                    str(store.sweep_file),
                    "was changed since the sweep started (it no longer matches the digest in "
                    "metadata.json): resuming would mix runs of two sweeps; restore it or start "
                    "a new sweep",
                )
            ]
        )
    if spec is not None:
        given = _as_sweep(spec, overrides)
        if sweep_digest(given) != sweep_digest(stored):
            source = given.source or "the given sweep"
            raise ScenarioError(
                [
                    Problem(
                        source,
                        f"differs from the sweep in {path} (scenario, parameters, design or "
                        "seeds changed): resume it with its own sweep.yaml, or start a new sweep",
                    )
                ]
            )
    store.prepare()
    store.tidy()
    damaged = store.set_aside_damaged(with_timeseries=bool(stored.timeseries))
    if damaged:  # their runs run again; the directory says which parts were set aside
        meta = store.read_metadata()
        meta["set_aside"] = [*meta.get("set_aside", []), *damaged]
        store.write_metadata(meta)
    if not store.design_file.is_file():  # killed before the design was written
        store.write_design(design_table(stored))
    return store, stored, store.read_design()


# --------------------------------------------------------------------------------------------------
# Execution


def _results_schema(design: pd.DataFrame, outputs: Sequence[str]) -> pa.Schema:
    base = design[[c for c in design.columns if not c.startswith(UNIT_PREFIX)]].head(0)
    schema = pa.Schema.from_pandas(base, preserve_index=False)
    for name in outputs:
        schema = schema.append(pa.field(name, pa.float64()))
    return schema.append(pa.field("error", pa.string())).remove_metadata()


class _Plan:
    """Which runs are left, how to batch them, and how long a run takes so far."""

    def __init__(self, sweep: Sweep, design: pd.DataFrame, missing: np.ndarray):
        self.sweep = sweep
        self.base = scenario_to_dict(sweep.scenario)
        self.pending: collections.deque[int] = collections.deque(int(i) for i in missing)
        # Runs that were in a batch whose worker died: each runs again alone, with nothing
        # else in flight, so that a run that kills its worker is found and only it is recorded.
        self.suspects: collections.deque[int] = collections.deque()
        self.crashes: collections.Counter[int] = collections.Counter()
        self.isolating = False
        self.successes = 0
        self.losses = 0
        self.seconds = 0.0
        self.runs_timed = 0
        self.design = design
        self._seed = design["seed"].to_numpy()
        self._values = [design[p.name].to_numpy() for p in sweep.parameters]
        rows = sweep.scenario.steps // max(1, sweep.every) + 2
        self._ts_cap = max(1, MAX_TIMESERIES_ROWS // rows) if sweep.timeseries else MAX_BATCH_RUNS

    def left(self) -> int:
        return len(self.pending) + len(self.suspects)

    def can_submit(self, inflight: int, slots: int) -> bool:
        if self.isolating:
            return False
        if self.suspects:
            return inflight == 0
        return bool(self.pending) and inflight < 2 * slots

    def size(self, slots: int) -> int:
        if self.sweep.batch_size is not None:
            size = self.sweep.batch_size
        elif not self.runs_timed:
            size = 1
        else:
            per_run = max(self.seconds / self.runs_timed, 1e-4)
            size = max(1, round(TASK_SECONDS / per_run))
            size = min(size, max(1, math.ceil(len(self.pending) / (2 * slots))))
        return max(1, min(size, self._ts_cap, MAX_BATCH_RUNS))

    def take(self, slots: int) -> list[int]:
        if self.suspects:
            self.isolating = True
            return [self.suspects.popleft()]
        n = min(self.size(slots), len(self.pending))
        return [self.pending.popleft() for _ in range(n)]

    def batch(self, ids: list[int]) -> Batch:
        runs = []
        for run_id in ids:
            values = tuple(
                (p.path, p.name, decode(p, column[run_id]))
                for p, column in zip(self.sweep.parameters, self._values, strict=True)
            )
            runs.append(RunSpec(run_id, int(self._seed[run_id]), values))
        return Batch(
            self.base, tuple(runs), self.sweep.outputs, self.sweep.timeseries, self.sweep.every
        )

    def timed(self, result: BatchResult) -> None:
        self.successes += 1
        self.seconds += result.seconds
        self.runs_timed += len(result.run_ids)


class _Writer:
    """Gathers finished batches and writes them as one part when due (and on every exit)."""

    def __init__(
        self,
        store: SweepStore,
        sweep: Sweep,
        design: pd.DataFrame,
        session: int,
        flush_seconds: float,
    ):
        self.store, self.sweep, self.design, self.session = store, sweep, design, session
        self.schema = _results_schema(design, sweep.outputs)
        self.flush_seconds = flush_seconds
        self.pending: list[BatchResult] = []
        self.rows = 0
        self.since = time.perf_counter()
        self.seq = 0

    def add(self, result: BatchResult) -> None:
        if not self.pending:
            self.since = time.perf_counter()
        self.pending.append(result)
        self.rows += len(result.run_ids)
        if self.rows >= FLUSH_ROWS or time.perf_counter() - self.since >= self.flush_seconds:
            self.flush()

    def due(self) -> None:
        if self.pending and time.perf_counter() - self.since >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        merged = BatchResult([], [], [])
        frames = []
        for result in self.pending:
            merged.run_ids += result.run_ids
            merged.indicators += result.indicators
            merged.errors += result.errors
            if result.timeseries is not None and len(result.timeseries):
                frames.append(result.timeseries)
        merged.timeseries = pd.concat(frames, ignore_index=True) if frames else None
        table, series = _part(merged, self.design, self.sweep, self.schema)
        self.store.write_part(f"part-{self.session:03d}-{self.seq:06d}.parquet", table, series)
        self.seq += 1
        self.pending, self.rows = [], 0


def _execute(store, sweep, design, *, make, runner=None, progress, command, flush_seconds) -> Path:
    """Run the design's missing runs on ``runner`` (started by ``make(runs)`` if None)."""
    if not np.array_equal(design["run_id"].to_numpy(), np.arange(len(design))):
        raise ScenarioError([Problem(str(store.design_file), "run_id is not 0..n-1 in order")])
    done = store.done_ids()
    missing = np.setdiff1d(design["run_id"].to_numpy(), done, assume_unique=True)
    total = len(design)
    meta = store.read_metadata()
    failed = _count_failed(store)
    session = store.next_session()
    plan = _Plan(sweep, design, missing)
    writer = _Writer(store, sweep, design, session, flush_seconds)
    started = io.utc_now()
    entry: dict[str, Any] = {
        "session": session,
        "started_utc": started.isoformat(),
        "finished_utc": None,
        "runs_done": 0,
        "worker_seconds": 0.0,
        "worker_cpu_seconds": 0.0,
        "status": "running",
        "command": command,
        "coopsim_version": io.package_versions().get("coopsim"),
    }
    entry["code_digest"] = code_digest()
    if meta.get("code_digest") and entry["code_digest"] != meta["code_digest"]:
        entry["code_changed"] = True
        print(
            f"coopsim: warning: the model code changed since {store.path.name} was created; "
            "runs of this session may not match the earlier ones",
            file=sys.stderr,
        )
    meta.setdefault("sessions", []).append(entry)
    finished = len(done)

    def save(status: str) -> None:
        if status != "failed":
            meta.pop("error", None)  # an earlier session's failure, now resumed
        meta.update(status=status, runs_finished=finished, runs_failed=failed)
        meta["updated_utc"] = io.utc_now().isoformat()
        store.write_metadata(meta)

    if not len(missing):
        if runner is not None:
            runner.close()
        entry.update(status="nothing to do", finished_utc=io.utc_now().isoformat())
        save("complete" if not failed else "complete_with_failures")
        return store.path

    if runner is None:
        runner = make(len(missing))
    entry.update(runner.describe())
    save("running")
    interrupted = False
    inflight: dict[Any, list[int]] = {}
    stopping = 0.0
    clock = last_save = time.perf_counter()
    with _progress_bar(progress, sweep.name, finished, total) as advance:
        try:
            with graceful_interrupt() as stop:
                while inflight or (plan.left() and not stop.requested):
                    while not stop.requested and plan.can_submit(len(inflight), runner.slots):
                        ids = plan.take(runner.slots)
                        inflight[runner.submit(run_batch, plan.batch(ids))] = ids
                    if not inflight:
                        break
                    for future in runner.wait(list(inflight), timeout=0.25):
                        ids = inflight.pop(future)
                        try:
                            result = future.result()
                        except Exception as exc:
                            plan.isolating = False
                            rows = _lost(plan, runner, ids, exc)
                            if rows is None:
                                continue
                            result = rows
                        else:
                            plan.isolating = False
                            plan.timed(result)
                            entry["worker_seconds"] += result.seconds
                            entry["worker_cpu_seconds"] += result.cpu_seconds
                        writer.add(result)
                        finished += len(result.run_ids)
                        failed += sum(e is not None for e in result.errors)
                        entry["runs_done"] += len(result.run_ids)
                        advance(finished)
                    writer.due()
                    if time.perf_counter() - last_save > METADATA_EVERY:
                        writer.flush()
                        last_save = time.perf_counter()
                        save("running")
                    if stop.requested:  # wait for the running batches, but not for ever
                        stopping = stopping or time.perf_counter()
                        if time.perf_counter() - stopping > STOP_GRACE:
                            break
                interrupted = stop.requested and (plan.left() > 0 or bool(inflight))
                writer.flush()
        except KeyboardInterrupt:  # the second Ctrl-C: stop at once
            interrupted = True
            runner.close(cancel=True)
            runner = None
            writer.flush()
        except BaseException as exc:
            if runner is not None:
                runner.close(cancel=True)
                runner = None
            with contextlib.suppress(Exception):
                writer.flush()  # keep what finished
            reason = f"{type(exc).__name__}: {exc}"
            entry.update(status="failed", error=reason, finished_utc=io.utc_now().isoformat())
            meta["error"] = reason
            with contextlib.suppress(OSError):  # a full disk may refuse even this
                save("failed")
            raise
        finally:
            if runner is not None:
                runner.close(cancel=interrupted)
    entry.update(
        status="interrupted" if interrupted else "complete",
        finished_utc=io.utc_now().isoformat(),
        seconds=round(time.perf_counter() - clock, 3),
        worker_seconds=round(entry["worker_seconds"], 3),
        worker_cpu_seconds=round(entry["worker_cpu_seconds"], 3),
    )
    if interrupted:
        save("interrupted")
        raise SweepInterrupted(store.path, finished, total, meta.get("kind", "sweep"))
    save("complete" if not failed else "complete_with_failures")
    return store.path


def _lost(plan: _Plan, runner: Any, ids: list[int], exc: BaseException) -> BatchResult | None:
    """A batch whose worker died: its runs are suspects, each run again alone.

    A suspect that kills its worker when it runs alone is recorded with that error. If workers
    die before any batch has ever finished, something is wrong with the workers themselves
    (coopsim not installed there; a script without ``if __name__ == "__main__":``): stop.
    """
    if isinstance(exc, ImportError | ModuleNotFoundError):
        raise RuntimeError(
            f"the workers cannot run coopsim ({type(exc).__name__}: {exc}); install coopsim "
            "where the workers run (pip install 'coopsim[dask]')"
        ) from exc
    lost = getattr(runner, "lost", None)
    if lost is None or not lost(exc):
        raise exc
    plan.losses += 1
    if not plan.successes and plan.losses >= 3:
        raise RuntimeError(
            "the worker processes die before finishing any run "
            f"({type(exc).__name__}: {exc}); when run_sweep is called from a script, call it "
            'under `if __name__ == "__main__":` (worker processes import the script)'
        ) from exc
    runner.restart()
    alone = len(ids) == 1 and plan.crashes[ids[0]] >= 1
    recorded = BatchResult([], [], [])
    for run_id in ids:
        plan.crashes[run_id] += 1
        if alone:
            recorded.run_ids.append(run_id)
            recorded.indicators.append([math.nan] * len(plan.sweep.outputs))
            recorded.errors.append(
                f"WorkerLost: the worker process died while running it, twice "
                f"({type(exc).__name__})"
            )
        else:
            plan.suspects.append(run_id)
    return recorded if recorded.run_ids else None


def _part(result: BatchResult, design: pd.DataFrame, sweep: Sweep, schema: pa.Schema):
    order = np.argsort(np.asarray(result.run_ids, dtype=np.int64), kind="stable")
    ids = np.asarray(result.run_ids, dtype=np.int64)[order]
    columns = [c for c in design.columns if not c.startswith(UNIT_PREFIX)]
    frame = design.iloc[ids][columns].reset_index(drop=True)
    values = np.asarray(result.indicators, dtype=np.float64).reshape(len(ids), -1)[order]
    for j, name in enumerate(sweep.outputs):
        frame[name] = values[:, j]
    frame["error"] = pd.array([result.errors[i] for i in order], dtype="string")
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    series = result.timeseries
    if series is not None and len(series):
        series = series.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
    return table, series


def _count_failed(store: SweepStore) -> int:
    if not store.parts():
        return 0
    errors = store.read_results(["error"])["error"]
    return int(errors.notna().sum())


# --------------------------------------------------------------------------------------------------
# Progress


@contextlib.contextmanager
def _progress_bar(
    progress: bool | Progress, name: str, done: int, total: int
) -> Iterator[Callable[[int], None]]:
    if callable(progress):
        progress(done, total)
        yield lambda n: progress(n, total)
        return
    if not progress:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.speed
            return Text("" if speed is None else f"{speed:,.1f} runs/s")

    console = Console(file=sys.stderr)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with bar:
        task = bar.add_task(name, total=total, completed=done)
        yield lambda n: bar.update(task, completed=n)
