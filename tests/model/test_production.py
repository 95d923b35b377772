"""CES joint production alone: complements, zeros without warnings, limits, returns to scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model.config import Production
from coopsim.model.production import ces, linear_public_good
from coopsim.model.sectors import SECTOR_DEFAULTS

K = 4
EQUAL = np.ones(K)
DEFAULT = Production()
COMPLEMENTS = [-10.0, -2.0, DEFAULT.substitution, -0.5, -1e-3, 0.0]


def _profile(sector: str) -> np.ndarray:
    return np.array(list(SECTOR_DEFAULTS[sector]["resources"].values()), dtype=float)


def _strict():
    """No silent floating-point trouble: division by zero, invalid or overflow raise."""
    return np.errstate(divide="raise", invalid="raise", over="raise")


# ---- complements ----------------------------------------------------------------------------


@pytest.mark.parametrize("rho", COMPLEMENTS)
@pytest.mark.parametrize("kind", range(K))
def test_missing_any_kind_gives_zero_without_warning(rho, kind):
    x = np.array([1.0, 2.0, 0.5, 3.0])
    x[kind] = 0.0
    with _strict():
        out = ces(x, EQUAL, rho, nu=1.0, scale=2.0)
    assert out == 0.0


@pytest.mark.parametrize("rho", [*COMPLEMENTS, 0.5, 1.0])
def test_nothing_in_gives_nothing_out_without_warning(rho):
    with _strict():
        out = ces(np.zeros((3, K)), EQUAL, rho, nu=0.7)
    np.testing.assert_array_equal(out, 0.0)


def test_zero_rows_in_a_batch_leave_the_other_rows_alone():
    x = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]])
    with _strict():
        out = ces(x, EQUAL, -1.0)
    np.testing.assert_allclose(out, [1.0, 0.0, 2.0])


def test_a_kind_with_zero_weight_is_not_needed():
    x = np.array([1.0, 1.0, 1.0, 0.0])
    with _strict():
        out = ces(x, np.array([1.0, 1.0, 1.0, 0.0]), -1.0)
    assert out == pytest.approx(1.0)


def test_with_substitutes_a_missing_kind_only_costs_its_share():
    x = np.array([1.0, 1.0, 1.0, 0.0])
    with _strict():
        out = ces(x, EQUAL, 0.5)
    assert out == pytest.approx((0.75) ** 2)  # (Σ a x^ρ)^(1/ρ) with a = 1/4, ρ = 1/2


@pytest.mark.parametrize(
    ("sector", "partner"), [("business", "civil_society"), ("government", "civil_society")]
)
def test_a_mixed_sector_pool_beats_one_sector_pools_of_equal_total(sector, partner):
    a, b = _profile(sector), _profile(partner)
    mixed = a + b
    total = mixed.sum()
    p = DEFAULT

    def value(x):
        return ces(x, EQUAL, p.substitution, p.returns_to_scale, p.productivity)

    for alone in (a, b):
        assert value(mixed) > value(alone * total / alone.sum())


def test_mirror_image_profiles_produce_more_together_than_apart():
    a, b = np.array([1.0, 0.2, 1.0, 0.2]), np.array([0.2, 1.0, 0.2, 1.0])
    for rho in (-2.0, -1.0, -0.5):
        assert ces(a + b, EQUAL, rho) > ces(2 * a, EQUAL, rho)
        assert ces(a + b, EQUAL, rho) > ces(a, EQUAL, rho) + ces(b, EQUAL, rho)


@settings(max_examples=120, deadline=None)
@given(
    x=hnp.arrays(float, K, elements=st.floats(0.0, 1e3)),
    y=hnp.arrays(float, K, elements=st.floats(0.0, 1e3)),
    rho=st.floats(-10.0, 1.0),
)
def test_pooling_is_superadditive_under_constant_returns(x, y, rho):
    """Concave, homogeneous of degree one: a partnership never produces less than its parts."""
    together = ces(x + y, EQUAL, rho)
    apart = ces(x, EQUAL, rho) + ces(y, EQUAL, rho)
    assert together >= apart * (1 - 1e-9) - 1e-12


def test_stronger_complementarity_punishes_imbalance_more():
    lopsided = np.array([2.0, 0.2, 1.0, 1.0])
    outputs = [ces(lopsided, EQUAL, rho) for rho in (1.0, 0.5, 0.0, -1.0, -5.0)]
    assert np.all(np.diff(outputs) < 0)
    balanced = np.ones(K)
    assert [ces(balanced, EQUAL, r) for r in (1.0, -5.0)] == pytest.approx([1.0, 1.0])


# ---- limits and scale -----------------------------------------------------------------------


@pytest.mark.parametrize("eps", [1e-4, 1e-6, 1e-8, 1e-10])
def test_cobb_douglas_limit_is_continuous(eps):
    rng = np.random.default_rng(4)
    x = rng.uniform(0.1, 5.0, size=(20, K))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    cobb_douglas = np.prod(x ** (w / w.sum()), axis=-1)
    np.testing.assert_allclose(ces(x, w, 0.0), cobb_douglas, rtol=1e-12)
    for rho in (eps, -eps):
        np.testing.assert_allclose(ces(x, w, rho), cobb_douglas, rtol=max(10 * eps, 1e-7))


def test_rho_one_is_linear():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.0, 3.0, size=(10, K))
    x[0, 2] = 0.0
    w = np.array([1.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(ces(x, w, 1.0), x @ (w / w.sum()))
    np.testing.assert_allclose(ces(x, w, 1.0, scale=3.0), 3.0 * x @ (w / w.sum()))


def test_the_linear_public_good_is_the_multiplied_pot():
    c = np.array([[0.0, 1.0, 1.0], [2.0, 0.0, 0.5]]).T
    np.testing.assert_allclose(linear_public_good(c, 1.6), 1.6 * c)
    assert linear_public_good(np.array(0.0), 3.0) == 0.0


@pytest.mark.parametrize("nu", [0.5, 1.0, 1.5])
@pytest.mark.parametrize("rho", [-1.0, 0.0, 0.5])
def test_returns_to_scale(nu, rho):
    x = np.array([1.0, 0.5, 2.0, 0.7])
    base = ces(x, EQUAL, rho, nu=nu)
    for lam in (0.5, 2.0, 10.0):
        assert ces(lam * x, EQUAL, rho, nu=nu) == pytest.approx(lam**nu * base, rel=1e-12)


@pytest.mark.parametrize("rho", [-3.0, -1.0, 0.0, 0.5, 1.0])
def test_a_power_mean_lies_between_the_smallest_and_largest_input(rho):
    rng = np.random.default_rng(6)
    x = rng.uniform(0.01, 10.0, size=(50, K))
    out = ces(x, EQUAL, rho)
    assert np.all(out >= x.min(axis=1) * (1 - 1e-12))
    assert np.all(out <= x.max(axis=1) * (1 + 1e-12))


# ---- properties over arbitrary inputs -------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(float, K, elements=st.floats(0.0, 1e6)),
    w=hnp.arrays(float, K, elements=st.floats(0.01, 10.0)),
    rho=st.floats(-10.0, 1.0),
    nu=st.floats(0.1, 2.0),
    kind=st.integers(0, K - 1),
    bump=st.floats(0.0, 1e6),
)
def test_output_is_finite_non_negative_and_monotone_in_each_input(x, w, rho, nu, kind, bump):
    with _strict():
        before = ces(x, w, rho, nu, scale=1.6)
        more = x.copy()
        more[kind] += bump
        after = ces(more, w, rho, nu, scale=1.6)
    assert np.isfinite(before) and before >= 0.0
    assert np.isfinite(after) and after >= before * (1 - 1e-9)


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(float, (5, K), elements=st.floats(1e-6, 1e6)),
    st.sampled_from([-10.0, -2.0, -0.5, 0.3, 1.0]),
    st.floats(0.5, 1.5),
)
def test_the_fast_path_for_positive_inputs_agrees_with_the_general_one(x, rho, nu):
    # a fifth kind with zero weight sends the same inputs down the general path
    padded = np.concatenate((x, np.zeros((len(x), 1))), axis=1)
    with _strict():
        fast = ces(x, EQUAL, rho, nu, scale=1.5)
        general = ces(padded, np.append(EQUAL, 0.0), rho, nu, scale=1.5)
    np.testing.assert_allclose(fast, general, rtol=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 5), st.just(K)),
        elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e6)),
    ),
    rho=st.sampled_from([1.0, 0.5, 1e-12, 0.0, -0.5, DEFAULT.substitution, -10.0]),
    zero_weight=st.booleans(),
)
def test_kinds_first_gives_the_same_bits_as_kinds_last(x, rho, zero_weight):
    """The model keeps kinds first (axis=0); the answer is the kinds-last one, bit for bit."""
    w = np.array([1.0, 2.0, 1.0, 0.0 if zero_weight else 0.5])
    last = ces(x, w, rho, nu=0.9, scale=1.7)
    first = ces(np.ascontiguousarray(np.moveaxis(x, -1, 0)), w, rho, nu=0.9, scale=1.7, axis=0)
    assert first.shape == last.shape
    assert first.tobytes() == last.tobytes()
