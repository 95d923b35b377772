"""What validates runs (issue 19, finding 7): every magnitude has an upper bound the model can
compute with; 1e308 is refused where a file or the Python API gives it, and the bounds
themselves run soundly (finite outputs, invariants kept)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from coopsim.model import CoopModel, ModelConfig, ParameterError, outputs
from coopsim.model.config import MAX_AMOUNT, MAX_THRESHOLD, MAX_WEIGHT, parameter_table
from coopsim.scenario import ScenarioError, parse_scenario, scenario_from_dict

HUGE = [
    "population.government.goals.profit",
    "population.business.resources.finance",
    "environment.demand",
    "environment.budget",
    "environment.demand_volatility",
    "behaviour.choice_sensitivity",
    "behaviour.reciprocity_weight",
    "production.productivity",
    "production.stand_alone",
    "costs.negotiation",
    "costs.monitoring",
    "incentives.reward",
    "incentives.sanction",
    "partnerships.completion_value",
    "partnerships.join_steepness",
]


def test_every_float_parameter_has_a_finite_upper_bound():
    unbounded = [
        row["path"]
        for row in parameter_table()
        if row["low"] is not None and isinstance(row["low"], float) and row["high"] is None
    ]
    assert unbounded == []


@pytest.mark.parametrize("path", HUGE)
def test_1e308_is_refused_by_file_and_api(path):
    nested: dict = {"name": "huge", "steps": 3}
    *sections, key = path.split(".")
    inner = nested
    for section in sections:
        inner = inner.setdefault(section, {})
    inner[key] = 1e308
    text = yaml.safe_dump(nested)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "huge.yaml")
    rendered = [p.render() for p in caught.value.problems]
    assert any(path in line and "must be at most" in line for line in rendered), rendered
    with pytest.raises(ParameterError, match=rf"^{path}: must be at most"):
        CoopModel(rng=0, **{path.replace(".", "__"): 1e308})


def _at_bounds(high: bool) -> dict:
    """Overrides setting every bounded float magnitude to its top (or its bottom)."""
    values = {}
    for row in parameter_table():
        if row["high"] in (MAX_AMOUNT, MAX_THRESHOLD, MAX_WEIGHT) or (
            row["path"] == "environment.demand_volatility"
        ):
            values[row["path"]] = row["high"] if high else row["low"]
    return values


@pytest.mark.parametrize("high", [True, False], ids=["top", "bottom"])
@pytest.mark.parametrize("mode", ["statism", "pluralism", "corporatism", "governance"])
def test_the_bounds_themselves_run_soundly(high, mode):
    overrides = _at_bounds(high)
    if not high:  # at least one goal weight must be positive
        for sector in ("government", "business", "civil_society", "community"):
            overrides[f"population.{sector}.goals.public_value"] = 1.0
    config = ModelConfig().with_overrides(
        {
            **overrides,
            "governance.mode": mode,
            **{f"population.{s}.count": 6 for s in ("government", "business")},
            **{f"population.{s}.count": 4 for s in ("civil_society", "community")},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            model = CoopModel(config=config, rng=1)
            for _ in range(8):
                model.step()
                model.check_invariants()
    assert non_finite(model) == []


def non_finite(model: CoopModel) -> list[str]:
    """Outputs holding an infinity, or a NaN where the registry says none can be missing."""
    found = []
    for level, table in (("step", model.timeseries()), ("run", pd.DataFrame([model.summary()]))):
        for name in table.columns:
            output = outputs.find(name, level)
            if (output is not None and not output.numeric) or not (
                pd.api.types.is_numeric_dtype(table[name]) or table[name].dtype == object
            ):
                continue  # text
            array = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
            may_miss = output is not None and output.nullable
            if np.isinf(array).any() or (np.isnan(array).any() and not may_miss):
                found.append(f"{level} {name}: {array.tolist()}")
    return found


def test_peak_pools_are_accounted_for_with_large_flows():
    """Found by the schema-driven test: with dues and monitoring costs of 1e5 a month, a pool of
    about 1.5 left over was compared within 1e-9 of itself, and rounding in the flows broke the
    invariant; the tolerance now scales with the flows."""
    scenario = scenario_from_dict(
        {
            "name": "drawn",
            "costs": {"monitoring": 394379.5},
            "governance": {
                "mode": "statism",
                "rules": {
                    "boundary": "statism",
                    "aggregation": "statism",
                    "information": "corporatism",
                },
            },
            "incentives": {"peak_dues": 236628.0},
        }
    )
    model = CoopModel.from_scenario(scenario)
    for _ in range(8):
        model.run_for(1)
        model.check_invariants()
