"""Accuracy and bias by kind of account, and the cold-start backtest.

- ``holdout_summary(data, params)``: the fixed-origin hold-out (``backtest.holdout_table``,
  each creator's latest 20% of settled posts) summarised in the figures that say whether a
  kind of account is served: the model's MAE beside the creator median's and the population
  median's, each method's mean residual (outcome - prediction: > 0 under-predicts) overall,
  near the cut (the first 3 posts after it) and far from it (12+ posts after: where a
  trailing level that stopped at the cut has fallen behind a growing account), and the
  interval coverage; and the median residual of both (a median forecast's is ~0 while its
  mean residual is the noise's mean minus its median: positive where posts go viral).
  ``holdout_predictions`` gives the rows; on generated worlds ``bias_split`` separates the
  planted shocks' skew from each method's own error.
- ``new_creator_backtest(data, params)``: cold start. A share of the creators is held out
  whole: every outcome of theirs is hidden from every feature (``preprocess(hidden=)``)
  and the model is fitted on the other creators only; their posts with at most
  ``max_earlier`` earlier posts are predicted from what a new creator brings: the profile
  (``features.profile``, typically read at collection), content and timing. The only
  baseline without any history is the population median of the training posts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import TrainingError
from recommender.features import FeatureConfig, preprocess
from recommender.model.backtest import HOLDOUT_MIN_AGE_DAYS, holdout_table, run_backtest
from recommender.model.estimator import EngagementModel
from recommender.model.metrics import coverage, mae, mean_residual
from recommender.store import StoreData, post_keys

NEAR, FAR = 3, 12  # posts after the cut: "near" <= NEAR, "far" > FAR


@dataclass
class AccountSummary:
    n_test: int
    n_creators: int
    mae_model: float
    mae_creator_median: float
    mae_population_median: float
    residual_model: float
    residual_creator_median: float
    residual_model_near: float
    residual_creator_median_near: float
    residual_model_far: float
    residual_creator_median_far: float
    coverage: float
    # The median residual: ~0 for a forecast of the median (what an MAE-trained model
    # aims at); the mean residual also carries the noise's skew (viral posts).
    median_residual_model: float = float("nan")
    median_residual_creator_median: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def holdout_summary(data: StoreData, params: dict[str, Any]) -> AccountSummary:
    """The fixed-origin hold-out of ``EngagementModel(**params)`` on ``data``, summarised."""
    return summarise_holdout(*holdout_predictions(data, params))


def holdout_predictions(data: StoreData, params: dict[str, Any]) -> tuple[pd.DataFrame, float]:
    """The fixed-origin hold-out's predictions (``BacktestResult.predictions``: one row per
    test post, every method's column) and the training posts' population median."""
    model = EngagementModel(**params)
    table = holdout_table(data, model.config, model.target)
    result = run_backtest(table, {**params, "feature_config": model.config}, "holdout")
    train = ~table["holdout_test"].to_numpy(dtype=bool) & _settled(table)
    return result.predictions, float(np.nanmedian(table["y"].to_numpy(dtype="float64")[train]))


def summarise_holdout(p: pd.DataFrame, population: float) -> AccountSummary:
    """``holdout_predictions``' figures: MAE, bias near and far from the cut, coverage."""
    y, distance = p["y"].to_numpy(), p["distance"].to_numpy()
    near, far = distance <= NEAR, distance > FAR

    def resid(column: str, rows: np.ndarray | slice = slice(None)) -> float:
        return mean_residual(y[rows], p[column].to_numpy()[rows])

    return AccountSummary(
        n_test=len(p), n_creators=int(p["creator"].nunique()),
        mae_model=mae(y, p["model"].to_numpy()),
        mae_creator_median=mae(y, p["creator_median"].to_numpy()),
        mae_population_median=mae(y, np.full(len(y), population)),
        residual_model=resid("model"), residual_creator_median=resid("creator_median"),
        residual_model_near=resid("model", near),
        residual_creator_median_near=resid("creator_median", near),
        residual_model_far=resid("model", far),
        residual_creator_median_far=resid("creator_median", far),
        coverage=coverage(y, p["low"].to_numpy(), p["high"].to_numpy()),
        median_residual_model=float(np.median(y - p["model"].to_numpy())),
        median_residual_creator_median=float(np.median(y - p["creator_median"].to_numpy())),
    )


