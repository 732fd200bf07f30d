"""Feature pipeline: known values on hand-made stores, API shape, preprocess == featurize."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender import schema
from recommender.engagement import log_engagement
from recommender.errors import InputError
from recommender.features import (
    FeatureConfig,
    categorical_features,
    config_for_target,
    feature_names,
    featurize,
    preprocess,
)
from recommender.store import StoreData

COLLECTED = "2025-03-01T00:00:00Z"


def post(creator: str, at: str, likes: int | None = 100, **extra: object) -> dict:
    row = {"creator": creator, "post_id": f"{creator}-{at}-{extra.pop('n', 0)}",
           "posted_at": at, "likes": likes, "comments": 0, "shares": 0, "saves": 0,
           "views": 1000, "hashtags": [], "collected_at": COLLECTED}
    row.update(extra)
    return row


def store(posts: list[dict], trends: list[dict] | None = None,
          zones: dict[str, str] | None = None, activity: list[dict] | None = None,
          daily: list[dict] | None = None) -> StoreData:
    creators = [{"creator": c, "timezone": z} for c, z in (zones or {}).items()]
    return StoreData(
        posts=schema.conform(pd.DataFrame(posts), "posts"),
        trends=schema.conform(pd.DataFrame(trends or []), "trends"),
        creators=schema.conform(pd.DataFrame(creators), "creators"),
        follower_activity=schema.conform(pd.DataFrame(activity or []), "follower_activity"),
        account_daily=schema.conform(pd.DataFrame(daily or []), "account_daily"),
    )


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("post_id")


# -- API ---------------------------------------------------------------------------------
def test_names_derive_from_config_and_table_has_contract_columns() -> None:
    config = FeatureConfig(history_windows=(3, 10), trend_window_days=14, cadence_days=5)
    names = feature_names(config)
    assert {"eng_median_last3", "eng_std_last10", "eng_momentum_3_10", "posts_last5d",
            "sound_store_uses_14d", "age_days"} <= set(names)
    assert len(names) == len(set(names))
    assert set(categorical_features(config)) <= set(names)
    data = store([post("a", "2025-01-01T10:00Z"), post("a", "2025-01-02T10:00Z")])
    table = preprocess(data, config)
    assert list(table.columns) == ["creator", "post_id", "posted_at", *names, "baseline",
                                   "posts_since_known", "baseline_followers_log", "y"]
    assert table["posted_at"].is_monotonic_increasing


def test_rows_without_outcome_are_dropped_and_age_is_days_to_collection() -> None:
    data = store([post("a", "2025-02-27T00:00Z", likes=None), post("a", "2025-02-28T12:00Z")])
    table = preprocess(data)
    assert len(table) == 1
    assert table["age_days"].iloc[0] == pytest.approx(0.5)
    assert table["y"].iloc[0] == pytest.approx(np.log1p(100))


def test_unknown_target_and_bad_queries_are_one_line_errors() -> None:
    data = store([post("a", "2025-01-01T10:00Z")])
    with pytest.raises(InputError):
        preprocess(data, target="nope")
    with pytest.raises(InputError):
        featurize(data, pd.DataFrame({"creator": ["a"]}))


# -- time ----------------------------------------------------------------------------------
def test_local_hour_and_weekday_follow_the_creator_time_zone() -> None:
    data = store([post("in", "2025-01-06T12:00Z"), post("ny", "2025-01-06T03:00Z"),
                  post("utc", "2025-01-06T03:00Z"), post("bad", "2025-01-06T03:00Z")],
                 zones={"in": "Asia/Kolkata", "ny": "America/New_York", "bad": "Mars/Base"})
    table = by_id(preprocess(data))
    # 12:00 UTC = 17:30 IST (Monday); 03:00 UTC = 22:00 EST the evening before (Sunday).
    assert table.loc["in-2025-01-06T12:00Z-0", ["local_hour", "local_weekday"]].tolist() == [
        17, 0]
    assert table.loc["ny-2025-01-06T03:00Z-0", ["local_hour", "local_weekday"]].tolist() == [
        22, 6]
    assert table.loc["ny-2025-01-06T03:00Z-0", "hour_of_week"] == 6 * 24 + 22
    assert table.loc["utc-2025-01-06T03:00Z-0", "local_hour"] == 3
    assert table.loc["bad-2025-01-06T03:00Z-0", "local_hour"] == 3  # invalid zone -> UTC


def test_hours_since_previous_post_and_trailing_counts_ignore_ties_and_later_posts() -> None:
    data = store([post("a", "2025-01-01T10:00Z"), post("a", "2025-01-01T13:30Z"),
                  post("a", "2025-01-01T13:30Z", n=1), post("a", "2025-01-10T13:30Z"),
                  post("b", "2025-01-01T12:00Z")])
    table = by_id(preprocess(data))
    assert np.isnan(table.loc["a-2025-01-01T10:00Z-0", "hours_since_prev"])
    for tied in ("a-2025-01-01T13:30Z-0", "a-2025-01-01T13:30Z-1"):
        assert table.loc[tied, "hours_since_prev"] == pytest.approx(3.5)
        assert table.loc[tied, "n_prev_posts"] == 1  # a tie is not "earlier"
    last = table.loc["a-2025-01-10T13:30Z-0"]
    assert last["hours_since_prev"] == pytest.approx(9 * 24)
    assert last["n_prev_posts"] == 3
    assert last["posts_last7d"] == 0
    assert table.loc["a-2025-01-01T13:30Z-0", "posts_last7d"] == 1


# -- history -------------------------------------------------------------------------------
def test_trailing_median_mean_std_and_baseline() -> None:
    likes = [10, 1000, 100, 50, 20000, 7]
    data = store([post("a", f"2025-01-0{i + 1}T10:00Z", likes=v) for i, v in enumerate(likes)])
    config = FeatureConfig(history_windows=(3, 5))
    table = preprocess(data, config)
    logs = np.log1p(np.array(likes, dtype=float))
    for i in range(len(likes)):
        row = table.iloc[i]
        if i == 0:
            assert np.isnan(row["eng_median_last3"]) and np.isnan(row["baseline"])
            continue
        assert row["eng_median_last3"] == pytest.approx(np.median(logs[max(0, i - 3):i]))
        assert row["eng_mean_last5"] == pytest.approx(np.mean(logs[max(0, i - 5):i]))
        assert row["baseline"] == pytest.approx(np.median(logs[max(0, i - 5):i]))
        if i >= 2:
            assert row["eng_std_last5"] == pytest.approx(np.std(logs[max(0, i - 5):i], ddof=1))
    assert table["eng_momentum_3_5"].iloc[4] == pytest.approx(
        np.median(logs[1:4]) - np.median(logs[0:4]))


def test_posts_still_growing_at_collection_give_no_engagement_evidence() -> None:
    data = store([post("a", "2025-02-20T00:00Z", likes=10),
                  post("a", "2025-02-28T00:00Z", likes=99999),  # 1 day old at collection
                  post("a", "2025-02-28T12:00Z")])
    row = preprocess(data).iloc[-1]
    assert row["n_prev_posts"] == 2
    assert row["eng_median_last20"] == pytest.approx(np.log1p(10))


def test_lift_target_subtracts_the_leakage_safe_baseline() -> None:
    data = store([post("a", f"2025-01-0{i + 1}T10:00Z", likes=v, comments=1)
                  for i, v in enumerate([10, 30, 20, 5])])
    weighted = preprocess(data, target="weighted")
    lift = preprocess(data, target="lift")
    assert len(lift) == 3  # the first post has no baseline
    expected = weighted["y"].iloc[1:].to_numpy() - weighted["baseline"].iloc[1:].to_numpy()
    np.testing.assert_allclose(lift["y"].to_numpy(), expected)


def test_history_outcome_follows_the_target() -> None:
    data = store([post("a", "2025-01-01T10:00Z", views=5000), post("a", "2025-01-02T10:00Z")])
    table = preprocess(data, target="views")
    assert table["baseline"].iloc[1] == pytest.approx(np.log1p(5000))
    assert config_for_target(FeatureConfig(), "lift").outcome == "weighted"
    assert config_for_target(FeatureConfig(), "views").outcome == "views"


def test_followers_come_from_earlier_readings_only() -> None:
    data = store(
        [post("a", "2025-01-01T10:00Z", followers_at_post=1000, following_at_post=9),
         post("a", "2025-02-15T10:00Z", followers_at_post=5000)],
        daily=[{"creator": "a", "date": "2025-01-10", "metric": "followers", "value": 2000},
               {"creator": "a", "date": "2025-02-01", "metric": "followers", "value": 3000}])
    table = preprocess(data)
    assert np.isnan(table["followers_log"].iloc[0])
    second = table.iloc[1]
    assert second["followers_log"] == pytest.approx(np.log1p(3000))
    assert second["follower_growth_30d"] == pytest.approx(np.log1p(3000) - np.log1p(2000))
    assert second["follower_following_ratio"] == pytest.approx(np.log1p(3000) - np.log1p(9))


# -- trends --------------------------------------------------------------------------------
def test_trend_flag_rank_climb_and_age_from_lists_at_or_before_the_post() -> None:
    trends = [
        {"date": "2025-01-01", "kind": "sound", "name": "Hit Song", "rank": 5},
        {"date": "2025-01-01", "kind": "sound", "name": "Other", "rank": 1},
        {"date": "2025-01-08", "kind": "sound", "name": "Hit Song", "rank": 2},
        {"date": "2025-01-08", "kind": "sound", "name": "Other", "rank": 1},
        {"date": "2025-01-08", "kind": "hashtag", "name": "fyp", "rank": 1},
        {"date": "2025-01-08", "kind": "hashtag", "name": "challenge", "rank": 3},
    ]
    data = store([
        post("a", "2025-01-08T10:00Z", sound_name="hit song", sound_id="77",
             hashtags=["challenge", "fyp"]),
        post("a", "2025-01-08T11:00Z", sound_name="Unknown", hashtags=["fyp"]),
        post("a", "2024-12-31T10:00Z", sound_name="Hit Song"),  # before any list
        post("a", "2025-01-20T10:00Z", sound_name="Hit Song"),  # list 12 days old: stale
    ], trends=trends)
    table = by_id(preprocess(data))
    hit = table.loc["a-2025-01-08T10:00Z-0"]
    assert hit["sound_on_trend_list"] == 1
    assert hit["sound_trend_rank"] == 2
    assert hit["sound_trend_climb"] == 3  # rank 5 a week earlier -> rank 2
    assert hit["sound_trend_age_days"] == pytest.approx(7 + 10 / 24)
    assert hit["hashtag_on_trend_list"] == 1 and hit["hashtag_trend_rank"] == 3  # fyp skipped
    other = table.loc["a-2025-01-08T11:00Z-0"]
    assert other["sound_on_trend_list"] == 0 and np.isnan(other["sound_trend_rank"])
    assert other["hashtag_on_trend_list"] == 0  # only fyp, which is never a "trend"
    assert np.isnan(table.loc["a-2024-12-31T10:00Z-0", "sound_on_trend_list"])
    assert np.isnan(table.loc["a-2025-01-20T10:00Z-0", "sound_on_trend_list"])


def test_store_momentum_counts_earlier_use_by_every_creator() -> None:
    posts = [post(c, f"2025-01-{d:02d}T10:00Z", sound_name="Song", hashtags=["dance"])
             for c, d in [("b", 2), ("c", 9), ("d", 10), ("e", 11)]]
    posts.append(post("a", "2025-01-12T10:00Z", sound_name="Song", hashtags=["dance"]))
    table = by_id(preprocess(store(posts)))
    row = table.loc["a-2025-01-12T10:00Z-0"]
    assert row["sound_store_uses_7d"] == 3  # the 9th, 10th, 11th; the 2nd is before
    assert row["sound_store_momentum"] == pytest.approx(np.log1p(3) - np.log1p(1))
    assert row["sound_age_days"] == pytest.approx(10)
    assert row["hashtag_store_momentum"] == pytest.approx(np.log1p(3) - np.log1p(1))
    assert row["hashtag_global_uses_30d"] == pytest.approx(np.log1p(4))
    first = table.loc["b-2025-01-02T10:00Z-0"]
    assert first["sound_store_uses_7d"] == 0 and np.isnan(first["sound_age_days"])


# -- hashtags / content / activity ---------------------------------------------------------
def test_hashtag_count_broad_share_and_smoothed_own_history() -> None:
    config = FeatureConfig(hashtag_prior_strength=2.0, history_windows=(20,))
    posts = [post("a", "2025-01-01T10:00Z", likes=100, hashtags=["cats"]),
             post("a", "2025-01-02T10:00Z", likes=10000, hashtags=["cats", "fyp"]),
             post("a", "2025-01-03T10:00Z", likes=100, hashtags=["cats", "fyp", "dogs"])]
    table = preprocess(store(posts), config)
    last = table.iloc[2]
    assert last["hashtag_count"] == 3
    assert last["hashtag_broad_share"] == pytest.approx(1 / 3)
    # Residual of post 2 vs its baseline (post 1): log1p(10000) - log1p(100); post 1 has none.
    residual = np.log1p(10000) - np.log1p(100)
    cats, fyp = residual / (1 + 2.0), residual / (1 + 2.0)
    assert last["hashtag_own_lift_mean"] == pytest.approx((cats + fyp + 0.0) / 3)
    assert last["hashtag_own_lift_max"] == pytest.approx(cats)
    assert np.isnan(preprocess(store([post("a", "2025-01-01T10:00Z")])).iloc[0][
        "hashtag_own_lift_mean"])


def test_many_creators_make_a_tag_broad() -> None:
    config = FeatureConfig(broad_hashtag_min_creators=3, broad_hashtag_min_share=0.5)
    posts = [post(c, f"2025-01-0{i + 1}T10:00Z", hashtags=["meme"])
             for i, c in enumerate("abcd")]
    table = preprocess(store(posts), config)
    assert table["hashtag_broad_share"].tolist() == [0, 0, 0, 1]


def test_caption_features_and_duration() -> None:
    data = store([post("a", "2025-01-01T10:00Z", caption="Would you try this? Follow @me",
                       duration_s=31.5),
                  post("a", "2025-01-02T10:00Z", caption="just vibes")])
    table = preprocess(data)
    first, second = table.iloc[0], table.iloc[1]
    assert first["caption_length"] == len("Would you try this? Follow @me")
    assert (first["caption_has_question"], first["caption_has_cta"],
            first["caption_mentions"], first["duration_s"]) == (1, 1, 1, 31.5)
    assert (second["caption_has_question"], second["caption_has_cta"]) == (0, 0)
    assert np.isnan(second["duration_s"])


def test_follower_activity_at_local_hour_normalised_by_peak() -> None:
    activity = [{"creator": "a", "weekday": d, "hour": h, "active_followers": v}
                for d in (0, 1) for h, v in ((17, 50 + d * 10), (20, 110))]
    data = store([post("a", "2025-01-06T12:00Z")], zones={"a": "Asia/Kolkata"},
                 activity=activity)
    local = FeatureConfig(activity_hours_local=True)
    assert preprocess(data, local).iloc[0]["follower_activity_at_hour"] == pytest.approx(55 / 110)
    utc = preprocess(data).iloc[0]
    assert np.isnan(utc["follower_activity_at_hour"])  # 12 UTC has no reading
    assert np.isnan(preprocess(store([post("a", "2025-01-06T12:00Z")])).iloc[0][
        "follower_activity_at_hour"])


# -- featurize -----------------------------------------------------------------------------
def test_featurize_reproduces_preprocess_rows_on_generated_data() -> None:
    from recommender.datasets import make_posts

    data = make_posts(n_creators=6, days=60, seed=3).as_store_data()
    table = preprocess(data)
    sample = table.sample(60, random_state=0)
    posts = data.posts.set_index("post_id").loc[sample["post_id"]].reset_index()
    queries = posts[["creator", "posted_at", "caption", "hashtags", "sound_id", "sound_name",
                     "sound_is_original", "duration_s"]]
    got = featurize(data, queries)
    assert (got["age_days"] == 7.0).all()
    names = [n for n in feature_names() if n != "age_days"] + ["baseline"]
    np.testing.assert_array_equal(got[names].to_numpy(float), sample[names].to_numpy(float))


def test_featurize_queries_do_not_see_each_other_and_keep_order() -> None:
    data = store([post("a", "2025-01-01T10:00Z", likes=50)])
    queries = pd.DataFrame({
        "creator": ["a", "a", "new"],
        "posted_at": pd.to_datetime(["2025-01-05T10:00Z", "2025-01-05T11:00Z",
                                     "2025-01-05T10:00Z"], utc=True),
        "hashtags": [["#Cats", "Dogs"], "#cats #dogs", None],
    }, index=[10, 11, 12])
    got = featurize(data, queries, FeatureConfig(horizon_days=3))
    assert list(got.index) == [10, 11, 12]
    assert got["n_prev_posts"].tolist() == [1, 1, 0]
    assert got["hours_since_prev"].iloc[1] == pytest.approx(4 * 24 + 1)
    assert got["hashtag_count"].tolist() == [2, 2, 0]
    assert got["baseline"].iloc[0] == pytest.approx(np.log1p(50))
    assert np.isnan(got["baseline"].iloc[2])
    assert (got["age_days"] == 3).all()


def test_batches_against_one_store_side_equal_one_pass() -> None:
    """A large plan is featurised in parts against one store side: every part's rows get
    exactly the features of one pass over the whole plan (creators, tags and sounds the
    store never saw included); a creator the side was not built for is refused."""
    from recommender.datasets import make_posts
    from recommender.features.store_side import query_frame_creators, store_side

    data = make_posts(n_creators=5, days=40, seed=1).as_store_data()
    posts = data.posts.sample(90, random_state=1).reset_index(drop=True)
    rng = np.random.default_rng(2)
    queries = pd.DataFrame({
        "creator": np.where(rng.random(90) < 0.2, "new_creator", posts["creator"]),
        "posted_at": posts["posted_at"] + pd.to_timedelta(rng.integers(-48, 48, 90), unit="h"),
        "hashtags": [[*tags, "never_seen"] if i % 3 == 0 else tags
                     for i, tags in enumerate(posts["hashtags"])],
        "sound_id": posts["sound_id"],
        "sound_name": np.where(np.arange(90) % 4 == 0, "A new sound", posts["sound_name"]),
        "sound_is_original": posts["sound_is_original"], "duration_s": posts["duration_s"],
        "caption": posts["caption"],
    }).sort_values("creator", kind="stable")
    whole = featurize(data, queries)
    side = store_side(data, FeatureConfig(), creators=query_frame_creators(queries))
    parts = [featurize(data, part, FeatureConfig(), side)
             for part in (queries.iloc[:30], queries.iloc[30:31], queries.iloc[31:])]
    pd.testing.assert_frame_equal(pd.concat(parts), whole)
    with pytest.raises(ValueError, match="not among those the store side was built for"):
        featurize(data, queries.assign(creator="someone_else").iloc[:2], FeatureConfig(), side)


def test_generated_store_builds_a_complete_table() -> None:
    from recommender.datasets import make_posts

    synthetic = make_posts(n_creators=5, days=40, seed=1)
    data = synthetic.as_store_data()
    table = preprocess(data)
    assert len(table) == len(data.posts)
    np.testing.assert_allclose(
        table.set_index("post_id")["y"].sort_index(),
        pd.Series(log_engagement(data.posts), index=data.posts["post_id"]).sort_index())
    always = ["local_hour", "n_prev_posts", "hashtag_count", "age_days", "followers_log",
              "sound_on_trend_list", "follower_activity_at_hour"]
    assert table[always[:4]].notna().all().all()
    assert table[always[4:]].notna().mean().min() > 0.9
