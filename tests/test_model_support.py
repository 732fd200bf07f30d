"""Shared, cached set-up for the model tests (no tests in this module)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from recommender.datasets import SyntheticData, make_posts
from recommender.model import EngagementModel
from recommender.store import StoreData

# Small and fast; still enough history for timing recovery (every 4th creator ~0 timing).
FAST = {"n_estimators": 60, "num_leaves": 15, "learning_rate": 0.1, "min_child_samples": 10}


@lru_cache(maxsize=1)
def synthetic() -> SyntheticData:
    return make_posts(n_creators=12, days=150, seed=7)


@lru_cache(maxsize=1)
def small() -> SyntheticData:
    return make_posts(n_creators=6, days=90, seed=3)


@lru_cache(maxsize=1)
def fitted() -> tuple[EngagementModel, StoreData]:
    data = synthetic().as_store_data()
    return EngagementModel().fit(data), data  # default settings: what users get


def queries(data: StoreData, creators: list[str], at: pd.Timestamp) -> pd.DataFrame:
    """One ordinary draft per creator at ``at`` (UTC)."""
    return pd.DataFrame({
        "creator": creators,
        "posted_at": [at] * len(creators),
        "caption": ["new video"] * len(creators),
        "hashtags": [["fyp"] for _ in creators],
        "duration_s": [25.0] * len(creators),
        "sound_is_original": [True] * len(creators),
    })
