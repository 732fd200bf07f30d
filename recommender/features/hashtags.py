"""Hashtag family: how many, how broad, how they worked for this creator, how popular.

- broad: on the fixed list (fyp, foryou, viral...) or used by many creators before the row
  (at least ``broad_hashtag_min_creators`` and ``broad_hashtag_min_share`` of the creators
  seen so far); ``hashtag_broad_share`` is the share of the post's tags that are broad.
- own history: for every earlier settled post of the creator, its residual = outcome minus
  the creator's trailing median as of that post; per tag the residuals' sum over (uses +
  ``hashtag_prior_strength``) (a tag used once says little), then mean / max over the post's
  tags (a tag never used before contributes the prior, 0).
- popularity: mean over the post's tags of log1p(posts using it, any creator, in the
  trailing ``hashtag_popularity_days``).
NaN for a post without hashtags (except the count, 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features import history
from recommender.features.config import FeatureConfig
from recommender.features.context import (
    Context,
    State,
    aggregate_rows,
    counts_before,
    cumulative_counts,
    shrunk_mean_before,
    tag_uses_before,
)


def names(config: FeatureConfig) -> list[str]:
    return ["hashtag_count", "hashtag_broad_share", "hashtag_own_lift_mean",
            "hashtag_own_lift_max", f"hashtag_global_uses_{config.hashtag_popularity_days}d"]


def compute(ctx: Context) -> dict[str, np.ndarray]:
    n, tags = len(ctx.queries), ctx.query_tags
    count = np.bincount(tags.row, minlength=n).astype("float64")
    own = _own_history(ctx)
    days = ctx.config.hashtag_popularity_days
    uses = tag_uses_before(ctx, 0) - tag_uses_before(ctx, days)
    return {
        "hashtag_count": count,
        "hashtag_broad_share": aggregate_rows(tags.row, _is_broad(ctx), n, "mean"),
        "hashtag_own_lift_mean": aggregate_rows(tags.row, own, n, "mean"),
        "hashtag_own_lift_max": aggregate_rows(tags.row, own, n, "max"),
        f"hashtag_global_uses_{days}d": aggregate_rows(tags.row, np.log1p(uses), n, "mean"),
    }


def _is_broad(ctx: Context) -> np.ndarray:
    """Per query tag: 1.0 where broad at the row's time, else 0.0."""
    config, tags = ctx.config, ctx.query_tags
    t = ctx.queries["t"].to_numpy()[tags.row]
    tag_users, creators_seen = ctx.store_cached("tag_users", lambda: _tag_users(ctx))
    users = counts_before(tag_users, tags.code, t)
    seen = counts_before(creators_seen, np.zeros(len(t), "int64"), t)
    many = (users >= config.broad_hashtag_min_creators) & (
        users >= config.broad_hashtag_min_share * seen)
    return (ctx.fixed_broad[tags.code] | many).astype("float64")


def _tag_users(ctx: Context) -> tuple[State, State]:
    """Count states of the distinct creators that used each tag (the first use of each
    (tag, creator) pair) and of the creators that posted anything (their debuts)."""
    posts_t = ctx.posts["t"].to_numpy()
    pairs = pd.DataFrame({"key": ctx.post_tags.code,
                          "ckey": ctx.posts["ckey"].to_numpy()[ctx.post_tags.row],
                          "t": posts_t[ctx.post_tags.row]})
    first_use = pairs.groupby(["key", "ckey"], sort=False)["t"].min()
    debut = ctx.posts.groupby("ckey", sort=False)["t"].min().to_numpy()
    return (cumulative_counts(first_use.index.get_level_values("key").to_numpy(),
                              first_use.to_numpy()),
            cumulative_counts(np.zeros(len(debut), "int64"), debut))


def _own_history(ctx: Context) -> np.ndarray:
    """Per query tag: the creator's shrunk mean residual of earlier posts with the tag."""
    local, ltags, tags = ctx.local, ctx.local_tags, ctx.query_tags
    n_tags = max(len(ctx.tag_names), 1)
    key, t = local["ckey"].to_numpy(), local["t"].to_numpy()
    baseline = history.engagement_at(ctx, "local")[history.baseline_name(ctx.config)]
    residual = (local["outcome"].to_numpy() - baseline)[ltags.row]
    return shrunk_mean_before(
        key[ltags.row] * n_tags + ltags.code, t[ltags.row], residual,
        ctx.queries["ckey"].to_numpy()[tags.row] * n_tags + tags.code,
        ctx.queries["t"].to_numpy()[tags.row], ctx.config.hashtag_prior_strength)
