"""Simple baselines every evaluation is shown beside.

All are "as of" each post: they use only the creator's earlier posts in the table, exactly
like the model's features, so the comparison is fair.
- ``creator_median``: the creator's trailing median (the feature pipeline's ``baseline``);
- ``hour_of_week``: the mean of the creator's earlier posts in the same local hour of the
  week, falling back to the trailing median when that slot is empty (what schedulers do);
- ``previous_post``: the outcome of the creator's previous post.
Without any history, each falls back to the median outcome of the training rows. With
``known`` (a fixed-origin hold-out), only the known rows' outcomes feed the baselines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASELINES = ("creator_median", "hour_of_week", "previous_post")


def baseline_predictions(table: pd.DataFrame, fallback: float,
                         known: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Predictions of each baseline for every row of a time-ordered training table;
    ``known`` (per row): whose outcomes the baselines may use (default: every row's)."""
    known_y = table["y"].astype("float64")
    if known is not None:
        known_y = known_y.where(np.asarray(known, dtype=bool))
    ordered = table.assign(_known_y=known_y).sort_values("posted_at", kind="stable")
    creator = ordered["creator"].astype(str)
    y = ordered["_known_y"]
    median = ordered["baseline"].astype("float64")
    slot = ordered["hour_of_week"] if "hour_of_week" in ordered else _how(ordered)
    keys = [creator, slot.to_numpy()]
    seen = y.notna().astype("float64")
    total = y.fillna(0.0).groupby(keys).cumsum() - y.fillna(0.0)
    count = seen.groupby(keys).cumsum() - seen
    slot_mean = total / count.replace(0, np.nan)
    previous = y.groupby(creator).shift(1).groupby(creator).ffill()
    out = {
        "creator_median": median.fillna(fallback),
        "hour_of_week": slot_mean.fillna(median).fillna(fallback),
        "previous_post": previous.fillna(median).fillna(fallback),
    }
    return {name: series.reindex(table.index).to_numpy() for name, series in out.items()}


def _how(table: pd.DataFrame) -> pd.Series:
    return table["local_weekday"].astype("float64") * 24 + table["local_hour"].astype("float64")
