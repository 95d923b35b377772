"""Designs: the points of a sweep and the seeds of its runs, as one table.

Samplers come from the libraries that define them: ``scipy.stats.qmc.LatinHypercube`` for LHS,
SALib's Saltelli extension of Sobol' sequences (``SALib.sample.sobol``) and Morris trajectories
(``SALib.sample.morris``). They draw points in the unit cube; each parameter maps its unit
coordinate onto its values (a range, linear or log; whole numbers for integer fields; a list of
values split into equal parts). A grid is the cartesian product of the parameters' values.

Seeds: ``SeedSequence(sweep.seed).spawn(2)`` gives one stream for the design and one root for the
runs. With ``seeds: common`` (the default) replicate *r* has the same seed at every point (common
random numbers: differences between points are not noise between seeds); with ``independent``
every run has its own child.

The design table has one row per run: ``run_id`` (point × replicates + replicate), ``point``,
``replicate``, ``seed``, one column per parameter (named by its dotted path) and, for sampled
designs, ``unit:<path>`` holding the unit coordinate (what Morris analysis reads).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coopsim.scenario.sweep import Parameter, Sweep

__all__ = [
    "UNIT_PREFIX",
    "design_table",
    "grid_values",
    "is_structured",
    "point_values",
    "run_seeds",
    "salib_problem",
    "unit_points",
]

UNIT_PREFIX = "unit:"
_SEED_CHUNK = 10_000


def salib_problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem of a sweep: its parameters on the unit cube."""
    return {
        "num_vars": len(sweep.parameters),
        "names": sweep.names,
        "bounds": [[0.0, 1.0]] * len(sweep.parameters),
    }


def _streams(sweep: Sweep) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    design, runs = np.random.SeedSequence(sweep.seed).spawn(2)
    return design, runs


def unit_points(sweep: Sweep) -> np.ndarray:
    """The sampled design on the unit cube, shape (points, parameters); not for grids."""
    design_stream, _ = _streams(sweep)
    rng = np.random.default_rng(design_stream)
    d, n = len(sweep.parameters), sweep.samples or 0
    if sweep.design == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    if sweep.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(salib_problem(sweep), n, calc_second_order=sweep.second_order, seed=rng)
    if sweep.design == "morris":
        from SALib.sample import morris

        return morris.sample(salib_problem(sweep), n, num_levels=sweep.levels, seed=rng)
    raise ValueError(f"{sweep.design} is not a sampled design")


def grid_values(parameter: Parameter) -> list[Any]:
    """The values a grid takes for ``parameter``: its list, or ``num`` points over its range."""
    if parameter.values is not None:
        return list(parameter.values)
    assert parameter.num is not None and parameter.low is not None and parameter.high is not None
    if parameter.scale == "log":
        raw = np.geomspace(parameter.low, parameter.high, parameter.num)
    else:
        raw = np.linspace(parameter.low, parameter.high, parameter.num)
    if parameter.integer:
        return [int(v) for v in np.floor(raw + 0.5)]
    return [float(v) for v in raw]


def point_values(parameter: Parameter, unit: np.ndarray) -> list[Any]:
    """Values of ``parameter`` at unit coordinates ``unit`` (in [0, 1])."""
    u = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
    if parameter.values is not None:
        k = len(parameter.values)
        index = np.minimum((u * k).astype(np.int64), k - 1)
        return [parameter.values[i] for i in index]
    low, high = parameter.low, parameter.high
    assert low is not None and high is not None
    if parameter.integer:
        span = int(high) - int(low) + 1
        return [int(v) for v in np.minimum(np.floor(low + u * span), high).astype(np.int64)]
    if parameter.scale == "log":
        return [float(v) for v in np.exp(np.log(low) + u * (np.log(high) - np.log(low)))]
    return [float(v) for v in low + u * (high - low)]


def is_structured(parameter: Parameter) -> bool:
    """Whether the values are not one plain scalar type (kept as JSON text in tables)."""
    if parameter.values is None:
        return False
    kinds = {type(v) for v in parameter.values}
    return len(kinds) != 1 or not kinds <= {str, bool, int, float}


def run_seeds(sweep: Sweep) -> np.ndarray:
    """The seed of every run, in run_id order (non-negative int64)."""
    _, runs = _streams(sweep)
    n_seeds = sweep.replicates if sweep.seeds == "common" else sweep.n_runs
    out = np.empty(n_seeds, dtype=np.int64)
    done = 0
    while done < n_seeds:  # spawn in chunks: consecutive children, bounded memory
        children = runs.spawn(min(_SEED_CHUNK, n_seeds - done))
        for i, child in enumerate(children):
            out[done + i] = int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        done += len(children)
    if sweep.seeds == "common":
        return np.tile(out, sweep.n_points)
    return out


def design_table(sweep: Sweep) -> pd.DataFrame:
    """One row per run: run_id, point, replicate, seed, parameter values (and unit coordinates)."""
    reps = sweep.replicates
    columns: dict[str, Any] = {}
    if sweep.design == "grid":
        combos = list(itertools.product(*(grid_values(p) for p in sweep.parameters)))
        per_param = list(zip(*combos, strict=True)) if combos else []
        values = {p.name: list(v) for p, v in zip(sweep.parameters, per_param, strict=True)}
        unit = None
    else:
        unit = unit_points(sweep)
        values = {p.name: point_values(p, unit[:, j]) for j, p in enumerate(sweep.parameters)}
    n_points = len(next(iter(values.values()))) if values else 0
    if n_points != sweep.n_points:
        raise RuntimeError(f"design has {n_points} points, expected {sweep.n_points}")
    point = np.repeat(np.arange(n_points, dtype=np.int64), reps)
    columns["run_id"] = np.arange(n_points * reps, dtype=np.int64)
    columns["point"] = point
    columns["replicate"] = np.tile(np.arange(reps, dtype=np.int64), n_points)
    columns["seed"] = run_seeds(sweep)
    for p in sweep.parameters:
        columns[p.name] = _column(p, values[p.name], reps)
    if unit is not None:
        for j, p in enumerate(sweep.parameters):
            columns[UNIT_PREFIX + p.name] = np.repeat(unit[:, j].astype(np.float64), reps)
    return pd.DataFrame(columns)


def _column(parameter: Parameter, values: Sequence[Any], reps: int) -> Any:
    if is_structured(parameter):
        text = [json.dumps(v, sort_keys=True) for v in values]
        return pd.array(np.repeat(np.array(text, dtype=object), reps), dtype="string")
    sample = values[0] if values else None
    if isinstance(sample, bool):
        return np.repeat(np.array(values, dtype=bool), reps)
    if isinstance(sample, int):
        return np.repeat(np.array(values, dtype=np.int64), reps)
    if isinstance(sample, float):
        return np.repeat(np.array(values, dtype=np.float64), reps)
    return pd.array(np.repeat(np.array(values, dtype=object), reps), dtype="string")


def decode(parameter: Parameter, value: Any) -> Any:
    """A design-table cell back to the value the scenario field takes."""
    if is_structured(parameter):
        return json.loads(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
