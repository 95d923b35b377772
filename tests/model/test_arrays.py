"""Array helpers alone: narrow row sums and maxima bit for bit as numpy's, distinct rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model.arrays import narrow_max, narrow_sum
from coopsim.model.config import Trust
from coopsim.model.relationships import Relationships

floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
# Many rows, so that the column-by-column path is taken (fewer than 64 rows go to numpy).
narrow = st.tuples(st.integers(64, 200), st.sampled_from([(), (2,)]), st.integers(1, 7)).flatmap(
    lambda s: hnp.arrays(np.float64, (s[0], *s[1], s[2]), elements=floats)
)


def _same_bits(got, expected) -> None:
    """Equal bit for bit (the sign of zero included); any NaN matches any NaN."""
    got, expected = np.atleast_1d(got), np.atleast_1d(expected)
    assert got.shape == expected.shape
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    assert got[~nan].tobytes() == expected[~nan].tobytes()


@settings(max_examples=300, deadline=None)
@given(values=narrow)
def test_narrow_sum_is_numpys_sum_bit_for_bit(values):
    with np.errstate(all="ignore"):
        expected = values.sum(axis=-1)
        got = narrow_sum(values)
    _same_bits(got, expected)


@settings(max_examples=300, deadline=None)
@given(values=narrow)
def test_narrow_max_is_numpys_max(values):
    expected = values.max(axis=-1)
    _same_bits(narrow_max(values), expected)


def test_small_arrays_go_to_numpy_and_large_ones_do_not():
    from coopsim.model import arrays

    assert not arrays._narrow(np.zeros((63, 4)), 7)
    assert arrays._narrow(np.zeros((64, 4)), 7)
    assert not arrays._narrow(np.zeros((64, 4), dtype=np.float32), 7)
    assert not arrays._narrow(np.zeros((64, 5)), 4)


@pytest.mark.parametrize("shape", [(3, 4), (200, 4), (30, 20, 4), (500, 3), (1000, 1)])
def test_narrow_helpers_match_numpy_on_many_rows_with_special_values(shape):
    rng = np.random.default_rng(sum(shape))
    values = rng.standard_normal(shape) * rng.choice([1e-300, 1e-8, 1.0, 1e8, 1e300], size=shape)
    special = rng.random(shape)
    values[special < 0.02] = -0.0
    values[(special > 0.02) & (special < 0.03)] = np.inf
    values[(special > 0.03) & (special < 0.035)] = np.nan
    with np.errstate(all="ignore"):
        _same_bits(narrow_sum(values), values.sum(axis=-1))
    _same_bits(narrow_max(values), values.max(axis=-1))


def test_narrow_helpers_leave_the_input_alone_and_fall_back_when_wide_or_not_float():
    values = np.arange(12.0).reshape(3, 4)
    before = values.copy()
    narrow_sum(values), narrow_max(values)
    np.testing.assert_array_equal(values, before)
    wide = np.random.default_rng(0).random((5, 9))
    assert narrow_sum(wide).tobytes() == wide.sum(axis=-1).tobytes()
    ints = np.arange(8).reshape(2, 4)
    assert narrow_sum(ints).dtype == ints.sum(axis=-1).dtype
    np.testing.assert_array_equal(narrow_sum(ints), [6, 22])
    assert narrow_sum(np.array([[-0.0, -0.0]]))[0].tobytes() == np.float64(0.0).tobytes()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=80))
def test_distinct_rows_and_their_index_agree_with_numpy(values):
    rel = Relationships(8, Trust())
    rel.ensure(np.repeat(np.arange(8), 8)[:31], np.tile(np.arange(8), 8)[:31], 0)  # 31 rows
    rows = np.array(values, dtype=np.int64)
    distinct, index = rel.distinct(rows)
    np.testing.assert_array_equal(distinct, np.unique(rows))  # ascending, each once
    np.testing.assert_array_equal(distinct[index], rows)


@pytest.mark.parametrize("size", [0, 1, 5])
def test_distinct_of_few_rows(size):
    rel = Relationships(4, Trust())
    rows = rel.ensure(np.arange(size) % 4, (np.arange(size) + 1) % 4, 0)
    distinct, index = rel.distinct(rows)
    np.testing.assert_array_equal(distinct[index], rows)
