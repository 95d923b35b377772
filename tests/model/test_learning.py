"""Learning and imitation rules: bounds, invariants, reference behaviour and reproducibility."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coopsim.model.learning import (
    best_neighbour_imitation,
    bush_mosteller,
    fermi_imitation,
    mutate,
    payoff_proportional_imitation,
)
from coopsim.model.network import from_edges, moore_lattice, random_regular

unit = st.floats(0, 1)
signed_unit = st.floats(-1, 1)

# --- Bush–Mosteller ---------------------------------------------------------------------------


@given(unit, unit, signed_unit, unit)
def test_bush_mosteller_stays_in_the_unit_interval(p, w, s, rate):
    new = bush_mosteller(p, w, s, rate)
    assert 0.0 <= float(new) <= 1.0


@given(unit, unit, signed_unit, unit)
def test_bush_mosteller_moves_toward_the_reinforced_action(p, w, s, rate):
    """Satisfaction after cooperating raises p, dissatisfaction lowers it; mirrored after
    defecting; a partial delivery lies between the two."""
    after_c = float(bush_mosteller(p, 1.0, s, rate))
    after_d = float(bush_mosteller(p, 0.0, s, rate))
    mixed = float(bush_mosteller(p, w, s, rate))
    if s >= 0:
        assert after_c >= p - 1e-12 and after_d <= p + 1e-12
    else:
        assert after_c <= p + 1e-12 and after_d >= p - 1e-12
    assert min(after_c, after_d) - 1e-12 <= mixed <= max(after_c, after_d) + 1e-12


def test_bush_mosteller_reference_values():
    # p + l·s·(1 − p) after a satisfying cooperation; p + l·s·p after a dissatisfying one.
    assert bush_mosteller(0.5, 1, 0.5, 0.2) == pytest.approx(0.55)
    assert bush_mosteller(0.5, 1, -0.5, 0.2) == pytest.approx(0.45)
    assert bush_mosteller(0.2, 0, 1.0, 1.0) == pytest.approx(0.0)  # defection fully reinforced
    assert bush_mosteller(0.2, 1, 1.0, 1.0) == pytest.approx(1.0)
    p = np.linspace(0, 1, 11)
    assert np.array_equal(bush_mosteller(p, 1, 0.7, 0.0), p)  # rate 0: no learning
    assert np.allclose(bush_mosteller(p, 0.3, 0.0, 0.5), p)  # no stimulus: no learning


def test_bush_mosteller_broadcasts_over_agents():
    out = bush_mosteller(np.full(4, 0.5), np.array([1, 0, 1, 0.5]), np.array([1, 1, -1, 0]), 0.5)
    assert out.shape == (4,)
    assert out.tolist() == pytest.approx([0.75, 0.25, 0.25, 0.5])


@pytest.mark.parametrize(
    "bad",
    [
        (1.2, 1, 0, 0.1),
        (0.5, -0.1, 0, 0.1),
        (0.5, 1, 1.5, 0.1),
        (0.5, 1, 0, 2),
        (np.nan, 1, 0, 0.1),
    ],
)
def test_bush_mosteller_rejects_out_of_range_inputs(bad):
    with pytest.raises(ValueError):
        bush_mosteller(*bad)


# --- best-neighbour imitation -----------------------------------------------------------------


def reference_best_neighbour(strategy, payoff, net):
    """A plain loop: the best payoff among self and neighbours; self wins ties, then low ids."""
    out = strategy.copy()
    for i in range(net.n):
        best, who = payoff[i], i
        for j in net.of(i):
            if payoff[j] > best:
                best, who = payoff[j], j
        out[i] = strategy[who]
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 25).flatmap(
        lambda n: st.tuples(
            arrays(np.int8, n, elements=st.integers(0, 2)),
            arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 1.5, 2.0, 3.0])),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        )
    )
)
def test_best_neighbour_imitation_matches_a_plain_loop(case):
    strategy, payoff, edges = case
    net = from_edges(strategy.size, edges)
    assert np.array_equal(
        best_neighbour_imitation(strategy, payoff, net),
        reference_best_neighbour(strategy, payoff, net),
    )


def test_best_neighbour_imitation_keeps_own_strategy_on_a_tie():
    net = from_edges(3, [(0, 1), (1, 2)])
    out = best_neighbour_imitation(np.array([0, 1, 2]), np.array([5.0, 5.0, 5.0]), net)
    assert out.tolist() == [0, 1, 2]
    # Agent 1 ties between neighbours 0 and 2: the lower id wins.
    out = best_neighbour_imitation(np.array([0, 1, 2]), np.array([5.0, 1.0, 5.0]), net)
    assert out.tolist() == [0, 0, 2]


def test_best_neighbour_imitation_is_synchronous():
    """Everyone copies from the old state: a strategy moves one step per generation."""
    net = from_edges(4, [(0, 1), (1, 2), (2, 3)])
    out = best_neighbour_imitation(np.array([1, 0, 0, 0]), np.array([9.0, 1.0, 2.0, 3.0]), net)
    assert out.tolist() == [1, 1, 0, 0]


def test_best_neighbour_imitation_does_not_touch_its_inputs():
    net = moore_lattice(4)
    strategy = np.arange(16) % 2 == 0
    payoff = np.arange(16, dtype=float)
    best_neighbour_imitation(strategy, payoff, net)
    assert np.array_equal(strategy, np.arange(16) % 2 == 0)


# --- stochastic imitation ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            arrays(np.int8, n, elements=st.integers(0, 3)),
            arrays(np.float64, n, elements=st.floats(-10, 10)),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80),
            st.integers(0, 2**32 - 1),
            st.booleans(),
        )
    )
)
def test_payoff_proportional_imitation_copies_only_better_neighbours(case):
    strategy, payoff, edges, seed, mixed = case
    net = None if mixed else from_edges(strategy.size, edges)
    out = payoff_proportional_imitation(strategy, payoff, net, np.random.default_rng(seed), 20.0)
    for i in np.flatnonzero(out != strategy):
        sources = range(strategy.size) if net is None else net.of(i)
        assert any(out[i] == strategy[j] and payoff[j] > payoff[i] for j in sources if j != i)


def test_payoff_proportional_adoption_rate_is_the_scaled_payoff_gap():
    """Two agents, P_y − P_x = 1, M = 4: the worse one adopts with probability 1/4."""
    net = from_edges(2, [(0, 1)])
    rng = np.random.default_rng(7)
    adopted = [
        payoff_proportional_imitation(np.array([0, 1]), np.array([0.0, 1.0]), net, rng, 4.0)[0]
        for _ in range(4000)
    ]
    assert np.mean(adopted) == pytest.approx(0.25, abs=0.025)  # > 3 standard errors
    # Per-agent spans: the pair uses the larger one, here 8: probability 1/8.
    spans = np.array([2.0, 8.0])
    adopted = [
        payoff_proportional_imitation(np.array([0, 1]), np.array([0.0, 1.0]), net, rng, spans)[0]
        for _ in range(4000)
    ]
    assert np.mean(adopted) == pytest.approx(0.125, abs=0.02)


def test_payoff_proportional_imitation_never_copies_a_worse_or_equal_model():
    net = moore_lattice(10, include_self=False)
    strategy = np.arange(100) % 3
    out = payoff_proportional_imitation(
        strategy, np.full(100, 2.0), net, np.random.default_rng(0), 1.0
    )
    assert np.array_equal(out, strategy)


def test_imitation_is_reproducible_from_the_generator():
    net = random_regular(300, 4, np.random.default_rng(1))
    strategy = np.random.default_rng(2).integers(0, 2, 300)
    payoff = np.random.default_rng(3).normal(size=300)
    for rule, arg in ((payoff_proportional_imitation, 3.0), (fermi_imitation, 2.0)):
        a = rule(strategy, payoff, net, np.random.default_rng(11), arg)
        b = rule(strategy, payoff, net, np.random.default_rng(11), arg)
        c = rule(strategy, payoff, net, np.random.default_rng(12), arg)
        assert np.array_equal(a, b)
        assert not np.array_equal(a, c)


def test_random_draws_do_not_depend_on_payoffs():
    """Common random numbers: the generator advances the same whatever the payoffs."""
    net = random_regular(50, 4, np.random.default_rng(1))
    strategy = np.zeros(50, dtype=int)
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    payoff_proportional_imitation(strategy, np.zeros(50), net, r1, 1.0)
    payoff_proportional_imitation(strategy, np.arange(50.0), net, r2, 100.0)
    assert r1.random() == r2.random()


def test_fermi_rule_limits():
    net = from_edges(2, [(0, 1)])
    rng = np.random.default_rng(3)
    neutral = [
        fermi_imitation(np.array([0, 1]), np.array([0.0, 5.0]), net, rng, 0.0)[0]
        for _ in range(4000)
    ]
    assert np.mean(neutral) == pytest.approx(0.5, abs=0.03)
    # Strong selection with a huge gap: always copy the better, never the worse, no overflow.
    for _ in range(50):
        out = fermi_imitation(np.array([0, 1]), np.array([0.0, 1e6]), net, rng, 1e3)
        assert out.tolist() == [1, 1]


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, 20, elements=st.floats(-50, 50)),
    st.floats(0, 100),
    st.integers(0, 2**32 - 1),
)
def test_fermi_imitation_copies_only_neighbours(payoff, selection, seed):
    net = from_edges(20, [(i, (i + 1) % 20) for i in range(20)])  # a ring
    strategy = np.arange(20)
    out = fermi_imitation(strategy, payoff, net, np.random.default_rng(seed), selection)
    for i in range(20):
        assert out[i] in {i, (i + 1) % 20, (i - 1) % 20}


def test_isolated_agents_and_well_mixed_populations():
    net = from_edges(3, [(0, 1)])  # agent 2 has no neighbour
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out = fermi_imitation(np.array([0, 1, 2]), np.array([0.0, 9.0, -9.0]), net, rng, 50.0)
        assert out[2] == 2
    # Well-mixed: the model is a random other agent, never oneself.
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out = payoff_proportional_imitation(np.array([0, 1]), np.array([0.0, 1.0]), None, rng, 1.0)
        assert out.tolist() == [1, 1]
    out = payoff_proportional_imitation(
        np.arange(1000), np.arange(1000.0), None, np.random.default_rng(0), 1e-9
    )
    assert np.all(out >= np.arange(1000))  # only better (higher) agents are copied
    assert np.mean(out > np.arange(1000)) == pytest.approx(0.5, abs=0.06)


@pytest.mark.parametrize("gap", [0.0, -1.0, np.inf, np.array([1.0, 0.0])])
def test_payoff_proportional_rejects_bad_gaps(gap):
    net = from_edges(2, [(0, 1)])
    with pytest.raises(ValueError):
        payoff_proportional_imitation(
            np.array([0, 1]), np.array([0.0, 1.0]), net, np.random.default_rng(0), gap
        )


def test_mutation_rate_zero_and_one():
    rng = np.random.default_rng(0)
    s = np.zeros(1000, dtype=np.int8)
    assert np.array_equal(mutate(s, 3, 0.0, rng), s)
    out = mutate(s, 3, 1.0, rng)
    assert out.dtype == s.dtype
    assert np.bincount(out, minlength=3) / 1000 == pytest.approx([1 / 3] * 3, abs=0.05)
