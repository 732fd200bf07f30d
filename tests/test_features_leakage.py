"""The leakage property: a row's features never depend on its own or a later outcome.

Random small stores (several creators, tied times, missing counts, posts still growing at
collection, trend lists, follower readings). For a random row i, rewriting the outcomes of
every post at or after row i's time (any creator, row i included) must leave the features
of every row at or before that time unchanged; appending later posts must leave every
earlier row unchanged. ``test_the_check_catches_a_leaky_join`` proves the check has teeth:
with an inclusive as-of join (a row sees the state after itself) it fails. Every test runs
with both as-of joins: NumPy's (small batches, the default at this size) and merge_asof's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import recommender.features.context as context
from recommender import schema
from recommender.features import FeatureConfig, feature_names, preprocess
from recommender.store import StoreData

OUTCOMES = ["likes", "comments", "shares", "saves", "views"]
CONFIG = FeatureConfig(history_windows=(2, 5), trend_window_days=2, cadence_days=2,
                       broad_hashtag_min_creators=2, hashtag_popularity_days=3)
COLUMNS = [*feature_names(CONFIG), "baseline"]
TAGS = ["fyp", "cats", "dogs", "diy", "meme", "viral"]
SOUNDS = ["Song A", "Song B", "song a", "Song C"]
ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Sydney"]
START = pd.Timestamp("2025-01-01", tz="UTC")


@pytest.fixture(autouse=True, params=["numpy-join", "merge-asof"])
def join(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "merge-asof":
        monkeypatch.setattr(context, "SMALL_JOIN", 0)
    return str(request.param)


def random_store(seed: int, n_creators: int, n_posts: int) -> StoreData:
    rng = np.random.default_rng(seed)
    creators = [f"c{i}" for i in range(n_creators)]
    hours = rng.integers(0, 24 * 12, n_posts)
    hours[rng.random(n_posts) < 0.2] = hours[0]  # plenty of exact ties, across creators too
    posted = START + pd.to_timedelta(hours, unit="h")
    sound = rng.integers(0, len(SOUNDS) + 1, n_posts)
    posts = pd.DataFrame({
        "creator": rng.choice(creators, n_posts),
        "post_id": [f"p{i}" for i in range(n_posts)],
        "posted_at": posted,
        "caption": rng.choice(["hi?", "follow me @x", None, "plain"], n_posts),
        "hashtags": [list(rng.choice(TAGS, rng.integers(0, 4), replace=False))
                     for _ in range(n_posts)],
        "sound_name": [SOUNDS[s] if s < len(SOUNDS) else "original sound" for s in sound],
        "sound_id": [None if rng.random() < 0.5 else f"id{s}" for s in sound],
        "duration_s": rng.choice([15.0, 30.0, np.nan], n_posts),
        "followers_at_post": np.where(rng.random(n_posts) < 0.3, None,
                                      rng.integers(100, 10_000, n_posts)),
        "following_at_post": rng.integers(1, 500, n_posts),
        # Collection up to 5 days after the last post: some posts are still "growing".
        "collected_at": posted.max() + pd.to_timedelta(rng.integers(0, 120, n_posts), "h"),
    })
    posts = _with_outcomes(posts, rng, np.ones(n_posts, dtype=bool))
    days = pd.date_range(START, periods=12, freq="D")
    trends = pd.DataFrame({
        "date": np.repeat(days, 3), "kind": np.tile(["sound", "hashtag", "hashtag"], 12),
        "name": [rng.choice(SOUNDS) if k == 0 else rng.choice(TAGS) for _ in days
                 for k in range(3)],
        "rank": np.tile([1, 1, 2], 12)})
    trends = trends[rng.random(len(trends)) < 0.7]
    activity = pd.DataFrame({"creator": np.repeat(creators, 24),
                             "hour": np.tile(range(24), n_creators),
                             "active_followers": rng.integers(0, 100, 24 * n_creators)})
    daily = pd.DataFrame({"creator": rng.choice(creators, 10), "metric": "followers",
                          "date": START + pd.to_timedelta(rng.integers(0, 12, 10), "D"),
                          "value": rng.integers(100, 10_000, 10)})
    zones = pd.DataFrame({"creator": creators, "timezone": rng.choice(ZONES, n_creators)})
    return StoreData(posts=schema.conform(posts, "posts"),
                     trends=schema.conform(trends, "trends"),
                     follower_activity=schema.conform(activity, "follower_activity"),
                     creators=schema.conform(zones, "creators"),
                     account_daily=schema.conform(daily, "account_daily"))


def _with_outcomes(posts: pd.DataFrame, rng: np.random.Generator,
                   which: np.ndarray) -> pd.DataFrame:
    posts = posts.copy()
    n = int(which.sum())
    for column in OUTCOMES:
        values = pd.array(rng.integers(0, 5_000, n), dtype="Int64")
        if column not in ("likes", "views"):  # keep the row in the table
            values[rng.random(n) < 0.15] = pd.NA
        posts[column] = posts[column].astype("Int64") if column in posts else pd.NA
        posts.loc[which, column] = values
    return posts


def features(data: StoreData, target: str) -> pd.DataFrame:
    return preprocess(data, CONFIG, target).set_index("post_id")


def changed_columns(before: pd.DataFrame, after: pd.DataFrame, rows: pd.Index) -> list[str]:
    """Columns whose values differ on ``rows`` (NaN == NaN counts as equal)."""
    a = before.loc[rows, COLUMNS].to_numpy(dtype="float64")
    b = after.loc[rows, COLUMNS].to_numpy(dtype="float64")
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return [c for c, ok in zip(COLUMNS, same.all(axis=0)) if not ok]


def rewrite_from(data: StoreData, post_id: str, seed: int) -> tuple[StoreData, pd.Index]:
    """Rewrite outcomes of every post at or after ``post_id``'s time; return the posts at
    or before that time (whose features must not move)."""
    posts = data.posts
    t = posts.loc[posts["post_id"] == post_id, "posted_at"].iloc[0]
    later = (posts["posted_at"] >= t).to_numpy()
    rewritten = _with_outcomes(posts, np.random.default_rng(seed), later)
    new = StoreData(**{**data.__dict__, "posts": schema.conform(rewritten, "posts")})
    return new, pd.Index(posts.loc[(posts["posted_at"] <= t).to_numpy(), "post_id"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n_creators=st.integers(1, 4), n_posts=st.integers(2, 40),
       pick=st.floats(0, 1), target=st.sampled_from(["weighted", "views", "lift"]))
def test_rewriting_outcomes_from_a_row_on_leaves_its_features_unchanged(
    seed: int, n_creators: int, n_posts: int, pick: float, target: str
) -> None:
    data = random_store(seed, n_creators, n_posts)
    before = features(data, target)
    if before.empty:
        return
    row = before.index[min(int(pick * len(before)), len(before) - 1)]
    new, earlier = rewrite_from(data, row, seed + 1)
    after = features(new, target)
    rows = earlier.intersection(before.index).intersection(after.index)
    assert row in rows or target == "lift"
    assert changed_columns(before, after, rows) == []


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n_creators=st.integers(1, 4), n_posts=st.integers(2, 40),
       cut=st.integers(0, 24 * 12))
def test_appending_later_posts_leaves_earlier_rows_unchanged(
    seed: int, n_creators: int, n_posts: int, cut: int
) -> None:
    data = random_store(seed, n_creators, n_posts)
    posts = data.posts
    early = posts[posts["posted_at"] < START + pd.Timedelta(hours=cut)]
    part = StoreData(**{**data.__dict__, "posts": early.reset_index(drop=True)})
    before, after = features(part, "weighted"), features(data, "weighted")
    assert changed_columns(before, after, before.index) == []
    np.testing.assert_array_equal(before["y"], after.loc[before.index, "y"])


def test_the_check_catches_a_leaky_join(monkeypatch: pytest.MonkeyPatch, join: str) -> None:
    """With an inclusive as-of join every row would see the state after itself (its own
    outcome in its trailing median, its own tags in its tag history...): the check fails."""
    data = random_store(7, 3, 40)
    before = features(data, "weighted")
    row = before.index[len(before) // 2]
    new, earlier = rewrite_from(data, row, 8)
    assert changed_columns(before, features(new, "weighted"), earlier) == []

    if join == "merge-asof":
        real = pd.merge_asof

        def inclusive(*args: object, **kwargs: object) -> pd.DataFrame:
            kwargs["allow_exact_matches"] = True
            return real(*args, **kwargs)

        monkeypatch.setattr(context.pd, "merge_asof", inclusive)
    else:  # NumPy's join, asked 1 ns later: a state row at the query's own time matches
        real_small = context._asof_small

        def inclusive_small(q_key: np.ndarray, q_t: np.ndarray, *rest: object) -> object:
            return real_small(q_key, q_t + 1, *rest)

        monkeypatch.setattr(context, "_asof_small", inclusive_small)
    leaky_before, leaky_after = features(data, "weighted"), features(new, "weighted")
    leaked = changed_columns(leaky_before, leaky_after, earlier)
    assert {"eng_mean_last2", "eng_mean_last5", "eng_std_last5"} <= set(leaked)


def test_a_follower_count_copied_from_the_scrape_is_not_read_at_each_post() -> None:
    """Scrapers (and CSVs' author_followers) copy the profile read at collection onto every
    post. Read at each post's time, that count would hand the earliest post the audience
    its later posts won; it counts as the reading at collection, which a post before it
    sees only as the flagged "profile at prediction time". A count that moves from post to
    post is a reading at the post and stays one."""
    from recommender.datasets import make_posts

    data = make_posts(n_creators=2, days=40, seed=5).as_store_data()
    posts = data.posts.copy()
    copied, moving = sorted(posts["creator"].unique())[:2]
    posts.loc[posts["creator"] == copied, "followers_at_post"] = 123_456
    from recommender.ingest.records import account_rows

    # As ingest stores such a file: the profile reading at collection (account_rows).
    daily = pd.concat([data.account_daily[data.account_daily["creator"] != copied],
                       account_rows(posts[posts["creator"] == copied][["creator",
                                    "collected_at", "followers_at_post"]], "scrape")],
                      ignore_index=True)
    table = preprocess(StoreData(**{**data.__dict__, "posts": posts, "account_daily": daily}))
    mine = table[table["creator"] == copied]
    assert mine["followers_log"].isna().all()
    assert (mine["profile_after_post"] == 1).all()
    np.testing.assert_allclose(mine["profile_followers_log"], np.log1p(123_456))
    theirs = table[table["creator"] == moving].iloc[1:]
    assert theirs["followers_log"].notna().all()
