"""The creator's level moved with the audience grown since the level was earned.

The trailing median (``baseline``) is the creator's usual outcome over the last N settled
posts, earned with the followers those posts went out to. A post that goes out to a larger
audience reaches more people: the level it is predicted from is

    baseline + elasticity x growth,   growth = followers_log - baseline_followers_log

(log scale; ``baseline_followers_log`` is the mean log follower count at the baseline's
posts, ``followers_log`` the latest reading strictly before the post). Both are readings a
post may see (ARCHITECTURE, "what a post may see"). A frozen track record (a fixed-origin
hold-out, posts still unsettled at suggest time) keeps its baseline followers while the
follower count moves on, so the level follows an account that keeps growing after its last
known outcome instead of lagging it.

The elasticity is one number per model, pooled over creators. Within one store the
within-creator slope is barely identified (followers move a few percent between the
baseline's posts and the next one; its standard error was 0.4-1.4 on generated stores of
10-20 creators), so it is combined, by precision, with the between-creator slope of the
level on the baseline's followers (one point per creator: how engagement scales with
audience size across the store), and clipped to [0, 1]: engagement does not fall as an
audience grows, nor grow faster than it. With fewer than MIN_CREATORS creators with
follower readings the elasticity is 0 and the level is the trailing median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features.history import BASELINE_FOLLOWERS

MIN_CREATORS = 5
# A reading more than e-fold away from the baseline's followers is more likely a mixed-up
# account than growth; the level moves at most that far.
MAX_GROWTH = 1.0


def growth(table: pd.DataFrame) -> np.ndarray:
    """Log follower growth since the baseline's posts (0 where either reading is missing)."""
    if BASELINE_FOLLOWERS not in table or "followers_log" not in table:
        return np.zeros(len(table))
    g = (table["followers_log"].to_numpy(dtype="float64", na_value=np.nan)
         - table[BASELINE_FOLLOWERS].to_numpy(dtype="float64", na_value=np.nan))
    return np.clip(np.nan_to_num(g, nan=0.0), -MAX_GROWTH, MAX_GROWTH)


def fit_elasticity(table: pd.DataFrame) -> float:
    """The pooled elasticity of the level to follower growth (see the module docstring)
    from ``table``'s settled training rows (``y``, ``baseline``, the follower columns)."""
    if BASELINE_FOLLOWERS not in table or "followers_log" not in table:
        return 0.0
    base = table[BASELINE_FOLLOWERS].to_numpy(dtype="float64", na_value=np.nan)
    level = table["baseline"].to_numpy(dtype="float64", na_value=np.nan)
    known = np.isfinite(base) & np.isfinite(level)
    rows = table[known]
    if rows["creator"].nunique() < MIN_CREATORS:
        return 0.0
    estimates = [e for e in (_between(rows), _within(rows)) if e is not None]
    if not estimates:
        return 0.0
    slopes, variances = np.array(estimates).T
    combined = float(np.sum(slopes / variances) / np.sum(1.0 / variances))
    return float(np.clip(combined, 0.0, 1.0))


def _between(rows: pd.DataFrame) -> tuple[float, float] | None:
    """Slope (and its variance) of the level on the baseline's followers across creators,
    each at its latest row."""
    latest = rows.groupby(rows["creator"].astype(str).to_numpy(), sort=False).tail(1)
    return _ols(latest[BASELINE_FOLLOWERS].to_numpy(dtype="float64"),
                latest["baseline"].to_numpy(dtype="float64"))


def _within(rows: pd.DataFrame) -> tuple[float, float] | None:
    """Slope (and its variance) of the outcome's departure from the baseline on the growth
    since the baseline's posts, over every row."""
    followers = rows["followers_log"].to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(followers)
    departure = (rows["y"].to_numpy(dtype="float64") - rows["baseline"].to_numpy(dtype="float64"))
    return _ols(growth(rows)[ok], departure[ok])


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    spread = float(np.sum((x - x.mean()) ** 2)) if len(x) else 0.0
    if len(x) < MIN_CREATORS or spread <= 1e-12:
        return None
    slope = float(np.sum((x - x.mean()) * (y - y.mean())) / spread)
    residual = y - y.mean() - slope * (x - x.mean())
    variance = float(np.sum(residual ** 2) / (len(x) - 2) / spread)
    return (slope, variance) if variance > 0 else None
