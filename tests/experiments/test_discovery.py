"""Scenario discovery (EMA Workbench PRIM and CART) on a sweep whose outcome fails in a planted
box of parameter space: the box is found, from the library and from the command line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.experiments import run_sweep
from coopsim.experiments.discovery import discover, discover_cases
from coopsim.report import write_report
from coopsim.scenario import ScenarioError, sweep_from_dict

# The planted failure: turnover.rate below 0.05 and trust.gain above 0.25 (of 0..0.2, 0..0.4).
LOW_TURNOVER, HIGH_GAIN = 0.05, 0.25
SPEC = {
    "scenario": {
        "name": "planted",
        "seed": 1,
        "steps": 2,
        "population": {"government": {"count": 2}, "business": {"count": 2}},
        "metrics": {"window": 1},
    },
    "sweep": {
        "design": "lhs",
        "samples": 300,
        "replicates": 1,
        "seed": 3,
        "parameters": {
            "turnover.rate": {"low": 0.0, "high": 0.2},
            "trust.gain": {"low": 0.0, "high": 0.4},
            "trust.loss": {"low": 0.0, "high": 1.0},
            "governance.mode": ["statism", "governance"],
        },
        "outputs": ["sustainability_index"],
        "discover": {"outcome": "sustainability_index", "below": 0.5},
    },
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A real sweep whose outcome is replaced by a synthetic one: 0.1 inside the box, 0.9 out."""
    path = run_sweep(SPEC, workers=1, out=tmp_path_factory.mktemp("sweeps"), progress=False)
    parts = sorted((path / "results").glob("part-*.parquet"))
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    inside = (frame["turnover.rate"] < LOW_TURNOVER) & (frame["trust.gain"] > HIGH_GAIN)
    assert 15 < inside.sum() < 60
    frame["sustainability_index"] = np.where(inside, 0.1, 0.9)
    for part in parts:
        part.unlink()
    frame.to_parquet(parts[0])
    return path


def _limits(found) -> dict[str, tuple[float, float]]:
    box = found.limits[found.limits["box"] == found.boxes["box"].iloc[0]]
    return {r["parameter"]: (r["low"], r["high"]) for r in box.to_dict("records")}


@pytest.mark.parametrize("method", ["prim", "cart"])
def test_the_planted_box_is_found(planted, method):
    filters = list(warnings.filters)
    found = discover(planted, "sustainability_index", below=0.5, method=method)
    assert list(warnings.filters) == filters  # the EMA Workbench's filters do not leak
    best = found.boxes.iloc[0]
    assert best["coverage"] >= 0.9 and best["density"] >= 0.9
    limits = _limits(found)
    assert set(limits) == {"turnover.rate", "trust.gain"}  # trust.loss and the mode are free
    assert np.isnan(limits["turnover.rate"][0])
    assert limits["turnover.rate"][1] == pytest.approx(LOW_TURNOVER, abs=0.01)
    assert limits["trust.gain"][0] == pytest.approx(HIGH_GAIN, abs=0.02)
    assert np.isnan(limits["trust.gain"][1])


def test_above_finds_the_complement_region(planted):
    found = discover(planted, "sustainability_index", above=0.5)
    assert (
        found.of_interest
        == found.cases - discover(planted, "sustainability_index", below=0.5).of_interest
    )


def test_the_command(planted):
    runner = CliRunner()
    result = runner.invoke(
        app, ["discover", str(planted), "--outcome", "sustainability_index", "--below", "0.5"]
    )
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip())
    assert folder.parent == planted / "discovery"
    for name in ("boxes.csv", "limits.csv", "trajectory.parquet", "tradeoff.png",
                 "box_limits.png"):  # fmt: skip
        assert (folder / name).is_file(), name
    assert "turnover.rate ≤ 0.05" in result.stderr
    bad = runner.invoke(app, ["discover", str(planted), "--outcome", "sustainability_indx",
                              "--below", "0.5"])  # fmt: skip
    assert bad.exit_code == 2
    assert "did you mean 'sustainability_index'" in bad.stderr
    both = runner.invoke(app, ["discover", str(planted), "--outcome", "sustainability_index"])
    assert both.exit_code == 2 and "give one of --below X or --above X" in both.stderr


def test_the_sweep_report_includes_it(planted):
    write_report(planted)
    report = (planted / "report.md").read_text()
    assert "## Scenario discovery" in report
    assert "turnover.rate ≤ 0.05" in report
    assert (planted / "figures" / "discovery_tradeoff.png").is_file()


def test_sweep_discover_is_checked():
    spec = {**SPEC, "sweep": {**SPEC["sweep"], "discover": {"outcome": "mean_trust", "below": 1}}}
    with pytest.raises(ScenarioError, match="not an output this sweep keeps"):
        sweep_from_dict(spec)
    spec["sweep"]["discover"] = {"outcome": "sustainability_index"}
    with pytest.raises(ScenarioError, match="give one of `below:` or `above:`"):
        sweep_from_dict(spec)


def test_cases_given_as_a_table_find_the_same_box():
    """``discover_cases``: the same PRIM on a table of cases that no sweep kept (a planted box
    on an outcome computed outside the sweep, e.g. a contrast between two sweeps)."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 400), "b": rng.uniform(0, 1, 400)})
    values = pd.Series(np.where((x["a"] < 0.3) & (x["b"] > 0.6), -1.0, 1.0))
    found = discover_cases(x, values, "contrast", below=0.0)
    assert found.cases == 400 and found.of_interest == int((values < 0).sum())
    best = found.boxes.iloc[0]
    assert best["coverage"] >= 0.9 and best["density"] >= 0.9
    limits = _limits(found)
    assert limits["a"][1] == pytest.approx(0.3, abs=0.03)
    assert limits["b"][0] == pytest.approx(0.6, abs=0.03)
