"""Running a calibration: ABC-SMC through pyabc into a calibration directory, and resuming it.

```
calibrations/<UTC timestamp>_<name>_<short hash>/
  calibration.yaml      the resolved calibration (base scenario inline): re-loadable as it is
  abc.db                pyabc's database (SQLite): every generation, written when it completes
  metadata.json         status, budget used, sessions (executor, workers, times), versions
  generations.parquet   per generation: threshold, evaluations, acceptance rate, ESS
  posterior.parquet     the last generation: weight, distance, model seed, parameters, values
  intervals.parquet     per parameter: prior and posterior intervals, how far the data narrow it
  best.parquet          the parameter sets closest to the targets
  calibrated.yaml       the closest one as a scenario, re-runnable as it is
  predictive.parquet    posterior predictive draws: every target's value for each draw
  checks.parquet        per target: predictive intervals beside the observation, a verdict
  report.md, report.html, figures/
  calibration.lock      held (flock) by the process writing here
```
A generation is written to ``abc.db`` only once it is complete, so a calibration killed at any
moment resumes (``resume=DIR``) from its last completed generation with the budget that is left.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import random
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from coopsim import io
from coopsim.scenario.calibration import Calibration, dump_calibration, load_calibration

__all__ = [
    "CalibrationInterrupted",
    "DirectoryBusy",
    "calibration_digest",
    "contained",
    "run_calibration",
]

DB_NAME = "abc.db"
Progress = Callable[[str], None]
PYABC_LOGGERS = ("ABC", "pyabc")


class DirectoryBusy(RuntimeError):
    """Another process is writing to this calibration directory."""

    def __init__(self, path: Path):
        super().__init__(
            f"{path}: another coopsim process is writing to this calibration directory: wait for "
            "it to end, or stop it, then resume"
        )


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the calibration; completed generations are kept."""

    def __init__(self, path: Path, generations: int):
        self.path, self.generations = path, generations
        self.resume_command = f"coopsim calibrate --resume {path}"
        super().__init__(
            f"interrupted after {generations} completed generation(s); what finished is kept in "
            f"{path}; resume with: {self.resume_command}"
        )


def calibration_digest(calibration: Calibration) -> str:
    """What identifies a calibration's results: everything but its name and description."""
    import json

    data = calibration.to_data()
    data.pop("name", None)
    data.pop("description", None)
    return io.short_hash(json.dumps(data, sort_keys=True, default=str), length=16)


