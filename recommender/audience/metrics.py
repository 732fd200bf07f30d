"""Per-creator audience measurements over a trailing window, every creator at once.

Everything is a groupby over the daily panel, the scored days and the posts, so ``--all``
over thousands of creators costs a few vectorised passes, not a loop. Definitions:

- window: the creator's last ``window_days`` days with a follower count;
- growth: net gain = followers at the end - at the start; weekly gains are sums over
  7-day blocks counted back from the last day, their mean with a 90% normal interval;
  gain per post = net gain / posts published in the window; gain per 1,000 views = net
  gain / views in the window x 1000; snowball ratio = the second half's relative weekly
  growth over the first half's;
- per-post rates use posts in the window, followers at the post (``followers_at_post``,
  else the follower count of the post's day): ER by followers = (likes + comments + shares)
  / followers, ER by views = (likes + comments + shares) / views, views per follower =
  views / followers; each is the median post with a 90% distribution-free interval (order
  statistics of a binomial(n, 1/2));
- likes per comment = sum of likes / sum of comments; shares per 1,000 views likewise
  (posts in the window, else Studio daily totals);
- active-follower share = median over days of (the day's peak hourly active followers /
  that day's followers), from FollowerActivity;
- following ratio = following / followers at the end of the window (and at its start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.audience.daily import as_category
from recommender.store import StoreData

Z90 = 1.645


def window_of(scored: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Rows of the scored panel inside each creator's trailing window."""
    has = scored["followers"].notna() | scored["views"].notna()
    last = scored["day"].where(has).groupby(scored["creator"]).transform("max")
    return scored[scored["day"] > last - pd.Timedelta(days=window_days)]


