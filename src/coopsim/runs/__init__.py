"""Running scenarios: one run to a run directory, or several modes and seeds to a comparison.

Scripts and notebooks call these as the CLI does::

    from coopsim.runs import compare_modes, run_scenario
    from coopsim.scenario import load_scenario

    path = run_scenario(load_scenario("scenarios/kobe_1995.yaml"), out="runs")
"""

from coopsim.runs.compare import compare_modes, replicate_seeds
from coopsim.runs.run import Interrupted, RunTables, run_scenario, simulate

__all__ = [
    "Interrupted",
    "RunTables",
    "compare_modes",
    "replicate_seeds",
    "run_scenario",
    "simulate",
]
