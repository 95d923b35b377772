"""Boundary rules: who may initiate a partnership, who may be asked to join, and who agrees.

The contract runs over all four rules; then each rule's own promises (Agencies: statism, Tender:
pluralism, Insiders: corporatism, Open: governance)."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model.formation import candidates, propose
from coopsim.model.rules import boundary
from coopsim.model.rules.base import Pool
from coopsim.model.sectors import GOVERNMENT, SECTORS

SLOT = "boundary"


# ---- the contract, for every boundary rule ---------------------------------------------------


def test_the_rule_is_a_boundary_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def test_initiators_are_eligible_organisations_in_their_given_order(rule, lived, contract):
    n = lived.orgs.n
    eligible = np.flatnonzero(lived.eligible_mask())
    assert 0 < len(eligible) < n  # some organisations are busy
    contract.initiators(lived, rule, eligible)
    contract.initiators(lived, rule, np.arange(n))
    contract.initiators(lived, rule, np.zeros(0, dtype=np.int64))
    rng = np.random.default_rng(1)
    for _ in range(5):  # any subset, in any order: the order is kept
        some = rng.permutation(n)[: rng.integers(1, n)]
        contract.initiators(lived, rule, some)


def test_joinable_is_anyone_or_a_mask_of_organisations(rule, lived, contract):
    contract.joinable(lived, rule)


def test_joins_is_everyone_asked_or_a_mask_of_the_pool(rule, lived, contract):
    eligible = np.flatnonzero(lived.eligible_mask())
    allowed = rule.joinable(lived)
    pool = Pool(lived, eligible, candidates(lived, eligible, allowed))
    contract.joins(lived, rule, pool)
    contract.joins(lived, rule, Pool(lived, eligible[:0], candidates(lived, eligible[:0])))


# ---- Agencies (statism): the state assigns ---------------------------------------------------


def test_only_agencies_initiate_by_assignment(model_of):
    model = model_of("statism")
    rule, orgs = boundary.Agencies(), model.orgs
    everyone = np.arange(orgs.n)
    np.testing.assert_array_equal(
        rule.initiators(model, everyone), np.flatnonzero(orgs.is_government)
    )
    some = np.array([0, 3, 15, 40, 60])
    out = rule.initiators(model, some)
    assert set(out) <= set(some) and np.all(orgs.is_government[out])


def test_any_organisation_may_be_assigned_and_none_may_refuse(model_of):
    model = model_of("statism")
    rule = boundary.Agencies()
    assert rule.joinable(model) is None
    leads = np.flatnonzero(model.orgs.is_government)
    assert rule.joins(model, Pool(model, leads, candidates(model, leads))) is None


def test_only_agencies_lead_the_partnerships_formed(model_of):
    model = model_of("statism")
    model.run_for(24)
    table = model.partnerships_table
    assert table.size > 0
    assert np.all(model.orgs.sector[table.view("lead")] == GOVERNMENT)


# ---- Tender (pluralism): agencies tender, others bid -----------------------------------------


def test_only_agencies_put_work_out_to_tender(model_of):
    model = model_of("pluralism")
    everyone = np.arange(model.orgs.n)
    np.testing.assert_array_equal(
        boundary.Tender().initiators(model, everyone), np.flatnonzero(model.orgs.is_government)
    )


def test_only_non_state_organisations_may_bid_and_every_bidder_stands(model_of):
    model = model_of("pluralism")
    rule = boundary.Tender()
    np.testing.assert_array_equal(rule.joinable(model), ~model.orgs.is_government)
    leads = np.flatnonzero(model.orgs.is_government)
    assert rule.joins(model, Pool(model, leads, candidates(model, leads))) is None


def test_agencies_do_not_bid(model_of, fixed_candidates):
    model = model_of("pluralism")
    lead = int(np.flatnonzero(model.orgs.is_government)[0])
    pools = fixed_candidates(np.arange(1, 40))  # agencies among the candidates
    proposal = propose(model, lead, 5)
    assert pools and pools[0] is not None
    assert not np.any(model.orgs.is_government[pools[0]])
    assert not np.any(model.orgs.is_government[proposal.members[1:]])


def test_no_agency_ever_holds_a_seat_it_did_not_lead(model_of):
    model = model_of("pluralism")
    for _ in range(40):  # through formation and re-tenders
        model.step()
        live = model.members.live()
        lead = model.partnerships_table.lead[model.members.partnership[live]]
        seat = model.members.organisation[live] != lead
        assert not np.any(model.orgs.sector[model.members.organisation[live][seat]] == GOVERNMENT)
    assert model.partnerships_table.size > 0


# ---- Insiders (corporatism): agencies and peaks initiate, insiders are nominated -------------


def test_agencies_and_peak_organisations_initiate(model_of):
    model = model_of("corporatism", population__community__count=8)
    rule, orgs = boundary.Insiders(), model.orgs
    everyone = np.arange(orgs.n)
    expected = np.union1d(np.flatnonzero(orgs.is_government), orgs.peak[orgs.peak >= 0])
    np.testing.assert_array_equal(rule.initiators(model, everyone), expected)
    assert np.any(~orgs.is_government[expected])  # not only the state
    ordinary = np.setdiff1d(everyone, expected)
    assert len(rule.initiators(model, ordinary)) == 0


def test_only_insiders_may_be_nominated(model_of):
    model = model_of("corporatism", population__community__count=8)
    rule = boundary.Insiders()
    mask = rule.joinable(model)
    np.testing.assert_array_equal(mask, model.orgs.peak_member)
    assert np.any(~mask)  # there are outsiders
    leads = rule.initiators(model, np.arange(model.orgs.n))
    assert rule.joins(model, Pool(model, leads, candidates(model, leads))) is None


def test_only_insiders_are_asked(model_of):
    model = model_of("corporatism", population__community__count=8)
    orgs = model.orgs
    leads = boundary.Insiders().initiators(model, np.arange(orgs.n))
    proposals = 0
    for lead in leads:
        for size in (2, 3, 5):
            proposal = propose(model, int(lead), size)
            if proposal is None:
                continue
            proposals += 1
            partners = proposal.members[1:]
            assert proposal.members[0] == lead
            assert np.all(orgs.peak_member[partners]), "an outsider was asked"
            assert len(np.unique(proposal.members)) == len(proposal.members)
    assert proposals >= len(leads)


def test_only_insiders_are_nominated_to_corporatist_partnerships(model_of):
    """Checked when each partnership is founded: members expelled later (peak discipline) were
    insiders when nominated; organisations outside every peak are never nominated."""
    model = model_of("corporatism", population__community__count=8)
    orgs, table = model.orgs, model.partnerships_table
    never_inside = ~orgs.peak_member & ~orgs.is_government
    founded = 0
    for _ in range(30):
        t, insiders = model.steps, orgs.peak_member.copy()
        model.step()
        for pid in np.flatnonzero(table.view("formed") == t):
            partners = [m for m in table.member_lists[pid] if m != table.lead[pid]]
            assert np.all(insiders[partners])
            founded += 1
    assert founded > 0
    assert not orgs.ever_partnered[never_inside].any()


# ---- Open (governance): anyone convenes, partners join by choice -----------------------------


@pytest.fixture
def convening(model_of):
    return model_of("governance", population__community__count=8)


def test_anyone_may_convene_and_anyone_may_be_asked(convening):
    model, rule = convening, boundary.Open()
    everyone = np.arange(model.orgs.n)
    np.testing.assert_array_equal(rule.initiators(model, everyone), everyone)
    some = np.array([2, 30, 50, 70])
    np.testing.assert_array_equal(rule.initiators(model, some), some)
    assert rule.joinable(model) is None


def test_firms_and_ngos_convene_too(convening):
    convening.run_for(24)
    led_by = np.bincount(
        convening.orgs.sector[convening.partnerships_table.view("lead")], minlength=len(SECTORS)
    )
    assert np.all(led_by[:3] > 0)  # agencies, firms and NGOs all convene


def _asked_many_times(model, lead, cands, times=400) -> np.ndarray:
    """The share of ``times`` asks each candidate agrees to (one Pool row per ask)."""
    pool = Pool(model, np.full(times, lead), np.tile(np.asarray(cands), (times, 1)))
    return boundary.Open().joins(model, pool).mean(axis=0)


def test_candidates_who_share_the_leads_goals_agree_and_strangers_rarely(convening):
    """The chance is 0.5·(1 + tanh(3·(appeal − 1.2))): with trust at its initial 0.3, a stranger
    (goal fit 0) has appeal ≤ 0.8, a chance ≤ 0.083; a kindred candidate (fit 1) appeal ≥ 1.6 when
    the lead adds at least 60% of the best gain (it does here), a chance ≥ 0.917. Over 2,000 asks
    each the shares sit within a few hundredths of those bounds."""
    orgs = convening.orgs
    lead, cands = 30, np.arange(40, 50)
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[cands[:5]] = [0.0, 1.0, 0.0, 0.0]  # nothing in common with the lead's goals
    orgs.goals[cands[5:]] = [1.0, 0.0, 0.0, 0.0]
    agreed = _asked_many_times(convening, lead, cands)
    assert agreed[:5].mean() < 0.15
    assert agreed[5:].mean() > 0.85


def test_trust_in_the_lead_makes_up_for_weaker_alignment(convening, clone, trust):
    """Two identical candidates with goal fit 1/√5 ≈ 0.45: one trusts the lead fully (appeal
    ≈ 1.95, a chance ≈ 0.99), the other is a stranger (appeal ≈ 1.25, a chance ≈ 0.57)."""
    orgs = convening.orgs
    lead, keen, wary = 30, 41, 42
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[[keen, wary]] = [1 / 3, 2 / 3, 0.0, 0.0]
    clone(convening, keen, [wary])
    trust(convening, keen, lead, 1.0)
    keen_agrees, wary_agrees = _asked_many_times(convening, lead, [keen, wary], times=2000)
    assert keen_agrees > 0.9 and keen_agrees > wary_agrees + 0.2


def test_the_willing_join_and_all_of_them_get_their_turn(convening, fixed_candidates):
    orgs = convening.orgs
    lead, cands = 30, np.arange(40, 50)
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[cands[:5]] = [0.0, 1.0, 0.0, 0.0]
    orgs.goals[cands[5:]] = [1.0, 0.0, 0.0, 0.0]
    fixed_candidates(cands)
    joined = []
    for _ in range(60):
        proposal = propose(convening, lead, 4)
        if proposal is not None:
            joined += proposal.members[1:].tolist()
    strangers = sum(j in set(cands[:5].tolist()) for j in joined)
    kindred = sum(j in set(cands[5:].tolist()) for j in joined)
    assert kindred > 5 * max(strangers, 1)
    assert set(joined) >= set(cands[5:].tolist())
