"""Side tables of the synthetic data set: trends, follower activity, account history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema
from recommender.datasets import _effects as fx
from recommender.datasets._posts import days_from_peak, local_clock
from recommender.datasets._world import BROAD_HASHTAGS

SOURCE = "synthetic"
TREND_REGION = "US"
TREND_HISTORY_DAYS = 14  # trend lists start this many days before the post window
TOP_SOUNDS = 10
LISTED_MIN_POPULARITY = 0.05
ACTIVITY_DAYS = 7  # Studio's FollowerActivity covers about the last 7 days
ACTIVE_SHARE = 0.3  # share of followers online at the busiest hour, before the timing curve
# Generic day/night curve of any audience: Gaussian around 20:00 local (sd 5 h) over a floor.
AWAKE_PEAK_H, AWAKE_WIDTH_H, AWAKE_FLOOR = 20, 5.0, 0.1


def trend_days(start: pd.Timestamp, collected_at: pd.Timestamp) -> pd.DatetimeIndex:
    """Daily list dates (00:00 UTC) from before the window up to the last one before collection."""
    first = start.normalize() - pd.Timedelta(days=TREND_HISTORY_DAYS)
    days = pd.date_range(first, collected_at.normalize(), freq="D")
    return days[days < collected_at]


def trends_table(rng: np.random.Generator, days: pd.DatetimeIndex, sounds: pd.DataFrame,
                 challenges: pd.DataFrame) -> pd.DataFrame:
    """Daily top lists whose score follows each item's life-cycle curve (with 5% jitter)."""
    frames = [_ranked(rng, days, sounds, "sound", TOP_SOUNDS, first_rank=1),
              _broad_rows(rng, days),
              _ranked(rng, days, challenges, "hashtag", len(challenges),
                      first_rank=len(BROAD_HASHTAGS) + 1)]
    rows = pd.concat(frames, ignore_index=True)
    rows["region"], rows["source"], rows["entity_id"] = TREND_REGION, SOURCE, None
    rows = rows.sort_values(["date", "kind", "rank"], kind="stable")
    return schema.conform(rows, "trends")


def _ranked(rng: np.random.Generator, days: pd.DatetimeIndex, pool: pd.DataFrame, kind: str,
            top: int, first_rank: int) -> pd.DataFrame:
    pop = fx.popularity(days_from_peak(days, pool), pool["rise_days"].to_numpy(),
                        pool["decay_days"].to_numpy())
    score = 100.0 * pop * rng.lognormal(0.0, 0.05, pop.shape)
    day_idx, item_idx = np.nonzero(pop >= LISTED_MIN_POPULARITY)
    rows = pd.DataFrame({"date": days[day_idx], "kind": kind,
                         "name": pool["name"].to_numpy()[item_idx],
                         "score": score[day_idx, item_idx].round(1)})
    rows = rows.sort_values(["date", "score"], ascending=[True, False], kind="stable")
    rows["rank"] = rows.groupby("date").cumcount() + first_rank
    return rows[rows["rank"] < first_rank + top]


def _broad_rows(rng: np.random.Generator, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The broad tags sit at the top of every hashtag list (listed, yet no effect)."""
    n = len(BROAD_HASHTAGS)
    base = np.array([98.0, 96.0, 93.0, 90.0][:n])
    return pd.DataFrame({
        "date": np.repeat(days, n),
        "kind": "hashtag",
        "name": np.tile(BROAD_HASHTAGS, len(days)),
        "score": np.clip(np.tile(base, len(days)) + rng.normal(0, 0.5, n * len(days)), 0, 100)
        .round(1),
        "rank": np.tile(np.arange(1, n + 1), len(days)),
    })


def activity_table(rng: np.random.Generator, creator: pd.Series, followers_daily: pd.Series,
                   collected_at: pd.Timestamp) -> pd.DataFrame:
    """Active followers per UTC hour over the last full days before collection.

    Shape: a generic day/night curve (everyone sleeps) x the creator's planted timing curve.
    Hours are UTC: TikTok does not document the zone, and the day buckets are UTC-like.
    """
    last = collected_at.normalize()
    days = pd.date_range(last - pd.Timedelta(days=ACTIVITY_DAYS), periods=ACTIVITY_DAYS, freq="D")
    hours = pd.to_timedelta(np.tile(np.arange(24), len(days)), unit="h")
    moments = pd.DatetimeIndex(np.repeat(days, 24)) + hours
    hour, weekday = local_clock(moments, str(creator["timezone"]))
    awake = AWAKE_FLOOR + (1 - AWAKE_FLOOR) * fx.hour_shape(hour, AWAKE_PEAK_H, AWAKE_WIDTH_H)
    timing = fx.timing_effect(hour, weekday, creator["best_local_hour"],
                              creator["best_weekday"], creator["timing_strength"])
    followers = followers_daily.reindex(moments.normalize()).to_numpy(dtype=float)
    active = followers * ACTIVE_SHARE * awake * np.exp(timing) * rng.lognormal(0, 0.08, len(hour))
    # A world shorter than the window has no followers (NaN) on its first days: no rows.
    known = np.isfinite(active)
    frame = pd.DataFrame({
        "creator": creator["creator"], "date": moments.normalize()[known],
        "weekday": moments.day_of_week[known], "hour": moments.hour[known],
        "active_followers": np.round(active[known]).astype(int), "source": SOURCE,
    })
    return schema.conform(frame, "follower_activity")


def account_table(creator: str, followers_daily: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"creator": creator, "date": followers_daily.index, "metric": "followers",
                          "value": np.round(followers_daily.to_numpy()).astype(int),
                          "source": SOURCE})
    return schema.conform(frame, "account_daily")


def creators_table(profiles: pd.DataFrame, collected_at: pd.Timestamp) -> pd.DataFrame:
    frame = profiles[["creator", "timezone"]].assign(updated_at=collected_at, source=SOURCE)
    return schema.conform(frame, "creators")
