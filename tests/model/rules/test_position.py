"""Position rules: who ranks the candidates for the seats, and how; the re-tender of seats.

The contract runs over all four rules; then each rule's own promises (Authority: statism,
Purchaser: pluralism, Delegates: corporatism, Convenor: governance)."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import formation
from coopsim.model.config import MODES
from coopsim.model.formation import complementarity, propose
from coopsim.model.modes import MODE_RULES
from coopsim.model.partnerships import CAUSE
from coopsim.model.rules import position
from coopsim.model.rules.base import Pool
from coopsim.model.sectors import PROFIT

SLOT = "position"


# ---- the contract, for every position rule ---------------------------------------------------


def test_the_rule_is_a_position_rule(rule, model_of, contract):
    contract.rule(type(rule), SLOT, model_of("governance"))


def _masks(model) -> list:
    """What a boundary rule may pass as the joinable organisations: anyone, each mode's mask and
    a mask drawn at random."""
    masks = [None, *(MODE_RULES[m]["boundary"]().joinable(model) for m in MODES)]
    masks.append(np.random.default_rng(2).random(model.orgs.n) < 0.5)
    return masks


def test_the_pool_lists_eligible_joinable_candidates_once_never_the_lead(rule, lived, contract):
    leads = np.flatnonzero(lived.eligible_mask())
    assert 0 < len(leads) < lived.orgs.n  # some organisations are busy
    for allowed in _masks(lived):
        contract.pool(lived, rule, leads, allowed)
    contract.pool(lived, rule, leads[:0], None)


def test_every_candidate_gets_a_score(rule, lived, contract):
    leads = np.flatnonzero(lived.eligible_mask())
    for allowed in _masks(lived):
        contract.score(lived, rule, rule.pool(lived, leads, allowed))


def test_the_shortlist_ranks_each_candidate_once_never_the_lead(rule, lived, contract):
    assert lived.mode.position == rule
    contract.shortlist(lived, np.flatnonzero(lived.eligible_mask()))


def test_the_review_keeps_the_model_whole_and_seats_within_the_boundary(rule, lived):
    """Reviewed at four steps in a row (contract terms of three steps: some fall due) with each
    kind of boundary mask."""
    mem = lived.members
    seated = 0
    for allowed in _masks(lived)[:3] + _masks(lived)[-1:]:
        for t in range(lived.steps, lived.steps + 4):
            before = mem.size
            rule.review(lived, t, allowed)
            lived.check_invariants()
            joined = np.arange(before, mem.size)
            seated += len(joined)
            if allowed is not None:
                assert np.all(allowed[mem.organisation[joined]])
    assert seated > 0 or not rule.writes  # a rule that says it changes seats does


# ---- Authority (statism): the agency assigns by what it lacks --------------------------------


@pytest.fixture
def statist(model_of):
    return model_of("statism")


def _gov(model) -> int:
    return int(np.flatnonzero(model.orgs.is_government)[0])


def test_partners_are_assigned_by_complementarity_in_a_fixed_order(statist, fixed_candidates):
    lead = _gov(statist)
    cands = np.array([o for o in range(5, 45, 4) if o != lead])
    fixed_candidates(cands)
    gain = complementarity(statist, np.array([lead]), cands[None, :])[0]
    assert len(np.unique(gain)) == len(gain)
    expected = cands[np.argsort(-gain)][:3]
    first = propose(statist, lead, 4)
    again = propose(statist, lead, 4)
    assert first.members[0] == lead
    np.testing.assert_array_equal(first.members[1:], expected)
    np.testing.assert_array_equal(again.members, first.members)


def test_the_partner_that_brings_what_the_lead_lacks_is_assigned(statist, fixed_candidates):
    lead, rich, complement = _gov(statist), 20, 50
    orgs = statist.orgs
    orgs.endowment[:, lead] = [2.0, 2.0, 2.0, 0.1]  # short of legitimacy
    orgs.endowment[:, rich] = [1.0, 1.0, 1.0, 0.1]  # more of everything the lead already has
    orgs.endowment[:, complement] = [0.5, 0.5, 0.5, 0.5]  # less in total, but legitimacy
    orgs.capacity = orgs.capacity  # recompute the available endowment from the new one
    fixed_candidates([rich, complement])
    np.testing.assert_array_equal(propose(statist, lead, 2).members, [lead, complement])


@pytest.mark.parametrize("mode", ["statism", "pluralism"])
def test_an_assignment_or_a_contract_needs_every_seat_filled(mode, model_of, fixed_candidates):
    model = model_of(mode)
    assert MODE_RULES[mode]["position"].fills_every_seat
    fixed_candidates([30])
    assert propose(model, _gov(model), 3) is None
    assert propose(model, _gov(model), 2) is not None


@pytest.mark.parametrize("mode", ["corporatism", "governance"])
def test_a_nomination_or_a_convening_goes_ahead_short_of_seats(mode, model_of, fixed_candidates):
    model = model_of(mode, population__community__count=8)
    lead = int(model.orgs.peak[1])  # a business peak: initiates in either mode
    model.orgs.goals[[lead, 50]] = [0.5, 0.0, 0.5, 0.0]
    model.orgs.peak_member[50] = True
    assert not MODE_RULES[mode]["position"].fills_every_seat
    fixed_candidates([50])
    proposals = [propose(model, lead, 4) for _ in range(5)]  # joining may be voluntary
    assert any(p is not None and list(p.members) == [lead, 50] for p in proposals)


def test_real_candidates_give_distinct_eligible_partners(statist):
    for lead in np.flatnonzero(statist.orgs.is_government):
        proposal = propose(statist, int(lead), 5)
        assert proposal is not None
        members = proposal.members
        assert members[0] == lead and len(np.unique(members)) == len(members) == 5
        assert np.all(statist.eligible_mask()[members])


# ---- Purchaser (pluralism): the best bids win; seats are re-tendered -------------------------


@pytest.fixture
def pluralist(model_of):
    return model_of("pluralism")


def test_the_best_bids_by_quality_per_price_win(pluralist, fixed_candidates):
    lead = _gov(pluralist)
    cands = np.flatnonzero(~pluralist.orgs.is_government)[:12]
    fixed_candidates(cands)
    score = position.bids(pluralist, np.array([lead]), cands[None, :])[0]
    assert len(np.unique(score)) == len(score)
    proposal = propose(pluralist, lead, 4)
    np.testing.assert_array_equal(proposal.members, [lead, *cands[np.argsort(-score)[:3]]])


def test_a_dearer_bid_scores_lower_and_a_more_capable_bidder_higher(pluralist):
    lead, bidder = _gov(pluralist), int(np.flatnonzero(~pluralist.orgs.is_government)[0])
    orgs = pluralist.orgs

    def bid() -> float:
        return float(position.bids(pluralist, np.array([lead]), np.array([[bidder]]))[0, 0])

    base = bid()
    orgs.goals[bidder, PROFIT] += 0.5  # asks a larger mark-up
    dearer = bid()
    orgs.goals[bidder, PROFIT] -= 0.5
    orgs.collaborative_capacity[bidder] = min(1.0, orgs.collaborative_capacity[bidder] + 0.3)
    better = bid()
    assert dearer < base < better


def test_seats_are_retendered_and_the_outbid_leave_as_replaced(model_of):
    model = model_of("pluralism", rng=3)
    model.run_for(40)
    replaced = int(model.timeseries()["members_replaced"].sum())
    mem = model.members
    left_replaced = np.flatnonzero(mem.view("cause") == CAUSE["replaced"])
    assert replaced > 0
    assert len(left_replaced) <= replaced  # compaction may have dropped some rows
    assert not mem.active[left_replaced].any()


@pytest.mark.parametrize("term", [5, 12])
def test_re_tenders_fall_due_every_contract_term(model_of, term):
    model = model_of("pluralism", rng=3, governance__contract_term=term)
    model.run_for(40)
    mem, table = model.members, model.partnerships_table
    replaced = mem.view("cause") == CAUSE["replaced"]
    age = mem.view("left")[replaced] - table.formed[mem.view("partnership")[replaced]]
    assert len(age) and np.all(age % term == 0)  # seats change hands only at a term's end
    never = model_of("pluralism", rng=3, governance__contract_term=240)
    never.run_for(40)
    assert never.timeseries()["members_replaced"].sum() == 0


def test_each_re_tender_settles_one_seat_at_most_per_partnership(model_of):
    model = model_of("pluralism", rng=5, governance__contract_term=4)
    model.run_for(30)
    mem = model.members
    replaced = mem.view("cause") == CAUSE["replaced"]
    key = mem.view("partnership")[replaced] * 1000 + mem.view("left")[replaced]
    assert len(key) and len(np.unique(key)) == len(key)


def test_only_the_purchaser_re_tenders(model_of):
    for mode in ("statism", "corporatism", "governance"):
        model = model_of(mode, rng=3, governance__contract_term=5)
        model.run_for(40)
        assert model.timeseries()["members_replaced"].sum() == 0


# ---- Delegates (corporatism): peaks nominate by seniority, round the sectors -----------------


@pytest.fixture
def corporatist(model_of):
    return model_of("corporatism", population__community__count=8)


def test_partners_come_from_the_other_sectors_largest_members_first(corporatist, fixed_candidates):
    orgs = corporatist.orgs
    lead = _gov(corporatist)
    fixed_candidates(np.flatnonzero(~orgs.is_government))
    proposal = propose(corporatist, lead, 4)  # one seat for each of three other sectors
    partners = proposal.members[1:]
    assert sorted(orgs.sector[partners].tolist()) == [1, 2, 3]
    size = orgs.endowment.sum(axis=0)
    for p in partners:
        same = np.flatnonzero((orgs.sector == orgs.sector[p]) & orgs.peak_member)
        assert size[p] == size[same].max()  # the peak puts forward its largest member


def test_seats_go_round_the_other_sectors_each_by_seniority(corporatist):
    orgs, rule = corporatist.orgs, position.Delegates()
    leads = np.union1d(np.flatnonzero(orgs.is_government), orgs.peak[orgs.peak >= 0])
    pool = rule.pool(corporatist, leads, orgs.peak_member.copy())
    score, tie = rule.score(corporatist, pool)
    ranked = formation.rank(pool.cands, score, tie)
    seniority = orgs.endowment.sum(axis=0)
    first = []
    for lead, row in zip(leads.tolist(), ranked, strict=True):
        real = row[row >= 0]
        sectors = orgs.sector[real]
        others = np.setdiff1d(np.unique(orgs.sector), [orgs.sector[lead]])
        assert set(sectors.tolist()) == set(others.tolist())  # every other sector, not its own
        assert sorted(sectors[: len(others)].tolist()) == others.tolist()  # one seat each first
        for s in others:  # within a sector: the most senior first
            assert np.all(np.diff(seniority[real[sectors == s]]) <= 0)
        first.append(int(sectors[0]))
    assert len(set(first)) > 1  # the round starts at a peak drawn at random


def test_a_peak_organisation_convenes_the_other_sectors_insiders(corporatist):
    orgs = corporatist.orgs
    lead = int(orgs.peak[1])  # the business peak
    proposal = propose(corporatist, lead, 4)
    partners = proposal.members[1:]
    assert proposal.members[0] == lead
    assert not np.any(orgs.sector[partners] == orgs.sector[lead])
    assert np.all(orgs.peak_member[partners])


# ---- Convenor (governance): ranked by trust, fit and complementarity, noisily ---------------


@pytest.fixture
def convening(model_of):
    return model_of("governance", population__community__count=8)


def _first_choice_share(model, lead, cands, favourite, times=2000) -> float:
    """How often the convenor ranks ``favourite`` first among ``cands`` (one Pool row per try)."""
    pool = Pool(model, np.full(times, lead), np.tile(cands, (times, 1)))
    score, tie = position.Convenor().score(model, pool)
    ranked = formation.rank(pool.cands, score, tie)
    return float(np.mean(ranked[:, 0] == favourite))


def test_the_lead_prefers_partners_it_trusts(convening, clone, trust):
    """Clones but for the lead's trust (1.0 against 0.3): the score differs by 0.7 under Gumbel
    noise of scale 0.3, so the trusted one comes first with chance e^(0.7/0.3) / (e^(0.7/0.3) + 4)
    ≈ 0.72 (0.2 if trust did not matter); over 2,000 rankings the share is within ±0.03."""
    lead, cands = 30, np.arange(40, 45)
    clone(convening, int(cands[0]), cands[1:])
    trust(convening, lead, int(cands[2]), 1.0)
    assert _first_choice_share(convening, lead, cands, cands[2]) > 0.6


def test_the_lead_prefers_partners_whose_goals_it_shares(convening, clone):
    """Clones but for goal fit (1 against 1/√5 ≈ 0.45): first with chance e^(0.55/0.3) /
    (e^(0.55/0.3) + 4) ≈ 0.61 (0.2 if goals did not matter)."""
    orgs = convening.orgs
    lead, cands = 30, np.arange(40, 45)
    clone(convening, int(cands[0]), cands[1:])
    orgs.goals[lead] = [1.0, 0.0, 0.0, 0.0]
    orgs.goals[cands] = [1 / 3, 0.0, 0.0, 2 / 3]
    orgs.goals[cands[3]] = [1.0, 0.0, 0.0, 0.0]
    assert _first_choice_share(convening, lead, cands, cands[3]) > 0.5


def test_the_lead_prefers_partners_that_add_what_it_lacks(convening, clone):
    """Clones but for what they add: the one adding most scores up to 1 more (here ≫ the noise)."""
    orgs = convening.orgs
    lead, cands = 30, np.arange(40, 45)
    clone(convening, int(cands[0]), cands[1:])
    orgs.endowment[:, lead] = [2.0, 2.0, 2.0, 0.1]
    orgs.endowment[:, cands] = np.array([1.0, 1.0, 1.0, 0.1])[:, None]
    orgs.endowment[:, cands[1]] = [0.5, 0.5, 0.5, 0.5]
    orgs.capacity = orgs.capacity
    gain = complementarity(convening, np.array([lead]), cands[None, :])[0]
    assert np.argmax(gain) == 1
    assert _first_choice_share(convening, lead, cands, cands[1]) > 0.5
