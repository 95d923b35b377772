"""Fuzzing the loader: whatever the bytes, the result is a Scenario or a clean ScenarioError.

A few hundred cases here (``make test``); raise ``COOPSIM_FUZZ_EXAMPLES`` for a long fuzz run.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coopsim.scenario import ScenarioError, parse_scenario
from coopsim.scenario.schema import Scenario
from coopsim.scenario.yamlsafe import YamlRefused, decode

REPO = Path(__file__).resolve().parents[2]
SOURCES = [p.read_text() for p in sorted((REPO / "scenarios").glob("*.yaml"))]
EXAMPLES = int(os.environ.get("COOPSIM_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def outcome(text: str) -> str:
    """Load ``text``; anything but a Scenario or a ScenarioError fails the test."""
    try:
        scenario = parse_scenario(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems, "an error names at least one problem"
        for problem in exc.problems:
            line = problem.render()
            assert line.startswith("fuzz.yaml"), line
            assert "Traceback" not in line and "\n" not in line.strip(), line
        event("outcome: a clean ScenarioError")
        return "error"
    assert isinstance(scenario, Scenario)
    event("outcome: a valid scenario")
    return "ok"


TOKENS = [
    ":", "-", " ", "\n", "  ", "[", "]", "{", "}", ",", "'", '"', "&a", "*a", "!!python/object",
    "!!str", "<<", "no", "yes", "1e-3", ".nan", ".inf", "~", "#", "---", "\t", "0x1F", "1:30",
    "-1", "9" * 30, "name", "steps", "population", "count", "é", "\x00", "\ufeff", "%YAML 1.1",
]  # fmt: skip


@st.composite
def mutated(draw) -> str:
    """A bundled scenario with lines deleted, duplicated or swapped and characters spliced in."""
    lines = draw(st.sampled_from(SOURCES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "splice", "indent"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "indent":
            lines[i] = draw(st.sampled_from(["", " ", "    ", "\t"])) + lines[i].lstrip()
        else:
            at = draw(st.integers(0, len(lines[i])))
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=4))
            lines[i] = lines[i][:at] + token + lines[i][at:]
    return "".join(lines)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["statism", "governance", "government", "no", "1e-3", "all"])
)
keys = st.sampled_from(
    ["name", "steps", "seed", "population", "government", "count", "trust", "gain", "shocks",
     "at", "target", "governance", "mode", "switch", "output", "every", "x", "no"]
) | st.text(max_size=6)  # fmt: skip
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)  # fmt: skip


@FUZZ
@given(mutated())
def test_mutated_bundled_scenarios(text):
    outcome(text)


@FUZZ
@given(documents, st.booleans())
def test_random_yaml_documents(document, flow):
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    outcome(text)


@FUZZ
@given(st.dictionaries(keys, documents, max_size=6), st.sampled_from(["a", "kobe-1995", "Bad"]))
def test_random_scenario_shaped_documents(body, name):
    text = yaml.safe_dump({"name": name, **body}, allow_unicode=True)
    outcome(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=40))
def test_random_token_soup(tokens):
    outcome("".join(tokens))


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    try:
        text = decode(data)
    except YamlRefused:
        event("outcome: refused as not UTF-8 text")
        return
    outcome(text)
