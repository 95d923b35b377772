"""Sweep files: validation with places, unknown keys and paths, `set:`, round trips, fuzzing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopsim.experiments import sweep_digest
from coopsim.scenario import ScenarioError
from coopsim.scenario.sweep import (
    dump_sweep,
    is_sweep_file,
    load_sweep,
    parse_sweep,
    sweep_from_dict,
    sweep_warnings,
)

REPO = Path(__file__).resolve().parents[2]
BUNDLED = sorted((REPO / "experiments" / "sweeps").glob("*.yaml"))

GOOD = """\
base: base.yaml
sweep:
  design: grid
  replicates: 2
  parameters:
    governance.mode: [statism, governance]
    turnover.rate: {low: 0.0, high: 0.2, num: 3}
"""
# The same sweep varying how many community organisations there are (none in the base).
COMMUNITY = GOOD.replace(
    "governance.mode: [statism, governance]", "population.community.count: [0, 2]"
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: base\nsteps: 10\npopulation: {government: {count: 2}, business: {count: 3}}\n"
    )
    return tmp_path


def _problems(text: str, folder: Path, name: str = "s.yaml") -> list[str]:
    path = folder / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    return [p.render() for p in info.value.problems]


def test_a_valid_file_resolves_its_base_beside_it(folder):
    (folder / "s.yaml").write_text(GOOD)
    sweep = load_sweep(folder / "s.yaml")
    assert sweep.name == "base" and sweep.scenario.steps == 10
    assert sweep.n_points == 6 and sweep.n_runs == 12
    assert sweep.seed == sweep.scenario.seed  # default root: the scenario's seed
    assert "sustainability_index" in sweep.outputs
    assert is_sweep_file(folder / "s.yaml") and not is_sweep_file(folder / "base.yaml")


def test_problems_name_file_line_column_and_path(folder):
    text = GOOD.replace("  design: grid\n", "  desgin: grid\n")
    assert _problems(text, folder) == [
        f"{folder / 's.yaml'}:3:3: sweep.desgin: unknown key: did you mean 'design'?"
    ]
    text = GOOD.replace("turnover.rate:", "turnover.rat:")
    (problem,) = _problems(text, folder)
    assert problem.endswith(
        ":7:5: sweep.parameters.turnover.rat: no scenario field 'rat' in turnover: "
        "did you mean 'rate'?"
    )
    text = GOOD.replace("high: 0.2", "high: 2")
    (problem,) = _problems(text, folder)
    assert problem.endswith(
        ":7:37: sweep.parameters.turnover.rate.high: must be at most 1.0 (got 2)"
    )
    text = GOOD.replace("[statism, governance]", "[statism, govrnance]")
    (problem,) = _problems(text, folder)
    assert ":6:32: sweep.parameters.governance.mode.1: must be one of" in problem


def test_a_base_path_too_long_for_the_file_system_is_a_problem_in_place(folder):
    long = "b" * 300 + ".yaml"  # longer than a file name may be (255 bytes on common systems)
    (problem,) = _problems(GOOD.replace("base.yaml", long), folder)
    assert problem.startswith(
        f"{folder / 's.yaml'}:1:7: base: cannot read the file: File name too long (got 'bbb"
    )
    with pytest.raises(ScenarioError, match="base: cannot read the file: File name too long"):
        sweep_from_dict({**yaml.safe_load(GOOD), "base": long}, base_dir=folder)


def test_every_problem_is_reported_at_once(folder):
    text = GOOD.replace("  replicates: 2\n", "  replicates: 0\n  samples: x\n").replace(
        "governance.mode", "governance.moed"
    )
    problems = _problems(text, folder)
    assert len(problems) == 3
    assert any("replicates: must be at least 1" in p for p in problems)
    assert any("samples: must be a whole number" in p for p in problems)
    assert any("did you mean 'mode'" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"design": "sobol", "samples": 12}, "needs a power of 2"),
        ({"design": "lhs"}, "a lhs design needs `samples`"),
        ({"design": "morris", "samples": 4, "levels": 3}, "levels must be even"),
        ({"parameters": {"seed": [1, 2]}}, "cannot be varied"),
        ({"parameters": {"shocks.0.severity": [0.1]}}, "has 0 item(s)"),
        ({"parameters": {"incentives.graduated": {"low": 0, "high": 1}}}, "needs a numeric"),
        ({"parameters": {"turnover.rate": {"low": 0.3, "high": 0.1}}}, "low must be below"),
        ({"parameters": {"trust.gain": {"low": 0, "high": 0.5, "scale": "log"}}}, "log scale"),
        ({"parameters": {"turnover.rate": {"low": 0, "high": 0.2}}}, "needs `num`"),
        ({"parameters": {}}, "at least one parameter"),
        ({"outputs": ["sustainability_idx"]}, "did you mean 'sustainability_index'"),
        ({"timeseries": ["mean_trusts"]}, "not a time-series column"),
        ({"parameters": {"population.business.count": {"low": 1.5, "high": 3}}}, "whole number"),
    ],
)
def test_design_and_parameter_checks(folder, change, message):
    data = yaml.safe_load(GOOD)
    data["sweep"].update(change)
    problems = _problems(yaml.safe_dump(data), folder)
    assert any(message in p for p in problems), problems


def test_output_names_are_checked_against_the_registry_at_their_place(folder):
    text = GOOD + "  outputs: [mean_trust, sustainability_idx]\n"
    assert _problems(text, folder) == [
        f"{folder / 's.yaml'}:8:25: sweep.outputs.1: not an indicator: "
        "did you mean 'sustainability_index'? (got 'sustainability_idx')"
    ]
    text = GOOD + "  timeseries: [mean_trust, trust_business_community]\n"
    (problem,) = _problems(text, folder)  # the base has no community organisations
    assert problem.startswith(f"{folder / 's.yaml'}:8:28: sweep.timeseries.1: never recorded")
    (folder / "s.yaml").write_text(COMMUNITY + "  timeseries: [trust_business_community]\n")
    assert load_sweep(folder / "s.yaml").timeseries == ("trust_business_community",)


def test_all_time_series_columns_are_those_of_the_sectors_some_run_has(folder):
    (folder / "s.yaml").write_text(GOOD + "  timeseries: true\n")
    kept = load_sweep(folder / "s.yaml").timeseries
    assert "trust_government_business" in kept and "step" not in kept and "mode" in kept
    assert not [c for c in kept if c.startswith("trust_") and "community" in c]
    (folder / "s.yaml").write_text(COMMUNITY + "  timeseries: true\n")
    assert "trust_community_community" in load_sweep(folder / "s.yaml").timeseries


def test_inline_scenario_and_set_problems_point_into_the_sweep_file(folder):
    text = (
        "scenario:\n  name: x\n  population: {business: {count: '3'}}\n"
        "sweep: {parameters: {turnover.rate: [0.1]}}\n"
    )
    (problem,) = _problems(text, folder)
    assert problem.startswith(f"{folder / 's.yaml'}:3:")
    assert "scenario.population.business.count: must be a whole number" in problem
    text = GOOD.replace("sweep:\n", "set:\n  steps: 24\n  trust.gain: 3\nsweep:\n", 1)
    (problem,) = _problems(text, folder)
    assert problem.startswith(f"{folder / 's.yaml'}:4:15: trust.gain: must be at most 1.0")
    text = GOOD.replace("sweep:\n", "set:\n  steps: 24\nsweep:\n", 1)
    (folder / "t.yaml").write_text(text)
    assert load_sweep(folder / "t.yaml").scenario.steps == 24


def test_problems_inside_values_name_the_scenario_section_and_the_deeper_union_arm(folder):
    text = GOOD.replace("governance.mode: [statism, governance]", "governance: [{mod: statism}]")
    (problem,) = _problems(text, folder)
    assert problem.endswith(
        ":6:19: sweep.parameters.governance.0.mod: unknown key: did you mean 'mode'?"
    )
    text = GOOD.replace("  replicates: 2\n", "  replicates: 2\n  timeseries: [3]\n")
    (problem,) = _problems(text, folder)  # not also "timeseries: must be true or false"
    assert problem.endswith(":5:16: sweep.timeseries.0: must be text (got 3)")


def test_resolved_sweep_round_trips(folder):
    (folder / "s.yaml").write_text(
        GOOD.replace("design: grid", "design: sobol\n  samples: 8").replace(", num: 3", "")
        + "  outputs: [mean_trust]\n  timeseries: true\n  every: 3\n"
    )
    sweep = load_sweep(folder / "s.yaml")
    again = parse_sweep(dump_sweep(sweep, header="resolved"), "again.yaml")
    assert again.to_data() == sweep.to_data()
    assert sweep_digest(again) == sweep_digest(sweep)
    assert sweep.n_points == 8 * (2 * 2 + 2)


def test_warnings_for_valid_but_odd_files(folder):
    data = yaml.safe_load(GOOD)
    data["sweep"]["samples"] = 10
    data["sweep"]["parameters"]["governance.mode"] = ["statism", "statism"]
    (folder / "s.yaml").write_text(yaml.safe_dump(data))
    warnings = sweep_warnings(load_sweep(folder / "s.yaml"))
    assert any("samples is unused" in w for w in warnings)
    assert any("listed twice" in w for w in warnings)


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_sweep_files_are_valid_and_small_by_default(path):
    sweep = load_sweep(path)
    assert sweep.n_runs <= 400  # the scripts' default size: minutes on two cores
    assert not [w for w in sweep_warnings(sweep) if not w.startswith("scenario:")]


_BASE = {
    "scenario": {"name": "f", "steps": 5, "population": {"government": {"count": 2}}},
    "sweep": {
        "design": "lhs",
        "samples": 4,
        "parameters": {"turnover.rate": {"low": 0.0, "high": 0.2}, "governance.mode": ["statism"]},
        "outputs": ["mean_trust"],
    },
}
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(-1e3, 1e3, allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sweep_files_are_valid_or_clean_errors(data):
    doc = copy.deepcopy(_BASE)
    paths = [p for p in _paths(doc) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        node = doc
        for key in path[:-1]:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            if data.draw(st.booleans()):
                node[path[-1]] = data.draw(_JSON)
            else:
                node.pop(path[-1], None)
                node[data.draw(st.text(min_size=1, max_size=10))] = data.draw(_JSON)
    try:
        sweep = sweep_from_dict(doc)
    except ScenarioError as exc:
        assert exc.problems and all(p.render() for p in exc.problems)
    else:
        assert sweep.n_runs >= 0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_random_text_is_refused_cleanly(text):
    try:
        parse_sweep(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert all(p.render().startswith("fuzz.yaml") for p in exc.problems)


def test_the_scenario_package_offers_the_sweep_loader():
    import coopsim.scenario
    import coopsim.scenario.sweep

    for name in ("Sweep", "load_sweep", "parse_sweep", "sweep_from_dict", "sweep_warnings"):
        assert getattr(coopsim.scenario, name) is getattr(coopsim.scenario.sweep, name)
    assert name in coopsim.scenario.__all__


def test_json_schema_of_sweep_files():
    from coopsim.scenario.sweep import sweep_json_schema

    schema = sweep_json_schema()
    json.dumps(schema)
    assert schema["additionalProperties"] is False and "sweep" in schema["required"]


def test_sweep_sizes_beyond_the_documented_limits_are_refused_in_place(folder):
    """Replicates, values per parameter and total runs each have a limit with a clear message."""
    too_many = GOOD.replace("replicates: 2", "replicates: 10001")
    (problem,) = _problems(too_many, folder)
    assert "s.yaml:4" in problem and "sweep.replicates" in problem and "10000" in problem
    huge = GOOD.replace("replicates: 2", "replicates: 10000").replace(
        "{low: 0.0, high: 0.2, num: 3}", "{low: 0.0, high: 0.2, num: 101}"
    )  # 2 × 101 points × 10,000 replicates = 2,020,000 runs
    (problem,) = _problems(huge, folder)
    assert "2,020,000 runs" in problem and "the limit is 2,000,000" in problem
    values = GOOD.replace("num: 3", "num: 10001")
    (problem,) = _problems(values, folder)
    assert "s.yaml:7" in problem and ".num: must be at most 10,000" in problem


def test_two_parameters_that_set_the_same_field_are_refused(folder):
    """`turnover.rate` and `turnover` both set the rate: the results would claim values no run
    used (issue 19, 2). Refused at the second one's place."""
    text = (
        "base: base.yaml\nsweep:\n  design: grid\n  parameters:\n"
        "    turnover.rate: [0.1, 0.2]\n"
        "    turnover: [{rate: 0.3, handover: 0.5}]\n"
    )
    (problem,) = _problems(text, folder)
    assert problem.endswith(
        ":6:5: sweep.parameters.turnover: sets the same field as turnover.rate: "
        "vary one of them, or the whole part once"
    )
