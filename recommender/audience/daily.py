"""One row per (creator, UTC day): the daily audience panel every signal reads.

Sources, best first, and how each column is named in verdicts:
- ``followers`` / ``following``: ``account_daily`` (Studio FollowerHistory, profile
  snapshots), else the last ``followers_at_post`` / ``following_at_post`` of posts that day.
- ``views``, ``likes``, ``comments``, ``shares``: Studio Overview daily totals
  (``video_views``...), else the counts of posts *published* that day (a proxy: a post keeps
  collecting views after its day), recorded in ``views_from``.
- ``posts``: posts published that day (posts table).
- ``gain``: followers minus the previous day's, only for consecutive days (a gap gives no
  gain rather than a gain spread over unknown days).
Readings dated later than the day's 00:00 are put on their UTC day; the last reading wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.store import StoreData

DAILY_METRICS = {"followers": "followers", "following": "following", "video_views": "views",
                 "likes": "likes", "comments": "comments", "shares": "shares"}
COLUMNS = ("followers", "following", "views", "likes", "comments", "shares", "posts",
           "post_views", "post_engagement")


DAY_NS = 86_400 * 10**9


def _creators(data: StoreData) -> pd.CategoricalDtype:
    """One categorical dtype for every table's creator column (cheap groupbys and merges)."""
    names = pd.concat([data.account_daily["creator"].drop_duplicates(),
                       data.posts["creator"].drop_duplicates()]).dropna().astype(str)
    return pd.CategoricalDtype(sorted(set(names)))


def as_category(values: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """``values`` in ``dtype`` via one factorize (much cheaper than astype on Arrow strings)."""
    codes, uniques = pd.factorize(values)
    lookup = dtype.categories.get_indexer(pd.Index(uniques).astype(str))
    mapped = np.where(codes >= 0, lookup[codes], -1)
    return pd.Categorical.from_codes(mapped, dtype=dtype)


def _account_wide(account: pd.DataFrame, dtype: pd.CategoricalDtype) -> pd.DataFrame:
    """Long (creator, date, metric) readings to one row per (creator, day); the latest
    reading of a day wins. Integer keys and one sort: no pandas reshaping of millions."""
    names = list(DAILY_METRICS)
    rows = account[account["metric"].isin(names)]
    if rows.empty:
        return pd.DataFrame(columns=["creator", "day", *DAILY_METRICS.values()])
    creator = as_category(rows["creator"], dtype).codes.astype(np.int64)
    stamp = rows["date"].array.asi8
    day = stamp // DAY_NS
    codes, uniques = pd.factorize(rows["metric"])
    metric = np.asarray([names.index(str(u)) for u in uniques], dtype=np.int64)[codes]
    value = rows["value"].to_numpy(dtype="float64", na_value=np.nan)
    first = day.min()
    span = int(day.max() - first + 1)
    pair = creator * span + (day - first)
    cell = pair * len(names) + metric
    # one reading per cell is the rule (daily files); only cells read twice need the time
    # order, so they alone are sorted (a hash pass instead of sorting millions of rows)
    repeated = pd.Series(cell).duplicated(keep=False).to_numpy()
    last = np.flatnonzero(~repeated)
    if repeated.any():
        twice = np.flatnonzero(repeated)
        order = twice[np.lexsort((stamp[twice], cell[twice]))]
        ends = np.r_[cell[order][1:] != cell[order][:-1], True]
        last = np.concatenate([last, order[ends]])
    pairs, row = np.unique(pair[last], return_inverse=True)
    wide = np.full((len(pairs), len(names)), np.nan)
    wide[row, metric[last]] = value[last]
    frame = pd.DataFrame(wide, columns=list(DAILY_METRICS.values()))
    frame.insert(0, "creator", pd.Categorical.from_codes(pairs // span, dtype=dtype))
    frame.insert(1, "day", pd.to_datetime((pairs % span + first) * DAY_NS, utc=True))
    return frame


def _posts_daily(posts: pd.DataFrame, dtype: pd.CategoricalDtype) -> pd.DataFrame:
    if posts.empty:
        return pd.DataFrame(columns=["creator", "day", "posts", "post_views",
                                     "post_engagement", "post_followers", "post_following"])
    eng = (posts["likes"].astype("float64").fillna(0) + posts["comments"].astype("float64")
           .fillna(0) + posts["shares"].astype("float64").fillna(0))
    frame = pd.DataFrame({"creator": as_category(posts["creator"], dtype),
                          "day": posts["posted_at"].dt.floor("D").array,
                          "stamp": posts["posted_at"].array,
                          "views": posts["views"].astype("float64").to_numpy(),
                          "eng": eng.to_numpy(),
                          "followers": posts["followers_at_post"].astype("float64").to_numpy(),
                          "following": posts["following_at_post"].astype("float64").to_numpy()})
    frame = frame.sort_values("stamp", kind="stable")
    grouped = frame.groupby(["creator", "day"], sort=False, observed=True)
    out = grouped.agg(posts=("stamp", "size"), post_views=("views", "sum"),
                      post_engagement=("eng", "sum"), post_followers=("followers", "last"),
                      post_following=("following", "last"))
    return out.reset_index()


def daily_panel(data: StoreData) -> tuple[pd.DataFrame, dict[str, str]]:
    """The panel (sorted by creator, day) and, per creator, where its views came from."""
    dtype = _creators(data)
    account = _account_wide(data.account_daily, dtype)
    posts = _posts_daily(data.posts, dtype)
    panel = account.merge(posts, on=["creator", "day"], how="outer")
    for col in ("followers", "following", "views", "likes", "comments", "shares"):
        if col not in panel:
            panel[col] = np.nan
    if "post_followers" in panel:
        for col in ("followers", "following"):
            fill = pd.to_numeric(panel[f"post_{col}"], errors="coerce").astype("float64")
            panel[col] = pd.to_numeric(panel[col], errors="coerce").astype("float64")
            panel[col] = panel[col].fillna(fill)
        panel = panel.drop(columns=["post_followers", "post_following"])
    numeric = ["followers", "following", "views", "likes", "comments", "shares", "posts",
               "post_views", "post_engagement"]
    for col in numeric:
        panel[col] = pd.to_numeric(panel[col], errors="coerce").astype("float64") \
            if col in panel else np.nan
    has_overview = panel.groupby("creator")["views"].transform("count") > 0
    views_from = (panel.loc[~has_overview, "creator"].unique(), panel.loc[has_overview,
                                                                          "creator"].unique())
    panel["views"] = panel["views"].where(has_overview, panel["post_views"])
    engagement = panel[["likes", "comments", "shares"]].sum(axis=1, min_count=1)
    panel["engagement"] = engagement.where(has_overview, panel["post_engagement"])
    panel["posts"] = panel["posts"].fillna(0)
    panel = panel.sort_values(["creator", "day"], ignore_index=True)
    same = panel["creator"].eq(panel["creator"].shift())
    step = (panel["day"] - panel["day"].shift()).dt.days
    consecutive = same & step.eq(1)
    panel["gain"] = (panel["followers"] - panel["followers"].shift()).where(consecutive)
    panel["following_gain"] = (panel["following"] - panel["following"].shift()).where(
        consecutive)
    panel["views_prev"] = panel["views"].shift().where(consecutive)
    sources = {str(c): "posts published that day (no Studio Overview)" for c in views_from[0]}
    sources.update({str(c): "Studio Overview daily video views" for c in views_from[1]})
    return panel, sources
