"""The job behind ``recommender evaluate``: a backtest of the store, beside baselines.

A job (reads the store, reads the champion's manifest, draws a plot), kept apart from the
backtest library it runs (``backtest.run_backtest``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.engagement import TARGETS
from recommender.errors import UsageError
from recommender.features import preprocess
from recommender.model.backtest import PROTOCOLS, BacktestResult, holdout_table, run_backtest
from recommender.model.estimator import EngagementModel
from recommender.store import Store


@dataclass
class EvaluateReport:
    target: str
    target_label: str
    result: BacktestResult
    plot: str | None
    params_from: str = "defaults"  # "defaults" or "champion <version>"
    result_interval: float = 0.8  # the intervals' nominal coverage

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "target_label": self.target_label,
                "params_from": self.params_from, **self.result.to_dict(),
                "verdict": self.verdict(), "plot": self.plot}

    def verdict(self) -> str:
        """One line in words: the model against the creators' own medians, and whether its
        intervals hold."""
        metrics = self.result.metrics.set_index("method")
        if "model" not in metrics.index or "creator_median" not in metrics.index:
            return "not enough data for a verdict"
        model, median = metrics.loc["model"], metrics.loc["creator_median"]
        if not (np.isfinite(model["mae"]) and np.isfinite(median["mae"]) and median["mae"] > 0):
            return "not enough data for a verdict"
        gain = 1 - float(model["mae"]) / float(median["mae"])
        size = ("about the same as" if abs(gain) < 0.01 else
                f"{abs(gain):.0%} {'smaller' if gain >= 0 else 'LARGER'} than")
        text = (f"the model's typical error is {size} expecting each creator's own trailing "
                f"median (MAE {model['mae']:.3f} vs {median['mae']:.3f})")
        covered = model.get("coverage")
        if covered is not None and np.isfinite(covered):
            target = self.result_interval
            state = ("hold" if abs(covered - target) <= 0.05 else
                     "are too narrow" if covered < target else "are wider than needed")
            text += f"; its {target:.0%} intervals {state} ({covered:.0%} of outcomes inside)"
        return text


def evaluate_job(data_dir: str | Path, target: str = "weighted", folds: int = 3,
                 protocol: str = "expanding", plot_path: str | Path | None = None,
                 models_dir: str | Path | None = None,
                 params: dict[str, Any] | None = None,
                 scheduler: str | None = None) -> EvaluateReport:
    """Backtest the model on the store beside the baselines. With ``models_dir`` holding a
    champion, its hyper-parameters and feature configuration are evaluated (on ``target``).
    ``scheduler``: a Dask scheduler address or ``local``: the folds run there, one task each
    (the same numbers as on one machine)."""
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown --protocol {protocol!r}; choose {' or '.join(PROTOCOLS)}")
    if folds < 1:
        raise UsageError(f"--folds {folds} must be at least 1")
    params_from, chosen = _champion_params(models_dir)
    model = EngagementModel(**{**chosen, **(params or {}), "target": target})
    model._validate()
    data = Store(data_dir).load()
    backtest_params = {**model.get_params(), "feature_config": model.config, "n_jobs": 1}
    if scheduler is None:
        table = _table(data, model, protocol, preprocess)
        result = run_backtest(table, backtest_params, protocol, folds, n_jobs=2)
    else:
        from recommender.distributed.cluster import folds_on
        from recommender.distributed.features import table_builder

        with folds_on(scheduler) as client:  # the table and the folds on the cluster
            table = _table(data, model, protocol, table_builder(client))
            result = run_backtest(table, backtest_params, protocol, folds, n_jobs=folds)
    plot = str(_plot(result, Path(plot_path))) if plot_path else None
    return EvaluateReport(target, TARGETS[target].label, result, plot, params_from,
                          model.interval)


def _table(data, model: EngagementModel, protocol: str, build) -> Any:  # type: ignore[no-untyped-def]
    if protocol == "holdout":
        return holdout_table(data, model.config, model.target, build)
    return build(data, model.config, model.target)


def _champion_params(models_dir: str | Path | None) -> tuple[str, dict[str, Any]]:
    from recommender.model.artifact import params_from_manifest, read_manifest
    from recommender.model.registry import champion_info

    info = champion_info(models_dir) if models_dir is not None else None
    if info is None:
        return "defaults", {}
    manifest = read_manifest(Path(models_dir) / str(info["version"]))  # type: ignore[arg-type]
    return f"champion {info['version']}", params_from_manifest(manifest)


def _plot(result: BacktestResult, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = result.metrics
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    colours = ["#2b6cb0" if m == "model" else "#a0aec0" for m in metrics["method"]]
    axes[0].barh(metrics["method"], metrics["mae"], color=colours)
    axes[0].set_xlabel("MAE on the log target (lower is better)")
    axes[0].invert_yaxis()
    axes[1].barh(metrics["method"], metrics["within_creator_spearman"], color=colours)
    axes[1].set_xlabel("mean within-creator Spearman (higher is better)")
    axes[1].invert_yaxis()
    fig.suptitle(f"{result.protocol} backtest, target {result.target}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
