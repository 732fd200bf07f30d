"""Follow-back from the per-day counts the ingest layer kept of the Follower/Following lists.

No names exist here (``recommender.ingest.follows`` reduced them in memory). Definitions:
mutual = accounts in both lists = sum(follow_backs) + sum(followed_back); the share of
followers you follow back = mutual / listed followers; following who do not follow you =
(listed following - mutual) / listed following; speed = the share of your follow-backs made
within 24 h and 7 days of their follow, and the mean lag. The lists hold only the accounts
that still follow at export time, so unfollowed pairs are not counted.

Before / after: the 28 days with the most follow-backs (a rolling sum) against the 28 days
before them: mean daily follower gain and views per day in each, the difference with a 90%
Welch interval. A plain comparison, not a causal estimate (the strategy-impact machinery,
when it lands, gives a model-based counterfactual).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.ingest.follows import METRICS

SPAN = 28
Z90 = 1.645


def follow_back(account: pd.DataFrame, creator: str, panel: pd.DataFrame) -> dict | None:
    rows = account[(account["creator"].astype(str) == creator)
                   & account["metric"].isin(METRICS)]
    if rows.empty:
        return None
    per_day = rows.assign(day=rows["date"].dt.floor("D")).pivot_table(
        index="day", columns="metric", values="value", aggfunc="sum").astype(float)
    per_day = per_day.reindex(columns=list(METRICS)).fillna(0)
    total = per_day.sum()
    fans, following = total["listed_followers_new"], total["listed_following_new"]
    mutual = total["follow_backs"] + total["followed_back"]
    backs = total["follow_backs"]
    out: dict[str, object] = {
        "listed_followers": int(fans), "listed_following": int(following),
        "mutual": int(mutual),
        "followers_followed_back_share": _ratio(mutual, fans),
        "following_not_following_back_share": _ratio(following - mutual, following),
        "follow_backs_by_you": int(backs), "followed_you_back": int(total["followed_back"]),
        "follow_backs_within_1d_share": _ratio(total["follow_backs_1d"], backs),
        "follow_backs_within_7d_share": _ratio(total["follow_backs_7d"], backs),
        "mean_follow_back_lag_hours": _ratio(total["follow_back_lag_hours"], backs),
        "definition": "mutual = accounts in both lists; shares of the listed followers / "
                      "following; lags from the two follow dates (UTC)",
        "data": "personal export Follower/Following lists (per-day counts; no names kept)",
        "before_after": _before_after(per_day["follow_backs"], panel, creator),
    }
    return out


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else round(float(num) / float(den), 4)


def _welch(a: pd.Series, b: pd.Series) -> dict[str, float | int | None]:
    a, b = a.dropna(), b.dropna()
    if len(a) < 7 or len(b) < 7:
        return {"before": None, "during": None, "difference": None, "low": None,
                "high": None, "days_before": len(a), "days_during": len(b)}
    diff = float(b.mean() - a.mean())
    se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
    return {"before": round(float(a.mean()), 2), "during": round(float(b.mean()), 2),
            "difference": round(diff, 2), "low": round(diff - Z90 * se, 2),
            "high": round(diff + Z90 * se, 2), "days_before": len(a), "days_during": len(b)}


def _before_after(backs: pd.Series, panel: pd.DataFrame, creator: str) -> dict | None:
    days = panel[panel["creator"] == creator].set_index("day")
    if days.empty or backs.sum() == 0:
        return None
    full = backs.reindex(pd.date_range(backs.index.min(), backs.index.max(), freq="D"),
                         fill_value=0)
    rolling = full.rolling(SPAN, min_periods=SPAN).sum()
    if rolling.dropna().empty:
        return {"note": f"not enough data: follow-backs span under {SPAN} days"}
    end = rolling.idxmax()
    start = end - pd.Timedelta(days=SPAN - 1)
    before = (start - pd.Timedelta(days=SPAN), start - pd.Timedelta(days=1))
    result: dict[str, object] = {
        "period": [f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"],
        "follow_backs_in_period": int(rolling.max()),
        "compared_with": [f"{before[0]:%Y-%m-%d}", f"{before[1]:%Y-%m-%d}"],
        "interval": "90% Welch interval of the difference in daily means",
    }
    for name, col in (("daily_follower_gain", "gain"), ("daily_views", "views")):
        series = days[col] if col in days else pd.Series(dtype=float)
        result[name] = _welch(series.loc[before[0]:before[1]], series.loc[start:end])
    return result
