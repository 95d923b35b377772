"""Kill a sweep at random moments, resume it, and count what survives (issue 8, "Interruptions").

SIGKILL: the sweep runs as ``coopsim.experiments.run_sweep`` in a child process (this script,
``--driver``), as ``coopsim sweep`` does. Each trial starts a new sweep, SIGKILLs the sweep
process at a random moment, resumes it (``run_sweep(None, resume=DIR)``), kills it again, and so
on ``--kills-per-trial`` times, then resumes it to the end. Each session picks 1 or 2 local
workers at random, and one of two kinds of kill moment: half of them a delay after the process
starts, uniform between 0 and the time the uninterrupted sweep took (scaled down by the share of
runs already done), so that they land anywhere, start-up included (importing, creating the
directory, starting the pool); the other half once the session has written 1 to n − 1 new parts,
plus up to 0.1 s, so that they land while runs finish and parts are written. All draws come from
``--seed`` and every kill is printed.

After each kill: no process of the sweep's group (its workers) outlives it; the results written
so far have no duplicate row, and every row and every kept time-series row equals the
uninterrupted sweep's. After each trial: exactly the uninterrupted sweep's results (same rows,
same values, no duplicates), its time series, no temporary files left, ``status: complete``.
A kill "survived" when both hold. A session that ended before its kill moment is counted apart
(not a kill). A sweep killed before it wrote ``sweep.yaml`` cannot be resumed (there is nothing
to resume): it is started again, as a user would, and its empty directory removed.

Dask: a scheduler and ``dask worker --nworkers 2 --nthreads 1`` run as processes of their own, as
on a cluster, and each trial runs a sweep on them from this process (``run_sweep(...,
scheduler=ADDRESS)``, the only Dask client here, as with ``coopsim sweep --scheduler``) while a
thread SIGKILLs one worker process, chosen at random, after 1 to 8 parts. Its nanny starts a new
worker, Dask runs the lost tasks elsewhere, and the results must again be exactly the
uninterrupted sweep's; the next trial waits for two workers.

The sweep: the baseline scenario (67 organisations) shortened to 24 steps, governance modes ×
turnover rates × replicates: 36 runs, one run per part (``batch_size: 1``, ``flush_seconds=0``: a
commit after every run, the most places for a kill to land; Dask: 2 runs per task), two time
series every 4 steps.

    python benchmarks/kill_resume.py                 # 30 SIGKILLs, 10 Dask worker kills: ~4 min
    python benchmarks/kill_resume.py --quick         # 6 SIGKILLs, 2 Dask worker kills
    python benchmarks/kill_resume.py --kills 50 --dask 0 --seed 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
from _common import ROOT, header, table

from coopsim.experiments import load_results, load_timeseries, run_sweep

STEPS = 24
LOCAL = ("--host", "127.0.0.1", "--no-dashboard")
WORKERS = ("--nworkers", "2", "--nthreads", "1", "--memory-limit", "0")
SERIES = ["mean_trust", "cooperation_rate"]


def sweep_spec(batch_size: int = 1) -> dict[str, Any]:
    from coopsim.scenario.loader import load_scenario
    from coopsim.scenario.schema import scenario_to_dict

    base = scenario_to_dict(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    base["steps"] = STEPS
    base["metrics"]["window"] = 12
    return {
        "scenario": base,
        "sweep": {
            "design": "grid",
            "replicates": 6,
            "seed": 8,
            "parameters": {
                "governance.mode": ["statism", "governance"],
                "turnover.rate": [0.0, 0.1, 0.2],
            },
            "outputs": ["sustainability_index", "mean_trust", "cooperation_rate"],
            "timeseries": SERIES,
            "every": 4,
            "batch_size": batch_size,
        },
    }


# ------------------------------------------------------------------------------------------------
# The driver: one session of a sweep, in a child process


def driver(mode: str, target: str, workers: int, spec_file: str) -> None:
    options = dict(workers=workers, progress=False, flush_seconds=0)
    if mode == "new":
        run_sweep(json.loads(Path(spec_file).read_text()), out=target, **options)
    else:
        run_sweep(None, resume=target, **options)


def start(mode: str, target: Path, workers: int, spec_file: Path) -> subprocess.Popen:
    args = ["--driver", mode, str(target), str(workers), str(spec_file)]
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: its workers can be found
    )


def group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group (Linux; elsewhere: none found)."""
    alive = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def orphans_after(pgid: int, timeout: float = 20.0) -> list[int]:
    """Processes of the killed sweep's group still alive after ``timeout`` (then killed)."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = group_alive(pgid)
    if left:
        os.killpg(pgid, signal.SIGKILL)
    return left


# ------------------------------------------------------------------------------------------------
# Checking a sweep directory against the uninterrupted sweep


def committed_rows(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every results row and every committed time-series row, as written (duplicates show)."""
    results = sorted((path / "results").glob("part-*.parquet"))
    names = {p.name for p in results}
    series = [p for p in sorted((path / "timeseries").glob("part-*.parquet")) if p.name in names]
    rows = [pd.read_parquet(p) for p in results]
    ts = [pd.read_parquet(p) for p in series]
    return (
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["run_id"]),
        pd.concat(ts, ignore_index=True) if ts else pd.DataFrame(columns=["run_id", "step"]),
    )


