"""Split-conformal intervals of ``EngagementModel``: calibrated per history bucket and
distance from the creator's last known outcome, optionally in units of each row's scale.

``fit`` trains a model on all but each creator's latest rows (``latest_per_creator``) and
calls ``conformal`` with it; ``bounds`` reads the table back at prediction time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender.features import level
from recommender.features.context import NS_PER_DAY, to_ns
from recommender.features.history import DISTANCE
from recommender.model import staleness

HISTORY_BUCKETS = (0, 5, 20)  # n_prev_posts lower edges: cold, short, established
# Posts since the creator's last known outcome + 1, lower edges (1 = the very next post).
DISTANCE_BUCKETS = (1, 2, 4, 8)
MAX_DISTANCE = 12
MIN_SCALE = 0.05  # a trailing spread below this (identical outcomes) is no spread to scale by
MIN_POOL = 30  # residuals a bucket needs before it stands on its own


def conformal(model: Any, table: pd.DataFrame, calibration: np.ndarray, early: Any
              ) -> pd.DataFrame:
    """Residual quantiles per history bucket x distance from the last known outcome.

    A post predicted k posts after its creator's last known outcome (a fixed-origin
    hold-out, or the posts still unsettled at suggest time) sees the creator's track
    record as it was k - 1 posts earlier. The calibration rows (each creator's latest
    20%, as a hold-out and the next posts are; scored by ``early``, a booster fitted on the
    rest) replay that: their level and outcome-history features swapped for those of the
    creator's post k - 1 posts before, k = 1..MAX_DISTANCE, so the intervals widen as the
    creator drifts from what was last known."""
    unit = _unit(model, table) if getattr(model, "scaled_intervals", False) else None
    pool = _replayed_residuals(model, table, calibration, early, unit)
    alpha = (1 - model.interval) / 2
    rows = []
    for edge in HISTORY_BUCKETS:
        for far in DISTANCE_BUCKETS:
            at = pool["distance"] == far
            mine = pool.loc[at & (pool["history"] == edge), "residual"]
            # Too few: pool the history buckets at this distance, then everything.
            source = next((r for r in (mine, pool.loc[at, "residual"], pool["residual"])
                           if len(r) >= MIN_POOL), pool["residual"])
            rows.append({"min_prev_posts": edge, "min_distance": far,
                         "low": float(np.quantile(source, alpha)),
                         "high": float(np.quantile(source, 1 - alpha)),
                         "n": int(len(mine))})
    out = pd.DataFrame(rows)
    if unit is not None:
        out["unit"] = unit
    return out


def _replayed_residuals(model: Any, table: pd.DataFrame, calibration: np.ndarray,
                        early: Any, unit: float | None) -> pd.DataFrame:
    stale_columns = staleness.outcome_columns(table)
    level_columns = [c for c in level.COLUMNS if c in table]
    creator = table["creator"].astype(str).to_numpy()
    y = table["y"].to_numpy(dtype="float64")[calibration]
    history = history_bucket(table[calibration])
    late = table[calibration].reset_index(drop=True)
    grouped = table[stale_columns].groupby(creator)
    times = pd.Series(to_ns(table["posted_at"]).astype("float64"))
    grouped_t = times.groupby(creator)
    now = times[calibration].to_numpy()
    parts = []
    for shift in range(MAX_DISTANCE):
        replay = late.copy()
        replay[stale_columns] = grouped.shift(shift)[calibration].to_numpy()
        if level_columns and shift:
            then = grouped_t.shift(shift)[calibration].to_numpy(dtype="float64")
            replay = level.advance(replay, (now - then) / NS_PER_DAY)
        residual = y - (model._offset(replay) + model.tree_part(replay, model.n_jobs, early))
        residual = residual / row_scale(model, replay, unit)
        ok = np.isfinite(residual) & replay["baseline"].notna().to_numpy()
        if shift == 0:
            ok = np.isfinite(residual)  # the rows as they are, new creators included
        parts.append(pd.DataFrame({"history": history[ok], "distance": distance_bucket(
            np.full(int(ok.sum()), shift + 1)), "residual": residual[ok]}))
    return pd.concat(parts, ignore_index=True)


def _unit(model: Any, table: pd.DataFrame) -> float:
    """The scale of rows without a track record of their own: the median row's."""
    scale = row_scale(model, table, np.nan)
    finite = scale[np.isfinite(scale)]
    return float(np.median(finite)) if len(finite) else 1.0


