"""A sweep killed with SIGKILL (or stopped with Ctrl-C) and resumed ends with exactly the results
of an uninterrupted sweep: every run once, the same values, nothing half-written."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from coopsim.experiments import load_results, load_timeseries, run_sweep

pytestmark = pytest.mark.slow

DRIVER = """
import json, sys
from coopsim.experiments import SweepInterrupted, run_sweep

if __name__ == "__main__":
    spec, mode, target = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    workers, executor = int(sys.argv[4]), sys.argv[5]
    options = dict(workers=workers, executor=executor, progress=False, flush_seconds=0)
    try:
        if mode == "new":
            run_sweep(spec, out=target, **options)
        else:
            run_sweep(None, resume=target, **options)
    except SweepInterrupted as exc:
        print(exc.resume_command)
        sys.exit(3)
"""


@pytest.fixture(scope="module")
def spec(tiny_sweep) -> dict:
    """36 runs, one per part (batch_size 1), so that kills land mid-way."""
    return tiny_sweep(replicates=6, timeseries=["mean_trust"], every=3, batch_size=1)


@pytest.fixture(scope="module")
def expected(tmp_path_factory, spec) -> pd.DataFrame:
    """The uninterrupted sweep (batched automatically: batching does not change results)."""
    auto = {**spec, "sweep": {**spec["sweep"], "batch_size": "auto"}}
    path = run_sweep(auto, workers=1, out=tmp_path_factory.mktemp("ref"), progress=False)
    return load_results(path)


def _start(
    tmp_path: Path, spec: dict, mode: str, target: Path, workers: int, executor: str = "processes"
):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    args = [json.dumps(spec), mode, str(target), str(workers), executor]
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the test can signal the whole group
    )


def _parts(directory: Path) -> int:
    return len(list(directory.glob("*/results/part-*.parquet"))) if directory.exists() else 0


def _wait_for_parts(proc: subprocess.Popen, out: Path, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while _parts(out) < count:
        if proc.poll() is not None:
            raise AssertionError(f"the sweep ended before {count} parts: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {count} parts after {timeout} s")
        time.sleep(0.01)


def _group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def _assert_group_ends(pgid: int) -> None:
    """No process of the sweep's group (its workers) may outlive it."""
    if not sys.platform.startswith("linux"):
        return
    deadline = time.monotonic() + 20
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _group_alive(pgid)
    if left:
        os.killpg(pgid, signal.SIGKILL)
    assert not left, f"worker processes outlived the sweep process: {left}"


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the sweep process alone; its worker processes must not outlive it."""
    proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    _assert_group_ends(proc.pid)


def _check_exact(path: Path, expected: pd.DataFrame) -> None:
    parts = sorted((path / "results").glob("part-*.parquet"))
    rows = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert len(rows) == len(expected) and rows["run_id"].is_unique
    pd.testing.assert_frame_equal(load_results(path), expected)
    series = load_timeseries(path, with_design=False)
    assert not series.duplicated(["run_id", "step"]).any()
    assert set(series["run_id"]) == set(expected["run_id"])
    names = {p.name for p in (path / "timeseries").iterdir()}
    assert names <= {p.name for p in (path / "results").iterdir()}
    assert not [p for p in path.rglob(".*") if p.name.endswith(".tmp")]
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["runs_finished"] == len(expected)


def test_sigkill_at_several_points_then_resume_gives_the_uninterrupted_results(
    tmp_path, spec, expected
):
    out = tmp_path / "sweeps"
    rng = random.Random(20260101)
    # 1: a new sweep in one process, killed after 4 parts.
    proc = _start(tmp_path, spec, "new", out, 1)
    _wait_for_parts(proc, out, 4)
    _kill(proc)
    (path,) = out.iterdir()
    first = len(load_results(path))
    assert 4 <= first < 36
    # 2: resumed on a pool of two workers, killed mid-way (the workers must die too).
    proc = _start(tmp_path, spec, "resume", path, 2)
    _wait_for_parts(proc, out, first + 8)
    _kill(proc)
    second = len(load_results(path))
    assert first < second < 36
    # 3: resumed in one process, killed at a random moment once it is running again.
    proc = _start(tmp_path, spec, "resume", path, 1)
    _wait_for_parts(proc, out, second + 1)
    time.sleep(rng.uniform(0.0, 0.3))
    _kill(proc)
    third = len(load_results(path))
    assert third < 36
    # 4: resumed to the end, here.
    run_sweep(None, resume=path, workers=1, progress=False)
    _check_exact(path, expected)
    sessions = json.loads((path / "metadata.json").read_text())["sessions"]
    assert len(sessions) == 4 and sessions[-1]["runs_done"] == 36 - third


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_keeps_what_finished_and_says_how_to_resume(tmp_path, spec, expected, executor):
    out = tmp_path / "sweeps"
    proc = _start(tmp_path, spec, "new", out, 2, executor)
    _wait_for_parts(proc, out, 3)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the sweep and its workers
    stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 3, stderr
    _assert_group_ends(proc.pid)
    (path,) = out.iterdir()
    assert stdout.strip() == f"coopsim sweep {path / 'sweep.yaml'} --resume {path}"
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["status"] == "interrupted"
    kept = load_results(path)
    assert 3 <= len(kept) < 36 and meta["runs_finished"] == len(kept)
    pd.testing.assert_frame_equal(
        kept.reset_index(drop=True),
        expected[expected["run_id"].isin(kept["run_id"])].reset_index(drop=True),
    )
    run_sweep(None, resume=path, workers=1, progress=False)
    _check_exact(path, expected)
