"""Scope rules: the objective of each drafted partnership, a weighting of the four goals.

The contract runs over all four rules; then each rule's own promises (National: statism,
Specification: pluralism, PeakBlend: corporatism, CommonGround: governance)."""

from __future__ import annotations

import numpy as np

from coopsim.model.formation import propose
from coopsim.model.rules import aggregation, scope
from coopsim.model.rules.aggregation import lead_only
from coopsim.model.sectors import PUBLIC_VALUE

SLOT = "scope"


# ---- the contract, for every scope rule ------------------------------------------------------


def test_the_rule_is_a_scope_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_every_objective_is_a_weighting_of_the_goals(rule, lived, contract, drafts_of):
    for drafts in drafts_of(lived):
        contract.objective(lived, rule, drafts)


def test_objectives_stay_weightings_when_goals_are_one_sided(rule, model_of, contract, drafts_of):
    model = model_of("corporatism", population__community__count=8)
    goals = np.zeros_like(model.orgs.goals)
    goals[np.arange(model.orgs.n), np.arange(model.orgs.n) % goals.shape[1]] = 1.0
    model.orgs.goals[:] = goals  # each organisation wants one thing only
    for drafts in drafts_of(model):
        contract.objective(model, rule, drafts)


def test_the_objective_follows_control(rule, model_of, make_drafts):
    """Whatever the rule, moving control to a member moves the objective towards its goals."""
    model = model_of("governance", population__community__count=8)
    drafts = make_drafts([[2, 60], [2, 60]])
    control = np.array([1.0, 0.0, 0.2, 0.8])
    objective = rule.objective(model, drafts, control)
    goals = model.orgs.goals[60] / model.orgs.goals[60].sum()
    far, near = (np.abs(row - goals).sum() for row in objective)
    assert near < far


def _norm(goals: np.ndarray) -> np.ndarray:
    return goals / goals.sum(axis=-1, keepdims=True)


# ---- National (statism) ----------------------------------------------------------------------


def test_contributions_serve_the_national_objective(model_of):
    model = model_of("statism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    (objective,) = propose(model, lead, 4).terms.objective
    assert np.isclose(objective.sum(), 1.0)
    assert objective[PUBLIC_VALUE] >= 0.5
    goals = model.orgs.goals[lead]
    assert objective[PUBLIC_VALUE] > goals[PUBLIC_VALUE] / goals.sum()


def test_the_national_objective_is_the_leads_while_it_holds_control(model_of, make_drafts):
    model = model_of("statism")
    drafts = make_drafts([[0, 20, 30], [0, 40, 50, 60], [1, 20]])
    objective = scope.National().objective(model, drafts, lead_only(drafts))
    np.testing.assert_array_equal(objective[0], objective[1])
    np.testing.assert_allclose(objective, scope.national_objective(model.orgs.goals[[0, 0, 1]]))


# ---- Specification (pluralism) ---------------------------------------------------------------


def test_the_tender_specifies_the_goals_of_those_in_control(model_of, make_drafts):
    model = model_of("pluralism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    drafts = make_drafts([[lead, 20, 30]])
    (own,) = scope.Specification().objective(model, drafts, lead_only(drafts))
    np.testing.assert_allclose(own, _norm(model.orgs.goals[lead]))
    shared = np.array([0.5, 0.5, 0.0])
    (half,) = scope.Specification().objective(model, drafts, shared)
    expected = 0.5 * _norm(model.orgs.goals[lead]) + 0.5 * _norm(model.orgs.goals[20])
    np.testing.assert_allclose(half, expected)


# ---- PeakBlend (corporatism) -----------------------------------------------------------------


def test_members_are_represented_by_their_peaks_the_lead_by_itself(model_of, make_drafts):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(np.flatnonzero(~orgs.is_government & (orgs.sector == 1))[0])
    assert lead != orgs.peak[1]
    partner = int(np.flatnonzero(orgs.sector == 2)[0])
    drafts = make_drafts([[lead, partner]])
    control = np.array([0.3, 0.7])
    (objective,) = scope.PeakBlend().objective(model, drafts, control)
    voice = orgs.peak[2] if orgs.peak[2] >= 0 else partner
    expected = 0.3 * _norm(orgs.goals[lead]) + 0.7 * _norm(orgs.goals[voice])
    np.testing.assert_allclose(objective, expected)


def test_an_agency_lead_holds_half_the_control_as_mediator(model_of, make_drafts):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(np.flatnonzero(orgs.is_government)[0])
    drafts = make_drafts([[lead, int(np.flatnonzero(orgs.sector == 2)[0])]])
    control = aggregation.PeakBargaining().control(model, drafts)
    assert control[0] >= 0.5
    np.testing.assert_allclose(control.sum(), 1.0)


# ---- CommonGround (governance) ---------------------------------------------------------------


def test_the_objective_is_the_members_common_ground(model_of, make_drafts):
    model = model_of("governance", population__community__count=8)
    drafts = make_drafts([[30, 40, 41, 42], [2, 60]])
    equal = 1.0 / drafts.sizes[drafts.group]
    objective = scope.CommonGround().objective(model, drafts, equal)
    for row, members in zip(objective, ([30, 40, 41, 42], [2, 60]), strict=True):
        np.testing.assert_allclose(row, _norm(model.orgs.goals[members]).mean(axis=0))
