"""Small array helpers the step uses on every call: groups, ranges and sort-based uniques.

``np.unique`` costs far more than a plain sort on the few thousand integers a step handles (it
hashes, and its inverse needs an argsort); the helpers here sort values packed with their
positions instead and give the same answers.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "occurrence",
    "ranges",
    "rank_within",
    "run_ids",
    "run_starts",
    "unique_inverse",
]

_INT64_MAX = int(np.iinfo(np.int64).max)


def _begins(groups: np.ndarray) -> np.ndarray:
    """True where a run of equal, adjacent values begins."""
    begins = np.empty(len(groups), dtype=bool)
    begins[:1] = True
    np.not_equal(groups[1:], groups[:-1], out=begins[1:])
    return begins


def run_starts(groups: np.ndarray) -> np.ndarray:
    """Where each run of equal, adjacent values begins."""
    return np.flatnonzero(_begins(groups))


def run_ids(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each run of equal, adjacent values: its start and length, and each entry's run index."""
    begins = _begins(groups)
    starts = np.flatnonzero(begins)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1:] = len(groups)
    return starts, ends - starts, np.cumsum(begins) - 1


def rank_within(groups: np.ndarray) -> np.ndarray:
    """Position of each entry within its run of equal, adjacent values."""
    at = np.arange(len(groups))
    return at - np.maximum.accumulate(np.where(_begins(groups), at, 0))


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``lo[i]:hi[i]``."""
    counts = hi - lo
    return np.arange(counts.sum()) + np.repeat(lo - (np.cumsum(counts) - counts), counts)


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative integers, by one sort."""
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    if n == 0 or values.max() >= _INT64_MAX // n:  # packing would overflow
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.ravel()
    packed = np.sort(values * n + np.arange(n))
    ordered, position = np.divmod(packed, n)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(n, dtype=np.int64)
    inverse[position] = np.cumsum(new) - 1
    return ordered[new], inverse


def occurrence(values: np.ndarray) -> np.ndarray:
    """How many earlier entries of ``values`` equal each entry (0 for a first occurrence)."""
    order = np.argsort(values, kind="stable")
    seen = np.empty(len(values), dtype=np.int64)
    seen[order] = rank_within(values[order])
    return seen
