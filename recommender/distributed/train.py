"""The trees of ``EngagementModel`` trained by LightGBM's own distributed training.

``lightgbm.dask.DaskLGBMRegressor`` runs one LightGBM process per worker holding a part
of the rows (data-parallel: feature histograms are summed over the network), so the rows
never meet on one machine. Everything around the trees is as on one machine: the level
(the creator's trailing median), the timing profile and the conformal intervals are fitted
on the client from the training table, and the artifact is the same plain-file model
directory (LightGBM's text model, manifest, Parquet lookups): ``load_model`` reads it
without knowing where it was trained.

Not bit-identical to one machine: each worker finds its features' bin edges on its own
rows, and bagging draws per worker, so the trees differ a little. The tests pin the
difference of the predictions (log scale) on the training rows: ``TOLERANCE_SHARE_OF_MAE``.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from recommender.distributed import cluster
from recommender.model.estimator import PATIENCE, EngagementModel, stopping_round

# The stated tolerance: on the same rows, the mean |log prediction difference| to the
# single-machine model is at most this share of the single-machine model's own mean
# absolute error there (the distributed trees are a re-draw well inside the model's error).
TOLERANCE_SHARE_OF_MAE = 0.15
# lightgbm.dask's sklearn-style names for parameters EngagementModel gives LightGBM itself.
_RENAMED = {"seed": "random_state", "num_threads": "n_jobs"}


def lightgbm_dask() -> ModuleType:
    """``lightgbm.dask``; where LightGBM was first imported with scikit-learn hidden (the
    fast path of ``model._lgb``), its scikit-learn wrappers are re-imported with it."""
    module = sys.modules.get("lightgbm")
    if module is not None and not module.compat.SKLEARN_INSTALLED:
        import sklearn  # noqa: F401 - present: lightgbm's compat module looks for it

        importlib.reload(module.compat)
        importlib.reload(module.sklearn)
        if "lightgbm.dask" in sys.modules:
            importlib.reload(sys.modules["lightgbm.dask"])
    import lightgbm.dask

    return lightgbm.dask


class DaskTrees(EngagementModel):
    """An EngagementModel whose ``_train`` runs on the cluster ``client`` talks to."""

    def __init__(self, client: Any, **params: Any) -> None:
        super().__init__(**params)
        self._client = client

    def _train(self, table: pd.DataFrame,  # type: ignore[no-untyped-def]
               valid: pd.DataFrame | None = None):
        """The trees on the cluster; with ``valid`` and ``early_stopping``, the rounds are
        chosen as locally (``lightgbm.dask`` has no early-stopping callback: it trains
        the cap and the same stopping rule is read off its validation curve)."""
        import dask
        import dask.dataframe as dd

        ld = lightgbm_dask()
        # Workers that ran backtest folds imported LightGBM lean too (``model._lgb``).
        self._client.run(_ready_on_worker)
        table = self._training_rows(table)
        label = self._label(table)
        matrix = self._matrix(table).reset_index(drop=True)
        workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        with dask.config.set({"dataframe.convert-string": False}):
            x = dd.from_pandas(matrix, npartitions=workers, sort=False)
            y = dd.from_pandas(pd.Series(label, name="label"), npartitions=workers,
                               sort=False)
        params = {_RENAMED.get(k, k): v for k, v in self.lgb_params().items()}
        params.pop("n_jobs")  # lightgbm.dask sets each worker's threads itself
        stopping = self._stops_early(valid)
        fit_args: dict[str, Any] = {}
        if stopping:
            assert valid is not None
            held = self._matrix(valid).reset_index(drop=True)
            held_y = self._label(valid)
            with dask.config.set({"dataframe.convert-string": False}):
                fit_args["eval_set"] = [(
                    dd.from_pandas(held, npartitions=workers, sort=False),
                    dd.from_pandas(pd.Series(held_y, name="label"), npartitions=workers,
                                   sort=False))]
            fit_args["eval_metric"] = "l1"
        regressor = ld.DaskLGBMRegressor(
            client=self._client,
            n_estimators=self.n_estimators if stopping else self.rounds(), **params)
        try:
            with warnings.catch_warnings():  # it always sees the sklearn default n_jobs
                warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
                regressor.fit(x, y, categorical_feature=self.categorical_features_, **fit_args)
        except Exception as exc:
            _raise_cluster_error(exc)
        if stopping:
            curve = next(iter(regressor.evals_result_.values()))["l1"]
            self.n_rounds_ = stopping_round(curve, PATIENCE)
            regressor.booster_.best_iteration = self.n_rounds_
        return regressor.booster_


def _ready_on_worker() -> bool:
    lightgbm_dask()
    return True


def _raise_cluster_error(exc: Exception) -> None:
    from distributed import KilledWorker

    from recommender.errors import ClusterError, TrainingError

    if isinstance(exc, KilledWorker):
        raise ClusterError(f"train: a worker died during LightGBM's distributed training "
                           f"({exc}); LightGBM cannot resume a lost worker, so run again "
                           "(on workers with more memory)") from exc
    if isinstance(exc, (OSError, TimeoutError)):
        raise ClusterError(f"train: the Dask cluster failed during training "
                           f"({type(exc).__name__}: {exc}); check the workers and run "
                           "again") from exc
    raise TrainingError(f"train: LightGBM's distributed training failed "
                        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
                        ) from exc


@contextlib.contextmanager
def on_cluster(model: EngagementModel, address: str) -> Iterator[EngagementModel]:
    """``model``'s parameters, its trees trained on the cluster at ``address``; within,
    joblib's ``Parallel`` (the backtest folds) runs there too."""
    from joblib import parallel_config

    with cluster.connect(address) as client, parallel_config(backend="dask"):
        params = {**model.get_params(), "n_jobs": model.n_jobs,
                  "feature_config": model.feature_config}
        yield DaskTrees(client, **params)


def prediction_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two log-scale predictions (what the tolerance bounds)."""
    return float(np.mean(np.abs(np.asarray(a, dtype="float64") - np.asarray(b, "float64"))))