def bias_split(p: pd.DataFrame, shocks: pd.DataFrame,
               methods: tuple[str, ...] = ("model", "creator_median")) -> dict[str, float]:
    """Each method's mean residual split where every post's planted shock is known (the
    generator's noise + virality on the log scale; ``shocks``: ``creator, posted_at,
    shock`` for every post of the world).

    ``skew`` = mean of the test posts' shocks - median of all posts' shocks: the mean
    residual a perfect forecast of the median leaves (what an MAE-trained model aims at;
    positive where posts go viral). ``{method}_net`` = the method's mean residual - skew:
    its own error against that perfect median forecast (a level that lags, a bias)."""
    keys = ["creator", "posted_at"]
    own = shocks[keys + ["shock"]].copy()
    own["posted_at"] = pd.to_datetime(own["posted_at"], utc=True)
    test = p[keys + ["y", *methods]].copy()
    test["posted_at"] = pd.to_datetime(test["posted_at"], utc=True)
    joined = test.merge(own, on=keys, how="left", validate="one_to_one")
    if joined["shock"].isna().any():
        raise ValueError("bias_split: a test post has no planted shock")
    skew = float(joined["shock"].mean() - np.median(own["shock"].to_numpy(dtype="float64")))
    out = {"skew": skew}
    for method in methods:
        out[f"{method}_net"] = mean_residual(joined["y"].to_numpy(),
                                             joined[method].to_numpy()) - skew
    return out


@dataclass
class ColdStartResult:
    n_test: int
    n_creators: int
    mae_model: float
    mae_population_median: float
    residual_model: float
    coverage: float
    after_post_share: float  # test rows whose profile reading is later than the post

    @property
    def gain(self) -> float:
        """1 - model MAE / population-median MAE (0.15: 15% smaller error)."""
        return 1 - self.mae_model / self.mae_population_median

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gain": self.gain}


def new_creator_backtest(data: StoreData, params: dict[str, Any], share: float = 0.3,
                         seed: int = 0, max_earlier: int = 5) -> ColdStartResult:
    """Cold start: ``share`` of the creators (a seeded draw) held out whole; their settled
    posts with <= ``max_earlier`` earlier posts predicted by a model fitted on the rest."""
    creators = np.array(sorted(data.posts["creator"].dropna().astype(str).unique()))
    rng = np.random.default_rng(seed)
    chosen = set(rng.choice(creators, max(1, int(round(len(creators) * share))),
                            replace=False))
    if len(chosen) >= len(creators):
        raise TrainingError("new-creator backtest: every creator would be held out; "
                            "use more creators or a smaller share")
    held = data.posts["creator"].astype(str).isin(chosen).to_numpy()
    model = EngagementModel(**params)
    config: FeatureConfig = model.config
    table = preprocess(data, config, model.target, hidden=post_keys(data.posts[held]))
    new = table["creator"].astype(str).isin(chosen).to_numpy()
    settled = _settled(table)
    test = new & settled & (table["n_prev_posts"].to_numpy() <= max_earlier)
    model.fit_table(table[~new & settled])
    rows = table[test]
    pred = model.predict_table(rows)
    low, high = model.interval_table(rows, pred)
    population = float(np.nanmedian(table.loc[~new & settled, "y"]))
    y = rows["y"].to_numpy(dtype="float64")
    flag = rows["profile_after_post"].to_numpy(dtype="float64") if len(rows) else np.zeros(0)
    return ColdStartResult(
        n_test=len(rows), n_creators=int(rows["creator"].nunique()),
        mae_model=mae(y, pred), mae_population_median=mae(y, np.full(len(y), population)),
        residual_model=mean_residual(y, pred), coverage=coverage(y, low, high),
        after_post_share=float(np.mean(flag == 1)) if len(flag) else float("nan"))


def _settled(table: pd.DataFrame) -> np.ndarray:
    return (table["age_days"].fillna(np.inf) >= HOLDOUT_MIN_AGE_DAYS).to_numpy()