def problems(path: Path, expected: pd.DataFrame, series: pd.DataFrame, final: bool) -> list[str]:
    """What differs from the uninterrupted sweep (a part of it unless ``final``)."""
    out: list[str] = []
    if not (path / "results").is_dir():
        return ["no results folder"] if final else []
    rows, ts = committed_rows(path)
    if rows["run_id"].duplicated().any():
        out.append(f"{int(rows['run_id'].duplicated().sum())} duplicate result rows")
    if ts.duplicated(["run_id", "step"]).any():
        out.append("duplicate time-series rows")
    done = set(rows["run_id"])
    if done - set(expected["run_id"]):
        out.append(f"unknown run_ids {sorted(done - set(expected['run_id']))[:5]}")
    if len(rows):
        try:
            pd.testing.assert_frame_equal(
                load_results(path),
                expected[expected["run_id"].isin(done)].reset_index(drop=True),
            )
            pd.testing.assert_frame_equal(
                load_timeseries(path, with_design=False),
                series[series["run_id"].isin(done)].reset_index(drop=True),
            )
        except AssertionError as exc:
            out.append("values differ: " + " ".join(str(exc).split())[:300])
    if final:
        if len(done) != len(expected):
            out.append(f"{len(done)} of {len(expected)} runs")
        if [p for p in path.rglob(".*") if p.name.endswith(".tmp")]:
            out.append("temporary files left")
        meta = json.loads((path / "metadata.json").read_text())
        if meta.get("status") != "complete" or meta.get("runs_finished") != len(expected):
            out.append(f"metadata: status {meta.get('status')}, {meta.get('runs_finished')} runs")
    return out


# ------------------------------------------------------------------------------------------------
# SIGKILL and resume


def count_parts(out: Path) -> int:
    return len(list(out.glob("*/results/part-*.parquet")))


def sigkill_trials(
    kills: int, per_trial: int, rng: random.Random, work: Path, reference: dict[str, Any]
) -> dict[str, Any]:
    expected, series = reference["results"], reference["series"]
    seconds, spec_file = reference["seconds"], reference["spec_file"]
    total = len(expected)
    counts = dict(attempted=0, survived=0, finished_first=0, orphans=0, restarts=0, mismatches=0)
    log: list[tuple] = []
    trial = 0
    while counts["attempted"] < kills:
        trial += 1
        out = work / f"trial-{trial:02d}"
        path: Path | None = None
        kept: list[bool] = []  # per kill of this trial: nothing wrong right after it
        session = 0
        while True:
            session += 1
            if path is not None and not (path / "sweep.yaml").is_file():
                shutil.rmtree(path)  # killed before sweep.yaml: nothing to resume, start again
                path = None
                counts["restarts"] += 1
            before = len(load_results(path)) if path else 0
            workers = rng.choice([1, 2])
            if rng.random() < 0.5:  # a moment in the session, start-up included
                delay = rng.uniform(0, seconds * (0.4 + 0.6 * (total - before) / total))
                parts, moment = 0, f"at {delay:.2f} s"
            else:  # a moment while it runs: after some new parts, plus up to 0.1 s
                parts, delay = rng.randint(1, max(1, total - before - 1)), rng.uniform(0, 0.1)
                moment = f"{parts} parts + {delay:.2f} s"
            proc = start("resume" if path else "new", path or out, workers, spec_file)
            if len(kept) >= per_trial or counts["attempted"] >= kills:  # to the end
                _, err = proc.communicate(timeout=600)
                if path is None and out.is_dir():  # it was started anew
                    path = next(iter(sorted(out.iterdir())), None)
                if proc.returncode != 0:
                    counts["mismatches"] += 1
                    log.append((trial, session, workers, "—", "resume FAILED", err[-300:]))
                break
            if parts:
                goal = count_parts(out) + parts
                while proc.poll() is None and count_parts(out) < goal:
                    time.sleep(0.005)
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.kill()
            proc.wait(timeout=60)
            err = proc.stderr.read()
            proc.stderr.close()
            if path is None and out.is_dir():
                path = next(iter(sorted(out.iterdir())), None)
            if proc.returncode != -signal.SIGKILL:  # it finished before the kill moment
                counts["finished_first"] += 1
                note = "finished before the kill" if proc.returncode == 0 else "FAILED: " + err
                log.append((trial, session, workers, moment, note[-300:], ""))
                counts["mismatches"] += proc.returncode != 0
                break
            counts["attempted"] += 1
            left = orphans_after(proc.pid)
            counts["orphans"] += bool(left)
            found = problems(path, expected, series, final=False) if path else []
            if left:
                found.append(f"workers outlived the sweep process: {left}")
            if path is None:
                where = "before the sweep directory"
            elif not (path / "sweep.yaml").is_file():
                where = "before sweep.yaml"
            else:
                where = f"{before} → {len(load_results(path))} runs"
            log.append((trial, session, workers, moment, where, "; ".join(found) or "ok"))
            kept.append(not found)
            counts["mismatches"] += bool(found)
        final = problems(path, expected, series, final=True) if path else ["no sweep directory"]
        if final:
            counts["mismatches"] += 1
            log.append((trial, "end", "", "", "final check", "; ".join(final)))
        else:
            counts["survived"] += sum(kept)
            log.append((trial, "end", "", "", f"{total} runs", "exactly the uninterrupted sweep"))
        shutil.rmtree(out, ignore_errors=True)
    counts["trials"] = trial
    return {"counts": counts, "log": log}


