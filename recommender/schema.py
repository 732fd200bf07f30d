"""Canonical tables shared by every stage (see docs/ARCHITECTURE.md).

Each table is a pandas DataFrame with exactly the columns below, in this order, with these
dtypes. ``conform_*`` functions take whatever an adapter built and return the canonical
frame; they never drop rows (validation and quarantine happen in the adapters).
"""

from __future__ import annotations

import pandas as pd

COUNT_COLUMNS = ("views", "likes", "comments", "shares", "saves")

# column -> pandas dtype. Timestamps are tz-aware UTC; ids are strings (TikTok ids exceed 2^53).
POST_SCHEMA: dict[str, str] = {
    "creator": "string",
    "post_id": "string",
    "posted_at": "datetime64[ns, UTC]",
    "caption": "string",
    "hashtags": "object",  # list[str], lower-case, no '#'
    "sound_id": "string",
    "sound_name": "string",
    "sound_is_original": "boolean",
    "duration_s": "Float64",
    "views": "Int64",
    "likes": "Int64",
    "comments": "Int64",
    "shares": "Int64",
    "saves": "Int64",
    "followers_at_post": "Int64",
    "following_at_post": "Int64",
    "collected_at": "datetime64[ns, UTC]",
    "source": "string",
}

TREND_SCHEMA: dict[str, str] = {
    "date": "datetime64[ns, UTC]",  # snapshot time of the list (day lists: 00:00 UTC)
    "kind": "string",  # "hashtag" | "sound"
    "name": "string",  # hashtag: lower-case without '#'; sound: as listed
    "entity_id": "string",  # sound id / hashtag id where known
    "rank": "Int64",
    "score": "Float64",
    "region": "string",
    "source": "string",
}

ACTIVITY_SCHEMA: dict[str, str] = {
    "creator": "string",
    "date": "datetime64[ns, UTC]",  # day of the reading (NaT when only a weekday is known)
    "weekday": "Int64",  # 0 = Monday
    "hour": "Int64",  # 0-23, as exported (time zone undocumented by TikTok)
    "active_followers": "Int64",
    "source": "string",
}

CREATOR_SCHEMA: dict[str, str] = {
    "creator": "string",
    "timezone": "string",  # IANA name, e.g. "Europe/Athens"; "UTC" when unknown
    "updated_at": "datetime64[ns, UTC]",
    "source": "string",
}

# Account-level time series in long format: one row per (creator, day, metric).
# Metrics: followers, following, total_likes, total_videos (profile counts, any source);
# video_views, profile_views, likes, comments, shares (Studio Overview, daily);
# viewers_total, viewers_new, viewers_returning (Studio Viewers, daily).
ACCOUNT_SCHEMA: dict[str, str] = {
    "creator": "string",
    "date": "datetime64[ns, UTC]",  # moment of the reading (daily files: 00:00 UTC of the day)
    "metric": "string",
    "value": "Int64",
    "source": "string",
}

REJECT_SCHEMA: dict[str, str] = {
    "file": "string",
    "row": "Int64",  # 1-based record number inside the file (header not counted)
    "field": "string",
    "reason": "string",
    "value": "string",  # the offending value only, truncated; never the whole record
}

TABLES: dict[str, dict[str, str]] = {
    "posts": POST_SCHEMA,
    "trends": TREND_SCHEMA,
    "follower_activity": ACTIVITY_SCHEMA,
    "creators": CREATOR_SCHEMA,
    "account_daily": ACCOUNT_SCHEMA,
    "rejected": REJECT_SCHEMA,
}

# Natural keys used for idempotent upserts.
KEYS: dict[str, tuple[str, ...]] = {
    "posts": ("creator", "post_id"),
    "trends": ("date", "kind", "name", "region"),
    "follower_activity": ("creator", "date", "weekday", "hour"),
    "creators": ("creator",),
    "account_daily": ("creator", "date", "metric"),
}


# Timestamps outside these bounds cannot be stored at nanosecond precision.
_EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")
_LATEST = pd.Timestamp("2200-01-01", tz="UTC")


def empty(table: str) -> pd.DataFrame:
    """An empty canonical frame for ``table``."""
    schema = TABLES[table]
    return conform(pd.DataFrame({c: [] for c in schema}), table)


def conform(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns (missing ones filled with nulls)."""
    schema = TABLES[table]
    out = pd.DataFrame(index=df.index)
    for col, dtype in schema.items():
        values = df[col] if col in df.columns else pd.Series([None] * len(df), index=df.index)
        out[col] = _cast(values, dtype)
    return out.reset_index(drop=True)


def _cast(values: pd.Series, dtype: str) -> pd.Series:
    if dtype.startswith("datetime64"):
        stamps = pd.to_datetime(values, utc=True, errors="coerce")
        fits = stamps.isna() | ((stamps >= _EARLIEST) & (stamps <= _LATEST))
        return stamps.where(fits).astype("datetime64[ns, UTC]")
    if dtype == "object":
        lists = [list(v) if isinstance(v, (list, tuple)) else _as_list(v) for v in values]
        return pd.Series(lists, index=values.index, dtype=object)
    if dtype in ("Int64", "Float64"):
        return pd.to_numeric(values, errors="coerce").astype(dtype)
    if dtype == "boolean":
        return values.astype("boolean")
    return values.astype(dtype)


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value] if value else []
    try:
        # numpy arrays coming back from Parquet
        return [str(v) for v in list(value)]  # type: ignore[call-overload]
    except TypeError:
        return []
