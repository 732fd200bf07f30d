"""The synthetic generator: determinism, schema, planted effects, export formats."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import schema
from recommender.datasets import SAMPLE_PARAMS, SyntheticData, make_posts, write_sample
from recommender.datasets import _effects as fx
from recommender.datasets._world import NICHES
from recommender.engagement import log_engagement

TABLES = ("posts", "trends", "follower_activity", "creators", "account_daily")
NICHE_SET = {tag for _, tags, _ in NICHES.values() for tag in tags}
REPO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def small() -> SyntheticData:
    return make_posts(4, 60, seed=1)


@pytest.fixture(scope="module")
def big() -> SyntheticData:
    """Enough posts per creator for simple statistics to see the planted effects."""
    return make_posts(12, 360, seed=3, posts_per_week=7)


def residuals(data: SyntheticData, min_age_days: float = 7.0) -> pd.DataFrame:
    """Posts old enough to have finished growing, with y = log1p(likes + comments + shares)
    minus the creator's centred rolling median (removes the level and follower growth)."""
    posts = data.posts.sort_values(["creator", "posted_at"]).reset_index(drop=True)
    posts["y"] = log_engagement(posts, "interactions")
    posts["resid"] = posts["y"] - posts.groupby("creator")["y"].transform(
        lambda y: y.rolling(31, center=True, min_periods=5).median())
    age = (data.collected_at - posts["posted_at"]).dt.total_seconds() / 86400
    return posts[age >= min_age_days].merge(
        data.effects.creators, on="creator", suffixes=("", "_truth"))


def test_same_seed_gives_identical_frames(small: SyntheticData) -> None:
    again = make_posts(4, 60, seed=1)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(small, table), getattr(again, table))
    pd.testing.assert_frame_equal(small.effects.creators, again.effects.creators)


def test_different_seed_gives_different_data(small: SyntheticData) -> None:
    other = make_posts(4, 60, seed=2)
    assert not set(small.posts["post_id"]) & set(other.posts["post_id"])
    assert not small.posts["likes"].head(20).equals(other.posts["likes"].head(20))


def test_frames_are_canonical(small: SyntheticData) -> None:
    for table in TABLES:
        frame = getattr(small, table)
        assert len(frame), table
        assert list(frame.columns) == list(schema.TABLES[table]), table
        assert {c: str(t) for c, t in frame.dtypes.items()} == schema.TABLES[table], table
        pd.testing.assert_frame_equal(schema.conform(frame, table), frame)
    store = small.as_store_data()
    pd.testing.assert_frame_equal(store.posts, small.posts)
    assert store.timezone_of(str(small.creators["creator"].iloc[0])) == \
        small.creators["timezone"].iloc[0]


def test_times_lie_in_the_window_and_before_collection() -> None:
    data = make_posts(3, 30, seed=5, start="2025-03-01", collected_at="2025-04-02T12:00:00Z")
    start = pd.Timestamp("2025-03-01", tz="UTC")
    posted = data.posts["posted_at"]
    assert posted.min() >= start and posted.max() < start + pd.Timedelta(days=30)
    assert (data.posts["collected_at"] == pd.Timestamp("2025-04-02T12:00:00Z")).all()
    assert (data.posts["collected_at"] > posted).all()
    assert data.collected_at == pd.Timestamp("2025-04-02T12:00:00Z")
    with pytest.raises(ValueError, match="before the end"):
        make_posts(2, 30, start="2025-03-01", collected_at="2025-03-15")


