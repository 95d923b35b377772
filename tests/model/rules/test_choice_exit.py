"""Exit is a choice with a cost, never a veto: a member leaves when staying to the end of its
term costs it at least what leaving costs (choice rules' ``exits``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import MODE_RULES
from coopsim.model.partnerships import CAUSE
from coopsim.model.rules.choice import Mandate, months_left, staying_loss

WANTS = CAUSE["outside_option"]


def _round(mode: str, seed: int = 3):
    """A model in ``mode`` with active partnerships, and the last step's round."""
    model = CoopModel(mode=mode, rng=seed)
    model.run_for(8)
    assert model.state.round_open
    return model, dataclasses.replace(model.state)


def _penalty(model, state) -> np.ndarray:
    return Mandate.penalty(model, state)


def test_a_statist_member_leaves_when_staying_costs_more_than_the_penalty():
    model, state = _round("statism")
    model.enforcement_strength = 1.0
    penalty = _penalty(model, state)
    assert np.all(penalty > 0)
    monthly = penalty / months_left(model, state)
    state.membership_return = -(monthly * 1.01)  # losing a little more than the penalty
    cause = np.full(len(state.rows), WANTS)
    np.testing.assert_array_equal(Mandate().exits(model, state, cause), WANTS)
    np.testing.assert_allclose(state.exit_cost, penalty)


def test_a_statist_member_stays_when_the_penalty_costs_more_than_staying():
    model, state = _round("statism")
    model.enforcement_strength = 1.0
    monthly = _penalty(model, state) / months_left(model, state)
    state.membership_return = -(monthly * 0.99)
    cause = np.full(len(state.rows), WANTS)
    np.testing.assert_array_equal(Mandate().exits(model, state, cause), 0)


def test_without_an_enforcement_budget_leaving_costs_nothing():
    model, state = _round("statism")
    model.enforcement_strength = 0.0
    state.membership_return = np.full(len(state.rows), -1e-6)
    cause = np.full(len(state.rows), WANTS)
    out = Mandate().exits(model, state, cause)
    np.testing.assert_array_equal(state.exit_cost, 0.0)
    assert np.all(out > 0)  # all leave, for the lapse of enforcement
    np.testing.assert_array_equal(out, CAUSE["enforcement_lapse"])


def test_a_half_funded_state_charges_half_the_penalty():
    model, state = _round("statism")
    model.enforcement_strength = 0.5
    Mandate().exits(model, state, np.full(len(state.rows), WANTS))
    np.testing.assert_allclose(state.exit_cost, 0.5 * _penalty(model, state))


@pytest.mark.parametrize("mode", ["statism", "pluralism", "corporatism", "governance"])
def test_nobody_leaves_who_did_not_want_to(mode):
    model, state = _round(mode)
    state.membership_return = np.full(len(state.rows), -5.0)
    cause = np.zeros(len(state.rows), dtype=np.int64)
    assert not np.any(MODE_RULES[mode]["choice"]().exits(model, state, cause))


def test_staying_loss_is_the_monthly_loss_to_the_end_of_the_term():
    model, state = _round("governance")
    state.membership_return = np.linspace(-1.0, 1.0, len(state.rows))
    left = months_left(model, state)
    assert np.all((left >= 1) & (left <= model.config.governance.contract_term))
    np.testing.assert_allclose(
        staying_loss(model, state), np.maximum(-state.membership_return, 0) * left
    )


def test_statist_partnerships_can_dissolve_and_penalties_are_paid():
    """No veto: over a run, statist members leave (paying penalties) and partnerships dissolve."""
    model = CoopModel(mode="statism", rng=0)
    model.run_for(160)
    steps = model.record.frame()
    assert steps["exit_penalties"].sum() > 0
    assert (model.partnerships()["status"] == "dissolved").any()
