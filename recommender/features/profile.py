"""Profile family: the account's own counts (followers, following, total likes, videos).

Readings come from ``account_daily`` (metrics ``followers``, ``following``, ``total_likes``,
``total_videos``), each at the moment it was read: scrapes and API pulls read the profile at
collection, Studio's FollowerHistory once a day. Most cold-start stores have only the reading
at collection, after every post, so the strictly-earlier rule of the other families would
leave those creators with no size signal at all.

The rule (docs/ARCHITECTURE.md, "Profile at prediction time"), per row and metric:
1. the latest reading strictly before the row, if there is one; otherwise
2. the earliest reading at or after the row: the profile as a prediction made *now* would
   see it. (``profile_followers_log`` holds only these: an earlier follower reading is
   already history's ``followers_log``, by the same strict rule.)
   ``profile_after_post`` is 1 on such rows (0 with an earlier reading, NaN with
   none) and ``profile_age_days`` (row time - reading time in whole days, truncated toward
   zero) is negative there.

A reading after the post holds that post's own outcome and later posts' outcomes in its
totals. Guards: ``total_likes`` and ``total_videos`` are turned into "before this post" by
subtracting what the store holds of the creator's posts from this one up to the reading
(their likes, their number): ``profile_likes_per_video_log`` is the mean likes per video
published before the row, ``profile_videos_log`` the videos published before it. In a
consistent store (totals read with the posts' counts, as a scrape reads both) the row's own
and later likes cancel exactly; what remains is the likes of posts the store does not hold
(older videos a scrape did not reach). Followers and following are kept as read: a post's
own followers gained (a few per hundred interactions) stay in a later reading; the flag lets
the trees treat such readings apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features.config import FeatureConfig
from recommender.features.context import NS_PER_DAY, Context, State, asof_before, to_ns

METRICS = ("followers", "following", "total_likes", "total_videos")
AFTER_POST = "profile_after_post"
AGE = "profile_age_days"
NO_TIME = np.iinfo("int64").min


def names(config: FeatureConfig) -> list[str]:
    return ["profile_followers_log", "profile_following_log", "profile_videos_log",
            "profile_likes_per_video_log", AGE, AFTER_POST]


def compute(ctx: Context) -> dict[str, np.ndarray]:
    q = ctx.queries
    key, t = q["ckey"].to_numpy(dtype="int64"), q["t"].to_numpy(dtype="int64")
    read = {m: _reading(ctx, m, key, t) for m in METRICS}
    followers, when_f, after_f = read["followers"]
    # Age and flag follow the followers reading (the size signal), else any metric's.
    when, after = when_f.copy(), after_f.copy()
    for metric in METRICS[1:]:
        _, w, a = read[metric]
        missing = np.isnan(after)
        when[missing], after[missing] = w[missing], a[missing]
    likes, when_l, after_l = read["total_likes"]
    videos, when_v, after_v = read["total_videos"]
    videos_before = videos - _stored_between(ctx, "count", key, t, when_v, after_v)
    likes_before = likes - _stored_between(ctx, "likes", key, t, when_l, after_l)
    # Both totals from the same moment, or the per-video mean mixes two dates.
    same = when_l == when_v
    with np.errstate(divide="ignore", invalid="ignore"):
        per_video = np.where(same & (videos_before > 0) & (likes_before >= 0),
                             likes_before / videos_before, np.nan)
    return {
        # An earlier follower reading is history's ``followers_log`` already (same rule,
        # same readings): this column carries only the profile at prediction time.
        "profile_followers_log": np.where(after_f == 1.0, np.log1p(followers), np.nan),
        "profile_following_log": np.log1p(read["following"][0]),
        "profile_videos_log": np.log1p(np.where(videos_before >= 0, videos_before, np.nan)),
        "profile_likes_per_video_log": np.log1p(per_video),
        # Whole days, toward zero: with daily readings (00:00 UTC) the fraction of a day
        # would be the post's UTC hour, a clock feature the trees must not get (the
        # timing profile owns the clock).
        AGE: np.where(when != NO_TIME,
                      np.trunc((t - np.where(when != NO_TIME, when, t)) / NS_PER_DAY), np.nan),
        AFTER_POST: after,
    }


def _reading(ctx: Context, metric: str, key: np.ndarray, t: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, reading time in int64 ns, after-post flag) per row; NaN (time: NO_TIME)
    where the creator has no reading of ``metric``."""
    before, after, times = ctx.store_cached(f"profile_{metric}", lambda: _states(ctx, metric))
    got = asof_before(key, t, before, ["value", "rid"])
    # Negated times: "strictly before -t + 1" is "at or after t", nearest first.
    later = asof_before(key, -t + 1, after, ["value", "rid"])
    use_later = np.isnan(got["value"]) & np.isfinite(later["value"])
    value = np.where(use_later, later["value"], got["value"])
    rid = np.where(use_later, later["rid"], got["rid"])
    # Reading times stay int64 (a float of nanoseconds since 1970 is off by ~100 ns).
    when = np.full(len(t), NO_TIME, dtype="int64")
    found = np.isfinite(rid)
    when[found] = times[rid[found].astype("int64")]
    flag = np.where(use_later, 1.0, np.where(np.isfinite(got["value"]), 0.0, np.nan))
    return value, when, flag


