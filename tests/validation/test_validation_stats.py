"""The paired effect sizes and the experiment protocol behind the pattern tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.validation.patterns import PATTERNS, Arm, arm, run_arm
from coopsim.validation.stats import (
    a12,
    a12_magnitude,
    bootstrap_interval,
    one_sided_p,
    paired_effect,
    t_interval,
)

values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=20)


def test_a12_counts_wins_and_half_ties():
    assert a12([2, 3], [1]) == 1.0
    assert a12([1], [2, 3]) == 0.0
    assert a12([1, 2], [1, 2]) == 0.5
    assert a12([1, 3], [2]) == 0.5
    assert math.isnan(a12([], [1]))
    assert a12([1, np.nan, 3], [2]) == 0.5  # NaN dropped


@given(values, values)
@settings(max_examples=60, deadline=None)
def test_a12_is_complementary(x, y):
    assert a12(x, y) + a12(y, x) == pytest.approx(1.0)


def test_a12_magnitude_labels_follow_vargha_delaney():
    assert a12_magnitude(0.52) == "negligible"
    assert a12_magnitude(0.40) == "small"
    assert a12_magnitude(0.67) == "medium"
    assert a12_magnitude(0.05) == "large"
    assert a12_magnitude(math.nan) == "n/a"


def test_bootstrap_interval_is_seeded_and_percentile_based():
    x = np.random.default_rng(4).normal(1.0, 2.0, 200)
    boot = bootstrap_interval(x)
    assert bootstrap_interval(x) == boot  # the same data, the same interval
    assert bootstrap_interval(x, seed=1) != boot
    # a large sample: close to the normal-theory interval (the bootstrap is a little narrower)
    low, high = t_interval(x)
    assert boot[0] < x.mean() < boot[1]
    assert (boot[1] - boot[0]) / (high - low) == pytest.approx(1.0, abs=0.05)


def test_bootstrap_interval_of_small_samples():
    # [0, 1]: resampled means are 0, 0.5 and 1 with chances 1/4, 1/2, 1/4, so the 2.5% and 97.5%
    # percentiles are 0 and 1
    assert bootstrap_interval([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_interval([2.5, 2.5, 2.5]) == (2.5, 2.5)
    assert all(math.isnan(v) for v in bootstrap_interval([1.0, math.nan]))


def test_paired_effect_pairs_by_seed():
    rng = np.random.default_rng(1)
    control = rng.normal(10, 5, 40)  # large spread between seeds...
    treatment = control + 0.5 + rng.normal(0, 0.1, 40)  # ...a small, consistent effect
    e = paired_effect(treatment, control, +1)
    assert e.n == 40
    assert e.diff == pytest.approx(0.5, abs=0.05)
    assert e.ci_low < e.diff < e.ci_high and e.ci_low > 0
    assert e.boot_low > 0 and e.boot_low < e.diff < e.boot_high
    assert e.p_one_sided < 1e-10 and e.verdict == "as expected"
    assert e.share_expected == 1.0
    assert 0.5 < e.a12 < 0.6  # unpaired A12 barely sees what pairing reveals

    reversed_ = paired_effect(treatment, control, -1)
    assert reversed_.verdict == "reversed" and reversed_.p_one_sided > 0.99


def test_paired_effect_handles_constant_and_missing_differences():
    e = paired_effect([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], +1)
    assert e.p_one_sided == 0.0 and e.ci_low == e.ci_high == 1.0
    assert e.verdict == "as expected"
    none = paired_effect([1.0, 2.0], [1.0, 2.0], +1)
    assert none.p_one_sided == 1.0 and none.verdict == "no clear effect"
    gaps = paired_effect([1.0, np.nan, 3.0, 4.0], [0.0, 1.0, np.nan, 3.0], -1)
    assert gaps.n == 2
    assert one_sided_p([0.5], +1) != one_sided_p([0.5], +1)  # NaN with one pair
    with pytest.raises(ValueError):
        paired_effect([1.0], [1.0, 2.0], +1)
    with pytest.raises(ValueError):
        paired_effect([1.0], [1.0], 0)


def test_only_incentives_may_change_mid_run():
    with pytest.raises(ValueError, match="mid-run"):
        Arm("governance", changes=((5, (("trust.gain", 0.1),)),))


def test_a_mid_run_change_takes_effect_at_its_step():
    a = arm(
        "statism",
        changes=((11, {"incentives.sanction": 0.0}),),
        incentives__sanction=1.0,
    )
    ts = run_arm(a, 30, seed=3).ts
    assert ts.loc[ts["step"] <= 10, "sanctions"].sum() > 0
    assert ts.loc[ts["step"] >= 11, "sanctions"].sum() == 0


def test_shock_and_placebo_arms_share_every_step_before_the_shock():
    """Common random numbers: a placebo shock (severity 0) keeps the random streams aligned."""
    arms = PATTERNS[5].arms(100)
    at = 40  # shock_step(100)
    shock = run_arm(arms["governance/shock"], 45, seed=7).ts
    placebo = run_arm(arms["governance/placebo"], 45, seed=7).ts
    before = shock["step"] < at
    for column in ("public_value", "demand", "cooperation_rate", "mean_trust"):
        np.testing.assert_array_equal(shock.loc[before, column], placebo.loc[before, column])
    assert not np.array_equal(shock["public_value"], placebo["public_value"])


def test_arms_that_are_the_same_run_are_planned_once():
    from coopsim.validation.patterns import plan

    jobs = plan([PATTERNS[1], PATTERNS[8]], seeds=[0, 1])
    assert len(jobs) == 8  # four default-mode arms, shared by patterns 1 and 8
    assert all(len(j.uses) == 2 and "trust_events" in j.arm.collect for j in jobs)
