"""Means with confidence intervals and effect sizes between modes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coopsim.runs.stats import a12, a12_magnitude, comparison_table, effects_table, mean_ci


def test_mean_ci_is_a_student_t_interval():
    n, mean, sd, low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (n, mean) == (4, 2.5)
    assert sd == pytest.approx(1.2909944)
    assert high - mean == pytest.approx(3.182446 * sd / 2, rel=1e-5)
    assert mean - low == pytest.approx(high - mean)


def test_mean_ci_against_the_t_table():
    # n = 4: t(0.975, 3) = 3.182446; sd = sqrt(5/3), half-width = t · sd / 2
    _, _, _, low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert (low, high) == pytest.approx((0.4457397, 4.5542603), abs=1e-7)
    # n = 10, mean 0, sd 1: t(0.95, 9) = 1.833113 at the 90% level
    x = np.array([-1.5, -1.0, -0.5, -0.25, 0.0, 0.0, 0.25, 0.5, 1.0, 1.5])
    x = x / x.std(ddof=1)
    _, _, _, low, high = mean_ci(x, level=0.90)
    assert (low, high) == pytest.approx((-1.833113 / math.sqrt(10), 1.833113 / math.sqrt(10)))


def test_mean_ci_of_equal_values_is_the_point():
    assert mean_ci([2.5, 2.5, 2.5]) == (3, 2.5, 0.0, 2.5, 2.5)


def test_mean_ci_with_few_or_missing_values():
    assert mean_ci([5.0])[:2] == (1, 5.0) and math.isnan(mean_ci([5.0])[3])
    assert mean_ci([math.nan, 2.0, 4.0])[:2] == (2, 3.0)
    assert mean_ci([])[0] == 0


def test_a12_known_values():
    assert a12([3, 4, 5], [0, 1, 2]) == 1.0
    assert a12([0, 1, 2], [3, 4, 5]) == 0.0
    assert a12([1, 2], [1, 2]) == 0.5
    assert a12([1, 2, 3], [2]) == pytest.approx(0.5)
    assert math.isnan(a12([], [1]))
    assert [a12_magnitude(v) for v in (0.5, 0.6, 0.67, 0.8, 0.1)] == [
        "negligible",
        "small",
        "medium",
        "large",
        "large",
    ]


def test_a12_of_samples_counted_by_hand():
    # x = 1, 2, 3, 4 against y = 2, 2, 5: wins 0 + 0 + 2 + 2, ties 0 + 2 + 0 + 0 of 12 pairs
    assert a12([1, 2, 3, 4], [2, 2, 5]) == pytest.approx(5 / 12)
    assert a12([2, 2, 5], [1, 2, 3, 4]) == pytest.approx(7 / 12)


@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=15),
    st.lists(st.integers(-3, 3), min_size=1, max_size=15),
)
def test_a12_is_wins_plus_half_ties_over_pairs(x, y):
    wins = sum(a > b for a in x for b in y)
    ties = sum(a == b for a in x for b in y)
    assert a12(x, y) == pytest.approx((wins + ties / 2) / (len(x) * len(y)))


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
)
def test_a12_is_a_probability_and_antisymmetric(x, y):
    value = a12(x, y)
    assert 0.0 <= value <= 1.0
    assert value + a12(y, x) == pytest.approx(1.0)


def test_tables_pair_modes_by_seed():
    summaries = pd.DataFrame(
        {
            "mode": ["statism"] * 3 + ["governance"] * 3,
            "seed": [1, 2, 3] * 2,
            "sustainability_index": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
            "shock_depth": [None] * 6,
            "label": ["x"] * 6,
        }
    )
    table = comparison_table(summaries, ["statism", "governance"])
    assert set(table.indicator) == {"sustainability_index"}
    assert table.set_index("mode").loc["governance", "mean"] == pytest.approx(0.6)
    effects = effects_table(summaries, ["statism", "governance"])
    row = effects.iloc[0]
    assert row["mean_diff"] == pytest.approx(-0.3)
    assert row["diff_ci_low"] == pytest.approx(-0.3) and row["diff_ci_high"] == pytest.approx(-0.3)
    assert row["a12"] == 0.0 and row["a12_magnitude"] == "large"
    assert np.isfinite(row["n_pairs"])
