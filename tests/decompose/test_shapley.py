"""The attribution on synthetic composition tables (no model): bit *i* of a column's index is
slot *i* switched to the second mode's rule."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coopsim.experiments import shapley


def table(k: int, value) -> np.ndarray:
    """A composition table from ``value(switched)``, switched the set of slot indices."""
    return np.array(
        [value({i for i in range(k) if mask >> i & 1}) for mask in range(1 << k)], dtype=float
    )


def brute_force_shapley(values: np.ndarray) -> np.ndarray:
    """Each slot's marginal effect, averaged over every order of switching the slots."""
    k = len(values).bit_length() - 1
    total = np.zeros(k)
    for order in itertools.permutations(range(k)):
        mask = 0
        for slot in order:
            total[slot] += values[mask | 1 << slot] - values[mask]
            mask |= 1 << slot
    return total / math.factorial(k)


def test_additive_effects_are_recovered_exactly():
    effects = np.array([0.3, -0.2, 0.05, 0.0, 1.5, -0.7, 0.125])
    values = table(7, lambda s: 2.0 + sum(effects[i] for i in s))
    for found in (
        shapley.shapley_values(values),
        shapley.effects_in_first(values),
        shapley.effects_in_second(values),
    ):
        np.testing.assert_allclose(found, effects, rtol=0, atol=1e-12)
    dividends = shapley.harsanyi_dividends(values)
    sizes = shapley.coalition_sizes(7)
    np.testing.assert_allclose(dividends[sizes == 1], effects, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dividends[sizes >= 2], 0.0, rtol=0, atol=1e-12)
    assert shapley.interaction(values) == pytest.approx(0.0, abs=1e-12)


def test_a_pure_two_slot_interaction_is_split_equally_between_the_two():
    values = table(5, lambda s: 0.8 if {1, 3} <= s else 0.0)
    np.testing.assert_allclose(
        shapley.shapley_values(values), [0.0, 0.4, 0.0, 0.4, 0.0], rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(shapley.effects_in_first(values), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        shapley.effects_in_second(values), [0.0, 0.8, 0.0, 0.8, 0.0], atol=1e-12
    )
    dividends = shapley.harsanyi_dividends(values)
    assert dividends[0b01010] == pytest.approx(0.8)
    assert np.count_nonzero(np.abs(dividends) > 1e-12) == 1
    assert shapley.interaction(values) == pytest.approx(0.8)  # all of the difference


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_shapley_values_equal_brute_force_enumeration_of_all_slot_orderings(k):
    rng = np.random.default_rng(100 + k)
    for _ in range(5):
        values = rng.normal(size=1 << k)
        np.testing.assert_allclose(
            shapley.shapley_values(values), brute_force_shapley(values), rtol=1e-12, atol=1e-12
        )


composition_tables = st.integers(1, 7).flatmap(
    lambda k: arrays(
        np.float64, 1 << k, elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
    )
)


@settings(max_examples=60, deadline=None)
@given(composition_tables)
def test_dividends_and_shapley_values_sum_to_the_difference(values):
    total = values[-1] - values[0]
    dividends = shapley.harsanyi_dividends(values)
    scale = 1e-9 * max(1.0, float(np.abs(values).max()))
    assert dividends[0] == values[0]
    assert dividends[1:].sum() == pytest.approx(total, abs=scale)
    assert shapley.shapley_values(values).sum() == pytest.approx(total, abs=scale)
    sizes = shapley.coalition_sizes(len(values).bit_length() - 1)
    assert shapley.interaction(values) == pytest.approx(dividends[sizes >= 2].sum(), abs=scale)
    # Möbius inversion: every composition's value is the sum of its subsets' dividends.
    masks = np.arange(len(values))
    rebuilt = [dividends[(masks & m) == masks].sum() for m in masks]
    np.testing.assert_allclose(rebuilt, values, rtol=0, atol=scale)


def test_tables_of_many_seeds_are_attributed_seed_by_seed():
    rng = np.random.default_rng(7)
    per_seed = rng.normal(size=(6, 8))
    np.testing.assert_allclose(
        shapley.shapley_values(per_seed), [brute_force_shapley(row) for row in per_seed]
    )
    # The attribution is linear: the mean table's values are the seeds' values averaged.
    np.testing.assert_allclose(
        shapley.shapley_values(per_seed.mean(axis=0)),
        shapley.shapley_values(per_seed).mean(axis=0),
    )


@pytest.mark.parametrize("columns", [1, 3, 6, 1 << 17])
def test_a_table_needs_a_power_of_two_columns(columns):
    with pytest.raises(ValueError, match="2\\*\\*k columns"):
        shapley.shapley_values(np.zeros(columns))
