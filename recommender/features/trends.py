"""Trend family: is the sound / a hashtag on a trend list, and is its use rising in the store.

Trend lists: the latest snapshot at or before the row (not older than
``trend_list_max_age_days``; regions merged, best rank kept). ``*_on_trend_list`` is 1/0, or
NaN with no fresh list; rank (1 = top), climb (ranks gained since the snapshot
``trend_window_days`` earlier, a new entry counting from the bottom of that list) and age
(days since the first snapshot listing it) are NaN unless listed. Hashtags on the fixed
broad list (fyp, viral...) are skipped: they are listed every day and say nothing.
Store momentum (always): posts by any creator strictly before the row using the sound / tag
in the trailing window vs the window before, ``log1p(recent) - log1p(previous)``; the
sound's age is days since it was first used in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.features.config import FeatureConfig
from recommender.features.context import (
    NS_PER_DAY,
    Context,
    aggregate_rows,
    asof_before,
    cumulative_counts,
    tag_uses_before,
    to_ns,
)

_LIST = ("on_trend_list", "trend_rank", "trend_climb", "trend_age_days")


def names(config: FeatureConfig) -> list[str]:
    w = config.trend_window_days
    return ([f"sound_{s}" for s in _LIST]
            + [f"sound_store_uses_{w}d", "sound_store_momentum", "sound_age_days"]
            + [f"hashtag_{s}" for s in _LIST] + ["hashtag_store_momentum"])


def compute(ctx: Context) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    out.update(_sound_lists(ctx))
    out.update(_sound_store(ctx))
    out.update(_hashtag_lists(ctx))
    out["hashtag_store_momentum"] = _hashtag_store(ctx)
    return out


@dataclass
class TrendList:
    """One kind's snapshots: rank of (item code, snapshot) pairs, sorted for lookup."""

    dates: np.ndarray  # sorted unique snapshot times (ns)
    length: np.ndarray  # list length per snapshot
    pair: np.ndarray  # sorted code * len(dates) + snapshot index
    rank: np.ndarray  # rank per pair
    first: np.ndarray  # code -> index of its first snapshot (0 for codes never listed)

    def rank_at(self, code: np.ndarray, snap: np.ndarray) -> np.ndarray:
        out = np.full(len(code), np.nan)
        ok = snap >= 0
        if not ok.any() or len(self.pair) == 0:
            return out
        wanted = code[ok].astype("int64") * len(self.dates) + snap[ok]
        pos = np.clip(np.searchsorted(self.pair, wanted), 0, len(self.pair) - 1)
        hit = self.pair[pos] == wanted
        out[np.flatnonzero(ok)[hit]] = self.rank[pos[hit]]
        return out

    def snapshot(self, t: np.ndarray, max_age_days: float) -> np.ndarray:
        """Index of the latest snapshot at or before t, -1 where none is fresh enough."""
        snap = np.searchsorted(self.dates, t, side="right") - 1
        stale = (snap < 0) | (t - self.dates[np.maximum(snap, 0)] > max_age_days * NS_PER_DAY)
        return np.where(stale, -1, snap)

    def lookup(self, code: np.ndarray, t: np.ndarray, config: FeatureConfig
               ) -> dict[str, np.ndarray]:
        snap = self.snapshot(t, config.trend_list_max_age_days)
        rank = self.rank_at(code, snap)
        listed = np.isfinite(rank)
        on = np.where(snap >= 0, listed.astype("float64"), np.nan)
        earlier = self.dates[np.maximum(snap, 0)] - config.trend_window_days * NS_PER_DAY
        prev = np.where(snap >= 0, np.searchsorted(self.dates, earlier, side="right") - 1, -1)
        before = self.rank_at(code, prev)
        before = np.where(np.isfinite(before), before, self.length[np.maximum(prev, 0)] + 1)
        climb = np.where(listed & (prev >= 0), before - rank, np.nan)
        first = self.first[np.clip(code, 0, len(self.first) - 1)]
        age = np.where(listed, (t - self.dates[first]) / NS_PER_DAY, np.nan)
        return dict(zip(_LIST, (on, rank, climb, age)))


