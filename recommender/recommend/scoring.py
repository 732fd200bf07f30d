"""One vectorised model call for a batch of hypothetical posts: predictions + contributions.

The only place in ``recommend/`` that touches the model's interface, so an interface change
is fixed here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import ModelError
from recommender.recommend.candidates import QUERY_COLUMNS
from recommender.recommend.explain import group_contributions
from recommender.store import StoreData


@dataclass
class Scored:
    """Log-scale predictions (``predicted, low, high, baseline, lift``) for every row; the
    per-group contributions only for the rows that get explained (SHAP values cost ~50x a
    prediction, and most candidates of a suggestion grid are never shown)."""

    pred: pd.DataFrame
    table: pd.DataFrame  # model features, same row order as ``pred``
    model: Any

    def groups_for(self, rows: np.ndarray | list[int] | slice) -> pd.DataFrame:
        """explain.GROUPS columns for ``rows`` (positions), indexed by those positions."""
        part = self.table.iloc[rows]
        try:
            contrib = self.model.contributions(part)
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc
        return group_contributions(contrib.set_axis(np.arange(len(self.table))[rows]))

    @property
    def groups(self) -> pd.DataFrame:
        return self.groups_for(slice(None))


def score_batch(model: Any, queries: pd.DataFrame, data: StoreData) -> Scored:
    """Score ``queries`` (QUERY_COLUMNS, extra columns ignored) in one batch."""
    from recommender.features import featurize

    frame = queries[QUERY_COLUMNS].reset_index(drop=True)
    try:
        table = featurize(data, frame, model.config).reset_index(drop=True)
        pred = model.predict_features(table)
    except (KeyError, ValueError) as exc:
        raise _model_error(exc) from exc
    return Scored(pred=pred.reset_index(drop=True), table=table, model=model)


def _model_error(exc: Exception) -> ModelError:
    return ModelError(f"the model could not score these posts ({exc}); retrain it with "
                      "`recommender train` on this store")


def to_count(log_values: np.ndarray | pd.Series) -> np.ndarray:
    """Log-scale prediction back on the count scale for display."""
    return np.expm1(np.asarray(log_values, dtype="float64"))
