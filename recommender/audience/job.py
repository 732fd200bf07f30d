"""The jobs behind ``recommender audience``: one creator in detail, or every creator as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.audience import components as comp
from recommender.audience.daily import daily_panel
from recommender.audience.follow_back import follow_back
from recommender.audience.metrics import creator_metrics
from recommender.audience.signals import anomaly_reason, follow_periods, score_days
from recommender.errors import InputError, StoreError, UsageError
from recommender.store import StoreData

WINDOW_DAYS = 90
TABLE_COLUMNS = (
    "first_day", "last_day", "followers_start", "followers_end", "net_gain", "growth_pct",
    "weekly_gain", "weekly_gain_low", "weekly_gain_high", "gain_per_post",
    "gain_per_1k_views", "snowball_ratio", "suspicious_days", "unexplained_share",
    "erf_median", "erv_median", "vpf_median", "likes_per_comment", "shares_per_1k_views",
    "active_share", "following_ratio")


@dataclass
class Analysis:
    """Everything computed once for a store (shared by the detail and the table)."""

    panel: pd.DataFrame
    scored: pd.DataFrame
    periods: pd.DataFrame
    metrics: pd.DataFrame
    scores: pd.DataFrame
    views_from: dict[str, str]
    window_days: int


def analyse(data: StoreData, window_days: int = WINDOW_DAYS) -> Analysis:
    if window_days < 14:
        raise UsageError(f"--window {window_days}: give at least 14 days")
    panel, views_from = daily_panel(data)
    if panel.empty:
        raise StoreError("the store holds no follower counts, views or posts; ingest TikTok "
                         "Studio Followers/Overview exports or posts first")
    scored = score_days(panel)
    periods = follow_periods(panel)
    metrics = creator_metrics(data, panel, scored, window_days)
    window_start = metrics["last_day"] - pd.Timedelta(days=window_days)
    if periods.empty:
        in_window = pd.Series(0, index=metrics.index)
    else:
        ends = periods["end"] > periods["creator"].map(window_start)
        in_window = periods[ends].groupby("creator").size()
    scores = comp.score_columns(metrics, in_window)
    return Analysis(panel, scored, periods, metrics, scores, views_from, window_days)


@dataclass
class AudienceResult:
    creator: str
    window_days: int
    quality_score: float | None
    components: list[dict[str, object]]
    growth: dict[str, object]
    anomalies: list[dict[str, object]]
    follow_for_follow: list[dict[str, object]]
    vanity_vs_value: list[str]
    follow_back: dict | None
    missing: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"creator": self.creator, "window_days": self.window_days,
                "quality_score": self.quality_score, "components": self.components,
                "growth": self.growth, "anomalies": self.anomalies,
                "follow_for_follow": self.follow_for_follow,
                "vanity_vs_value": self.vanity_vs_value, "follow_back": self.follow_back,
                "missing_inputs": self.missing, "notes": self.notes}


def _f(value: object, digits: int = 2) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else round(number, digits)


def _growth(row: pd.Series, views_word: str) -> dict[str, object]:
    ratio = row["snowball_ratio"]
    if pd.isna(ratio) or row["weeks"] < 4:
        snowball = "not enough data: needs 4+ full weeks of daily follower counts"
    elif row["growth_rate_late"] <= 0:
        snowball = "stalled: no net growth in the second half of the window"
    elif ratio > 1.25:
        snowball = f"accelerating: relative weekly growth x{ratio:.2f} in the second half"
    elif ratio < 0.5:
        snowball = f"slowing: relative weekly growth x{ratio:.2f} in the second half"
    else:
        snowball = f"steady: relative weekly growth x{ratio:.2f} in the second half"
    return {
        "first_day": f"{row['first_day']:%Y-%m-%d}", "last_day": f"{row['last_day']:%Y-%m-%d}",
        "followers_start": _f(row["followers_start"], 0),
        "followers_end": _f(row["followers_end"], 0), "net_gain": _f(row["net_gain"], 0),
        "growth_pct": _f(row["growth_pct"]),
        "weekly_gain": {"mean": _f(row["weekly_gain"], 1), "low": _f(row["weekly_gain_low"], 1),
                        "high": _f(row["weekly_gain_high"], 1), "weeks": int(row["weeks"])
                        if pd.notna(row["weeks"]) else 0,
                        "interval": "90% normal interval over full 7-day blocks"},
        "mean_daily_gain": _f(row["net_gain"] / max(row["follower_days"] - 1, 1)
                              if pd.notna(row["net_gain"]) else None, 1),
        "gain_per_post": _f(row["gain_per_post"], 1), "posts": int(row["posts"]),
        "gain_per_1k_views": _f(row["gain_per_1k_views"]), "views_from": views_word,
        "snowball": snowball,
        "definition": "net gain = followers at the window's end - at its start; gain per "
                      "post / per 1,000 views divide it by posts published / views in the "
                      "window",
    }


def _vanity(row: pd.Series) -> list[str]:
    out = []
    growth = row["growth_pct"]
    early, late = row["eng_early"], row["eng_late"]
    if pd.isna(growth):
        return ["not enough data: no follower counts at both ends of the window"]
    fol = f"followers {growth:+.0f}% in {int(row['follower_days'])} days"
    if pd.isna(early) or pd.isna(late) or early <= 0:
        out.append(f"{fol}; engagement per post not measurable (too few posts with counts)")
        return out
    change = 100 * (late / early - 1)
    eng = f"engagement per post {change:+.0f}% (median post, last third vs first third)"
    if growth > 15 and change < 10:
        out.append(f"{fol}, {eng}: the new followers are not watching (vanity growth)")
    elif growth < 5 and change > 15:
        out.append(f"{fol}, {eng}: the audience engages more without growing (value "
                   "without vanity)")
    else:
        out.append(f"{fol}, {eng}: the two moved together")
    if row["suspicious_days"] > 0:
        out.append(f"{int(row['suspicious_days'])} day(s) of follower jumps without views: "
                   "their followers add to the count, not to the audience")
    return out


def creator_report(data: StoreData, creator: str, window_days: int = WINDOW_DAYS,
                   analysis: Analysis | None = None) -> AudienceResult:
    creator = creator.strip().lstrip("@")
    known = set(data.posts["creator"].astype(str)) | set(data.account_daily["creator"]
                                                         .astype(str))
    if creator not in known:
        sample = ", ".join(sorted(known)[:5]) or "none"
        raise InputError(f"creator {creator!r} is not in the store (stored: {sample}); "
                         "pass a handle as ingested")
    analysis = analysis or analyse(data.for_creators([creator]), window_days)
    if creator not in analysis.metrics.index:
        raise InputError(f"creator {creator!r}: no follower counts, views or posts stored")
    row = analysis.metrics.loc[creator]
    scores = analysis.scores.loc[creator]
    views_word = analysis.views_from.get(creator, "no views stored")
    periods = analysis.periods[analysis.periods["creator"] == creator]
    window_start = row["last_day"] - pd.Timedelta(days=window_days)
    in_window = periods[periods["end"] > window_start]
    components = comp.describe(row, scores, len(in_window))
    missing = [c["name"] for c in components if c["value"] is None]
    days = analysis.scored[(analysis.scored["creator"] == creator)
                           & (analysis.scored["jump"] | analysis.scored["suspicious"])]
    short = "daily views" if views_word.startswith("Studio") else "views of that day's posts"
    anomalies = [{"date": f"{r.day:%Y-%m-%d}", "followers_gained": int(r.gain),
                  "views": None if pd.isna(r.views) else int(r.views),
                  "expected_gain": round(float(r.expected), 1),
                  "suspicious": bool(r.suspicious),
                  "reason": anomaly_reason(pd.Series(r._asdict()), short)}
                 for r in days.itertuples()]
    f4f = [{"start": f"{p.start:%Y-%m-%d}", "end": f"{p.end:%Y-%m-%d}", "days": int(p.days),
            "following_added": int(p.following_added),
            "followers_added": int(p.followers_added),
            "name": f"follow-for-follow {p.start:%Y-%m-%d}..{p.end:%Y-%m-%d}: following "
                    f"+{int(p.following_added):,}, followers +{int(p.followers_added):,}"}
           for p in periods.itertuples()]
    notes = [f"window: the last {window_days} days with data ({row['first_day']:%Y-%m-%d} to "
             f"{row['last_day']:%Y-%m-%d})", f"views: {views_word}",
             "benchmarks are approximate (see docs/ARCHITECTURE.md, audience)"]
    if not bool(row["enough_days"]):
        notes.append("not enough data for the jump test: fewer than 14 consecutive days with "
                     "follower counts and views")
    quality = scores["quality_score"]
    if pd.isna(quality):
        notes.append(f"quality score: not enough data (fewer than {comp.MIN_COMPONENTS} "
                     "components measurable)")
    return AudienceResult(
        creator=creator, window_days=window_days,
        quality_score=None if pd.isna(quality) else float(quality), components=components,
        growth=_growth(row, views_word), anomalies=anomalies, follow_for_follow=f4f,
        vanity_vs_value=_vanity(row),
        follow_back=follow_back(data.account_daily, creator, analysis.panel),
        missing=missing, notes=notes)


def audience_table(data: StoreData, window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """One row per creator: the headline measures, component scores and missing inputs."""
    analysis = analyse(data, window_days)
    table = analysis.metrics[list(TABLE_COLUMNS)].join(analysis.scores)
    periods = analysis.periods.groupby("creator").size() if not analysis.periods.empty \
        else pd.Series(dtype=int)
    table["follow_for_follow_periods"] = periods.reindex(table.index).fillna(0).astype(int)
    table["views_from"] = table.index.map(analysis.views_from)
    return table.reset_index()


def write_table(table: pd.DataFrame, out: Path) -> Path:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise UsageError(f"--out {out}: give a .csv or .parquet file name")
    if not out.parent.exists():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
    frame = table.copy()
    for col in ("first_day", "last_day"):
        frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    if suffix == ".csv":
        frame.to_csv(out, index=False, float_format="%.6g")
    else:
        frame.to_parquet(out, index=False)
    return out
