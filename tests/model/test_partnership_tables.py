"""Partnership and member tables, co-member pairs and segment sums alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model.arrays import run_ids
from coopsim.model.config import Trust
from coopsim.model.model import CoopModel
from coopsim.model.partnerships import (
    ACTIVE,
    CAUSE,
    CAUSES,
    MemberTable,
    PairRows,
    PartnershipTable,
    co_member_pairs,
    segment_sum,
)
from coopsim.model.population import alignment
from coopsim.model.relationships import Relationships


def _brute_pairs(partnership: np.ndarray) -> set[tuple[int, int]]:
    n = len(partnership)
    return {
        (a, b) for a in range(n) for b in range(n) if a != b and partnership[a] == partnership[b]
    }


# A grouped array: distinct labels in any order, each repeated in one run.
grouped = st.lists(
    st.tuples(st.integers(-50, 50), st.integers(1, 6)), max_size=12, unique_by=lambda t: t[0]
).map(lambda groups: np.repeat([g for g, _ in groups], [k for _, k in groups]).astype(np.int64))


@settings(max_examples=200, deadline=None)
@given(partnership=grouped)
def test_co_member_pairs_match_brute_force(partnership):
    src, dst = co_member_pairs(partnership)
    pairs = list(zip(src.tolist(), dst.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))  # every ordered pair once
    assert set(pairs) == _brute_pairs(partnership)
    sizes = np.unique(partnership, return_counts=True)[1]
    assert len(pairs) == int(np.sum(sizes * (sizes - 1)))


def test_co_member_pairs_of_nothing_or_loners():
    for part in (np.zeros(0, dtype=np.int64), np.array([4, 2, 9], dtype=np.int64)):
        src, dst = co_member_pairs(part)
        assert len(src) == len(dst) == 0


def test_co_member_pairs_example():
    src, dst = co_member_pairs(np.array([7, 7, 3, 3, 3]))
    assert set(zip(src.tolist(), dst.tolist(), strict=True)) == {
        (0, 1), (1, 0), (2, 3), (2, 4), (3, 2), (3, 4), (4, 2), (4, 3),
    }  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    n=st.integers(0, 30),
    count=st.integers(1, 8),
    width=st.integers(1, 4),
)
def test_segment_sum_matches_brute_force(data, n, count, width):
    segments = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, count - 1)))
    values = data.draw(hnp.arrays(float, (width, n), elements=st.floats(-1e6, 1e6)))
    expected = np.zeros((width, count))  # kinds first, as the model keeps resources
    for s, v in zip(segments, values.T, strict=True):
        expected[:, s] += v
    np.testing.assert_allclose(segment_sum(values, segments, count), expected, atol=1e-6)
    np.testing.assert_allclose(segment_sum(values[0], segments, count), expected[0], atol=1e-6)


def test_segment_sum_keeps_empty_segments():
    out = segment_sum(np.array([1.0, 2.0]), np.array([0, 3]), 5)
    np.testing.assert_array_equal(out, [1.0, 0.0, 0.0, 2.0, 0.0])


# ---- partnership table ----------------------------------------------------------------------


def test_partnership_add_records_its_founding():
    table = PartnershipTable()
    objective = np.array([0.4, 0.1, 0.3, 0.2])
    (pid,) = table.add(np.array([3]), np.array([3]), objective, formed=7, formality=0.5, mode=2)
    assert pid == 0 and table.size == 1
    assert table.lead[pid] == 3 and table.formed[pid] == 7 and table.ended[pid] == -1
    assert table.initial_members[pid] == 3 and table.status[pid] == ACTIVE
    assert table.formality[pid] == 0.5 and table.mode[pid] == 2
    np.testing.assert_array_equal(table.objective[pid], objective)
    assert len(table.member_lists) == table.size  # one member list per partnership
    np.testing.assert_array_equal(table.active(), [0])


def test_partnership_table_grows_and_reports_the_active():
    table = PartnershipTable()
    for k in range(100):
        table.add(np.array([k]), np.array([2]), np.full(4, 0.25), formed=k)
    leads = np.arange(100, 150)
    rows = table.add(leads, np.full(50, 3), np.full((50, 4), 0.25), formed=leads)
    np.testing.assert_array_equal(rows, leads)
    np.testing.assert_array_equal(table.initial_members[rows], 3)
    assert len(table.member_lists) == 150
    table.status[[3, 77]] = 2
    assert table.size == 150
    np.testing.assert_array_equal(table.view("formed"), np.arange(150))
    assert len(table.active()) == 148 and 77 not in table.active()


def test_causes_are_unique_names_with_the_codes_the_lookup_gives():
    assert len(set(CAUSES)) == len(CAUSES)
    assert all(CAUSES[CAUSE[name]] == name for name in CAUSES)
    assert max(CAUSE.values()) < 64  # fits the int8 columns and the model's 64-way key


# ---- member table ---------------------------------------------------------------------------


def _members() -> MemberTable:
    mem = MemberTable()
    mem.add(0, np.array([1, 2, 3]), np.array([0, 0, 0]), step=1)
    mem.add(1, np.array([2, 4]), np.array([1, 0]), step=2)
    mem.add(2, np.array([5, 1, 6]), np.array([0, 1, 0]), step=3)
    return mem


def test_member_add_sets_a_fresh_row():
    mem = _members()
    assert mem.size == 8
    np.testing.assert_array_equal(mem.view("partnership"), [0, 0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(mem.view("organisation"), [1, 2, 3, 2, 4, 5, 1, 6])
    np.testing.assert_array_equal(mem.view("joined"), [1, 1, 1, 2, 2, 3, 3, 3])
    assert mem.view("active").all()
    np.testing.assert_array_equal(mem.view("left"), -1)
    np.testing.assert_array_equal(mem.view("delivery"), 1.0)
    np.testing.assert_array_equal(mem.view("observed"), 1.0)


def test_live_rows_are_grouped_by_partnership_in_stable_order():
    mem = MemberTable()
    mem.add(2, np.array([1, 2]), np.zeros(2, np.int64), 0)
    mem.add(0, np.array([3]), np.zeros(1, np.int64), 0)
    mem.add(2, np.array([4]), np.zeros(1, np.int64), 1)  # a later joiner of partnership 2
    mem.add(1, np.array([5, 6]), np.zeros(2, np.int64), 1)
    mem.active[1] = False
    live = mem.live()
    np.testing.assert_array_equal(mem.partnership[live], [0, 1, 1, 2, 2])
    np.testing.assert_array_equal(live, [2, 4, 5, 0, 3])


def test_compact_keeps_exactly_the_active_rows_with_their_state():
    mem = _members()
    mem.commitment[: mem.size] = np.arange(8) / 10
    mem.bad_steps[: mem.size] = np.arange(8)
    leavers = np.array([1, 4, 5])
    mem.active[leavers] = False
    kept = np.setdiff1d(np.arange(8), leavers)
    before = {name: getattr(mem, name)[kept].copy() for name in MemberTable.columns}
    mem.compact()
    assert mem.size == len(kept)
    assert mem.view("active").all()
    for name, values in before.items():
        np.testing.assert_array_equal(mem.view(name), values, err_msg=name)


def test_add_resets_rows_reused_after_compaction():
    mem = _members()
    mem.bad_steps[: mem.size] = 9
    mem.low_trust_steps[: mem.size] = 9
    mem.commitment[: mem.size] = 0.8
    mem.cause[: mem.size] = CAUSE["free_riding"]
    mem.delivery[: mem.size] = 0.1
    mem.active[:6] = False
    mem.compact()
    assert mem.size == 2
    rows = mem.add(9, np.array([7, 8, 9]), np.array([1, 1, 0]), step=20)
    np.testing.assert_array_equal(rows, [2, 3, 4])  # stale rows are reused
    for name in ("bad_steps", "low_trust_steps", "commitment", "cause"):
        np.testing.assert_array_equal(getattr(mem, name)[rows], 0, err_msg=name)
    np.testing.assert_array_equal(mem.delivery[rows], 1.0)
    np.testing.assert_array_equal(mem.left[rows], -1)
    np.testing.assert_array_equal(mem.joined[rows], 20)
    np.testing.assert_array_equal(mem.slot[rows], [1, 1, 0])
    assert mem.active[rows].all()
    # the survivors are untouched
    np.testing.assert_array_equal(mem.bad_steps[:2], 9)


@pytest.mark.parametrize("rounds", [1, 5])
def test_compact_and_add_cycles_keep_live_rows_consistent(rounds):
    rng = np.random.default_rng(rounds)
    mem = MemberTable()
    reference: dict[int, tuple[int, int]] = {}  # (partnership, organisation) by insertion id
    tag = 0
    for step in range(rounds * 10):
        k = int(rng.integers(1, 5))
        rows = mem.add(step, rng.integers(0, 50, k), np.zeros(k, np.int64), step)
        mem.bad_steps[rows] = np.arange(tag, tag + k)  # use a column as an identity tag
        for r in rows:
            reference[int(mem.bad_steps[r])] = (step, int(mem.organisation[r]))
        tag += k
        leave = rng.random(mem.size) < 0.3
        for r in np.flatnonzero(leave & mem.view("active")):
            del reference[int(mem.bad_steps[r])]
        mem.active[: mem.size][leave] = False
        if step % 3 == 2:
            mem.compact()
    live = mem.live()
    seen = {
        int(mem.bad_steps[r]): (int(mem.partnership[r]), int(mem.organisation[r])) for r in live
    }
    assert seen == reference


# ---- PairRows: co-member pairs' relationship rows kept between rounds -----------------------
def _fresh(rel, org, part, step):
    src, dst = co_member_pairs(part)
    return src, dst, rel.ensure(org[src], org[dst], step)


rounds = st.lists(
    st.lists(  # one round: partnerships as (id, members), ids made ascending and distinct
        st.tuples(st.integers(0, 12), st.lists(st.integers(0, 9), min_size=1, max_size=4)),
        max_size=6,
        unique_by=lambda p: p[0],
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(rounds=rounds)
def test_pair_rows_agree_with_looking_every_pair_up(rounds):
    """Whatever changes between rounds (members joining, leaving, reordered, partnerships new
    or gone), the kept rows are those a fresh lookup finds, and no relationship is missed."""
    kept, fresh = Relationships(10, Trust()), Relationships(10, Trust())
    pair_rows = PairRows()
    for step, round_ in enumerate(rounds):
        round_ = sorted(round_)
        part = np.array([p for p, members in round_ for _ in members], dtype=np.int64)
        org = np.array([o for _, members in round_ for o in members], dtype=np.int64)
        starts, sizes, group = run_ids(part)
        src, dst, rows = pair_rows(kept, org, (starts, sizes, group, part[starts]), step)
        want_src, want_dst, want_rows = _fresh(fresh, org, part, step)
        np.testing.assert_array_equal(src, want_src)
        np.testing.assert_array_equal(dst, want_dst)
        np.testing.assert_array_equal(rows, want_rows)  # same rows, created in the same order
        assert len(kept) == len(fresh)


@pytest.mark.parametrize("mode", ["statism", "pluralism", "corporatism", "governance"])
def test_a_run_keeps_the_same_pair_rows_as_a_fresh_lookup_every_step(mode):
    model = CoopModel(mode=mode, rng=3, turnover__rate=0.1)
    keep = model.pair_rows
    checked = []

    def checking(rel, org, runs, step):
        src, dst, rows = keep(rel, org, runs, step)
        np.testing.assert_array_equal(rows, rel.find(org[src], org[dst]))
        checked.append(len(rows))
        return src, dst, rows

    model.pair_rows = checking
    for _ in range(60):
        model.step()
    assert sum(checked) > 0


@pytest.mark.parametrize("mode", ["statism", "pluralism", "corporatism", "governance"])
def test_a_members_goal_fit_kept_since_joining_is_its_alignment_now(mode):
    model = CoopModel(mode=mode, rng=4, turnover__rate=0.1)
    for _ in range(50):
        model.step()
    mem, table = model.members, model.partnerships_table
    rows = mem.live()
    assert len(rows)
    org, part = mem.organisation[rows], mem.partnership[rows]
    now = alignment(model.orgs.goals[org], table.objective[part])
    np.testing.assert_array_equal(mem.fit[rows], now)


def test_member_lists_keep_everyone_ever_a_member_once_in_the_order_they_first_joined():
    table = PartnershipTable()
    table.add(np.array([5, 9, 7]), np.array([2, 1, 1]), np.full((3, 4), 0.25))
    assert table.member_lists == [(), (), ()]
    table.joined(np.array([0, 0, 1]), np.array([5, 6, 9]))
    table.joined(np.array([2, 0]), np.array([7, 5]))  # 5 joins partnership 0 again: listed once
    table.joined(np.array([0]), np.array([3]))
    assert table.member_lists == [(5, 6, 3), (9,), (7,)]
    table.add(np.array([1]), np.array([1]), np.full((1, 4), 0.25))
    assert table.member_lists == [(5, 6, 3), (9,), (7,), ()]
