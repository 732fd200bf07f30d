"""EngagementModel: outputs, targets, intervals, contributions and planted-effect recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_support import FAST, fitted, queries, small, synthetic

from recommender.engagement import TARGETS
from recommender.errors import TrainingError, UsageError
from recommender.features import preprocess
from recommender.model import EngagementModel


def test_predict_gives_interval_baseline_lift_and_target_label() -> None:
    model, data = fitted()
    creators = sorted(data.posts["creator"].unique())[:4]
    out = model.predict(queries(data, creators, synthetic().collected_at), data)
    assert list(out.columns) == ["predicted", "low", "high", "baseline", "lift"]
    assert (out["low"] < out["predicted"]).all() and (out["predicted"] < out["high"]).all()
    np.testing.assert_allclose(out["lift"], out["predicted"] - out["baseline"])
    assert out.attrs["target_label"] == TARGETS["weighted"].label
    assert out.attrs["horizon_days"] == 7.0


def test_cold_start_creator_gets_the_population_baseline_and_a_wider_interval() -> None:
    model, data = fitted()
    known = str(data.posts["creator"].iloc[0])
    out = model.predict(queries(data, [known, "brand_new_creator"], synthetic().collected_at),
                        data)
    assert out["baseline"].iloc[1] == pytest.approx(model.population_baseline_)
    widths = out["high"] - out["low"]
    # Never narrower; equal (up to rounding) where calibration had no cold rows and pooled.
    assert widths.iloc[1] >= widths.iloc[0] - 1e-9


def test_contributions_add_up_to_the_prediction() -> None:
    model, data = fitted()
    table = preprocess(data, model.config, model.target).tail(50)
    contrib = model.contributions(table)
    # The trees' features, the timing profile (an additive part outside the trees), bias:
    # together everything the prediction adds to the creator's level.
    assert list(contrib.columns) == [*model.feature_names_, "slot_profile", "bias"]
    residual = model.predict_table(table) - model.level(table)
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), residual, atol=1e-6)
    np.testing.assert_allclose(contrib["slot_profile"].to_numpy(), model.timing_part(table))


def test_intervals_reach_roughly_their_level_out_of_time() -> None:
    data = synthetic().as_store_data()
    model = EngagementModel(**FAST)
    table = preprocess(data, model.config, model.target)
    table = table.sort_values("posted_at", kind="stable").reset_index(drop=True)
    cut = int(len(table) * 0.75)
    model.fit_table(table.iloc[:cut])
    test = table.iloc[cut:]
    out = model.predict_features(test)
    covered = ((test["y"] >= out["low"]) & (test["y"] <= out["high"])).mean()
    assert 0.65 <= covered <= 0.95, covered


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_target_trains_and_names_itself(target: str) -> None:
    data = small().as_store_data()
    model = EngagementModel(target=target, n_estimators=10, num_leaves=7).fit(data)
    out = model.predict(queries(data, [str(data.posts["creator"].iloc[0])],
                                small().collected_at), data)
    assert np.isfinite(out.to_numpy()).all()
    assert out.attrs["target"] == target and out.attrs["target_label"] == TARGETS[target].label
    if target == "lift":
        assert (out["baseline"] == 0).all()


def test_fit_refuses_too_little_data_and_bad_parameters() -> None:
    data = small().as_store_data()
    tiny = data.for_creators([str(data.posts["creator"].iloc[0])])
    tiny.posts = tiny.posts.head(20)
    with pytest.raises(TrainingError, match="at least"):
        EngagementModel(**FAST).fit(tiny)
    with pytest.raises(UsageError, match="unknown target"):
        EngagementModel(target="likes").fit(data)
    with pytest.raises(UsageError, match="interval"):
        EngagementModel(interval=1.5).fit(data)


def test_same_seed_same_model() -> None:
    data = small().as_store_data()
    q = queries(data, sorted(data.posts["creator"].unique()), small().collected_at)
    a = EngagementModel(**FAST).fit(data).predict(q, data)
    b = EngagementModel(**FAST).fit(data).predict(q, data)
    pd.testing.assert_frame_equal(a, b)


def test_planted_best_hour_ranks_in_the_models_top_three() -> None:
    """Score every hour of the coming week, everything else fixed; a creator's hour profile
    is the mean over the week's seven days (as suggest's timing profile is), so one day's
    weekday and trend effects do not decide the ranking."""
    model, data = fitted()
    truth = synthetic().effects.creators.set_index("creator")
    counts = data.posts["creator"].value_counts()
    strong = [c for c in truth.index if truth.loc[c, "timing_strength"] >= 0.4
              and counts.get(c, 0) >= 30]
    assert len(strong) >= 8
    day = (synthetic().collected_at + pd.Timedelta(days=2)).date()
    hits = []
    for creator in strong:
        zone = str(truth.loc[creator, "timezone"])
        local = pd.date_range(pd.Timestamp(day), periods=24 * 7, freq="h", tz=zone)
        q = queries(data, [creator] * len(local), local[0]).assign(
            posted_at=local.tz_convert("UTC"))
        pred = pd.Series(model.predict(q, data)["predicted"].to_numpy())
        top3 = set(pred.groupby(local.hour).mean().nlargest(3).index)
        hits.append(int(truth.loc[creator, "best_local_hour"]) in top3)
    # Chance level is 3/24 = 0.125; measured 5 of 9 here with the default settings, and 37
    # of 87 over five generated stores (seeds 1, 2, 5, 7; small, noisy stores: ~3 posts per
    # creator-hour). At least three times chance: 4+ hits of 9 happen by chance with
    # probability ~2%, so this fails for a model that ignores the hour.
    assert np.mean(hits) >= 3 * 3 / 24, hits


def test_a_twin_with_its_own_booster_predicts_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Plan scoring predicts in a background thread with a twin of the model (its own
    LightGBM handle): fitted in-process or loaded from disk, the twin predicts identically,
    with one thread or the default."""
    from recommender.model.artifact import load_model, save_model

    model, data = fitted()
    table = preprocess(data, model.config, model.target).tail(200)
    save_model(model, tmp_path / "m")
    for original in (model, load_model(tmp_path / "m")):
        twin = original.with_own_booster()
        assert twin.booster_ is not original.booster_
        expected = original.predict_table(table)
        np.testing.assert_array_equal(twin.predict_table(table, n_threads=1), expected)
        np.testing.assert_array_equal(twin.predict_table(table), expected)
