"""Past-engagement family: the creator's own track record before the row.

The outcome summarised is ``config.outcome`` on its log scale (weighted interactions by
default; the target's own scale with ``config_for_target``), over the creator's last N
*settled* posts with a known outcome (see ``history_outcome``). ``baseline`` is the
trailing median over the longest window: the "usual post" that lifts are measured against.
Followers come from readings strictly before the row: earlier posts' ``followers_at_post``
and ``account_daily`` follower counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from recommender.features.config import FeatureConfig
from recommender.features.context import (
    NS_PER_DAY,
    Context,
    State,
    asof_before,
    creator_counts,
    cumulative_counts,
    group_starts,
    key_time_order,
    to_ns,
)


def names(config: FeatureConfig) -> list[str]:
    out = ["n_prev_posts"]
    for n in config.history_windows:
        out += [f"eng_median_last{n}", f"eng_mean_last{n}", f"eng_std_last{n}"]
    if len(config.history_windows) > 1:
        out.append(_momentum_name(config))
    return out + ["followers_log", f"follower_growth_{config.follower_growth_days}d",
                  "follower_following_ratio"]


def baseline_name(config: FeatureConfig) -> str:
    return f"eng_median_last{config.baseline_window}"


def _momentum_name(config: FeatureConfig) -> str:
    return f"eng_momentum_{min(config.history_windows)}_{max(config.history_windows)}"


def compute(ctx: Context) -> dict[str, np.ndarray]:
    q, config = ctx.queries, ctx.config
    key, t = q["ckey"].to_numpy(), q["t"].to_numpy()
    n_prev = asof_before(key, t, creator_counts(ctx), ["count"])["count"]
    out = {"n_prev_posts": np.nan_to_num(n_prev, nan=0.0)}
    known = asof_before(key, t, _known_counts(ctx), ["count"])["count"]
    # Not a feature: how far the row is from its creator's last known outcome (earlier posts
    # still unsettled or hidden); the intervals widen with it.
    out[DISTANCE] = out["n_prev_posts"] - np.nan_to_num(known, nan=0.0)
    out.update(engagement_at(ctx, "queries"))
    if len(config.history_windows) > 1:
        short, long = min(config.history_windows), max(config.history_windows)
        out[_momentum_name(config)] = out[f"eng_median_last{short}"] - out[
            f"eng_median_last{long}"]
    out.update(_followers(ctx, key, t))
    return out


DISTANCE = "posts_since_known"
# Not a feature either: the mean log follower count at the baseline's posts (the audience the
# trailing median was earned with); the model's level moves with followers since then.
BASELINE_FOLLOWERS = "baseline_followers_log"


def _known_counts(ctx: Context) -> State:
    """Per-creator counts of settled posts with a known outcome (what history can see)."""
    def build() -> State:
        local = ctx.local[np.isfinite(ctx.local["outcome"].to_numpy())]
        return cumulative_counts(local["ckey"].to_numpy(), local["t"].to_numpy())
    return ctx.store_cached("known_counts", build)


def engagement_state(ctx: Context) -> State:
    """State after each settled post: trailing median/mean/std of the last N outcomes."""
    def build() -> State:
        local = ctx.local[np.isfinite(ctx.local["outcome"].to_numpy())]
        key, t = local["ckey"].to_numpy(), local["t"].to_numpy()
        order = key_time_order(key, t)
        frame = pd.DataFrame({"key": key[order], "t": t[order],
                              "y": local["outcome"].to_numpy()[order]})
        starts = group_starts(frame["key"].to_numpy())
        for n in ctx.config.history_windows:
            window = _LastN(window_size=n, group_start=starts)
            frame[f"eng_median_last{n}"] = _rolling(frame["y"], window, 1, "median")
            frame[f"eng_mean_last{n}"] = _rolling(frame["y"], window, 1, "mean")
            frame[f"eng_std_last{n}"] = _rolling(frame["y"], window, 2, "std")
        # Followers when the baseline's posts went out (see BASELINE_FOLLOWERS).
        window = _LastN(window_size=ctx.config.baseline_window, group_start=starts)
        frame[BASELINE_FOLLOWERS] = _rolling(
            pd.Series(np.log1p(local["followers"].to_numpy(dtype="float64")[order])),
            window, 1, "mean")
        return State.of(frame.drop(columns="y"), np.arange(len(frame)))
    return ctx.store_cached("engagement_state", build)


def engagement_at(ctx: Context, rows: str) -> dict[str, np.ndarray]:
    """Trailing engagement stats strictly before each row of ``ctx.queries`` or
    ``ctx.local`` (``rows``); computed once (for training both are the same posts)."""
    frame = ctx.queries if rows == "queries" else ctx.local
    if frame is ctx.local:
        rows = "local"

    def build() -> dict[str, np.ndarray]:
        columns = [c for n in ctx.config.history_windows
                   for c in (f"eng_median_last{n}", f"eng_mean_last{n}", f"eng_std_last{n}")]
        columns.append(BASELINE_FOLLOWERS)
        return asof_before(frame["ckey"].to_numpy(), frame["t"].to_numpy(),
                           engagement_state(ctx), columns)
    if rows == "local":
        return ctx.store_cached("engagement_at_local", build)
    return ctx.cached("engagement_at_queries", build)


class _LastN(BaseIndexer):
    """Rolling window over rows sorted by key: the last ``window_size`` rows of the row's
    own key (``group_start``: position of each row's first row of its key). One pass over
    all keys, where ``groupby().rolling()`` pays per group and re-sorts its result; the
    window statistics restart at every key, as they do per group."""

    group_start: np.ndarray

    def get_window_bounds(self, num_values: int = 0, min_periods: int | None = None,
                          center: bool | None = None, closed: str | None = None,
                          step: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        end = np.arange(1, num_values + 1, dtype=np.int64)
        start = np.maximum(end - self.window_size, self.group_start).astype(np.int64)
        return start, end


def _rolling(values: pd.Series, window: _LastN, min_periods: int, how: str) -> np.ndarray:
    rolled = getattr(values.rolling(window, min_periods=min_periods), how)()
    return rolled.to_numpy(dtype="float64")


def _followers(ctx: Context, key: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    days = ctx.config.follower_growth_days
    followers = ctx.store_cached("followers", lambda: _readings(ctx, "followers"))
    now = asof_before(key, t, followers, ["value"])["value"]
    then = asof_before(key, t - days * NS_PER_DAY, followers, ["value"])["value"]
    following = asof_before(
        key, t, ctx.store_cached("following", lambda: _readings(ctx, "following")),
        ["value"])["value"]
    log_now = np.log1p(now)
    return {
        "followers_log": log_now,
        f"follower_growth_{days}d": log_now - np.log1p(then),
        "follower_following_ratio": log_now - np.log1p(following),
    }


def _readings(ctx: Context, metric: str) -> State:
    """State table of a creator's latest known count: post-time counts + account readings."""
    local = ctx.local
    parts = [pd.DataFrame({"key": local["ckey"].to_numpy(), "t": local["t"].to_numpy(),
                           "value": local[metric].to_numpy()})]
    daily = ctx.data.account_daily
    if not daily.empty:
        wanted = (daily["metric"] == metric).fillna(False) & daily["creator"].isin(
            ctx.query_creators) & daily["date"].notna()
        rows = daily[wanted.to_numpy(dtype=bool)]
        parts.append(pd.DataFrame({
            "key": rows["creator"].map(ctx.creator_codes).to_numpy(dtype="int64"),
            "t": to_ns(rows["date"]),
            "value": rows["value"].to_numpy(dtype="float64", na_value=np.nan),
        }))
    state = pd.concat(parts, ignore_index=True)
    value = state["value"].to_numpy()
    return State.of(state[np.isfinite(value) & (value >= 0)])
