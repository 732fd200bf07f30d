"""Synthetic audience data with planted follower effects (``make_audience``).

Independent of ``make_posts`` (its outputs are untouched): a daily account series per
creator, in the shapes TikTok Studio and the personal export give, with four planted effects
whose truth is returned in ``AudienceWorld.truth``:

1. **Purchased-follower spike** (creators 0, 3, 4, 7, ...: ``index % 4 in (0, 3)``): on 1-3
   consecutive days the follower count jumps by 4-12% of the account in all; views, likes
   and comments stay at their usual level and the bought followers never watch (they are
   missing from the engaged base that drives views and from FollowerActivity).
2. **Organic viral jump** (``index % 4 in (1, 3)``): one day's views x U(8, 30), then x0.4
   and x0.15 of that multiplier on the next two days; followers follow the views through the
   creator's usual conversion rate, so gains and views rise together.
3. **Follow-for-follow period** (``index % 4 == 2``): 21-35 days in which the creator
   follows U(30, 80) accounts a day and U(30, 50)% of them follow back within days; those
   followers do not watch, so engagement per follower falls while followers and following
   rise together.
4. **Follower / Following lists** (``export_lists``): the personal export's FansList and
   Following with dates and handles; a planted share of followers is followed back after an
   exponential lag, and the follow-for-follow period's follow-backs appear in both lists.
   Lists are capped at ``list_cap`` followers to keep fixtures small (a real FansList holds
   every follower), so the reciprocity truth is computed on the lists themselves.

Baseline per creator: followers F0 lognormal(median 15,000, sdlog 1.2) clipped 800-2M;
daily views = engaged followers x U-lognormal(median 0.6, sdlog 0.7) per day x lognormal(0,
0.35) day noise; followers gained = Poisson(conversion x (0.7 views today + 0.3 views
yesterday)), conversion lognormal(median 0.003, sdlog 0.4); unfollows Poisson(0.0003 F).
Likes = Binomial(views, like rate ~0.09), comments Poisson(likes x 0.009), shares
Poisson(views x 0.0012). Posts: Poisson(0.7) a day, each with the day's views split among
them. FollowerActivity: the last 7 days, 24 UTC hours, engaged followers x 0.3 x a day/night
curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender import schema

SOURCE = "synthetic-audience"
ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyz"))
VIRAL_TAIL = (1.0, 0.4, 0.15)


@dataclass
class AudienceWorld:
    """Canonical tables plus the planted truth and the personal-export lists."""

    posts: pd.DataFrame
    account_daily: pd.DataFrame
    follower_activity: pd.DataFrame
    creators: pd.DataFrame
    truth: pd.DataFrame  # one row per creator: planted days, periods, reciprocity
    lists: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)

    def as_store_data(self):  # type: ignore[no-untyped-def]
        from recommender.store import StoreData

        return StoreData(posts=self.posts, follower_activity=self.follower_activity,
                         creators=self.creators, account_daily=self.account_daily)

    def export_json(self, creator: str) -> dict[str, object]:
        """A minimal personal "Download your data" JSON (2024-12 layout) for ``creator``."""
        people = self.lists[creator]
        row = self.truth.set_index("creator").loc[creator]
        profile = {"userName": creator, "followerCount": int(row["followers_end"]),
                   "followingCount": int(row["following_end"])}
        return {"Profile": {"Profile Info": {"ProfileMap": profile}},
                "Your Activity": {
                    "Follower": {"App": 1, "FansList": people["fans"] or None},
                    "Following": {"App": 1, "Following": people["following"] or None}}}


def make_audience(n_creators: int = 8, days: int = 120, *, seed: int = 0,
                  start: str = "2025-03-03", export_lists: bool = True,
                  list_cap: int = 600, with_posts: bool = True) -> AudienceWorld:
    """Generate ``n_creators`` daily audience series over ``days`` days (same args, same data)."""
    seqs = np.random.SeedSequence(seed).spawn(n_creators)
    day0 = pd.Timestamp(start, tz="UTC")
    dates = pd.date_range(day0, periods=days, freq="D")
    parts = [_creator(np.random.default_rng(s), i, dates, export_lists, list_cap, with_posts)
             for i, s in enumerate(seqs)]
    account = pd.concat([p[0] for p in parts], ignore_index=True)
    posts = pd.concat([p[1] for p in parts], ignore_index=True)
    activity = pd.concat([p[2] for p in parts], ignore_index=True)
    truth = pd.DataFrame([p[3] for p in parts])
    creators = pd.DataFrame({"creator": truth["creator"], "timezone": "UTC",
                             "updated_at": dates[-1] + pd.Timedelta(days=1), "source": SOURCE})
    return AudienceWorld(posts=schema.conform(posts, "posts"),
                         account_daily=schema.conform(account, "account_daily"),
                         follower_activity=schema.conform(activity, "follower_activity"),
                         creators=schema.conform(creators, "creators"), truth=truth,
                         lists={p[3]["creator"]: p[4] for p in parts if p[4]})


def _handle(rng: np.random.Generator, n: int) -> list[str]:
    letters = ALPHABET[rng.integers(0, 26, size=(n, 9))]
    return ["zq" + "".join(row) for row in letters]


def _creator(rng: np.random.Generator, index: int, dates: pd.DatetimeIndex, export_lists: bool,
             list_cap: int, with_posts: bool):  # type: ignore[no-untyped-def]
    days = len(dates)
    name = f"aud_{index:05d}"
    kind = index % 4
    f0 = float(np.clip(rng.lognormal(np.log(15_000), 1.2), 800, 2_000_000))
    following0 = int(np.clip(rng.lognormal(np.log(250), 0.8), 10, 5000))
    vpf = rng.lognormal(np.log(0.6), 0.7)
    conversion = rng.lognormal(np.log(0.003), 0.4)
    like_rate = float(np.clip(rng.lognormal(np.log(0.09), 0.3), 0.02, 0.3))
    noise = rng.lognormal(0, 0.35, days)
    boost = np.ones(days)
    viral_days: list[pd.Timestamp] = []
    purchased: dict[int, float] = {}
    f4f = (-1, -1)
    if kind in (1, 3):
        d0 = int(rng.integers(days // 5, days - 10))
        mult = rng.uniform(8, 30)
        for k, share in enumerate(VIRAL_TAIL):
            boost[d0 + k] *= 1 + (mult - 1) * share
        viral_days = list(dates[d0:d0 + len(VIRAL_TAIL)])
    if kind in (0, 3):
        length = int(rng.integers(1, 4))
        lo = days // 5 if kind == 0 else 5
        d1 = int(rng.integers(lo, days - 8))
        if viral_days and abs(d1 - dates.get_loc(viral_days[0])) < 10:
            d1 = (dates.get_loc(viral_days[0]) + days // 2) % (days - 8)
            d1 = max(d1, 5)
        total = rng.uniform(0.04, 0.12)
        purchased = {d1 + k: total / length for k in range(length)}
    if kind == 2:
        length = int(rng.integers(21, 36))
        s = int(rng.integers(days // 4, days - length - 5))
        f4f = (s, s + length - 1)
    f4f_rate, f4f_back = rng.uniform(30, 80), rng.uniform(0.3, 0.5)

    engaged, total_f, following = f0, f0, float(following0)
    rows = np.zeros((days, 6))
    views_prev = engaged * vpf
    for d in range(days):
        views = rng.poisson(engaged * vpf * noise[d] * boost[d])
        gained = rng.poisson(conversion * (0.7 * views + 0.3 * views_prev))
        lost = rng.poisson(0.0003 * total_f)
        engaged += gained - lost
        total_f += gained - lost
        following += rng.poisson(0.5) - rng.poisson(0.2)
        if d in purchased:
            total_f += round(purchased[d] * total_f)
        if f4f[0] <= d <= f4f[1]:
            added = rng.poisson(f4f_rate)
            following += added
            total_f += rng.binomial(added, f4f_back)
        likes = rng.binomial(views, like_rate)
        comments = rng.poisson(likes * 0.009)
        shares = rng.poisson(views * 0.0012)
        rows[d] = (round(total_f), max(round(following), 0), views, likes, comments, shares)
        views_prev = views
    metrics = ("followers", "following", "video_views", "likes", "comments", "shares")
    account = pd.DataFrame({"creator": name, "date": np.tile(dates, len(metrics)),
                            "metric": np.repeat(metrics, days),
                            "value": rows.T.reshape(-1).astype(np.int64), "source": SOURCE})
    posts = _posts(rng, name, dates, rows) if with_posts else schema.empty("posts")
    activity = _activity(rng, name, dates, engaged)
    truth = {"creator": name, "kind": kind, "followers_start": round(f0),
             "purchased_days": [dates[d] for d in sorted(purchased)],
             "viral_days": viral_days,
             "f4f_start": dates[f4f[0]] if f4f[0] >= 0 else pd.NaT,
             "f4f_end": dates[f4f[1]] if f4f[1] >= 0 else pd.NaT,
             "engaged_followers_end": round(engaged), "followers_end": int(rows[-1, 0]),
             "following_end": int(rows[-1, 1])}
    lists: dict[str, list[dict[str, str]]] = {}
    if export_lists:
        lists, recip = _lists(rng, dates, min(int(rows[-1, 0]), list_cap), f4f,
                              f4f_rate, f4f_back)
        truth.update(recip)
    return account, posts, activity, truth, lists


def _posts(rng: np.random.Generator, name: str, dates: pd.DatetimeIndex,
           rows: np.ndarray) -> pd.DataFrame:
    counts = rng.poisson(0.7, len(dates))
    day = np.repeat(np.arange(len(dates)), counts)
    if not len(day):
        return schema.empty("posts")
    share = 0.8 / counts[day]
    posted = dates[day] + pd.to_timedelta(rng.integers(8 * 3600, 23 * 3600, len(day)), unit="s")
    frame = pd.DataFrame({
        "creator": name, "post_id": [f"{name}-{i}" for i in range(len(day))],
        "posted_at": posted, "caption": "", "hashtags": [[] for _ in day],
        "views": np.round(rows[day, 2] * share), "likes": np.round(rows[day, 3] * share),
        "comments": np.round(rows[day, 4] * share), "shares": np.round(rows[day, 5] * share),
        "saves": 0, "followers_at_post": rows[day, 0], "following_at_post": rows[day, 1],
        "collected_at": dates[-1] + pd.Timedelta(days=1), "source": SOURCE,
    })
    return frame


def _activity(rng: np.random.Generator, name: str, dates: pd.DatetimeIndex,
              engaged: float) -> pd.DataFrame:
    last = dates[-7:]
    hours = np.tile(np.arange(24), len(last))
    curve = 0.1 + 0.9 * np.exp(-((hours - 20) ** 2) / (2 * 5.0 ** 2))
    active = engaged * 0.3 * curve * rng.lognormal(0, 0.08, len(hours))
    return pd.DataFrame({"creator": name, "date": np.repeat(last, 24),
                         "weekday": np.repeat(last.day_of_week, 24), "hour": hours,
                         "active_followers": np.round(active).astype(int), "source": SOURCE})


def _stamp(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _lists(rng: np.random.Generator, dates: pd.DatetimeIndex, n_fans: int,
           f4f: tuple[int, int], f4f_rate: float, f4f_back: float):  # type: ignore[no-untyped-def]
    """FansList / Following with planted reciprocity; truth computed on the lists."""
    t0, t1 = dates[0].value, (dates[-1] + pd.Timedelta(days=1)).value
    names = iter(_handle(rng, 4 * n_fans + 4000))
    fans: list[tuple[str, pd.Timestamp]] = []
    following: list[tuple[str, pd.Timestamp]] = []
    p_back = rng.uniform(0.1, 0.4)
    lags: list[float] = []
    for _ in range(n_fans):
        who = next(names)
        when = pd.Timestamp(int(rng.uniform(t0, t1)), tz="UTC").floor("s")
        fans.append((who, when))
        if rng.random() < p_back:
            lag = pd.Timedelta(seconds=int(rng.exponential(2 * 86400)) + 60)
            if when + lag < pd.Timestamp(t1, tz="UTC"):
                following.append((who, when + lag))
                lags.append(lag.total_seconds() / 86400)
    for _ in range(int(rng.integers(40, 120))):  # accounts followed who never follow back
        following.append((next(names), pd.Timestamp(int(rng.uniform(t0, t1)), tz="UTC")
                          .floor("s")))
    if f4f[0] >= 0:
        for d in range(f4f[0], f4f[1] + 1):
            for _ in range(min(int(rng.poisson(f4f_rate / 10)), 20)):
                who = next(names)
                when = dates[d] + pd.Timedelta(seconds=int(rng.integers(0, 86400)))
                following.append((who, when))
                if rng.random() < f4f_back:
                    fans.append((who, when + pd.Timedelta(seconds=int(rng.integers(600, 86400)))))
    fans.sort(key=lambda r: r[1], reverse=True)  # newest first, as TikTok lists them
    following.sort(key=lambda r: r[1], reverse=True)
    fan_names, follow_names = {n for n, _ in fans}, {n for n, _ in following}
    mutual = len(fan_names & follow_names)
    truth = {"list_fans": len(fans), "list_following": len(following), "mutual": mutual,
             "followed_back_rate": mutual / len(fans) if fans else None,
             "not_following_back_rate": 1 - mutual / len(following) if following else None,
             "median_follow_back_lag_days": float(np.median(lags)) if lags else None}
    out = {"fans": [{"Date": _stamp(w), "UserName": n} for n, w in fans],
           "following": [{"Date": _stamp(w), "UserName": n} for n, w in following]}
    return out, truth
