"""The level filter (``features.level``): time order, robustness, trend, uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.datasets import make_posts
from recommender.errors import UsageError
from recommender.features import level, preprocess
from recommender.features.context import NS_PER_DAY
from recommender.model import EngagementModel

LEVEL_COLUMNS = list(level.COLUMNS)


def _series(n: int, seed: int, growth: float = 0.0, noise: float = 0.7
            ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = np.cumsum(rng.uniform(0.3, 2.0, n))
    return (days * NS_PER_DAY).astype("int64"), 7.0 + growth * days + rng.normal(0, noise, n)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 39), st.integers(0, 10_000),
       st.floats(-5, 5, allow_nan=False))
def test_a_state_never_depends_on_later_outcomes(n: int, cut: int, seed: int,
                                                 shift: float) -> None:
    cut = min(cut, n - 1)
    t, y = _series(n, seed)
    key = np.zeros(n, dtype="int64")
    before = level.filter_outcomes(key, t, y)
    changed = y.copy()
    changed[cut:] += shift * np.random.default_rng(seed + 1).uniform(0.5, 2, n - cut)
    after = level.filter_outcomes(key, t, changed)
    for name in before:  # the state after row i holds rows up to i only
        np.testing.assert_array_equal(before[name][:cut], after[name][:cut])


_WORLD = make_posts(3, 40, seed=3).as_store_data()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2), st.floats(0.05, 0.95), st.floats(0.1, 20.0))
def test_a_posts_level_never_moves_with_its_own_or_later_outcomes(
        which: int, where: float, factor: float) -> None:
    data = _WORLD
    posts = data.posts
    creator = sorted(posts["creator"].unique())[which]
    own = posts[posts["creator"] == creator].sort_values("posted_at")
    cut = own["posted_at"].iloc[int(where * (len(own) - 1))]
    later = ((posts["creator"] == creator) & (posts["posted_at"] >= cut)).to_numpy()
    changed = posts.copy()
    for count in ("likes", "comments", "shares", "views"):
        values = changed[count].astype("float64")
        changed[count] = values.where(~later, (values * factor).round()).astype(
            posts[count].dtype)
    base = preprocess(data)
    moved = preprocess(type(data)(**{**data.__dict__, "posts": changed}))
    keep = (base["creator"] == creator) & (base["posted_at"] <= cut)
    assert keep.sum() >= 1
    pd.testing.assert_frame_equal(base.loc[keep, LEVEL_COLUMNS], moved.loc[keep, LEVEL_COLUMNS])
    # ...and the later rows do move (the check is not vacuous).
    after = (base["creator"] == creator) & (base["posted_at"] > cut + pd.Timedelta(days=4))
    if after.any() and abs(np.log(factor)) > 0.2:
        assert not np.allclose(base.loc[after, "level"], moved.loc[after, "level"])


def test_creators_are_filtered_independently() -> None:
    t1, y1 = _series(30, 1)
    t2, y2 = _series(17, 2)
    both = level.filter_outcomes(np.r_[np.zeros(30), np.ones(17)].astype("int64"),
                                 np.r_[t1, t2], np.r_[y1, y2])
    one = level.filter_outcomes(np.zeros(17, dtype="int64"), t2, y2)
    for name in one:
        np.testing.assert_allclose(both[name][30:], one[name])


def test_a_growing_account_is_followed_where_the_trailing_median_lags() -> None:
    errors = {"level": [], "median": []}
    for seed in range(20):
        t, y = _series(120, seed, growth=0.01)
        state = level.filter_outcomes(np.zeros(120, dtype="int64"), t, y)
        days = t / NS_PER_DAY
        ahead = days[-1] + 14  # two weeks past the last known outcome
        projected, *_ = level._extrapolate(
            state["L"][-1:], state["b"][-1:], state["pll"][-1:], state["plb"][-1:],
            state["pbb"][-1:], np.array([14.0]))
        truth = 7.0 + 0.01 * ahead
        errors["level"].append(projected[0] - truth)
        errors["median"].append(np.median(y[-20:]) - truth)
        assert state["b"][-1] > 0
    # The median of the last 20 posts sits 0.30 behind, the filter 0.24 (measured): its
    # slope is damped (SLOPE_DAYS) and shrunk by its prior, which on the shared creator
    # histories, where growth does not last, predicts better than a free trend.
    assert np.mean(errors["median"]) < -0.25
    assert np.mean(errors["level"]) < 0
    assert abs(np.mean(errors["level"])) < 0.9 * abs(np.mean(errors["median"]))


def test_one_viral_post_moves_the_level_by_a_clipped_amount() -> None:
    t, y = _series(60, 5, noise=0.3)
    spiked = y.copy()
    spiked[40] += 6.0  # x400 on the count scale
    key = np.zeros(60, dtype="int64")
    calm, viral = level.filter_outcomes(key, t, y), level.filter_outcomes(key, t, spiked)
    jump = viral["L"][40] - calm["L"][40]
    sd = np.sqrt((calm["pll"][39] + 1) * calm["r"][39])
    assert 0 < jump < level.CLIP * sd  # the gain is < 1, the innovation clipped
    assert jump < 0.5  # the spike itself was +6


def test_level_sd_grows_with_the_days_since_the_last_known_outcome() -> None:
    t, y = _series(50, 9)
    s = level.filter_outcomes(np.zeros(50, dtype="int64"), t, y)
    days = np.array([0.0, 1.0, 7.0, 30.0, 365.0])
    _, _, pll, _, _ = level._extrapolate(*(np.repeat(s[c][-1], 5) for c in
                                           ("L", "b", "pll", "plb", "pbb")), days)
    assert (np.diff(pll) > 0).all() and np.isfinite(pll).all()


def test_the_training_table_carries_the_level_and_the_model_predicts_from_it() -> None:
    table = preprocess(_WORLD)
    first = table.groupby("creator").head(1)
    assert first[LEVEL_COLUMNS].isna().all().all()  # nothing known before a first post
    rest = table.drop(first.index)
    assert rest["level"].notna().mean() > 0.9 and (rest["level_sd"].dropna() > 0).all()
    model = EngagementModel(n_estimators=5, level_model="filter").fit_table(table)
    offset = model.level(table)
    expected = table["level"].fillna(model.population_baseline_).to_numpy()
    np.testing.assert_allclose(offset, expected)
    # Lift stays measured against the trailing median (the usual post).
    out = model.predict_features(table)
    np.testing.assert_allclose(out["baseline"], table["baseline"].fillna(
        model.population_baseline_))
    old = EngagementModel(n_estimators=5, level_model="median", level_features=False)
    old.fit_table(table)
    assert not set(LEVEL_COLUMNS) & set(old.feature_names_)
    np.testing.assert_allclose(old.level(table), out["baseline"])
    with pytest.raises(UsageError, match="unknown level_model 'kalman'"):
        EngagementModel(level_model="kalman").fit_table(table)


def test_intervals_widen_with_the_creators_spread_and_the_levels_uncertainty() -> None:
    table = preprocess(_WORLD)
    model = EngagementModel(n_estimators=5).fit_table(table)
    assert (model.intervals_["unit"] > 0).all()
    rows = table[table["eng_std_last20"].notna()].tail(20).copy()
    base = model.predict_features(rows)
    wider = rows.assign(eng_std_last20=rows["eng_std_last20"] * 2,
                        level_sd=rows["level_sd"] * 2)
    out = model.predict_features(wider)
    assert ((out["high"] - out["low"]) > (base["high"] - base["low"]) * 1.5).all()
    plain = EngagementModel(n_estimators=5, scaled_intervals=False).fit_table(table)
    assert "unit" not in plain.intervals_
    got = plain.predict_features(wider)
    np.testing.assert_allclose(got["high"] - got["low"],
                               plain.predict_features(rows)["high"]
                               - plain.predict_features(rows)["low"])
