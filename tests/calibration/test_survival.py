"""Cumulative incidence under competing ends (Aalen–Johansen) and the median life."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coopsim.survival import cumulative_incidence, incidence_curve, median_life


def test_without_censoring_it_is_the_share_ended_that_way():
    ages = [1, 2, 3, 4, 5, 6, 7, 8]
    ends = ["dissolved", "completed", "dissolved", "dissolved", "completed", "x", "y", "z"]
    assert cumulative_incidence(ages, ends, "dissolved", 4) == pytest.approx(3 / 8)
    assert cumulative_incidence(ages, ends, "dissolved", 8) == pytest.approx(3 / 8)
    assert cumulative_incidence(ages, ends, "completed", 8) == pytest.approx(2 / 8)


def test_censoring_by_hand():
    # 4 at risk: dissolved at 1 (1/4); one censored at 2; 2 at risk at 3: completed at 3;
    # 1 at risk at 4: dissolved at 4 -> S(4-) = 3/4 * 1/2 = 3/8.
    ages = [1, 2, 3, 4]
    ends = ["dissolved", "", "completed", "dissolved"]
    times, inc = incidence_curve(ages, ends, "dissolved")
    assert list(times) == [1, 3, 4]
    assert inc == pytest.approx([0.25, 0.25, 0.25 + 3 / 8])
    both = incidence_curve(ages, ends, "completed")[1][-1] + inc[-1]
    assert both == pytest.approx(1.0)  # everyone ended by the last age: the incidences add to 1


def test_completion_is_competing_not_censoring():
    """Treating completions as censored (1 − Kaplan–Meier) overstates dissolution."""
    rng = np.random.default_rng(3)
    ages = rng.integers(1, 60, 400)
    ends = rng.choice(["dissolved", "completed"], 400, p=[0.3, 0.7])
    aj = cumulative_incidence(ages, ends, "dissolved", 59)
    assert aj == pytest.approx(0.3, abs=0.06)
    km_ends = ["dissolved" if e == "dissolved" else "" for e in ends]
    assert cumulative_incidence(ages, km_ends, "dissolved", 59) > aj + 0.2


def test_undefined_when_not_followed_that_long():
    assert math.isnan(cumulative_incidence([1, 2], ["dissolved", ""], "dissolved", 10))
    assert math.isnan(cumulative_incidence([], [], "dissolved", 1))
    # Every partnership ended before the age asked: nothing is extrapolated.
    assert cumulative_incidence([1, 2], ["dissolved", "completed"], "dissolved", 10) == 0.5


def test_median_life():
    assert median_life([1, 2, 3, 4], ["dissolved", "completed", "dissolved", ""]) == 2
    assert math.isnan(median_life([1, 2, 3, 4], ["dissolved", "", "", ""]))


def test_partnership_groups_read_the_model_s_own_tables():
    """Cross- and single-sector partnerships are told apart on a real run's partnerships
    (sectors as lists) and on text written before 0.4 alike."""
    from coopsim.model import CoopModel
    from coopsim.statistics import STATISTICS, RunData

    model = CoopModel(mode="governance", rng=3)
    model.run_for(60)
    parts = model.partnerships()
    runs = [RunData(model.summary(), model.timeseries(), parts)]
    mixed = parts["sectors"].map(lambda s: len(set(s)) >= 2)
    assert 0 < mixed.sum() < len(parts)  # both kinds exist in this run
    compute = STATISTICS["dissolution_incidence"].compute
    for group in ("cross_sector", "single_sector"):
        value = compute(runs, {"at": 24, "partnerships": group})
        assert 0.0 <= value <= 1.0
    old = parts.assign(sectors=parts["sectors"].map(";".join))
    for group in ("cross_sector", "single_sector"):
        args = {"at": 24, "partnerships": group}
        assert compute([RunData(runs[0].summary, None, old)], args) == compute(runs, args)
    life = STATISTICS["life_median"].compute
    assert life(runs, {"partnerships": "cross_sector"}) == life(
        [RunData(runs[0].summary, None, old)], {"partnerships": "cross_sector"}
    )


def test_a_target_without_a_value_in_any_draw_is_called_so():
    """Not 'not matched': a target undefined in every draw cannot be judged (the calibration
    warns about it)."""
    import pandas as pd

    from coopsim.calibration.posterior import TARGET_PREFIX, check_table
    from coopsim.scenario.calibration import calibration_from_dict

    calibration = calibration_from_dict(
        {
            "name": "undefined",
            "scenario": {"name": "base", "steps": 12},
            "calibration": {
                "priors": {"trust.loss": {"low": 0.1, "high": 0.3}},
                "targets": {
                    "life": {
                        "statistic": "life_median",
                        "observed": 84,
                        "tolerance": 18,
                        "source": "test",
                    },
                },
                "budget": {"evaluations": 100},
            },
        }
    )
    draws = pd.DataFrame({TARGET_PREFIX + "life": [float("nan")] * 3})
    row = check_table(calibration, draws).iloc[0]
    assert row["verdict"] == "no value" and row["undefined"] == 3
