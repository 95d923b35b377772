"""Information rules: who is monitored each step, and who pays for monitoring.

The contract runs over all four rules (Inspection: statism, Audit: pluralism, PeakMonitoring:
corporatism, PeerReview: governance). How intensely each rule monitors is left to those rules' own
tests; here only what every intensity must keep, and who pays."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from coopsim.model.enforcement import expected_incentives
from coopsim.model.rules import information

SLOT = "information"

STRENGTHS = (0.0, 0.25, 0.5, 1.0)


def fund(model, rule, strength: float) -> None:
    """Set the funding of the rule's payer: the state's or the peaks' (partnerships always pay
    their own in full)."""
    model.enforcement_strength = strength
    model.peak_strength = np.full(len(model.peak_strength), strength)


def funded_by_others(rule) -> bool:
    return rule.payer in ("state", "peak")


# ---- the contract, for every information rule ------------------------------------------------


def test_the_rule_is_an_information_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_only_the_monitored_are_caught_and_only_for_a_shortfall(rule, lived, contract, make_round):
    rnd = lived.state.round
    orgs = np.arange(12) * 5
    observed = np.tile([0.0, 0.2, 0.5, 0.9, 1.0, 0.1], 2)
    made = make_round(lived, orgs, observed, monitor_draw=np.linspace(0.0, 0.99, 12))
    for strength in STRENGTHS:
        lived.enforcement_strength = strength
        contract.detect(lived, rule, rnd)
        contract.detect(lived, rule, made)


def test_an_unfunded_monitor_watches_nobody(rule, lived):
    if not funded_by_others(rule):
        pytest.skip("a partnership pays for its own monitoring: never unfunded")
    fund(lived, rule, 0.0)
    monitored, caught = rule.detect(lived, lived.state.round)
    assert not monitored.any() and not caught.any()


def test_partnerships_paying_their_own_monitoring_ignore_what_the_state_and_peaks_can_pay(
    rule, lived
):
    if funded_by_others(rule):
        pytest.skip("the state or the peaks pay for this monitoring")
    fund(lived, rule, 1.0)
    full = rule.detect(lived, lived.state.round)[0]
    fund(lived, rule, 0.0)
    np.testing.assert_array_equal(rule.detect(lived, lived.state.round)[0], full)


def test_monitoring_shrinks_with_the_money_for_it(rule, model_of, make_round):
    """The same 200 members, their draws spread evenly over [0, 1): each step up in strength
    watches everyone watched before, and full strength more than half strength."""
    model = model_of("governance")
    draws = np.arange(200) / 200
    insiders = np.flatnonzero(model.orgs.peak_member)  # members every monitor may watch
    who = insiders[np.arange(200) % len(insiders)]
    rnd = make_round(model, who, np.zeros(200), partnership=np.arange(200), monitor_draw=draws)
    if not funded_by_others(rule):
        pytest.skip("a partnership pays for its own monitoring in full")
    watched = []
    for strength in STRENGTHS:
        fund(model, rule, strength)
        watched.append(rule.detect(model, rnd)[0])
    for less, more in pairwise(watched):
        assert not np.any(less & ~more)
    assert watched[-1].sum() > watched[-2].sum() > 0
    assert watched[-1][0]  # a member drawn 0 is watched by a fully funded monitor


def test_members_expect_nothing_of_an_unfunded_monitor_and_more_of_a_funded_one(rule, lived):
    if not funded_by_others(rule):
        pytest.skip("a partnership pays for its own monitoring in full")
    orgs = np.flatnonzero(lived.orgs.peak_member)  # members every monitor may watch
    expected = {}
    for strength in (0.0, 0.5, 1.0):
        fund(lived, rule, strength)
        expected[strength] = expected_incentives(lived, orgs)
    reward, sanction = expected[0.0]
    np.testing.assert_array_equal(reward, 0.0)
    np.testing.assert_array_equal(sanction, 0.0)
    assert np.any(expected[1.0][1] > 0)  # sanctions are expected of a funded monitor
    for half, full in zip(expected[0.5], expected[1.0], strict=True):
        np.testing.assert_allclose(2 * np.asarray(half), full)  # in proportion to the funding


# ---- who pays --------------------------------------------------------------------------------

PAYER = {
    information.Inspection: "state",
    information.Audit: "state",
    information.PeakMonitoring: "peak",
    information.PeerReview: "partnership",
}


def test_the_state_pays_for_inspection_and_audit_peaks_for_theirs_partners_for_peer_review(rule):
    assert rule.payer == PAYER[type(rule)]
    assert rule.state_pays is (PAYER[type(rule)] == "state")


@pytest.mark.parametrize("budget", [0.0, 100.0])
def test_a_state_without_money_monitors_nobody_a_partnership_pays_its_own(
    rule, model_of, monkeypatch, budget
):
    """Eight steps of a governance model with this information rule: with no budget at all a
    state-paid rule watches nobody, while a partnership-paid one watches at full strength; with a
    budget far above the cost both watch at full strength."""
    model = model_of("governance", environment__budget=budget)
    model.mode = replace(model.mode, information=rule)
    seen = []

    def detect(model_, rnd):
        monitored, caught = type(rule).detect(rule, model_, rnd)
        seen.append((model_.enforcement_strength, int(monitored.sum())))
        return monitored, caught

    monkeypatch.setattr(rule, "detect", detect)
    model.run_for(8)
    assert len(seen) >= 5
    strengths, watched = zip(*seen, strict=True)
    if rule.state_pays and budget == 0.0:
        assert set(strengths) == {0.0} and sum(watched) == 0
    else:
        assert set(strengths) == {1.0} and sum(watched) > 0
