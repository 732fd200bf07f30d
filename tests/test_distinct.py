"""``recommender.distinct``: once-per-distinct-value helpers agree with the plain pandas way."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from recommender.distinct import first_positions, map_distinct, pair_codes

_TEXT = st.lists(st.sampled_from(["a", "b", "c", "", None]), max_size=40)


@given(_TEXT)
def test_map_distinct_equals_map(values: list) -> None:
    series = pd.Series(values, dtype="string", index=np.arange(len(values)) * 3)
    mapping = {"a": "Europe/Paris", "b": "UTC", "": "empty"}
    expected = series.astype(object).map(mapping)
    got = map_distinct(series, mapping)
    assert got.index.equals(series.index)
    assert got.isna().tolist() == expected.isna().tolist()
    assert got.dropna().tolist() == expected.dropna().tolist()


@given(st.lists(st.integers(0, 3), max_size=40), st.lists(st.sampled_from("xy"), max_size=40))
def test_pair_codes_number_pairs_in_order_and_first_positions_find_them(
        a: list[int], b: list[str]) -> None:
    n = min(len(a), len(b))
    pairs = list(zip(a[:n], b[:n]))
    codes = pair_codes(np.array(a[:n], dtype=np.int64), np.array(b[:n], dtype=object))
    distinct = list(dict.fromkeys(pairs))  # first-seen order
    assert codes.tolist() == [distinct.index(p) for p in pairs]
    assert first_positions(codes).tolist() == [pairs.index(p) for p in distinct]
