"""Docking: Santos, Santos & Pacheco (2008) public goods on graphs at reduced size.

N = 500, z = 4, 600 generations, 4 graphs. Margins seen over seeds 1–8: scale-free minus regular
at eta = 0.7 is 0.47–0.88 (regular <= 0.035); per-individual minus per-game on scale-free graphs
at eta = 0.5 is 0.47–0.89. The tests ask for 0.25.
"""

import json

import numpy as np
import pytest

from coopsim.docking import run_benchmark
from coopsim.docking.santos_pgg import group_payoffs, payoff_bounds, santos_pgg
from coopsim.model.network import from_edges, with_self

SMALL = dict(n=500, z=4, generations=600, graphs=4, seed=1)


def share(**kw) -> float:
    return santos_pgg(**(SMALL | kw))["cooperator_share"]


def test_scale_free_graphs_cooperate_where_regular_graphs_do_not():
    regular = share(graph="regular", cost="per-game", eta=0.7)
    scale_free = share(graph="scale-free", cost="per-game", eta=0.7)
    assert regular < 0.1
    assert scale_free - regular > 0.25


def test_cost_per_individual_lowers_the_threshold_further():
    per_game = share(graph="scale-free", cost="per-game", eta=0.5)
    per_individual = share(graph="scale-free", cost="per-individual", eta=0.5)
    assert per_game < 0.1
    assert per_individual - per_game > 0.25


def test_defection_wins_everywhere_at_low_eta():
    assert share(graph="scale-free", cost="per-individual", eta=0.2, generations=200) < 0.05


def test_cost_scheme_is_irrelevant_on_regular_graphs():
    """Every agent plays z + 1 games: per-individual cost only rescales all payoffs and M."""
    kw = dict(graph="regular", eta=0.8, n=200, generations=100, graphs=1, seed=2)
    a = santos_pgg(cost="per-game", **kw)
    b = santos_pgg(cost="per-individual", **kw)
    assert a["cooperator_share_per_graph"] == pytest.approx(b["cooperator_share_per_graph"])


def test_group_payoffs_by_hand():
    """A path 0–1–2: groups {0,1}, {0,1,2}, {1,2}. Only agent 0 cooperates, r = 3."""
    groups = with_self(from_edges(3, [(0, 1), (1, 2)]))
    coop = np.array([1.0, 0.0, 0.0])
    per_game = group_payoffs(coop, groups, 3.0, np.ones(3))
    # Pots: group 0: 3 → 1.5 each; group 1: 3 → 1 each; group 2: 0.
    assert per_game.tolist() == pytest.approx([1.5 + 1 - 2, 1.5 + 1, 1.0])
    unit = 1.0 / np.array([2.0, 3.0, 2.0])  # one unit of cost split over k + 1 games
    per_individual = group_payoffs(coop, groups, 3.0, unit)
    assert per_individual.tolist() == pytest.approx([0.75 + 0.5 - 1, 0.75 + 0.5, 0.5])
    low, high = payoff_bounds(groups, 3.0, np.ones(3))
    for i in range(3):  # the bounds are the lone-cooperator and lone-defector payoffs
        alone = np.eye(3)[i]
        assert low[i] == pytest.approx(group_payoffs(alone, groups, 3.0, np.ones(3))[i])
        assert high[i] == pytest.approx(group_payoffs(1 - alone, groups, 3.0, np.ones(3))[i])


def test_same_seed_same_result_and_json_ready():
    kw = dict(graph="scale-free", eta=0.6, cost="per-individual", n=100, generations=40, graphs=2)
    a = run_benchmark("santos-pgg", seed=3, **kw)
    assert a == run_benchmark("santos-pgg", seed=3, **kw)
    assert json.loads(json.dumps(a)) == a
    assert len(a["cooperator_share_per_graph"]) == 2
    assert a["parameters"]["r"] == pytest.approx(0.6 * 5)
    assert a["cooperator_share_per_graph"][0] != a["cooperator_share_per_graph"][1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(graph="lattice"), "graph must be one of regular, scale-free"),
        (dict(cost="per-head"), "cost must be one of per-game, per-individual"),
        (dict(eta=-1), "eta"),
        (dict(z=3), "z must be"),
        (dict(graphs=0), "graphs must be"),
    ],
)
def test_invalid_values_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        run_benchmark("santos-pgg", **params)
