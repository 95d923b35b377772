"""Run indicators alone: Gini, sustainability index, Kaplan–Meier, shock depth and recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model.metrics import (
    gini,
    kaplan_meier,
    median_survival,
    shock_response,
    sustainability_index,
)

# ---- Gini -----------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[3.0] * 5, [0.0] * 4, [7.5], []])
def test_gini_of_equal_or_empty_holdings_is_zero(values):
    assert gini(np.array(values)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 100])
def test_gini_of_a_single_holder_is_n_minus_one_over_n(n):
    values = np.zeros(n)
    values[n // 2] = 4.2
    assert gini(values) == pytest.approx((n - 1) / n)


def test_gini_of_a_known_distribution():
    # mean absolute difference / (2·mean): Σ|xi−xj| = 20 over 16 pairs, mean 2.5
    assert gini(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(20 / 16 / (2 * 2.5))


def test_gini_ignores_order_and_scale_and_treats_debts_as_nothing():
    x = np.array([5.0, 0.5, 2.0, 9.0])
    assert gini(x[::-1]) == pytest.approx(gini(x))
    assert gini(3 * x) == pytest.approx(gini(x))
    assert gini(np.array([-4.0, 0.0, 2.0])) == pytest.approx(gini(np.array([0.0, 0.0, 2.0])))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(float, st.integers(1, 40), elements=st.floats(0.0, 1e6)))
def test_gini_lies_between_zero_and_one(values):
    g = gini(values)
    n = len(values)
    assert -1e-12 <= g <= (n - 1) / n + 1e-12


# ---- sustainability index -------------------------------------------------------------------


def test_sustainability_index_is_mean_minus_sd_of_the_last_window():
    participation = np.array([0.2, 1.0, 1.0, 0.5, 0.5])
    cooperation = np.array([0.1, 0.8, 0.6, 0.8, 0.6])
    s = np.array([0.8, 0.6, 0.4, 0.3])  # the last four products
    expected = s.mean() - s.std()
    assert sustainability_index(participation, cooperation, 4) == pytest.approx(expected)
    # the last two: mean 0.35, sd 0.05
    assert sustainability_index(participation, cooperation, 2) == pytest.approx(0.30)


def test_a_window_longer_than_the_run_uses_the_whole_run():
    p, c = np.array([1.0, 0.5]), np.array([0.5, 1.0])
    assert sustainability_index(p, c, 100) == pytest.approx(0.5)


def test_volatility_is_penalised_and_the_index_never_negative():
    steady = np.full(10, 0.5)
    wobbly = np.tile([0.2, 0.8], 5)
    ones = np.ones(10)
    assert sustainability_index(ones, steady, 10) == pytest.approx(0.5)
    assert sustainability_index(ones, wobbly, 10) == pytest.approx(0.2)
    assert sustainability_index(ones, np.tile([0.0, 1.0], 5), 10) == 0.0
    assert sustainability_index(np.zeros(0), np.zeros(0), 5) == 0.0


# ---- Kaplan–Meier ---------------------------------------------------------------------------


def test_kaplan_meier_against_a_hand_computed_example_with_censoring():
    durations = np.array([2, 3, 3, 5, 6, 8, 9])
    dissolved = np.array([True, True, False, True, False, True, False])
    km = kaplan_meier(durations, dissolved)
    # t=2: 7 at risk, 1 ends; t=3: 6 at risk (the one censored at 3 still counts), 1 ends;
    # t=5: 4 at risk, 1 ends; t=8: 2 at risk (6 was censored), 1 ends; 9 is censored.
    np.testing.assert_array_equal(km["time"], [2, 3, 5, 8])
    np.testing.assert_array_equal(km["at_risk"], [7, 6, 4, 2])
    np.testing.assert_array_equal(km["events"], [1, 1, 1, 1])
    expected = np.cumprod([6 / 7, 5 / 6, 3 / 4, 1 / 2])
    np.testing.assert_allclose(km["survival"], expected)
    # S(5) = 15/28 ≈ 0.54 is still above a half; S(8) = 15/56 is the first at or below it
    assert median_survival(km) == 8.0


def test_kaplan_meier_median_is_the_first_time_at_or_below_a_half():
    km = kaplan_meier(np.array([1, 2, 2, 4, 7]), np.array([True, True, True, False, True]))
    # S(1) = 4/5, S(2) = 4/5 · 2/4 = 0.4 ≤ 0.5
    np.testing.assert_allclose(km["survival"], [0.8, 0.4, 0.0])
    assert median_survival(km) == 2.0


def test_ties_between_events_count_together():
    km = kaplan_meier(np.array([4, 4, 4, 6]), np.array([True, True, False, True]))
    np.testing.assert_array_equal(km["at_risk"], [4, 1])
    np.testing.assert_array_equal(km["events"], [2, 1])
    np.testing.assert_allclose(km["survival"], [0.5, 0.0])
    assert median_survival(km) == 4.0


def test_censored_partnerships_never_lower_survival():
    durations = np.array([1, 2, 3, 10, 10, 10])
    only_censored = kaplan_meier(durations, np.zeros(6, dtype=bool))
    assert len(only_censored["time"]) == 0
    assert median_survival(only_censored) is None
    one_event = kaplan_meier(durations, np.array([False, False, False, True, False, False]))
    np.testing.assert_allclose(one_event["survival"], [2 / 3])
    assert median_survival(one_event) is None


def test_kaplan_meier_of_no_partnerships():
    km = kaplan_meier(np.zeros(0), np.zeros(0, dtype=bool))
    assert all(len(v) == 0 for v in km.values())
    assert median_survival(km) is None


# Gehan's (1965) 6-MP arm of the leukaemia remission trial, the textbook Kaplan–Meier example:
# weeks in remission, and whether the remission ended (False: still in remission, censored).
GEHAN_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
GEHAN_RELAPSED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_kaplan_meier_reproduces_the_published_gehan_table():
    km = kaplan_meier(np.array(GEHAN_WEEKS), np.array(GEHAN_RELAPSED, dtype=bool), level=0.95)
    np.testing.assert_array_equal(km["time"], [6, 7, 10, 13, 16, 22, 23])
    np.testing.assert_array_equal(km["at_risk"], [21, 17, 15, 12, 11, 7, 6])
    np.testing.assert_array_equal(km["events"], [3, 1, 1, 1, 1, 1, 1])
    # the published table, to its three decimals (R: survfit(..., conf.type = "log-log"))
    published = {
        "survival": [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448],
        "low": [0.620, 0.563, 0.503, 0.432, 0.368, 0.268, 0.188],
        "high": [0.952, 0.923, 0.889, 0.849, 0.805, 0.747, 0.680],
    }
    for column, values in published.items():
        np.testing.assert_allclose(km[column], values, atol=5e-4, err_msg=column)
    assert median_survival(km) == 23.0


def test_greenwood_log_log_limits_by_hand():
    km = kaplan_meier(np.array([2, 3, 3, 5]), np.array([True, True, False, True]), level=0.9)
    z = 1.6448536269514722  # the normal 95th percentile
    # t=2: S = 3/4, Greenwood sum d/(n(n−d)) = 1/12; t=3: S = 3/4 · 2/3 = 1/2, sum + 1/6
    for row, (s, greenwood) in enumerate([(3 / 4, 1 / 12), (1 / 2, 1 / 12 + 1 / 6)]):
        se = math.sqrt(greenwood) / abs(math.log(s))
        assert km["survival"][row] == pytest.approx(s)
        assert km["low"][row] == pytest.approx(s ** math.exp(z * se))
        assert km["high"][row] == pytest.approx(s ** math.exp(-z * se))
    # t=5: the last one at risk dissolves, S = 0 and the limits are undefined: they join the curve
    assert km["survival"][2] == km["low"][2] == km["high"][2] == 0.0


def test_the_limits_are_asked_for():
    km = kaplan_meier(np.array([1, 2]), np.array([True, False]))
    assert list(km) == ["time", "at_risk", "events", "survival"]
    empty = kaplan_meier(np.array([1, 2]), np.array([False, False]), level=0.95)
    assert list(empty) == ["time", "at_risk", "events", "survival", "low", "high"]
    assert all(len(v) == 0 for v in empty.values())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.booleans()), max_size=40),
)
def test_kaplan_meier_is_the_product_limit_at_each_event_time(rows):
    ages = np.array([a for a, _ in rows], dtype=float)
    dissolved = np.array([e for _, e in rows], dtype=bool)
    km = kaplan_meier(ages, dissolved, level=0.95)
    times = sorted({a for a, e in rows if e})
    at_risk = [sum(a >= t for a, _ in rows) for t in times]
    died = [sum(a == t and e for a, e in rows) for t in times]
    np.testing.assert_array_equal(km["time"], times)
    np.testing.assert_array_equal(km["at_risk"], at_risk)
    np.testing.assert_array_equal(km["events"], died)
    expected = np.cumprod([(n - d) / n for n, d in zip(at_risk, died, strict=True)])
    np.testing.assert_allclose(km["survival"], expected, rtol=1e-12, atol=1e-15)
    assert np.all((km["low"] <= km["survival"]) & (km["survival"] <= km["high"]))


def test_the_median_at_an_exact_half_is_that_time():
    # 18 partnerships; by t=6 nine have dissolved and none was censored, so S(6) is exactly 1/2,
    # while the product of the step factors in floating point is 0.5000000000000001
    ages = np.repeat([1, 2, 3, 4, 5, 6, 7, 10], [1, 1, 3, 1, 2, 1, 2, 7])
    dissolved = ages < 10
    km = kaplan_meier(ages, dissolved)
    np.testing.assert_array_equal(km["at_risk"][:6], [18, 17, 16, 13, 12, 10])
    assert np.cumprod(1.0 - km["events"] / km["at_risk"])[5] > 0.5
    assert median_survival(km) == 6.0


# ---- shock response -------------------------------------------------------------------------


def _series(before: list[float], after: list[float]) -> tuple[np.ndarray, int]:
    return np.array(before + after, dtype=float), len(before)


def test_depth_and_recovery_of_a_dip():
    x, at = _series([10.0] * 12, [4.0, 6.0, 8.0, 9.5, 10.0])
    depth, recovery = shock_response(x, at, baseline=12, level=0.9)
    assert depth == pytest.approx(0.6)
    assert recovery == 3


def test_the_trough_may_come_after_the_shock():
    x, at = _series([10.0] * 12, [9.0, 5.0, 2.0, 6.0, 9.2])
    depth, recovery = shock_response(x, at, baseline=12, level=0.9)
    assert depth == pytest.approx(0.8)
    assert recovery == 4


def test_no_recovery_is_none_and_the_baseline_window_is_respected():
    x, at = _series([100.0] * 5 + [10.0] * 4, [5.0, 6.0, 7.0])
    depth, recovery = shock_response(x, at, baseline=4, level=0.9)
    assert depth == pytest.approx(0.5)  # against the last four steps only
    assert recovery is None


def test_a_rise_has_no_depth():
    x, at = _series([10.0] * 4, [12.0, 15.0])
    depth, recovery = shock_response(x, at, baseline=4, level=0.9)
    assert depth == 0.0
    assert recovery == 0


@pytest.mark.parametrize(
    ("series", "at"),
    [([1.0, 2.0], 2), ([0.0, 0.0, 1.0], 2), ([5.0, 4.0], 0)],
    ids=["shock after the end", "no level before", "no baseline"],
)
def test_undefined_responses(series, at):
    assert shock_response(np.array(series), at, baseline=3, level=0.9) == (None, None)


def test_a_series_that_never_falls_below_the_level_recovers_at_once():
    x, at = _series([10.0] * 12, [10.0, 10.0, 9.95, 10.0])
    depth, recovery = shock_response(x, at, baseline=12, level=0.9)
    assert recovery == 0
    assert depth == pytest.approx(0.0)  # a wobble after recovery is no part of the shock


def test_recovery_is_the_first_return_to_the_level_and_depth_stops_there():
    x, at = _series([10.0] * 12, [5.0, 9.5, 10.0, 10.0, 3.0, 10.0])
    depth, recovery = shock_response(x, at, baseline=12, level=0.9)
    assert recovery == 1
    assert depth == pytest.approx(0.5)  # the later, deeper dip is another story
