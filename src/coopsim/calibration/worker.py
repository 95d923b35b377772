"""What runs on a worker: one parameter set's replicate runs, reduced to the targets' values.

A ``Plan`` carries the resolved base scenario as plain data, the priors and the targets grouped by
their scenario changes. ``simulate`` runs every group's scenario with the parameter values set as
overrides (the path of ``coopsim run --set``) on the same replicate seeds (common random numbers:
targets compared with each other see the same randomness), and returns each target's value.

The ABC sampler works on an internal scale per prior (``encode``/``decode``): the logarithm for
a log-scale prior, an index for a list of values, a real number rounded to the nearest whole
number for a whole-number field, so its perturbation kernels move in the right geometry.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coopsim.scenario.calibration import Bound, Calibration, Prior, Target
from coopsim.scenario.schema import MAX_SEED, scenario_to_dict
from coopsim.statistics import Measure, RunData

__all__ = [
    "Distance",
    "Plan",
    "Simulator",
    "decode",
    "distance",
    "encoded_bounds",
    "replicate_seeds",
    "simulate",
]

SEED_KEY = "__seed__"  # the model seed among a particle's summary statistics


def encoded_bounds(prior: Prior) -> tuple[float, float]:
    """The prior's uniform range on the sampler's scale."""
    if prior.categorical:
        return 0.0, float(len(prior.values or ()))
    assert prior.low is not None and prior.high is not None
    low, high = prior.low, prior.high
    if prior.integer:
        low, high = low - 0.5, high + 0.5
        low = max(low, 1e-9) if prior.scale == "log" else low
    if prior.scale == "log":
        return math.log(low), math.log(high)
    return low, high


def decode(prior: Prior, x: float) -> Any:
    """The scenario value of the sampler's number ``x`` for ``prior``."""
    if prior.categorical:
        values = prior.values or ()
        return values[min(max(round(x), 0), len(values) - 1)]
    value = math.exp(x) if prior.scale == "log" else float(x)
    assert prior.low is not None and prior.high is not None
    if prior.integer:
        return int(min(max(round(value), prior.low), prior.high))
    return value


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to evaluate parameter sets (picklable)."""

    base: dict[str, Any]
    priors: tuple[Prior, ...]
    groups: tuple[tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Measure], ...]], ...]
    replicates: int

    @classmethod
    def of(cls, calibration: Calibration, targets: Sequence[Target], replicates: int) -> Plan:
        grouped: dict[str, tuple[tuple, list]] = {}
        for t in targets:
            grouped.setdefault(t.group, (t.set, []))[1].append((t.name, t.measure))
        return cls(
            base=scenario_to_dict(calibration.scenario),
            priors=calibration.priors,
            groups=tuple((changes, tuple(items)) for changes, items in grouped.values()),
            replicates=replicates,
        )


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The model seeds of one evaluation's replicates, from its seed."""
    children = np.random.SeedSequence(int(seed)).spawn(replicates)
    return [int(c.generate_state(1, np.uint64)[0]) & MAX_SEED for c in children]


def simulate(plan: Plan, values: Mapping[str, Any], seed: int) -> dict[str, float]:
    """Each target's value for the parameter ``values`` (by prior name), the replicates of every
    group seeded from ``seed``."""
    from coopsim.model import CoopModel
    from coopsim.scenario import Override, scenario_from_dict

    seeds = replicate_seeds(seed, plan.replicates)
    out: dict[str, float] = {}
    for changes, measures in plan.groups:
        overrides = [Override(p.path, values[p.name], f"prior {p.name}") for p in plan.priors]
        overrides += [
            Override(tuple(int(k) if k.isdigit() else k for k in path.split(".")), v, path)
            for path, v in changes
        ]
        scenario = scenario_from_dict(plan.base, "calibration", overrides)
        needs = set().union(*(m.needs for _, m in measures))
        runs = []
        for s in seeds:
            model = CoopModel.from_scenario(dataclasses.replace(scenario, seed=s))
            model.run_for(scenario.steps)
            runs.append(
                RunData(
                    summary=model.summary(),
                    timeseries=model.timeseries() if "timeseries" in needs else None,
                    partnerships=model.partnerships() if "partnerships" in needs else None,
                )
            )
        for name, measure in measures:
            out[name] = measure.value(runs)
    return out


def _bound(bound: Bound | None, values: Mapping[str, float]) -> float | None:
    if bound is None:
        return None
    return values[bound.target] if bound.target is not None else bound.value


def distance(target: Target, values: Mapping[str, float]) -> float:
    """How far a parameter set's value of ``target`` lies from what was observed, in units of its
    ``sd`` or ``tolerance`` (0 for a bound that holds); infinite when the value is undefined."""
    v = values.get(target.name, math.nan)
    if v is None or not math.isfinite(v):
        return math.inf
    if target.observed is not None:
        return abs(v - target.observed) / target.scale
    if target.kind == "reference":
        return 0.0
    below, above = _bound(target.below, values), _bound(target.above, values)
    if (below is not None and not math.isfinite(below)) or (
        above is not None and not math.isfinite(above)
    ):
        return math.inf
    excess = max(0.0, v - below) if below is not None else 0.0
    excess += max(0.0, above - v) if above is not None else 0.0
    return excess / target.scale


def holds(target: Target, values: Mapping[str, float]) -> bool | None:
    """Whether a bound holds for these values (None when undefined or not a bound)."""
    if target.kind != "bound":
        return None
    d = distance(target, values)
    return None if not math.isfinite(d) else d == 0.0


class Distance:
    """The ABC distance: the largest target distance (1: every target within its tolerance)."""

    def __init__(self, targets: Sequence[Target]):
        self.targets = tuple(targets)

    def __call__(self, x: Mapping[str, Any], x_0: Mapping[str, Any] | None = None) -> float:
        return max(distance(t, x) for t in self.targets)


class Simulator:
    """The model pyabc calls: a parameter set on the sampler's scale → the targets' values and
    the model seed, which is drawn from the sampler's random stream (numpy's global generator,
    which pyabc uses): on one worker the calibration is reproducible from its seed."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def values(self, parameters: Mapping[str, float]) -> dict[str, Any]:
        return {p.name: decode(p, parameters[p.name]) for p in self.plan.priors}

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, Any]:
        seed = int(np.random.randint(0, MAX_SEED, dtype=np.int64))  # noqa: NPY002 (pyabc's)
        out: dict[str, Any] = dict(simulate(self.plan, self.values(parameters), seed))
        out[SEED_KEY] = seed
        return out
