"""The last check before the store: every adapter's rows obey the same limits.

records.py validates the API, scraper and generic columns with row numbers; the personal
export and Studio readers have their own parsers. Whatever an adapter let through, here:
text loses NUL and other control characters; overlong text, impossible durations and
negative counts are nulled and counted per field; a post or trend entry whose time is
unusable (missing, before 2008, after now + 1 day, counts read before the post) is
rejected. Quarantine lines written here carry no record number when the adapter kept none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import schema
from recommender.ingest import cells
from recommender.ingest.base import AdapterResult, Rejects
from recommender.parsing import clip

EARLIEST = pd.Timestamp("2008-01-01", tz="UTC")
TEXT_LIMITS = {"creator": cells.MAX_NAME, "post_id": 200, "sound_id": cells.MAX_NAME,
               "sound_name": cells.MAX_SOUND_NAME, "caption": cells.MAX_CAPTION,
               "name": cells.MAX_SOUND_NAME, "entity_id": cells.MAX_NAME, "region": 16,
               "metric": cells.MAX_NAME}
REQUIRED_TEXT = {"creator", "post_id", "name"}


def guard(result: AdapterResult) -> AdapterResult:
    """``result`` with its posts, trends and side tables inside the limits (in place)."""
    lines: list[dict[str, object]] = []
    nulled = dict(result.nulled_counts)
    sizes = {t: len(f) for t, f in result.tables().items() if not f.empty}
    main = "posts" if "posts" in sizes else max(sizes, key=lambda t: sizes[t], default=None)
    for table, frame in result.tables().items():
        if frame.empty:
            continue
        counted = table == main and len(frame) == result.records_stored
        frame, bad, null_lines = _clean(frame, table, result.source.name,
                                        nulled if counted else {}, counted)
        if counted:
            lines += [_line(result, row, field, why, value) for row, field, why, value in bad]
            result.records_stored -= len(bad)
            if null_lines:
                result.nulled = pd.concat([result.nulled, *null_lines], ignore_index=True)
        setattr(result, table, frame)
    if lines:
        result.rejected = pd.concat([result.rejected, schema.conform(pd.DataFrame(lines),
                                                                     "rejected")],
                                    ignore_index=True)
    result.nulled_counts = dict(sorted(nulled.items()))
    return result


def _line(result: AdapterResult, row: object, field: str, why: str, value: object
          ) -> dict[str, object]:
    return {"file": result.source.name, "row": row, "field": field, "reason": why,
            "value": None if value is None else clip(value)}


def _clean(frame: pd.DataFrame, table: str, name: str, nulled: dict[str, int], counted: bool
           ) -> tuple[pd.DataFrame, list[tuple[object, str, str, object]], list[pd.DataFrame]]:
    """Rows of one table cleaned; rows of a side table (``counted`` false: its rows are not
    the file's records) that break a limit are dropped instead of nulled."""
    frame = frame.copy()
    null_lines: list[pd.DataFrame] = []
    keep = np.ones(len(frame), dtype=bool)
    bad: list[tuple[object, str, str, object]] = []

    def null(mask: np.ndarray, field: str, why: str) -> None:
        mask = mask & keep
        if not mask.any():
            return
        if not counted:
            keep[mask] = False
            return
        nulled[field] = nulled.get(field, 0) + int(mask.sum())
        values = frame.loc[mask, field].map(lambda v: clip(v))
        null_lines.append(schema.conform(pd.DataFrame({
            "file": name, "row": pd.NA, "field": field, "reason": Rejects.NULLED + why,
            "value": values.to_numpy()}), "rejected"))
        frame.loc[mask, field] = None

    def reject(mask: np.ndarray, field: str, why: str) -> None:
        mask = mask & keep
        for value in frame.loc[mask, field]:
            bad.append((pd.NA, field, why, value))
        keep[mask] = False

    for field, limit in TEXT_LIMITS.items():
        if field in frame and pd.api.types.is_string_dtype(frame[field]):
            frame[field] = cells.clean_text(frame[field].astype("string"))
            long = (frame[field].str.len() > limit).fillna(False).to_numpy(dtype=bool)
            if field in REQUIRED_TEXT:
                reject(long, field, f"{field} is longer than {limit} characters")
            else:
                null(long, field, f"{field} is longer than {limit} characters")
    latest = cells.latest_time()
    for field in ("posted_at", "date", "collected_at"):
        if field not in frame:
            continue
        stamps = frame[field]
        outside = (stamps.notna() & ~stamps.between(EARLIEST, latest)).to_numpy(dtype=bool)
        required = (table, field) in {("posts", "posted_at"), ("posts", "collected_at"),
                                      ("trends", "date"), ("account_daily", "date")}
        if required:
            reject(stamps.isna().to_numpy(dtype=bool) | outside, field,
                   f"{field} is missing or out of range (before 2008 or in the future)")
        else:
            null(outside, field, f"{field} is out of range")
    if table == "posts":
        early = (frame["collected_at"] < frame["posted_at"]).fillna(False).to_numpy(dtype=bool)
        reject(early, "collected_at", "collected_at is before posted_at")
        duration = frame["duration_s"].astype("Float64")
        finite = np.isfinite(duration.to_numpy(dtype="float64", na_value=0.0))
        insane = ~finite | (duration > cells.MAX_DURATION_S).fillna(False).to_numpy(dtype=bool)
        null(insane | (duration < 0).fillna(False).to_numpy(dtype=bool), "duration_s",
             "duration_s is not a length between 0 and 4 hours")
        for field in schema.COUNT_COLUMNS + ("followers_at_post", "following_at_post"):
            null((frame[field] < 0).fillna(False).to_numpy(dtype=bool), field,
                 f"{field} is negative")
    for field in ("value", "active_followers", "rank"):
        if field in frame:
            null((frame[field] < 0).fillna(False).to_numpy(dtype=bool), field,
                 f"{field} is negative")
    if table in ("account_daily", "follower_activity"):
        needed = "value" if table == "account_daily" else "active_followers"
        keep &= frame[needed].notna().to_numpy(dtype=bool)
    # The frame is canonical already (adapters conform it); only dropped rows need a reindex.
    return (frame if keep.all() else frame[keep].reset_index(drop=True)), bad, null_lines
