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
    """Log-scale predictions (``predicted, low, high, baseline, lift``) and group parts."""

    pred: pd.DataFrame
    groups: pd.DataFrame  # explain.GROUPS columns, same row order as ``pred``


def score_batch(model: Any, queries: pd.DataFrame, data: StoreData) -> Scored:
    """Score ``queries`` (QUERY_COLUMNS, extra columns ignored) in one batch."""
    frame = queries[QUERY_COLUMNS].reset_index(drop=True)
    try:
        pred, contrib = _predict(model, frame, data)
    except (KeyError, ValueError) as exc:
        raise ModelError(
            f"the model could not score these posts ({exc}); retrain it with "
            "`recommender train` on this store"
        ) from exc
    pred = pred.reset_index(drop=True)
    groups = group_contributions(contrib.reset_index(drop=True))
    return Scored(pred=pred, groups=groups)


def _predict(model: Any, frame: pd.DataFrame, data: StoreData
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from recommender.features import featurize

    table = featurize(data, frame, model.config)
    pred = model.predict(frame, data)
    contrib = model.contributions(table)
    return pred, contrib


def to_count(log_values: np.ndarray | pd.Series) -> np.ndarray:
    """Log-scale prediction back on the count scale for display."""
    return np.expm1(np.asarray(log_values, dtype="float64"))
