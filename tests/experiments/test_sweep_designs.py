"""Each design produces the right points: grid, LHS strata, Sobol/Saltelli counts, Morris paths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coopsim.experiments import design_table
from coopsim.experiments.designs import UNIT_PREFIX, grid_values, point_values, run_seeds
from coopsim.scenario.sweep import Parameter, sweep_from_dict


@pytest.fixture
def make(tiny_sweep):
    """``make(**block)``: a validated tiny sweep."""
    return lambda **block: sweep_from_dict(tiny_sweep(**block))


RANGES = {
    "turnover.rate": {"low": 0.0, "high": 0.2},
    "trust.gain": {"low": 0.01, "high": 0.3, "scale": "log"},
    "population.civil_society.count": {"low": 2, "high": 6},
    "governance.mode": ["statism", "pluralism", "corporatism", "governance"],
}


def test_grid_is_the_cartesian_product_in_order(make):
    sweep = make(
        replicates=3,
        parameters={
            "governance.mode": ["statism", "pluralism", "governance"],
            "turnover.rate": {"low": 0.0, "high": 0.2, "num": 3},
            "population.business.count": [2, 4],
        },
    )
    design = design_table(sweep)
    assert sweep.n_points == 18 and len(design) == 54
    points = design.drop_duplicates("point")
    combos = list(
        itertools.product(["statism", "pluralism", "governance"], [0.0, 0.1, 0.2], [2, 4])
    )
    got = list(
        points[["governance.mode", "turnover.rate", "population.business.count"]].itertuples(
            index=False, name=None
        )
    )
    assert got == combos
    assert list(design["run_id"]) == list(range(54))
    assert list(design["point"]) == [i // 3 for i in range(54)]
    assert list(design["replicate"]) == [i % 3 for i in range(54)]
    assert not any(c.startswith(UNIT_PREFIX) for c in design.columns)


def test_lhs_puts_one_point_in_each_stratum_of_every_parameter(make):
    n = 20
    sweep = make(design="lhs", samples=n, replicates=1, parameters=RANGES)
    design = design_table(sweep)
    assert len(design) == n
    for name in RANGES:
        unit = design[UNIT_PREFIX + name].to_numpy()
        strata = np.floor(unit * n).astype(int)
        assert sorted(strata) == list(range(n)), name
    assert design["turnover.rate"].between(0.0, 0.2).all()
    assert design["trust.gain"].between(0.01, 0.3).all()
    counts = design["population.civil_society.count"]
    assert counts.dtype == np.int64 and set(counts) <= {2, 3, 4, 5, 6}
    assert set(design["governance.mode"]) == set(RANGES["governance.mode"])


@pytest.mark.parametrize("second_order", [True, False])
def test_sobol_follows_saltelli_count(second_order, make):
    n, d = 8, len(RANGES)
    sweep = make(
        design="sobol", samples=n, replicates=2, parameters=RANGES, second_order=second_order
    )
    design = design_table(sweep)
    expected = n * (2 * d + 2) if second_order else n * (d + 2)
    assert sweep.n_points == expected
    assert len(design) == expected * 2
    unit = design.drop_duplicates("point")[[UNIT_PREFIX + p for p in RANGES]].to_numpy()
    # Saltelli blocks: A, then AB_i (A with column i from B) ..., then B.
    step = (2 * d + 2) if second_order else (d + 2)
    for block in unit.reshape(n, step, d):
        a, b = block[0], block[-1]
        for i in range(d):
            ab = block[1 + i]
            assert ab[i] == b[i]
            assert np.array_equal(np.delete(ab, i), np.delete(a, i))


def test_morris_trajectories_move_one_parameter_at_a_time(make):
    n, d = 6, len(RANGES)
    sweep = make(design="morris", samples=n, replicates=1, parameters=RANGES, levels=4)
    design = design_table(sweep)
    assert sweep.n_points == n * (d + 1) == len(design)
    unit = design[[UNIT_PREFIX + p for p in RANGES]].to_numpy()
    assert set(np.round(unit.ravel() * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}  # four levels
    for path in unit.reshape(n, d + 1, d):
        moves = np.abs(np.diff(path, axis=0)) > 1e-12
        assert (moves.sum(axis=1) == 1).all()  # one parameter per step
        assert sorted(np.argmax(moves, axis=1)) == list(range(d))  # each one once


def test_designs_are_reproducible_and_follow_the_seed(make):
    block = {"design": "lhs", "samples": 10, "parameters": RANGES}
    a = design_table(make(**block))
    b = design_table(make(**block))
    c = design_table(make(**block, seed=12))
    assert a.equals(b)
    assert not a["turnover.rate"].equals(c["turnover.rate"])


def test_seeds_common_or_independent_come_from_seed_sequence_spawn(make):
    common = make(replicates=3)
    seeds = run_seeds(common).reshape(-1, 3)
    assert (seeds == seeds[0]).all() and len(set(seeds[0])) == 3
    _, runs = np.random.SeedSequence(11).spawn(2)
    first = runs.spawn(1)[0].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)
    assert seeds[0, 0] == int(first)
    independent = run_seeds(make(replicates=3, seeds="independent"))
    assert len(set(independent)) == len(independent) == common.n_runs
    assert (independent >= 0).all()


def test_values_map_from_the_unit_interval():
    ints = Parameter("x", ("x",), low=2, high=4, integer=True)
    assert point_values(ints, np.array([0.0, 0.33, 0.34, 0.67, 0.999, 1.0])) == [2, 2, 3, 4, 4, 4]
    cats = Parameter("m", ("m",), values=("a", "b"))
    assert point_values(cats, np.array([0.0, 0.49, 0.5, 1.0])) == ["a", "a", "b", "b"]
    log = Parameter("g", ("g",), low=0.01, high=1.0, scale="log")
    assert point_values(log, np.array([0.5])) == pytest.approx([0.1])
    assert grid_values(Parameter("n", ("n",), low=1, high=5, num=3, integer=True)) == [1, 3, 5]
    assert grid_values(Parameter("r", ("r",), low=0.0, high=1.0, num=5)) == [
        0.0,
        0.25,
        0.5,
        0.75,
        1.0,
    ]
