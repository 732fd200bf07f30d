"""Engagement definitions: the single place that says what "engagement" means.

Every output names the definition it used (``TARGETS[name].label``). All model targets are
on a log scale so that multiplicative effects ("+12% vs your usual slot") are differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

WEIGHTS = {"likes": 1.0, "comments": 2.0, "shares": 3.0, "saves": 3.0}


@dataclass(frozen=True)
class Target:
    name: str
    label: str  # plain words for every output
    relative: bool = False  # True: a rate or a lift, not a count


TARGETS: dict[str, Target] = {
    "weighted": Target(
        "weighted",
        "weighted interactions: likes + 2 x comments + 3 x shares + 3 x saves (log scale)",
    ),
    "interactions": Target("interactions", "likes + comments + shares (log scale)"),
    "views": Target("views", "views (log scale)"),
    "rate_views": Target("rate_views", "weighted interactions per view (log scale)", True),
    "rate_followers": Target(
        "rate_followers", "weighted interactions per follower (log scale)", True
    ),
    "lift": Target(
        "lift", "weighted interactions relative to the creator's trailing median (log ratio)", True
    ),
}


def _count(posts: pd.DataFrame, column: str) -> np.ndarray:
    if column not in posts.columns:
        return np.zeros(len(posts))
    return pd.to_numeric(posts[column], errors="coerce").astype("float64").to_numpy()


def weighted_interactions(posts: pd.DataFrame) -> np.ndarray:
    """likes + 2 comments + 3 shares + 3 saves. Missing secondary counts count as 0
    (personal exports and many scrapers have no saves); missing likes make the value NaN."""
    likes = _count(posts, "likes")
    total = likes.copy()
    for column, weight in WEIGHTS.items():
        if column != "likes":
            total += weight * np.nan_to_num(_count(posts, column), nan=0.0)
    return total


def interactions(posts: pd.DataFrame) -> np.ndarray:
    likes = _count(posts, "likes")
    rest = np.nan_to_num(_count(posts, "comments")) + np.nan_to_num(_count(posts, "shares"))
    return likes + rest


def log_engagement(posts: pd.DataFrame, target: str = "weighted") -> np.ndarray:
    """The raw (not lift) log-scale outcome of each post for ``target``.

    For ``lift`` this returns the weighted log value; the lift itself subtracts the
    creator's trailing median, which the feature pipeline computes leakage-safely.
    """
    if target in ("weighted", "lift"):
        return np.log1p(weighted_interactions(posts))
    if target == "interactions":
        return np.log1p(interactions(posts))
    if target == "views":
        return np.log1p(_count(posts, "views"))
    if target == "rate_views":
        views = _count(posts, "views")
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(views > 0, weighted_interactions(posts) / views, np.nan)
        return np.log1p(rate)
    if target == "rate_followers":
        followers = _count(posts, "followers_at_post")
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(followers > 0, weighted_interactions(posts) / followers, np.nan)
        return np.log1p(rate)
    raise KeyError(target)


def lift_to_percent(log_difference: np.ndarray | float) -> np.ndarray | float:
    """A difference on the log1p scale as a percentage change ("+12%")."""
    return np.expm1(log_difference) * 100.0
