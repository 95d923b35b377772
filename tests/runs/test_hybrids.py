"""Hybrids from scenario files: ``governance.rules`` replaces slots of the mode with other modes'
rules, for the mode and every mode a reform switches to; a ``switch`` entry may carry its own.
Validated like every field; shown in the resolved scenario, the run metadata and the report."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.model import CoopModel, ParameterError
from coopsim.model.modes import MODE_RULES
from coopsim.runs import compare_modes, run_scenario
from coopsim.scenario import load_scenario

HYBRID = """\
name: hybrid
seed: 3
steps: 20
governance:
  mode: governance
  rules:
    payoff: statism
    choice: pluralism
  switch:
    - at: 10
      mode: statism
      rules: {scope: governance, choice: corporatism}
output:
  figures: []
"""


@pytest.fixture
def hybrid_file(tmp_path):
    path = tmp_path / "hybrid.yaml"
    path.write_text(HYBRID)
    return path


def test_the_slots_named_take_the_other_modes_rules():
    model = CoopModel(mode="governance", rng=1, governance__rules__payoff="statism")
    assert model.mode.name == "governance"
    assert model.mode.overrides == {"payoff": "statism"}
    assert type(model.mode.payoff) is MODE_RULES["statism"]["payoff"]
    assert type(model.mode.scope) is MODE_RULES["governance"]["scope"]
    model.run_for(12)
    model.check_invariants()


def test_a_reform_keeps_the_scenarios_overrides_under_its_own(hybrid_file):
    model = CoopModel.from_scenario(load_scenario(hybrid_file))
    assert model.mode.overrides == {"choice": "pluralism", "payoff": "statism"}
    model.run_for(11)
    assert model.mode.name == "statism"
    # the scenario's payoff override (statism) is now the mode's own rule: no longer an override
    assert model.mode.overrides == {"choice": "corporatism", "scope": "governance"}
    assert model.mode.rules["payoff"] == "statism"


def test_the_same_hybrid_gives_the_same_run_and_a_different_one_from_the_pure_mode():
    def run(**rules):
        m = CoopModel(
            mode="governance", rng=7, **{f"governance__rules__{k}": v for k, v in rules.items()}
        )
        m.run_for(40)
        return m.timeseries()

    hybrid = run(payoff="statism")
    assert hybrid.equals(run(payoff="statism"))
    assert not hybrid.equals(run())


def test_a_run_directory_shows_the_hybrid(hybrid_file, tmp_path):
    path = run_scenario(load_scenario(hybrid_file), out=tmp_path / "runs")
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["rules"] == {"choice": "pluralism", "payoff": "statism"}
    (reform,) = meta["reforms"]
    assert reform == {
        "at": 10,
        "mode": "statism",
        "rules": {"choice": "corporatism", "payoff": "statism", "scope": "governance"},
    }
    resolved = yaml.safe_load((path / "scenario.yaml").read_text())
    assert resolved["governance"]["rules"]["payoff"] == "statism"
    assert resolved["governance"]["switch"][0]["rules"]["scope"] == "governance"
    again = load_scenario(path / "scenario.yaml")  # the resolved file runs as it is
    assert again.governance.rules.chosen() == {"choice": "pluralism", "payoff": "statism"}


def test_a_comparison_applies_the_hybrid_to_every_mode_and_says_so(hybrid_file, tmp_path):
    path = compare_modes(load_scenario(hybrid_file), seeds=1, out=tmp_path / "cmp", workers=1)
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["rules"] == {"choice": "pluralism", "payoff": "statism"}
    from coopsim.report import write_report

    write_report(path, formats=("png",))
    report = (path / "report.md").read_text(encoding="utf-8")
    assert "| Hybrid rules | choice rule of pluralism, payoff rule of statism" in report


@pytest.mark.parametrize(
    ("rules", "where", "field"),
    [
        ("{payof: statism}", "6:11", "governance.rules.payof"),
        ("{payoff: anarchy}", "6:19", "governance.rules.payoff"),
    ],
)
def test_bad_slots_and_rules_are_refused_in_one_line(tmp_path, monkeypatch, rules, where, field):
    monkeypatch.chdir(tmp_path)
    text = textwrap.dedent(f"""\
        name: bad
        steps: 5
        governance:
          mode: governance

          rules: {rules}
        """)
    (tmp_path / "bad.yaml").write_text(text)
    result = CliRunner().invoke(app, ["validate", "bad.yaml"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bad.yaml:{where}: {field}")


def test_the_api_refuses_a_bad_slot_or_rule():
    with pytest.raises(ParameterError, match=r"governance\.rules\.payof"):
        CoopModel(governance__rules__payof="statism")
    with pytest.raises(ParameterError, match=r"governance\.rules\.payoff"):
        CoopModel(governance__rules__payoff="anarchy")
