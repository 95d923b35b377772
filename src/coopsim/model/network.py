"""Interaction networks as compressed sparse rows (CSR): who plays with and learns from whom.

One small immutable structure, ``Neighbours(indptr, indices)``, serves the simulation core and the
docking games alike: the neighbours of agent ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, sorted
ascending, without duplicates. Every random builder draws only from the ``numpy.random.Generator``
it is given (networkx is seeded from it), so a network is reproducible from the model's seed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

__all__ = [
    "Neighbours",
    "degree",
    "from_edges",
    "moore_lattice",
    "random_regular",
    "scale_free",
    "with_self",
]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.int64, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Neighbours:
    """CSR adjacency: ``indptr`` (n + 1 offsets) and ``indices`` (sorted neighbour ids per row).

    ``rows`` (the agent owning each entry of ``indices``) is derived once, because every
    vectorised update needs it. Arrays are read-only copies: a network never changes under a run.
    """

    indptr: np.ndarray
    indices: np.ndarray
    rows: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        indptr, indices = _frozen(self.indptr), _frozen(self.indices)
        if indptr.ndim != 1 or indices.ndim != 1 or indptr.size == 0:
            raise ValueError("Neighbours: indptr and indices must be 1-d, indptr non-empty")
        if indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
            raise ValueError("Neighbours: indptr must rise from 0 to len(indices)")
        n = indptr.size - 1
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise ValueError(f"Neighbours: indices must lie in [0, {n})")
        rows = _frozen(np.repeat(np.arange(n), np.diff(indptr)))
        same_row = rows[1:] == rows[:-1]
        if np.any(same_row & (indices[1:] <= indices[:-1])):
            raise ValueError("Neighbours: each row must be sorted ascending without duplicates")
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "rows", rows)

    @property
    def n(self) -> int:
        """Number of agents."""
        return self.indptr.size - 1

    def of(self, i: int) -> np.ndarray:
        """The neighbours of agent ``i``."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def __len__(self) -> int:
        return self.n

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Neighbours):
            return NotImplemented
        return np.array_equal(self.indptr, other.indptr) and np.array_equal(
            self.indices, other.indices
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, arrays are not hashable


def _from_pairs(n: int, rows: np.ndarray, cols: np.ndarray) -> Neighbours:
    """CSR from directed pairs (row → col), deduplicated and sorted."""
    keys = np.unique(np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64))
    r, c = np.divmod(keys, n) if n else (keys, keys)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
    return Neighbours(indptr, c)


def degree(neighbours: Neighbours) -> np.ndarray:
    """Number of neighbours of each agent (counting itself if the network includes self)."""
    return np.diff(neighbours.indptr)


def from_edges(n: int, edges: Iterable[tuple[int, int]] | np.ndarray) -> Neighbours:
    """Undirected network over ``n`` agents from ``(i, j)`` pairs; duplicates and loops dropped."""
    if n < 0:
        raise ValueError(f"from_edges: n must be >= 0 (got {n})")
    e = np.asarray(list(edges) if not isinstance(edges, np.ndarray) else edges, dtype=np.int64)
    e = e.reshape(-1, 2)
    if e.size and (e.min() < 0 or e.max() >= n):
        raise ValueError(f"from_edges: agent ids must lie in [0, {n})")
    e = e[e[:, 0] != e[:, 1]]
    return _from_pairs(n, np.concatenate([e[:, 0], e[:, 1]]), np.concatenate([e[:, 1], e[:, 0]]))


def with_self(neighbours: Neighbours) -> Neighbours:
    """The same network with each agent added to its own neighbourhood (a group it belongs to)."""
    n = neighbours.n
    ids = np.arange(n)
    return _from_pairs(
        n, np.concatenate([neighbours.rows, ids]), np.concatenate([neighbours.indices, ids])
    )


def moore_lattice(size: int, periodic: bool = True, include_self: bool = True) -> Neighbours:
    """A ``size × size`` square lattice with the 8-cell Moore neighbourhood (agent = r·size + c).

    ``periodic`` wraps the edges (a torus); otherwise the boundary is fixed and edge and corner
    cells have 5 and 3 neighbours. ``include_self`` adds each cell to its own neighbourhood, as in
    Nowak & May (1992), where a cell also plays against itself and can keep its own strategy.
    """
    if size < 1:
        raise ValueError(f"moore_lattice: size must be >= 1 (got {size})")
    n = size * size
    r, c = np.divmod(np.arange(n), size)
    rows, cols = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0 and not include_self:
                continue
            rr, cc = r + dr, c + dc
            if periodic:
                rr, cc, ok = rr % size, cc % size, np.ones(n, dtype=bool)
            else:
                ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
            keep = ok if include_self or not periodic else ok & ((rr != r) | (cc != c))
            rows.append(np.arange(n)[keep])
            cols.append((rr * size + cc)[keep])
    return _from_pairs(n, np.concatenate(rows), np.concatenate(cols))


def _from_networkx(graph: nx.Graph) -> Neighbours:
    n = graph.number_of_nodes()
    e = np.asarray(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return from_edges(n, e)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def random_regular(n: int, z: int, rng: np.random.Generator) -> Neighbours:
    """A random ``z``-regular graph on ``n`` agents (homogeneous: every agent has ``z`` ties)."""
    if not (0 <= z < n) or (n * z) % 2:
        raise ValueError(f"random_regular: need 0 <= z < n and n·z even (got n={n}, z={z})")
    return _from_networkx(nx.random_regular_graph(z, n, seed=_seed(rng)))


def scale_free(n: int, z: int, rng: np.random.Generator) -> Neighbours:
    """A Barabási–Albert graph with average degree ≈ ``z`` (``z/2`` links per new agent).

    This is the growth-plus-preferential-attachment graph Santos, Santos & Pacheco (2008) use;
    networkx starts from a star of ``z/2 + 1`` agents, so the mean degree is z·(1 − z/(2n)).
    """
    if z < 2 or z % 2 or z // 2 >= n:
        raise ValueError(f"scale_free: z must be even, >= 2 and z/2 < n (got n={n}, z={z})")
    return _from_networkx(nx.barabasi_albert_graph(n, z // 2, seed=_seed(rng)))
