"""Kinds of account beyond ``make_posts``' creators: news outlets and cold-start scrapes.

``make_accounts(kind, ...)`` returns ``SyntheticData`` built with ``make_posts``' machinery
(the same world, effects and count model; ``make_posts`` itself is unchanged):

- ``"creators"``: exactly ``make_posts(n_creators, days, seed=seed, ...)``.
- ``"outlets"``: high-volume news accounts. Every outlet posts OUTLET_POSTS_PER_WEEK
  (uniform, 10-28 a week: one to four a day, hundreds of posts in half a year), has large
  audiences (followers lognormal, median OUTLET_FOLLOWERS), small creator effects (timing
  strength x OUTLET_TIMING_SCALE, interaction rate spread sdlog OUTLET_RATE_SDLOG instead of
  0.6, trending sounds on OUTLET_TREND_SHARE of posts) and no Studio files (no follower
  activity). Followers are read daily, as in ``make_posts``.
- ``"cold_start"``: a scrape of many small histories. Each creator's latest k posts only,
  k uniform on COLD_MIN_POSTS-COLD_MAX_POSTS (<= 12; fewer where the window held fewer),
  as a scraper reaching the newest videos sees them; no follower count on the posts; the
  profile is read once, at ``collected_at``: ``followers`` (true count then),
  ``following``, ``total_videos`` (``prior_videos`` + every simulated post, listed or
  not) and ``total_likes`` (the likes of every simulated post at collection +
  ``prior_videos`` x the creator's mean likes per post x lognormal(0, 0.3)): totals
  consistent with the posts' own counts, as one scrape reads both. No follower activity.

``effects.creators`` gains ``kind``; cold start adds ``listed_posts`` (k) and the profile
truth (``profile_followers``, ``profile_total_likes``, ``profile_total_videos``).
Extra draws come from ``SeedSequence((seed, _ACCOUNTS_STREAM))``: the base world is intact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema
from recommender.datasets import _build, _tables

KINDS = ("creators", "outlets", "cold_start")
OUTLET_POSTS_PER_WEEK = (10.0, 28.0)
OUTLET_FOLLOWERS = 300_000
OUTLET_TIMING_SCALE = 0.15
OUTLET_RATE_SDLOG = 0.2
OUTLET_TREND_SHARE = 0.05
COLD_MIN_POSTS, COLD_MAX_POSTS = 3, 12
_ACCOUNTS_STREAM = 17


def make_accounts(kind: str, n_creators: int = 30, days: int = 120, *, seed: int = 0,
                  start: str = "2025-01-06", collected_at: str | None = None):  # type: ignore[no-untyped-def]
    """A generated store of one kind of account (see the module docstring)."""
    from recommender.datasets import SyntheticData, make_posts

    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: choose one of {', '.join(KINDS)}")
    if kind == "creators":
        data = make_posts(n_creators, days, seed=seed, start=start, collected_at=collected_at)
        data.effects.creators["kind"] = kind
        return data
    world_seq, trend_seq, *creator_seqs = np.random.SeedSequence(seed).spawn(2 + n_creators)
    world = _build._make_world(np.random.default_rng(world_seq), n_creators, days, start,
                               collected_at, None, None)
    extra = np.random.default_rng(np.random.SeedSequence((seed, _ACCOUNTS_STREAM)))
    profiles = world.profiles.copy()
    profiles["kind"] = kind
    if kind == "outlets":
        _outlet_profiles(profiles, extra)
    world.profiles = profiles
    parts = [_build._simulate_creator(np.random.default_rng(s), row, world)
             for s, (_, row) in zip(creator_seqs, profiles.iterrows())]
    if kind == "cold_start":
        parts = [_cold_start(p, row, world.collected_at, extra)
                 for p, (_, row) in zip(parts, profiles.iterrows())]
        for column in ("listed_posts", "profile_followers", "profile_total_likes",
                       "profile_total_videos"):
            profiles[column] = [p["truth"][column] for p in parts]
    tables = {
        "posts": _build._concat([p["posts"] for p in parts], "posts", ["creator", "posted_at"]),
        "follower_activity": schema.empty("follower_activity"),
        "account_daily": _build._concat([p["account"] for p in parts], "account_daily",
                                        ["creator", "date"]),
        "creators": _tables.creators_table(profiles, world.collected_at),
        "trends": _tables.trends_table(
            np.random.default_rng(trend_seq), _tables.trend_days(world.start, world.collected_at),
            world.pools["sounds"], world.pools["challenges"]),
    }
    truth = [*_build.CREATOR_TRUTH, "kind",
             *([c for c in profiles if c.startswith(("listed_", "profile_"))])]
    components = pd.concat([p["components"] for p in parts], ignore_index=True)
    effects = _build.PlantedEffects(
        creators=profiles[truth].reset_index(drop=True),
        sounds=world.pools["sounds"][list(_build.TREND_TRUTH)],
        challenges=world.pools["challenges"][list(_build.TREND_TRUTH)],
        catalog_sounds=world.pools["catalog"], post_components=components,
        sizes={k: float(v) for k, v in globals().items()
               if k.isupper() and isinstance(v, (int, float))})
    return SyntheticData(effects=effects, collected_at=world.collected_at, **tables)


def _outlet_profiles(profiles: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(profiles)
    low, high = OUTLET_POSTS_PER_WEEK
    profiles["posts_per_week"] = rng.uniform(low, high, n).round(2)
    followers = np.round(rng.lognormal(np.log(OUTLET_FOLLOWERS), 0.8, n)).clip(5_000)
    profiles["followers_start"] = followers.astype(int)
    rate = np.clip(np.exp(np.log(0.02) + OUTLET_RATE_SDLOG * rng.standard_normal(n)),
                   0.005, 0.15)
    profiles["interaction_rate"] = rate.round(4)
    profiles["base_level"] = np.log(followers * rate).round(3)
    profiles["timing_strength"] = (profiles["timing_strength"] * OUTLET_TIMING_SCALE).round(3)
    profiles["trend_sound_share"] = OUTLET_TREND_SHARE
    profiles["follower_drift_per_day"] = rng.normal(0.0005, 0.0003, n)


def _cold_start(part: _build.Tables, creator: pd.Series, collected: pd.Timestamp,
                rng: np.random.Generator) -> dict:  # type: ignore[type-arg]
    posts = part["posts"].sort_values("posted_at", kind="stable").reset_index(drop=True)
    k = int(rng.integers(COLD_MIN_POSTS, COLD_MAX_POSTS + 1))
    likes = posts["likes"].to_numpy(dtype="float64")
    mean_likes = float(likes.mean()) if len(likes) else 0.0
    prior = int(creator["prior_videos"])
    total_likes = int(likes.sum() + prior * mean_likes * rng.lognormal(0.0, 0.3))
    daily = part["account"]
    followers = int(daily["value"].iloc[-1]) if len(daily) else int(creator["followers_start"])
    listed = posts.tail(k).assign(followers_at_post=pd.NA, following_at_post=pd.NA)
    readings = {"followers": followers, "following": int(creator["following"]),
                "total_likes": total_likes, "total_videos": prior + len(posts)}
    account = pd.DataFrame({"creator": creator["creator"], "date": collected,
                            "metric": list(readings), "value": list(readings.values()),
                            "source": _tables.SOURCE})
    components = part["components"]
    keep = components["post_id"].isin(set(listed["post_id"]))
    return {"posts": schema.conform(listed, "posts"),
            "account": schema.conform(account, "account_daily"),
            "components": components[keep.to_numpy()],
            "truth": {"listed_posts": len(listed), "profile_followers": followers,
                      "profile_total_likes": total_likes,
                      "profile_total_videos": prior + len(posts)}}

