"""Payoff rules: benefit shares, sanctions and rewards, what members expect of them, and the
state's spending of what is left of its budget.

The contract runs over all four rules; then each rule's own promises (AuthorityShares: statism,
ContractShares: pluralism, SectorQuotas: corporatism, AgreedShares: governance). How much weight
authority adds to the state's share is left to that rule's own tests."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model.enforcement import expected_incentives
from coopsim.model.rules import payoff

SLOT = "payoff"

BUDGETS = (0.0, 0.3, 7.2)


# ---- the contract, for every payoff rule -----------------------------------------------------


def _rounds(model, make_round) -> list:
    """A real round, and hand-made ones: mixed delivery over three partnerships, one where
    nobody delivered, one of a single sector, and an organisation in two partnerships."""
    orgs = model.orgs
    business = np.flatnonzero(orgs.sector == 1)[:3]
    return [
        model.state.round,
        make_round(
            model,
            [0, 20, 30, 1, 40, 45, 2, 50],
            [1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.9, 0.2],
            [0, 0, 0, 1, 1, 1, 2, 2],
            committed=[1.0, 2.0, 0.5, 1.0, 1.0, 1.0, 0.3, 3.0],
            monitor_draw=np.linspace(0, 0.99, 8),
        ),
        make_round(model, business, [0.0, 0.0, 0.0]),
        make_round(model, [20, 30, 20, 40], [1.0, 0.1, 0.6, 0.0], [0, 0, 1, 1]),
    ]


def test_the_rule_is_a_payoff_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_every_partnership_has_a_claim_on_its_value_and_no_claim_is_negative(
    rule, lived, contract, make_round
):
    for rnd in _rounds(lived, make_round):
        contract.benefit_weights(lived, rule, rnd)


def test_sanctions_only_for_the_caught_and_rewards_only_for_those_seen_to_deliver(
    rule, lived, contract, make_round
):
    """Each round twice, a step apart (a warning, then a repeat), with monitoring drawn at random
    and with everyone or nobody monitored."""
    rng = np.random.default_rng(4)
    for rnd in _rounds(lived, make_round):
        n = len(rnd.rows)
        for monitored in (rng.random(n) < 0.6, np.ones(n, bool), np.zeros(n, bool)):
            for _ in range(2):
                lived.steps += 1
                contract.enforce(lived, rule, rnd, monitored, monitored & rnd.shortfall)


@pytest.mark.parametrize("budget", BUDGETS)
def test_spending_is_non_negative_and_within_the_budget(rule, lived, contract, make_round, budget):
    for rnd in _rounds(lived, make_round):
        contract.spend(lived, rule, budget, rnd)


def test_members_expect_no_negative_incentive_and_a_reward_only_where_one_is_paid(rule, lived):
    orgs = np.arange(lived.orgs.n)
    lived.orgs.last_warning[orgs[::2]] = lived.steps  # half of them warned just now
    reward, sanction = (np.broadcast_to(x, orgs.shape) for x in expected_incentives(lived, orgs))
    assert np.all(np.isfinite(reward)) and np.all(np.isfinite(sanction))
    assert np.all(reward >= 0) and np.all(sanction >= 0)
    if not rule.rewards:
        assert not np.any(reward)


# ---- what members expect ---------------------------------------------------------------------


def _expected(model_of, mode: str, **overrides):
    """(reward, sanction) two members expect (20 warned just now, 30 never), per unit of their
    sensitivity to incentives."""
    model = model_of(mode, **overrides)
    orgs = np.array([20, 30])
    model.steps = 3
    model.orgs.last_warning[20] = 2
    reward, sanction = expected_incentives(model, orgs)
    s = model.orgs.incentive_sensitivity[orgs]
    return model.config.incentives, np.broadcast_to(reward, 2) / s, sanction / s


def test_under_authority_members_expect_the_full_sanction_at_once_and_no_reward(model_of):
    inc, reward, sanction = _expected(model_of, "statism")
    assert inc.graduated  # the authority ignores the warning rule
    np.testing.assert_array_equal(reward, 0.0)
    assert sanction[0] > 0
    np.testing.assert_allclose(sanction[1], sanction[0])  # a warning makes no difference


def test_under_contract_members_expect_payment_and_the_penalty_at_once(model_of):
    inc, reward, sanction = _expected(model_of, "pluralism")
    np.testing.assert_allclose(sanction[1], sanction[0])
    # both as often as the audit sees them: in the ratio of reward to sanction
    np.testing.assert_allclose(reward * inc.sanction, sanction * inc.reward)
    assert reward[0] > 0


def test_under_quotas_a_warned_member_expects_the_sanction_an_unwarned_one_less(model_of):
    _, reward, sanction = _expected(model_of, "corporatism")
    np.testing.assert_array_equal(reward, 0.0)
    np.testing.assert_allclose(sanction[1], 0.3 * sanction[0])
    _, _, at_once = _expected(model_of, "corporatism", incentives__graduated=False)
    np.testing.assert_allclose(at_once[1], at_once[0])


def test_under_agreed_shares_a_warned_member_expects_the_sanction_all_expect_rewards(model_of):
    inc, reward, sanction = _expected(model_of, "governance")
    np.testing.assert_allclose(sanction[1], 0.3 * sanction[0])
    np.testing.assert_allclose(reward * inc.sanction, sanction[0] * inc.reward)
    assert reward[0] > 0


# ---- AuthorityShares (statism) ---------------------------------------------------------------


@pytest.fixture
def statist(model_of):
    return model_of("statism")


def test_every_shortfall_is_sanctioned_at_once_and_no_reward_is_paid(statist, make_round):
    assert statist.config.incentives.graduated  # the authority ignores the warning rule
    orgs = [1, 20, 30, 45, 50, 60]
    observed = [0.1, 0.9, 0.3, 1.0, 0.0, 0.45]
    rnd = make_round(statist, orgs, observed, committed=2.0)
    warnings_before = statist.orgs.last_warning.copy()
    everyone = np.ones(6, dtype=bool)
    enf = payoff.AuthorityShares().enforce(statist, rnd, everyone, rnd.shortfall)
    expected = np.where(
        rnd.shortfall, statist.config.incentives.sanction * 2.0 * (1 - rnd.observed), 0
    )
    np.testing.assert_allclose(enf.sanction, expected)
    assert np.all(enf.sanction[rnd.shortfall] > 0)
    np.testing.assert_array_equal(enf.reward, 0.0)
    assert not enf.warned_before.any()
    np.testing.assert_array_equal(statist.orgs.last_warning, warnings_before)  # no warnings


def test_the_state_keeps_control_of_the_value(statist, make_round):
    gov = np.flatnonzero(statist.orgs.is_government)[:2]
    others = np.flatnonzero(~statist.orgs.is_government)[:3]
    rnd = make_round(statist, [*gov, *others], [1.0] * 5)
    weights = payoff.AuthorityShares().benefit_weights(statist, rnd)
    assert np.all(weights > 0)
    assert weights[:2].min() > weights[2:].max()


@pytest.mark.parametrize("budget", BUDGETS)
def test_the_budget_seeds_the_states_partnerships_by_their_size(statist, make_round, budget):
    rnd = make_round(statist, [1, 20, 30, 2, 40], [1.0] * 5, partnership=[0, 0, 0, 1, 1])
    spent = payoff.AuthorityShares().spend(statist, budget, rnd)
    np.testing.assert_allclose(spent["seed"], budget * np.array([3, 2]) / 5)
    np.testing.assert_array_equal(spent["training"], 0.0)


# ---- ContractShares (pluralism) --------------------------------------------------------------


@pytest.fixture
def pluralist(model_of):
    return model_of("pluralism")


def test_contract_penalties_from_the_first_breach_and_payment_for_delivery(pluralist, make_round):
    inc = pluralist.config.incentives
    assert inc.graduated  # a contract does not warn, whatever the configuration says
    orgs = [20, 30, 40, 50, 55, 60]
    observed = np.array([0.2, 0.9, 0.0, 1.0, 0.3, 0.8])
    seen = np.array([True, True, True, True, False, False])  # audited: the first four
    rnd = make_round(pluralist, orgs, observed, committed=1.5)
    enf = payoff.ContractShares().enforce(pluralist, rnd, seen, seen & rnd.shortfall)
    penalty = np.where(seen & rnd.shortfall, inc.sanction * 1.5 * (1 - observed), 0.0)
    np.testing.assert_allclose(enf.sanction, penalty)
    assert enf.sanction[0] > 0 and enf.sanction[2] > 0  # first breaches, no warning
    pay = np.where(seen & ~rnd.shortfall, inc.reward * rnd.delivered, 0.0)
    np.testing.assert_allclose(enf.reward, pay)
    assert enf.reward[1] > 0 and enf.reward[3] > 0
    assert enf.sanction[4] == 0 and enf.reward[5] == 0  # unaudited: nothing either way


def test_value_follows_delivered_contribution(pluralist, make_round):
    rnd = make_round(pluralist, [0, 20, 30], [1.0, 0.5, 0.0], committed=[1.0, 2.0, 1.0])
    weights = payoff.ContractShares().benefit_weights(pluralist, rnd)
    np.testing.assert_allclose(weights / weights.sum(), [0.5, 0.5, 0.0], atol=1e-8)


@pytest.mark.parametrize("budget", BUDGETS)
def test_the_state_pays_for_delivered_contracts_within_its_budget(pluralist, make_round, budget):
    rnd = make_round(
        pluralist,
        [0, 20, 1, 30, 2, 40],
        [1.0, 1.0, 0.5, 0.5, 0.0, 0.0],
        partnership=[0, 0, 1, 1, 2, 2],
    )
    spent = payoff.ContractShares().spend(pluralist, budget, rnd)
    np.testing.assert_allclose(spent["seed"], budget * np.array([2.0, 1.0, 0.0]) / 3.0)
    np.testing.assert_array_equal(spent["training"], 0.0)


def test_nothing_delivered_nothing_paid(pluralist, make_round):
    spent = payoff.ContractShares().spend(pluralist, 5.0, make_round(pluralist, [0, 20], [0, 0]))
    np.testing.assert_array_equal(spent["seed"], 0.0)
    np.testing.assert_array_equal(spent["training"], 0.0)


# ---- SectorQuotas (corporatism) --------------------------------------------------------------


@pytest.fixture
def corporatist(model_of):
    return model_of("corporatism", population__community__count=8)


def _everyone_seen(rule, model, rnd):
    everyone = np.ones(len(rnd.rows), dtype=bool)
    return rule.enforce(model, rnd, everyone, rnd.shortfall)


@pytest.mark.parametrize("rule_class", [payoff.SectorQuotas, payoff.AgreedShares])
def test_a_first_shortfall_draws_a_warning_and_a_repeat_the_sanction(
    rule_class, model_of, make_round
):
    model = model_of("corporatism", population__community__count=8)
    inc, rule = model.config.incentives, rule_class()
    assert inc.graduated
    model.steps = 10
    orgs, observed = [20, 30, 40], [0.1, 0.9, 0.2]
    enf = _everyone_seen(rule, model, make_round(model, orgs, observed))
    np.testing.assert_array_equal(enf.sanction, 0.0)  # warned, not punished
    np.testing.assert_array_equal(model.orgs.last_warning[[20, 40]], 10)
    assert model.orgs.last_warning[30] < 0  # the deliverer was not warned
    model.steps = 12
    enf = _everyone_seen(rule, model, make_round(model, orgs, observed))
    np.testing.assert_allclose(enf.sanction, [inc.sanction * 0.9, 0.0, inc.sanction * 0.8])
    np.testing.assert_array_equal(enf.warned_before, [True, False, True])
    model.steps = 12 + inc.warning_memory + 1  # the warning has lapsed: a warning again
    enf = _everyone_seen(rule, model, make_round(model, orgs, observed))
    np.testing.assert_array_equal(enf.sanction, 0.0)


@pytest.mark.parametrize("rule_class", [payoff.SectorQuotas, payoff.AgreedShares])
def test_without_graduation_sanctions_come_at_once(rule_class, model_of, make_round):
    model = model_of("corporatism", incentives__graduated=False)
    enf = _everyone_seen(rule_class(), model, make_round(model, [20, 30], [0.1, 0.9]))
    np.testing.assert_allclose(enf.sanction, [model.config.incentives.sanction * 0.9, 0.0])


def test_the_peaks_punish_and_nobody_pays_for_delivery(corporatist, make_round):
    rnd = make_round(corporatist, [20, 30, 40], [1.0, 0.9, 0.0])
    np.testing.assert_array_equal(_everyone_seen(payoff.SectorQuotas(), corporatist, rnd).reward, 0)


def test_value_is_shared_by_sector_quota(corporatist, make_round):
    orgs = corporatist.orgs
    gov = np.flatnonzero(orgs.sector == 0)[:1]
    biz = np.flatnonzero(orgs.sector == 1)[:3]
    ngo = np.flatnonzero(orgs.sector == 2)[:2]
    members = np.concatenate((gov, biz, ngo, biz[:1]))
    part = np.array([0, 0, 0, 0, 0, 0, 1])
    delivered = [1.0, 1.0, 0.0, 0.2, 1.0, 0.5, 1.0]
    weights = payoff.SectorQuotas().benefit_weights(
        corporatist, make_round(corporatist, members, delivered, part)
    )
    share = weights[:6] / weights[:6].sum()
    np.testing.assert_allclose(share, np.array([3, 1, 1, 1, 1.5, 1.5]) / 9)
    assert weights[6] > 0


@pytest.mark.parametrize("budget", BUDGETS)
def test_the_state_subsidises_each_negotiated_partnership_equally(corporatist, make_round, budget):
    rnd = make_round(corporatist, [0, 20, 1, 30, 40], [1.0, 0.0, 1.0, 1.0, 0.5], [0, 0, 1, 1, 1])
    spent = payoff.SectorQuotas().spend(corporatist, budget, rnd)
    np.testing.assert_allclose(spent["seed"], [budget / 2, budget / 2])
    np.testing.assert_array_equal(spent["training"], 0.0)


# ---- AgreedShares (governance) ---------------------------------------------------------------


@pytest.fixture
def convening(model_of):
    return model_of("governance", population__community__count=8)


def test_graduated_sanctions_and_rewards_for_delivery(convening, make_round):
    inc, rule = convening.config.incentives, payoff.AgreedShares()
    convening.steps = 5
    orgs, observed = [20, 30, 40], np.array([0.1, 0.9, 0.3])
    first = _everyone_seen(rule, convening, make_round(convening, orgs, observed))
    np.testing.assert_array_equal(first.sanction, 0.0)  # a first shortfall: a warning
    np.testing.assert_allclose(first.reward, [0.0, inc.reward * 0.9, 0.0])
    convening.steps = 6
    second = _everyone_seen(rule, convening, make_round(convening, orgs, observed))
    np.testing.assert_allclose(second.sanction, inc.sanction * np.array([0.9, 0.0, 0.7]))
    np.testing.assert_array_equal(second.warned_before, [True, False, True])


def test_value_is_half_shared_and_half_earned(convening, make_round):
    rnd = make_round(convening, [20, 30, 40, 50, 51], [1.0, 0.5, 0.5, 0.0, 0.0], [0, 0, 0, 1, 1])
    weights = payoff.AgreedShares().benefit_weights(convening, rnd)
    np.testing.assert_allclose(weights[:3], 0.5 / 3 + 0.5 * np.array([0.5, 0.25, 0.25]))
    np.testing.assert_allclose(weights[3:], [0.5, 0.5])  # nobody delivered: equal shares
    np.testing.assert_allclose(np.bincount(rnd.partnership, weights=weights), [1.0, 1.0])


@pytest.mark.parametrize("budget", BUDGETS)
def test_the_state_splits_its_budget_between_capacity_building_and_seed_funding(
    convening, make_round, budget
):
    members = [20, 30, 40, 20, 50]  # one organisation in two partnerships
    rnd = make_round(convening, members, [1.0] * 5, [0, 0, 0, 1, 1])
    spent = payoff.AgreedShares().spend(convening, budget, rnd)
    seed, training = np.asarray(spent["seed"]), np.asarray(spent["training"])
    assert seed.sum() + training.sum() == pytest.approx(budget)
    np.testing.assert_allclose(seed, [budget / 4, budget / 4])
    trained = np.flatnonzero(training)
    if budget > 0:
        np.testing.assert_array_equal(trained, [20, 30, 40, 50])
        np.testing.assert_allclose(training[trained], budget / 8)
