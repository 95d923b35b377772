"""Model parameters: defaults, dotted overrides, validation of every level, sector defaults."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import fields

import pydantic
import pytest

from coopsim.model import CoopModel, ModelConfig, ParameterError
from coopsim.model.config import (
    SECTOR_CLASSES,
    Goals,
    ModeSwitch,
    Partnerships,
    Sector,
    Shock,
    parameter_table,
)
from coopsim.model.sectors import GOAL_DIMENSIONS, SECTOR_DEFAULTS, SECTORS

ADAPTER = pydantic.TypeAdapter(ModelConfig)


def test_defaults_are_valid():
    assert ModelConfig().with_overrides({}) == ModelConfig()
    assert ADAPTER.validate_python({}) == ModelConfig()


def test_a_config_survives_a_round_trip_through_json():
    config = ModelConfig().with_overrides(
        {
            "trust.gain": 0.1,
            "shocks": [{"kind": "budget_cut", "at": 3, "target": ("government-1",)}],
        }
    )
    assert ADAPTER.validate_json(ADAPTER.dump_json(config)) == config
    hash(config)  # frozen all the way down


def test_every_parameter_is_documented_and_its_default_in_range():
    rows = parameter_table()
    assert len(rows) > 50
    for row in rows:
        assert row["description"], row["path"]
        value = row["default"]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert row["low"] is None or value >= row["low"], row["path"]
            assert row["high"] is None or value <= row["high"], row["path"]


# ---- overrides ------------------------------------------------------------------------------


def test_with_overrides_replaces_values_by_dotted_path_and_leaves_the_original():
    base = ModelConfig()
    config = base.with_overrides(
        {
            "trust.gain": 0.12,
            "population.government.count": 3,
            "population.civil_society.resources.finance": 0.9,
            "governance.mode": "statism",
        }
    )
    assert config.trust.gain == 0.12
    assert config.population.government.count == 3
    assert config.population.civil_society.resources.finance == 0.9
    assert config.governance.mode == "statism"
    # everything else untouched, in the copy and in the original
    assert config.trust.loss == base.trust.loss
    ngo, ngo_before = config.population.civil_society, base.population.civil_society
    assert ngo.resources.staff == ngo_before.resources.staff
    assert base.trust.gain == ModelConfig().trust.gain
    assert type(config.population.government) is SECTOR_CLASSES["government"]


def test_with_overrides_builds_parameter_objects_from_plain_data():
    config = ModelConfig().with_overrides(
        {
            "shocks": [{"kind": "demand_surge", "at": 4, "severity": 0.3}],
            "governance.switch": [{"at": 10, "mode": "pluralism"}],
            "trust": {"gain": 0.2},
        }
    )
    assert config.shocks == (Shock(kind="demand_surge", at=4, severity=0.3),)
    assert config.governance.switch == (ModeSwitch(at=10, mode="pluralism"),)
    assert config.trust.gain == 0.2 and config.trust.loss == ModelConfig().trust.loss


def test_with_overrides_builds_nested_parameter_objects_at_every_level():
    config = ModelConfig().with_overrides(
        {"population.government": {"count": 3, "resources": {"finance": 2.0}}}
    )
    assert config.population.government.resources.finance == 2.0
    assert config.population.government.resources.staff == 0.8  # the agency default
    CoopModel(config=config, rng=0)


def test_with_overrides_turns_lists_inside_objects_into_tuples():
    config = ModelConfig().with_overrides(
        {"shocks": [{"kind": "budget_cut", "at": 3, "target": ["government-1"]}]}
    )
    assert config.shocks[0].target == ("government-1",)


@pytest.mark.parametrize("path", ["trust.gian", "nothing", "population.government.colour"])
def test_unknown_override_paths_are_refused(path):
    with pytest.raises(ParameterError, match=f"{path}: unknown key"):
        ModelConfig().with_overrides({path: 1})


def test_the_model_refuses_out_of_range_values_given_in_python():
    with pytest.raises(ParameterError) as caught:
        ModelConfig().with_overrides({"trust.gain": 1.5})
    assert str(caught.value) == "trust.gain: must be at most 1.0 (got 1.5)"
    with pytest.raises(ParameterError, match=r"^environment\.demand: NaN"):
        ModelConfig().with_overrides({"environment.demand": math.nan})
    with pytest.raises(ValueError, match=r"incentives\.sanction"):
        CoopModel(rng=0, incentives__sanction=-1.0)
    with pytest.raises(ValueError, match=r"shocks\.0\.severity"):
        CoopModel(rng=0, shocks=[{"kind": "budget_cut", "at": 2, "severity": 2.0}])


# ---- validation of plain data (the scenario layer's path) ----------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"colour": 1},
        {"trust": {"colour": 1}},
        {"population": {"colour": 1}},
        {"population": {"government": {"colour": 1}}},
        {"population": {"business": {"resources": {"gold": 1.0}}}},
        {"population": {"community": {"goals": {"fame": 1.0}}}},
        {"governance": {"switch": [{"at": 3, "mode": "statism", "colour": 1}]}},
        {"shocks": [{"kind": "budget_cut", "at": 3, "colour": 1}]},
        {"metrics": {"colour": 1}},
    ],
    ids=lambda d: str(d),
)
def test_unknown_keys_are_refused_at_every_level(data):
    with pytest.raises(pydantic.ValidationError) as caught:
        ADAPTER.validate_python(data)
    (error,) = caught.value.errors()
    assert error["type"] in ("unexpected_keyword_argument", "extra_forbidden")
    assert error["loc"][-1] in ("colour", "gold", "fame")


@pytest.mark.parametrize(
    "data",
    [
        {"trust": {"gain": 1.5}},
        {"trust": {"loss": -0.1}},
        {"partnerships": {"size_min": 1}},
        {"partnerships": {"max_memberships": 0}},
        {"production": {"substitution": 1.5}},
        {"production": {"returns_to_scale": 0.0}},
        {"environment": {"budget": -1.0}},
        {"population": {"heterogeneity": 2.0}},
        {"population": {"government": {"count": -1}}},
        {"population": {"civil_society": {"integrity": 1.2}}},
        {"population": {"business": {"resources": {"finance": -0.5}}}},
        {"population": {"business": {"goals": {"profit": -1.0}}}},
        {"shocks": [{"kind": "budget_cut", "at": 3, "severity": -0.1}]},
        {"shocks": [{"kind": "budget_cut", "at": 0}]},
        {"shocks": [{"kind": "budget_cut", "rate": 1.5}]},
        {"governance": {"mode": "anarchy"}},
        {"governance": {"switch": [{"at": 0, "mode": "statism"}]}},
        {"metrics": {"window": 0}},
    ],
    ids=lambda d: str(d),
)
def test_out_of_range_values_are_refused(data):
    with pytest.raises(pydantic.ValidationError):
        ADAPTER.validate_python(data)


@pytest.mark.parametrize(
    "data",
    [
        {"shocks": [{"kind": "budget_cut"}]},
        {"partnerships": {"size_min": 4, "size_max": 3}},
        {"population": {"government": {"goals": dict.fromkeys(GOAL_DIMENSIONS, 0.0)}}},
    ],
    ids=["shock without at or rate", "size_min above size_max", "no goals"],
)
def test_inconsistent_values_are_refused(data):
    with pytest.raises(pydantic.ValidationError):
        ADAPTER.validate_python(data)


def test_cross_field_checks_also_guard_the_python_api():
    with pytest.raises(ValueError):
        Partnerships(size_min=5, size_max=3)
    with pytest.raises(ValueError):
        Goals(public_value=0, profit=0, mission=0, own_sector=0)


# ---- sector defaults ------------------------------------------------------------------------


@pytest.mark.parametrize("sector", SECTORS)
def test_each_sector_class_carries_its_sector_defaults(sector):
    profile = SECTOR_DEFAULTS[sector]
    obj = SECTOR_CLASSES[sector]()
    assert isinstance(obj, Sector)
    for f in fields(Sector):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            assert dataclasses.asdict(value) == profile[f.name], f.name
        else:
            assert value == profile[f.name], f.name
    assert getattr(ModelConfig().population, sector) == obj


@pytest.mark.parametrize("sector", SECTORS)
def test_a_partial_sector_in_a_file_keeps_that_sectors_defaults(sector):
    config = ADAPTER.validate_python(
        {"population": {sector: {"count": 7, "resources": {"finance": 0.05}}}}
    )
    got = getattr(config.population, sector)
    profile = SECTOR_DEFAULTS[sector]
    assert got.count == 7 and got.resources.finance == 0.05
    assert got.resources.staff == profile["resources"]["staff"]
    assert dataclasses.asdict(got.goals) == profile["goals"]
    assert got.authority == profile["authority"]
    assert type(got) is SECTOR_CLASSES[sector]


def test_sectors_differ_where_the_design_says_they_do():
    gov, biz, ngo = (SECTOR_CLASSES[s]() for s in ("government", "business", "civil_society"))
    assert gov.authority > max(biz.authority, ngo.authority)
    assert biz.goals.profit > max(gov.goals.profit, ngo.goals.profit)
    assert ngo.resources.legitimacy > biz.resources.legitimacy
    assert ngo.intrinsic_motivation > biz.intrinsic_motivation


def test_every_sector_default_is_a_parameter():
    names = {f.name for f in fields(Sector)}
    for sector, profile in SECTOR_DEFAULTS.items():
        assert set(profile) <= names, (sector, set(profile) - names)


def test_the_governance_modes_are_listed_once():
    """MODES is the one list: the type and the mode classes follow it, and the partnership
    table's mode codes are positions in it."""
    from typing import get_args

    from coopsim.model import CoopModel
    from coopsim.model.config import MODES, Mode
    from coopsim.model.modes import MODE_RULES

    assert get_args(Mode) == MODES
    assert list(MODE_RULES) == list(MODES)
    for mode in MODES:
        model = CoopModel(mode=mode, rng=1)
        model.run_for(6)
        table = model.partnerships_table
        assert table.size and set(table.view("mode").tolist()) == {MODES.index(mode)}
        assert set(model.partnerships()["mode"]) == {mode}
