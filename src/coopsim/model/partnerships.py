"""Partnerships and their member rows, held as arrays for segment reductions.

A partnership is a row of the partnership table; each (partnership, organisation) membership is a
row of the member table. Every per-step computation runs over all active member rows at once and
reduces by partnership with ``np.bincount``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model import peaks
from coopsim.model.arrays import ranges, run_ids, unique_inverse
from coopsim.model.sectors import GOAL_DIMENSIONS
from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

ACTIVE, COMPLETED, DISSOLVED = 0, 1, 2
STATUS_NAMES = ("active", "completed", "dissolved")

# Why a partnership ended or a member left.
CAUSES: tuple[str, ...] = (
    "",
    "completed",
    "low_trust",
    "goal_conflict",
    "free_riding",
    "outside_option",
    "lead_exit",
    "too_few_members",
    "shock",
    "enforcement_lapse",
    "replaced",  # a member outbid at a re-tender (the partnership goes on)
)
CAUSE = {name: code for code, name in enumerate(CAUSES)}


class _Table:
    """Columns that grow by doubling; ``size`` rows are live."""

    columns: ClassVar[dict[str, tuple[np.dtype, tuple[int, ...]]]] = {}

    def __init__(self) -> None:
        self.size = 0
        self._cap = 0
        for name, (dtype, tail) in self.columns.items():
            setattr(self, name, np.zeros((0, *tail), dtype=dtype))

    def _reserve(self, k: int) -> np.ndarray:
        if self.size + k > self._cap:
            cap = max(2 * self._cap, self.size + k, 64)
            for name in self.columns:
                old = getattr(self, name)
                new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
            self._cap = cap
        rows = np.arange(self.size, self.size + k)
        self.size += k
        return rows

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.size]


class PartnershipTable(_Table):
    columns: ClassVar = {
        "lead": (np.dtype(np.int64), ()),
        "objective": (np.dtype(float), (len(GOAL_DIMENSIONS),)),
        "formality": (np.dtype(float), ()),
        "formed": (np.dtype(np.int64), ()),
        "ended": (np.dtype(np.int64), ()),
        "status": (np.dtype(np.int8), ()),
        "cause": (np.dtype(np.int8), ()),
        "mode": (np.dtype(np.int8), ()),
        "initial_members": (np.dtype(np.int64), ()),
        "value": (np.dtype(float), ()),
        "target_value": (np.dtype(float), ()),
        "transaction_costs": (np.dtype(float), ()),
        "avg_product": (np.dtype(float), ()),  # value per unit pooled, last round
        "pending_seed": (np.dtype(float), ()),  # the state's seed finance, due next round
        "pending_cost": (np.dtype(float), ()),  # transaction costs still owed
    }

    def __init__(self) -> None:
        super().__init__()
        self._joins = np.zeros((0, 2), dtype=np.int64)  # (partnership, organisation), in order
        self._joined = 0  # rows of ``_joins`` in use (it doubles when full)
        self._member_lists: list[tuple[int, ...]] | None = None

    def joined(self, partnerships: np.ndarray, organisations: np.ndarray) -> None:
        """Organisations joined these partnerships (for ``member_lists``)."""
        k = len(organisations)
        if self._joined + k > len(self._joins):
            grown = np.zeros((max(2 * len(self._joins), self._joined + k, 64), 2), np.int64)
            grown[: self._joined] = self._joins[: self._joined]
            self._joins = grown
        self._joins[self._joined : self._joined + k, 0] = partnerships
        self._joins[self._joined : self._joined + k, 1] = organisations
        self._joined += k
        self._member_lists = None

    @property
    def member_lists(self) -> list[tuple[int, ...]]:
        """Everyone ever a member of each partnership, in the order they first joined.

        Built when asked from the log of joins (a step only appends to the log)."""
        if self._member_lists is None:
            self._member_lists = _first_joins(self._joins[: self._joined], self.size)
        return self._member_lists

    def add(self, leads: np.ndarray, sizes: np.ndarray, objective: np.ndarray, **values):
        """New partnerships (one per lead, ``sizes`` founding members each); their row ids."""
        rows = self._reserve(len(leads))
        self.lead[rows] = leads
        self.objective[rows] = objective
        self.ended[rows] = -1
        self.initial_members[rows] = sizes
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self._member_lists = None
        return rows

    def active(self) -> np.ndarray:
        return np.flatnonzero(self.view("status") == ACTIVE)

    def ages(self, now: int) -> np.ndarray:
        """Each partnership's age in steps: until it ended, or until ``now``."""
        ended = self.view("ended")
        return np.where(ended >= 0, ended, now) - self.view("formed")


