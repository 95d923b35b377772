"""One run of a scenario, written to a run directory (INTERFACES.md, "Run directory").

```
runs/<UTC timestamp>_<name>_<short hash>/
  scenario.yaml        the resolved scenario: every default filled in, re-runnable as it is
  metadata.json        versions, git commit, seed, command, times, status
  timeseries.parquet   one row per step (thinned by output.every)
  partnerships.parquet one row per partnership (unless output.partnerships is false)
  survival.parquet     dissolution-specific survival (Kaplan–Meier, completions censored)
  cumulative_incidence.parquet  completion and dissolution by age (Aalen–Johansen)
  terms.parquet        one row per member per negotiation: the terms and whether it accepted
                       (unless output.partnerships is false)
  summary.json         the run indicators
  figures/             filled by the report (coopsim.report)
```
``metadata.json`` is written first with ``status: running`` and rewritten at the end, so a
directory always says whether it is complete, interrupted or failed.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coopsim import allocator, io
from coopsim.scenario import dump_scenario

__all__ = [
    "Interrupted",
    "RunTables",
    "StopFlag",
    "graceful_interrupt",
    "resolved_header",
    "run_scenario",
    "simulate",
    "thin",
]

Progress = Callable[[int, int], None]


class Interrupted(Exception):
    """Ctrl-C stopped the work; what finished is kept in ``path``."""

    def __init__(self, path: Path, done: int, total: int, unit: str = "steps"):
        super().__init__(f"interrupted after {done} of {total} {unit}; kept in {path}")
        self.path, self.done, self.total, self.unit = path, done, total, unit


@dataclass
class StopFlag:
    """Set by the first Ctrl-C; the work stops at the next safe point."""

    requested: bool = False


@contextlib.contextmanager
def graceful_interrupt() -> Iterator[StopFlag]:
    """First Ctrl-C asks the work to stop at a safe point; a second one stops it at once."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        if flag.requested:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        flag.requested = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class RunTables:
    """What one simulation produced."""

    timeseries: pd.DataFrame
    partnerships: pd.DataFrame
    survival: pd.DataFrame
    terms: pd.DataFrame
    summary: dict[str, Any]
    steps_done: int
    steps_planned: int
    extra: dict[str, Any] = field(default_factory=dict)
    incidence: pd.DataFrame = field(default_factory=pd.DataFrame)  # competing ends, by age

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.steps_planned


class InvariantBroken(RuntimeError):
    """A model invariant failed during a checked run; ``tables`` holds the steps done."""

    def __init__(self, message: str, tables: RunTables):
        super().__init__(message)
        self.tables = tables


