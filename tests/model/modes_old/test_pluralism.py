"""Pluralism: the state as referee — tenders, competing bids, contract penalties."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import Pluralism
from coopsim.model.partnerships import CAUSE
from coopsim.model.sectors import GOVERNMENT, PROFIT


@pytest.fixture
def model() -> CoopModel:
    return CoopModel(mode="pluralism", rng=12)


def _gov(model: CoopModel) -> int:
    return int(np.flatnonzero(model.orgs.is_government)[0])


def test_the_model_runs_the_pluralist_policy(model):
    assert isinstance(model.mode, Pluralism)
    assert model.mode.role == "referee" and model.mode.pays_rewards


# ---- who initiates --------------------------------------------------------------------------


def test_only_agencies_put_work_out_to_tender(model):
    everyone = np.arange(model.orgs.n)
    np.testing.assert_array_equal(
        model.mode.initiators(model, everyone), np.flatnonzero(model.orgs.is_government)
    )


# ---- partner choice -------------------------------------------------------------------------


def test_agencies_do_not_bid(model, fixed_candidates):
    lead = _gov(model)
    pools = fixed_candidates(model, np.arange(1, 40))  # agencies among the candidates
    proposal = model.mode.propose(model, lead, 5)
    assert pools and pools[0] is not None
    assert not np.any(model.orgs.is_government[pools[0]])
    assert not np.any(model.orgs.is_government[proposal.members[1:]])


def test_no_agency_ever_holds_a_seat_it_did_not_lead(model):
    for _ in range(40):  # through formation and re-tenders
        model.step()
        live = model.members.live()
        lead = model.partnerships_table.lead[model.members.partnership[live]]
        seat = model.members.organisation[live] != lead
        assert not np.any(model.orgs.sector[model.members.organisation[live][seat]] == GOVERNMENT)
    assert model.partnerships_table.size > 0


def test_the_best_bids_by_quality_per_price_win(model, fixed_candidates):
    lead = _gov(model)
    cands = np.flatnonzero(~model.orgs.is_government)[:12]
    fixed_candidates(model, cands)
    score = model.mode._bids(model, np.array([lead]), cands[None, :])[0]
    assert len(np.unique(score)) == len(score)
    proposal = model.mode.propose(model, lead, 4)
    np.testing.assert_array_equal(proposal.members, [lead, *cands[np.argsort(-score)[:3]]])


def test_a_dearer_bid_scores_lower_and_a_more_capable_bidder_higher(model):
    lead, bidder = _gov(model), int(np.flatnonzero(~model.orgs.is_government)[0])
    orgs = model.orgs
    base = model.mode._bids(model, np.array([lead]), np.array([[bidder]]))[0, 0]
    orgs.goals[bidder, PROFIT] += 0.5  # asks a larger mark-up
    dearer = model.mode._bids(model, np.array([lead]), np.array([[bidder]]))[0, 0]
    orgs.goals[bidder, PROFIT] -= 0.5
    orgs.collaborative_capacity[bidder] = min(1.0, orgs.collaborative_capacity[bidder] + 0.3)
    better = model.mode._bids(model, np.array([lead]), np.array([[bidder]]))[0, 0]
    assert dearer < base < better


def test_contracts_fix_commitments_and_the_agencys_objective(model):
    lead = _gov(model)
    proposal = model.mode.propose(model, lead, 3)
    np.testing.assert_array_equal(proposal.commitment, model.config.partnerships.commitment)
    goals = model.orgs.goals[lead]
    np.testing.assert_allclose(proposal.objective, goals / goals.sum())


def test_seats_are_retendered_and_the_outbid_leave_as_replaced():
    model = CoopModel(mode="pluralism", rng=3)
    model.run_for(40)
    replaced = int(model.timeseries()["members_replaced"].sum())
    mem = model.members
    left_replaced = np.flatnonzero(mem.view("cause") == CAUSE["replaced"])
    assert replaced > 0
    assert len(left_replaced) <= replaced  # compaction may have dropped some rows
    assert not mem.active[left_replaced].any()


@pytest.mark.parametrize("term", [5, 12])
def test_re_tenders_fall_due_every_contract_term(term):
    model = CoopModel(mode="pluralism", rng=3, governance__contract_term=term)
    model.run_for(40)
    mem, table = model.members, model.partnerships_table
    replaced = mem.view("cause") == CAUSE["replaced"]
    age = mem.view("left")[replaced] - table.formed[mem.view("partnership")[replaced]]
    assert len(age) and np.all(age % term == 0)  # seats change hands only at a term's end
    never = CoopModel(mode="pluralism", rng=3, governance__contract_term=240)
    never.run_for(40)
    assert never.timeseries()["members_replaced"].sum() == 0


def test_each_re_tender_settles_one_seat_at_most_per_partnership():
    model = CoopModel(mode="pluralism", rng=5, governance__contract_term=4)
    model.run_for(30)
    mem = model.members
    replaced = mem.view("cause") == CAUSE["replaced"]
    key = mem.view("partnership")[replaced] * 1000 + mem.view("left")[replaced]
    assert len(key) and len(np.unique(key)) == len(key)


# ---- enforcement ----------------------------------------------------------------------------


def test_contract_penalties_from_the_first_breach_and_payment_for_delivery(model, make_round):
    inc = model.config.incentives
    assert inc.graduated  # a contract does not warn, whatever the configuration says
    orgs = [20, 30, 40, 50, 55, 60]
    observed = np.array([0.2, 0.9, 0.0, 1.0, 0.3, 0.8])
    draws = np.array([0.1, 0.2, 0.3, 0.4, 0.7, 0.9])  # intensity 0.5: the first four seen
    rnd = make_round(model, orgs, observed, committed=1.5, monitor_draw=draws)
    enf = model.mode.enforce(model, rnd)
    seen = draws < model.mode.monitoring
    np.testing.assert_array_equal(enf.monitored, seen)
    penalty = np.where(seen & rnd.shortfall, inc.sanction * 1.5 * (1 - observed), 0.0)
    np.testing.assert_allclose(enf.sanction, penalty)
    assert enf.sanction[0] > 0 and enf.sanction[2] > 0  # first breaches, no warning
    pay = np.where(seen & ~rnd.shortfall, inc.reward * rnd.delivered, 0.0)
    np.testing.assert_allclose(enf.reward, pay)
    assert enf.reward[1] > 0 and enf.reward[3] > 0
    assert enf.sanction[4] == 0 and enf.reward[5] == 0  # unaudited: nothing either way


def test_members_expect_payment_and_the_penalty_at_once(model):
    orgs = np.array([20, 30])
    reward, sanction = model.mode.expected_incentives(model, orgs)
    inc, s = model.config.incentives, model.orgs.incentive_sensitivity[orgs]
    np.testing.assert_allclose(reward, s * model.mode.monitoring * inc.reward)
    np.testing.assert_allclose(sanction, s * model.mode.monitoring * inc.sanction)


# ---- benefits, exit, spending ---------------------------------------------------------------


def test_value_follows_delivered_contribution(model, make_round):
    rnd = make_round(model, [0, 20, 30], [1.0, 0.5, 0.0], committed=[1.0, 2.0, 1.0])
    weights = model.mode.benefit_weights(model, rnd)
    share = weights / weights.sum()
    np.testing.assert_allclose(share, [0.5, 0.5, 0.0], atol=1e-8)


def test_each_member_decides_its_exit_alone(model, make_round):
    rnd = make_round(model, [0, 20, 30], [1.0] * 3)
    np.testing.assert_array_equal(model.mode.exit_groups(model, rnd), np.arange(3))


@pytest.mark.parametrize("budget", [0.0, 0.3, 7.2])
def test_the_state_pays_for_delivered_contracts_within_its_budget(model, make_round, budget):
    rnd = make_round(
        model, [0, 20, 1, 30, 2, 40], [1.0, 1.0, 0.5, 0.5, 0.0, 0.0], partnership=[0, 0, 1, 1, 2, 2]
    )
    spent = model.mode.spend(model, budget, rnd)
    seed, training = np.asarray(spent["seed"]), np.asarray(spent["training"])
    assert seed.sum() + training.sum() <= budget + 1e-12
    np.testing.assert_allclose(seed, budget * np.array([2.0, 1.0, 0.0]) / 3.0)
    np.testing.assert_array_equal(training, 0.0)


def test_nothing_delivered_nothing_paid(model, make_round):
    rnd = make_round(model, [0, 20], [0.0, 0.0])
    spent = model.mode.spend(model, 5.0, rnd)
    np.testing.assert_array_equal(spent["seed"], 0.0)
