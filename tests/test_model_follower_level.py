"""The level moved with followers gained since the baseline's posts (``model.follower_level``):
the elasticity estimate, what it does without readings, the frozen track record keeping its
baseline followers, and the planted snowball found on a generated world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_support import FAST

from recommender.datasets import make_accounts
from recommender.features.history import BASELINE_FOLLOWERS
from recommender.model import follower_level, staleness
from recommender.model.estimator import EngagementModel


def _table(elasticity: float, n_creators: int = 12, per_creator: int = 60,
           seed: int = 0) -> pd.DataFrame:
    """Rows whose level scales with audience at ``elasticity`` across and within creators."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_creators):
        size = rng.uniform(7, 13)  # log followers of the baseline's posts
        base_followers = size + np.cumsum(rng.normal(0.005, 0.03, per_creator))
        growth = rng.normal(0.03, 0.08, per_creator)
        baseline = -3.0 + elasticity * base_followers + rng.normal(0, 0.05, per_creator)
        y = baseline + elasticity * growth + rng.normal(0, 0.3, per_creator)
        rows.append(pd.DataFrame({
            "creator": f"c{c}", "baseline": baseline, BASELINE_FOLLOWERS: base_followers,
            "followers_log": base_followers + growth, "y": y}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("planted", [0.3, 0.8])
def test_the_elasticity_recovers_a_planted_one(planted: float) -> None:
    assert follower_level.fit_elasticity(_table(planted)) == pytest.approx(planted, abs=0.1)


def test_the_elasticity_is_clipped_to_0_1_and_0_without_readings_or_creators() -> None:
    assert follower_level.fit_elasticity(_table(1.6)) == 1.0
    assert follower_level.fit_elasticity(_table(-0.5)) == 0.0
    assert follower_level.fit_elasticity(_table(0.8, n_creators=4)) == 0.0
    blind = _table(0.8).assign(followers_log=np.nan, **{BASELINE_FOLLOWERS: np.nan})
    assert follower_level.fit_elasticity(blind) == 0.0
    assert follower_level.fit_elasticity(_table(0.8).drop(columns=BASELINE_FOLLOWERS)) == 0.0


def test_growth_is_0_where_a_reading_is_missing_and_bounded() -> None:
    table = pd.DataFrame({"followers_log": [10.5, np.nan, 14.0, 10.0],
                          BASELINE_FOLLOWERS: [10.0, 10.0, 10.0, np.nan]})
    assert follower_level.growth(table).tolist() == [0.5, 0.0, follower_level.MAX_GROWTH, 0.0]


def test_a_frozen_track_record_keeps_its_baseline_followers() -> None:
    table = _table(0.8, n_creators=2, per_creator=6).assign(
        posted_at=lambda t: pd.Timestamp("2025-01-01", tz="UTC")
        + pd.to_timedelta(t.groupby("creator").cumcount(), unit="D"))
    rows = table.groupby("creator").cumcount().to_numpy() >= 3
    frozen = staleness.frozen_at_first(table, rows)
    for _, group in frozen.groupby("creator"):
        assert group[BASELINE_FOLLOWERS].nunique() == 1
        assert group["followers_log"].nunique() == len(group)  # followers move on


def test_the_planted_snowball_is_found_and_moves_the_level() -> None:
    # Generated creators: interactions scale as (followers at post / start) ** 0.8, and
    # between creators the level is proportional to the starting audience (slope 1).
    data = make_accounts("creators", n_creators=12, days=90, seed=0).as_store_data()
    model = EngagementModel(**FAST, follower_level=True).fit(data)
    assert 0.5 <= model.elasticity() <= 1.0
    off = EngagementModel(**FAST).fit(data)  # opt-in: off by default
    assert off.elasticity() == 0.0
    table = pd.DataFrame({"creator": ["x", "x"], "baseline": [2.0, 2.0],
                          BASELINE_FOLLOWERS: [10.0, 10.0], "followers_log": [10.0, 10.2]})
    moved = model.level(table)
    assert moved[0] == 2.0
    assert moved[1] == pytest.approx(2.0 + 0.2 * model.elasticity())
