"""Shared machinery: normalised post/query frames, integer keys, the strict as-of join.

Every history feature is built the same way: a "state after this post" table (one row per
key and time, the state including that post) joined to the rows being featurised with
``merge_asof(..., allow_exact_matches=False, direction="backward")``. A row therefore sees
the state after the latest post strictly before it, never its own outcome or a later one.
For training the rows are the posts themselves; for ``featurize`` they are hypothetical posts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, object_codes
from recommender.engagement import log_engagement
from recommender.features.config import FeatureConfig
from recommender.store import StoreData

NS_PER_HOUR = 3_600 * 10**9
NS_PER_DAY = 24 * NS_PER_HOUR
SMALL_JOIN = 100_000  # state rows up to which asof_before binary-searches in NumPy


@dataclass
class Tags:
    """A frame's hashtags exploded: ``row`` (position in the frame) and ``code`` (tag id)."""

    row: np.ndarray
    code: np.ndarray


@dataclass
class Context:
    """Everything the families need; ``posts`` is global, ``local`` the queried creators."""

    config: FeatureConfig
    data: StoreData
    source: pd.DataFrame  # the canonical posts table, rows in ``posts`` order
    posts: pd.DataFrame  # every post, normalised, sorted by t (for all-creator state)
    local: pd.DataFrame  # posts of the queried creators only (for per-creator state)
    queries: pd.DataFrame  # rows to featurise, normalised, positional index
    creator_codes: dict[str, int]  # creator -> ``ckey`` (shared by posts and queries)
    query_creators: list[str]  # the creators of the rows (per-creator state is theirs only)
    post_tags: Tags  # over ``posts``
    local_tags: Tags  # over ``local``
    query_tags: Tags  # over ``queries``
    tag_names: np.ndarray  # code -> tag
    fixed_broad: np.ndarray  # code -> tag is on the fixed broad list (fyp, viral...)
    sound_keys: np.ndarray  # code -> sound key ("id:..." / "name:...")
    trend_codes: np.ndarray  # trend row -> tag or sound code (-1: unmatched)
    cache: dict[str, Any] = field(default_factory=dict)
    store_cache: dict[str, Any] = field(default_factory=dict)  # shared with other batches

    def cached(self, name: str, build: Callable[[], Any]) -> Any:
        """Compute state once per call (e.g. each query tag's earlier uses)."""
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]

    def store_cached(self, name: str, build: Callable[[], Any]) -> Any:
        """Compute state that depends on the store side only (posts, ``local``, trend lists,
        never ``queries``) once for every batch featurised against that side."""
        if name not in self.store_cache:
            self.store_cache[name] = build()
        return self.store_cache[name]


def to_ns(values: pd.Series | pd.Index) -> np.ndarray:
    """UTC nanoseconds since the epoch as int64 (NaT -> int64 min)."""
    stamps = pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
    return np.asarray(stamps.array.asi8, dtype="int64")


def floats(values: Any) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()


def is_sorted(values: np.ndarray) -> bool:
    return len(values) < 2 or bool((values[1:] >= values[:-1]).all())