def test_counts_and_ids_are_plausible(small: SyntheticData) -> None:
    posts = small.posts
    counts = posts[list(schema.COUNT_COLUMNS)]
    assert counts.notna().all().all() and (counts >= 0).all().all()
    assert (posts["likes"] <= posts["views"]).all()
    assert posts["post_id"].is_unique
    # TikTok ids carry their creation time in the upper 32 bits.
    decoded = posts["post_id"].map(lambda i: int(i) >> 32)
    seconds = (posts["posted_at"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    assert (decoded == seconds).all()
    assert posts["hashtags"].map(lambda tags: all(t == t.lower() and "#" not in t
                                                   for t in tags)).all()


def test_calibrated_ratios_and_spread(big: SyntheticData) -> None:
    posts = big.posts[big.posts["likes"] > 0]
    likes = posts["likes"].astype(float)
    assert 0.003 < (posts["comments"] / likes).median() < 0.02
    assert 0.002 < (posts["shares"] / likes).median() < 0.01
    assert 0.08 < (likes / posts["views"]).median() < 0.25
    y = log_engagement(big.posts, "interactions")
    within = pd.Series(y).groupby(big.posts["creator"].to_numpy())
    iqr = (within.quantile(0.75) - within.quantile(0.25)).median()
    assert 0.7 < iqr < 1.5


def test_timing_effect_is_visible_for_strong_creators_only(big: SyntheticData) -> None:
    res = residuals(big)
    local = [t.tz_convert(z).hour for t, z in zip(res["posted_at"], res["timezone"])]
    dist = np.abs(np.array(local) - res["best_local_hour"].to_numpy()) % 24
    res["near_best"] = np.minimum(dist, 24 - dist) <= 1
    diff = res.groupby("creator").apply(
        lambda g: g.loc[g["near_best"], "resid"].mean() - g.loc[~g["near_best"], "resid"].mean(),
        include_groups=False)
    strength = big.effects.creators.set_index("creator")["timing_strength"]
    strong, flat = strength[strength >= 0.5].index, strength[strength < 0.05].index
    assert len(strong) >= 3 and len(flat) >= 2
    assert (diff[strong] > 0).all()
    assert diff[strong].mean() > 0.25
    # Flat creators: only noise and confounders (late posts are more often a day's second
    # post, so they carry more cadence penalty) remain, well below the strong creators.
    assert diff[flat].abs().mean() < 0.5 * diff[strong].mean()


def test_trending_sound_near_peak_beats_original_sound(big: SyntheticData) -> None:
    res = residuals(big)
    sounds = big.effects.sounds.set_index("name")
    peak = res["sound_name"].map(sounds["peak"])
    days = (res["posted_at"] - peak).dt.total_seconds() / 86400
    near = res.loc[days.abs() <= 3, "resid"]
    original = res.loc[res["sound_is_original"].astype(bool), "resid"]
    assert len(near) >= 20
    assert near.mean() - original.mean() > 0.25
    # Long after the peak the truth turns slightly negative.
    late = fx.sound_effect(np.array([60.0]), np.array([5.0]), np.array([10.0]))
    assert -fx.SOUND_LATE_PENALTY <= late[0] < 0


def test_trend_lists_follow_the_life_cycle(big: SyntheticData) -> None:
    sounds = big.effects.sounds.set_index("name")
    rows = big.trends[big.trends["kind"] == "sound"]
    truth = sounds.loc[rows["name"]]
    days = (rows["date"].to_numpy() - truth["peak"].to_numpy()) / pd.Timedelta(days=1)
    expected = 100 * fx.popularity(days, truth["rise_days"].to_numpy(),
                                   truth["decay_days"].to_numpy())
    ratio = rows["score"].to_numpy(dtype=float) / expected
    assert len(rows) > 100 and ((ratio > 0.8) & (ratio < 1.25)).all()
    assert (rows.groupby("date")["rank"].max() <= 10).all()
    broad = big.trends[big.trends["name"] == "fyp"]
    assert len(broad) == big.trends["date"].nunique()


def test_hashtag_duration_and_cadence_effects(big: SyntheticData) -> None:
    res = residuals(big)
    niche = res["hashtags"].map(lambda tags: len([t for t in tags if t in NICHE_SET]))
    assert res.loc[niche >= 2, "resid"].mean() - res.loc[niche == 0, "resid"].mean() > 0.15
    fyp = res["hashtags"].map(lambda tags: "fyp" in tags)
    assert abs(res.loc[fyp, "resid"].mean() - res.loc[~fyp, "resid"].mean()) < 0.15
    duration = res["duration_s"].astype(float)
    sweet = res.loc[duration.between(20, 35), "resid"].mean()
    assert sweet - res.loc[duration > 90, "resid"].mean() > 0.4
    gap_h = res.groupby("creator")["posted_at"].diff().dt.total_seconds() / 3600
    assert res.loc[gap_h < 2, "resid"].mean() < res.loc[gap_h > 24, "resid"].mean() - 0.1


def test_newest_posts_have_not_finished_growing(big: SyntheticData) -> None:
    res = residuals(big, min_age_days=0.0)
    age = (big.collected_at - res["posted_at"]).dt.total_seconds() / 86400
    young, settled = res.loc[age < 1, "resid"], res.loc[age.between(7, 30), "resid"]
    assert len(young) >= 5
    assert young.mean() < settled.mean() - 0.7


def test_followers_snowball_and_heavy_tail(big: SyntheticData) -> None:
    followers = big.account_daily[big.account_daily["metric"] == "followers"]
    growth = followers.groupby("creator")["value"].agg(lambda v: v.iloc[-1] / v.iloc[0])
    assert growth.median() > 1.1
    pooled = big.posts.assign(y=log_engagement(big.posts, "interactions"))
    corr = np.corrcoef(np.log(pooled["followers_at_post"].astype(float)), pooled["y"])[0, 1]
    assert corr > 0.8
    resid = residuals(big)["resid"]
    assert resid.quantile(0.99) > 2.0
    assert resid.quantile(0.95) - resid.median() > resid.median() - resid.quantile(0.05)


def test_follower_activity_is_a_week_of_hours(small: SyntheticData) -> None:
    activity = small.follower_activity
    assert (activity.groupby("creator").size() == 7 * 24).all()
    assert (activity["date"] < small.collected_at).all()
    assert (activity["active_followers"] > 0).all()


def test_write_sample_uses_real_export_shapes(small: SyntheticData, tmp_path: Path) -> None:
    written = write_sample(small, tmp_path)
    assert all(p.exists() for p in written)
    (json_path,) = tmp_path.glob("dataset_tiktok-scraper_*.json")
    items = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(items) == len(small.posts)
    assert all(isinstance(i["id"], str) and isinstance(i["createTime"], int) for i in items)
    assert {i["id"] for i in items} == set(small.posts["post_id"])
    first = items[0]
    assert first["createTimeISO"].endswith(".000Z")
    assert set(first["authorMeta"]) >= {"name", "fans", "following", "heart", "video"}
    assert set(first["musicMeta"]) == {"musicId", "musicName", "musicAuthor", "musicOriginal"}
    assert isinstance(first["videoMeta"]["duration"], int)
    assert all(isinstance(h["name"], str) for i in items for h in i["hashtags"])
    creator = str(small.creators["creator"].iloc[0])
    with zipfile.ZipFile(tmp_path / "studio" / f"Followers_{creator}.zip") as archive:
        assert archive.namelist() == ["FollowerActivity.csv", "FollowerHistory.csv"]
        raw = archive.read("FollowerActivity.csv")
        history = archive.read("FollowerHistory.csv")
    assert raw.startswith(b'\xef\xbb\xbf"Date","Hour","Active followers"\n')
    assert not raw.endswith(b"\n")
    lines = raw[3:].decode("utf-8").split("\n")
    assert len(lines) == 1 + 7 * 24
    assert all(line.startswith('"') and line.endswith('"') and line.count('"') == 6
               for line in lines)
    month, day = lines[1].split(",")[0].strip('"').split(" ")
    assert month in {"January", "February", "March"} and day.isdigit()
    assert history.startswith(
        b'\xef\xbb\xbf"Date","Followers","Difference in followers from previous day"\n')
    trends = list(csv.reader(io.StringIO((tmp_path / "trends.csv").read_text())))
    assert trends[0] == ["date", "kind", "name", "rank", "score", "region"]
    assert len(trends) == 1 + len(small.trends)
    creators = (tmp_path / "creators.csv").read_text().splitlines()
    assert creators[0] == "creator,timezone" and len(creators) == 1 + len(small.creators)
    assert json_path.stat().st_mtime == pytest.approx(small.collected_at.timestamp())


def test_creators_csv_is_read_by_the_creators_adapter(small: SyntheticData,
                                                      tmp_path: Path) -> None:
    from recommender.ingest.base import IngestContext, Source
    from recommender.ingest.creators import ADAPTERS

    write_sample(small, tmp_path)
    path = tmp_path / "creators.csv"
    source = Source(name=str(path), path=path)
    (adapter,) = ADAPTERS
    assert adapter.sniff(source, source.head())
    result = adapter.read(source, IngestContext())
    assert len(result.rejected) == 0
    assert dict(zip(result.creators["creator"], result.creators["timezone"])) == dict(
        zip(small.creators["creator"], small.creators["timezone"]))


def test_bundled_sample_matches_its_generator(tmp_path: Path) -> None:
    if not (REPO_SAMPLE / "README.md").exists():
        pytest.skip("data/sample is not part of this installation")
    written = write_sample(make_posts(**SAMPLE_PARAMS), tmp_path)  # type: ignore[arg-type]
    assert sum(p.stat().st_size for p in written) < 2_000_000
    for path in written:
        bundled = REPO_SAMPLE / path.relative_to(tmp_path)
        assert bundled.read_bytes() == path.read_bytes(), (
            f"{bundled} is stale: run `python -m recommender.datasets`")
