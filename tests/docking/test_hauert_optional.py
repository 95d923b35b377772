"""Docking: Hauert, De Monte, Hofbauer & Sigmund (2002) optional public goods with loners.

Population 500, 2000 generations, mutation 0.01: the time-averaged payoff lies within 0.02 of
sigma for seeds 1–5 at r = 3; the test allows 0.06. Time-averaged shares within 0.03 of the
replicator rest point Q; the test allows 0.06.
"""

import json

import numpy as np
import pytest

from coopsim.docking import run_benchmark
from coopsim.docking.hauert_optional import (
    COOPERATOR,
    DEFECTOR,
    LONER,
    hauert_optional,
    optional_pgg_payoffs,
    replicator_fixed_point,
)

SMALL = dict(population=500, generations=2000, seed=1)


def test_time_averaged_payoff_equals_the_loner_payoff():
    result = hauert_optional(r=3, group_size=5, sigma=1, **SMALL)
    assert result["mean_payoff"] == pytest.approx(1.0, abs=0.06)
    assert result["published"]["value"] == 1.0


def test_frequencies_cycle_around_the_replicator_rest_point():
    result = hauert_optional(r=3, group_size=5, sigma=1, **SMALL)
    q = result["replicator_fixed_point"]
    for name in ("cooperator", "defector", "loner"):
        assert result[f"{name}_share"] == pytest.approx(q[name], abs=0.06)
        low, high = result["share_range"][name]
        assert high - low > 0.3  # Red Queen: no strategy settles


def test_other_sigma_and_group_size():
    result = hauert_optional(r=4, group_size=8, sigma=0.5, **(SMALL | dict(population=480)))
    assert result["mean_payoff"] == pytest.approx(0.5, abs=0.06)


def test_no_dilemma_when_r_exceeds_group_size():
    result = hauert_optional(r=6, group_size=5, sigma=1, generations=300, seed=1)
    assert result["published"]["value"] is None
    assert result["cooperator_share"] > 0.8
    assert result["mean_payoff"] > 4


def test_rest_point_by_its_definition():
    q = replicator_fixed_point(3, 5, 1)
    assert sum(q.values()) == pytest.approx(1)
    assert q["loner"] == pytest.approx(0.4613, abs=1e-3)
    assert replicator_fixed_point(1.5, 5, 0.4) is None


def test_payoffs_by_hand():
    C, D, L = COOPERATOR, DEFECTOR, LONER
    s = np.array([C, C, D, L, L, C, L, L, L, L, D, D, D, D, D], dtype=np.int8)
    p = optional_pgg_payoffs(s, 5, r=3.0, sigma=1.0)
    # Group 1: 2 C, 1 D participate: pot 6 shared by 3 → C gets 1, D gets 2, loners sigma.
    assert p[:5].tolist() == pytest.approx([1.0, 1.0, 2.0, 1.0, 1.0])
    # Group 2: a lone participant cannot play: everyone gets sigma.
    assert p[5:10].tolist() == pytest.approx([1.0] * 5)
    # Group 3: defectors only: nothing to share.
    assert p[10:].tolist() == pytest.approx([0.0] * 5)


def test_same_seed_same_result_and_json_ready():
    a = run_benchmark("hauert-optional", r=3, group_size=5, sigma=1, generations=200, seed=4)
    assert a["parameters"]["population"] == 1000
    assert a == run_benchmark(
        "hauert-optional", r=3, group_size=5, sigma=1, generations=200, seed=4
    )
    assert json.loads(json.dumps(a)) == a
    assert {"mean_payoff", "cooperator_share", "defector_share", "loner_share"} <= a.keys()
    assert a["measured"] == "mean_payoff"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(sigma=3), "sigma must satisfy"),
        (dict(group_size=1), "group_size"),
        (dict(population=1001), "multiple of group_size"),
        (dict(mutation=2), "mutation"),
        (dict(seed=-1), "seed"),
    ],
)
def test_invalid_values_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        run_benchmark("hauert-optional", **params)
