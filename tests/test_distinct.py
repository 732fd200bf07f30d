"""``recommender.distinct``: once-per-distinct-value helpers agree with the plain pandas way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender import distinct
from recommender.distinct import first_positions, pair_codes, row_codes


def test_object_codes_group_rows_by_the_very_same_object() -> None:
    shared, twin = ["fyp"], ["fyp"]  # equal, but not the same object
    values = np.empty(5, dtype=object)
    values[:] = [shared, twin, shared, None, None]
    assert distinct.object_codes(values).tolist() == [0, 1, 0, 2, 2]
    assert distinct.object_codes(np.empty(0, dtype=object)).tolist() == []


@given(st.lists(st.integers(0, 3), max_size=40), st.lists(st.sampled_from("xy"), max_size=40))
def test_pair_codes_number_pairs_in_order_and_first_positions_find_them(
        a: list[int], b: list[str]) -> None:
    n = min(len(a), len(b))
    pairs = list(zip(a[:n], b[:n]))
    codes = pair_codes(np.array(a[:n], dtype=np.int64), np.array(b[:n], dtype=object))
    distinct = list(dict.fromkeys(pairs))  # first-seen order
    assert codes.tolist() == [distinct.index(p) for p in pairs]
    assert first_positions(codes).tolist() == [pairs.index(p) for p in distinct]


_VALUES = st.sampled_from([0.0, -0.0, 1.5, -2.0, np.nan, 7.0])


@pytest.mark.parametrize("collide", [False, True])
@given(st.lists(st.tuples(_VALUES, _VALUES, st.integers(0, 2)), max_size=40))
def test_row_codes_number_rows_as_groupby_does(collide: bool, rows: list) -> None:
    """Equal to ``groupby(dropna=False).ngroup()`` (NaN equals NaN, -0.0 equals 0.0),
    also when every row hashes alike and the check falls back to pandas."""
    columns = [np.array([r[i] for r in rows], dtype=float) for i in range(2)]
    columns.append(np.array([r[2] for r in rows], dtype=np.int64))
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    expected = frame.groupby([0, 1, 2], sort=False, dropna=False).ngroup().to_numpy()
    with pytest.MonkeyPatch.context() as patch:
        if collide:
            patch.setattr(distinct, "_row_hash", lambda cols: np.zeros(len(rows), np.uint64))
        assert row_codes(columns).tolist() == expected.tolist()


def test_text_column_puts_texts_by_code_and_builds_a_string_column() -> None:
    column = distinct.TextColumn(5)
    column.put(np.array([4, 0]), np.array([1, 0]), np.array(["b", "a"], dtype=object))
    column.put(np.array([2]), np.array([0]), np.array(["b"], dtype=object))
    values = column.column()
    assert str(values.dtype) == "str" and list(values) == ["b", "", "b", "", "a"]


def test_distinct_spreads_per_value_results_as_a_categorical_column() -> None:
    column = pd.Series(["x", "y", "x", ""], index=[7, 8, 9, 10], dtype="string")
    spread = distinct.Distinct(column).category(np.array(["X", None, "E"], dtype=object))
    assert spread.index.equals(column.index)
    assert spread.astype(object).where(spread.notna(), None).tolist() == ["X", None, "X", "E"]