def _first_joins(pairs: np.ndarray, size: int) -> list[tuple[int, ...]]:
    """Each partnership's organisations in the order of their first join (``pairs``: rows of
    partnership, organisation)."""
    span = int(pairs[:, 1].max()) + 1 if len(pairs) else 1
    _, first = np.unique(pairs[:, 0] * span + pairs[:, 1], return_index=True)
    first.sort()  # join order
    pid, org = pairs[first, 0], pairs[first, 1]
    order = np.argsort(pid, kind="stable")
    bounds = np.searchsorted(pid[order], np.arange(size + 1)).tolist()
    orgs = org[order].tolist()
    return [tuple(orgs[bounds[p] : bounds[p + 1]]) for p in range(size)]


COMPACT_FROM = 256  # member rows before the table drops those of members who left


class MemberTable(_Table):
    columns: ClassVar = {
        "partnership": (np.dtype(np.int64), ()),
        "organisation": (np.dtype(np.int64), ()),
        "slot": (np.dtype(np.int64), ()),  # which of the organisation's membership slots
        "active": (np.dtype(bool), ()),
        "joined": (np.dtype(np.int64), ()),
        "left": (np.dtype(np.int64), ()),
        "cause": (np.dtype(np.int8), ()),
        "commitment": (np.dtype(float), ()),  # share of endowment committed
        "share": (np.dtype(float), ()),  # agreed share of the partnership's value
        "control": (np.dtype(float), ()),  # weight of its goals in the objective
        "understanding": (np.dtype(float), ()),  # shared understanding with its partners, 0–1
        "fit": (np.dtype(float), ()),  # goal alignment with the partnership's objective
        "delivery": (np.dtype(float), ()),  # share of the commitment delivered, last step
        "observed": (np.dtype(float), ()),  # delivery as partners saw it, last step
        "bad_steps": (np.dtype(np.int64), ()),
        "low_trust_steps": (np.dtype(np.int64), ()),
    }

    def add(self, partnership, organisations: np.ndarray, slots: np.ndarray, step: int):
        rows = self._reserve(len(organisations))
        new = slice(self.size - len(rows), self.size)  # the same rows, as a slice: cheaper
        for name in self.columns:  # rows may be reused after compaction
            getattr(self, name)[new] = 0
        self.partnership[new] = partnership
        self.organisation[new] = organisations
        self.slot[new] = slots
        self.active[new] = True
        self.joined[new] = step
        self.left[new] = -1
        self.delivery[new] = 1.0
        self.observed[new] = 1.0
        return rows

    def live(self) -> np.ndarray:
        """Active member rows, grouped by partnership (stable order)."""
        rows = np.flatnonzero(self.view("active"))
        part = self.partnership[rows]
        if len(part) > 1 and np.any(part[1:] < part[:-1]):  # joiners after founding come last
            rows = rows[np.argsort(part, kind="stable")]
        return rows

    def compact(self) -> None:
        """Drop rows of members who have left (their history is kept in the partnership table).
        Worth it once most of a sizeable table has left (``tidy``)."""
        keep = np.flatnonzero(self.view("active"))
        for name in self.columns:
            col = getattr(self, name)
            col[: len(keep)] = col[keep]
        self.size = len(keep)