# ------------------------------------------------------------------------------------------------
# A Dask worker killed mid-sweep


def start_cluster(work: Path) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """``dask scheduler`` and ``dask worker --nworkers 2 --nthreads 1`` as processes of their
    own, as on a cluster (their logs go to ``work``); returns them and the scheduler address."""
    info = work / "scheduler.json"
    common = dict(start_new_session=True, stdout=subprocess.DEVNULL)
    dask = [sys.executable, "-m", "dask"]
    scheduler = subprocess.Popen(
        [*dask, "scheduler", "--scheduler-file", str(info), *LOCAL, "--port", "0"],
        stderr=(work / "scheduler.log").open("w"),
        **common,
    )
    deadline = time.monotonic() + 120
    while not (info.is_file() and info.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.1)
    address = json.loads(info.read_text())["address"]
    workers = subprocess.Popen(
        [*dask, "worker", "--scheduler-file", str(info), *LOCAL, *WORKERS],
        stderr=(work / "workers.log").open("w"),
        **common,
    )
    return scheduler, workers, address


def worker_pids(launcher: int) -> list[int]:
    """The worker processes the nannies of ``dask worker`` (pid ``launcher``) started."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            mine = int(fields[1]) == launcher and fields[0] != "Z"
            if mine and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return sorted(found)


def two_workers(launcher: int, victim: int | None, timeout: float = 120) -> list[int]:
    """Wait until two workers run and ``victim`` is not one of them; the pids (may be fewer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(launcher)
        if len(pids) >= 2 and victim not in pids:
            time.sleep(1.0)  # time to register with the scheduler
            return pids
        time.sleep(0.1)
    return worker_pids(launcher)


def kill_worker_after(
    victim: int, out: Path, parts: int, finished: threading.Event, killed: list[float]
) -> None:
    """SIGKILL ``victim`` once the sweep under ``out`` has written ``parts`` parts."""
    clock = time.monotonic()
    deadline = clock + 120
    while time.monotonic() < deadline and not finished.is_set():
        if len(list(out.glob("*/results/part-*.parquet"))) >= parts:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:  # it had exited by itself
                killed.append(-1.0)
                return
            killed.append(time.monotonic() - clock)
            return
        time.sleep(0.002)


def dask_trials(n: int, rng: random.Random, work: Path, reference: dict[str, Any]) -> dict:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return {"skipped": "distributed is not installed (pip install 'coopsim[dask]')"}
    expected, series = reference["results"], reference["series"]
    spec = sweep_spec(batch_size=2)  # 18 tasks of 2 runs
    counts = dict(attempted=0, survived=0, too_late=0, mismatches=0, restarted=0)
    log = []
    scheduler, launcher, address = start_cluster(work)
    victim = None
    try:
        for trial in range(1, n + 1):
            pids = two_workers(launcher.pid, victim)
            if victim is not None:
                counts["restarted"] += len(pids) >= 2 and victim not in pids
            if not pids:
                log.append((trial, "—", "—", "—", "no worker left: stopped"))
                break
            victim, after = rng.choice(pids), rng.randint(1, 8)
            out = work / f"dask-{trial:02d}"
            killed: list[float] = []
            finished = threading.Event()
            killer = threading.Thread(
                target=kill_worker_after,
                args=(victim, out, after, finished, killed),
                daemon=True,
            )
            killer.start()
            try:
                path = run_sweep(spec, scheduler=address, out=out, progress=False, flush_seconds=0)
                found = problems(path, expected, series, final=True)
                errors = load_results(path)["error"].notna().sum()
                if errors:
                    found.append(f"{errors} runs recorded as failed")
            except Exception as exc:
                found = [f"{type(exc).__name__}: {exc}"]
            finished.set()
            killer.join(timeout=5)
            shutil.rmtree(out, ignore_errors=True)
            workers = f"{victim} of {len(pids)}"
            if not killed or killed[0] < 0:
                counts["too_late"] += 1
                counts["mismatches"] += bool(found)  # without a kill, the sweep must be exact too
                note = "the sweep finished first" if not killed else "the worker had exited"
                check = "; ".join(found) or "exact"
                log.append((trial, workers, after, "—", f"{note} (not counted): {check}"))
                victim = None
                continue
            counts["attempted"] += 1
            counts["survived"] += not found
            counts["mismatches"] += bool(found)
            log.append((trial, workers, after, f"{killed[0]:.2f}", "; ".join(found) or "exact"))
        if victim is not None:
            pids = two_workers(launcher.pid, victim)
            counts["restarted"] += len(pids) >= 2 and victim not in pids
    finally:
        for proc in (launcher, scheduler):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return {"counts": counts, "log": log}


# ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 SIGKILLs, 2 Dask worker kills")
    parser.add_argument("--kills", type=int, help="SIGKILLs of the sweep process (30)")
    parser.add_argument("--kills-per-trial", type=int, default=4)
    parser.add_argument("--dask", type=int, help="Dask worker kills (10; 0: none)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--driver", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        mode, target, workers, spec_file = args.driver
        driver(mode, target, int(workers), spec_file)
        return
    kills = args.kills if args.kills is not None else (6 if args.quick else 30)
    dask = args.dask if args.dask is not None else (2 if args.quick else 10)
    rng = random.Random(args.seed)
    header("SIGKILL at random moments, resume, compare with the uninterrupted sweep")
    print(
        f"seed {args.seed}; {kills} SIGKILLs, {args.kills_per_trial} per trial; {dask} Dask kills"
    )
    with tempfile.TemporaryDirectory(prefix="coopsim-kill-") as tmp:
        work = Path(tmp)
        spec_file = work / "spec.json"
        spec_file.write_text(json.dumps(sweep_spec()))
        clock = time.perf_counter()
        proc = start("new", work / "reference", 1, spec_file)
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            sys.exit(f"the uninterrupted sweep failed: {err}")
        seconds = time.perf_counter() - clock
        (ref,) = (work / "reference").iterdir()
        reference = {
            "results": load_results(ref),
            "series": load_timeseries(ref, with_design=False),
            "seconds": seconds,
            "spec_file": spec_file,
        }
        print(
            f"uninterrupted sweep: {len(reference['results'])} runs, "
            f"{len(reference['series'])} time-series rows, {seconds:.1f} s with start-up\n",
            flush=True,
        )
        sig = sigkill_trials(kills, args.kills_per_trial, rng, work, reference)
        print(
            table(
                ["trial", "session", "workers", "killed", "where", "check"],
                sig["log"],
            )
        )
        c = sig["counts"]
        print()
        print(
            f"SIGKILL: {c['attempted']} kills in {c['trials']} trials; survived {c['survived']}; "
            f"mismatches {c['mismatches']}; workers outliving the sweep process {c['orphans']}; "
            f"sessions that finished before their kill moment {c['finished_first']} (not "
            f"counted); sweeps started again (killed before sweep.yaml) {c['restarts']}",
            flush=True,
        )
        if dask:
            print()
            d = dask_trials(dask, rng, work, reference)
            if "skipped" in d:
                print(f"Dask: skipped: {d['skipped']}")
            else:
                print(
                    table(
                        [
                            "trial",
                            "killed worker (pid, of n running)",
                            "after parts",
                            "killed at (s)",
                            "check",
                        ],
                        d["log"],
                    )
                )
                dc = d["counts"]
                print()
                print(
                    f"Dask: {dc['attempted']} workers killed mid-sweep; survived {dc['survived']}; "
                    f"mismatches {dc['mismatches']}; replaced by the nanny {dc['restarted']}; "
                    f"not counted (the sweep ended, or the worker exited, first) "
                    f"{dc['too_late']}"
                )
    failed = c["mismatches"] or c["orphans"] or (dask and d.get("counts", {}).get("mismatches"))
    print()
    print("verdict: " + ("every kill survived" if not failed else "FAILURES: see above"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
