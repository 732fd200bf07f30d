"""Kinds of account: the generator's outlets and cold-start scrapes, the model's bias on
each (fixed-origin hold-out), the cold-start benchmark's claim, and ``evaluate`` per
history bucket."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_model_support import FAST, small
from typer.testing import CliRunner

from recommender.cli import app
from recommender.datasets import make_accounts, make_posts
from recommender.datasets._accounts import (
    COLD_MAX_POSTS,
    OUTLET_RATE_SDLOG,
    OUTLET_TIMING_SCALE,
    _outlet_profiles,
)
from recommender.model.accounts import (
    AccountSummary,
    bias_split,
    holdout_summary,
    new_creator_backtest,
)
from recommender.model.evaluate import evaluate_job
from recommender.model.metrics import mae
from recommender.store import Store, StoreData

WORLDS = {"creators": (12, 90), "outlets": (6, 60), "cold_start": (50, 30)}


@pytest.fixture(scope="module")
def worlds() -> dict[str, StoreData]:
    return {kind: make_accounts(kind, n_creators=n, days=days, seed=0).as_store_data()
            for kind, (n, days) in WORLDS.items()}


@pytest.fixture(scope="module")
def summaries(worlds: dict[str, StoreData]) -> dict[str, AccountSummary]:
    return {kind: holdout_summary(data, FAST) for kind, data in worlds.items()}


def test_creators_are_make_posts_unchanged() -> None:
    a, b = make_accounts("creators", n_creators=3, days=20, seed=4), make_posts(3, 20, seed=4)
    pd.testing.assert_frame_equal(a.posts, b.posts)
    pd.testing.assert_frame_equal(a.account_daily, b.account_daily)
    with pytest.raises(ValueError, match="kind 'blogs'"):
        make_accounts("blogs")


def test_outlets_post_daily_or_more_with_small_creator_effects(worlds) -> None:  # type: ignore[no-untyped-def]
    posts = worlds["outlets"].posts
    n, days = WORLDS["outlets"]
    per_outlet = posts.groupby("creator").size()
    assert len(per_outlet) == n and per_outlet.min() >= days  # at least one a day
    truth = make_accounts("outlets", n_creators=n, days=days, seed=0).effects.creators
    assert truth["timing_strength"].max() <= 0.9 * OUTLET_TIMING_SCALE
    # The planted spread of levels, on many draws: sdlog OUTLET_RATE_SDLOG (creators: 0.6).
    profiles = pd.DataFrame({"timing_strength": np.ones(2_000)})
    _outlet_profiles(profiles, np.random.default_rng(0))
    spread = np.log(profiles["interaction_rate"]).std()
    assert spread == pytest.approx(OUTLET_RATE_SDLOG, abs=0.02)


def test_cold_start_holds_a_few_posts_and_the_profile_only_at_collection(worlds) -> None:  # type: ignore[no-untyped-def]
    data = worlds["cold_start"]
    per_creator = data.posts.groupby("creator").size()
    assert per_creator.max() <= COLD_MAX_POSTS  # k, or fewer where the window held fewer
    assert (per_creator >= 3).mean() > 0.8
    assert data.posts["followers_at_post"].isna().all()
    daily = data.account_daily
    assert (daily["date"] == data.posts["collected_at"].max()).all()
    wide = daily.pivot(index="creator", columns="metric", values="value").astype(float)
    assert set(wide.columns) == {"followers", "following", "total_likes", "total_videos"}
    listed_likes = data.posts.groupby("creator")["likes"].sum().astype(float)
    assert (wide["total_likes"] >= listed_likes.reindex(wide.index)).all()
    assert (wide["total_videos"] >= per_creator.reindex(wide.index)).all()


def test_cold_start_profile_beats_the_population_median_and_is_what_does_it(worlds) -> None:  # type: ignore[no-untyped-def]
    data = worlds["cold_start"]
    with_profile = new_creator_backtest(data, FAST)
    assert with_profile.after_post_share == 1.0  # every reading is the one at collection
    assert with_profile.gain >= 0.15
    blind = StoreData(**{**data.__dict__, "account_daily": data.account_daily.iloc[:0]})
    assert new_creator_backtest(blind, FAST).gain < with_profile.gain - 0.15


# The targets per account type, measured on these worlds (seed 0, FAST trees).
# Known failures (strict: a fix makes them pass and its mark must go), figures measured:
# - creators, mean residual +0.137 (creator median +0.293; +0.109 before the trees were
#   read at their fitted scale). ``bias_split`` on this world (2026-12-02): the planted
#   shocks' skew is +0.104 of it (a perfect forecast of the median would be left with
#   that: viral posts), the model's own error +0.033; the creator median's own +0.189.
#   The trailing median of the last 20 posts lags an audience that keeps growing (the
#   follower snowball), from the first posts after the cut on (+0.28 on the first 3, +0.33
#   from the 13th); the trees take back most of the lag, not the skew.
#   Issue 12's filter (EngagementModel(level_model="filter", level_features=True), not the
#   default) measured here +0.126 (+0.105 with stale_shift=12): its slope is per creator,
#   damped and shrunk, and one creator's noisy outcomes barely identify the ~0.0035/day
#   growth every generated creator shares (the 13th post on is still +0.3).
# - outlets: not tested against the bound. On its 6-outlet world the mean residual moved
#   between -0.067 and -0.034 and back outside the bound with unrelated feature changes; on
#   20 outlets x 60 days, seeds 0-2: +0.041, +0.146, -0.024 (creator median +0.10, +0.19,
#   -0.00). With a few accounts each one's level after the cut decides the mean: the bound
#   holds on some worlds and not on others, so neither a pass nor an expected failure is a
#   fact about the model (reported as not met; benchmarks/bench_accounts.py measures it).
# - cold start, MAE 0.723 vs creator median 0.672 (46 test posts of 26 creators): with 3-11
#   known posts the trailing median is hard to beat, and ~250 training rows give the trees
#   noise to fit (on 200 creators x 60 days the two tie: 0.675 vs 0.685). The level filter
#   as offset and features is worse here: 0.733 (0.797 with stale_shift=12).
LEVEL_LAG = ("creators +0.137 (creator median +0.293): planted shocks' skew +0.104, the "
             "model's own +0.033")
FEW_ROWS = "cold start: MAE 0.723 vs creator median 0.672 on ~250 training rows"


@pytest.mark.slow
@pytest.mark.parametrize("kind", [
    "creators", "outlets",
    pytest.param("cold_start", marks=pytest.mark.xfail(strict=True, reason=FEW_ROWS))])
def test_never_worse_than_the_creator_median_on_any_account_type(summaries, kind) -> None:  # type: ignore[no-untyped-def]
    summary = summaries[kind]
    assert summary.mae_model <= summary.mae_creator_median


@pytest.mark.slow
@pytest.mark.parametrize("kind", [
    pytest.param("creators", marks=pytest.mark.xfail(strict=True, reason=LEVEL_LAG)),
    "cold_start"])
def test_mean_holdout_residual_is_within_0_05_on_each_account_type(summaries, kind) -> None:  # type: ignore[no-untyped-def]
    assert abs(summaries[kind].residual_model) <= 0.05


def test_evaluate_reports_every_metric_per_history_bucket(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Store(store).upsert_all(small().as_store_data())
    doc = evaluate_job(store, "weighted", 2, "holdout", params=FAST).to_dict()
    buckets = doc["by_history"]
    assert [b["history"] for b in buckets] == ["cold", "short", "established"]
    assert [b["earlier_posts"] for b in buckets] == ["0-4", "5-19", "20+"]
    model = next(m for m in doc["methods"] if m["method"] == "model")
    assert sum(b["n"] for b in buckets) == model["n"]
    # Each bucket's figures are those of its own rows: their n-weighted MAE is the whole's.
    filled = [b for b in buckets if b["n"]]
    weighted = sum(next(m for m in b["methods"] if m["method"] == "model")["mae"] * b["n"]
                   for b in filled) / model["n"]
    assert weighted == pytest.approx(model["mae"])
    assert {"mae", "spearman", "within_creator_spearman", "coverage", "mean_residual"} <= set(
        next(m for m in filled[0]["methods"] if m["method"] == "model"))

    runner = CliRunner()
    args = ["evaluate", "--data", str(store), "--models", str(tmp_path / "models"),
            "--protocol", "holdout"]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "by history" in shown.output and "established: 20+ earlier posts" in shown.output
    assert "cold: 0-4 earlier posts: not enough data" in shown.output  # no new creators


def test_mean_residual_is_outcome_minus_prediction() -> None:
    from recommender.model.metrics import mean_residual

    y = np.array([1.0, 2.0, np.nan, 4.0])
    assert mean_residual(y, y - 0.5) == pytest.approx(0.5)  # under-predicted: positive
    assert mae(y, y + 0.25) == pytest.approx(0.25)


def test_bias_split_separates_the_planted_skew_from_a_methods_own_error() -> None:
    rng = np.random.default_rng(0)
    n = 4_000
    # Shocks as the generator draws them: Gaussian noise plus rare viral jumps (skewed).
    shock = rng.normal(0, 0.5, n) + (rng.random(n) < 0.1) * (0.8 + rng.exponential(1.0, n))
    truth = pd.DataFrame({"creator": np.repeat(["a", "b"], n // 2),
                          "posted_at": pd.date_range("2025-01-01", periods=n, freq="h",
                                                     tz="UTC"),
                          "shock": shock})
    mu = rng.normal(5, 1, n)
    test = truth.iloc[n // 2:].assign(y=lambda t: mu[n // 2:] + t["shock"])
    median, mean = float(np.median(shock)), float(shock.mean())
    test = test.assign(perfect_median=mu[n // 2:] + median,
                       lagging=mu[n // 2:] + median - 0.1,
                       perfect_mean=mu[n // 2:] + mean)
    split = bias_split(test, truth, ("perfect_median", "lagging", "perfect_mean"))
    # A perfect forecast of the median is left with the skew alone; a lag shows net of it.
    assert split["skew"] == pytest.approx(test["shock"].mean() - median)
    assert split["skew"] > 0.05  # viral posts: the mean shock is above the median one
    assert split["perfect_median_net"] == pytest.approx(0.0, abs=1e-9)
    assert split["lagging_net"] == pytest.approx(0.1, abs=1e-9)
    assert split["perfect_mean_net"] == pytest.approx(median - mean, abs=1e-9)
    with pytest.raises(ValueError, match="no planted shock"):
        bias_split(test, truth.iloc[:10], ("perfect_median",))
