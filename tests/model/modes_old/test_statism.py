"""Statism: the state as authority — command and control for the national interest."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import Statism
from coopsim.model.sectors import GOVERNMENT, PUBLIC_VALUE


@pytest.fixture
def model() -> CoopModel:
    return CoopModel(mode="statism", rng=11)


def _gov(model: CoopModel) -> int:
    return int(np.flatnonzero(model.orgs.is_government)[0])


def test_the_model_runs_the_statist_policy(model):
    assert isinstance(model.mode, Statism)
    assert model.mode.role == "authority"
    assert model.mode.mandated and model.mode.state_monitors


# ---- who initiates --------------------------------------------------------------------------


def test_only_agencies_initiate(model):
    everyone = np.arange(model.orgs.n)
    np.testing.assert_array_equal(
        model.mode.initiators(model, everyone), np.flatnonzero(model.orgs.is_government)
    )
    some = np.array([0, 3, 15, 40, 60])
    out = model.mode.initiators(model, some)
    assert set(out) <= set(some) and np.all(model.orgs.is_government[out])


def test_only_agencies_lead_the_partnerships_formed(model):
    model.run_for(24)
    table = model.partnerships_table
    assert table.size > 0
    assert np.all(model.orgs.sector[table.view("lead")] == GOVERNMENT)


# ---- partner choice -------------------------------------------------------------------------


def test_partners_are_assigned_by_complementarity_in_a_fixed_order(model, fixed_candidates):
    lead = _gov(model)
    cands = np.array([o for o in range(5, 45, 4) if o != lead])
    fixed_candidates(model, cands)
    gain = model.mode.complementarity(model, np.array([lead]), cands[None, :])[0]
    assert len(np.unique(gain)) == len(gain)
    expected = cands[np.argsort(-gain)][:3]
    first = model.mode.propose(model, lead, 4)
    again = model.mode.propose(model, lead, 4)
    assert first.members[0] == lead
    np.testing.assert_array_equal(first.members[1:], expected)
    np.testing.assert_array_equal(again.members, first.members)


def test_the_partner_that_brings_what_the_lead_lacks_is_assigned(model, fixed_candidates):
    lead, rich, complement = _gov(model), 20, 50
    orgs = model.orgs
    orgs.endowment[:, lead] = [2.0, 2.0, 2.0, 0.1]  # short of legitimacy
    orgs.endowment[:, rich] = [1.0, 1.0, 1.0, 0.1]  # more of everything the lead already has
    orgs.endowment[:, complement] = [0.5, 0.5, 0.5, 0.5]  # less in total, but legitimacy
    orgs.capacity = orgs.capacity  # recompute the available endowment from the new one
    fixed_candidates(model, [rich, complement])
    proposal = model.mode.propose(model, lead, 2)
    np.testing.assert_array_equal(proposal.members, [lead, complement])


def test_too_few_candidates_means_no_proposal(model, fixed_candidates):
    fixed_candidates(model, [30])
    assert model.mode.propose(model, _gov(model), 3) is None


def test_real_candidates_give_distinct_eligible_partners(model):
    for lead in np.flatnonzero(model.orgs.is_government):
        proposal = model.mode.propose(model, int(lead), 5)
        assert proposal is not None
        members = proposal.members
        assert members[0] == lead and len(np.unique(members)) == len(members) == 5
        assert np.all(model.eligible_mask()[members])


# ---- commitments and objective --------------------------------------------------------------


def test_contributions_are_mandated_for_the_national_objective(model):
    lead = _gov(model)
    proposal = model.mode.propose(model, lead, 4)
    np.testing.assert_array_equal(proposal.commitment, model.config.partnerships.commitment)
    assert proposal.objective.sum() == pytest.approx(1.0)
    assert proposal.objective[PUBLIC_VALUE] >= 0.5
    goals = model.orgs.goals[lead]
    assert proposal.objective[PUBLIC_VALUE] > goals[PUBLIC_VALUE] / goals.sum()
    assert proposal.rounds == 1 and proposal.negotiating_pairs == len(proposal.members) - 1


# ---- enforcement ----------------------------------------------------------------------------


def test_every_shortfall_is_sanctioned_at_once_and_no_reward_is_paid(model, make_round):
    assert model.config.incentives.graduated  # the statist state ignores the warning rule
    orgs = [1, 20, 30, 45, 50, 60]
    observed = [0.1, 0.9, 0.3, 1.0, 0.0, 0.45]
    rnd = make_round(model, orgs, observed, committed=2.0, monitor_draw=np.linspace(0, 0.99, 6))
    warnings_before = model.orgs.last_warning.copy()
    enf = model.mode.enforce(model, rnd)
    assert enf.monitored.all()  # monitoring intensity 1: everyone is watched
    expected = np.where(
        rnd.shortfall, model.config.incentives.sanction * 2.0 * (1 - rnd.observed), 0
    )
    np.testing.assert_allclose(enf.sanction, expected)
    assert np.all(enf.sanction[rnd.shortfall] > 0)
    np.testing.assert_array_equal(enf.reward, 0.0)
    assert not enf.warned_before.any()
    np.testing.assert_array_equal(model.orgs.last_warning, warnings_before)  # no warnings


def test_a_state_short_of_money_monitors_fewer(model, make_round):
    model.enforcement_strength = 0.5
    draws = np.array([0.1, 0.4, 0.6, 0.9])
    rnd = make_round(model, [20, 30, 40, 50], [0.0] * 4, monitor_draw=draws)
    enf = model.mode.enforce(model, rnd)
    np.testing.assert_array_equal(enf.monitored, [True, True, False, False])
    np.testing.assert_array_equal(enf.sanction > 0, [True, True, False, False])


def test_members_expect_the_full_sanction_and_no_reward(model):
    orgs = np.array([20, 30])
    reward, sanction = model.mode.expected_incentives(model, orgs)
    inc = model.config.incentives
    np.testing.assert_array_equal(reward, 0.0)
    np.testing.assert_allclose(sanction, model.orgs.incentive_sensitivity[orgs] * inc.sanction)


# ---- benefits, exit, spending ---------------------------------------------------------------


def test_the_state_keeps_control_of_the_value(model, make_round):
    gov = np.flatnonzero(model.orgs.is_government)[:2]
    others = np.flatnonzero(~model.orgs.is_government)[:3]
    rnd = make_round(model, [*gov, *others], [1.0] * 5)
    weights = model.mode.benefit_weights(model, rnd)
    assert np.all(weights > 0)
    assert weights[:2].min() > weights[2:].max()


def test_each_member_decides_its_exit_alone(model, make_round):
    rnd = make_round(model, [1, 20, 30, 40], [1.0] * 4, partnership=[0, 0, 1, 1])
    np.testing.assert_array_equal(model.mode.exit_groups(model, rnd), np.arange(4))


@pytest.mark.parametrize("budget", [0.0, 0.3, 7.2])
def test_spending_is_the_budget_given_in_proportion_to_partnership_size(model, make_round, budget):
    rnd = make_round(model, [1, 20, 30, 2, 40], [1.0] * 5, partnership=[0, 0, 0, 1, 1])
    spent = model.mode.spend(model, budget, rnd)
    seed, training = np.asarray(spent["seed"]), np.asarray(spent["training"])
    assert seed.min() >= 0 and training.min() >= 0
    assert seed.sum() + training.sum() <= budget + 1e-12
    np.testing.assert_allclose(seed, budget * np.array([3, 2]) / 5)
    np.testing.assert_array_equal(training, 0.0)
