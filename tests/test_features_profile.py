"""The profile family's rule: an earlier reading when there is one, else the profile at
prediction time (a later reading), flagged, with the post's own and later likes taken out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import schema
from recommender.datasets import make_accounts
from recommender.features import FeatureConfig, feature_names, preprocess
from recommender.features.profile import AFTER_POST, AGE
from recommender.store import StoreData

CONFIG = FeatureConfig(history_windows=(2, 5))
START = pd.Timestamp("2025-03-01", tz="UTC")
COLLECTED = START + pd.Timedelta(days=30)
PRIOR_LIKES, PRIOR_VIDEOS = 5_000, 40


def scrape(likes: list[int], followers: int = 2_000, earlier: int | None = None) -> StoreData:
    """One creator, one post a day, the profile read once at collection (consistent with the
    posts' counts); ``earlier``: a followers reading on day 10 as well."""
    n = len(likes)
    posts = pd.DataFrame({
        "creator": "c", "post_id": [f"p{i}" for i in range(n)],
        "posted_at": START + pd.to_timedelta(np.arange(n), unit="D"),
        "likes": likes, "views": [10 * v + 1 for v in likes], "collected_at": COLLECTED})
    readings = {"followers": followers, "following": 120,
                "total_likes": PRIOR_LIKES + sum(likes), "total_videos": PRIOR_VIDEOS + n}
    daily = pd.DataFrame({"creator": "c", "date": COLLECTED, "metric": list(readings),
                          "value": list(readings.values())})
    if earlier is not None:
        daily = pd.concat([daily, pd.DataFrame({
            "creator": ["c"], "date": [START + pd.Timedelta(days=10, hours=1)],
            "metric": ["followers"], "value": [earlier]})], ignore_index=True)
    return StoreData(posts=schema.conform(posts, "posts"), trends=schema.empty("trends"),
                     follower_activity=schema.empty("follower_activity"),
                     creators=schema.empty("creators"),
                     account_daily=schema.conform(daily, "account_daily"))


def table(data: StoreData) -> pd.DataFrame:
    return preprocess(data, CONFIG).set_index("post_id")


def test_a_reading_at_collection_is_the_profile_at_prediction_time_and_is_flagged() -> None:
    likes = [100, 300, 50, 2_000, 80, 120]
    t = table(scrape(likes))
    assert (t[AFTER_POST] == 1).all()
    assert (t[AGE] < 0).all()  # the reading is later than every post
    np.testing.assert_allclose(t["profile_followers_log"], np.log1p(2_000))
    # Likes per video before each post: the totals less the posts from this one on.
    for i, post in enumerate(t.index):
        before = PRIOR_LIKES + sum(likes[:i])
        np.testing.assert_allclose(t.loc[post, "profile_likes_per_video_log"],
                                   np.log1p(before / (PRIOR_VIDEOS + i)))
        np.testing.assert_allclose(t.loc[post, "profile_videos_log"], np.log1p(PRIOR_VIDEOS + i))


def test_an_earlier_reading_wins_and_later_ones_are_then_never_read() -> None:
    t = table(scrape([10] * 20, earlier=1_500))
    early, late = t.iloc[:11], t.iloc[11:]  # the day-10 reading is 1 h after post 10
    assert (early[AFTER_POST] == 1).all() and (late[AFTER_POST] == 0).all()
    # An earlier follower reading is history's (strict) follower count; the profile's
    # column holds only the profile at prediction time.
    np.testing.assert_allclose(late["followers_log"], np.log1p(1_500))
    assert late["profile_followers_log"].isna().all() and early["followers_log"].isna().all()
    assert (late[AGE] >= 0).all() and (late[AGE].iloc[-1] > 0)
    # Without an earlier reading the nearest later one is used (the day-10 one, not the
    # one at collection): the collection value then moves no row at all.
    np.testing.assert_allclose(early["profile_followers_log"], np.log1p(1_500))
    np.testing.assert_allclose(early[AGE], np.trunc(np.arange(11) - (10 + 1 / 24)))
    other = table(scrape([10] * 20, followers=9_999, earlier=1_500))
    pd.testing.assert_series_equal(other["profile_followers_log"], t["profile_followers_log"])


@settings(max_examples=15, deadline=None)
@given(likes=st.lists(st.integers(0, 50_000), min_size=3, max_size=12),
       pick=st.floats(0, 1), seed=st.integers(0, 10**6))
def test_the_posts_own_and_later_likes_never_reach_its_features(
        likes: list[int], pick: float, seed: int) -> None:
    """Rewrite the outcomes of a post and every later one (the profile read with them, as a
    scrape reads both): no feature of that post or an earlier one moves."""
    i = min(int(pick * len(likes)), len(likes) - 1)
    rng = np.random.default_rng(seed)
    rewritten = likes[:i] + [int(v) for v in rng.integers(0, 50_000, len(likes) - i)]
    before, after = table(scrape(likes)), table(scrape(rewritten))
    columns = [*feature_names(CONFIG), "baseline"]
    rows = before.index[: i + 1]
    pd.testing.assert_frame_equal(before.loc[rows, columns], after.loc[rows, columns])


def test_cold_start_world_gives_every_row_a_size_signal_and_the_model_counts_the_flags(
        tmp_path: Path) -> None:
    from recommender.model.artifact import load_model, save_model
    from recommender.model.estimator import EngagementModel

    data = make_accounts("cold_start", n_creators=30, days=60, seed=3)
    assert data.posts.groupby("creator").size().max() <= 12
    assert data.posts["followers_at_post"].isna().all()
    t = preprocess(data.as_store_data(), CONFIG)
    assert t["followers_log"].isna().all()  # history's strictly-earlier followers: none
    assert t["profile_followers_log"].notna().all() and (t[AFTER_POST] == 1).all()
    truth = data.effects.creators.set_index("creator")["profile_followers"]
    np.testing.assert_allclose(t["profile_followers_log"],
                               np.log1p(t["creator"].map(truth).astype(float)))
    model = EngagementModel(n_estimators=10, feature_config=CONFIG).fit_table(t)
    assert model.profile_after_post_rows_ == len(t)
    save_model(model, tmp_path / "m")
    assert load_model(tmp_path / "m").manifest["profile_after_post_rows"] == len(t)
