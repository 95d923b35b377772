"""The contribution choice and motivation crowding alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model.config import Behaviour, Incentives, ModelConfig
from coopsim.model.motivation import MotivationTerms, crowd, delivery_share
from coopsim.model.population import Organisations

W = Behaviour()
INC = Incentives()
NONE = np.zeros(1)
NO = np.zeros(1, dtype=bool)
YES = np.ones(1, dtype=bool)


def _crowd(c, sanctions=0, warned=False, rewards=0, regime_rewards=False, p=INC) -> float:
    return crowd(
        np.array([c], dtype=float),
        np.array([sanctions], dtype=float),
        YES if warned else NO,
        np.array([rewards], dtype=float),
        regime_rewards,
        p,
    )[0]


# ---- the delivery choice --------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    gain=hnp.arrays(float, 6, elements=st.floats(-1e300, 1e300)),
    shock=hnp.arrays(float, 6, elements=st.floats(-1e6, 1e6)),
    beta=st.floats(0.0, 100.0),
    noise=st.floats(0.0, 10.0),
)
def test_delivery_share_is_a_share(gain, shock, beta, noise):
    w = Behaviour(choice_sensitivity=beta, noise=noise)
    d = delivery_share(gain, shock, w)
    assert np.all(np.isfinite(d)) and d.min() >= 0.0 and d.max() <= 1.0


def test_delivery_share_increases_with_the_utility_gain():
    gain = np.linspace(-3.0, 3.0, 61)
    d = delivery_share(gain, np.zeros_like(gain), W)
    assert np.all(np.diff(d) > 0)
    assert d[30] == pytest.approx(0.5)  # indifferent: a coin flip
    np.testing.assert_allclose(d + d[::-1], 1.0)  # logistic symmetry


def test_sharper_choice_moves_further_from_a_half():
    gain = np.array([-0.5, 0.5])
    soft = delivery_share(gain, np.zeros(2), Behaviour(choice_sensitivity=1.0))
    sharp = delivery_share(gain, np.zeros(2), Behaviour(choice_sensitivity=8.0))
    assert sharp[0] < soft[0] < 0.5 < soft[1] < sharp[1]
    flat = delivery_share(gain, np.array([3.0, -3.0]), Behaviour(choice_sensitivity=0.0))
    np.testing.assert_allclose(flat, 0.5)


def test_the_idiosyncratic_shock_enters_through_the_noise_scale():
    gain, shock = np.zeros(2), np.array([-1.0, 1.0])
    quiet = delivery_share(gain, shock, Behaviour(noise=0.0))
    np.testing.assert_allclose(quiet, 0.5)
    loud = delivery_share(gain, shock, W)
    assert loud[0] < 0.5 < loud[1]


def _terms(**change) -> MotivationTerms:
    base = {f.name: np.zeros(1) for f in dataclasses.fields(MotivationTerms)}
    base.update({k: np.array([v], dtype=float) for k, v in change.items()})
    return MotivationTerms(**base)


@pytest.mark.parametrize(
    ("term", "sign"),
    [
        ("mission", +1),  # internal-positive
        ("blame", -1),  # internal-negative
        ("reward", +1),  # external-positive
        ("sanction", +1),  # external-negative: a sanction avoided by delivering
        ("reciprocity", +1),  # conditional cooperation
        ("integrity", +1),
        ("propensity", +1),
        ("private_return", +1),
    ],
)
def test_each_motivation_term_pushes_the_gain_its_way(term, sign):
    zero = _terms().utility_gain(W)[0]
    assert zero == 0.0
    assert np.sign(_terms(**{term: 0.4}).utility_gain(W)[0]) == sign


def test_motivation_weights_scale_their_terms():
    heavy = dataclasses.replace(W, mission_weight=2.0, blame_weight=1.2, reciprocity_weight=4.0)
    for term in ("mission", "blame", "reciprocity"):
        t = _terms(**{term: 0.3})
        assert t.utility_gain(heavy)[0] == pytest.approx(2.0 * t.utility_gain(W)[0])


# ---- crowding out and in --------------------------------------------------------------------


def test_a_sanction_erodes_intrinsic_motivation():
    assert _crowd(0.0) == 0.0
    out = _crowd(0.0, sanctions=1)
    assert out == pytest.approx(INC.crowding_out * (1 - INC.recovery))
    assert _crowd(0.0, sanctions=1) < _crowd(0.0, sanctions=2) < _crowd(0.0, sanctions=5)


def test_the_erosion_shows_in_effective_motivation():
    orgs = Organisations(ModelConfig().population, np.random.default_rng(0), 0.5)
    before = orgs.effective_motivation().copy()
    orgs.crowding = crowd(
        orgs.crowding,
        np.ones(orgs.n),
        np.zeros(orgs.n, dtype=bool),
        np.zeros(orgs.n),
        False,
        INC,
    )
    after = orgs.effective_motivation()
    np.testing.assert_allclose(after, before * (1 - orgs.crowding))
    assert np.all(after[before > 0] < before[before > 0])


def test_a_warned_sanction_crowds_out_less():
    plain = _crowd(0.0, sanctions=1)
    warned = _crowd(0.0, sanctions=1, warned=True)
    assert 0.0 < warned < plain
    assert warned == pytest.approx(plain * INC.graduated_harm, rel=1e-9)


def test_a_sanction_from_a_regime_that_also_rewards_crowds_out_less():
    plain = _crowd(0.0, sanctions=1)
    paired = _crowd(0.0, sanctions=1, regime_rewards=True)
    both = _crowd(0.0, sanctions=1, warned=True, regime_rewards=True)
    assert 0.0 < both < paired < plain
    assert both == pytest.approx(plain * INC.graduated_harm * INC.paired_harm, rel=1e-9)


def test_a_regime_that_rewards_but_does_not_sanction_erodes_nothing():
    assert _crowd(0.0, regime_rewards=True) == 0.0
    assert _crowd(0.0, rewards=3, regime_rewards=True) == 0.0


def test_rewards_crowd_motivation_back_in():
    c = 0.4
    assert _crowd(c, rewards=1) < _crowd(c)
    assert _crowd(c, rewards=3) < _crowd(c, rewards=1)
    # one reward restores its share of what was eroded
    assert _crowd(c, rewards=1) == pytest.approx(c * (1 - INC.crowding_in) * (1 - INC.recovery))


def test_the_harm_outlasts_the_sanctions():
    c = 0.0
    for _ in range(12):  # a year of monthly sanctions
        c = _crowd(c, sanctions=1)
    peak = c
    for _ in range(12):  # a year without any
        c = _crowd(c)
    assert peak > 0.3
    assert c > 0.9 * peak  # a year later almost all of the harm is still there
    for _ in range(1200):
        c = _crowd(c)
    assert c < 0.01 * peak  # but it does heal in the end


def test_rewards_and_graduated_sanctions_leave_more_motivation_than_sanctions_alone():
    """The case study's advice, in the crowding mechanism: discreet sanctions plus rewards."""
    alone = mixed = 0.0
    for _ in range(24):
        alone = _crowd(alone, sanctions=1)
        mixed = _crowd(mixed, sanctions=1, warned=True, rewards=1, regime_rewards=True)
    assert mixed < 0.5 * alone


@settings(max_examples=150, deadline=None)
@given(
    c=hnp.arrays(float, 5, elements=st.floats(0.0, 1.0)),
    sanctions=hnp.arrays(float, 5, elements=st.integers(0, 50)),
    rewards=hnp.arrays(float, 5, elements=st.integers(0, 50)),
    warned=hnp.arrays(bool, 5),
    regime=st.booleans(),
    p=st.tuples(*[st.floats(0.0, 1.0)] * 5),
)
def test_crowding_stays_in_the_unit_interval(c, sanctions, rewards, warned, regime, p):
    out_, in_, rec, grad, pair = p
    inc = Incentives(
        crowding_out=out_, crowding_in=in_, recovery=rec, graduated_harm=grad, paired_harm=pair
    )
    out = crowd(c, sanctions, warned, rewards, regime, inc)
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0