def median_ci(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per creator: n, median and its 90% order-statistic interval of ``value``."""
    part = frame[["creator", value]].dropna().sort_values(["creator", value], kind="stable")
    if part.empty:
        return pd.DataFrame(columns=["n", "median", "low", "high"])
    grouped = part.groupby("creator", sort=False)[value]
    n = grouped.transform("size").to_numpy()
    pos = grouped.cumcount().to_numpy()
    half = Z90 * np.sqrt(n) / 2
    lo = np.clip(np.floor(n / 2 - half), 0, n - 1).astype(int)
    hi = np.clip(np.ceil(n / 2 + half) - 1, 0, n - 1).astype(int)
    vals = part[value].to_numpy()
    out = pd.DataFrame({"creator": part["creator"].array, "n": n,
                        "low": np.where(pos == lo, vals, np.nan),
                        "high": np.where(pos == hi, vals, np.nan)})
    agg = out.groupby("creator", sort=False).agg(n=("n", "first"), low=("low", "max"),
                                                  high=("high", "max"))
    agg["median"] = grouped.median()
    return agg


def _post_rates(data: StoreData, panel: pd.DataFrame, window: pd.DataFrame) -> pd.DataFrame:
    posts = data.posts
    if posts.empty:
        return pd.DataFrame(columns=["creator", "erf", "erv", "vpf", "likes", "comments",
                                     "shares", "views"])
    start = window.groupby("creator")["day"].min()
    frame = pd.DataFrame({
        "creator": as_category(posts["creator"], panel["creator"].dtype),
        "posted_at": posts["posted_at"].array,
        "views": posts["views"].astype("float64").to_numpy(),
        "likes": posts["likes"].astype("float64").to_numpy(),
        "comments": posts["comments"].astype("float64").to_numpy(),
        "shares": posts["shares"].astype("float64").to_numpy(),
        "followers": posts["followers_at_post"].astype("float64").to_numpy()})
    # posts inside their creator's window, compared as integers (no Timestamp objects)
    first = start.reindex(frame["creator"].cat.categories)
    codes = np.maximum(frame["creator"].cat.codes.to_numpy(), 0)
    known = (frame["creator"].cat.codes.to_numpy() >= 0) & first.notna().to_numpy()[codes]
    frame = frame[known & (frame["posted_at"].array.asi8 >= first.array.asi8[codes])]
    if frame["followers"].isna().any():
        daily = panel.loc[panel["followers"].notna(), ["creator", "day", "followers"]]
        daily = daily.sort_values("day", kind="stable")
        need = frame.sort_values("posted_at", kind="stable")
        joined = pd.merge_asof(need, daily.rename(columns={"day": "posted_at",
                                                           "followers": "daily"}),
                               on="posted_at", by="creator", direction="backward")
        joined["followers"] = joined["followers"].fillna(joined["daily"])
        frame = joined.drop(columns=["daily"])
    eng = frame[["likes", "comments", "shares"]].sum(axis=1, min_count=1)
    followers = frame["followers"].where(frame["followers"] > 0)
    views = frame["views"].where(frame["views"] > 0)
    frame["erf"] = eng / followers
    frame["erv"] = eng / views
    frame["vpf"] = frame["views"] / followers
    frame["eng"] = eng
    return frame


def _weekly(window: pd.DataFrame) -> pd.DataFrame:
    last = window.groupby("creator")["day"].transform("max")
    block = ((last - window["day"]).dt.days // 7).to_numpy()
    frame = pd.DataFrame({"creator": window["creator"].array, "block": block,
                          "gain": window["gain"].to_numpy(),
                          "followers": window["followers"].to_numpy()})
    weeks = frame.groupby(["creator", "block"]).agg(gain=("gain", "sum"),
                                                    days=("gain", "count"),
                                                    base=("followers", "first"))
    weeks = weeks[weeks["days"] == 7].reset_index()
    weeks["rate"] = weeks["gain"] / weeks["base"].where(weeks["base"] > 0)
    return weeks


def creator_metrics(data: StoreData, panel: pd.DataFrame, scored: pd.DataFrame,
                    window_days: int = 90) -> pd.DataFrame:
    """One row per creator with every measurement named in the module docstring."""
    window = window_of(scored, window_days)
    by = window.groupby("creator", sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(window["creator"].unique()), name="creator"))
    fol = window[window["followers"].notna()].groupby("creator")
    out["first_day"], out["last_day"] = by["day"].min(), by["day"].max()
    out["follower_days"] = fol["followers"].size()
    out["followers_start"], out["followers_end"] = fol["followers"].first(), fol[
        "followers"].last()
    out["net_gain"] = out["followers_end"] - out["followers_start"]
    out["growth_pct"] = 100 * out["net_gain"] / out["followers_start"].where(
        out["followers_start"] > 0)
    out["gain_days"] = by["gain"].count()
    out["posts"] = by["posts"].sum()
    out["views"] = by["views"].sum(min_count=1)
    out["gain_per_post"] = out["net_gain"] / out["posts"].where(out["posts"] > 0)
    out["gain_per_1k_views"] = 1000 * out["net_gain"] / out["views"].where(out["views"] > 0)
    weeks = _weekly(window)
    wk = weeks.groupby("creator")["gain"]
    out["weeks"] = wk.size()
    out["weekly_gain"] = wk.mean()
    half = Z90 * wk.std() / np.sqrt(wk.size())
    out["weekly_gain_low"], out["weekly_gain_high"] = out["weekly_gain"] - half, out[
        "weekly_gain"] + half
    n_weeks = weeks.groupby("creator")["block"].transform("max") + 1
    older = weeks["block"] >= n_weeks / 2
    rates = weeks.assign(older=older).groupby(["creator", "older"])["rate"].mean().unstack()
    if True in rates and False in rates:
        out["snowball_ratio"] = rates[False] / rates[True].where(rates[True] > 0)
        out["growth_rate_early"], out["growth_rate_late"] = rates[True], rates[False]
    else:
        out["snowball_ratio"] = out["growth_rate_early"] = out["growth_rate_late"] = np.nan
    _genuineness(out, window, by)
    _engagement(out, data, panel, window)
    _active_share(out, data, panel)
    out["following_start"] = fol["following"].first()
    out["following_end"] = fol["following"].last()
    out["following_days"] = by["following"].count()
    out["following_ratio"] = out["following_end"] / out["followers_end"].where(
        out["followers_end"] > 0)
    out["following_ratio_start"] = out["following_start"] / out["followers_start"].where(
        out["followers_start"] > 0)
    return out


def _genuineness(out: pd.DataFrame, window: pd.DataFrame, by) -> None:  # type: ignore[no-untyped-def]
    positive = window["gain"].clip(lower=0)
    out["positive_gain"] = positive.groupby(window["creator"]).sum()
    flagged = positive.where(window["suspicious"], 0)
    out["suspicious_days"] = window["suspicious"].groupby(window["creator"]).sum()
    out["suspicious_gain"] = flagged.groupby(window["creator"]).sum()
    out["jump_days"] = window["jump"].groupby(window["creator"]).sum()
    out["enough_days"] = by["enough"].max()
    out["unexplained_share"] = (out["suspicious_gain"] / out["positive_gain"].where(
        out["positive_gain"] > 0)).where(out["enough_days"].astype(bool))


def _engagement(out: pd.DataFrame, data: StoreData, panel: pd.DataFrame,
                window: pd.DataFrame) -> None:
    rates = _post_rates(data, panel, window)
    for key in ("erf", "erv", "vpf"):
        stats = median_ci(rates, key) if not rates.empty else pd.DataFrame()
        for col in ("n", "median", "low", "high"):
            out[f"{key}_{col}"] = stats.get(col, np.nan)
    sums = rates.groupby("creator")[["likes", "comments", "shares", "views"]].sum(min_count=1) \
        if not rates.empty else pd.DataFrame()
    daily = window.groupby("creator")[["likes", "comments", "shares", "views"]].sum(min_count=1)
    for col in ("likes", "comments", "shares", "views"):
        post = sums[col] if col in sums else pd.Series(dtype=float)
        out[f"sum_{col}"] = post.reindex(out.index).fillna(daily[col].reindex(out.index))
    out["counts_from"] = np.where(out.index.isin(sums.index if len(sums) else []), "posts",
                                  "Studio daily totals")
    out["likes_per_comment"] = out["sum_likes"] / out["sum_comments"].where(
        out["sum_comments"] > 0)
    out["shares_per_1k_views"] = 1000 * out["sum_shares"] / out["sum_views"].where(
        out["sum_views"] > 0)
    # engagement per post early vs late in the window (vanity vs value)
    if rates.empty:
        out["eng_early"] = out["eng_late"] = np.nan
        return
    start = rates.groupby("creator")["posted_at"].transform("min")
    end = rates.groupby("creator")["posted_at"].transform("max")
    third = (end - start) / 3
    early = rates[rates["posted_at"] <= start + third].groupby("creator")["eng"].median()
    late = rates[rates["posted_at"] >= end - third].groupby("creator")["eng"].median()
    out["eng_early"], out["eng_late"] = early, late


def _active_share(out: pd.DataFrame, data: StoreData, panel: pd.DataFrame) -> None:
    act = data.follower_activity
    if act.empty or act["date"].isna().all():
        out["active_share"] = np.nan
        out["active_days"] = 0
        return
    dtype = panel["creator"].dtype
    peaks = act.dropna(subset=["date"])
    peaks = peaks[peaks["creator"].isin(dtype.categories)]
    peaks = peaks.assign(creator=as_category(peaks["creator"], dtype),
                         day=peaks["date"].dt.floor("D"))
    peaks = peaks.groupby(["creator", "day"], observed=True)["active_followers"].max().astype(
        float)
    peaks = peaks[peaks > 0].reset_index()  # a zero-filled partial export day says nothing
    daily = panel.loc[panel["followers"].notna(), ["creator", "day", "followers"]]
    joined = pd.merge_asof(peaks.sort_values("day"), daily.sort_values("day"), on="day",
                           by="creator", direction="nearest",
                           tolerance=pd.Timedelta(days=3))
    joined["share"] = joined["active_followers"] / joined["followers"].where(
        joined["followers"] > 0)
    out["active_share"] = joined.groupby("creator")["share"].median()
    out["active_days"] = joined.groupby("creator")["share"].count()
    out["active_days"] = out["active_days"].fillna(0)
