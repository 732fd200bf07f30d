"""Baselines, metrics and the chronological backtests on hand-made and generated tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_support import FAST, small

from recommender.errors import StoreError, UsageError
from recommender.model.backtest import (
    BacktestResult,
    _expanding_splits,
    _holdout_mask,
    _holdout_split,
    holdout_table,
    run_backtest,
)
from recommender.model.baselines import baseline_predictions
from recommender.model.evaluate import evaluate_job
from recommender.model.metrics import coverage, mae, spearman, within_creator_spearman
from recommender.store import Store


def _table() -> pd.DataFrame:
    t = pd.Timestamp("2025-01-06", tz="UTC")
    return pd.DataFrame({
        "creator": ["a", "a", "a", "b", "a", "b"],
        "posted_at": [t + pd.Timedelta(days=d) for d in (0, 7, 8, 9, 14, 16)],
        "hour_of_week": [10, 10, 40, 10, 10, 10],
        "y": [1.0, 3.0, 5.0, 2.0, 9.0, 4.0],
        "baseline": [np.nan, 1.0, 2.0, np.nan, 3.0, 2.0],
    })


def test_baselines_use_only_strictly_earlier_posts() -> None:
    out = baseline_predictions(_table(), fallback=0.5)
    np.testing.assert_allclose(out["creator_median"], [0.5, 1.0, 2.0, 0.5, 3.0, 2.0])
    # a's slot 10: first post none -> median fallback; then mean of 1; then mean of 1, 3
    np.testing.assert_allclose(out["hour_of_week"], [0.5, 1.0, 2.0, 0.5, 2.0, 2.0])
    np.testing.assert_allclose(out["previous_post"], [0.5, 1.0, 3.0, 0.5, 5.0, 2.0])


def test_baselines_of_a_fixed_origin_holdout_see_only_known_outcomes() -> None:
    known = np.array([True, True, False, True, False, False])  # a: 5 and 9 hidden, b: 4
    out = baseline_predictions(_table(), fallback=0.5, known=known)
    # a's slot 10 before its last post: 1 and 3 known (mean 2); b's: only 2 known
    np.testing.assert_allclose(out["hour_of_week"], [0.5, 1.0, 2.0, 0.5, 2.0, 2.0])
    # the previous *known* outcome: a's last post skips the hidden 5 and gets 3
    np.testing.assert_allclose(out["previous_post"], [0.5, 1.0, 3.0, 0.5, 3.0, 2.0])


def test_metrics() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert mae(y, y + 0.5) == pytest.approx(0.5)
    assert spearman(y, y**2) == pytest.approx(1.0)
    creators = np.array(["a"] * 5 + ["b"])
    # b has < 5 posts: left out; a constant prediction counts 0, not missing
    assert within_creator_spearman(creators, y, -y) == pytest.approx(-1.0)
    assert within_creator_spearman(creators, y, np.ones(6)) == 0.0
    assert coverage(y, y - 1, y - 0.5 * (y > 3)) == pytest.approx(0.5)  # 4, 5, 6 fall above


def test_splits_are_chronological_and_per_creator() -> None:
    n = 400
    t = pd.date_range("2025-01-01", periods=n, freq="6h", tz="UTC")
    table = pd.DataFrame({"creator": np.where(np.arange(n) % 4 == 0, "a", "b"),
                          "posted_at": t, "y": 1.0,
                          "age_days": np.linspace(100, 0, n)})
    for train, test in _expanding_splits(table, 3):
        assert table["posted_at"].iloc[train].max() < table["posted_at"].iloc[test].min()
    table["holdout_test"] = _holdout_mask(table)
    (train, test), = _holdout_split(table)
    assert (table["age_days"].iloc[test] >= 3).all() and (table["age_days"].iloc[train] >= 3).all()
    for creator, group in table.iloc[test].groupby("creator"):
        settled = table[(table["creator"] == creator) & (table["age_days"] >= 3)]
        assert len(group) == int(np.floor(len(settled) * 0.2 + 0.999))
        assert group["posted_at"].min() > table.iloc[train].query(
            "creator == @creator")["posted_at"].max()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("store")
    Store(path).upsert_all(small().as_store_data())
    return path


def test_backtest_tables_put_the_model_beside_every_baseline(store_dir) -> None:  # type: ignore[no-untyped-def]
    from recommender.features import FeatureConfig, preprocess

    table = preprocess(Store(store_dir).load(), FeatureConfig(), "weighted")
    result = run_backtest(table, {**FAST, "target": "weighted"}, "expanding", folds=2)
    assert list(result.metrics["method"]) == ["model", "creator_median", "hour_of_week",
                                              "previous_post"]
    assert len(result.folds) == 2
    assert 0 < result.model_metrics()["coverage"] <= 1


def test_holdout_table_hides_every_test_outcome_from_every_feature(store_dir) -> None:  # type: ignore[no-untyped-def]
    """Fixed origin: scrambling the test posts' outcomes changes their y and nothing else."""
    from recommender.features import FeatureConfig, feature_names

    data = Store(store_dir).load()
    table = holdout_table(data, FeatureConfig(), "weighted")
    test = table.loc[table["holdout_test"], ["creator", "post_id"]]
    assert 0 < len(test) < len(table) / 3
    hit = data.posts.set_index(["creator", "post_id"]).index.isin(
        test.set_index(["creator", "post_id"]).index)
    scrambled = data.posts.copy()
    scrambled.loc[hit, "likes"] = scrambled.loc[hit, "likes"].to_numpy()[::-1] * 7 + 1000
    again = holdout_table(type(data)(**{**vars(data), "posts": scrambled}), FeatureConfig(),
                          "weighted")
    columns = feature_names(FeatureConfig()) + ["baseline", "holdout_test"]
    pd.testing.assert_frame_equal(table[columns], again[columns])
    assert (table["y"] != again["y"]).sum() == hit.sum()


