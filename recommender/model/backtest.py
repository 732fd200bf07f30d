"""Chronological backtests: the model beside simple baselines, always split by time.

Two protocols, both on the table ``features.preprocess`` builds (features are as-of each
post, so a test post sees earlier test posts' outcomes, as it would in real use):
- ``expanding``: global time cut points; train on every post before a cut, test on the
  posts up to the next cut; several folds.
- ``holdout``: per creator, the latest 20% of posts are the test set; posts younger than
  3 days at collection are dropped (their counts are still growing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import TrainingError
from recommender.model.baselines import BASELINES, baseline_predictions
from recommender.model.estimator import EngagementModel
from recommender.model.metrics import score_all

PROTOCOLS = ("expanding", "holdout")


@dataclass
class BacktestResult:
    protocol: str
    target: str
    folds: list[dict[str, Any]]  # per fold: window and n_train / n_test
    metrics: pd.DataFrame  # one row per method: mae, spearman, within_creator_spearman, ...
    predictions: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def model_metrics(self) -> dict[str, float]:
        return self.metrics.set_index("method").loc["model"].to_dict()

    def to_dict(self) -> dict[str, Any]:
        records = self.metrics.replace({np.nan: None}).to_dict(orient="records")
        return {"protocol": self.protocol, "target": self.target, "folds": self.folds,
                "methods": records}


def run_backtest(table: pd.DataFrame, params: dict[str, Any], protocol: str = "expanding",
                 folds: int = 3, n_jobs: int = 1) -> BacktestResult:
    """Backtest ``EngagementModel(**params)`` on ``table`` with the chosen protocol."""
    table = table.sort_values("posted_at", kind="stable").reset_index(drop=True)
    splits = _holdout_split(table) if protocol == "holdout" else _expanding_splits(table, folds)
    if not splits:
        raise TrainingError(f"too few posts ({len(table)}) for a {protocol} backtest; "
                            "ingest more history")
    from joblib import Parallel, delayed

    parts = Parallel(n_jobs=min(n_jobs, len(splits)))(
        delayed(_run_fold)(table, train, test, params) for train, test in splits
    )
    predictions = pd.concat([p for p, _ in parts], ignore_index=True)
    return BacktestResult(
        protocol=protocol,
        target=str(params.get("target", "weighted")),
        folds=[info for _, info in parts],
        metrics=_metrics(predictions),
        predictions=predictions,
    )


def _expanding_splits(table: pd.DataFrame, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n = len(table)
    start = 0.55
    edges = [int(n * (start + (1 - start) * k / folds)) for k in range(folds + 1)]
    splits = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if lo >= 40 and hi - lo >= 10:
            splits.append((np.arange(lo), np.arange(lo, hi)))
    return splits


def _holdout_split(table: pd.DataFrame, share: float = 0.2,
                   min_age_days: float = 3.0) -> list[tuple[np.ndarray, np.ndarray]]:
    settled = table[table["age_days"].fillna(np.inf) >= min_age_days]
    order = settled.groupby("creator", sort=False).cumcount()
    size = settled.groupby("creator", sort=False)["y"].transform("size")
    n_test = np.ceil(size * share - 1e-9)  # the last 20% of 97 posts is 20 posts, not 19
    is_test = (order >= size - n_test) & (size >= 5)
    train, test = settled.index[~is_test].to_numpy(), settled.index[is_test].to_numpy()
    return [(train, test)] if len(train) >= 40 and len(test) >= 10 else []


def _run_fold(table: pd.DataFrame, train: np.ndarray, test: np.ndarray,
              params: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    model = EngagementModel(**params).fit_table(table.iloc[train])
    test_rows = table.iloc[test]
    pred = model.predict_table(test_rows)
    low, high = model.interval_table(test_rows, pred)
    fallback = float(np.nanmedian(table["y"].iloc[train]))
    baselines = baseline_predictions(table, fallback)
    out = pd.DataFrame({
        "creator": test_rows["creator"].astype(str).to_numpy(),
        "posted_at": test_rows["posted_at"].to_numpy(),
        "y": test_rows["y"].to_numpy(dtype="float64"),
        "model": pred, "low": low, "high": high,
        **{name: values[test] for name, values in baselines.items()},
    })
    info = {"train_until": str(table["posted_at"].iloc[train].max()),
            "test_from": str(test_rows["posted_at"].min()),
            "test_until": str(test_rows["posted_at"].max()),
            "n_train": int(len(train)), "n_test": int(len(test))}
    return out, info


def _metrics(pred: pd.DataFrame) -> pd.DataFrame:
    creators, y = pred["creator"].to_numpy(), pred["y"].to_numpy()
    rows = [{"method": "model",
             **score_all(creators, y, pred["model"].to_numpy(), pred["low"].to_numpy(),
                         pred["high"].to_numpy())}]
    for name in BASELINES:
        rows.append({"method": name, **score_all(creators, y, pred[name].to_numpy())})
    return pd.DataFrame(rows)
