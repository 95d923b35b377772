"""The app's controls: starting values, the model they build, bad values that must not kill it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coopsim.model import CoopModel, ModelConfig
from coopsim.model.sectors import SECTORS
from coopsim.viz.controls import (
    DEFAULT_SEED,
    SECTOR_CONTROLS,
    Start,
    VizModel,
    build_config,
    control_values,
    initial_values,
    model_params,
    parse_seed,
    pending_changes,
    starting_point,
)

SCENARIO = """\
name: viz-unit
description: >
  A scenario for the viz tests.
seed: 9
steps: 60
governance:
  mode: pluralism
population:
  government: {count: 5}
  business: {count: 7}
  civil_society: {count: 6}
  community: {count: 3}
turnover:
  rate: 0.07
incentives:
  graduated: false
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "viz-unit.yaml"
    path.write_text(SCENARIO)
    return path


def test_defaults_start_from_the_model_defaults_and_seed_42():
    start = starting_point()
    assert start.config == ModelConfig()
    assert start.seed == DEFAULT_SEED == 42


def test_a_scenario_sets_every_starting_value(scenario_file):
    start = starting_point(scenario_file)
    values = initial_values(start)
    assert start.name == "viz-unit"
    assert values["mode"] == "pluralism"
    assert values["seed"] == "9"
    assert values["population__government__count"] == 5
    assert values["population__community__count"] == 3
    assert values["turnover__rate"] == pytest.approx(0.07)
    assert values["incentives__graduated"] is False
    assert values["transparency"] == 1.0


def test_an_invalid_scenario_fails_with_the_scenario_layers_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nseed: 1\nsteps: 10\ngovernance: {mode: anarchy}\n")
    with pytest.raises(ValueError, match=r"bad\.yaml"):
        starting_point(bad)


def test_model_params_are_controls_plus_the_fixed_starting_point(scenario_file):
    start = starting_point(scenario_file)
    params = model_params(start)
    assert params["config"] is start.config  # fixed: passed unchanged on Reset
    assert params["fallback_seed"] == 9
    for name, value in initial_values(start).items():
        control = params[name]
        assert control["value"] == value
        if "min" in control:
            assert control["min"] <= value <= control["max"]
    assert params["mode"]["values"] == ["statism", "pluralism", "corporatism", "governance"]
    for sector in SECTOR_CONTROLS:
        assert params[f"population__{sector}__count"]["type"] == "SliderInt"


def test_a_large_count_widens_its_slider():
    config = ModelConfig().with_overrides({"population.business.count": 400})
    params = model_params(Start(config, 1, "big"))
    assert params["population__business__count"]["max"] == 400


def test_the_starting_controls_rebuild_exactly_the_scenarios_model(scenario_file):
    start = starting_point(scenario_file)
    viz = VizModel(config=start.config, fallback_seed=start.seed, **initial_values(start))
    plain = CoopModel(config=start.config, rng=start.seed)
    assert viz.problems == []
    viz.run_for(15)
    plain.run_for(15)
    pd.testing.assert_frame_equal(viz.timeseries(), plain.timeseries())


def test_controls_change_the_model():
    model = VizModel(
        seed="5",
        mode="statism",
        population__government__count=3,
        population__community__count=4,
        turnover__rate=0.2,
        incentives__graduated=False,
        transparency=2.0,
    )
    assert model.problems == []
    assert model.seed == 5
    assert model.mode.name == "statism"
    assert model.config.population.government.count == 3
    assert model.config.turnover.rate == 0.2
    assert not model.config.incentives.graduated
    base = ModelConfig().population
    for sector in SECTORS:
        expected = min(1.0, 2.0 * base.sector(sector).transparency)
        assert model.config.population.sector(sector).transparency == pytest.approx(expected)
    assert model.transparency_factor == 2.0


@pytest.mark.parametrize("text", ["abc", "", "1.5", "-3", "9" * 30, None, True, float("nan")])
def test_a_bad_seed_uses_the_fallback_and_says_so(text):
    model = VizModel(seed=text, fallback_seed=17)
    assert model.seed == 17
    assert len(model.problems) == 1
    assert model.problems[0].startswith("Seed:")


