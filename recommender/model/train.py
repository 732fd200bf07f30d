"""The unattended retraining job behind ``recommender train``.

Trains on the whole store, backtests by time beside the baselines, writes a new versioned
model directory atomically, and promotes it to champion only when it is not worse than the
current champion on the same backtest (the champion's configuration re-run on today's data).
Idempotent: the same data and parameters as the champion give "up to date" and no new files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recommender import locking
from recommender.engagement import TARGETS
from recommender.features import preprocess
from recommender.model.artifact import _model_from_manifest, read_manifest, signature
from recommender.model.backtest import BacktestResult, run_backtest
from recommender.model.estimator import EngagementModel
from recommender.model.registry import (
    champion_info,
    clear_debris,
    models_root,
    promote,
    write_version,
)
from recommender.store import Store, fingerprint_posts

TOLERANCE = 1e-9


@dataclass
class TrainReport:
    status: str  # "promoted" | "kept champion" | "up to date"
    reason: str
    version: str | None
    champion: str
    target: str
    target_label: str
    training_window: dict[str, str]
    n_rows: int
    data_fingerprint: str
    backtest: dict[str, Any]
    champion_backtest: dict[str, Any] | None = None
    model_dir: str | None = None
    top_features: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def train_job(
    data_dir: str | Path,
    models_dir: str | Path,
    target: str = "weighted",
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
    params: dict[str, Any] | None = None,
    folds: int = 3,
    scheduler: str | None = None,
) -> TrainReport:
    """``scheduler``: a Dask scheduler address or ``local``: the trees are trained by
    LightGBM's distributed training there (``recommender.distributed.train``)."""
    data = Store(data_dir).load()
    model = EngagementModel(target=target, **(params or {}))
    model._validate()
    build: Callable[..., Any] = preprocess
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            from recommender.distributed.features import table_builder
            from recommender.distributed.train import on_cluster

            # The trees on the cluster; the backtests' folds and the table too.
            model = stack.enter_context(on_cluster(model, scheduler))
            build = table_builder(model._client)  # type: ignore[attr-defined]
        # One train per models directory at a time: two runs racing could both "promote".
        with locking.exclusive(models_root(models_dir), "models directory") as waited:
            return _train_locked(data, model, models_dir, target, force, waited, progress,
                                 folds, build)


def _train_locked(data, model: EngagementModel, models_dir: str | Path, target: str,  # type: ignore[no-untyped-def]
                  force: bool, waited: bool,
                  progress: Callable[[str, float], None] | None, folds: int,
                  build: Callable[..., Any] = preprocess) -> TrainReport:
    clear_debris(models_dir)
    fingerprint = fingerprint_posts(data.posts)
    signature = _signature(model, fingerprint)
    current = champion_info(models_dir)
    if current and current.get("signature") == signature and (not force or waited):
        # (--force after waiting: the run we waited for just trained this very model.)
        return _up_to_date(models_dir, current, waited)
    _step(progress, "building the training table", 0.1)
    table = build(data, model.config, target)
    _step(progress, "backtesting by time", 0.3)
    backtest = run_backtest(table, _backtest_params(model), "expanding", folds, n_jobs=2)
    _step(progress, "training on all posts", 0.7)
    model.fit_table(table)
    extra = {"data_fingerprint": fingerprint, "signature": signature,
             "backtest": backtest.to_dict()}
    path = write_version(model, models_dir, fingerprint, extra)
    decision, reason, champion_bt = _decide(models_dir, current, data, backtest, force, folds,
                                            build)
    if decision:
        promote(models_dir, path.name, reason, signature)
    _step(progress, "done", 1.0)
    start, end = model.training_window_
    return TrainReport(
        status="promoted" if decision else "kept champion",
        reason=reason,
        version=path.name,
        champion=path.name if decision else str(current["version"]),  # type: ignore[index]
        target=target,
        target_label=TARGETS[target].label,
        training_window={"first_post": start.isoformat(), "last_post": end.isoformat()},
        n_rows=model.n_rows_,
        data_fingerprint=fingerprint,
        backtest=backtest.to_dict(),
        champion_backtest=champion_bt.to_dict() if champion_bt else None,
        model_dir=str(path),
        top_features=model.importance()["feature"].head(8).tolist(),
    )


def _decide(models_dir: str | Path, current: dict[str, Any] | None, data, challenger:
            BacktestResult, force: bool, folds: int, build: Callable[..., Any] = preprocess
            ) -> tuple[bool, str, BacktestResult | None]:  # type: ignore[no-untyped-def]
    if current is None:
        return True, "first model in this directory", None
    manifest = read_manifest(Path(models_dir) / str(current["version"]))
    champion = _model_from_manifest(manifest)
    if champion.target != challenger.target:
        if force:
            return True, f"forced: replaces a champion with target {champion.target!r}", None
        return False, (f"the champion predicts {champion.target!r}, not {challenger.target!r}; "
                       "they cannot be compared (use --force to replace it)"), None
    table = build(data, champion.config, champion.target)
    rerun = run_backtest(table, _backtest_params(champion), "expanding", folds, n_jobs=2)
    new, old = challenger.model_metrics()["mae"], rerun.model_metrics()["mae"]
    if new <= old + TOLERANCE:
        return True, f"backtest MAE {new:.4f} <= champion's {old:.4f} on the same folds", rerun
    if force:
        return True, f"forced, although backtest MAE {new:.4f} > champion's {old:.4f}", rerun
    return False, (f"backtest MAE {new:.4f} is worse than the champion's {old:.4f}; "
                   "champion kept (use --force to promote anyway)"), rerun


def _backtest_params(model: EngagementModel) -> dict[str, Any]:
    return {**model.get_params(), "feature_config": model.config, "n_jobs": 1}


def _signature(model: EngagementModel, fingerprint: str) -> str:
    return signature(model, fingerprint)


def _up_to_date(models_dir: str | Path, current: dict[str, Any], waited: bool = False
                ) -> TrainReport:
    manifest = read_manifest(Path(models_dir) / str(current["version"]))
    reason = ("another train of the same data and parameters finished while this one waited "
              "for the models directory; its model is the champion" if waited else
              "same data and parameters as the champion; nothing to do (--force retrains)")
    return TrainReport(
        status="up to date",
        reason=reason,
        version=None,
        champion=str(current["version"]),
        target=str(manifest["target"]),
        target_label=str(manifest["target_label"]),
        training_window=dict(manifest["training_window"]),
        n_rows=int(manifest["n_rows"]),
        data_fingerprint=str(manifest.get("data_fingerprint", "")),
        backtest=dict(manifest.get("backtest", {})),
        model_dir=str(Path(models_dir) / str(current["version"])),
    )


def _step(progress: Callable[[str, float], None] | None, message: str, fraction: float) -> None:
    if progress:
        progress(message, fraction)
