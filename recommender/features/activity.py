"""Follower-activity family: how many followers are usually online at the row's hour.

The creator's mean active followers per hour over every reading in ``follower_activity``,
divided by the creator's busiest hour (1.0 = peak hour). TikTok does not document the zone
of the exported hours; by default they are read as UTC hours (the common reading), or as
the creator's local hours with ``activity_hours_local=True``. The table is a recent
snapshot used as a standing property of the creator's audience (it is not a post outcome).
NaN without readings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features.config import FeatureConfig
from recommender.features.context import NS_PER_HOUR, Context


def names(config: FeatureConfig) -> list[str]:
    return ["follower_activity_at_hour"]


def compute(ctx: Context, local_hour: np.ndarray) -> dict[str, np.ndarray]:
    q = ctx.queries
    out = np.full(len(q), np.nan)
    profile = ctx.store_cached("activity_profile", lambda: _profile(ctx))
    if profile.empty:
        return {"follower_activity_at_hour": out}
    utc_hour = (q["t"].to_numpy() // NS_PER_HOUR) % 24
    hour = local_hour if ctx.config.activity_hours_local else utc_hour
    wanted = pd.MultiIndex.from_arrays([q["ckey"].to_numpy(), np.nan_to_num(hour, nan=-1)
                                        .astype("int64")])
    out[:] = profile.reindex(wanted).to_numpy(dtype="float64")
    return {"follower_activity_at_hour": out}


def _profile(ctx: Context) -> pd.Series:
    """(ckey, hour) -> mean active followers / the creator's max over hours."""
    table = ctx.data.follower_activity
    table = table[table["creator"].isin(ctx.query_creators) & table["hour"].notna()
                  & table["active_followers"].notna()]
    if table.empty:
        return pd.Series(dtype="float64")
    frame = pd.DataFrame({
        "ckey": table["creator"].map(ctx.creator_codes).to_numpy(dtype="int64"),
        "hour": table["hour"].to_numpy(dtype="int64") % 24,
        "value": table["active_followers"].to_numpy(dtype="float64"),
    })
    mean = frame.groupby(["ckey", "hour"])["value"].mean()
    peak = mean.groupby(level="ckey").transform("max")
    return (mean / peak.where(peak > 0)).astype("float64")
