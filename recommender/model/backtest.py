"""Chronological backtests: the model beside simple baselines, always split by time.

Two protocols:
- ``expanding`` (table: ``features.preprocess``): global time cut points; train on every
  post before a cut, test on the posts up to the next cut; several folds. Features are
  as-of each post, so a test post sees earlier test posts' outcomes (one step ahead, as
  in real use where yesterday's post is measured before today's is scored).
- ``holdout`` (table: ``holdout_table``): per creator, the latest 20% of posts are the
  test set; posts younger than 3 days at collection are dropped (their counts are still
  growing). Fixed origin: no feature or baseline sees any test post's outcome, so every
  test post is predicted from what was known at the creator's cut.

Why the hold-out must be fixed-origin: with ~5 test posts per creator, a feature that
moves with the previous test post's outcome is negatively rank-correlated with the next
one inside that small group (within a group, distinct draws correlate at -1/(n-1)). On
the 2020 creator histories every outcome-fed feature scored a within-creator Spearman of
about -0.23 one step ahead and about 0 once the last few outcomes were left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import TrainingError, UsageError
from recommender.features import FeatureConfig, preprocess
from recommender.features.history import DISTANCE
from recommender.model.baselines import BASELINES, baseline_predictions
from recommender.model.estimator import EngagementModel
from recommender.model.intervals import HISTORY_BUCKETS, history_bucket
from recommender.model.metrics import score_all
from recommender.store import StoreData, post_keys

PROTOCOLS = ("expanding", "holdout")
HOLDOUT_SHARE = 0.2
HOLDOUT_MIN_AGE_DAYS = 3.0
# Names of intervals.HISTORY_BUCKETS (the creator's earlier posts, at the row).
HISTORY_NAMES = ("cold", "short", "established")


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
                "methods": records, "by_history": self.metrics_by_history(),
                "coverage_by_distance": self.coverage_by_distance(),
                "lift_calibration": self.lift_calibration()}

    def metrics_by_history(self) -> list[dict[str, Any]]:
        """Every metric of every method per history bucket of the test rows: ``cold`` (fewer
        than 5 earlier posts of the creator), ``short`` (5-19), ``established`` (20+).
        A bucket without test rows has ``n`` 0 and no methods (not enough data)."""
        p = self.predictions
        if p.empty or "n_prev_posts" not in p:
            return []
        edges = HISTORY_BUCKETS
        bucket = history_bucket(p)  # each row's bucket, as its interval was calibrated
        out = []
        for i, name in enumerate(HISTORY_NAMES):
            top = f"-{edges[i + 1] - 1}" if i + 1 < len(edges) else "+"
            rows = p[bucket == edges[i]]
            methods = (_metrics(rows).replace({np.nan: None}).to_dict(orient="records")
                       if len(rows) else [])
            out.append({"history": name, "earlier_posts": f"{edges[i]}{top}",
                        "n": int(len(rows)), "methods": methods})
        return out

    def coverage_by_distance(self) -> list[dict[str, Any]]:
        """The model's interval coverage by posts since the creator's last known outcome
        (1 = the next post; in a fixed-origin hold-out, the k-th post after the cut)."""
        p = self.predictions
        if p.empty or "distance" not in p:
            return []
        covered = ((p["y"] >= p["low"]) & (p["y"] <= p["high"])).to_numpy()
        labels = pd.cut(p["distance"], [0, 1, 2, 3, 5, 10, np.inf],
                        labels=["1", "2", "3", "4-5", "6-10", "11+"])
        frame = pd.DataFrame({"distance": labels, "covered": covered})
        out = frame.groupby("distance", observed=True)["covered"].agg(["mean", "size"])
        return [{"distance": str(k), "coverage": round(float(v["mean"]), 3), "n": int(v["size"])}
                for k, v in out.iterrows()]

    def lift_calibration(self, net_of_age: bool = False) -> float | None:
        """Slope of realised on predicted lift within creators (lift vs the creator's
        trailing median; both centred per creator): ~1 when lifts are right in size, below
        1 when overstated. ``net_of_age``: the slope with the log of each post's age at
        collection as a second regressor (within a creator's hold-out on one scrape, the
        newest posts are also the youngest; ``suggest`` compares choices at one horizon)."""
        p = self.predictions
        if p.empty or "creator_median" not in p:
            return None
        if net_of_age and "age_days" not in p:
            return None
        by = p["creator"]
        # Lift vs the trailing median: constant per creator at a fixed origin, not in an
        # expanding backtest, where each row has its own.
        realised = p["y"] - p["creator_median"]
        predicted = p["model"] - p["creator_median"]
        x = predicted - predicted.groupby(by).transform("mean")
        y = realised - realised.groupby(by).transform("mean")
        columns = [x.to_numpy()]
        if net_of_age:
            age = np.log(p["age_days"].clip(lower=1e-3))
            columns.append((age - age.groupby(by).transform("mean")).to_numpy())
        design = np.column_stack(columns)
        ok = np.isfinite(design).all(axis=1) & np.isfinite(y.to_numpy())
        if float((design[ok, 0] ** 2).sum()) <= 1e-12:
            return None
        coef = np.linalg.lstsq(design[ok], y.to_numpy()[ok], rcond=None)[0]
        return round(float(coef[0]), 3)


def run_backtest(table: pd.DataFrame, params: dict[str, Any], protocol: str = "expanding",
                 folds: int = 3, n_jobs: int = 1) -> BacktestResult:
    """Backtest ``EngagementModel(**params)`` on ``table`` with the chosen protocol."""
    if protocol == "holdout" and "holdout_test" not in table:
        raise UsageError("the holdout protocol needs the table from backtest.holdout_table")
    table = table.sort_values("posted_at", kind="stable").reset_index(drop=True)
    splits = _holdout_split(table) if protocol == "holdout" else _expanding_splits(table, folds)
    if not splits:
        raise TrainingError(f"too few posts ({len(table)}) for a {protocol} backtest; "
                            "ingest more history")
    from joblib import Parallel, delayed

    from recommender.model import _lgb

    _lgb.lightgbm()  # imported here, once: threads racing to import it see half a module

    # Threads, not loky processes: LightGBM releases the GIL while it trains, and worker
    # processes outlived a killed parent (40 of them for half an hour, 4.5 GB).
    parts = Parallel(n_jobs=min(n_jobs, len(splits)), prefer="threads")(
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


def holdout_table(data: StoreData, config: FeatureConfig, target: str,
                  build: Callable[..., pd.DataFrame] = preprocess) -> pd.DataFrame:
    """The ``holdout`` protocol's table: ``preprocess``'s, plus ``holdout_test`` marking
    each creator's latest HOLDOUT_SHARE of settled posts, whose outcomes no feature sees.
    ``build``: ``preprocess`` or an engine's equal (``distributed.features``)."""
    full = build(data, config, target)
    test = _holdout_mask(full)
    hidden = post_keys(full[test])
    table = build(data, config, target, hidden=hidden)
    table["holdout_test"] = post_keys(table).isin(hidden)
    return table