def test_holdout_protocol_needs_the_holdout_table(store_dir) -> None:  # type: ignore[no-untyped-def]
    from recommender.features import FeatureConfig, preprocess

    table = preprocess(Store(store_dir).load(), FeatureConfig(), "weighted")
    with pytest.raises(UsageError, match="holdout_table"):
        run_backtest(table, {**FAST, "target": "weighted"}, "holdout")


def test_evaluate_job_document_and_plot(store_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = evaluate_job(store_dir, "interactions", 2, "holdout", tmp_path / "plot.png",
                          params=FAST)
    doc = report.to_dict()
    assert doc["protocol"] == "holdout" and doc["target"] == "interactions"
    assert doc["target_label"].startswith("likes + comments + shares")
    assert {m["method"] for m in doc["methods"]} >= {"model", "hour_of_week"}
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    # The verdict in words agrees with the table it summarises.
    model = next(m for m in doc["methods"] if m["method"] == "model")
    median = next(m for m in doc["methods"] if m["method"] == "creator_median")
    gain = 1 - model["mae"] / median["mae"]
    word = "about the same" if abs(gain) < 0.01 else "smaller" if gain > 0 else "LARGER"
    assert word in doc["verdict"] and "trailing median" in doc["verdict"]
    assert f"{model['mae']:.3f}" in doc["verdict"] and "intervals" in doc["verdict"]
    assert model["within_creators"] >= 1
    # Fixed origin: coverage reported by posts after the cut, the 1st post included.
    assert doc["coverage_by_distance"][0]["distance"] == "1"
    assert sum(d["n"] for d in doc["coverage_by_distance"]) == model["n"]


def test_evaluate_job_refuses_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="--protocol"):
        evaluate_job(tmp_path, protocol="random")
    with pytest.raises(UsageError, match="--folds"):
        evaluate_job(tmp_path, folds=0)
    with pytest.raises(StoreError, match="no post store"):
        evaluate_job(tmp_path / "missing")


def test_lift_calibration_net_of_age_separates_the_age_from_the_lift() -> None:
    """Within a creator the newest posts are the youngest: realised lift that follows age
    more steeply than the model does inflates the plain slope; net of age it is the
    model's own size."""
    rng = np.random.default_rng(3)
    creator = np.repeat([f"c{i}" for i in range(60)], 10)
    age = np.exp(rng.uniform(1, 4, len(creator)))
    choice = rng.normal(0, 0.1, len(creator))
    model = choice + 0.05 * np.log(age)  # the model follows age at 0.05 per log day
    y = choice + 0.30 * np.log(age) + rng.normal(0, 0.02, len(creator))  # the truth: 0.30
    result = BacktestResult(protocol="holdout", target="weighted", folds=[],
                            metrics=pd.DataFrame(), predictions=pd.DataFrame({
                                "creator": creator, "y": y, "model": model,
                                "creator_median": 0.0, "age_days": age}))
    assert result.lift_calibration() > 1.3
    assert result.lift_calibration(net_of_age=True) == pytest.approx(1.0, abs=0.05)
    without_age = BacktestResult(protocol="holdout", target="weighted", folds=[],
                                 metrics=pd.DataFrame(),
                                 predictions=result.predictions.drop(columns="age_days"))
    assert without_age.lift_calibration(net_of_age=True) is None


def test_lift_calibration_reads_lift_against_each_rows_own_trailing_median() -> None:
    """In an expanding backtest the trailing median moves within a creator; the slope is
    of lift against it, not of the outcomes themselves."""
    rng = np.random.default_rng(5)
    creator = np.repeat([f"c{i}" for i in range(50)], 12)
    median = rng.normal(5, 1.0, len(creator))  # each row's own trailing median
    lift = rng.normal(0, 0.2, len(creator))
    result = BacktestResult(protocol="expanding", target="weighted", folds=[],
                            metrics=pd.DataFrame(), predictions=pd.DataFrame({
                                "creator": creator, "creator_median": median,
                                "model": median + lift,
                                "y": median + 2 * lift + rng.normal(0, 0.02, len(creator))}))
    assert result.lift_calibration() == pytest.approx(2.0, abs=0.05)
