"""The per-step record alone: typed numpy columns that grow, read back as the rows appended."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coopsim.model.record import Record


def test_rows_come_back_as_a_frame_with_their_types():
    record = Record()
    rows = [
        {"step": t, "mode": "statism" if t < 70 else "governance", "value": t / 3, "ok": t % 2 == 0}
        for t in range(100)  # past the first doubling
    ]
    for row in rows:
        record.append(row)
    expected = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(record.frame(), expected)
    assert len(record) == 100
    assert record.last() == rows[-1] and type(record.last()["step"]) is int


def test_an_integer_output_that_turns_fractional_becomes_a_float_column():
    record = Record()
    for value in (1, 2, 2.5):
        record.append({"x": value})
    np.testing.assert_array_equal(record.frame()["x"], [1.0, 2.0, 2.5])


def test_a_row_with_other_outputs_is_refused():
    record = Record()
    record.append({"a": 1.0})
    with pytest.raises(ValueError, match="outputs of the first row"):
        record.append({"b": 1.0})
    with pytest.raises(ValueError, match="at least one output"):
        Record().append({})


def test_an_empty_record_has_no_last_row_and_an_empty_frame():
    record = Record()
    assert record.last() == {} and record.frame().empty and record.nbytes == 0


def test_numbers_take_eight_bytes_a_value():
    record = Record()
    for t in range(1000):
        record.append({"a": float(t), "b": t, "c": math.nan})
    assert record.nbytes <= 3 * 8 * 1024  # capacity doubles: at most 1,024 rows allocated


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([1, 2.5], np.float64),
        ([1, None], np.float64),
        ([None, 1.5], np.float64),
        ([True, 2], object),
        ([3, True], object),
        ([1, "abc"], object),
        ([1.5, "2.5"], object),
        ([1, 2**70], object),
    ],
)
def test_a_column_widens_to_keep_every_value_it_is_given(values, dtype):
    record = Record()
    for v in values:
        record.append({"x": v})
    column = record.frame()["x"]
    assert column.dtype == dtype
    for got, given in zip(column.tolist(), values, strict=True):
        if given is None:
            assert math.isnan(got)
        else:
            assert got == given and isinstance(got, bool) == isinstance(given, bool)
    assert record.nbytes > 0
