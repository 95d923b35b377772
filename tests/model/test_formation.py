"""Formation drafted for all proposers at once: the candidate search, ranking and seat filling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model import CoopModel
from coopsim.model.arrays import occurrence, ranges, unique_inverse
from coopsim.model.formation import (
    NOBODY,
    Shortlist,
    candidates,
    fill_seats,
    free_slots,
    rank,
)


@pytest.fixture(scope="module")
def model() -> CoopModel:
    m = CoopModel(mode="governance", rng=4)
    m.run_for(6)  # some organisations are now full
    return m


def _real(row: np.ndarray) -> np.ndarray:
    return row[row >= 0]


def test_candidates_are_eligible_distinct_and_never_the_lead(model):
    leads = np.arange(0, model.orgs.n, 3)
    cands = candidates(model, leads)
    want = model.config.partnerships.candidates
    assert cands.shape == (len(leads), want)
    eligible = model.eligible_mask()
    for lead, row in zip(leads, cands, strict=True):
        real = _real(row)
        assert np.all(row[len(real) :] == NOBODY)  # padding only at the end
        assert len(np.unique(real)) == len(real) and lead not in real
        assert np.all(eligible[real])
        assert len(real) == min(want, int(eligible.sum()) - int(eligible[lead]))


def test_acquaintances_come_first_and_fill_the_list_when_there_are_enough(model):
    eligible = model.eligible_mask()
    leads = np.arange(model.orgs.n)
    cands = candidates(model, leads)
    want = model.config.partnerships.candidates
    for lead, row in zip(leads, cands, strict=True):
        known = model.acquaintances(lead)
        known = known[eligible[known]]
        k = min(len(known), want)
        assert set(row[:k]) <= set(known.tolist())
        if len(known) < want:
            assert set(known.tolist()) <= set(row.tolist())


def test_candidates_respect_the_allowed_pool_and_excluded_pairs(model):
    leads = np.flatnonzero(model.orgs.is_government)
    allowed = ~model.orgs.is_government
    first = candidates(model, leads, allowed=allowed)
    n = model.orgs.n
    exclude = np.unique(np.arange(len(leads))[:, None] * n + np.maximum(first, 0))
    again = candidates(model, leads, allowed=allowed, exclude=exclude)
    for row, before in zip(again, first, strict=True):
        assert not np.any(model.orgs.is_government[_real(row)])
        assert not set(_real(row).tolist()) & set(_real(before).tolist())


def test_candidates_are_reproducible_from_the_seed():
    a, b = CoopModel(mode="statism", rng=9), CoopModel(mode="statism", rng=9)
    leads = np.arange(20)
    np.testing.assert_array_equal(candidates(a, leads), candidates(b, leads))


def test_rank_orders_by_score_then_tie_and_drops_the_unkept():
    cands = np.array([[4, 7, 9, NOBODY]])
    score = np.array([[1.0, 3.0, 1.0, 99.0]])
    tie = np.array([[0.9, 0.5, 0.1, 0.0]])
    np.testing.assert_array_equal(rank(cands, score, tie), [[7, 9, 4, NOBODY]])
    keep = np.array([[True, False, True, True]])
    np.testing.assert_array_equal(rank(cands, score, keep=keep), [[4, 9, NOBODY, NOBODY]])


def test_seats_go_to_the_best_ranked_with_a_free_slot_in_proposal_order():
    free = np.array([1, 1, 1, 1, 1, 0, 2])
    shortlist = Shortlist(
        ranked=np.array([[5, 2, 3, 6], [2, 6, 3, 4], [0, NOBODY, NOBODY, NOBODY]]),
        considered=np.array([4, 4, 1]),
    )
    leads = np.array([0, 1, 4])
    drafts = fill_seats(leads, shortlist, np.array([2, 2, 1]), np.array([2, 1, 1]), free)
    # lead 0 takes 2 and 3 (5 is full); lead 1 takes 6 (2 and 3 are now full, 4 would fill
    # the second seat but only one is needed); lead 4's only candidate, 0, is full: no partnership
    np.testing.assert_array_equal(drafts.leads, [0, 1])
    np.testing.assert_array_equal(drafts.members, [0, 2, 3, 1, 6, 4])
    np.testing.assert_array_equal(drafts.group, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(drafts.sizes, [3, 3])
    np.testing.assert_array_equal(free, [0, 0, 0, 0, 0, 0, 1])


def test_a_proposal_short_of_its_fewest_partners_is_not_founded():
    free = np.ones(5, dtype=int)
    shortlist = Shortlist(np.array([[1, NOBODY, NOBODY]]), np.array([1]))
    drafts = fill_seats(np.array([0]), shortlist, np.array([3]), np.array([2]), free)
    assert len(drafts) == 0 and np.all(free == 1)


def test_an_organisation_in_two_new_partnerships_takes_two_slots():
    model = CoopModel(mode="governance", rng=2, partnerships__max_memberships=3)
    free = free_slots(model)
    assert free.max() == 3
    for _ in range(12):
        model.step()
        live = model.members.live()
        key = model.members.organisation[live] * 16 + model.members.slot[live]
        assert len(np.unique(key)) == len(key)  # no slot held twice
        held = np.bincount(model.members.organisation[live], minlength=model.orgs.n)
        np.testing.assert_array_equal(held, model.orgs.memberships)
        assert np.all(model.slots.sum(axis=1) == model.orgs.memberships)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=30))
def test_occurrence_counts_earlier_equal_entries(values):
    v = np.array(values, dtype=np.int64)
    expected = [values[:i].count(x) for i, x in enumerate(values)]
    np.testing.assert_array_equal(occurrence(v), expected)


def test_ranges_concatenates_index_ranges():
    np.testing.assert_array_equal(ranges(np.array([2, 7, 7]), np.array([4, 7, 9])), [2, 3, 7, 8])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 2**40), max_size=60), st.booleans())
def test_unique_inverse_agrees_with_numpy(values, small):
    v = np.array(values, dtype=np.int64) % 7 if small else np.array(values, dtype=np.int64)
    uniq, inverse = unique_inverse(v)
    expected, expected_inverse = np.unique(v, return_inverse=True)
    np.testing.assert_array_equal(uniq, expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    np.testing.assert_array_equal(uniq[inverse], v)


def test_unique_inverse_falls_back_when_packing_would_overflow():
    v = np.array([2**62, 5, 2**62, 0], dtype=np.int64)
    uniq, inverse = unique_inverse(v)
    np.testing.assert_array_equal(uniq, [0, 5, 2**62])
    np.testing.assert_array_equal(inverse, [2, 1, 2, 0])
