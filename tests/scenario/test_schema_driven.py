"""What validates runs (issue 19): scenarios drawn from the scenario JSON Schema itself.

Every field of ``coopsim schema`` is drawn within its bounds, each bound itself drawn often (the
extremes are where 1e308 used to validate and then fail). A drawn scenario that validates must
run a few steps with every invariant checked: no exception, no warning, no float error, no
non-finite output (a NaN only where the output registry says the value can be missing).

The strategy is written here from the schema (not hypothesis-jsonschema, which is no
dependency): it weights the bounds and keeps a run small. Two things are drawn narrower than the
schema allows, and why: organisations per sector (0–12 of up to 200,000) and ``steps`` (the run
length; a few steps are run whatever it says), because their size is what the performance
benchmarks measure, and at full size a few hundred examples would take hours.

300 examples here (``make test``, about 10 s on one core); set ``COOPSIM_FUZZ_EXAMPLES`` for a
long run, as the loader's fuzz test does. Against the bounds before issue 19 it fails at once
(overflow in the first steps).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from coopsim.model import CoopModel, outputs
from coopsim.scenario import ScenarioError, scenario_from_dict
from coopsim.scenario.schema import json_schema

EXAMPLES = int(os.environ.get("COOPSIM_FUZZ_EXAMPLES", "300"))
STEPS_RUN = 6
SCHEMA = json_schema()
# Paths (property names from the root, ``*`` for any key) drawn narrower than the schema says.
NARROWER = {
    ("population", "*", "count"): st.integers(0, 12),
    ("steps",): st.integers(1, 24),
    ("name",): st.just("drawn"),
    ("description",): st.text(max_size=40),
}
MAX_ITEMS = 3  # shocks, reforms, lists: a few


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**SCHEMA["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _narrower(path: tuple[str, ...]):
    for pattern, strategy in NARROWER.items():
        if len(pattern) == len(path) and all(
            p in ("*", q) for p, q in zip(pattern, path, strict=True)
        ):
            return strategy
    return None


def _number(node: dict[str, Any], integer: bool):
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if integer:
        low = -(2**63) if low is None else int(low) + ("exclusiveMinimum" in node)
        high = 2**63 - 1 if high is None else int(high) - ("exclusiveMaximum" in node)
        return st.sampled_from([low, high]) | st.integers(low, high)
    inner = st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min="exclusiveMinimum" in node,
        exclude_max="exclusiveMaximum" in node,
    )
    bounds = [
        b
        for b, key in ((low, "minimum"), (high, "maximum"))
        if b is not None and key in node and math.isfinite(b)
    ]
    return st.sampled_from(bounds) | inner if bounds else inner


def strategy(node: dict[str, Any], path: tuple[str, ...] = ()):
    """Values valid for the schema ``node`` (as far as the schema alone says)."""
    special = _narrower(path)
    if special is not None:
        return special
    node = _resolve(node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return st.one_of([strategy(option, path) for option in node[key]])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([strategy({**node, "type": k}, path) for k in kind])
    if kind == "object":
        properties = node.get("properties", {})
        required = set(node.get("required", ()))
        drawn = {k: strategy(v, (*path, k)) for k, v in properties.items()}
        free = node.get("additionalProperties")
        if not properties and isinstance(free, dict):  # a mapping of names to values
            return st.dictionaries(
                st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z"),
                strategy(free, (*path, "*")),
                max_size=MAX_ITEMS,
            )
        return st.fixed_dictionaries(
            {k: s for k, s in drawn.items() if k in required},
            optional={k: s for k, s in drawn.items() if k not in required},
        )
    if kind == "array":
        items = node.get("items", {})
        low = node.get("minItems", 0)
        high = min(node.get("maxItems", MAX_ITEMS), max(low, MAX_ITEMS))
        if isinstance(items, dict):
            return st.lists(strategy(items, (*path, "*")), min_size=low, max_size=high)
        return st.tuples(*(strategy(i, (*path, "*")) for i in node.get("prefixItems", []))).map(
            list
        )
    if kind == "integer":
        return _number(node, integer=True)
    if kind == "number":
        return _number(node, integer=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= node.get("maxLength", 64)
            )
        return st.text(
            min_size=node.get("minLength", 0), max_size=min(node.get("maxLength", 40), 40)
        )
    raise AssertionError(f"{'.'.join(path)}: a schema node this test cannot draw: {node}")


SCENARIOS = strategy(SCHEMA)


def non_finite(model: CoopModel) -> list[str]:
    """Outputs holding an infinity, or a NaN where the registry says none can be missing."""
    found = []
    for level, table in (("step", model.timeseries()), ("run", pd.DataFrame([model.summary()]))):
        for name in table.columns:
            output = outputs.find(name, level)
            if (output is not None and not output.numeric) or not (
                pd.api.types.is_numeric_dtype(table[name]) or table[name].dtype == object
            ):
                continue
            values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
            may_miss = output is not None and output.nullable
            if np.isinf(values).any() or (np.isnan(values).any() and not may_miss):
                found.append(f"{level} {name}")
    return found


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(SCENARIOS)
def test_a_scenario_the_schema_admits_runs_soundly(data):
    try:
        scenario = scenario_from_dict(data)
    except ScenarioError:
        event("refused by a rule across fields (the schema alone cannot say)")
        assume(False)
    event("valid: run")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            model = CoopModel.from_scenario(scenario)
            for _ in range(STEPS_RUN):
                model.run_for(1)
                model.check_invariants()
            problems = non_finite(model)
    assert problems == [], problems
