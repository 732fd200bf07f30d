"""Assembling a synthetic data set: world -> per-creator posts -> canonical tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender import schema
from recommender.datasets import _effects as fx
from recommender.datasets import _posts, _tables, _world

# Columns of ``effects.creators`` (the rest of the profile drives the count model).
CREATOR_TRUTH = (
    "creator", "timezone", "niche", "niche_hashtags", "best_local_hour", "best_weekday",
    "timing_strength", "posts_per_week", "base_level", "followers_start", "interaction_rate",
    "trend_sound_share", "comment_ratio", "share_ratio", "save_ratio", "like_view_ratio",
    "creator_id", "following", "prior_videos",
)
TREND_TRUTH = ("name", "entity_id", "rise_start", "peak", "decay_end", "rise_days", "decay_days")


@dataclass
class PlantedEffects:
    """The ground truth the data were generated from (see the package docstring)."""

    creators: pd.DataFrame  # one row per creator (CREATOR_TRUTH columns)
    sounds: pd.DataFrame  # trending sounds: name, entity_id, rise_start, peak, decay_end...
    challenges: pd.DataFrame  # trending challenge hashtags, same columns as sounds
    catalog_sounds: pd.DataFrame  # evergreen sounds with no effect: name, entity_id
    post_components: pd.DataFrame  # per post: each effect on the log scale, followers, age
    sizes: dict[str, float] = field(default_factory=dict)  # the constants of _effects


@dataclass
class _World:
    profiles: pd.DataFrame
    pools: dict[str, pd.DataFrame]
    start: pd.Timestamp
    end: pd.Timestamp
    collected_at: pd.Timestamp


def utc(value: str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


Tables = dict[str, pd.DataFrame]
Planted = Callable[[pd.DatetimeIndex, pd.DataFrame], list[str]]


def build(n_creators: int, days: int, seed: int, start: str, collected_at: str | None,
          posts_per_week: float | None, n_sounds: int | None,
          ) -> tuple[Tables, PlantedEffects, pd.Timestamp]:
    """All canonical tables (name -> frame), the planted truth and the collection time."""
    world_seq, trend_seq, *creator_seqs = np.random.SeedSequence(seed).spawn(2 + n_creators)
    world = _make_world(np.random.default_rng(world_seq), n_creators, days, start,
                        collected_at, posts_per_week, n_sounds)
    parts = [_simulate_creator(np.random.default_rng(s), row, world)
             for s, (_, row) in zip(creator_seqs, world.profiles.iterrows())]
    tables = {
        "posts": _concat([p["posts"] for p in parts], "posts", ["creator", "posted_at"]),
        "follower_activity": _concat([p["activity"] for p in parts], "follower_activity",
                                     ["creator", "date", "hour"]),
        "account_daily": _concat([p["account"] for p in parts], "account_daily",
                                 ["creator", "date"]),
        "creators": _tables.creators_table(world.profiles, world.collected_at),
        "trends": _tables.trends_table(
            np.random.default_rng(trend_seq),
            _tables.trend_days(world.start, world.collected_at),
            world.pools["sounds"], world.pools["challenges"]),
    }
    effects = PlantedEffects(
        creators=world.profiles[list(CREATOR_TRUTH)].reset_index(drop=True),
        sounds=world.pools["sounds"][list(TREND_TRUTH)],
        challenges=world.pools["challenges"][list(TREND_TRUTH)],
        catalog_sounds=world.pools["catalog"],
        post_components=pd.concat([p["components"] for p in parts], ignore_index=True),
        sizes={k: float(v) for k, v in vars(fx).items() if k.isupper()},
    )
    return tables, effects, world.collected_at


def _make_world(rng: np.random.Generator, n_creators: int, days: int, start: str,
                collected_at: str | None, posts_per_week: float | None,
                n_sounds: int | None) -> _World:
    if n_creators < 1 or days < 1:
        raise ValueError("n_creators and days must be at least 1")
    if posts_per_week is not None and posts_per_week <= 0:
        raise ValueError("posts_per_week must be positive")
    begin = utc(start)
    end = begin + pd.Timedelta(days=days)
    collected = utc(collected_at) if collected_at is not None else end
    if collected < end:
        raise ValueError(f"collected_at {collected} is before the end of the window {end}")
    pools = {
        "sounds": _world.make_trend_pool(rng, begin, end, n_sounds or max(8, days // 6), "sound"),
        "challenges": _world.make_trend_pool(rng, begin, end, max(3, days // 30), "hashtag"),
        "catalog": _world.make_catalog_sounds(rng, 6, begin),
    }
    profiles = _world.make_creators(rng, n_creators, posts_per_week, begin)
    return _World(profiles, pools, begin, end, collected)


def _simulate_creator(rng: np.random.Generator, creator: pd.Series, world: _World,
                      planted: Planted | None = None) -> Tables:
    """One creator's tables. ``planted(times, comps)`` adds extra effect columns (log scale)
    to ``comps`` before the follower snowball and returns their names (other generators'
    effects: a strategy change, a platform swing), drawing nothing from ``rng``, so the rest
    of the world is the same draw for draw."""
    times = _posts.schedule(rng, creator, world.start, world.end)
    content = _posts.choose_content(rng, creator, times, world.pools)
    comps = _posts.effect_components(creator, content, rng)
    extra = planted(times, comps) if planted is not None else []
    lift = comps[[*_posts.EFFECT_COLUMNS, *extra]].sum(axis=1).to_numpy()
    followers, final = _posts.snowball(creator, times, lift, world.start)
    age = (_world.epoch_seconds(world.collected_at) - _world.epoch_seconds(times)) / 86400.0
    counts = _posts.split_counts(rng, creator, final, age)
    post_ids = _world.tiktok_id(rng, _world.epoch_seconds(times).astype(np.int64))
    posts = content[["posted_at", "caption", "hashtags", "sound_id", "sound_name",
                     "sound_is_original", "duration_s"]].assign(
        creator=creator["creator"], post_id=post_ids, **counts,
        followers_at_post=np.round(followers).astype(int),
        following_at_post=int(creator["following"]),
        collected_at=world.collected_at, source=_tables.SOURCE)
    comps = comps.assign(creator=creator["creator"], post_id=post_ids, posted_at=times,
                         followers_at_post=followers, log_final_interactions=np.log(final),
                         age_days=age, age_fraction=fx.age_fraction(age))
    daily = _daily_followers(creator, times, final, world)
    return {
        "posts": schema.conform(posts, "posts"),
        "components": comps,
        "account": _tables.account_table(str(creator["creator"]), daily),
        "activity": _tables.activity_table(rng, creator, daily, world.collected_at),
    }


def _daily_followers(creator: pd.Series, times: pd.DatetimeIndex, final: np.ndarray,
                     world: _World) -> pd.Series:
    """Followers at 00:00 UTC of each day from the window start to the collection day."""
    days = pd.date_range(world.start.normalize(), world.collected_at, freq="D")
    values = _posts.followers_on(creator, days, times, final, world.start)
    return pd.Series(values, index=days)


def _concat(frames: list[pd.DataFrame], table: str, order: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return schema.empty(table)
    joined = pd.concat(frames, ignore_index=True).sort_values(order, kind="stable")
    return schema.conform(joined, table)
