"""A run reports partnership ends as competing risks: the cumulative incidence of completion and
dissolution by age, and up to τ the restricted mean life and the time lost to each end, defined
in every mode (also where nothing ends) and adding up to τ."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.config import MODES

SMALL = {
    "population__government__count": 4,
    "population__business__count": 6,
    "population__civil_society__count": 5,
    "population__community__count": 3,
}
NOTHING_ENDS = {  # objectives out of reach, and no member ever wants out
    "partnerships__completion_value": 1e9,
    "partnerships__exit_trust": 0.0,
    "partnerships__patience": 120,
    "partnerships__shock_exit_capacity": 0.0,
}
MEANS = ("partnership_life_restricted", "dissolution_time_lost", "completion_time_lost")


def _check(model: CoopModel) -> dict:
    """The summary's τ and restricted means: finite, adding up to τ, and read off the model's
    own cumulative incidence table, whose curves and survival add up to 1 at every age."""
    summary = model.summary()
    tau = summary["survival_horizon"]
    assert isinstance(tau, int) and 0 <= tau <= model.config.metrics.survival_horizon
    assert all(math.isfinite(summary[name]) and summary[name] >= 0 for name in MEANS)
    assert sum(summary[name] for name in MEANS) == pytest.approx(tau)
    table = model.incidence_table()
    total = table["incidence_completed"] + table["incidence_dissolved"] + table["survival"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    ages = model.partnerships()["age"]
    assert tau <= ages.max() or table["survival"].iloc[-1] == 0  # never past what was followed
    return summary


@pytest.mark.parametrize("mode", MODES)
def test_defined_in_every_mode_on_a_short_run(mode):
    model = CoopModel(mode=mode, rng=7, **SMALL)
    model.run_for(60)
    summary = _check(model)
    parts = model.partnerships()
    assert (parts["status"] != "active").any()  # something ended: the curves rise
    if summary["partnerships_dissolved"]:
        assert summary["dissolution_time_lost"] > 0


@pytest.mark.parametrize("mode", MODES)
def test_a_run_in_which_nothing_ends(mode):
    """No partnership ends: both incidences stay 0 and the restricted mean life is τ, here the
    oldest age the run follows (younger than `metrics.survival_horizon`)."""
    model = CoopModel(mode=mode, rng=5, **SMALL, **NOTHING_ENDS)
    model.run_for(20)
    parts = model.partnerships()
    assert len(parts) and (parts["status"] == "active").all()
    summary = _check(model)
    assert summary["survival_horizon"] == parts["age"].max()
    assert summary["partnership_life_restricted"] == summary["survival_horizon"]
    assert summary["dissolution_time_lost"] == summary["completion_time_lost"] == 0
    assert model.incidence_table().empty


def test_the_horizon_parameter_is_tau_where_the_run_follows_that_long():
    model = CoopModel(mode="governance", rng=7, metrics__survival_horizon=12, **SMALL)
    model.run_for(30)
    assert _check(model)["survival_horizon"] == 12


def test_without_partnerships_there_is_no_tau():
    model = CoopModel(mode="governance", rng=5, partnerships__initiation_rate=0.0, **SMALL)
    model.run_for(6)
    summary = model.summary()
    assert summary["partnerships_formed"] == 0
    assert all(summary[name] is None for name in ("survival_horizon", *MEANS))
    assert model.incidence_table().empty
