"""Sparse directed relationships i→j, only where two organisations have met.

Rows live in insertion order in plain arrays; a sorted key index (``i·n + j``) finds them in bulk
with ``searchsorted``, so no Python loop ever runs over pairs.
"""

from __future__ import annotations

import numpy as np

from coopsim.model import trust as trust_rules
from coopsim.model.arrays import unique_inverse
from coopsim.model.config import Trust
from coopsim.model.sectors import SECTOR_PAIRS, pair_code


class Relationships:
    """Personal trust P, institutional trust I, lasting damage D and institutionalisation u."""

    _FLOAT = ("personal", "institutional", "damage", "institutionalised")
    _INT = ("source", "target", "cooperations", "defections", "last_met", "pair")

    def __init__(self, n: int, params: Trust, group: np.ndarray | None = None):
        """``group`` (e.g. each organisation's sector, 0–3) labels each row with its unordered
        pair of groups (``sectors.pair_code``), kept for reports by group pair."""
        self.n = n
        self.params = params
        self._group = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group, int)
        self.size = 0
        self._cap = 0
        for name in self._FLOAT:
            setattr(self, name, np.zeros(0))
        for name in self._INT:
            setattr(self, name, np.zeros(0, dtype=np.int64))
        self._keys = np.zeros(0, dtype=np.int64)  # sorted
        self._order = np.zeros(0, dtype=np.int64)  # row of each sorted key
        self._recent_keys = np.zeros(0, dtype=np.int64)  # keys added lately, sorted apart
        self._recent_order = np.zeros(0, dtype=np.int64)
        self.pair_count = np.zeros(SECTOR_PAIRS, dtype=np.int64)  # rows per `pair` code

    def __len__(self) -> int:
        return self.size

    def find(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Row of each pair, or -1 where the two have never met."""
        keys = np.asarray(source, dtype=np.int64) * self.n + np.asarray(target, dtype=np.int64)
        flat = keys.reshape(-1)
        rows = _lookup(self._keys, self._order, flat)
        if len(self._recent_keys):
            unknown = np.flatnonzero(rows < 0)
            rows[unknown] = _lookup(self._recent_keys, self._recent_order, flat[unknown])
        return rows.reshape(keys.shape)

    def ensure(self, source: np.ndarray, target: np.ndarray, step: int) -> np.ndarray:
        """Rows of the pairs, creating those that do not exist yet with initial trust."""
        source = np.asarray(source, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        rows = self.find(source, target)
        missing = np.flatnonzero(rows < 0)
        if len(missing):
            new_keys, inverse = unique_inverse(source[missing] * self.n + target[missing])
            src, dst = np.divmod(new_keys, self.n)
            new_rows = self._append(src, dst, step)
            self._index(new_keys, new_rows)
            rows[missing] = new_rows[inverse]
        return rows

    def _index(self, new_keys: np.ndarray, new_rows: np.ndarray) -> None:
        """Add sorted new keys (and their rows) to the index, in two parts: merging into the
        whole index copies it, so new keys wait in a small recent part that joins the main one
        once it holds a sixteenth as many (3 % of a governance step at 10,000, late in a run)."""
        self._recent_keys, self._recent_order = _merged(
            self._recent_keys, self._recent_order, new_keys, new_rows
        )
        if len(self._recent_keys) > max(_RECENT_MIN, len(self._keys) // 16):
            self._keys, self._order = _merged(
                self._keys, self._order, self._recent_keys, self._recent_order
            )
            self._recent_keys = self._recent_order = np.zeros(0, dtype=np.int64)

    def distinct(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct rows among ``rows`` (ascending) and, for each entry, its index among
        them: ``np.unique(rows, return_inverse=True)`` by a table-long mask instead of a sort.
        Ascending rows make the reads and writes that follow faster than rows in pair order."""
        rows = np.asarray(rows, dtype=np.int64)
        flag = np.zeros(self.size, dtype=bool)
        flag[rows] = True
        number = np.cumsum(flag) - 1  # each flagged row's place among them
        return np.flatnonzero(flag), number[rows]

    def _append(self, src: np.ndarray, dst: np.ndarray, step: int) -> np.ndarray:
        k = len(src)
        if self.size + k > self._cap:
            self._grow(max(2 * self._cap, self.size + k, 64))
        rows = np.arange(self.size, self.size + k)
        self.source[rows] = src
        self.target[rows] = dst
        self.personal[rows] = self.params.initial_personal
        self.institutional[rows] = self.params.initial_institutional
        self.damage[rows] = 0.0
        self.institutionalised[rows] = 0.0
        self.cooperations[rows] = 0
        self.defections[rows] = 0
        self.last_met[rows] = step
        a, b = self._group[src], self._group[dst]
        self.pair[rows] = pair_code(a, b)
        self.pair_count += np.bincount(self.pair[rows], minlength=SECTOR_PAIRS)
        self.size += k
        return rows

    def _grow(self, cap: int) -> None:
        for name in self._FLOAT + self._INT:
            old = getattr(self, name)
            new = np.zeros(cap, dtype=old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
        self._cap = cap

    def view(self, name: str) -> np.ndarray:
        """The live part of a column."""
        return getattr(self, name)[: self.size]

    def effective(self, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Effective trust T = (ω·P + (1−ω)·I)·(1 − D) of the given rows (all if None)."""
        sel = slice(0, self.size) if rows is None else rows
        return trust_rules.effective_trust(
            self.personal[sel],
            self.institutional[sel],
            self.damage[sel],
            self.institutionalised[sel],
            self.params.personal_weight_min,
        )

    def involving(self, organisations: np.ndarray) -> np.ndarray:
        """Rows where either side is one of the given organisations."""
        flag = np.zeros(self.n, dtype=bool)
        flag[organisations] = True
        return np.flatnonzero(flag[self.view("source")] | flag[self.view("target")])

    def towards(self, organisations: np.ndarray) -> np.ndarray:
        """Rows whose trustee (target) is one of the given organisations."""
        flag = np.zeros(self.n, dtype=bool)
        flag[organisations] = True
        return np.flatnonzero(flag[self.view("target")])


_RECENT_MIN = 256  # recent keys kept apart, at least, before they join the main index


def _lookup(keys: np.ndarray, order: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of each wanted key in a sorted key index, or -1."""
    if not len(keys):
        return np.full(wanted.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[pos] == wanted, order[pos], -1)


def _merged(keys, order, new_keys, new_rows) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted key indexes (with their rows) as one; the keys are distinct."""
    at = np.searchsorted(keys, new_keys) + np.arange(len(new_keys))  # final places
    old = np.ones(len(keys) + len(new_keys), dtype=bool)
    old[at] = False
    out_keys, out_order = np.empty(len(old), dtype=np.int64), np.empty(len(old), dtype=np.int64)
    out_keys[at], out_order[at] = new_keys, new_rows
    out_keys[old], out_order[old] = keys, order
    return out_keys, out_order
