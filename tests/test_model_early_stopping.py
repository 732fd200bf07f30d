"""Early stopping (``EngagementModel(early_stopping=True)``, opt-in): the rounds are
chosen on the calibration rows with their track record frozen at the cut, as a hold-out's
posts see it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.datasets import make_posts
from recommender.features import preprocess
from recommender.model import EngagementModel
from recommender.model.artifact import load_model, save_model
from recommender.model.estimator import PATIENCE, stopping_round
from recommender.model.staleness import frozen_at_first, outcome_columns

_TABLE = preprocess(make_posts(12, 120, seed=4).as_store_data())


def test_stopping_round_is_the_best_round_once_patience_runs_out() -> None:
    curve = [5.0, 4.0, 3.0, 3.5, 3.2, 2.9, 3.0, 3.1, 3.3, 1.0]
    assert stopping_round(curve, 3) == 6  # the 1.0 at round 10 comes after patience ran out
    assert stopping_round(curve, 10) == 10
    assert stopping_round([1.0], PATIENCE) == 1


def test_the_final_fit_trains_the_rounds_early_stopping_chose() -> None:
    model = EngagementModel(n_estimators=400, learning_rate=0.3,
                            early_stopping=True).fit_table(_TABLE)
    assert 1 <= model.n_rounds_ < 400
    assert model.booster_.num_trees() == model.n_rounds_ == model.rounds()
    plain = EngagementModel(n_estimators=40, early_stopping=False).fit_table(_TABLE)
    assert plain.n_rounds_ is None and plain.booster_.num_trees() == 40 == plain.rounds()


def test_stopping_round_agrees_with_lightgbms_callback() -> None:
    """The cluster reads the round off the validation curve (``lightgbm.dask`` has no
    callback); the rule must be the callback's."""
    model = EngagementModel(n_estimators=400, learning_rate=0.3, early_stopping=True)
    model.fit_table(_TABLE)
    import lightgbm as lgb

    table = _TABLE.sort_values("posted_at", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(0)
    x = table[model.feature_names_].astype("float64")
    y = table["y"].to_numpy(dtype="float64") + rng.normal(0, 0.1, len(table))
    held = rng.random(len(table)) < 0.3
    params = {**model.lgb_params(), "metric": "l1"}
    params.pop("monotone_constraints", None)
    params.pop("monotone_constraints_method", None)
    train = lgb.Dataset(x[~held], label=y[~held])
    valid = lgb.Dataset(x[held], label=y[held], reference=train)
    curve: dict = {}
    lgb.train(params, train, 400, valid_sets=[valid],
              callbacks=[lgb.record_evaluation(curve)])
    stopped = lgb.train(params, train, 400, valid_sets=[valid],
                        callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
    assert stopping_round(curve["valid_0"]["l1"], PATIENCE) == stopped.best_iteration


def test_frozen_rows_see_the_track_record_of_their_creators_first_row() -> None:
    table = _TABLE.sort_values("posted_at", kind="stable").reset_index(drop=True)
    rows = table.groupby("creator").cumcount().to_numpy() >= 80
    out = frozen_at_first(table, rows)
    columns = [c for c in outcome_columns(table) if c not in ("level", "level_slope",
                                                             "level_sd", "days_since_known")]
    for _, mine in out.groupby("creator"):
        first = table.loc[mine.index[0], columns].to_numpy(dtype="float64")
        for i in mine.index:
            np.testing.assert_array_equal(mine.loc[i, columns].to_numpy(dtype="float64"),
                                          first)
    others = [c for c in table.columns if c not in outcome_columns(table)
              and c != "posts_since_known"]
    pd.testing.assert_frame_equal(out[others], table[rows][others])


def test_the_chosen_rounds_survive_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = EngagementModel(n_estimators=400, learning_rate=0.3,
                            early_stopping=True).fit_table(_TABLE)
    loaded = load_model(save_model(model, tmp_path / "m"))
    assert loaded.n_rounds_ == model.n_rounds_
    np.testing.assert_allclose(loaded.predict_table(_TABLE), model.predict_table(_TABLE))


@pytest.mark.parametrize("rows", [0, 50])
def test_too_few_calibration_rows_train_the_full_count(rows: int) -> None:
    small = _TABLE.sort_values("posted_at", kind="stable").head(max(rows * 5, 60))
    model = EngagementModel(n_estimators=30, early_stopping=True).fit_table(small)
    assert model.rounds() == 30 and model.n_rounds_ is None
