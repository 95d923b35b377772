"""A calibration killed with SIGKILL resumes from its last completed generation and ends as an
uninterrupted one does (one worker: the same thresholds and the same posterior)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from coopsim.calibration import run_calibration

pytestmark = pytest.mark.slow
COOPSIM = Path(sys.executable).with_name("coopsim")

SPEC = {
    "name": "killed",
    "scenario": {
        "name": "tiny",
        "seed": 4,
        "steps": 24,
        "population": {"government": {"count": 2}, "business": {"count": 4}},
        "metrics": {"window": 12},
    },
    "calibration": {
        "priors": {
            "trust.gain": {"low": 0.01, "high": 0.3},
            "partnerships.completion_value": {"low": 5.0, "high": 40.0},
        },
        "targets": {
            "trust": {"output": "mean_trust", "observed": 0.45, "tolerance": 0.02,
                      "source": "invented"},
            "completed": {"output": "partnerships_completed", "observed": 4, "tolerance": 1,
                          "source": "invented"},
        },
        "replicates": 1,
        "seed": 21,
        "budget": {"evaluations": 3000, "population": 16, "generations": 5},
        "check": {"draws": 4},
    },
}  # fmt: skip


def _generations(path: Path) -> pd.DataFrame:
    with sqlite3.connect(path / "abc.db") as db:
        return pd.read_sql("SELECT t, epsilon, nr_samples FROM populations ORDER BY t", db)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    return run_calibration(SPEC, out=tmp_path_factory.mktemp("ref"), progress=False, report=False)


def test_kill_and_resume(tmp_path, reference):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))  # priors in order
    seen = []
    with subprocess.Popen(
        [str(COOPSIM), "calibrate", "c.yaml", "--out", "out", "--no-report"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    ) as process:
        deadline = time.monotonic() + 120
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if line.startswith("generation 2:"):  # generation 1 is in the database: kill now
                os.kill(process.pid, signal.SIGKILL)
                break
            assert time.monotonic() < deadline, seen
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    (path,) = (tmp_path / "out").iterdir()
    before = _generations(path)
    completed = int((before["t"] >= 0).sum())
    assert 2 <= completed < 5, before
    assert not (path / "posterior.parquet").exists()

    done = subprocess.run(
        [str(COOPSIM), "calibrate", "--resume", str(path), "--no-report"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(path)
    assert f"resuming after generation {completed - 1}" in done.stderr
    after = _generations(path)
    assert after.iloc[: len(before)].equals(before)  # nothing done before the kill is redone
    assert int((after["t"] >= 0).sum()) == 5
    import json

    meta = json.loads((path / "metadata.json").read_text())
    assert meta["status"] == "complete" and len(meta["sessions"]) == 2
    # One worker: the resumed calibration is the uninterrupted one.
    assert after["epsilon"].tolist() == pytest.approx(_generations(reference)["epsilon"].tolist())
    ours = pd.read_parquet(path / "posterior.parquet")
    theirs = pd.read_parquet(reference / "posterior.parquet")
    pd.testing.assert_frame_equal(ours, theirs)


def test_a_second_writer_is_refused(tmp_path, reference):
    from coopsim.calibration import DirectoryBusy
    from coopsim.calibration.runner import _locked

    with _locked(reference), pytest.raises(DirectoryBusy):
        run_calibration(None, resume=reference, progress=False)


def test_on_two_worker_processes(tmp_path):
    """The executors' path: local worker processes (reproducible in distribution only)."""
    spec = {**SPEC, "calibration": {**SPEC["calibration"]}}
    spec["calibration"]["budget"] = {"evaluations": 200, "population": 12, "generations": 2}
    path = run_calibration(spec, workers=2, out=tmp_path, progress=False, report=False)
    generations = _generations(path)
    assert int((generations["t"] >= 0).sum()) == 2
    posterior = pd.read_parquet(path / "posterior.parquet")
    assert len(posterior) == 12 and posterior["weight"].sum() == pytest.approx(1.0)
    import json

    meta = json.loads((path / "metadata.json").read_text())
    assert meta["sessions"][0]["executor"] == {"executor": "processes", "workers": 2}
