"""Training rows that see their creator's track record as it was k posts earlier.

A post predicted k posts after its creator's last known outcome (the posts still unsettled
at ``suggest`` time, or a fixed-origin hold-out's k-th post after the cut) sees outcome
history frozen k - 1 posts back, while every training row of ``preprocess`` sees all the
outcomes before it (k = 1). Trees trained on those rows only never learn how a frozen track
record drifts from what follows (a growing account's level falls behind). ``stale_copy``
adds, for each training row, a copy whose outcome-fed columns (trailing statistics, the
trailing median, the level filter's state carried forward to the row's time) are those of
the same creator's post k posts earlier, k drawn uniformly from 1..``max_shift``; every
other feature (content, timing, cadence, followers: known at prediction time) and the
outcome stay the row's own. Nothing later than the row is seen: the copy knows less than
the row does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features import level
from recommender.features.context import NS_PER_DAY, to_ns
from recommender.features.history import BASELINE_FOLLOWERS, DISTANCE


def outcome_columns(table: pd.DataFrame) -> list[str]:
    """The columns fed by earlier outcomes (what a frozen track record freezes)."""
    return ["baseline", *[c for c in table.columns if c.startswith("eng_")],
            *[c for c in (BASELINE_FOLLOWERS,) if c in table],
            *[c for c in level.COLUMNS if c in table]]


def stale_copy(table: pd.DataFrame, max_shift: int, seed: int = 0) -> pd.DataFrame:
    """One stale copy of each row of ``table`` (in time order) with at least k earlier rows
    of its creator; see the module docstring."""
    if max_shift < 1 or table.empty:
        return table.iloc[:0]
    rng = np.random.default_rng(seed)
    creator = table["creator"].astype(str).to_numpy()
    order = np.lexsort((np.arange(len(table)), creator))  # by creator, then table order
    ranked = creator[order]
    position = np.arange(len(table)) - np.searchsorted(ranked, ranked, side="left")
    shift = rng.integers(1, max_shift + 1, len(table))
    ok = position >= shift
    rows = order[ok]
    earlier = order[np.flatnonzero(ok) - shift[ok]]
    out = table.iloc[rows].copy()
    columns = outcome_columns(table)
    out[columns] = table.iloc[earlier][columns].to_numpy()
    if DISTANCE in out:
        out[DISTANCE] = out[DISTANCE].to_numpy(dtype="float64") + shift[ok]
    if "level" in out:
        t = to_ns(table["posted_at"]).astype("float64")
        out = level.advance(out, (t[rows] - t[earlier]) / NS_PER_DAY)
    return out


def frozen_at_first(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``table[rows]`` (in time order) with each creator's outcome-fed columns frozen at
    that creator's first row among ``rows``: the k-th row sees the track record k - 1 rows
    back, as a fixed-origin hold-out's k-th post after the cut does."""
    out = table[rows].copy()
    if out.empty:
        return out
    creator = out["creator"].astype(str)
    first = out.index.to_series().groupby(creator.to_numpy(), sort=False).transform("first")
    k = creator.groupby(creator, sort=False).cumcount().to_numpy()
    columns = outcome_columns(table)
    out[columns] = out.loc[first.to_numpy(), columns].to_numpy()
    if DISTANCE in out:
        out[DISTANCE] = out.loc[first.to_numpy(), DISTANCE].to_numpy(dtype="float64") + k
    if "level" in out:
        t = to_ns(out["posted_at"]).astype("float64")
        origin = to_ns(out.loc[first.to_numpy(), "posted_at"]).astype("float64")
        out = level.advance(out, (t - origin) / NS_PER_DAY)
    return out
