"""Audience-quality components: value, benchmark, verdict and a 0-100 score each.

In the spirit of HypeAuditor's audience quality score (a weighted blend of authenticity,
engagement and reachability signals), but every part shown and computed from the creator's
own exports. Scores, per component (``v`` the value, ``b`` the tier benchmark):

- higher-is-better ratios (ER by followers, ER by views, views per follower, shares per
  1,000 views, active-follower share): ``100 * clip(0.5 + log2(v / b) / 4, 0, 1)``: 50 at
  the benchmark, 100 at x4, 0 at a quarter;
- likes per comment (both directions are odd: bought likes have no comments, comment pods
  have too many): ``100 * clip(1 - |log2(v / b)| / 4, 0, 1)``;
- unexplained follower gains: ``100 * clip(1 - share / 0.5, 0, 1)`` (5% gives 90);
- following pattern: 100 up to a following/follower ratio of 0.5, minus 33 per doubling
  beyond, minus 40 when a follow-for-follow period lies in the window.
The quality score is the weighted mean (``WEIGHTS``) of the components present; with fewer
than ``MIN_COMPONENTS`` it is null. Missing components are named, never guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.audience import benchmarks as bm

WEIGHTS = {"unexplained_follower_gains": 0.25, "engagement_per_follower": 0.15,
           "engagement_per_view": 0.15, "views_per_follower": 0.10, "likes_per_comment": 0.05,
           "shares_per_1k_views": 0.05, "active_follower_share": 0.10,
           "following_pattern": 0.15}
MIN_COMPONENTS = 3
ACTIVE_MID = float(np.sqrt(bm.ACTIVE_SHARE_BAND[0] * bm.ACTIVE_SHARE_BAND[1]))
MISSING_WHY = {
    "unexplained_follower_gains": "needs 14+ consecutive days of follower counts with views "
                                  "(Studio FollowerHistory + Overview)",
    "engagement_per_follower": "needs posts with likes/comments/shares and follower counts",
    "engagement_per_view": "needs posts with views",
    "views_per_follower": "needs posts with views and follower counts",
    "likes_per_comment": "needs likes and comments (posts or Studio Overview)",
    "shares_per_1k_views": "needs shares and views (posts or Studio Overview)",
    "active_follower_share": "needs Studio FollowerActivity (active followers per hour)",
    "following_pattern": "needs following counts (scraper profiles or personal exports)",
}


def _up(value: pd.Series, bench: pd.Series) -> pd.Series:
    ratio = np.log2(value / bench)
    return (100 * np.clip(0.5 + ratio / 4, 0, 1)).where(value.notna() & (value > 0))


def tiers(metrics: pd.DataFrame) -> pd.Series:
    followers = metrics["followers_end"].fillna(0).to_numpy()
    index = np.searchsorted(np.array(bm.TIER_EDGES), followers, side="right")
    return pd.Series(index, index=metrics.index)


def benchmark_columns(metrics: pd.DataFrame) -> pd.DataFrame:
    idx = tiers(metrics).to_numpy()
    table = {f: np.array([getattr(t, f) for t in bm.TIERS])[idx]
             for f in ("er_follower", "er_view", "views_per_follower", "likes_per_comment",
                       "shares_per_1k_views")}
    return pd.DataFrame(table, index=metrics.index)


def score_columns(metrics: pd.DataFrame, periods_in_window: pd.Series) -> pd.DataFrame:
    """Per creator: ``score_<component>`` columns and ``quality_score`` (NaN when missing)."""
    b = benchmark_columns(metrics)
    s = pd.DataFrame(index=metrics.index)
    share = metrics["unexplained_share"]
    s["unexplained_follower_gains"] = 100 * np.clip(1 - share / 0.5, 0, 1)
    s["engagement_per_follower"] = _up(metrics["erf_median"], b["er_follower"])
    s["engagement_per_view"] = _up(metrics["erv_median"], b["er_view"])
    s["views_per_follower"] = _up(metrics["vpf_median"], b["views_per_follower"])
    lpc = np.log2(metrics["likes_per_comment"] / b["likes_per_comment"]).abs()
    s["likes_per_comment"] = (100 * np.clip(1 - lpc / 4, 0, 1)).where(
        metrics["likes_per_comment"].notna())
    s["shares_per_1k_views"] = _up(metrics["shares_per_1k_views"].where(
        metrics["sum_shares"] > 0), b["shares_per_1k_views"])
    s["active_follower_share"] = _up(metrics["active_share"],
                                     pd.Series(ACTIVE_MID, index=metrics.index))
    ratio = metrics["following_ratio"]
    doublings = np.log2(ratio / bm.FOLLOWING_RATIO_USUAL).clip(lower=0)
    periods = periods_in_window.reindex(metrics.index).fillna(0)
    s["following_pattern"] = np.clip(100 - 33 * doublings - 40 * (periods > 0), 0, 100).where(
        ratio.notna())
    weights = pd.Series(WEIGHTS)
    present = s[list(WEIGHTS)].notna()
    total = (s[list(WEIGHTS)].fillna(0) * weights).sum(axis=1)
    norm = (present * weights).sum(axis=1)
    quality = (total / norm.where(norm > 0)).where(present.sum(axis=1) >= MIN_COMPONENTS)
    s.columns = [f"score_{c}" for c in s.columns]
    s["quality_score"] = quality.round(0)
    s["missing"] = present.apply(lambda row: ",".join(c for c, ok in row.items() if not ok),
                                 axis=1) if len(present) else pd.Series(dtype=str)
    return s


def _pct(v: float) -> str:
    return f"{100 * v:.2f}%" if abs(v) < 0.1 else f"{100 * v:.1f}%"


def _band(value: float, bench: float) -> str:
    ratio = value / bench
    if ratio < 0.5:
        return f"low (x{ratio:.2f} of the benchmark)"
    if ratio > 2:
        return f"high (x{ratio:.1f} of the benchmark)"
    return f"typical (x{ratio:.2f} of the benchmark)"


def describe(row: pd.Series, scores: pd.Series, periods: int) -> list[dict[str, object]]:
    """The JSON components of one creator, each naming its data and its benchmark."""
    tier = bm.tier_of(float(row["followers_end"]) if pd.notna(row["followers_end"]) else 0)
    tier_txt = f"{tier.name} creators ({tier.label}), {bm.SOURCE_2020}"
    posts_txt = (f"median of {int(row['erf_n']) if pd.notna(row['erf_n']) else 0} posts in the "
                 "window")
    out: list[dict[str, object]] = []

    def add(name: str, value: object, bench: object, verdict: str, definition: str,
            data: str, low: object = None, high: object = None) -> None:
        score = scores.get(f"score_{name}")
        present = value is not None and not (isinstance(value, float) and np.isnan(value))
        out.append({"name": name, "value": _num(value) if present else None,
                    "low": _num(low), "high": _num(high), "benchmark": bench,
                    "score": None if score is None or pd.isna(score) else round(float(score)),
                    "verdict": f"{verdict} [data: {data}]" if present
                    else f"not enough data: {MISSING_WHY[name]}",
                    "definition": definition, "data": data})

    share = row["unexplained_share"]
    add("unexplained_follower_gains", share,
        f"<= {_pct(bm.UNEXPLAINED_GAIN_SHARE)} ({bm.SOURCE_RULE})",
        (f"{_pct(share)} of follower gains came on {int(row['suspicious_days'])} day(s) with "
         f"no views to explain them vs <= {_pct(bm.UNEXPLAINED_GAIN_SHARE)} "
         f"({bm.SOURCE_RULE}): " + ("consistent with bought or bot followers"
                                    if share > bm.UNEXPLAINED_GAIN_SHARE else "clean"))
        if pd.notna(share) else "",
        "followers gained on suspicious days / all followers gained (window)",
        "follower counts and daily views (account_daily)")
    for name, key, bkey, definition in (
            ("engagement_per_follower", "erf", "er_follower",
             "(likes + comments + shares) / followers at the post, per post"),
            ("engagement_per_view", "erv", "er_view",
             "(likes + comments + shares) / views, per post"),
            ("views_per_follower", "vpf", "views_per_follower", "views / followers, per post")):
        value, bench = row[f"{key}_median"], getattr(tier, bkey)
        fmt = _pct if key != "vpf" else (lambda v: f"{v:.3f}")
        verdict = (f"{fmt(value)} ({posts_txt}, 90% CI {fmt(row[f'{key}_low'])}-"
                   f"{fmt(row[f'{key}_high'])}) vs {fmt(bench)} for {tier_txt}: "
                   f"{_band(value, bench)}") if pd.notna(value) else ""
        add(name, value, {"value": bench, "source": tier_txt}, verdict, definition, "posts",
            row[f"{key}_low"], row[f"{key}_high"])
    lpc = row["likes_per_comment"]
    add("likes_per_comment", lpc, {"value": tier.likes_per_comment, "source": tier_txt},
        f"{lpc:,.0f} likes per comment ({row['counts_from']}) vs {tier.likes_per_comment:,.0f} "
        f"for {tier_txt}: {_band(lpc, tier.likes_per_comment)}" if pd.notna(lpc) else "",
        "sum of likes / sum of comments (window)", str(row["counts_from"]))
    spk = row["shares_per_1k_views"] if row["sum_shares"] > 0 else np.nan
    add("shares_per_1k_views", spk, {"value": tier.shares_per_1k_views, "source": tier_txt},
        f"{spk:.2f} shares per 1,000 views ({row['counts_from']}) vs "
        f"{tier.shares_per_1k_views:.2f} for {tier_txt}: {_band(spk, tier.shares_per_1k_views)}"
        if pd.notna(spk) else "", "sum of shares / sum of views x 1000 (window)",
        str(row["counts_from"]))
    act = row["active_share"]
    lo, hi = bm.ACTIVE_SHARE_BAND
    add("active_follower_share", act, {"band": [lo, hi], "source": bm.SOURCE_STUDIO},
        f"{_pct(act)} of followers active at the peak hour (median of "
        f"{int(row['active_days'])} days) vs {_pct(lo)}-{_pct(hi)} in {bm.SOURCE_STUDIO}: "
        + ("low: many followers never open the app" if act < lo else
           "high" if act > hi else "typical") if pd.notna(act) else "",
        "peak hourly active followers / followers that day, median over days",
        "FollowerActivity + follower counts")
    ratio = row["following_ratio"]
    trend = row["following_ratio_start"]
    add("following_pattern", ratio, {"value": bm.FOLLOWING_RATIO_USUAL,
                                     "source": bm.SOURCE_RULE},
        (f"following/followers {ratio:.2f} (was {trend:.2f} at the window's start) vs "
         f"usual <= {bm.FOLLOWING_RATIO_USUAL} ({bm.SOURCE_RULE}); "
         + (f"{periods} follow-for-follow period(s) in the window" if periods
            else "no follow-for-follow period")) if pd.notna(ratio) else "",
        "following / followers at the end of the window", "following and follower counts")
    return out


def _num(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else round(number, 6)
