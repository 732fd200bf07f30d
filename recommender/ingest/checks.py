"""Plausibility warnings on one file's posts: data kept, the user told (not rejections).

- likes > views on many posts: the columns are probably swapped or mislabelled;
- the upload time column disagrees with the time inside the video ids (top 32 bits = the
  upload second) by a steady offset: a time zone or a different event (collection, edit);
- the counts were read (``collected_at``) long after the newest post: usually a file
  modification time taken as the collection time, which ages every post and moves the
  "planned from" date of every suggestion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LIKES_OVER_VIEWS_SHARE = 0.05  # a few posts can (views counted late); 5% is not chance
MIN_ROWS = 5
ID_OFFSET_HOURS = 1.0
COLLECTED_AFTER_DAYS = 180


def warnings_for(posts: pd.DataFrame) -> list[str]:
    if posts.empty:
        return []
    found = [_likes_over_views(posts), _id_time_offset(posts), _late_collection(posts)]
    return [w for w in found if w]


def _likes_over_views(posts: pd.DataFrame) -> str | None:
    both = posts["likes"].notna() & posts["views"].notna()
    if int(both.sum()) < MIN_ROWS:
        return None
    over = (posts.loc[both, "likes"] > posts.loc[both, "views"]).astype(bool)
    share = float(over.mean())
    if share <= LIKES_OVER_VIEWS_SHARE:
        return None
    return (f"likes exceed views on {int(over.sum())} of {int(both.sum())} posts "
            f"({share:.0%}): check that the likes and views columns are what they say")


def _id_time_offset(posts: pd.DataFrame) -> str | None:
    ids = posts["post_id"].astype("string")
    numeric = ids.str.fullmatch(r"\d{15,25}").fillna(False).to_numpy(dtype=bool)
    if numeric.sum() < MIN_ROWS:
        return None
    seconds = np.array([int(v) >> 32 for v in ids[numeric]], dtype="float64")
    posted = posts.loc[numeric, "posted_at"]
    stated = (posted - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    plausible = (seconds > 1.2e9) & np.isfinite(stated)
    if plausible.sum() < MIN_ROWS:
        return None
    offsets = (stated - seconds)[plausible]
    if np.all(np.abs(offsets) < 1.0):  # the times were taken from the ids themselves
        return None
    median = float(np.median(offsets)) / 3600.0
    if abs(median) < ID_OFFSET_HOURS:
        return None
    size = f"{median / 24:+.1f} days" if abs(median) >= 48 else f"{median:+.1f} h"
    return (f"the upload times differ from the times in the video ids by a median of {size} "
            f"({int(plausible.sum())} posts): check the time column's zone and meaning")


def _late_collection(posts: pd.DataFrame) -> str | None:
    newest = posts["posted_at"].max()
    collected = posts["collected_at"].max()
    if pd.isna(newest) or pd.isna(collected):
        return None
    gap = (collected - newest).days
    if gap <= COLLECTED_AFTER_DAYS:
        return None
    return (f"the counts are dated {collected:%Y-%m-%d} (collected_at), {gap:,} days after "
            f"the newest post ({newest:%Y-%m-%d}): if that is a file time, pass "
            "--collected-at with the real collection date")
