"""Recovery of known parameters (simulation-based calibration): data simulated at true values,
calibrated, and the truth looked for in the posterior intervals.

``recovery_spec`` builds the small problem that ``make test`` runs and the coverage study repeats
(experiments/calibration/recovery.py): 20 organisations, 60 months, two parameters
(``partnerships.completion_value`` and ``trust.gain``) and three run outputs as targets, observed
as the mean of four replicate runs at the true values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from coopsim.calibration.worker import Plan, simulate
from coopsim.scenario.calibration import calibration_from_dict

__all__ = ["PRIORS", "SCENARIO", "TOLERANCES", "TRUTH", "recovery_spec"]

SCENARIO: dict[str, Any] = {
    "name": "recovery",
    "seed": 1,
    "steps": 60,
    "population": {
        "government": {"count": 4},
        "business": {"count": 8},
        "civil_society": {"count": 8},
    },
    "metrics": {"window": 24},
}
PRIORS: dict[str, dict[str, float]] = {
    "partnerships.completion_value": {"low": 10.0, "high": 60.0},
    "trust.gain": {"low": 0.01, "high": 0.3},
}
TRUTH: dict[str, float] = {"partnerships.completion_value": 30.0, "trust.gain": 0.08}
TOLERANCES: dict[str, float] = {
    "mean_trust": 0.03,
    "partnerships_completed": 2.0,
    "partnerships_formed": 3.0,
}


def recovery_spec(
    truth: Mapping[str, float] = TRUTH,
    *,
    seed: int = 7,
    data_seed: int = 12345,
    evaluations: int = 400,
    population: int = 30,
    draws: int = 10,
) -> dict[str, Any]:
    """A calibration (as plain data) whose targets were simulated at ``truth``."""
    spec: dict[str, Any] = {
        "name": "recovery",
        "description": "Synthetic data simulated at known parameter values.",
        "scenario": copy.deepcopy(SCENARIO),
        "calibration": {
            "priors": copy.deepcopy(PRIORS),
            "targets": {
                name: {
                    "output": name,
                    "observed": 0.0,
                    "tolerance": tolerance,
                    "source": "synthetic: the model at the true values",
                }
                for name, tolerance in TOLERANCES.items()
            },
            "replicates": 1,
            "seed": seed,
            "budget": {"evaluations": evaluations, "population": population},
            "check": {"draws": draws},
        },
    }
    calibration = calibration_from_dict(spec)
    observed = simulate(Plan.of(calibration, calibration.targets, 4), dict(truth), data_seed)
    for name in TOLERANCES:
        spec["calibration"]["targets"][name]["observed"] = observed[name]
    return spec
