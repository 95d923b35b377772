"""`--check-invariants`: every step checked; a failure keeps the steps done and says what broke."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.model.invariants import InvariantError
from coopsim.model.model import CoopModel
from coopsim.runs.run import InvariantBroken, run_scenario
from coopsim.scenario import load_scenario


def test_checked_run_passes_on_a_bundled_scenario(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "run",
            "scenarios/kobe_1995.yaml",
            "--steps",
            "60",
            "--check-invariants",
            "--out",
            str(tmp_path),
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    (run_dir,) = tmp_path.iterdir()
    assert json.loads((run_dir / "metadata.json").read_text())["status"] == "complete"


def test_broken_invariant_stops_the_run_and_keeps_the_steps_done(tmp_path, monkeypatch):
    def broken(self):
        if self.steps >= 5:
            raise InvariantError(f"step {self.steps}: trust outside [0, 1]")

    monkeypatch.setattr(CoopModel, "check_invariants", broken)
    scenario = load_scenario("scenarios/baseline.yaml").replace(steps=20)
    with pytest.raises(InvariantBroken, match="trust outside"):
        run_scenario(scenario, tmp_path, check_invariants=True)
    (run_dir,) = tmp_path.iterdir()
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "failed" and "trust outside" in meta["error"]
    assert len(pd.read_parquet(run_dir / "timeseries.parquet")) == 5
