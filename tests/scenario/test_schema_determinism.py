"""The schema and the parameter table do not depend on the order modules are imported in.

``Annotated[float, Ge(0)]`` (pydantic's ``NonNegativeFloat``) and the config's
``Annotated[float, Ge(0.0)]`` compare equal, so ``typing`` caches them as one object: whichever
module is imported first decides whether a bound is ``0`` or ``0.0``. Each order runs in a fresh
interpreter, since the cache lives for the life of one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from coopsim.scenario import json_schema, sweep_json_schema

SCRIPT = """
import {first}
import {second}
import contextlib, io, json
from coopsim.cli import main
from coopsim.model.config import parameter_table
out = {{}}
for args in (["schema"], ["schema", "--sweep"]):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
        main(args)
    out[" ".join(args)] = buffer.getvalue()
out["table"] = [[r["path"], repr(r["low"]), repr(r["high"])] for r in parameter_table()]
print(json.dumps(out))
"""


def _in_fresh_interpreter(first: str, second: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(first=first, second=second)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _int_bounds_of_numbers(node: object, where: str = "") -> list[str]:
    """Places where a ``"type": "number"`` schema has a bound written as an integer."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "number":
            found += [
                f"{where}/{key}"
                for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                if type(node.get(key)) is int
            ]
        for key, value in node.items():
            found += _int_bounds_of_numbers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _int_bounds_of_numbers(value, f"{where}/{i}")
    return found


@pytest.fixture(scope="module")
def both_orders() -> tuple[dict[str, object], dict[str, object]]:
    pydantic_first = _in_fresh_interpreter("pydantic.types", "coopsim.model.config")
    coopsim_first = _in_fresh_interpreter("coopsim.model.config", "pydantic.types")
    return pydantic_first, coopsim_first


def test_coopsim_schema_is_the_same_whichever_module_is_imported_first(both_orders):
    pydantic_first, coopsim_first = both_orders
    for key in ("schema", "schema --sweep"):
        assert pydantic_first[key], key
        assert pydantic_first[key] == coopsim_first[key], key
    schema = json.loads(pydantic_first["schema"])
    assert not _int_bounds_of_numbers(schema)
    assert schema["$defs"]["Behaviour"]["properties"]["noise"]["minimum"] == 0.0


def test_parameter_table_is_the_same_whichever_module_is_imported_first(both_orders):
    pydantic_first, coopsim_first = both_orders
    assert pydantic_first["table"] == coopsim_first["table"]
    lows = {path: low for path, low, _ in pydantic_first["table"]}
    assert lows["behaviour.noise"] == "0.0"  # a float field: a float bound, as the ODD writes it
    assert lows["population.business.count"] == "0"  # an int field keeps an int bound


def test_float_bounds_are_floats_in_this_process_too():
    assert not _int_bounds_of_numbers(json_schema())
    assert not _int_bounds_of_numbers(sweep_json_schema())
