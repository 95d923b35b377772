"""Interaction networks: shape, symmetry, degrees and reproducibility from the passed generator."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model.network import (
    Neighbours,
    degree,
    from_edges,
    moore_lattice,
    random_regular,
    scale_free,
    with_self,
)


def pairs(net: Neighbours) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in zip(net.rows, net.indices, strict=True)}


def is_symmetric(net: Neighbours) -> bool:
    p = pairs(net)
    return all((j, i) in p for i, j in p)


def rows_sorted(net: Neighbours) -> bool:
    return all(np.all(np.diff(net.of(i)) > 0) for i in range(net.n))


def test_periodic_moore_lattice_is_a_torus_of_nine_cell_neighbourhoods():
    net = moore_lattice(5)
    assert net.n == 25
    assert np.all(degree(net) == 9)
    assert is_symmetric(net) and rows_sorted(net)
    # Cell (0, 0) wraps to the far row and column.
    assert set(net.of(0).tolist()) == {0, 1, 4, 5, 6, 9, 20, 21, 24}


def test_moore_lattice_without_self_has_eight_neighbours():
    net = moore_lattice(4, include_self=False)
    assert np.all(degree(net) == 8)
    assert not any(i in net.of(i) for i in range(net.n))


def test_fixed_boundary_gives_edge_cells_fewer_neighbours():
    net = moore_lattice(4, periodic=False)
    d = degree(net).reshape(4, 4)
    assert d[0, 0] == d[0, 3] == d[3, 0] == d[3, 3] == 4  # corner: 3 neighbours + self
    assert d[0, 1] == d[1, 0] == 6  # edge: 5 + self
    assert d[1, 1] == d[2, 2] == 9  # interior
    assert is_symmetric(net)
    no_self = moore_lattice(4, periodic=False, include_self=False)
    assert np.array_equal(degree(no_self), degree(net) - 1)


def test_tiny_periodic_lattice_has_no_duplicate_neighbours():
    net = moore_lattice(2)
    assert np.all(degree(net) == 4)  # all four cells, each once
    assert rows_sorted(net)


def test_random_regular_graph_is_regular_simple_and_seeded():
    net = random_regular(200, 4, np.random.default_rng(3))
    assert np.all(degree(net) == 4)
    assert is_symmetric(net) and rows_sorted(net)
    assert not any(i in net.of(i) for i in range(net.n))
    assert net == random_regular(200, 4, np.random.default_rng(3))
    assert net != random_regular(200, 4, np.random.default_rng(4))


def test_scale_free_graph_has_mean_degree_z_and_hubs():
    net = scale_free(1000, 4, np.random.default_rng(1))
    d = degree(net)
    assert abs(d.mean() - 4) < 0.05
    assert d.min() >= 2
    assert d.max() > 30  # heavy tail: a regular graph would have max 4
    assert is_symmetric(net)
    assert net == scale_free(1000, 4, np.random.default_rng(1))


@pytest.mark.parametrize(
    ("builder", "args"),
    [
        (random_regular, (5, 3)),
        (random_regular, (4, 4)),
        (scale_free, (100, 3)),
        (scale_free, (2, 4)),
    ],
)
def test_builders_reject_impossible_graphs(builder, args):
    with pytest.raises(ValueError):
        builder(*args, np.random.default_rng(0))


def test_from_edges_symmetrises_deduplicates_and_drops_loops():
    net = from_edges(4, [(0, 1), (1, 0), (2, 2), (3, 1), (0, 1)])
    assert pairs(net) == {(0, 1), (1, 0), (1, 3), (3, 1)}
    assert degree(net).tolist() == [1, 2, 0, 1]
    with pytest.raises(ValueError):
        from_edges(3, [(0, 3)])


def test_with_self_adds_each_agent_once():
    net = with_self(from_edges(3, [(0, 1)]))
    assert [net.of(i).tolist() for i in range(3)] == [[0, 1], [0, 1], [2]]
    assert with_self(net) == net


def test_neighbours_is_read_only_and_validated():
    net = from_edges(3, [(0, 1), (1, 2)])
    with pytest.raises(ValueError):
        net.indices[0] = 2
    with pytest.raises(ValueError, match="sorted"):
        Neighbours(np.array([0, 2]), np.array([0, 0]))
    with pytest.raises(ValueError, match="indptr"):
        Neighbours(np.array([0, 3]), np.array([0, 1]))
    with pytest.raises(ValueError, match="indices"):
        Neighbours(np.array([0, 1]), np.array([5]))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_from_edges_matches_the_undirected_edge_set(case):
    n, edges = case
    net = from_edges(n, edges)
    expected = {(i, j) for i, j in edges if i != j} | {(j, i) for i, j in edges if i != j}
    assert pairs(net) == expected
    assert rows_sorted(net)
    assert degree(net).sum() == len(expected)
