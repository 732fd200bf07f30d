"""Time family: local hour / weekday in the creator's zone and posting cadence.

``local_hour`` and ``local_weekday`` (0 = Monday) are whole numbers the model may treat as
categories; ``hour_of_week`` (0..167, Monday 00h = 0) lets trees find weekday-specific slots.
Cadence uses the creator's own earlier posts only (strictly before the row).
"""

from __future__ import annotations

import zoneinfo

import numpy as np
import pandas as pd

from recommender.features.config import FeatureConfig
from recommender.features.context import (
    NS_PER_DAY,
    NS_PER_HOUR,
    Context,
    asof_before,
    creator_counts,
)
from recommender.store import timezone_lookup

CATEGORICAL = ["local_hour", "local_weekday"]


def names(config: FeatureConfig) -> list[str]:
    return ["local_hour", "local_weekday", "hour_of_week", "hours_since_prev",
            f"posts_last{config.cadence_days}d"]


def compute(ctx: Context) -> dict[str, np.ndarray]:
    hour, weekday = local_clock(ctx, "queries")
    prev_hours, recent = _cadence(ctx)
    return {
        "local_hour": hour,
        "local_weekday": weekday,
        "hour_of_week": weekday * 24 + hour,
        "hours_since_prev": prev_hours,
        f"posts_last{ctx.config.cadence_days}d": recent,
    }


def local_clock(ctx: Context, rows: str) -> tuple[np.ndarray, np.ndarray]:
    """Local hour and weekday of each row of ``ctx.queries`` or ``ctx.local`` (``rows``);
    computed once (for training both are the same posts)."""
    frame = ctx.queries if rows == "queries" else ctx.local
    name = "local_clock_local" if frame is ctx.local else "local_clock_queries"
    def build() -> tuple[np.ndarray, np.ndarray]:
        zones = timezone_lookup(ctx.data.creators)
        by_code = np.array([zones.get(c, "UTC") for c in ctx.creator_codes], dtype="object")
        return _clock(by_code[frame["ckey"].to_numpy()], frame["t"].to_numpy())
    if frame is ctx.local:
        return ctx.store_cached(name, build)
    return ctx.cached(name, build)


def _clock(zone: np.ndarray, t_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local hour and weekday of UTC nanoseconds ``t_ns`` in per-row zones ``zone``."""
    hour, weekday = np.full(len(t_ns), np.nan), np.full(len(t_ns), np.nan)
    for name in pd.unique(zone):
        mask = zone == name
        stamps = pd.DatetimeIndex(pd.to_datetime(t_ns[mask], utc=True)).tz_convert(_zone(name))
        # One conversion to wall-clock nanoseconds; the fields are then arithmetic
        # (1970-01-01 was a Thursday: weekday 3 with Monday = 0).
        wall = stamps.tz_localize(None).asi8
        hour[mask] = (wall // NS_PER_HOUR) % 24
        weekday[mask] = (wall // NS_PER_DAY + 3) % 7
    return hour, weekday


def _zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"  # a zone the ingest could not vouch for: UTC rather than a crash
    return name


def _cadence(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Hours since the creator's previous post and its posts in the trailing window."""
    counts = creator_counts(ctx)
    key, t = ctx.queries["ckey"].to_numpy(), ctx.queries["t"].to_numpy()
    now = asof_before(key, t, counts, ["count", "t_post"])
    window = ctx.config.cadence_days * NS_PER_DAY
    before = asof_before(key, t - window, counts, ["count"])["count"]
    n_now = np.nan_to_num(now["count"], nan=0.0)
    recent = n_now - np.nan_to_num(before, nan=0.0)
    return (t - now["t_post"]) / NS_PER_HOUR, recent
