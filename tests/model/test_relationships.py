"""Sparse directed relationships: vectorised find/ensure, effective trust, involving/towards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model import relationships, trust
from coopsim.model.config import Trust
from coopsim.model.relationships import Relationships

N = 20


def _rel(n: int = N, **params) -> Relationships:
    return Relationships(n, Trust(**params))


def _pairs(*pairs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    a = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def test_an_empty_table_knows_nobody():
    rel = _rel()
    assert len(rel) == 0
    out = rel.find(*_pairs((0, 1), (3, 2), (5, 5)))
    np.testing.assert_array_equal(out, [-1, -1, -1])
    assert len(rel.effective()) == 0


def test_ensure_creates_pairs_with_initial_trust_and_the_step_they_met():
    rel = _rel(initial_personal=0.35, initial_institutional=0.2)
    rows = rel.ensure(*_pairs((0, 1), (1, 0), (4, 7)), step=9)
    assert len(rel) == 3
    assert sorted(rows.tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(rel.source[rows], [0, 1, 4])
    np.testing.assert_array_equal(rel.target[rows], [1, 0, 7])
    np.testing.assert_array_equal(rel.personal[rows], 0.35)
    np.testing.assert_array_equal(rel.institutional[rows], 0.2)
    np.testing.assert_array_equal(rel.damage[rows], 0.0)
    np.testing.assert_array_equal(rel.institutionalised[rows], 0.0)
    np.testing.assert_array_equal(rel.cooperations[rows], 0)
    np.testing.assert_array_equal(rel.last_met[rows], 9)


def test_relationships_are_directed():
    rel = _rel()
    (ab,) = rel.ensure(*_pairs((2, 3)), step=1)
    np.testing.assert_array_equal(rel.find(*_pairs((2, 3), (3, 2))), [ab, -1])


def test_ensure_creates_only_the_missing_pairs_and_keeps_existing_state():
    rel = _rel()
    first = rel.ensure(*_pairs((0, 1), (2, 3)), step=1)
    rel.personal[first] = [0.9, 0.1]
    rows = rel.ensure(*_pairs((2, 3), (5, 6), (0, 1), (7, 8)), step=4)
    assert len(rel) == 4
    assert rows[0] == first[1] and rows[2] == first[0]
    np.testing.assert_array_equal(rel.personal[first], [0.9, 0.1])
    np.testing.assert_array_equal(rel.last_met[first], 1)  # ensure does not touch old rows
    np.testing.assert_array_equal(rel.last_met[rows[[1, 3]]], 4)


def test_duplicates_in_one_call_create_one_row():
    rel = _rel()
    rows = rel.ensure(*_pairs((3, 4), (3, 4), (4, 3), (3, 4)), step=0)
    assert len(rel) == 2
    assert rows[0] == rows[1] == rows[3] != rows[2]


def test_find_returns_minus_one_for_unknown_pairs_around_known_keys():
    rel = _rel()
    rel.ensure(*_pairs((5, 5), (10, 2)), step=0)
    # keys below, between and above the stored ones
    out = rel.find(*_pairs((0, 0), (5, 6), (19, 19), (10, 2), (5, 5)))
    assert out[0] == out[1] == out[2] == -1
    assert out[3] >= 0 and out[4] >= 0


def test_growth_keeps_earlier_rows():
    rel = _rel(n=200)
    (first,) = rel.ensure(*_pairs((0, 1)), step=0)
    rel.personal[first] = 0.77
    src = np.arange(1, 200)
    rows = rel.ensure(src, (src * 7) % 200, step=1)
    assert len(rel) == 200
    assert rel.personal[first] == 0.77
    np.testing.assert_array_equal(rel.find(np.array([0]), np.array([1])), [first])
    np.testing.assert_array_equal(rel.source[rows], src)


@settings(max_examples=80, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=30),
        min_size=1,
        max_size=8,
    ),
    recent_min=st.sampled_from([1, 5, 256, 4096]),
)
def test_ensure_and_find_agree_with_a_dictionary(batches, recent_min):
    """Whether new keys wait in the recent part of the index or have joined the main one."""
    saved, relationships._RECENT_MIN = relationships._RECENT_MIN, recent_min
    try:
        _agree_with_a_dictionary(batches)
    finally:
        relationships._RECENT_MIN = saved


def _agree_with_a_dictionary(batches):
    rel = _rel()
    seen: dict[tuple[int, int], int] = {}
    for step, batch in enumerate(batches):
        src = np.array([a for a, _ in batch], dtype=np.int64)
        dst = np.array([b for _, b in batch], dtype=np.int64)
        rows = rel.ensure(src, dst, step)
        for (a, b), r in zip(batch, rows.tolist(), strict=True):
            assert seen.setdefault((a, b), r) == r  # an existing pair keeps its row
        assert len(rel) == len(seen)
        assert sorted(seen.values()) == list(range(len(seen)))  # rows are 0..size-1
        for (a, b), r in seen.items():
            assert (rel.source[r], rel.target[r]) == (a, b)
    every = np.array([(a, b) for a in range(N) for b in range(N)], dtype=np.int64)
    found = rel.find(every[:, 0], every[:, 1])
    expected = [seen.get((a, b), -1) for a, b in every.tolist()]
    np.testing.assert_array_equal(found, expected)


def test_effective_trust_matches_the_trust_rule_on_all_or_some_rows():
    rel = _rel(personal_weight_min=0.3)
    rng = np.random.default_rng(0)
    rel.ensure(rng.integers(0, N, 40), rng.integers(0, N, 40), step=0)
    k = len(rel)
    for name in ("personal", "institutional", "damage", "institutionalised"):
        getattr(rel, name)[:k] = rng.random(k)
    expected = trust.effective_trust(
        rel.view("personal"),
        rel.view("institutional"),
        rel.view("damage"),
        rel.view("institutionalised"),
        0.3,
    )
    np.testing.assert_allclose(rel.effective(), expected)
    some = np.array([k - 1, 0, 2])
    np.testing.assert_allclose(rel.effective(some), expected[some])
    assert len(rel.effective()) == k  # spare capacity is never reported


@pytest.fixture
def web() -> Relationships:
    rel = _rel()
    rng = np.random.default_rng(3)
    rel.ensure(rng.integers(0, N, 80), rng.integers(0, N, 80), step=0)
    return rel


@pytest.mark.parametrize("orgs", [[0], [3, 7], [], list(range(N))])
def test_involving_and_towards_match_brute_force(web, orgs):
    chosen = np.array(orgs, dtype=np.int64)
    src, dst = web.view("source"), web.view("target")
    either = [r for r in range(len(web)) if src[r] in orgs or dst[r] in orgs]
    into = [r for r in range(len(web)) if dst[r] in orgs]
    np.testing.assert_array_equal(web.involving(chosen), either)
    np.testing.assert_array_equal(web.towards(chosen), into)


def test_each_row_is_labelled_with_its_unordered_pair_of_groups():
    rel = Relationships(4, Trust(), group=np.array([0, 3, 1, 1]))
    rows = rel.ensure(np.array([0, 1, 2, 3]), np.array([1, 0, 3, 0]), step=1)
    np.testing.assert_array_equal(rel.pair[rows], [3, 3, 5, 1])  # 4·min + max