def simulate(
    scenario: Any,
    *,
    progress: Progress | None = None,
    stop: StopFlag | None = None,
    check_invariants: bool = False,
) -> RunTables:
    """Run ``scenario`` (its seed, its steps) step by step; stop early if ``stop`` is set.

    With ``check_invariants`` every step is checked (trust in [0, 1], resources and value
    accounted for, no NaN, ...) and the first failure raises ``InvariantBroken``.
    """
    from coopsim.model import CoopModel
    from coopsim.model.invariants import InvariantError

    model = CoopModel.from_scenario(scenario)
    total = scenario.steps
    done = 0
    every = max(1, total // 200)

    def tables() -> RunTables:
        return RunTables(
            timeseries=model.timeseries(),
            partnerships=model.partnerships(),
            survival=model.survival_table(),
            terms=model.terms(),
            incidence=model.incidence_table(),
            summary=model.summary(),
            steps_done=done,
            steps_planned=total,
        )

    while done < total:
        if stop is not None and stop.requested:
            break
        model.run_for(1)
        done += 1
        if check_invariants:
            try:
                model.check_invariants()
            except InvariantError as exc:
                raise InvariantBroken(f"invariant broken: {exc}", tables()) from None
        if progress is not None and (done % every == 0 or done == total):
            progress(done, total)
    # Where the process opted in to keeping freed memory (the CLI, coopsim's worker processes),
    # it goes back to the system now that the steps are over; elsewhere this does nothing.
    allocator.release()
    return tables()


def thin(frame: pd.DataFrame, every: int) -> pd.DataFrame:
    """Every ``every``-th row of a time series, always keeping the first and the last."""
    if every <= 1 or len(frame) <= 2:
        return frame.reset_index(drop=True)
    keep = [i for i in range(len(frame)) if i % every == 0 or i == len(frame) - 1]
    return frame.iloc[keep].reset_index(drop=True)


def resolved_header(kind: str = "run") -> str:
    version = io.package_versions().get("coopsim") or "unknown"
    return (
        f"Resolved scenario written by coopsim {version}: every default filled in.\n"
        f"Re-run it as it is (same seed, same results): coopsim run scenario.yaml"
        + (
            "\nThis comparison ran it under each mode and seed listed in metadata.json:\n"
            "coopsim run scenario.yaml --mode MODE --seed SEED reproduces one of its runs."
            if kind == "comparison"
            else ""
        )
    )


def command_line(argv: Sequence[str] | None = None) -> str:
    import shlex

    args = list(sys.argv if argv is None else argv)
    if args and Path(args[0]).name in ("coopsim", "__main__.py", "cli.py"):
        args = ["coopsim", *args[1:]]
    return shlex.join(args)


def run_scenario(
    scenario: Any,
    out: str | Path = "runs",
    *,
    command: str | None = None,
    source: str | None = None,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
    on_directory: Callable[[Path], None] | None = None,
    check_invariants: bool = False,
) -> Path:
    """Run ``scenario`` and write its run directory under ``out``; return the directory.

    Ctrl-C stops at the end of the current step: the steps done are written (``status:
    interrupted`` in metadata.json) and ``Interrupted`` is raised carrying the directory.
    """
    text = dump_scenario(scenario, header=resolved_header())
    fields = {
        "seed": scenario.seed,
        "mode": scenario.governance.mode,
        "rules": scenario.governance.rules.chosen(),  # slots taken from other modes (a hybrid)
        "reforms": [  # each reform's mode and the slots it takes from others
            {
                "at": s.at,
                "mode": s.mode,
                "rules": scenario.governance.rules.merged(s.rules).chosen(),
            }
            for s in scenario.governance.switch
        ],
        "steps_planned": scenario.steps,
        "steps_completed": 0,
    }
    path, meta, clock = start_directory(
        out,
        "run",
        scenario,
        text,
        io.short_hash(text),
        fields,
        command=command,
        source=source,
        overrides=overrides,
        on_directory=on_directory,
    )
    try:
        with graceful_interrupt() as stop:
            tables = simulate(
                scenario, progress=progress, stop=stop, check_invariants=check_invariants
            )
    except InvariantBroken as exc:  # keep the steps done, then report
        meta.update(status="failed", error=str(exc), steps_completed=exc.tables.steps_done)
        with recorded_failure(path, meta, clock):
            write_tables(path, exc.tables, scenario.output)
        finish_directory(path, meta, clock)
        raise
    except BaseException as exc:
        meta.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        finish_directory(path, meta, clock)
        raise
    with recorded_failure(path, meta, clock):
        write_tables(path, tables, scenario.output)
    meta["steps_completed"] = tables.steps_done
    meta["status"] = "complete" if tables.complete else "interrupted"
    finish_directory(path, meta, clock, list_files=True)
    if not tables.complete:
        raise Interrupted(path, tables.steps_done, tables.steps_planned)
    return path


@contextlib.contextmanager
def recorded_failure(path: Path, meta: dict[str, Any], clock: float) -> Iterator[None]:
    """Writing the tables failed (a full disk, a lost mount): ``metadata.json`` says so, with the
    reason, rather than ``running`` for ever; then the error goes on. Recording it is best
    effort: on a disk with no room left even that may fail, and the first error is kept."""
    try:
        yield
    except BaseException as exc:
        reason = f"writing the tables: {type(exc).__name__}: {exc}"
        if meta.get("status") == "failed" and meta.get("error"):
            reason = f"{meta['error']}; then {reason}"
        meta.update(status="failed", error=reason)
        with contextlib.suppress(OSError):
            finish_directory(path, meta, clock)
        raise


def write_tables(path: Path, tables: RunTables, output: Any) -> None:
    io.write_parquet(path / "timeseries.parquet", thin(tables.timeseries, output.every))
    if output.partnerships:
        io.write_parquet(path / "partnerships.parquet", tables.partnerships)
        io.write_parquet(path / "terms.parquet", tables.terms)
    io.write_parquet(path / "survival.parquet", tables.survival)
    io.write_parquet(path / "cumulative_incidence.parquet", tables.incidence)
    io.atomic_write_json(path / "summary.json", tables.summary)


def start_directory(
    out: str | Path,
    kind: str,
    scenario: Any,
    text: str,
    digest: str,
    fields: dict[str, Any],
    *,
    command: str | None,
    source: str | None,
    overrides: Sequence[str],
    on_directory: Callable[[Path], None] | None,
) -> tuple[Path, dict[str, Any], float]:
    """A new output directory with ``scenario.yaml`` (``text``) and ``metadata.json`` saying
    ``status: running``; returns the directory, the metadata (``fields`` after the common head)
    and the clock to time the work with."""
    path = io.new_output_dir(out, scenario.name, digest)
    if on_directory is not None:
        on_directory(path)
    (path / "figures").mkdir()
    started = io.utc_now()
    meta: dict[str, Any] = {
        "kind": kind,
        "status": "running",
        "scenario": scenario.name,
        "source": source,
        "overrides": list(overrides),
        **fields,
        "command": command if command is not None else command_line(),
        "started_utc": started.isoformat(),
        "finished_utc": None,
        "duration_seconds": None,
        **io.environment(),
    }
    try:
        io.atomic_write_text(path / "scenario.yaml", text)
        io.atomic_write_json(path / "metadata.json", meta)
    except BaseException:  # nothing ran yet: leave no directory without metadata.json behind
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path, meta, time.perf_counter()


def finish_directory(
    path: Path, meta: dict[str, Any], clock: float, list_files: bool = False
) -> None:
    """Rewrite ``metadata.json`` with the finishing time (and, ``list_files``, the files)."""
    if list_files:
        meta["files"] = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    meta["finished_utc"] = io.utc_now().isoformat()
    meta["duration_seconds"] = round(time.perf_counter() - clock, 3)
    io.atomic_write_json(path / "metadata.json", meta)
