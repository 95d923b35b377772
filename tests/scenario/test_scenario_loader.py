"""Scenario files: bundled ones validate and round-trip; bad ones get a precise, clean message."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coopsim.model.config import ModelConfig
from coopsim.scenario import (
    ScenarioError,
    dump_scenario,
    json_schema,
    load_scenario,
    parse_scenario,
    scenario_warnings,
)
from coopsim.scenario.schema import SECTIONS, Scenario
from coopsim.scenario.yamlsafe import MAX_BYTES

REPO = Path(__file__).resolve().parents[2]
BUNDLED = sorted((REPO / "scenarios").glob("*.yaml"))
CASES = {
    "baseline",
    "kobe_1995",
    "nyc_parks",
    "vietnam_sun_nutrition",
    "china_streamline_reform",
    "covid_vaccination",
    "uk_levelling_up",
}


def problems(text: str, overrides=()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.yaml", overrides)
    return [p.render() for p in info.value.problems]


def only(text: str, overrides=()) -> str:
    found = problems(text, overrides)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------------------------------
# The library


def test_the_library_holds_the_cases():
    assert {p.stem for p in BUNDLED} >= CASES


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_validates_and_round_trips(path):
    scenario = load_scenario(path)
    assert scenario.name.replace("-", "_") == path.stem
    assert len(scenario.description) > 200, (
        "a case names its source, mechanism and what to look for"
    )
    assert "#" in path.read_text(), "parameter choices are explained in comments"
    assert not scenario_warnings(scenario)
    again = parse_scenario(dump_scenario(scenario, header="resolved"), "resolved.yaml")
    assert again == scenario


def test_scenario_sections_are_the_model_sections():
    names = [f.name for f in dataclasses.fields(Scenario)]
    assert names[:4] == ["name", "description", "seed", "steps"]
    assert names[-1] == "output"
    assert tuple(names[4:-1]) == SECTIONS == tuple(f.name for f in dataclasses.fields(ModelConfig))
    scenario = parse_scenario("name: a\ntrust: {gain: 0.2}\n")
    config = scenario.model_config()
    assert isinstance(config, ModelConfig)
    assert config.trust.gain == 0.2
    assert config.population == ModelConfig().population


def test_defaults_fill_everything_but_the_name():
    scenario = parse_scenario("name: x")
    assert (scenario.seed, scenario.steps) == (0, 240)
    assert scenario.output.figures == ("png",)
    assert scenario.model_config() == ModelConfig()


def test_json_schema_is_derived_and_closed():
    schema = json_schema()
    assert schema["required"] == ["name"]
    assert set(SECTIONS) | {"name", "description", "seed", "steps", "output"} == set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        assert definition.get("additionalProperties") is False, name
    gain = schema["$defs"]["Trust"]["properties"]["gain"]
    assert gain["minimum"] == 0 and gain["maximum"] == 1 and "description" in gain


# --------------------------------------------------------------------------------------------------
# Issue 3's "must show" list, in process (the CLI tests run the same through the command)


def test_misspelt_key():
    assert only("name: a\ntrust:\n  gian: 0.1\n") == (
        "s.yaml:3:3: trust.gian: unknown key: did you mean 'gain'?"
    )


def test_misspelt_top_level_key_and_sector():
    found = problems("name: a\nstepz: 10\npopulation:\n  goverment: {count: 3}\n")
    assert found == [
        "s.yaml:2:1: stepz: unknown key: did you mean 'steps'?",
        "s.yaml:4:3: population.goverment: unknown key: did you mean 'government'?",
    ]


def test_wrong_type():
    assert (
        only("name: a\nsteps: many\n") == "s.yaml:2:8: steps: must be a whole number (got 'many')"
    )


def test_unknown_mode():
    assert only("name: a\ngovernance:\n  mode: anarchy\n") == (
        "s.yaml:3:9: governance.mode: must be one of 'statism', 'pluralism', 'corporatism' or "
        "'governance' (got 'anarchy')"
    )


def test_negative_count():
    assert only("name: a\npopulation:\n  business: {count: -3}\n") == (
        "s.yaml:3:21: population.business.count: must be at least 0 (got -3)"
    )


def test_missing_name():
    assert only("steps: 10\n") == (
        "s.yaml:1:1: name: required: a slug naming the scenario (e.g. name: kobe-1995)"
    )


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_file(text):
    assert only(text).startswith("s.yaml: the file is empty")


def test_top_level_list():
    assert only("- name: a\n- steps: 3\n") == (
        "s.yaml:1:1: the top level must be a mapping of keys (name:, steps:, population:, ...), "
        "not a list"
    )


@pytest.mark.parametrize(
    "text",
    [
        "name: a\ndescription: !!python/object/apply:os.system ['echo owned']\n",
        "!!python/object:coopsim.scenario.schema.Output {}\n",
        "name: !!python/name:os.system\n",
        "name: a\nshocks: !!python/tuple [1]\n",
    ],
)
def test_python_tags_are_refused(text):
    message = only(text)
    assert "is not allowed: scenario files hold plain data only" in message
    assert "!!python/" in message


def test_unreadable_paths(tmp_path, monkeypatch):
    with pytest.raises(ScenarioError, match=r"missing\.yaml: no such file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="is not a regular file"):
        load_scenario("/dev/null")
    with pytest.raises(ScenarioError):
        load_scenario(str(tmp_path / "a\x00b.yaml"))
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: a\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(ScenarioError, match="cannot read the file: permission denied"):
        load_scenario(secret)


# --------------------------------------------------------------------------------------------------
# YAML traps


@pytest.mark.parametrize("word,value", [("no", "false"), ("yes", "true"), ("on", "true")])
def test_booleans_where_text_is_expected_are_explained(word, value):
    message = only(f"name: a\nshocks:\n  - {{at: 5, target: {word}}}\n")
    assert message.startswith("s.yaml:3:21: shocks.0.target: must be text or a list")
    assert f"YAML reads an unquoted {word} as the boolean {value}" in message
    assert f"write '{word}' in quotes" in message


def test_boolean_key_is_explained():
    message = only("name: a\npopulation:\n  no: {count: 3}\n")
    assert message == (
        "s.yaml:3:3: the key 'no' is read by YAML as the boolean false, not as a name; "
        "write it in quotes ('no') if you mean the name"
    )


def test_boolean_where_a_number_is_expected_is_refused():
    message = only("name: a\npopulation:\n  business: {count: yes}\n")
    assert "must be a whole number; YAML reads an unquoted yes as the boolean true" in message


def test_booleans_where_booleans_are_expected_are_fine():
    assert parse_scenario("name: a\nincentives: {graduated: no}").incentives.graduated is False
    assert parse_scenario("name: a\nincentives: {graduated: on}").incentives.graduated is True


def test_exponent_numbers_are_numbers():
    scenario = parse_scenario("name: a\ntrust: {gain: 1e-3, loss: 2E-1}\nsteps: 1_000\n")
    assert scenario.trust.gain == 0.001 and scenario.trust.loss == 0.2
    assert scenario.steps == 1000


def test_quoted_numbers_are_text():
    message = only("name: a\ntrust: {gain: '1e-3'}\n")
    assert message == (
        "s.yaml:2:15: trust.gain: must be a number; it is in quotes, so it is text: "
        "write 1e-3 without quotes (got '1e-3')"
    )


def test_numbers_where_text_is_expected_are_explained():
    message = only("name: 1995\n")
    assert "YAML reads an unquoted 1995 as a number: write '1995' in quotes" in message


def test_decimal_integers_and_text_lookalikes():
    scenario = parse_scenario("name: a\nseed: 012\ndescription: 1:30 on 2024-01-01\n")
    assert scenario.seed == 12
    assert parse_scenario("name: a\ndescription: 2024-01-01").description == "2024-01-01"


def test_whole_numbers_need_no_decimal_point():
    assert "write it without a decimal point" in only("name: a\nsteps: 10.0\n")


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e400"])
def test_nan_and_infinity_are_refused(value):
    message = only(f"name: a\nenvironment: {{demand: {value}}}\n")
    assert message.startswith("s.yaml:2:23: ")
    assert "not allowed" in message or "infinite" in message


@pytest.mark.parametrize("value", ["'nan'", "'inf'", "'Infinity'"])
def test_nan_and_infinity_as_text_are_refused(value):
    assert "must be a number" in only(f"name: a\nenvironment: {{demand: {value}}}\n")


def test_duplicate_keys_are_refused():
    assert only("name: a\nsteps: 3\nsteps: 4\n") == (
        "s.yaml:3:1: duplicate key 'steps' (first written at line 2); remove one of them"
    )


def test_several_documents_are_refused():
    assert "more than one YAML document" in only("name: a\n---\nname: b\n")


@pytest.mark.parametrize(
    "tag", ["!!binary aGk=", "!!timestamp 2001-01-01", "!custom x", "!!set {}"]
)
def test_non_standard_tags_are_refused(tag):
    assert "is not allowed" in only(f"name: a\ndescription: {tag}\n")


def test_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    start = time.perf_counter()
    message = only("\n".join(lines) + "\nname: x\n")
    assert time.perf_counter() - start < 2
    assert "billion laughs" in message


def test_recursive_alias_is_refused():
    assert "recursive alias" in only("name: a\nshocks: &s [*s]\n")


def test_small_aliases_and_merge_keys_work():
    text = "name: a\nprofile: &p {count: 5, integrity: 0.9}\n"
    assert "profile: unknown key" in only(text)
    text = (
        "name: a\npopulation:\n"
        "  business: &firm {count: 5, integrity: 0.9}\n"
        "  civil_society: {<<: *firm, count: 7}\n"
    )
    scenario = parse_scenario(text)
    assert scenario.population.civil_society.count == 7
    assert scenario.population.civil_society.integrity == 0.9


def test_deep_nesting_is_refused():
    """Refused with one FILE:LINE:COL line, whichever refuses first: coopsim's depth limit or
    the YAML library's own (its wording is the library's, so only the place is pinned)."""
    flow = only("name: a\ndescription: " + "[" * 5000 + "]" * 5000 + "\n")
    assert re.fullmatch(r"s\.yaml:\d+:\d+: [^\n]+", flow), flow
    block = "name: a\ndescription:\n" + "".join("  " * i + "- \n" for i in range(1, 60))
    deep = only(block)
    assert re.fullmatch(r"s\.yaml:\d+:\d+: nesting too deep \(the limit is \d+ levels\)", deep)


def test_deep_nesting_exits_2_through_the_command(tmp_path):
    (tmp_path / "deep.yaml").write_text("name: a\ndescription: " + "[" * 5000 + "]" * 5000)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("coopsim")), "validate", "deep.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert re.fullmatch(r"deep\.yaml:\d+:\d+: [^\n]+\n", done.stderr), done.stderr
    assert not done.stdout


def test_oversized_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: a\ndescription: '" + "x" * (MAX_BYTES + 10) + "'\n")
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="file is too large"):
        load_scenario(big)
    assert time.perf_counter() - start < 1


def test_binary_and_bad_encoding_are_refused(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"name: a\n\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(path)
    assert "not allowed in YAML" in only("name: a\x00\n")


def test_syntax_errors_have_places():
    assert only("name: a\nsteps: [1, 2\n").startswith("s.yaml:3:1: YAML syntax error")
    assert only("name: a\n\tsteps: 3\n").startswith("s.yaml:2:1: YAML syntax error: a tab")


def test_every_problem_is_reported_at_once():
    found = problems(
        "name: Bad Name\nsteps: 0\npopulation:\n  business: {count: -1}\n"
        "governance: {mode: anarchy}\nshocks: [{kind: flood, at: 3}]\n"
    )
    assert [line.split(": ")[1] for line in found] == [
        "name",
        "steps",
        "population.business.count",
        "governance.mode",
        "shocks.0.kind",
    ]


def test_cross_field_problems():
    assert "size_min must not exceed size_max" in only(
        "name: a\npartnerships: {size_min: 5, size_max: 3}\n"
    )
    assert "exactly one of `at`" in only("name: a\nshocks: [{kind: budget_cut}]\n")
    assert "no organisations" in only(
        "name: a\npopulation: {government: {count: 0}, business: {count: 0}, "
        "civil_society: {count: 0}}\n"
    )
    assert only("name: a\nshocks: [{at: 3, target: goverment}]\n").startswith(
        "s.yaml:2:26: shocks.0.target: did you mean 'government'?"
    )
    assert "government has 12 (government-1 to government-12)" in only(
        "name: a\nshocks: [{at: 3, target: [government-13]}]\n"
    )


def test_limits_are_documented_in_messages():
    assert "steps: must be at most 1000000" in only("name: a\nsteps: 10000000\n")
    assert "count: must be at most 200000" in only(
        "name: a\npopulation: {business: {count: 99999999999999999999999}}\n"
    )


def test_warnings_for_things_that_never_happen():
    scenario = parse_scenario("name: a\nsteps: 50\nshocks: [{at: 60}]\nmetrics: {window: 10}\n")
    assert scenario_warnings(scenario) == [
        "shocks.0.at: step 60 is after the last step (50): it never fires"
    ]


# --------------------------------------------------------------------------------------------------
# --set overrides


def test_overrides_set_values_by_dotted_path():
    scenario = parse_scenario(
        "name: a\nshocks: [{at: 3}]\n",
        overrides=[
            "trust.gain=0.2",
            "population.business.count=7",
            "shocks.0.severity=0.9",
            "governance.switch=[{at: 10, mode: statism}]",
            "description=a text",
        ],
    )
    assert scenario.trust.gain == 0.2
    assert scenario.population.business.count == 7
    assert scenario.shocks[0].severity == 0.9
    assert scenario.governance.switch[0].mode == "statism"
    assert scenario.description == "a text"


def test_override_problems_name_the_option():
    assert only("name: a\n", ["trust.gain=abc"]) == (
        "--set trust.gain=abc: trust.gain: must be a number (got 'abc')"
    )
    assert only("name: a\n", ["trust.gian=0.1"]) == (
        "--set trust.gian=0.1: trust.gian: unknown key: did you mean 'gain'?"
    )
    assert "YAML reads an unquoted no as the boolean false" in only(
        "name: a\nshocks: [{at: 3}]\n", ["shocks.0.target=no"]
    )
    assert only("name: a\n", ["trust.gain"]).startswith("--set trust.gain: expected key.path=value")
    assert "there is no list at shocks" in only("name: a\n", ["shocks.0.severity=1"])
    assert "index 2 is past the end" in only("name: a\nshocks: [{at: 3}]\n", ["shocks.2.at=1"])
    assert "not allowed" in only("name: a\n", ["trust.gain=!!python/object:os.system x"])
    assert "NaN" in only("name: a\n", ["trust.gain=.nan"])


def test_file_problems_keep_their_lines_beside_overrides():
    found = problems("name: a\nsteps: -1\n", ["trust.gain=2"])
    assert found == [
        "s.yaml:2:8: steps: must be at least 1 (got -1)",
        "--set trust.gain=2: trust.gain: must be at most 1.0 (got 2)",
    ]


def test_overrides_do_not_change_shared_aliases():
    text = "name: a\npopulation:\n  business: &f {count: 5}\n  civil_society: *f\n"
    scenario = parse_scenario(text, overrides=["population.business.count=9"])
    assert scenario.population.business.count == 9
    assert scenario.population.civil_society.count == 5


def test_a_character_beyond_the_basic_plane_passes_through_plain_data():
    """Found by the schema-driven test (issue 19): an emoji in a description given as plain data
    (the Python API, a sweep's workers) was refused as a YAML syntax error."""
    from coopsim.scenario import scenario_from_dict

    for text in ["a😀", "\U0010ffff", "x\\ud83d\\ude00y", "\\\\😀"]:
        assert scenario_from_dict({"name": "x", "description": text}).description == text