def key_time_order(key: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Permutation sorting rows by key, then time (stable). Most inputs are already in time
    order (posts are), so one stable sort by key usually suffices."""
    if is_sorted(t):
        return np.argsort(key, kind="stable")
    by_t = np.argsort(t, kind="stable")
    return by_t[np.argsort(key[by_t], kind="stable")]


def group_starts(sorted_key: np.ndarray) -> np.ndarray:
    """For rows sorted by key: the position of each row's first row of its key."""
    idx = np.arange(len(sorted_key))
    new = np.ones(len(sorted_key), dtype=bool)
    new[1:] = sorted_key[1:] != sorted_key[:-1]
    return np.maximum.accumulate(np.where(new, idx, 0))


@dataclass
class State:
    """A "state after this post" table ready for joining: ``key``, ``t`` and value columns,
    one row per (key, t), sorted by ``t``. Where several rows share (key, t) the last in
    key/time order is kept: the state after all tied posts, as cumulative state is computed
    in that order."""

    frame: pd.DataFrame

    @classmethod
    def of(cls, table: pd.DataFrame, order: np.ndarray | None = None) -> State:
        key, t = table["key"].to_numpy(), table["t"].to_numpy()
        order = key_time_order(key, t) if order is None else order
        k, tt = key[order], t[order]
        last = np.ones(len(table), dtype=bool)
        last[:-1] = (k[1:] != k[:-1]) | (tt[1:] != tt[:-1])
        keep = np.zeros(len(table), dtype=bool)
        keep[order] = last
        table = table[keep]
        if not is_sorted(t[keep]):
            table = table.iloc[np.argsort(t[keep], kind="stable")]
        return cls(table.reset_index(drop=True))


def asof_before(
    q_key: np.ndarray, q_t: np.ndarray, state: State, columns: list[str]
) -> dict[str, np.ndarray]:
    """For each query (key, t): ``columns`` of the state row with the same key and the latest
    ``t`` strictly before it (NaN where none). The one join every history feature uses."""
    out = {c: np.full(len(q_t), np.nan) for c in columns}
    if len(q_t) == 0 or state.frame.empty:
        return out
    q_t = np.asarray(q_t, dtype="int64")
    q_key = np.asarray(q_key, dtype="int64")
    if len(state.frame) <= SMALL_JOIN and _asof_small(q_key, q_t, state, columns, out):
        return out
    left = pd.DataFrame({"key": q_key, "t": q_t, "_pos": np.arange(len(q_t))})
    if len(q_t) > 1 and not (np.diff(q_t) >= 0).all():
        left = left.sort_values("t", kind="stable")
    merged = pd.merge_asof(left, state.frame[["key", "t", *columns]], on="t", by="key",
                           allow_exact_matches=False, direction="backward")
    pos = merged["_pos"].to_numpy()
    for c in columns:
        out[c][pos] = merged[c].to_numpy(dtype="float64", na_value=np.nan)
    return out


def _asof_small(q_key: np.ndarray, q_t: np.ndarray, state: State, columns: list[str],
                out: dict[str, np.ndarray]) -> bool:
    """``asof_before`` against a small state table by binary search: the state's times are
    numbered (their rank among its distinct times), so (key, time) packs into one sortable
    integer; a query's number is how many distinct state times lie strictly before it, and
    the state row just below the query's packed value is its latest earlier row of the same
    key, if that row has the key. Only the state is sorted, never the queries: a plan of a
    million rows against a store of thousands of posts costs two binary searches per row.
    (For a state of millions of rows those searches miss the cache; merge_asof wins there.)
    Fills ``out``; False (nothing done) where keys lie too far apart to pack into int64."""
    s_key = state.frame["key"].to_numpy(dtype="int64")
    s_t = state.frame["t"].to_numpy(dtype="int64")
    low = min(int(q_key.min(initial=0)), int(s_key.min()))
    top = max(int(q_key.max(initial=0)), int(s_key.max()))
    if top - low + 1 >= 2**62 // (len(s_key) + 2):
        return False
    s_key, q_key = s_key - low, q_key - low  # keys from 0 (codes may be -1)
    times = np.unique(s_t)
    width = np.int64(len(times) + 1)
    packed = s_key * width + np.searchsorted(times, s_t)
    order = np.argsort(packed, kind="stable")
    packed = packed[order]
    wanted = q_key * width + np.searchsorted(times, q_t, side="left")
    below = np.searchsorted(packed, wanted, side="left") - 1
    ok = (below >= 0) & (s_key[order[np.maximum(below, 0)]] == q_key)
    rows = order[below[ok]]
    for c in columns:
        out[c][ok] = state.frame[c].to_numpy(dtype="float64", na_value=np.nan)[rows]
    return True


def shrunk_mean_before(key: np.ndarray, t: np.ndarray, value: np.ndarray, q_key: np.ndarray,
                       q_t: np.ndarray, prior_strength: float) -> np.ndarray:
    """Per query (key, t): the sum of ``value`` over the key's events strictly before ``t``,
    divided by (their number + ``prior_strength``): a mean shrunk towards 0; 0 without any.
    Events with a missing value are left out.

    Queries and events go through time together (both usually come in time order, so the
    stable sort is a cheap merge); at an equal time the queries come first, so an event
    never counts for a query at its own time. Per key, the events' running sums and each
    query's latest earlier event come from hashed groupby passes: no sort by key."""
    ok = np.isfinite(value)
    e_key, e_t = np.asarray(key, dtype="int64")[ok], np.asarray(t, dtype="int64")[ok]
    e_value = np.asarray(value, dtype="float64")[ok]
    n_q = len(q_key)
    order = np.argsort(np.concatenate([np.asarray(q_t, dtype="int64"), e_t]), kind="stable")
    keys = np.concatenate([np.asarray(q_key, dtype="int64"), e_key])[order]
    event = order >= n_q
    event_keys = keys[event]
    sums = pd.Series(e_value[order[event] - n_q]).groupby(event_keys, sort=False).cumsum()
    uses = pd.Series(event_keys).groupby(event_keys, sort=False).cumcount() + 1.0
    marker = pd.Series(np.where(event, np.cumsum(event) - 1.0, np.nan))
    latest = marker.groupby(keys, sort=False).ffill().to_numpy()[~event]
    found = ~np.isnan(latest)
    at = np.where(found, latest, 0).astype(np.int64)
    out = np.zeros(n_q)
    if found.any():
        mean = sums.to_numpy()[at] / (uses.to_numpy()[at] + prior_strength)
        out[order[~event]] = np.where(found, mean, 0.0)
    return np.nan_to_num(out, nan=0.0)


def cumulative_counts(key: np.ndarray, t: np.ndarray) -> State:
    """State ``count`` (events of the key up to and including each one) and ``first`` (the
    time of the key's first event)."""
    key, t = np.asarray(key, dtype="int64"), np.asarray(t, dtype="int64")
    order = key_time_order(key, t)
    start = group_starts(key[order])
    count, first = np.empty(len(key)), np.empty(len(key))
    count[order] = np.arange(len(key)) - start + 1.0
    first[order] = t[order][start]
    frame = pd.DataFrame({"key": key, "t": t, "count": count, "first": first})
    return State.of(frame, order)


def counts_before(counts: State, q_key: np.ndarray, q_t: np.ndarray) -> np.ndarray:
    """Events of each query's key strictly before its time (0 where none)."""
    found = asof_before(q_key, q_t, counts, ["count"])["count"]
    return np.nan_to_num(found, nan=0.0)


def explode_tags(hashtags: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Row positions and tag names of a list column, flattened."""
    lists = [h if isinstance(h, (list, tuple, np.ndarray)) else () for h in hashtags]
    lengths = np.fromiter(map(len, lists), dtype="int64", count=len(lists))
    rows = np.repeat(np.arange(len(lists)), lengths)
    return rows, list(itertools.chain.from_iterable(lists))


def explode_shared_tags(hashtags: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``explode_tags`` for a column whose rows share list objects (plans and candidate
    grids repeat a few tag sets, parsed once): each distinct object is exploded once.
    Returns the row positions, each occurrence's index into ``tags`` and ``tags``, the
    exploded distinct objects."""
    values = hashtags.to_numpy(dtype="object")
    objects = object_codes(values)
    first = first_positions(objects)
    object_rows, tags = explode_tags(pd.Series(values[first], dtype="object"))
    object_lengths = np.bincount(object_rows, minlength=len(first))
    lengths = object_lengths[objects]
    rows = np.repeat(np.arange(len(values)), lengths)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    starts = (np.cumsum(object_lengths) - object_lengths)[objects]
    return rows, starts[rows] + within, tags


def aggregate_rows(rows: np.ndarray, values: np.ndarray, n: int, how: str) -> np.ndarray:
    """Per-row ``how`` ("mean"/"max"/"min"/"sum") of exploded values (NaN for no value)."""
    out = np.full(n, np.nan)
    if len(rows) == 0:
        return out
    rows, values = np.asarray(rows), np.asarray(values, dtype="float64")
    if how in ("max", "min") and is_sorted(rows):
        # Exploded tags come row by row: NumPy's NaN-skipping reduceat over each row's run
        # (same values as the groupby below, in a third of the time).
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        agg = (np.fmax if how == "max" else np.fmin).reduceat(values, starts)
        out[rows[starts]] = agg
        return out
    series = pd.Series(values).groupby(rows)  # sums: pandas' compensated summation
    agg = getattr(series, how)()
    if how == "sum":
        agg = agg.where(series.count() > 0)
    out[agg.index.to_numpy()] = agg.to_numpy()
    return out


def tag_counts(ctx: Context) -> State:
    """Per-tag usage state over every creator's posts, computed once."""
    return ctx.store_cached("tag_counts", lambda: cumulative_counts(
        ctx.post_tags.code, ctx.posts["t"].to_numpy()[ctx.post_tags.row]))


def tag_uses_before(ctx: Context, days_back: float) -> np.ndarray:
    """Per query tag: posts (any creator) using it strictly before ``t - days_back``."""
    def build() -> np.ndarray:
        t = ctx.queries["t"].to_numpy()[ctx.query_tags.row] - int(days_back * NS_PER_DAY)
        return counts_before(tag_counts(ctx), ctx.query_tags.code, t)
    return ctx.cached(f"tag_uses_before_{days_back}", build)


def history_outcome(posts: pd.DataFrame, config: FeatureConfig) -> np.ndarray:
    """The log outcome past posts contribute to history features; NaN where missing or
    where the post was younger than ``settled_days`` at collection (still growing)."""
    outcome = log_engagement(posts, config.outcome)
    age = (to_ns(posts["collected_at"]) - to_ns(posts["posted_at"])) / NS_PER_DAY
    unknown_age = posts["collected_at"].isna().to_numpy()
    settled = unknown_age | (age >= config.settled_days)
    return np.where(settled & np.isfinite(outcome), outcome, np.nan)


def creator_counts(ctx: Context) -> State:
    """Per-creator post counts state (every post counts, settled or not), computed once;
    ``t_post`` is the time of the latest post."""
    def build() -> State:
        state = cumulative_counts(ctx.local["ckey"].to_numpy(), ctx.local["t"].to_numpy())
        state.frame["t_post"] = state.frame["t"].astype("float64")
        return state
    return ctx.store_cached("creator_counts", build)
