"""Scope rules: the objective of each drafted partnership, a weighting of the four goals.

The contract runs over all four rules; then each rule's own promises (National: statism,
Specification: pluralism, PeakBlend: corporatism, CommonGround: governance)."""

from __future__ import annotations

import numpy as np

from coopsim.model.formation import propose
from coopsim.model.rules import scope
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


# ---- National (statism) ----------------------------------------------------------------------


def test_contributions_serve_the_national_objective(model_of):
    model = model_of("statism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    (objective,) = propose(model, lead, 4).terms.objective
    assert np.isclose(objective.sum(), 1.0)
    assert objective[PUBLIC_VALUE] >= 0.5
    goals = model.orgs.goals[lead]
    assert objective[PUBLIC_VALUE] > goals[PUBLIC_VALUE] / goals.sum()


def test_the_national_objective_is_the_leads_whoever_the_members(model_of, make_drafts):
    model = model_of("statism")
    drafts = make_drafts([[0, 20, 30], [0, 40, 50, 60], [1, 20]])
    objective = scope.National().objective(model, drafts)
    np.testing.assert_array_equal(objective[0], objective[1])
    np.testing.assert_allclose(objective, scope.national_objective(model.orgs.goals[[0, 0, 1]]))


# ---- Specification (pluralism) ---------------------------------------------------------------


def test_the_tender_specifies_the_agencys_own_goals(model_of):
    model = model_of("pluralism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    (objective,) = propose(model, lead, 3).terms.objective
    goals = model.orgs.goals[lead]
    np.testing.assert_allclose(objective, goals / goals.sum())


# ---- PeakBlend (corporatism) -----------------------------------------------------------------


def test_the_objective_is_negotiated_between_the_state_and_the_peaks(model_of):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(np.flatnonzero(orgs.is_government)[0])
    proposal = propose(model, lead, 4)
    peaks = orgs.peak[np.unique(orgs.sector[proposal.members])]
    negotiators = np.unique(np.concatenate(([lead], peaks[peaks >= 0])))
    expected = 0.5 * orgs.goals[negotiators].mean(axis=0) + 0.5 * orgs.goals[lead]
    np.testing.assert_allclose(proposal.terms.objective[0], expected / expected.sum())


def test_a_peak_organisation_convenes_on_the_peaks_blended_goals(model_of):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(orgs.peak[1])  # the business peak
    proposal = propose(model, lead, 4)
    peaks = orgs.peak[np.unique(orgs.sector[proposal.members])]
    negotiated = orgs.goals[np.unique(peaks[peaks >= 0])].mean(axis=0)
    np.testing.assert_allclose(proposal.terms.objective[0], negotiated / negotiated.sum())


def test_an_ordinary_lead_speaks_for_itself_beside_the_peaks(model_of, make_drafts):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(np.flatnonzero(~orgs.is_government & (orgs.sector == 1))[0])
    assert lead != orgs.peak[1]
    partner = int(np.flatnonzero(orgs.sector == 2)[0])
    objective = scope.PeakBlend().objective(model, make_drafts([[lead, partner]]))[0]
    expected = orgs.goals[[lead, orgs.peak[1], orgs.peak[2]]].mean(axis=0)
    np.testing.assert_allclose(objective, expected / expected.sum())


# ---- CommonGround (governance) ---------------------------------------------------------------


def test_the_objective_is_the_members_common_ground(model_of, make_drafts):
    model = model_of("governance", population__community__count=8)
    drafts = make_drafts([[30, 40, 41, 42], [2, 60]])
    objective = scope.CommonGround().objective(model, drafts)
    for row, members in zip(objective, ([30, 40, 41, 42], [2, 60]), strict=True):
        common = model.orgs.goals[members].mean(axis=0)
        np.testing.assert_allclose(row, common / common.sum())