def _states(ctx: Context, metric: str) -> tuple[State, State, np.ndarray]:
    """Readings as of-before and (negated times) of-after states, ``rid`` indexing the
    returned reading times."""
    daily = ctx.data.account_daily
    if daily.empty:
        empty = State(pd.DataFrame({"key": [], "t": [], "value": [], "rid": []}))
        return empty, empty, np.zeros(0, dtype="int64")
    wanted = ((daily["metric"] == metric).fillna(False) & daily["creator"].isin(
        ctx.query_creators) & daily["date"].notna()).to_numpy(dtype=bool)
    rows = daily[wanted]
    frame = pd.DataFrame({
        "key": rows["creator"].map(ctx.creator_codes).to_numpy(dtype="int64"),
        "t": to_ns(rows["date"]),
        "value": rows["value"].to_numpy(dtype="float64", na_value=np.nan),
    })
    frame = frame[np.isfinite(frame["value"].to_numpy()) & (frame["value"] >= 0).to_numpy()]
    frame = frame.reset_index(drop=True)
    times = frame["t"].to_numpy(dtype="int64")
    frame["rid"] = np.arange(len(frame), dtype="float64")
    forward = frame.assign(t=-times)
    return State.of(frame), State.of(forward), times


def _stored_between(ctx: Context, what: str, key: np.ndarray, t: np.ndarray,
                    when: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per row flagged ``after``: the stored posts' likes (or their number) of the row's
    creator posted at or after the row and at or before the reading; 0 elsewhere."""
    out = np.zeros(len(t))
    rows = np.flatnonzero(after == 1.0)
    if len(rows) == 0:
        return out
    state = ctx.store_cached("profile_cumulative", lambda: _cumulative(ctx))
    upto = asof_before(key[rows], when[rows] + 1, state, [what])[what]
    before = asof_before(key[rows], t[rows], state, [what])[what]
    out[rows] = np.nan_to_num(upto) - np.nan_to_num(before)
    return out


def _cumulative(ctx: Context) -> State:
    """State after each stored post of the queried creators: running likes and count.
    Likes are the stored counts whatever ``hidden`` says: a reading after a hidden post
    holds its likes, and they are taken out of it, never added to anything."""
    posts = ctx.posts
    wanted = posts["creator"].isin(ctx.query_creators).to_numpy(dtype=bool)
    key = posts["ckey"].to_numpy(dtype="int64")[wanted]
    t = posts["t"].to_numpy(dtype="int64")[wanted]
    likes = ctx.source["likes"].to_numpy(dtype="float64", na_value=np.nan)[wanted]
    order = np.lexsort((t, key))
    frame = pd.DataFrame({"key": key[order], "t": t[order],
                          "likes": np.nan_to_num(likes[order])})
    group = frame.groupby("key", sort=False)
    frame["likes"] = group["likes"].cumsum()
    frame["count"] = group.cumcount() + 1.0
    return State.of(frame)
