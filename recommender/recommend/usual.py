"""The creator's usual post: the one reference every lift and reason is measured against.

"Your usual post" = the creator's most used local hour (ties: the earlier hour), their four
most used hashtags that are still current (someone in the store used them within
``STALE_TAG_DAYS``; ties: first used first), the original sound, their median video length
(rounded to the second; 30 s without one) and their latest caption without its hashtags.
``suggest`` (one creator) and ``score`` (every creator of a plan at once) both build it
here, so "lift" means the same thing in both: the choice vs that usual post, predicted now.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

STALE_TAG_DAYS = 60  # a tag nobody in the store used for this long is not current
DEFAULT_HOUR = 19
DEFAULT_DURATION_S = 30.0
USUAL_TAGS = 4
_TAG = re.compile(r"#\w+")
PROFILE_COLUMNS = ["n_posts", "usual_hour", "usual_tags", "median_duration", "caption"]


def current_tags(posts: pd.DataFrame, now: pd.Timestamp) -> set[str]:
    """Tags someone in the store used within STALE_TAG_DAYS before ``now``: a campaign tag
    whose use ended months ago (#superbowl in November) is no current suggestion."""
    recent = posts[(posts["posted_at"] <= now)
                   & (posts["posted_at"] > now - pd.Timedelta(days=STALE_TAG_DAYS))]
    return set(recent["hashtags"].explode().dropna().astype(str))


def usual_profiles(posts: pd.DataFrame, creators: list[str], timezones: Mapping[str, str],
                   now: pd.Timestamp, current: set[str] | None = None) -> pd.DataFrame:
    """PROFILE_COLUMNS for each of ``creators`` (index), from their posts up to ``now``;
    a creator without posts gets the defaults (and ``n_posts`` 0)."""
    wanted = pd.Index(pd.unique(np.asarray(creators, dtype=object)), dtype=object)
    own = posts[posts["creator"].isin(wanted) & (posts["posted_at"] <= now)]
    own = own.sort_values("posted_at", kind="stable")
    current = current_tags(posts, now) if current is None else current
    creator = own["creator"].astype(str).to_numpy()
    out = pd.DataFrame(index=wanted)
    out["n_posts"] = pd.Series(creator).value_counts().reindex(wanted).fillna(0).astype(int)
    out["usual_hour"] = _usual_hours(own, creator, timezones).reindex(wanted).fillna(
        DEFAULT_HOUR).astype(int)
    tags = _usual_tags(own, creator, current)
    out["usual_tags"] = [list(tags.get(c, [])) for c in wanted]
    duration = pd.to_numeric(own["duration_s"], errors="coerce").groupby(creator).median()
    out["median_duration"] = np.round(duration.reindex(wanted)).fillna(DEFAULT_DURATION_S)
    caption = own["caption"].fillna("").astype(str).groupby(creator).last()
    out["caption"] = caption.reindex(wanted).fillna("").map(
        lambda text: _TAG.sub("", text).strip())
    return out


def _usual_hours(own: pd.DataFrame, creator: np.ndarray, timezones: Mapping[str, str]
                 ) -> pd.Series:
    """Each creator's most frequent local hour (ties: the earliest), per time zone."""
    zone = pd.Series(creator).map(lambda c: timezones.get(c, "UTC")).to_numpy()
    hour = np.zeros(len(own), dtype=np.int64)
    stamps = own["posted_at"]
    for name in np.unique(zone):
        rows = zone == name
        hour[rows] = stamps[rows].dt.tz_convert(str(name)).dt.hour.to_numpy()
    counts = pd.DataFrame({"creator": creator, "hour": hour}).value_counts().rename("n")
    counts = counts.reset_index().sort_values(["creator", "n", "hour"],
                                              ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("creator").set_index("creator")["hour"]


def _usual_tags(own: pd.DataFrame, creator: np.ndarray, current: set[str]
                ) -> dict[str, list[str]]:
    """Each creator's USUAL_TAGS most used current tags (ties: first used first)."""
    long = pd.DataFrame({"creator": creator, "tag": own["hashtags"].to_numpy()}).explode("tag")
    long = long.dropna()
    long["tag"] = long["tag"].astype(str)
    long = long[long["tag"].isin(current)].reset_index(drop=True)
    if long.empty:
        return {}
    long["order"] = np.arange(len(long))
    stats = long.groupby(["creator", "tag"]).agg(n=("order", "size"), first=("order", "min"))
    stats = stats.reset_index().sort_values(["creator", "n", "first"],
                                            ascending=[True, False, True], kind="stable")
    top = stats.groupby("creator").head(USUAL_TAGS)
    return top.groupby("creator")["tag"].agg(list).to_dict()
