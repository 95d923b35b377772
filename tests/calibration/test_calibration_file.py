"""Calibration files: loaded safely with places in messages; bad ones give one line and exit 2;
`validate` accepts them and `schema --calibration` describes them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.scenario import ScenarioError
from coopsim.scenario.calibration import (
    calibration_from_dict,
    dump_calibration,
    load_calibration,
    parse_calibration,
)

COOPSIM = Path(sys.executable).with_name("coopsim")
GOOD = """\
name: tiny-calibration
scenario:
  name: tiny
  steps: 24
  population: {government: {count: 2}, business: {count: 3}, civil_society: {count: 3}}
  metrics: {window: 6}
calibration:
  priors:
    partnerships.exit_trust: {low: 0.1, high: 0.4}
    trust.loss: {low: 0.05, high: 0.8, scale: log}
    partnerships.patience: {low: 2, high: 8}
  targets:
    trust:
      output: mean_trust
      observed: 0.4
      tolerance: 0.05
      source: "invented for the test"
    early-cooperation:
      output: cooperation_rate
      aggregate: mean
      steps: [1, 12]
      above: 0.5
      tolerance: 0.1
      source: "invented"
    dissolution:
      statistic: dissolution_incidence
      at: 12
      formed_after: 6
      partnerships: cross_sector
      below: {target: trust}
      use: check
      set: {governance.mode: pluralism}
      source: "invented"
  replicates: 2
  budget: {evaluations: 100, population: 10}
"""

# The four bad files (and more): the one line each gives (after FILE:).
BAD = {
    "unknown path": (
        ("partnerships.exit_trust:", "partnerships.exit_trast:"),
        "9:5: calibration.priors.partnerships.exit_trast: no scenario field 'exit_trast' in "
        "partnerships: did you mean 'exit_trust'?",
    ),
    "low above high": (
        ("{low: 0.1, high: 0.4}", "{low: 0.4, high: 0.1}"),
        "9:30: calibration.priors.partnerships.exit_trust: low must be below high (low 0.4, "
        "high 0.1)",
    ),
    "no such output": (
        ("output: mean_trust", "output: mean_trusty"),
        "14:15: calibration.targets.trust.output: not a numeric run output: did you mean "
        "'mean_trust'? (got 'mean_trusty')",
    ),
    "zero budget": (
        ("evaluations: 100", "evaluations: 0"),
        "35:25: calibration.budget.evaluations: must be at least 1 (got 0)",
    ),
    "code in a target": (
        ("output: mean_trust", "output: \"__import__('os').system('touch owned')\""),
        "14:15: calibration.targets.trust.output: not a numeric run output (`coopsim outputs` "
        "lists them) (got \"__import__('os').system('touch owned')\")",
    ),
    "python tag": (
        ("observed: 0.4", "observed: !!python/object/apply:os.system ['touch owned']"),
        "15:17: the tag !!python/object/apply:os.system is not allowed",
    ),
    "unknown statistic argument": (
        ("at: 12", "at: 12\n      aggregate: mean"),
        "calibration.targets.dissolution.aggregate: applies to step outputs, not to "
        "dissolution_incidence (got 'mean')",
    ),
    "followed too long": (
        ("at: 12", "at: 20"),
        "calibration.targets.dissolution.at: the runs last 24 steps",
    ),
}


def bad_text(case: str) -> str:
    (old, new), _ = BAD[case]
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def test_a_good_file_loads_and_round_trips(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(GOOD)
    calibration = load_calibration(path)
    assert calibration.names == ["partnerships.exit_trust", "trust.loss", "partnerships.patience"]
    patience = calibration.priors[2]
    assert patience.integer and calibration.priors[1].scale == "log"
    assert [t.name for t in calibration.fitted] == ["trust", "early-cooperation"]
    assert [t.name for t in calibration.checked] == ["dissolution"]
    check = calibration.checked[0]
    assert check.below.target == "trust" and check.set == (("governance.mode", "pluralism"),)
    assert check.measure.args == {"at": 12, "formed_after": 6, "partnerships": "cross_sector"}
    # A target checked out of sample may configure its own experiment, calibrated values too.
    fixed = GOOD.replace("set: {governance.mode: pluralism}", "set: {trust.loss: 0.3}")
    assert parse_calibration(fixed, "c.yaml").checked[0].set == (("trust.loss", 0.3),)
    again = parse_calibration(dump_calibration(calibration), str(path))
    assert again == calibration
    assert calibration_from_dict(calibration.to_data(), str(path)) == calibration


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_give_one_line(tmp_path, case):
    path = tmp_path / "bad.yaml"
    path.write_text(bad_text(case))
    with pytest.raises(ScenarioError) as caught:
        load_calibration(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:")
    assert BAD[case][1] in lines[0]
    assert not (tmp_path / "owned").exists()


@pytest.mark.parametrize(
    "case", ["unknown path", "low above high", "no such output", "zero budget"]
)
def test_bad_files_through_the_command(tmp_path, case):
    (tmp_path / "bad.yaml").write_text(bad_text(case))
    for command in (["calibrate", "bad.yaml"], ["validate", "bad.yaml"]):
        done = subprocess.run(
            [str(COOPSIM), *command], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("bad.yaml:") and BAD[case][1] in lines[0]
        assert not done.stdout
    assert not (tmp_path / "calibrations").exists()


def test_more_problems_of_targets(tmp_path):
    cases = {
        "observed: 0.4\n      tolerance: 0.05": ("observed: 0.4", "needs `sd:` or `tolerance:`"),
        "above: 0.5\n      tolerance: 0.1": ("above: 0.5", "a bound fitted in the calibration"),
        "below: {target: trust}": ("below: {target: nobody}", "no target 'nobody'"),
        "statistic: dissolution_incidence\n      at: 12": (
            "statistic: life_median\n      at: 12",
            "life_median takes formed_after, partnerships",
        ),
        "output: cooperation_rate\n      aggregate: mean\n      steps: [1, 12]": (
            "output: active_partnerships",
            "is a step output: say how its steps are summarised",
        ),
        '      source: "invented for the test"': (
            '      source: "invented for the test"\n      set: {trust.loss: 0.3}',
            "is calibrated (it has a prior): a fitted target cannot fix it",
        ),
    }
    for old, (new, expected) in cases.items():
        assert old in GOOD, old
        with pytest.raises(ScenarioError) as caught:
            parse_calibration(GOOD.replace(old, new, 1), "c.yaml")
        assert expected in str(caught.value), (old, str(caught.value))


def test_validate_and_schema():
    runner = CliRunner()
    schema = runner.invoke(app, ["schema", "--calibration"])
    assert schema.exit_code == 0
    data = json.loads(schema.stdout)
    assert "calibration" in data["properties"]
    assert "TargetSpec" in json.dumps(data)


def test_validate_accepts_a_calibration_file(tmp_path):
    (tmp_path / "c.yaml").write_text(GOOD)
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "c.yaml")])
    assert result.exit_code == 0, result.output
    assert "ok (calibration: 3 parameters, 2 targets fitted, 1 checked" in result.stdout


def test_shipped_calibrations_are_valid():
    root = Path(__file__).resolve().parents[2] / "experiments" / "calibration"
    files = sorted(root.glob("*.yaml"))
    assert files
    for path in files:
        load_calibration(path)