def co_member_pairs(partnership: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs (a, b), a ≠ b, of positions sharing a partnership.

    ``partnership`` must be grouped (equal values adjacent). Returns position arrays, grouped
    by partnership, ``k·(k − 1)`` pairs for a partnership of ``k``.
    """
    return _pairs(*run_ids(partnership))


class PairRows:
    """The relationship row of every co-member pair, kept from one round to the next.

    Partnerships change little from step to step: one whose members (the organisations, in
    order) are those of the last round reuses its pairs' rows; only the others are looked up,
    and their missing relationships created. The answer is the same as looking every pair up.
    """

    def __init__(self) -> None:
        empty = np.zeros(0, dtype=np.int64)
        self._ids = self._starts = self._sizes = self._org = self._pair_starts = empty
        self._rows = empty

    def __call__(self, relationships, organisation: np.ndarray, runs, step: int):
        """``(src, dst, rows)``: the co-member pairs of the live member rows as positions, and
        each pair's relationship row. ``runs`` is ``arrays.run_ids`` of the rows' partnership
        ids (ascending) and ``ids`` those ids, one per run: ``(starts, sizes, group, ids)``."""
        starts, sizes, group, ids = runs
        src, dst = _pairs(starts, sizes, group)
        counts = sizes * (sizes - 1)
        pair_starts = np.cumsum(counts) - counts
        at, same = self._unchanged(ids, starts, sizes, organisation, group)
        of_pair = group[src]  # each pair's partnership
        kept = same[of_pair]
        if len(self._rows):  # where it was in the last round, for a partnership unchanged since
            was = np.arange(len(src)) + (self._pair_starts[at] - pair_starts)[of_pair]
            rows = self._rows[np.where(kept, was, 0)]
        else:
            rows = np.zeros(len(src), dtype=np.int64)
        look = np.flatnonzero(~kept)
        if len(look):
            rows[look] = relationships.ensure(
                organisation[src[look]], organisation[dst[look]], step
            )
        self._ids, self._starts, self._sizes = ids, starts, sizes
        self._org, self._pair_starts, self._rows = organisation, pair_starts, rows
        return src, dst, rows

    def _unchanged(self, ids, starts, sizes, organisation, group):
        """Each partnership's index in the last round, and whether its members are the same."""
        if not len(self._ids):
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
        same = (self._ids[at] == ids) & (self._sizes[at] == sizes)
        check = np.flatnonzero(same[group])  # rows of partnerships that may be unchanged
        offset = check - starts[group[check]]
        then = self._org[self._starts[at[group[check]]] + offset]
        same[group[check[then != organisation[check]]]] = False
        return at, same


def _pairs(starts, sizes, group) -> tuple[np.ndarray, np.ndarray]:
    per_pos = sizes[group]  # each position pairs with every position of its partnership
    src = np.repeat(np.arange(len(group)), per_pos)
    dst = ranges(starts[group], starts[group] + per_pos)
    keep = src != dst
    return src[keep], dst[keep]


def segment_sum(values: np.ndarray, segments: np.ndarray, count: int) -> np.ndarray:
    """Sum of ``values`` by segment id: of a 1-D array, or of each row of a (kinds, entries)
    array, giving (kinds, count)."""
    if values.ndim == 1:
        return np.bincount(segments, weights=values, minlength=count)
    return np.stack([np.bincount(segments, weights=row, minlength=count) for row in values])


def partner_mean(src: np.ndarray, values: np.ndarray, counts: np.ndarray, empty: float):
    """Mean of pair values per source row (``empty`` where a row has no partner)."""
    sums = np.bincount(src, weights=values, minlength=len(counts))
    return np.where(counts > 0, sums / np.maximum(counts, 1), empty)


# --------------------------------------------------------------------------------------------------
# Phases: commitment; exit and dissolution; tidying the member table


def commit(model: CoopModel, state: StepState) -> None:
    """Phase: the round's member rows; each member commits its agreed share of this step's
    endowment, never more than all of it (shares summing past 1 are scaled down)."""
    mem, orgs = model.members, model.orgs
    rows = mem.live()
    if not len(rows):
        return
    org = mem.organisation[rows]
    part = mem.partnership[rows]
    starts, sizes, pid = run_ids(part)
    state.rows, state.org, state.slot = rows, org, mem.slot[rows]
    state.pid, state.ids, state.starts, state.sizes = pid, part[starts], starts, sizes
    share = mem.commitment[rows]
    total_share = np.bincount(org, weights=share, minlength=orgs.n)
    share = share / np.maximum(1.0, total_share[org])
    state.available = orgs.available
    state.committed = share * orgs.available[:, org]
    state.committed_total = state.committed.sum(axis=0)


@in_round
def exit_and_dissolve(model: CoopModel, state: StepState) -> None:
    """Phase: members leave on low trust or poor returns when staying costs them more than the
    choice rule makes leaving cost (which they pay), or when a shock forces them out (free);
    partnerships complete when they reach their target, or dissolve."""
    mem = model.members
    mem.delivery[state.rows] = state.delivery
    mem.observed[state.rows] = state.observed
    cause = _exit_causes(model, state)
    leaving = cause > 0
    chose = leaving & (cause != CAUSE["shock"])
    paid = np.where(chose & model.mode.choice.pays_on_exit, state.exit_cost, 0.0)
    model.orgs.payoff -= np.bincount(state.org, weights=paid, minlength=model.orgs.n)
    state.exit_penalties = float(paid.sum())
    model.leave(state.rows[leaving], cause[leaving], state.t)
    peaks.readmit(model, state.t)
    model.mode.choice.after_exit(model, state, chose)
    state.members_left = int(leaving.sum())
    _settle(model, state, leaving, cause)


def _exit_causes(model: CoopModel, state: StepState) -> np.ndarray:
    """Each row's reason to leave now (0: stays)."""
    cfg = model.config.partnerships
    mem, rows = model.members, state.rows
    ret = state.membership_return
    mem.bad_steps[rows] = np.where(ret < 0, mem.bad_steps[rows] + 1, 0)
    mem.low_trust_steps[rows] = np.where(
        state.trust_in_partners < cfg.exit_trust, mem.low_trust_steps[rows] + 1, 0
    )
    partner_seen = partner_mean(state.src, state.observed[state.dst], state.partners, 1.0)
    value_cause = np.where(
        partner_seen < model.config.trust.defection_threshold,
        CAUSE["free_riding"],
        np.where(state.fit < 0.5, CAUSE["goal_conflict"], CAUSE["outside_option"]),
    )
    cause = np.where(mem.bad_steps[rows] >= cfg.patience, value_cause, 0)
    cause = np.where(mem.low_trust_steps[rows] >= cfg.patience, CAUSE["low_trust"], cause)
    cause = model.mode.choice.exits(model, state, cause)  # who may leave, as the rule says
    shocked = model.orgs.capacity[state.org] < cfg.shock_exit_capacity
    return np.where(shocked, CAUSE["shock"], cause)


def _settle(model: CoopModel, state: StepState, leaving: np.ndarray, cause: np.ndarray) -> None:
    """Partnerships complete when the objective is met; they dissolve when the lead leaves or
    too few members remain. A lead who walks away for a better use of its resources ends the
    partnership as ``lead_exit``; one driven out by a shock or the partnership's own troubles
    (distrust, goal conflict, free riding) passes that cause on."""
    table = model.partnerships_table
    pid, ids = state.pid, state.ids
    n_p = len(ids)
    remaining = np.bincount(pid[~leaving], minlength=n_p)
    lead_row = leaving & (state.org == table.lead[ids][pid])
    lead_left = np.zeros(n_p, dtype=bool)
    lead_left[pid[lead_row]] = True
    main_cause = _most_common(pid[leaving], cause[leaving], n_p)
    lead_cause = np.zeros(n_p, dtype=np.int64)
    lead_cause[pid[lead_row]] = cause[lead_row]
    walked = lead_cause == CAUSE["outside_option"]
    dissolve = lead_left | (remaining < model.config.partnerships.min_members)
    complete = ~dissolve & (table.value[ids] >= table.target_value[ids])
    causes = np.where(
        lead_left,
        np.where(walked, CAUSE["lead_exit"], lead_cause),
        np.where(main_cause > 0, main_cause, CAUSE["too_few_members"]),
    )
    ending = complete | dissolve
    status = np.where(complete, COMPLETED, DISSOLVED)
    causes = np.where(complete, CAUSE["completed"], causes)
    model.end_partnerships(ids[ending], status[ending], causes[ending], state.t)
    state.partnerships_dissolved = int(dissolve.sum())
    state.partnerships_completed = int(complete.sum())


def _most_common(group: np.ndarray, code: np.ndarray, n: int) -> np.ndarray:
    """Per group 0..n-1, its most frequent cause code (ties: the smaller code; 0 if none)."""
    out = np.zeros(n, dtype=np.int64)
    if len(group):
        span = len(CAUSES)
        key, inverse = unique_inverse(group * span + code)
        counts = np.bincount(inverse)
        g, c = key // span, key % span
        order = np.lexsort((c, -counts, g))
        first = np.concatenate(([True], np.diff(g[order]) != 0))
        out[g[order][first]] = c[order][first]
    return out


def tidy(model: CoopModel, state: StepState) -> None:
    """Phase (housekeeping): drop the rows of members who left once they are most of the table."""
    mem = model.members
    if mem.size > COMPACT_FROM and mem.view("active").mean() < 0.5:
        mem.compact()
