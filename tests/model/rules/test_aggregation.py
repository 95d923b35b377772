"""Aggregation rules: who negotiates a partnership's terms with whom, and for how many rounds.

The contract runs over all four rules; then each rule's own promises (Decree: statism, Award:
pluralism, PeakBargaining: corporatism, Multilateral: governance). How formal each agreement is
is left to those rules' own tests."""

from __future__ import annotations

import numpy as np

from coopsim.model.formation import propose
from coopsim.model.rules import aggregation

SLOT = "aggregation"


# ---- the contract, for every aggregation rule ------------------------------------------------


def test_the_rule_is_an_aggregation_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_every_draft_takes_some_negotiation_in_one_round_or_more(rule, lived, contract, drafts_of):
    for drafts in drafts_of(lived):
        contract.negotiation(lived, rule, drafts)


# ---- Decree (statism) ------------------------------------------------------------------------


def test_a_decree_is_told_to_each_member_once(model_of):
    model = model_of("statism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    proposal = propose(model, lead, 4)
    terms = proposal.terms
    assert terms.rounds == 1 and aggregation.Decree().rounds(model) == 1
    np.testing.assert_array_equal(terms.negotiating_pairs, [len(proposal.members) - 1])


# ---- Award (pluralism) -----------------------------------------------------------------------


def test_an_award_evaluates_every_bid_once(model_of, fixed_candidates):
    model = model_of("pluralism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    bidders = np.flatnonzero(~model.orgs.is_government)[:12]
    fixed_candidates(bidders)
    proposal = propose(model, lead, 3)  # two seats, twelve bids
    assert proposal.terms.rounds == 1
    np.testing.assert_array_equal(proposal.terms.negotiating_pairs, [12])


def test_an_award_counts_the_bids_seen_not_the_seats(model_of, make_drafts):
    model = model_of("pluralism")
    drafts = make_drafts([[0, 20, 30], [1, 40]], considered=[9, 4])
    np.testing.assert_array_equal(aggregation.Award().negotiating_pairs(model, drafts), [9, 4])


# ---- PeakBargaining (corporatism) ------------------------------------------------------------


def test_the_lead_and_the_members_peaks_bargain_in_two_rounds(model_of):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    lead = int(np.flatnonzero(orgs.is_government)[0])
    proposal = propose(model, lead, 4)
    peaks = orgs.peak[np.unique(orgs.sector[proposal.drafted])]
    k = len(np.unique(np.concatenate(([lead], peaks[peaks >= 0]))))
    np.testing.assert_array_equal(proposal.terms.negotiating_pairs, [k * (k - 1) // 2 + 1])
    assert proposal.terms.rounds == 2


def test_members_of_one_sector_are_spoken_for_by_one_peak(model_of, make_drafts):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    assert orgs.peak[0] >= 0  # the state's sector has a peak organisation too
    lead = int(np.flatnonzero(orgs.is_government & (np.arange(orgs.n) != orgs.peak[0]))[0])
    business = np.flatnonzero(orgs.sector == 1)[:4]
    ngo = np.flatnonzero(orgs.sector == 2)[:1]
    drafts = make_drafts([[lead, *business[:1]], [lead, *business], [lead, *business, *ngo]])
    # negotiators: the lead, the state's peak (the lead's own sector) and each member sector's
    pairs = aggregation.PeakBargaining().negotiating_pairs(model, drafts)
    np.testing.assert_array_equal(pairs, [3 * 2 // 2 + 1, 3 * 2 // 2 + 1, 4 * 3 // 2 + 1])


# ---- Multilateral (governance) ---------------------------------------------------------------


def test_every_member_bargains_with_every_other_for_the_bargaining_rounds(model_of, make_drafts):
    model = model_of("governance")
    drafts = make_drafts([[30, 40], [31, 41, 42], [32, 43, 44, 45, 46]])
    np.testing.assert_array_equal(
        aggregation.Multilateral().negotiating_pairs(model, drafts), [1, 3, 10]
    )
    assert aggregation.Multilateral().rounds(model) == model.config.costs.bargaining_rounds