def row_scale(model: Any, table: pd.DataFrame, unit: float | None) -> np.ndarray:
    """Each row's interval scale (log scale; 1 for unscaled intervals): the spread of
    its creator's recent outcomes (trailing std) and the level's own uncertainty
    (``level_sd``, growing with distance from the last known outcome) combined, ``unit``
    where the creator has too few known outcomes for a spread."""
    if unit is None:
        return np.ones(len(table))
    spread = f"eng_std_last{model.config.baseline_window}"
    sd = (table[spread].to_numpy(dtype="float64") if spread in table
          else np.full(len(table), np.nan))
    own = (table["level_sd"].fillna(0).to_numpy(dtype="float64") if "level_sd" in table
           else np.zeros(len(table)))
    scale = np.sqrt(sd * sd + own * own)
    return np.where(np.isfinite(scale) & (scale > MIN_SCALE), scale, unit)


def bounds(model: Any, table: pd.DataFrame, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``model.intervals_`` read for each row of ``table`` around ``pred`` (log scale)."""
    offsets = model.intervals_.set_index(["min_prev_posts", "min_distance"])
    far = (table[DISTANCE].fillna(0).to_numpy(dtype="float64") + 1 if DISTANCE in table
           else np.ones(len(table)))
    known = table["n_prev_posts"].fillna(0).to_numpy(dtype="float64") - (far - 1)
    keys = pd.MultiIndex.from_arrays([history_bucket(table), distance_bucket(far)])
    # Scaled intervals (``unit`` in the table): quantiles in units of each row's scale.
    unit = float(model.intervals_["unit"].iloc[0]) if "unit" in model.intervals_ else None
    scale = row_scale(model, table, unit)
    low = pred + scale * offsets["low"].reindex(keys).to_numpy()
    high = pred + scale * offsets["high"].reindex(keys).to_numpy()
    # Nothing known of the creator's own outcomes: no narrower than any interval here.
    unknown = known <= 0
    low[unknown] = pred[unknown] + scale[unknown] * float(offsets["low"].min())
    high[unknown] = pred[unknown] + scale[unknown] * float(offsets["high"].max())
    return low, high


def latest_per_creator(table: pd.DataFrame, share: float, min_rest: int) -> np.ndarray:
    """Each creator's latest ``share`` of rows (creators with 5+ rows; ``table`` in time
    order), or the latest ``share`` of all rows where that leaves fewer than ``min_rest``
    rows to fit on."""
    order = table.groupby("creator", sort=False).cumcount().to_numpy()
    size = table.groupby("creator", sort=False)["y"].transform("size").to_numpy()
    mask = (order >= size - np.ceil(size * share - 1e-9)) & (size >= 5)
    if (~mask).sum() < min_rest or mask.sum() < 10:
        mask = np.arange(len(table)) >= int(len(table) * (1 - share))
    return mask


def distance_bucket(distance: np.ndarray) -> np.ndarray:
    edges = np.asarray(DISTANCE_BUCKETS, dtype="float64")
    value = np.maximum(np.asarray(distance, dtype="float64"), 1.0)
    return edges[np.searchsorted(edges, value, side="right") - 1].astype(int)


def history_bucket(table: pd.DataFrame) -> np.ndarray:
    previous = table["n_prev_posts"].fillna(0).to_numpy(dtype="float64")
    edges = np.asarray(HISTORY_BUCKETS, dtype="float64")
    return edges[np.searchsorted(edges, previous, side="right") - 1].astype(int)
