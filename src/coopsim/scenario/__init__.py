"""Scenario files: the schema, safe YAML loading with line numbers, and resolved scenarios."""

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

__all__ = [
    "Output",
    "Override",
    "Problem",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "json_schema",
    "load_scenario",
    "parse_override",
    "parse_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "scenario_warnings",
]