@pytest.mark.parametrize(("text", "seed"), [("12", 12), (" 7 ", 7), ("1_000", 1000), (3.0, 3)])
def test_seeds_in_text_are_read(text, seed):
    assert parse_seed(text) == seed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("turnover__rate", 1.5),
        ("turnover__rate", math.nan),
        ("incentives__sanction", -1.0),
        ("population__business__count", -4),
        ("mode", "anarchy"),
        ("no_such__parameter", 1),
    ],
)
def test_a_bad_value_is_left_out_with_a_message_and_the_rest_applies(name, value):
    overrides = {name: value, "population__government__count": 4}
    if name == "mode":
        model = VizModel(mode=value, population__government__count=4)
    else:
        model = VizModel(**overrides)
    assert len(model.problems) == 1, model.problems
    assert "kept" in model.problems[0] or "ignored" in model.problems[0]
    assert model.config.population.government.count == 4  # the good value still applies
    model.run_for(3)  # and the model works


def test_a_bad_transparency_keeps_the_profiles():
    config, factor, problems = build_config(ModelConfig(), None, "lots", {})
    assert factor == 1.0
    assert config == ModelConfig()
    assert problems and problems[0].startswith("transparency")


def test_no_organisations_is_a_message_not_a_crash():
    counts = {f"population__{s}__count": 0 for s in SECTORS}
    model = VizModel(**counts)
    assert model.orgs.n == 0
    assert any("No organisations" in p for p in model.problems)
    model.run_for(3)
    assert model.steps == 3


def test_solaraviz_reset_arguments_are_accepted():
    # On Reset SolaraViz passes Mesa's own scenario object along with the parameters.
    from mesa.experimental.scenarios import Scenario

    model = VizModel(scenario=Scenario(), seed="3")
    assert model.problems == []
    assert model.seed == 3


def test_a_failing_step_stops_the_model_with_a_message(monkeypatch):
    model = VizModel()
    model.step()

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(CoopModel, "step", broken)
    model.step()
    assert not model.running
    assert model.problems[-1] == "The model stopped at step 2: boom"


def test_same_controls_same_run():
    a = VizModel(seed="11", population__business__count=12)
    b = VizModel(seed="11", population__business__count=12)
    a.run_for(10)
    b.run_for(10)
    np.testing.assert_array_equal(a.orgs.propensity, b.orgs.propensity)


# ---- a mode change applies at once; other settings wait for Reset (issue 18, trap 5) -----------
def test_a_mode_switch_takes_the_next_month_as_a_reform_would():
    model = VizModel(seed="5", mode="corporatism")
    model.run_for(3)
    assert model.next_mode is None
    model.switch_mode("statism")
    assert model.next_mode == "statism" and model.mode.name == "corporatism"
    model.step()
    assert model.mode.name == "statism" and model.next_mode is None
    modes = model.timeseries()["mode"].tolist()
    assert modes == ["corporatism"] * 3 + ["statism"]
    assert model.controls["mode"] == "statism"  # what this run is governed by now
    with pytest.raises(ValueError, match="unknown governance mode"):
        model.switch_mode("anarchy")


def test_the_starting_values_build_the_starting_model(scenario_file):
    start = starting_point(scenario_file)
    model = VizModel(**control_values(start))
    assert model.config == start.config and model.seed == start.seed
    assert pending_changes(model, control_values(start)) == []


def test_pending_changes_name_what_reset_would_change(scenario_file):
    values = control_values(starting_point(scenario_file))
    model = VizModel(**values)
    chosen = {
        **values,
        "seed": "10",
        "population__business__count": 9,
        "turnover__rate": 0.07,  # the same value: nothing to do
        "incentives__graduated": True,
        "mode": "statism",  # the mode applies at once: never waiting
    }
    assert pending_changes(model, chosen) == [
        "Seed: 9 → 10",
        "Firms: 7 → 9",
        "Graduated sanctions: off → on",
    ]
