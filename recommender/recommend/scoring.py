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
from recommender.recommend.explain import ACTIONABLE, GROUPS, feature_group, group_contributions
from recommender.store import StoreData

SHAP_MAX_ROWS = 20_000  # above this, group effects by ablation (see ``groups_for``)


@dataclass
class Scored:
    """Log-scale predictions (``predicted, low, high, baseline, lift``) for every row; the
    per-group contributions only for the rows that get explained (SHAP values cost ~100x a
    prediction, and most candidates of a suggestion grid are never shown)."""

    pred: pd.DataFrame
    table: pd.DataFrame  # model features, same row order as ``pred``
    model: Any

    def groups_for(self, rows: np.ndarray | list[int] | slice) -> pd.DataFrame:
        """explain.GROUPS columns for ``rows`` (positions), indexed by those positions.

        Up to SHAP_MAX_ROWS rows: LightGBM's exact per-feature contributions (SHAP), summed
        per group. SHAP costs ~100x a prediction (a 100k-row plan took minutes), so larger
        batches get each actionable group's effect by ablation instead: the prediction minus
        the prediction with that group's features set to a typical post's (the batch's
        per-feature medians), one extra prediction pass per group."""
        part = self.table.iloc[rows]
        index = np.arange(len(self.table))[rows]
        try:
            if len(part) > SHAP_MAX_ROWS:
                return _ablation_groups(self.model, part).set_axis(index)
            contrib = self.model.contributions(part)
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc
        return group_contributions(contrib.set_axis(index))


    def only_group_varies(self, group: str, base: int, rows: np.ndarray) -> np.ndarray:
        """Log predictions of row ``base`` with just ``group``'s features taken from each
        of ``rows`` (positions): what changing only that decision is worth, one cheap
        prediction per row where SHAP would cost ~100x."""
        columns = [c for c in self.table.columns if feature_group(str(c)) == group]
        variant = self.table.iloc[np.repeat(base, len(rows))].reset_index(drop=True)
        if columns:
            variant[columns] = self.table[columns].iloc[rows].to_numpy()
        try:
            return self.model.predict_features(variant)["predicted"].to_numpy()
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc


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


def _ablation_groups(model: Any, table: pd.DataFrame) -> pd.DataFrame:
    matrix = model._matrix(table)
    full = model.booster_.predict(matrix)
    typical = matrix.median(skipna=True)
    out = pd.DataFrame(0.0, index=table.index, columns=list(GROUPS))
    for group in ACTIONABLE:
        columns = [c for c in matrix.columns if feature_group(str(c)) == group]
        if not columns:
            continue
        ablated = matrix.copy()
        ablated[columns] = typical[columns].to_numpy()
        out[group] = full - model.booster_.predict(ablated)
    out["history"] = full - out[list(ACTIONABLE)].sum(axis=1)
    return out


def _model_error(exc: Exception) -> ModelError:
    return ModelError(f"the model could not score these posts ({exc}); retrain it with "
                      "`recommender train` on this store")


def to_count(log_values: np.ndarray | pd.Series) -> np.ndarray:
    """Log-scale prediction back on the count scale for display."""
    return np.expm1(np.asarray(log_values, dtype="float64"))