def trend_list(ctx: Context, kind: str) -> TrendList | None:
    """The snapshots of one kind (``hashtag`` / ``sound``), or None without any."""
    def build() -> TrendList | None:
        trends = ctx.data.trends
        mask = (trends["kind"] == kind).fillna(False).to_numpy() & (ctx.trend_codes >= 0)
        rows = trends[mask]
        if rows.empty:
            return None
        frame = pd.DataFrame({"code": ctx.trend_codes[mask], "t": to_ns(rows["date"]),
                              "rank": _ranks(rows)})
        frame = frame[rows["date"].notna().to_numpy()]
        best = frame.groupby(["code", "t"], as_index=False)["rank"].min()
        dates = np.sort(best["t"].unique())
        best["snap"] = np.searchsorted(dates, best["t"].to_numpy())
        length = best.groupby("snap")["rank"].max().reindex(range(len(dates))).to_numpy()
        best["pair"] = best["code"].to_numpy("int64") * len(dates) + best["snap"].to_numpy()
        best = best.sort_values("pair")
        debut = best.groupby("code")["snap"].min()
        first = np.zeros(int(best["code"].max()) + 1, dtype="int64")
        first[debut.index.to_numpy()] = debut.to_numpy()
        return TrendList(dates, length, best["pair"].to_numpy(), best["rank"].to_numpy(), first)
    return ctx.store_cached(f"trend_list_{kind}", build)


def _ranks(rows: pd.DataFrame) -> np.ndarray:
    """Listed rank; lists with only a score get ranks from it (highest = 1)."""
    rank = rows["rank"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    score = rows["score"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    by_score = pd.Series(-np.nan_to_num(score, nan=-np.inf)).groupby(
        rows["date"].to_numpy()).rank(method="first").to_numpy()
    return np.where(np.isfinite(rank), rank, by_score)


def _sound_lists(ctx: Context) -> dict[str, np.ndarray]:
    code, t = ctx.queries["sound_code"].to_numpy(), ctx.queries["t"].to_numpy()
    out = {f"sound_{s}": np.full(len(t), np.nan) for s in _LIST}
    lists = trend_list(ctx, "sound")
    if lists is None:
        return out
    found = lists.lookup(np.maximum(code, 0), t, ctx.config)
    fresh = lists.snapshot(t, ctx.config.trend_list_max_age_days) >= 0
    for s in _LIST:
        # A post without a known (non-original) sound is not on a list if a list is fresh.
        no_sound = 0.0 if s == "on_trend_list" else np.nan
        out[f"sound_{s}"] = np.where(code >= 0, found[s], np.where(fresh, no_sound, np.nan))
    return out


def _hashtag_lists(ctx: Context) -> dict[str, np.ndarray]:
    n, t = len(ctx.queries), ctx.queries["t"].to_numpy()
    out = {f"hashtag_{s}": np.full(n, np.nan) for s in _LIST}
    lists = trend_list(ctx, "hashtag")
    if lists is None:
        return out
    tags = ctx.query_tags
    keep = ~ctx.fixed_broad[tags.code]
    row, code = tags.row[keep], tags.code[keep]
    found = lists.lookup(code, t[row], ctx.config)
    fresh = lists.snapshot(t, ctx.config.trend_list_max_age_days) >= 0
    on = aggregate_rows(row, found["on_trend_list"], n, "max")
    out["hashtag_on_trend_list"] = np.where(fresh, np.nan_to_num(on, nan=0.0), np.nan)
    out["hashtag_trend_rank"] = aggregate_rows(row, found["trend_rank"], n, "min")
    out["hashtag_trend_climb"] = aggregate_rows(row, found["trend_climb"], n, "max")
    out["hashtag_trend_age_days"] = aggregate_rows(row, found["trend_age_days"], n, "min")
    return out


def _sound_store(ctx: Context) -> dict[str, np.ndarray]:
    posts, q, w = ctx.posts, ctx.queries, ctx.config.trend_window_days
    used = posts["sound_code"].to_numpy() >= 0
    counts = ctx.store_cached("sound_counts", lambda: cumulative_counts(
        posts["sound_code"].to_numpy()[used], posts["t"].to_numpy()[used]))
    code, t = q["sound_code"].to_numpy(), q["t"].to_numpy()
    found = [asof_before(code, t - k * w * NS_PER_DAY, counts, ["count", "first"])
             for k in (0, 1, 2)]
    c0, c1, c2 = (np.nan_to_num(f["count"], nan=0.0) for f in found)
    has = code >= 0
    return {
        f"sound_store_uses_{w}d": np.where(has, c0 - c1, np.nan),
        "sound_store_momentum": np.where(has, np.log1p(c0 - c1) - np.log1p(c1 - c2), np.nan),
        "sound_age_days": (t - found[0]["first"]) / NS_PER_DAY,
    }


def _hashtag_store(ctx: Context) -> np.ndarray:
    w = ctx.config.trend_window_days
    c0, c1, c2 = (tag_uses_before(ctx, k * w) for k in (0, 1, 2))
    momentum = np.log1p(c0 - c1) - np.log1p(c1 - c2)
    keep = ~ctx.fixed_broad[ctx.query_tags.code]
    return aggregate_rows(ctx.query_tags.row[keep], momentum[keep], len(ctx.queries), "max")