@contextlib.contextmanager
def contained() -> Iterator[None]:
    """Leave the process as it was: pyabc draws from numpy's and Python's global generators,
    which are seeded here and restored after; importing it and its dependencies adds warning
    filters, which are dropped after; its loggers are quietened while it runs (it logs every
    generation at INFO on a handler of its own)."""
    numpy_state = np.random.get_state()  # noqa: NPY002 (pyabc draws from the global one)
    python_state = random.getstate()
    filters = warnings.catch_warnings()  # importing pyabc's dependencies adds warning filters
    filters.__enter__()
    import pyabc  # noqa: F401  (its import sets its loggers' levels: quieten them after it)

    loggers = [
        logging.getLogger(name)
        for name in list(logging.Logger.manager.loggerDict)
        if name.split(".")[0] in PYABC_LOGGERS
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        filters.__exit__(None, None, None)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path / "calibration.lock", "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DirectoryBusy(path) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _header() -> str:
    version = io.package_versions().get("coopsim") or "unknown"
    return (
        f"Resolved calibration written by coopsim {version}: the base scenario inline, every\n"
        "default filled in. Run it again with: coopsim calibrate calibration.yaml"
    )


def _as_calibration(spec: Any) -> Calibration:
    if isinstance(spec, Calibration):
        return spec
    if isinstance(spec, dict):
        from coopsim.scenario.calibration import calibration_from_dict

        return calibration_from_dict(spec)
    if isinstance(spec, str | Path):
        return load_calibration(spec)
    raise TypeError(f"expected a Calibration, a file path or a dict (got {type(spec).__name__})")


def run_calibration(
    spec_or_path: Calibration | str | Path | dict | None = None,
    *,
    workers: int | None = 1,
    executor: str | None = "processes",
    scheduler: str | None = None,
    out: str | Path = "calibrations",
    resume: str | Path | None = None,
    progress: bool | Progress = True,
    command: str | None = None,
    report: bool = True,
) -> Path:
    """Calibrate into a new directory under ``out`` (or continue ``resume``); returns it.

    ``workers`` (default 1: in this process, bit-reproducible), ``executor`` (``processes`` or
    ``dask``) and ``scheduler`` (a Dask address) choose where the model runs, as for sweeps.
    ``progress``: a line per generation on stderr, False, or a callable taking the line.
    Raises ``ScenarioError`` for an invalid file and ``CalibrationInterrupted`` on Ctrl-C.
    """
    from coopsim.runs.run import command_line

    if resume is not None:
        path = Path(resume)
        calibration = load_calibration(path / "calibration.yaml")
        meta = _read_meta(path)
        if meta.get("digest") not in (None, calibration_digest(calibration)):
            raise ValueError(
                f"{path}: calibration.yaml no longer matches the calibration this directory "
                "was started with (its digest differs): start a new calibration"
            )
    else:
        if spec_or_path is None:
            raise TypeError("run_calibration needs a calibration (or resume=DIR)")
        calibration = _as_calibration(spec_or_path)
        text = dump_calibration(calibration, header=_header())
        path = io.new_output_dir(out, calibration.name, io.short_hash(text))
        io.atomic_write_text(path / "calibration.yaml", text)
        meta = {
            "kind": "calibration",
            "status": "created",
            "name": calibration.name,
            "source": calibration.source,
            "parameters": calibration.names,
            "targets": [t.name for t in calibration.targets],
            "digest": calibration_digest(calibration),
            "seed": calibration.seed,
            "budget": {
                "evaluations": calibration.evaluations,
                "population": calibration.population,
                "generations": calibration.generations,
                "minimum_epsilon": calibration.minimum_epsilon,
            },
            "created_utc": io.utc_now().isoformat(),
            "sessions": [],
            **io.environment(),
        }
        io.atomic_write_json(path / "metadata.json", meta)
    say = _say(progress)
    with _locked(path), contained():
        return _session(
            path,
            calibration,
            meta,
            workers,
            executor,
            scheduler,
            say,
            command or command_line(),
            report,
        )


def _read_meta(path: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"kind": "calibration", "sessions": []}


def _say(progress: bool | Progress) -> Progress:
    if callable(progress):
        return progress
    if progress:
        import sys

        return lambda line: print(line, file=sys.stderr, flush=True)
    return lambda line: None


def _session(path, calibration, meta, workers, executor, scheduler, say, command, report):
    from coopsim.calibration import posterior
    from coopsim.executors import make_executor

    session: dict[str, Any] = {
        "started_utc": io.utc_now().isoformat(),
        "command": command,
        "workers": workers,
    }
    meta.setdefault("sessions", []).append(session)
    meta["status"] = "running"
    meta["command"] = command
    io.atomic_write_json(path / "metadata.json", meta)
    clock = time.perf_counter()
    runner = None
    try:
        if (workers or 1) > 1 or scheduler or (executor or "processes") == "dask":
            runner = make_executor(
                executor, workers, scheduler, 1 << 30, ("coopsim.calibration.worker",)
            )
            session["executor"] = runner.describe()
        else:
            session["executor"] = {"executor": "processes", "workers": 1, "where": "here"}
        _abc(path, calibration, meta, runner, say)
        say("posterior predictive check ...")
        posterior.finish(path, calibration, runner, say)
    except KeyboardInterrupt:
        meta["status"] = "interrupted"
        done = posterior.completed_generations(path)
        meta["resume"] = f"coopsim calibrate --resume {path}"
        raise CalibrationInterrupted(path, done) from None
    except BaseException:
        meta["status"] = "failed"
        raise
    else:
        meta["status"] = "complete"
        meta.pop("resume", None)
    finally:
        if runner is not None:
            runner.close(cancel=meta["status"] != "complete")
        session["finished_utc"] = io.utc_now().isoformat()
        session["seconds"] = round(time.perf_counter() - clock, 2)
        meta["duration_seconds"] = round(sum(s.get("seconds", 0) for s in meta["sessions"]), 2)
        meta.update(posterior.budget_used(path))
        io.atomic_write_json(path / "metadata.json", meta)
    if report:
        from coopsim.report import write_report

        say(f"report: {write_report(path)}")
    return path


def _abc(path: Path, calibration: Calibration, meta: dict, runner: Any, say: Progress) -> None:
    """Run (or continue) ABC-SMC until a stopping rule is met."""
    with contained():
        import pyabc

        from coopsim.calibration.sampler import ExecutorSampler
        from coopsim.calibration.worker import Distance, Plan, Simulator, encoded_bounds

        db = f"sqlite:///{(path / DB_NAME).resolve()}"
        plan = Plan.of(calibration, calibration.fitted, calibration.replicates)
        priors = {}
        categorical = []
        for p in calibration.priors:
            low, high = encoded_bounds(p)
            if p.categorical:
                priors[p.name] = pyabc.RV("randint", 0, len(p.values or ()))
                categorical.append(p)
            else:
                priors[p.name] = pyabc.RV("uniform", low, high - low)
        prior = pyabc.Distribution(**priors)
        transitions = None
        if categorical:
            mapping: dict[Any, Any] = {
                p.name: pyabc.DiscreteJumpTransition(
                    domain=np.arange(len(p.values or ())), p_stay=0.7
                )
                for p in categorical
            }
            rest = tuple(p.name for p in calibration.priors if not p.categorical)
            if rest:
                mapping[rest] = pyabc.MultivariateNormalTransition()
            transitions = pyabc.AggregatedTransition(mapping=mapping)

        history_box: dict[str, Any] = {}

        def remaining() -> float:
            history = history_box.get("h")
            used = history.total_nr_simulations if history is not None else 0
            return max(0, calibration.evaluations - used)

        def on_generation(t: int, evaluated: int, accepted: int) -> None:
            meta["evaluations_run"] = int(meta.get("evaluations_run", 0)) + evaluated
            if accepted < calibration.population:
                meta["evaluations_discarded"] = (
                    int(meta.get("evaluations_discarded", 0)) + evaluated
                )
            abc = history_box.get("abc")
            eps = abc.eps(t) if abc is not None and t >= 0 else float("inf")
            what = "prior sample" if t < 0 else f"generation {t}"
            say(
                f"{what}: threshold {eps:.4g}, {accepted} accepted of {evaluated} evaluated"
                f" ({remaining() - evaluated:,.0f} of {calibration.evaluations:,} evaluations left)"
            )

        sampler = ExecutorSampler(runner, calibration.seed, remaining, on_generation)
        abc = pyabc.ABCSMC(
            Simulator(plan),
            prior,
            Distance(calibration.fitted),
            population_size=calibration.population,
            sampler=sampler,
            transitions=transitions,
            eps=pyabc.QuantileEpsilon(initial_epsilon="from_sample", alpha=0.5),
        )
        history_box["abc"] = abc
        existing = (path / DB_NAME).exists()
        if existing:
            history = abc.load(db, 1)
        else:
            observed = {t.name: float(t.observed or 0.0) for t in calibration.fitted}
            history = abc.new(db, observed, meta_info={"coopsim": calibration.name})
        history_box["h"] = history
        done = history.max_t + 1
        left = calibration.generations - done
        if done > 0:
            last = history.get_all_populations()
            eps = float(last["epsilon"].iloc[-1])
            if eps <= calibration.minimum_epsilon:
                left = 0
            say(f"resuming after generation {done - 1} (threshold {eps:.4g})")
        if left <= 0 or remaining() <= 0:
            return
        abc.run(
            minimum_epsilon=calibration.minimum_epsilon,
            max_nr_populations=left,
            max_total_nr_simulations=calibration.evaluations,
        )
