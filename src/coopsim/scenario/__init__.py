"""Scenario and sweep files: the schema, safe YAML loading with line numbers, resolved files.

Both kinds of file report every problem as ``ScenarioError`` (``FILE:LINE:COL: path: message``).
"""

from coopsim.scenario.loader import (
    Override,
    Problem,
    ScenarioError,
    dump_scenario,
    load_scenario,
    parse_override,
    parse_scenario,
    scenario_from_dict,
    scenario_warnings,
)
from coopsim.scenario.schema import Output, Scenario, json_schema, scenario_to_dict
from coopsim.scenario.sweep import (
    Sweep,
    dump_sweep,
    is_sweep_file,
    load_sweep,
    parse_sweep,
    sweep_from_dict,
    sweep_json_schema,
    sweep_warnings,
)

__all__ = [
    "Output",
    "Override",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Sweep",
    "dump_scenario",
    "dump_sweep",
    "is_sweep_file",
    "json_schema",
    "load_scenario",
    "load_sweep",
    "parse_override",
    "parse_scenario",
    "parse_sweep",
    "scenario_from_dict",
    "scenario_to_dict",
    "scenario_warnings",
    "sweep_from_dict",
    "sweep_json_schema",
    "sweep_warnings",
]