def _settled(table: pd.DataFrame) -> np.ndarray:
    return (table["age_days"].fillna(np.inf) >= HOLDOUT_MIN_AGE_DAYS).to_numpy()


def _holdout_mask(table: pd.DataFrame) -> np.ndarray:
    ordered = table.sort_values("posted_at", kind="stable")
    settled = ordered[_settled(ordered)]
    order = settled.groupby("creator", sort=False).cumcount()
    size = settled.groupby("creator", sort=False)["y"].transform("size")
    n_test = np.ceil(size * HOLDOUT_SHARE - 1e-9)  # the last 20% of 97 posts is 20, not 19
    is_test = (order >= size - n_test) & (size >= 5)
    return is_test.reindex(table.index, fill_value=False).to_numpy()


def _holdout_split(table: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    test = table["holdout_test"].to_numpy(dtype=bool)
    train = np.flatnonzero(_settled(table) & ~test)
    test = np.flatnonzero(test)
    return [(train, test)] if len(train) >= 40 and len(test) >= 10 else []


def _run_fold(table: pd.DataFrame, train: np.ndarray, test: np.ndarray,
              params: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    model = EngagementModel(**params).fit_table(table.iloc[train])
    test_rows = table.iloc[test]
    # Every LightGBM call of a fold at its one count: folds run together (_lgb.THREAD_COUNT).
    pred = model.predict_table(test_rows, model.n_jobs)
    low, high = model.interval_table(test_rows, pred)
    fallback = float(np.nanmedian(table["y"].iloc[train]))
    known = ~table["holdout_test"].to_numpy(dtype=bool) if "holdout_test" in table else None
    baselines = baseline_predictions(table, fallback, known)
    out = pd.DataFrame({
        "creator": test_rows["creator"].astype(str).to_numpy(),
        "posted_at": test_rows["posted_at"].to_numpy(),
        "y": test_rows["y"].to_numpy(dtype="float64"),
        "model": pred, "low": low, "high": high,
        "n_prev_posts": test_rows["n_prev_posts"].to_numpy(dtype="float64"),
        "age_days": test_rows["age_days"].to_numpy(dtype="float64"),
        "distance": (test_rows[DISTANCE].fillna(0).to_numpy(dtype="float64") + 1
                     if DISTANCE in test_rows else np.ones(len(test_rows))),
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
