"""A world for ``recommender impact``: planted strategy changes, a platform swing, cadence.

``make_impact_posts`` draws the very world ``make_posts`` draws for the same arguments (same
seed streams: schedules, content, ratios) and adds three planted effects on the log scale
of each post's final interactions, from a separate seed stream:

1. Strategy change: from ``change_at`` on, creator i's posts earn ``log(1 + s)`` more, with
   ``s`` taken in turn from ``change_sizes`` (default +20%, -20%, 0, 0, 0, 0: a third
   change, the rest are nulls; on any one date most creators in a store change nothing).
2. Platform swing: from ``swing_at`` on, every creator's posts earn ``log(1 + swing_pct)``
   (an algorithm change or a season: what difference-in-differences must absorb).
3. Weekly cadence with diminishing returns: a post in a calendar week (UTC, Monday-Sunday)
   with more posts than the creator's knee earns less:
   ``-CADENCE_DROP * max(0, log2(posts_that_week / knee))`` (-0.3 at twice the knee: x0.74;
   the week's total still rises, as ``n ** (1 - 0.43)``). The knee is creator-specific,
   ``posts_per_week x U(KNEE_LOW, KNEE_HIGH)`` clipped to [KNEE_MIN, KNEE_MAX]: the truth
   ``impact.cadence.advise_all`` should find. Below the knee more posts cost nothing per post.

The truth is in ``effects.creators`` (``change_pct``, ``change_at``, ``cadence_knee``) and
per post in ``effects.post_components`` (``strategy``, ``swing``, ``weekly_cadence``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.datasets import _build, _tables
from recommender.datasets import _effects as fx

CHANGE_SIZES = (0.2, -0.2, 0.0, 0.0, 0.0, 0.0)  # a third change: most creators do not
CADENCE_DROP = 0.3  # log per doubling of the week's posts beyond the knee
KNEE_LOW, KNEE_HIGH = 0.6, 1.1
KNEE_MIN, KNEE_MAX = 1.5, 20.0
_IMPACT_STREAM = 15  # the extra draws come from SeedSequence((seed, 15)): the base is intact


def make_impact_posts(
    n_creators: int = 30,
    days: int = 240,
    *,
    seed: int = 0,
    start: str = "2025-01-06",
    collected_at: str | None = None,
    posts_per_week: float | None = None,
    change_at: str | None = None,
    change_sizes: tuple[float, ...] = CHANGE_SIZES,
    swing_at: str | None = None,
    swing_pct: float = 0.0,
    cadence: bool = True,
):  # type: ignore[no-untyped-def]
    """``make_posts``'s world plus the planted effects above; returns ``SyntheticData``.

    ``change_at`` defaults to 55% of the way through the window; ``swing_at`` to no swing.
    """
    from recommender.datasets import SyntheticData

    world_seq, trend_seq, *creator_seqs = np.random.SeedSequence(seed).spawn(2 + n_creators)
    world = _build._make_world(np.random.default_rng(world_seq), n_creators, days, start,
                               collected_at, posts_per_week, None)
    extra = np.random.default_rng(np.random.SeedSequence((seed, _IMPACT_STREAM)))
    change = _build.utc(change_at) if change_at else world.start + pd.Timedelta(days=days * 0.55)
    swing = _build.utc(swing_at) if swing_at else None
    profiles = world.profiles.copy()
    profiles["change_pct"] = [change_sizes[i % len(change_sizes)] for i in range(n_creators)]
    profiles["change_at"] = change
    knee = profiles["posts_per_week"].to_numpy() * extra.uniform(KNEE_LOW, KNEE_HIGH, n_creators)
    profiles["cadence_knee"] = np.clip(knee, KNEE_MIN, KNEE_MAX).round(2) if cadence else np.inf
    world.profiles = profiles
    parts = [_simulate(np.random.default_rng(s), row, world, swing, swing_pct)
             for s, (_, row) in zip(creator_seqs, profiles.iterrows())]
    tables = {
        "posts": _build._concat([p["posts"] for p in parts], "posts", ["creator", "posted_at"]),
        "follower_activity": _build._concat([p["activity"] for p in parts], "follower_activity",
                                            ["creator", "date", "hour"]),
        "account_daily": _build._concat([p["account"] for p in parts], "account_daily",
                                        ["creator", "date"]),
        "creators": _tables.creators_table(world.profiles, world.collected_at),
        "trends": _tables.trends_table(
            np.random.default_rng(trend_seq), _tables.trend_days(world.start, world.collected_at),
            world.pools["sounds"], world.pools["challenges"]),
    }
    truth = [*_build.CREATOR_TRUTH, "change_pct", "change_at", "cadence_knee"]
    effects = _build.PlantedEffects(
        creators=profiles[truth].reset_index(drop=True),
        sounds=world.pools["sounds"][list(_build.TREND_TRUTH)],
        challenges=world.pools["challenges"][list(_build.TREND_TRUTH)],
        catalog_sounds=world.pools["catalog"],
        post_components=pd.concat([p["components"] for p in parts], ignore_index=True),
        sizes={**{k: float(v) for k, v in vars(fx).items() if k.isupper()},
               "CADENCE_DROP": CADENCE_DROP, "SWING_PCT": swing_pct},
    )
    return SyntheticData(effects=effects, collected_at=world.collected_at, **tables)


def weekly_cadence_effect(times: pd.DatetimeIndex, knee: float) -> np.ndarray:
    """``-CADENCE_DROP * max(0, log2(posts in the post's UTC calendar week / knee))``."""
    if not np.isfinite(knee) or len(times) == 0:
        return np.zeros(len(times))
    week = times.tz_convert("UTC").tz_localize(None).to_period("W-SUN")
    counts = pd.Series(1, index=week).groupby(level=0).transform("size").to_numpy()
    return -CADENCE_DROP * np.maximum(0.0, np.log2(counts / knee))


def _simulate(rng: np.random.Generator, creator: pd.Series, world: _build._World,
              swing: pd.Timestamp | None, swing_pct: float) -> _build.Tables:
    # _build's creator simulation, draw for draw, with the planted lifts added before the
    # follower snowball so followers respond to them too.
    def planted(times: pd.DatetimeIndex, comps: pd.DataFrame) -> list[str]:
        after = np.asarray(times >= creator["change_at"])
        comps["strategy"] = np.where(after, np.log1p(float(creator["change_pct"])), 0.0)
        late = np.asarray(times >= swing) if swing is not None else np.zeros(len(times), bool)
        comps["swing"] = np.where(late, np.log1p(swing_pct), 0.0)
        comps["weekly_cadence"] = weekly_cadence_effect(times, float(creator["cadence_knee"]))
        return ["strategy", "swing", "weekly_cadence"]

    return _build._simulate_creator(rng, creator, world, planted)
