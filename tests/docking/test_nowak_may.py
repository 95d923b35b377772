"""Docking: Nowak & May (1992) spatial prisoner's dilemma at reduced size.

Tolerances: on a 100×100 torus the share averaged over the last 40 of 200 generations lies within
±0.015 of 0.318 for seeds 1–5 (0.305–0.325); the test allows ±0.05.
"""

import json

import numpy as np
import pytest

from coopsim.docking import run_benchmark
from coopsim.docking.nowak_may import PUBLISHED_SHARE, nowak_may, spatial_pd_payoffs
from coopsim.model.learning import best_neighbour_imitation
from coopsim.model.network import moore_lattice


def test_published_figure_is_12_ln2_minus_8():
    assert pytest.approx(0.3178, abs=1e-4) == PUBLISHED_SHARE


@pytest.mark.parametrize("boundary", ["periodic", "fixed"])
def test_cooperator_share_settles_near_0318_for_b_between_18_and_2(boundary):
    result = nowak_may(b=1.9, size=100, generations=200, boundary=boundary, seed=1)
    assert result["cooperator_share"] == pytest.approx(0.318, abs=0.05)
    assert result["published"]["value"] == pytest.approx(PUBLISHED_SHARE)
    assert result["cooperator_share_sd"] > 0  # the "dynamic fractal" keeps changing


def test_dynamics_do_not_depend_on_b_inside_the_regime():
    """Payoffs are integers times 1 or b; for 1.8 < b < 2 every comparison comes out the same."""
    a = nowak_may(b=1.81, size=60, generations=80, seed=3)
    b = nowak_may(b=1.99, size=60, generations=80, seed=3)
    assert a["cooperator_share"] == b["cooperator_share"]


def test_cooperation_nearly_vanishes_for_b_above_2():
    result = nowak_may(b=2.1, size=100, generations=200, seed=1)
    assert result["cooperator_share"] < 0.1
    assert result["published"]["value"] is None
    assert "vanish" in result["published"]["statement"]


def test_cooperators_dominate_for_small_b():
    assert nowak_may(b=1.5, size=60, generations=100, seed=1)["cooperator_share"] > 0.7


def test_a_single_defector_becomes_a_3x3_block():
    """Hand-checkable step: the lone D scores 8b > 9, the most any cooperator can score."""
    lattice = moore_lattice(9)
    cooperator = np.ones(81, dtype=bool)
    cooperator[40] = False  # the centre cell (4, 4)
    payoff = spatial_pd_payoffs(cooperator, lattice, 1.9)
    assert payoff[40] == pytest.approx(8 * 1.9)
    assert payoff[0] == 9 and payoff[31] == 8
    after = best_neighbour_imitation(cooperator, payoff, lattice).reshape(9, 9)
    expected = np.ones((9, 9), dtype=bool)
    expected[3:6, 3:6] = False
    assert np.array_equal(after, expected)


def test_same_seed_same_result_and_json_ready():
    a = run_benchmark("nowak-may", b=1.9, size=40, generations=30, seed=7)
    b = run_benchmark("nowak-may", b=1.9, size=40, generations=30, seed=7)
    assert a == b
    assert json.loads(json.dumps(a)) == a
    assert a["parameters"]["seed"] == 7 and a["parameters"]["boundary"] == "periodic"
    other = run_benchmark("nowak-may", b=1.9, size=40, generations=30, seed=8)
    assert other["cooperator_share"] != a["cooperator_share"]


def test_run_benchmark_accepts_cli_spellings_and_rejects_bad_values():
    result = run_benchmark(
        "nowak-may", size="30", generations=5, **{"initial-cooperators": "0.8"}, boundary=None
    )
    assert result["parameters"]["initial_cooperators"] == 0.8
    assert result["parameters"]["boundary"] == "periodic"
    with pytest.raises(ValueError, match="unknown benchmark 'nowak'"):
        run_benchmark("nowak")
    with pytest.raises(ValueError, match="unknown parameter 'bee'"):
        run_benchmark("nowak-may", bee=1.9)
    with pytest.raises(ValueError, match="boundary must be one of periodic, fixed"):
        run_benchmark("nowak-may", boundary="torus")
    with pytest.raises(ValueError, match="size must be a whole number"):
        run_benchmark("nowak-may", size=10.5)
    with pytest.raises(ValueError, match="initial_cooperators"):
        run_benchmark("nowak-may", initial_cooperators=1.5)
