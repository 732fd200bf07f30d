"""The join and aggregation primitives every feature family relies on, against brute force.

They were rewritten for speed (merge-free running sums, a NumPy as-of join for small
batches, reduceat aggregation, a one-pass per-key rolling window); these properties pin them
to the obvious loop over rows, ties and missing values included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.features import context
from recommender.features.context import (
    State,
    aggregate_rows,
    asof_before,
    group_starts,
    shrunk_mean_before,
)
from recommender.features.history import _LastN, _rolling

small_ints = st.integers(min_value=0, max_value=4)
times = st.integers(min_value=0, max_value=6).map(lambda h: h * 10)  # many ties


@st.composite
def events_and_queries(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(min_value=0, max_value=30))
    q = draw(st.integers(min_value=1, max_value=30))
    key = np.array(draw(st.lists(small_ints, min_size=n, max_size=n)), dtype="int64")
    t = np.array(draw(st.lists(times, min_size=n, max_size=n)), dtype="int64")
    value = np.array(draw(st.lists(st.one_of(st.none(), st.floats(-3, 3)), min_size=n,
                                   max_size=n)), dtype="float64")
    q_key = np.array(draw(st.lists(small_ints, min_size=q, max_size=q)), dtype="int64")
    q_t = np.array(draw(st.lists(times, min_size=q, max_size=q)), dtype="int64")
    return key, t, value, q_key, q_t


def _brute_asof(state: pd.DataFrame, q_key: np.ndarray, q_t: np.ndarray) -> np.ndarray:
    out = np.full(len(q_t), np.nan)
    for i, (k, t) in enumerate(zip(q_key, q_t)):
        earlier = state[(state["key"] == k) & (state["t"] < t)]
        if len(earlier):
            out[i] = earlier.sort_values("t", kind="stable")["v"].iloc[-1]
    return out


@settings(max_examples=80, deadline=None)
@given(events_and_queries())
def test_asof_before_small_and_large_paths_match_brute_force(
        data: tuple[np.ndarray, ...]) -> None:
    key, t, value, q_key, q_t = data
    state = State.of(pd.DataFrame({"key": key, "t": t, "v": np.nan_to_num(value)}))
    expected = _brute_asof(state.frame, q_key, q_t)
    small = asof_before(q_key, q_t, state, ["v"])["v"]
    original = context.SMALL_JOIN
    context.SMALL_JOIN = 0  # force merge_asof
    try:
        large = asof_before(q_key, q_t, state, ["v"])["v"]
    finally:
        context.SMALL_JOIN = original
    np.testing.assert_array_equal(small, expected)
    np.testing.assert_array_equal(large, expected)


@settings(max_examples=80, deadline=None)
@given(events_and_queries(), st.sampled_from([0.0, 2.0]))
def test_shrunk_mean_before_matches_brute_force(data: tuple[np.ndarray, ...],
                                                prior: float) -> None:
    key, t, value, q_key, q_t = data
    got = shrunk_mean_before(key, t, value, q_key, q_t, prior)
    for i, (k, when) in enumerate(zip(q_key, q_t)):
        mine = value[(key == k) & (t < when) & np.isfinite(value)]
        expected = mine.sum() / (len(mine) + prior) if len(mine) else 0.0
        assert got[i] == pytest.approx(expected, abs=1e-12)


def test_shrunk_mean_before_on_its_own_rows_never_counts_a_tie() -> None:
    key = np.array([1, 1, 1, 2], dtype="int64")
    t = np.array([10, 10, 20, 10], dtype="int64")
    value = np.array([1.0, 3.0, 5.0, 7.0])
    got = shrunk_mean_before(key, t, value, key, t, 0.0)
    np.testing.assert_array_equal(got, [0.0, 0.0, 2.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.floats(-5, 5))),
                min_size=1, max_size=40),
       st.sampled_from(["max", "min", "mean", "sum"]), st.booleans())
def test_aggregate_rows_matches_groupby(pairs: list, how: str, shuffle: bool) -> None:
    rows = np.array(sorted(p[0] for p in pairs), dtype="int64")
    values = np.array([p[1] for p in sorted(pairs, key=lambda p: p[0])], dtype="float64")
    if shuffle:
        order = np.random.default_rng(0).permutation(len(rows))
        rows, values = rows[order], values[order]
    got = aggregate_rows(rows, values, 8, how)
    series = pd.Series(values).groupby(rows)
    agg = getattr(series, how)()
    if how == "sum":
        agg = agg.where(series.count() > 0)
    expected = np.full(8, np.nan)
    expected[agg.index.to_numpy()] = agg.to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-5, 5)), min_size=1, max_size=40),
       st.integers(1, 6))
def test_per_key_rolling_window_matches_groupby_rolling(pairs: list, n: int) -> None:
    frame = pd.DataFrame(sorted(pairs, key=lambda p: p[0]), columns=["key", "y"])
    window = _LastN(window_size=n, group_start=group_starts(frame["key"].to_numpy()))
    for how, periods in (("median", 1), ("mean", 1), ("std", 2)):
        if periods > n:  # pandas refuses such a window; ours gives NaN (tested below)
            continue
        got = _rolling(frame["y"], window, periods, how)
        rolled = getattr(frame.groupby("key")["y"].rolling(n, min_periods=periods), how)()
        expected = rolled.droplevel(0).sort_index().to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_rolling_std_of_a_one_post_window_is_missing() -> None:
    frame = pd.DataFrame({"key": [0, 0, 1], "y": [1.0, 2.0, 3.0]})
    window = _LastN(window_size=1, group_start=group_starts(frame["key"].to_numpy()))
    assert np.isnan(_rolling(frame["y"], window, 2, "std")).all()
