"""What is trending near ``now``: sounds and hashtags from the trend lists (or the store).

Trend lists say what is on the list; the store says what creators actually started using.
A name listed on (nearly) every day of the last two months (#fyp, #foryou...) is "evergreen",
not "trending": it is never offered as a trend, although the model still scores it when a
creator uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

LIST_LOOKBACK_DAYS = 3  # a trend list older than this is no longer "now"
HISTORY_DAYS = 60
EVERGREEN_SHARE = 0.8  # listed on >= 80% of the snapshot days: always there, not a trend
NEAR_PEAK_DAYS = 4.0
STORE_WINDOW_DAYS = 7


@dataclass(frozen=True)
class TrendStatus:
    """One sound or hashtag's place in its life cycle at ``now``."""

    name: str
    listed_now: bool
    days_since_peak: float | None  # None: never seen on a list or rising in the store
    rising: bool

    @property
    def trending(self) -> bool:
        return self.listed_now or self.rising

    def describe(self) -> str:
        if self.days_since_peak is None:
            return "rising in use" if self.rising else "not trending"
        if self.listed_now and self.days_since_peak <= NEAR_PEAK_DAYS:
            return "near its peak"
        if self.rising:
            return "rising"
        return f"peaked {_ago(self.days_since_peak)}"


def _ago(days: float) -> str:
    if days >= 13.5:
        return f"{round(days / 7)} weeks ago"
    return f"{max(1, round(days))} days ago"


def trend_statuses(trends: pd.DataFrame, kind: str, now: pd.Timestamp) -> dict[str, TrendStatus]:
    """Status of every name of ``kind`` seen on a list in the last HISTORY_DAYS before now."""
    rows = trends[(trends["kind"] == kind) & (trends["date"] <= now)
                  & (trends["date"] > now - pd.Timedelta(days=HISTORY_DAYS))]
    if rows.empty:
        return {}
    rows = rows.assign(value=_strength(rows), name=rows["name"].astype(str))
    latest_day = rows["date"].max()
    listed_now = set(rows.loc[rows["date"] == latest_day, "name"]) if (
        now - latest_day <= pd.Timedelta(days=LIST_LOOKBACK_DAYS)) else set()
    peak_at = rows.loc[rows.groupby("name")["value"].idxmax(), ["name", "date"]]
    recent = rows[rows["date"] > latest_day - pd.Timedelta(days=5)]
    by_name = recent.sort_values("date").groupby("name")["value"]
    slope = by_name.last() - by_name.first()
    out: dict[str, TrendStatus] = {}
    for name, date in zip(peak_at["name"], peak_at["date"]):
        out[name] = TrendStatus(
            name=name,
            listed_now=name in listed_now,
            days_since_peak=max(0.0, (now - date) / pd.Timedelta(days=1)),
            rising=bool(slope.get(name, 0.0) > 0) and name in listed_now,
        )
    return out


def _strength(rows: pd.DataFrame) -> pd.Series:
    """Score where the list has one, else an inverse rank (higher = more popular)."""
    score = pd.to_numeric(rows["score"], errors="coerce").astype("float64")
    rank = pd.to_numeric(rows["rank"], errors="coerce").astype("float64")
    return score.fillna(100.0 / rank.clip(lower=1)).fillna(0.0)


def evergreen(trends: pd.DataFrame, kind: str, now: pd.Timestamp) -> set[str]:
    rows = trends[(trends["kind"] == kind) & (trends["date"] <= now)
                  & (trends["date"] > now - pd.Timedelta(days=HISTORY_DAYS))]
    days = rows["date"].dt.normalize().nunique()
    if days < 7:
        return set()
    share = rows.groupby(rows["name"].astype(str))["date"].nunique() / days
    return set(share.index[share >= EVERGREEN_SHARE])


def store_rising_sounds(posts: pd.DataFrame, now: pd.Timestamp) -> dict[str, TrendStatus]:
    """Non-original sounds used by more creators in the last week than the week before.

    The fallback when no trend list was ingested: momentum from the store itself.
    """
    window = pd.Timedelta(days=STORE_WINDOW_DAYS)
    used = posts[(posts["posted_at"] <= now) & (posts["posted_at"] > now - 2 * window)
                 & ~posts["sound_is_original"].fillna(True).astype(bool)]
    if used.empty:
        return {}
    late = used["posted_at"] > now - window
    counts = pd.DataFrame({
        "late": used[late].groupby("sound_name")["creator"].nunique(),
        "early": used[~late].groupby("sound_name")["creator"].nunique(),
    }).fillna(0)
    rising = counts[(counts["late"] >= 2) & (counts["late"] > counts["early"])]
    return {str(n): TrendStatus(str(n), False, None, True) for n in rising.index}


@dataclass
class TrendState:
    """Trending sounds and hashtags at ``now``, best first."""

    now: pd.Timestamp
    sounds: dict[str, TrendStatus]
    hashtags: dict[str, TrendStatus]
    evergreen_tags: set[str]
    sound_ids: dict[str, str]  # sound name -> id as seen in the store
    source: str  # "trend lists" | "store momentum" | "none"

    def trending_sounds(self, limit: int = 2) -> list[TrendStatus]:
        live = [s for s in self.sounds.values() if s.trending]
        # Near the peak or rising first, then the freshest peak.
        live.sort(key=lambda s: (not (s.rising or s.describe() == "near its peak"),
                                 s.days_since_peak if s.days_since_peak is not None else 0.0))
        return live[:limit]

    def trending_tags(self, limit: int = 3) -> list[str]:
        live = [t for t in self.hashtags.values()
                if t.trending and t.name not in self.evergreen_tags]
        live.sort(key=lambda t: t.days_since_peak if t.days_since_peak is not None else 0.0)
        return [t.name for t in live[:limit]]

    def sound(self, name: str) -> TrendStatus:
        return self.sounds.get(name, TrendStatus(name, False, None, False))


def trend_state(trends: pd.DataFrame, posts: pd.DataFrame, now: pd.Timestamp) -> TrendState:
    sounds = trend_statuses(trends, "sound", now)
    source = "trend lists" if sounds else "none"
    if not sounds:
        sounds = store_rising_sounds(posts, now)
        source = "store momentum" if sounds else "none"
    return TrendState(
        now=now,
        sounds=sounds,
        hashtags=trend_statuses(trends, "hashtag", now),
        evergreen_tags=evergreen(trends, "hashtag", now),
        sound_ids=_sound_ids(posts),
        source=source,
    )


def _sound_ids(posts: pd.DataFrame) -> dict[str, str]:
    """The most used id for each non-original sound name (trend lists often lack ids)."""
    named = posts.loc[~posts["sound_is_original"].fillna(True).astype(bool),
                      ["sound_name", "sound_id"]].dropna()
    if named.empty:
        return {}
    top = named.value_counts().reset_index().drop_duplicates("sound_name")
    return dict(zip(top["sound_name"].astype(str), top["sound_id"].astype(str)))
