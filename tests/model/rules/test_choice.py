"""Choice rules: what a member may commit, and whether one who wants to leave may.

The contract runs over all four rules; then each rule's own promises (Mandate: statism,
Contract: pluralism, PeakMembership: corporatism, Voluntary: governance). Who may leave under the
mandate and in a peak is left to those rules' own tests."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model.partnerships import CAUSE
from coopsim.model.rules import choice

SLOT = "choice"

#: The reasons a member may want to leave (what the exit rule is asked about).
WANTS_OUT = [CAUSE[c] for c in ("low_trust", "goal_conflict", "free_riding", "outside_option")]


# ---- the contract, for every choice rule -----------------------------------------------------


def test_the_rule_is_a_choice_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_each_drafted_member_commits_a_share_of_its_endowment(rule, lived, contract, drafts_of):
    for drafts in drafts_of(lived):
        contract.commitment(lived, rule, drafts)


@pytest.mark.parametrize("preset", [0.05, 0.7, 1.0])
def test_commitments_stay_shares_whatever_the_preset_and_propensity(
    rule, model_of, contract, drafts_of, preset
):
    model = model_of("governance", population__community__count=8, partnerships__commitment=preset)
    model.orgs.propensity[:] = np.linspace(0.0, 1.0, model.orgs.n)
    for drafts in drafts_of(model):
        contract.commitment(model, rule, drafts)


@pytest.mark.parametrize("strength", [0.0, 0.3, 0.7, 1.0])
def test_only_members_who_want_to_leave_may_leave(rule, lived, contract, strength):
    """Exit requests over a real round (any mix of reasons, all, none): a rule may hold members
    in or relabel why they leave, never send away one who asked for nothing."""
    lived.enforcement_strength = strength
    state = lived.state
    n = len(state.org)
    assert n > 0
    rng = np.random.default_rng(3)
    mixed = np.where(rng.random(n) < 0.5, rng.choice(WANTS_OUT, size=n), 0)
    for cause in (mixed, np.zeros(n, dtype=np.int64), np.full(n, CAUSE["free_riding"])):
        contract.exits(lived, rule, state, cause.astype(np.int64))


# ---- commitments -----------------------------------------------------------------------------


@pytest.mark.parametrize("rule_class", [choice.Mandate, choice.Contract, choice.PeakMembership])
def test_mandated_contracted_and_negotiated_commitments_are_the_preset(
    rule_class, model_of, make_drafts
):
    model = model_of("statism")
    model.orgs.propensity[:] = np.linspace(0.0, 1.0, model.orgs.n)  # no bearing on them
    drafts = make_drafts([[0, 20, 30], [1, 40, 50, 60]])
    np.testing.assert_array_equal(
        rule_class().commitment(model, drafts), model.config.partnerships.commitment
    )


def test_voluntary_commitments_follow_the_propensity_to_cooperate(model_of, make_drafts):
    model = model_of("governance", population__community__count=8)
    orgs = model.orgs
    orgs.propensity[:] = np.linspace(0.0, 1.0, orgs.n)
    drafts = make_drafts([[30, *range(40, 44)], [2, 60, 70]])
    share = choice.Voluntary().commitment(model, drafts)
    base = model.config.partnerships.commitment
    np.testing.assert_allclose(share, base * (0.5 + orgs.propensity[drafts.members]))
    order = np.argsort(orgs.propensity[drafts.members])
    assert np.all(np.diff(share[order]) > 0)


def test_a_voluntary_commitment_never_exceeds_the_whole_endowment(model_of, make_drafts):
    model = model_of("governance", partnerships__commitment=0.9)
    model.orgs.propensity[:] = 1.0  # would commit 0.9 × 1.5
    share = choice.Voluntary().commitment(model, make_drafts([[30, 40, 50]]))
    np.testing.assert_array_equal(share, 1.0)


# ---- exit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule_class", [choice.Contract, choice.Voluntary])
@pytest.mark.parametrize("strength", [0.0, 1.0])
def test_under_contract_or_voluntary_each_member_decides_its_exit_alone(
    rule_class, strength, model_of
):
    model = model_of("governance", population__community__count=8)
    model.run_for(12)
    model.enforcement_strength = strength  # whatever the state's budget
    n = len(model.state.org)
    for wanting in (1, n // 3, n):  # one, some or all of the members want out
        cause = np.zeros(n, dtype=np.int64)
        cause[:wanting] = CAUSE["goal_conflict"]
        np.testing.assert_array_equal(rule_class().exits(model, model.state, cause), cause)
