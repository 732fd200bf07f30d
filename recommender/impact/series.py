"""The outcome series ``impact`` compares: one value per settled post (or per week).

Counts are cumulative at collection, so a post younger than ``SETTLED_DAYS`` has not
finished growing and would look like a drop after any recent change: such posts are left
out of every comparison (and counted in the output's notes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.engagement import log_engagement, weighted_interactions

SETTLED_DAYS = 7.0
MIN_WINDOW_DAYS = 28
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # what one observation is: "post" or "week"
    target: str | None  # the model target for the counterfactual (None: no counterfactual)


METRICS: dict[str, Metric] = {
    "engagement": Metric("engagement", "engagement per post: log(1 + likes + 2 x comments + "
                         "3 x shares + 3 x saves)", "post", "weighted"),
    "views": Metric("views", "views per post: log(1 + views)", "post", "views"),
    "weekly": Metric("weekly", "total weekly engagement: log(1 + the week's weighted "
                     "interactions), weeks Monday-Sunday UTC, weeks without posts count", "week",
                     None),
    "followers": Metric("followers", "follower growth: log(1 + new followers in the week), "
                        "from daily follower counts (TikTok Studio's FollowerHistory), weeks "
                        "Monday-Sunday UTC with at least 5 days of counts", "week", None),
}


@dataclass(frozen=True)
class Windows:
    before: tuple[pd.Timestamp, pd.Timestamp]
    after: tuple[pd.Timestamp, pd.Timestamp]

    def label(self) -> str:
        (b0, _), (a0, a1) = self.before, self.after
        return f"{b0:%Y-%m-%d}..{a0:%Y-%m-%d} vs {a0:%Y-%m-%d}..{a1:%Y-%m-%d}"


def windows(since: pd.Timestamp, until: pd.Timestamp,
            not_before: pd.Timestamp | None = None) -> Windows:
    """After = [since, until); before = as long, just before (28 to 365 days), starting no
    earlier than ``not_before`` (e.g. the previous change)."""
    span = pd.Timedelta(days=float(np.clip((until - since).days, MIN_WINDOW_DAYS,
                                           MAX_WINDOW_DAYS)))
    start = since - span if not_before is None else max(since - span, not_before)
    return Windows((start, since), (since, until))


def settled_posts(posts: pd.DataFrame) -> pd.DataFrame:
    age = (posts["collected_at"] - posts["posted_at"]).dt.total_seconds() / 86400.0
    return posts[age.fillna(np.inf).to_numpy() >= SETTLED_DAYS]


def post_values(posts: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """``creator, post_id, posted_at, value`` for settled posts with a known outcome."""
    posts = settled_posts(posts)
    target = metric.target or "weighted"
    value = log_engagement(posts, target)
    out = pd.DataFrame({"creator": posts["creator"].astype(str).to_numpy(),
                        "post_id": posts["post_id"].astype(str).to_numpy(),
                        "posted_at": posts["posted_at"].to_numpy(), "value": value})
    followers = posts["followers_at_post"].astype("float64").to_numpy()
    out["log_followers"] = np.log(np.where(followers > 0, followers, np.nan))
    return out[np.isfinite(out["value"])].sort_values("posted_at", kind="stable")


MIN_ELASTICITY_POSTS = 10


def follower_elasticity(values: pd.DataFrame, before: pd.Timestamp) -> float:
    """How a creator's posts scale with their own follower count: the pooled within-creator
    slope of the outcome on log(followers at post), from posts before ``before`` only (so
    the change being measured cannot leak in); 0 where followers are unknown or constant.

    Why: a growing creator's posts earn more after any date. Comparable creators grow at
    other rates, so a difference-in-differences cannot remove it; this slope can."""
    if "log_followers" not in values:
        return 0.0
    pre = values[(values["posted_at"] < before) & values["log_followers"].notna()]
    groups = pre.groupby("creator")
    size = groups["value"].transform("size")
    pre = pre[size >= MIN_ELASTICITY_POSTS]
    if pre.empty:
        return 0.0
    f = pre["log_followers"] - pre.groupby("creator")["log_followers"].transform("mean")
    y = pre["value"] - pre.groupby("creator")["value"].transform("mean")
    ss = float((f ** 2).sum())
    if ss < 1e-6 * len(pre):
        return 0.0
    return float(np.clip((f * y).sum() / ss, 0.0, 1.5))


def adjust_for_followers(values: pd.DataFrame, beta: float) -> pd.DataFrame:
    """``value`` minus ``beta`` x the post's log followers (centred per creator)."""
    if beta == 0.0 or "log_followers" not in values:
        return values
    f = values["log_followers"] - values.groupby("creator")["log_followers"].transform("mean")
    return values.assign(value=values["value"] - beta * f.fillna(0.0))


