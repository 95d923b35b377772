"""The Python API validates parameters as files are: same paths, same words, all at once."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

import coopsim
from coopsim.model import CoopModel, ModelConfig, ParameterError
from coopsim.scenario import ScenarioError, parse_scenario

PLACE = re.compile(r"^<text>:\d+:\d+: ")


def file_problems(body: str) -> list[str]:
    """The problems a scenario file with ``body`` gets, each without its FILE:LINE:COL."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(f"name: mistake\n{body}\n")
    lines = str(caught.value).splitlines()
    assert all(PLACE.match(line) for line in lines), lines
    return sorted(PLACE.sub("", line) for line in lines)


def api_problems(**kwargs) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        CoopModel(rng=0, **kwargs)
    return sorted(str(caught.value).splitlines())


# The same mistake made with keywords and in a file.
SAME_MISTAKE = [
    ({"learning__rule": "bush_mosteler"}, "learning: {rule: bush_mosteler}"),
    ({"incentives__graduated": "no"}, "incentives: {graduated: 'no'}"),
    ({"trust__gain": "0.1"}, "trust: {gain: '0.1'}"),
    ({"trust__gain": 1.5}, "trust: {gain: 1.5}"),
    ({"population__government__count": -3}, "population: {government: {count: -3}}"),
    ({"population__government__count": 3.0}, "population: {government: {count: 3.0}}"),
    ({"trust__gian": 0.1}, "trust: {gian: 0.1}"),
    ({"turst__gain": 0.1}, "turst: {gain: 0.1}"),
    ({"mode": "anarchy"}, "governance: {mode: anarchy}"),
    ({"governance__mode": "anarchy"}, "governance: {mode: anarchy}"),
    ({"trust": 3}, "trust: 3"),
    (
        {"partnerships": {"size_min": 5, "size_max": 3}},
        "partnerships: {size_min: 5, size_max: 3}",
    ),
    (
        {"population__civil_society": {"count": 2, "resources": {"finance": -1.0, "gold": 1}}},
        "population: {civil_society: {count: 2, resources: {finance: -1.0, gold: 1}}}",
    ),
    ({"shocks": [{"kind": "budget_cut"}]}, "shocks: [{kind: budget_cut}]"),
    (
        {"shocks": [{"kind": "budget_cut", "at": 2, "target": "government-99"}]},
        "shocks: [{kind: budget_cut, at: 2, target: government-99}]",
    ),
    (
        {"governance__switch": [{"at": 5, "mode": "statism"}, {"at": 5, "mode": "pluralism"}]},
        "governance: {switch: [{at: 5, mode: statism}, {at: 5, mode: pluralism}]}",
    ),
    (
        {"trust__gain": -0.5, "learning__rule": "bush_mosteler", "incentives__graduated": "no"},
        "trust: {gain: -0.5}\nlearning: {rule: bush_mosteler}\nincentives: {graduated: 'no'}",
    ),
]


@pytest.mark.parametrize(("kwargs", "body"), SAME_MISTAKE, ids=[b for _, b in SAME_MISTAKE])
def test_keywords_get_the_message_a_file_gets(kwargs, body):
    assert api_problems(**kwargs) == file_problems(body)


def test_the_measured_mistakes_are_refused_with_the_files_words():
    assert api_problems(learning__rule="bush_mosteler") == [
        "learning.rule: must be one of 'bush_mosteller', 'imitation' or 'none' "
        "(got 'bush_mosteler')"
    ]
    assert api_problems(incentives__graduated="no") == [
        "incentives.graduated: must be true or false (got 'no')"
    ]


def test_every_problem_is_listed():
    problems = api_problems(trust__gain=2.0, trust__loss=-1.0, learning__rule="x", colour=1)
    assert [p.split(":")[0] for p in problems] == [
        "colour",
        "learning.rule",
        "trust.gain",
        "trust.loss",
    ]


def test_a_config_built_in_python_is_validated_too():
    base = ModelConfig()
    bad = dataclasses.replace(base, incentives=dataclasses.replace(base.incentives, graduated="no"))
    with pytest.raises(ParameterError) as caught:
        CoopModel(config=bad, rng=0)
    assert str(caught.value) == "incentives.graduated: must be true or false (got 'no')"


