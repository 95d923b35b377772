"""Governance: the state as activator — anyone convenes, partners join by choice."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import Governance
from coopsim.model.sectors import SECTORS


@pytest.fixture
def model() -> CoopModel:
    return CoopModel(mode="governance", rng=14, population__community__count=8)


def _clone(model: CoopModel, source: int, targets) -> None:
    """Make organisations identical to ``source`` in everything partner choice looks at."""
    orgs = model.orgs
    for t in targets:
        orgs.endowment[:, t] = orgs.endowment[:, source]
        orgs.goals[t] = orgs.goals[source]
        orgs.collaborative_capacity[t] = orgs.collaborative_capacity[source]
    orgs.capacity = orgs.capacity  # recompute the available endowment from the new one


def _trust(model: CoopModel, source: int, target: int, value: float) -> None:
    rel = model.relationships
    (row,) = rel.ensure(np.array([source]), np.array([target]), step=0)
    rel.personal[row] = rel.institutional[row] = value


def test_the_model_runs_the_governance_policy(model):
    assert isinstance(model.mode, Governance)
    assert model.mode.role == "activator" and model.mode.pays_rewards


# ---- who initiates --------------------------------------------------------------------------


def test_anyone_may_convene(model):
    everyone = np.arange(model.orgs.n)
    np.testing.assert_array_equal(model.mode.initiators(model, everyone), everyone)
    some = np.array([2, 30, 50, 70])
    np.testing.assert_array_equal(model.mode.initiators(model, some), some)


def test_every_sector_leads_partnerships(model):
    model.run_for(24)
    led_by = np.bincount(
        model.orgs.sector[model.partnerships_table.view("lead")], minlength=len(SECTORS)
    )
    assert np.all(led_by[:3] > 0)  # agencies, firms and NGOs all convene
    assert led_by[1:].sum() > led_by[0]  # and the state is not the main convener


# ---- partner choice -------------------------------------------------------------------------


def test_partners_join_only_if_they_want_to(model, fixed_candidates):
    """Joining is voluntary: candidates who share nothing with the lead rarely agree."""
    orgs = model.orgs
    lead, cands = 30, np.arange(40, 50)
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[cands[:5]] = [0.0, 1.0, 0.0, 0.0]  # nothing in common with the lead's goals
    orgs.goals[cands[5:]] = [1.0, 0.0, 0.0, 0.0]
    fixed_candidates(model, cands)
    joined = []
    for _ in range(60):
        proposal = model.mode.propose(model, lead, 4)
        if proposal is not None:
            joined += proposal.members[1:].tolist()
    strangers = sum(j in set(cands[:5].tolist()) for j in joined)
    kindred = sum(j in set(cands[5:].tolist()) for j in joined)
    assert kindred > 5 * max(strangers, 1)
    assert set(joined) >= set(cands[5:].tolist())  # all the willing get their turn


def test_trust_from_the_partner_makes_up_for_weaker_alignment(model, fixed_candidates):
    orgs = model.orgs
    lead, keen, wary = 30, 41, 42
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[[keen, wary]] = [1 / 3, 2 / 3, 0.0, 0.0]  # alignment 1/√5 ≈ 0.45 with the lead
    _clone(model, keen, [wary])
    _trust(model, keen, lead, 1.0)  # keen trusts the lead; wary is a stranger to it
    fixed_candidates(model, [keen, wary])
    picks = [model.mode.propose(model, lead, 2) for _ in range(80)]
    joined = [p.members[1] for p in picks if p is not None]
    assert joined.count(keen) > 1.5 * max(joined.count(wary), 1)  # about 2:1 by the rule


def test_the_lead_prefers_partners_it_trusts(model, fixed_candidates):
    lead, cands = 30, np.arange(40, 45)
    _clone(model, cands[0], cands[1:])
    _trust(model, lead, int(cands[2]), 1.0)
    fixed_candidates(model, cands)
    first = [int(model.mode.propose(model, lead, 2).members[1]) for _ in range(200)]
    share = first.count(int(cands[2])) / len(first)
    assert share > 0.5  # against 0.2 if trust did not matter


def test_the_lead_prefers_partners_whose_goals_it_shares(model, fixed_candidates):
    orgs = model.orgs
    lead, cands = 30, np.arange(40, 45)
    _clone(model, cands[0], cands[1:])
    for c in cands:
        _trust(model, int(c), lead, 1.0)  # all trust the lead: all are willing
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[cands] = [1 / 3, 0.0, 0.0, 2 / 3]  # alignment ≈ 0.45
    orgs.goals[cands[3]] = [1.0, 0.0, 0.0, 0.0]  # alignment 1
    fixed_candidates(model, cands)
    first = [int(model.mode.propose(model, lead, 2).members[1]) for _ in range(200)]
    assert first.count(int(cands[3])) / len(first) > 0.4  # against 0.2 if goals did not matter


# ---- commitments and objective --------------------------------------------------------------


def test_commitments_are_voluntary_and_follow_the_propensity_to_cooperate(model, fixed_candidates):
    orgs = model.orgs
    lead, cands = 30, np.arange(40, 50)
    orgs.goals[[lead, *cands]] = [0.5, 0.0, 0.5, 0.0]  # everyone willing
    orgs.propensity[:] = np.linspace(0.0, 1.0, orgs.n)
    fixed_candidates(model, cands)
    proposal = model.mode.propose(model, lead, 5)
    members = proposal.members
    base = model.config.partnerships.commitment
    np.testing.assert_allclose(proposal.commitment, base * (0.5 + orgs.propensity[members]))
    order = np.argsort(orgs.propensity[members])
    assert np.all(np.diff(proposal.commitment[order]) > 0)
    objective = orgs.goals[members].mean(axis=0)
    np.testing.assert_allclose(proposal.objective, objective / objective.sum())
    k = len(members)
    assert proposal.negotiating_pairs == k * (k - 1) // 2  # multilateral


# ---- enforcement ----------------------------------------------------------------------------


def test_graduated_sanctions_and_rewards_for_delivery(model, make_round):
    inc = model.config.incentives
    model.steps = 5
    orgs = [20, 30, 40]
    observed = np.array([0.1, 0.9, 0.3])
    first = model.mode.enforce(model, make_round(model, orgs, observed))
    np.testing.assert_array_equal(first.sanction, 0.0)  # a first shortfall: a warning
    np.testing.assert_allclose(first.reward, [0.0, inc.reward * 0.9, 0.0])
    model.steps = 6
    second = model.mode.enforce(model, make_round(model, orgs, observed))
    np.testing.assert_allclose(second.sanction, inc.sanction * np.array([0.9, 0.0, 0.7]))
    np.testing.assert_array_equal(second.warned_before, [True, False, True])


def test_without_graduation_sanctions_come_at_once(make_round):
    model = CoopModel(mode="governance", rng=14, incentives__graduated=False)
    enf = model.mode.enforce(model, make_round(model, [20, 30], [0.1, 0.9]))
    np.testing.assert_allclose(enf.sanction, [model.config.incentives.sanction * 0.9, 0.0])


def test_partners_monitor_each_other_at_the_modes_intensity(model, make_round):
    draws = np.array([0.1, 0.59, 0.61, 0.99])
    enf = model.mode.enforce(
        model, make_round(model, [20, 30, 40, 50], [0.0] * 4, monitor_draw=draws)
    )
    np.testing.assert_array_equal(enf.monitored, [True, True, False, False])


def test_a_warned_member_expects_the_full_sanction_an_unwarned_one_less(model):
    orgs = np.array([20, 30])
    model.steps = 3
    model.orgs.last_warning[20] = 2
    reward, sanction = model.mode.expected_incentives(model, orgs)
    inc, s = model.config.incentives, model.orgs.incentive_sensitivity[orgs]
    seen = model.mode.monitoring
    np.testing.assert_allclose(sanction, s * seen * inc.sanction * np.array([1.0, 0.3]))
    np.testing.assert_allclose(reward, s * seen * inc.reward)


# ---- benefits, exit, spending ---------------------------------------------------------------


def test_value_is_half_shared_and_half_earned(model, make_round):
    rnd = make_round(model, [20, 30, 40, 50, 51], [1.0, 0.5, 0.5, 0.0, 0.0], [0, 0, 0, 1, 1])
    weights = model.mode.benefit_weights(model, rnd)
    np.testing.assert_allclose(weights[:3], 0.5 / 3 + 0.5 * np.array([0.5, 0.25, 0.25]))
    np.testing.assert_allclose(weights[3:], [0.5, 0.5])  # nobody delivered: equal shares
    np.testing.assert_allclose(np.bincount(rnd.partnership, weights=weights), [1.0, 1.0])


def test_each_member_decides_its_exit_alone(model, make_round):
    rnd = make_round(model, [20, 30, 40], [1.0] * 3)
    np.testing.assert_array_equal(model.mode.exit_groups(model, rnd), np.arange(3))


@pytest.mark.parametrize("budget", [0.0, 0.3, 7.2])
def test_the_state_splits_its_budget_between_capacity_building_and_seed_funding(
    model, make_round, budget
):
    members = [20, 30, 40, 20, 50]  # one organisation in two partnerships
    rnd = make_round(model, members, [1.0] * 5, [0, 0, 0, 1, 1])
    spent = model.mode.spend(model, budget, rnd)
    seed, training = np.asarray(spent["seed"]), np.asarray(spent["training"])
    assert seed.sum() + training.sum() == pytest.approx(budget)
    assert seed.sum() + training.sum() <= budget + 1e-12
    np.testing.assert_allclose(seed, [budget / 4, budget / 4])
    trained = np.flatnonzero(training)
    if budget > 0:
        np.testing.assert_array_equal(trained, [20, 30, 40, 50])
        np.testing.assert_allclose(training[trained], budget / 8)