def weekly_values(posts: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """``creator, week, value``: log1p of each full week's total weighted interactions.

    Every creator gets every week in [lo, hi) from their first post on (a silent week is a
    real zero, not a missing value)."""
    posts = settled_posts(posts)
    total = pd.Series(weighted_interactions(posts), index=posts.index).fillna(0.0)
    week = posts["posted_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN")
    sums = total.groupby([posts["creator"].astype(str), week]).sum()
    first = week.groupby(posts["creator"].astype(str)).min()
    grid = pd.period_range(lo.tz_convert("UTC").tz_localize(None), hi.tz_convert("UTC")
                           .tz_localize(None) - pd.Timedelta(days=7), freq="W-SUN")
    rows = []
    for creator, start in first.items():
        weeks = grid[grid >= start]
        got = sums.get(creator)
        vals = np.array([float(got.get(w, 0.0)) if got is not None else 0.0 for w in weeks])
        rows.append(pd.DataFrame({"creator": creator, "posted_at": weeks.start_time.tz_localize(
            "UTC"), "value": np.log1p(vals)}))
    if not rows:
        return pd.DataFrame({"creator": [], "posted_at": [], "value": []})
    return pd.concat(rows, ignore_index=True)


def split(frame: pd.DataFrame, win: Windows) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = frame["posted_at"]
    before = frame[(t >= win.before[0]) & (t < win.before[1])]
    after = frame[(t >= win.after[0]) & (t < win.after[1])]
    return before, after


MIN_FOLLOWER_DAYS = 5


def follower_values(account_daily: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp
                    ) -> pd.DataFrame:
    """``creator, posted_at (week start), value``: log1p of each week's net new followers
    (losses count as 0), from day-to-day differences of the daily follower counts."""
    daily = account_daily[(account_daily["metric"] == "followers")
                          & (account_daily["date"] >= lo - pd.Timedelta(days=1))
                          & (account_daily["date"] < hi)]
    rows = []
    for creator, g in daily.sort_values("date").groupby(daily["creator"].astype(str)):
        day = g["date"].dt.tz_convert("UTC").dt.floor("D")
        counts = pd.Series(g["value"].astype("float64").to_numpy(), index=day).groupby(
            level=0).last()
        gain = counts.diff()
        gain = gain[gain.index.to_series().diff() == pd.Timedelta(days=1)]  # next-day only
        if gain.empty:
            continue
        week = gain.index.tz_localize(None).to_period("W-SUN")
        weekly = gain.groupby(week).agg(["sum", "size"])
        weekly = weekly[weekly["size"] >= MIN_FOLLOWER_DAYS]
        rows.append(pd.DataFrame({
            "creator": creator, "posted_at": weekly.index.start_time.tz_localize("UTC"),
            "value": np.log1p(weekly["sum"].clip(lower=0).to_numpy())}))
    if not rows:
        return pd.DataFrame({"creator": [], "posted_at": [], "value": []})
    out = pd.concat(rows, ignore_index=True)
    return out[(out["posted_at"] >= lo) & (out["posted_at"] < hi)]