def test_with_overrides_validates_like_the_model():
    with pytest.raises(ParameterError) as caught:
        ModelConfig().with_overrides({"learning.rule": "bush_mosteler", "trust.gain": True})
    assert sorted(str(caught.value).splitlines()) == [
        "learning.rule: must be one of 'bush_mosteller', 'imitation' or 'none' "
        "(got 'bush_mosteler')",
        "trust.gain: must be a number (got true)",
    ]


def test_the_error_is_a_value_error_exported_at_the_top():
    assert coopsim.ParameterError is ParameterError
    assert issubclass(ParameterError, ValueError)
    with pytest.raises(ValueError) as caught:
        CoopModel(rng=0, trust__gain=1.5)
    (problem,) = caught.value.problems
    assert (problem.path, problem.message, problem.got) == (
        "trust.gain",
        "must be at most 1.0",
        "1.5",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "NaN (not a number) is not allowed: give a finite number"),
        (math.inf, "infinity is not allowed: give a finite number"),
        (object(), "must be plain data: a number, text, true or false, a list or a mapping"),
    ],
    ids=["nan", "inf", "object"],
)
def test_values_no_file_could_hold_are_refused_with_their_path(value, message):
    with pytest.raises(ParameterError) as caught:
        CoopModel(rng=0, environment__demand=value)
    assert str(caught.value).startswith(f"environment.demand: {message}")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "trust.gain.x",
            "trust.gain.x: trust.gain is not a mapping, so trust.gain.x cannot be set",
        ),
        ("shocks.0.at", "shocks.0.at: index 0 is past the end of the list (0 items)"),
        ("shocks.x", "shocks.x: shocks is a list, so shocks.x cannot be set"),
    ],
)
def test_paths_that_cannot_be_set_are_refused(path, message):
    with pytest.raises(ParameterError) as caught:
        ModelConfig().with_overrides({path: 1})
    assert str(caught.value) == message


def test_good_values_build_parameter_objects_and_numpy_numbers_count():
    config = ModelConfig().with_overrides(
        {
            "governance.switch": [{"at": 3, "mode": "statism"}],
            "governance.switch.0.at": 5,
            "trust.gain": np.float64(0.2),
            "population.government.count": np.int64(3),
            "incentives.graduated": np.bool_(False),
        }
    )
    assert config.governance.switch[0].at == 5
    assert config.trust.gain == 0.2 and type(config.trust.gain) is float
    assert config.population.government.count == 3
    assert type(config.population.government.count) is int
    assert config.incentives.graduated is False
    hash(config)


def test_a_valid_config_comes_back_equal():
    config = ModelConfig().with_overrides({"shocks": [{"kind": "trust_shock", "rate": 0.01}]})
    assert CoopModel(config=config, rng=0).config == config
    assert CoopModel(rng=0).config == ModelConfig()


def test_a_parameter_object_can_be_set_and_then_changed_by_path():
    business = ModelConfig().population.business
    config = ModelConfig().with_overrides(
        {"population.government": business, "population.government.count": 3}
    )
    assert config.population.government.count == 3
    assert dataclasses.asdict(config.population.government.goals) == dataclasses.asdict(
        business.goals
    )


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"shocks": [{"at": 3, "kind": "capacity_los"}]}, "shocks.0.kind"),
        ({"learning__rule": "bush-mosteller"}, "learning.rule"),
        ({"turnover__rate": [0.1]}, "turnover.rate"),
        ({"turnover__rate": 0.1 + 0j}, "turnover.rate"),
        ({"governance__switch": [{"at": 5, "mode": "anarchy"}]}, "governance.switch.0.mode"),
    ],
)
def test_what_0_2_1_accepted_silently_is_refused_at_construction(overrides, path):
    """Issue 19, finding 8: each of these ran at 0.2.1 (as no learning, a shock that never
    fires, a rate of 0.1, or a reform failing only when its step came)."""
    with pytest.raises(ParameterError) as info:
        CoopModel(**overrides)
    assert str(info.value).startswith(f"{path}: ")
