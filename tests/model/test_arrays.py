"""Array helpers alone: runs, ranges, sort-based uniques, distinct rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model.config import Trust
from coopsim.model.relationships import Relationships


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
