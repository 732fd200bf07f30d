"""Candidate posts for one creator: slots x hashtag sets x sound x duration.

Every candidate is a hypothetical post in the query format the model takes (``creator``,
``posted_at``, ``caption``, ``hashtags``, ``sound_id``, ``sound_name``, ``sound_is_original``,
``duration_s``) plus bookkeeping columns (``kind``, ``variant``, ``local``) that the model
ignores. Slots are whole local hours in the creator's time zone, so a half-hour zone such as
Asia/Kolkata gets 19:00 local, not 19:30.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.engagement import log_engagement
from recommender.model.timing import CLIP as RESID_CLIP  # the timing profile's clip
from recommender.recommend.trends import TrendState
from recommender.recommend.usual import (
    DEFAULT_DURATION_S,
    DEFAULT_HOUR,
    current_tags,
    usual_profiles,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DURATION_BUCKETS = (15.0, 30.0, 60.0)
MIN_TAG_USES = 3
BASELINE_POSTS = 20  # the trailing median's window, as the features' (``baseline_window``)
BEST_TAG_MIN = 0.01  # log scale: a tag worth under 1% is not "best" (reasons start at 1%)
TAG_ALPHAS = np.logspace(-2.0, 3.5, 23)  # ridge penalties tried, in posts
TREND_POSTS_PER_KNOT = 30
SETTLED_DAYS = 3.0  # younger posts have not finished growing; leave them out of tag stats
QUERY_COLUMNS = ["creator", "posted_at", "caption", "hashtags", "sound_id", "sound_name",
                 "sound_is_original", "duration_s"]


@dataclass(frozen=True)
class Sound:
    id: str | None
    name: str
    trending: bool
    status: str = ""  # "near its peak", "peaked 3 weeks ago"...

    @property
    def is_original(self) -> bool:
        return self.name == "original sound"

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "trending": self.trending}


ORIGINAL = Sound(None, "original sound", False)


@dataclass(frozen=True)
class Draft:
    """What the creator is about to post (every field optional)."""

    caption: str | None = None
    hashtags: tuple[str, ...] | None = None
    sound: str | None = None
    duration_s: float | None = None


@dataclass
class CreatorProfile:
    """What the creator usually does: the reference for "vs your usual post"."""

    creator: str
    timezone: str
    n_posts: int
    usual_hour: int
    usual_tags: list[str]
    best_tags: list[str]
    median_duration: float
    caption: str
    uses_trending_sounds: float  # share of posts with a non-original sound
    tag_scores: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))


def creator_profile(posts: pd.DataFrame, creator: str, timezone: str, target: str,
                    now: pd.Timestamp) -> CreatorProfile:
    own = posts[(posts["creator"] == creator) & (posts["posted_at"] <= now)]
    if own.empty:
        return CreatorProfile(creator, timezone, 0, DEFAULT_HOUR, [], [], DEFAULT_DURATION_S,
                              "", 0.0)
    current = current_tags(posts, now)
    usual = usual_profiles(own, [creator], {creator: timezone}, now, current).iloc[0]
    scores = _tag_scores(own, target, now)
    scores = scores[scores.index.isin(current)]
    best = [t for t in scores.index if scores[t] > BEST_TAG_MIN][:3]
    return CreatorProfile(
        creator=creator,
        timezone=timezone,
        n_posts=len(own),
        usual_hour=int(usual["usual_hour"]),
        usual_tags=list(usual["usual_tags"]),
        best_tags=best,
        median_duration=float(usual["median_duration"]),
        caption=str(usual["caption"]),
        uses_trending_sounds=float((~own["sound_is_original"].fillna(True).astype(bool)).mean()),
        tag_scores=scores,
    )


def _tag_scores(own: pd.DataFrame, target: str, now: pd.Timestamp) -> pd.Series:
    """Each tag's effect (log scale) on the creator's settled posts, net of the creator's
    level path: log engagement regressed on a smooth trend in time (a cubic spline, one
    knot per TREND_POSTS_PER_KNOT posts, unpenalised) and on indicators of the tags used at least
    MIN_TAG_USES times (ridge, the penalty chosen by leave-one-out error, ``_ridge_loo``).
    Outcomes are clipped at +/-RESID_CLIP around a running median, so one viral post does
    not crown its tags.

    Jointly, a tag used beside good ones is not credited with their effect (each tag's own
    mean residual was: "#fyp" rode on the niche tags beside it, and "best" tags came out
    worse than the usual ones on generated worlds); the penalty grows as the posts fail to
    tell tags apart. Net of the trend, a tag taken up as the account grew is not "best"."""
    settled = own[(now - own["posted_at"]) >= pd.Timedelta(days=SETTLED_DAYS)]
    settled = settled.sort_values("posted_at", kind="stable").reset_index(drop=True)
    y = pd.Series(log_engagement(settled, target), index=settled.index)
    y = y[np.isfinite(y)]
    settled = settled.loc[y.index]
    long = settled[["hashtags"]].explode("hashtags").dropna()
    uses = long["hashtags"].value_counts()
    long = long[long["hashtags"].isin(uses.index[uses >= MIN_TAG_USES])]
    if long.empty or len(y) < MIN_TAG_USES + 2:
        return pd.Series(dtype=float)
    running = y.rolling(2 * BASELINE_POSTS + 1, center=True, min_periods=1).median()
    y = running + np.clip(y - running, -RESID_CLIP, RESID_CLIP)
    used = (pd.crosstab(long.index, long["hashtags"]).reindex(y.index, fill_value=0) > 0)
    trend = _trend_basis(settled["posted_at"])
    # Frisch-Waugh: ridge on what the trend leaves = ridge that leaves the trend unpenalised.
    coef = _ridge_loo(_net_of(trend, used.to_numpy(dtype="float64")),
                      _net_of(trend, y.to_numpy(dtype="float64")))
    return pd.Series(coef, index=used.columns.astype(str)).sort_values(ascending=False)


def _ridge_loo(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ridge coefficients at the penalty in TAG_ALPHAS with the least leave-one-out squared
    error (closed form through the SVD, as scikit-learn's ``RidgeCV`` computes it; written
    out because importing scikit-learn doubled ``suggest``'s start-up: 0.8 s -> 1.6 s)."""
    u, sv, vt = np.linalg.svd(x, full_matrices=False)
    uty = u.T @ y
    best, best_loss = np.zeros(x.shape[1]), np.inf
    for alpha in TAG_ALPHAS:
        shrink = sv**2 / (sv**2 + alpha)
        fitted = u @ (shrink * uty)
        leverage = (u**2) @ shrink
        loss = float(np.mean(((y - fitted) / np.maximum(1.0 - leverage, 1e-9)) ** 2))
        if loss < best_loss:
            best, best_loss = vt.T @ (sv / (sv**2 + alpha) * uty), loss
    return best


def _net_of(basis: np.ndarray, values: np.ndarray) -> np.ndarray:
    return values - basis @ np.linalg.lstsq(basis, values, rcond=None)[0]


def _trend_basis(posted_at: pd.Series) -> np.ndarray:
    """A cubic spline in time with uniform knots, one per TREND_POSTS_PER_KNOT posts (2-8
    counting both ends), as the truncated-power basis: the same functions as scikit-learn's
    ``SplineTransformer`` spans, without its import. Only the intercept for a single day."""
    days = ((posted_at - posted_at.min()) / pd.Timedelta(days=1)).to_numpy(dtype="float64")
    if len(days) < 2 or days.max() <= 0:
        return np.ones((len(days), 1))
    t = days / days.max()
    knots = int(np.clip(len(days) // TREND_POSTS_PER_KNOT, 2, 8))
    inner = np.linspace(0.0, 1.0, knots)[1:-1]
    return np.column_stack([t**0, t, t**2, t**3]
                           + [np.maximum(t - k, 0.0) ** 3 for k in inner])


def slot_grid(now: pd.Timestamp, timezone: str, days: int, *, not_before: int | None = None,
              not_after: int | None = None, exclude_weekdays: tuple[str, ...] = ()
              ) -> pd.DatetimeIndex:
    """Whole local hours after ``now`` for ``days`` days, as tz-aware local times.

    Local hours that do not exist (spring forward) or happen twice (fall back) are skipped.
    ``not_before`` > ``not_after`` wraps midnight (22 to 2 keeps 22, 23, 0, 1, 2).
    """
    start = now.tz_convert(timezone).tz_localize(None).floor("h") + pd.Timedelta(hours=1)
    naive = pd.date_range(start, periods=days * 24, freq="h")
    local = naive.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dropna()
    keep = np.ones(len(local), dtype=bool)
    hour = local.hour.to_numpy()
    lo = 0 if not_before is None else not_before
    hi = 23 if not_after is None else not_after
    keep &= (hour >= lo) & (hour <= hi) if lo <= hi else (hour >= lo) | (hour <= hi)
    excluded = [WEEKDAYS.index(d) for d in exclude_weekdays]
    keep &= ~np.isin(local.day_of_week.to_numpy(), excluded)
    return local[keep]


def hashtag_sets(profile: CreatorProfile, trends: TrendState, draft: Draft | None
                 ) -> dict[str, list[str]]:
    """Named hashtag sets: the creator's usual, best, best + a trend, and the draft's. The
    trend takes the place of the usual tag that fills "best" to four, not of a best tag."""
    trending = [t for t in trends.trending_tags() if t not in profile.best_tags]
    sets = {
        "usual": profile.usual_tags,
        "best": _fill(profile.best_tags, profile.usual_tags, 4),
        "best+trend": _fill(profile.best_tags[:3] + trending[:1], profile.usual_tags, 4),
    }
    if draft is not None and draft.hashtags is not None:
        sets["draft"] = list(draft.hashtags)
    unique: dict[str, list[str]] = {}
    for name, tags in sets.items():
        if tags not in unique.values() or name == "usual":
            unique[name] = tags
    return unique


def _fill(first: list[str], rest: list[str], size: int) -> list[str]:
    out = list(dict.fromkeys(first))
    for tag in rest:
        if len(out) >= size:
            break
        if tag not in out:
            out.append(tag)
    return out


def sound_options(trends: TrendState, draft: Draft | None) -> list[Sound]:
    options = [ORIGINAL]
    for status in trends.trending_sounds():
        options.append(Sound(trends.sound_ids.get(status.name), status.name, True,
                             status.describe()))
    if draft is not None and draft.sound and draft.sound not in {s.name for s in options}:
        options.append(resolve_sound(draft.sound, trends))
    return options


def resolve_sound(name: str, trends: TrendState) -> Sound:
    if name.strip().lower() in ("original", "original sound", ""):
        return ORIGINAL
    status = trends.sound(name)
    return Sound(trends.sound_ids.get(name), name, status.trending, status.describe())


def durations(profile: CreatorProfile, draft: Draft | None) -> list[float]:
    values = list(DURATION_BUCKETS)
    if draft is not None and draft.duration_s is not None:
        values.append(float(draft.duration_s))
    return sorted(set(values))


def queries(creator: str, slots: pd.DatetimeIndex, tags: list[list[str]], sounds: list[Sound],
            lengths: list[float], caption: str) -> pd.DataFrame:
    """The full cross product as a query frame (slot-major order)."""
    combos = list(itertools.product(range(len(tags)), range(len(sounds)), range(len(lengths))))
    n_slots, n_combos = len(slots), len(combos)
    t_idx, s_idx, d_idx = (np.tile(np.array([c[k] for c in combos], dtype=int), n_slots)
                           for k in range(3))
    return pd.DataFrame({
        "creator": creator,
        "posted_at": np.repeat(slots.tz_convert("UTC"), n_combos),
        "caption": caption,
        "hashtags": [list(tags[i]) for i in t_idx],
        "sound_id": [sounds[i].id for i in s_idx],
        "sound_name": [sounds[i].name for i in s_idx],
        "sound_is_original": [sounds[i].is_original for i in s_idx],
        "duration_s": np.asarray(lengths, dtype=float)[d_idx],
        "tag_set": t_idx,
        "sound_option": s_idx,
        "local": np.repeat(slots, n_combos),
    })


def reference_queries(profile: CreatorProfile, now: pd.Timestamp) -> pd.DataFrame:
    """The creator's usual post at every hour of the coming week (the timing probe).

    Scored with the candidates; its median is "your usual post" and its spread over the 168
    hours is the model's timing profile for this creator.
    """
    slots = slot_grid(now, profile.timezone, 7)
    return queries(profile.creator, slots, [profile.usual_tags], [ORIGINAL],
                   [profile.median_duration], profile.caption)


def parse_weekdays(text: str | None) -> tuple[str, ...]:
    """'sat,sun' -> ('sat', 'sun'); raises ValueError naming the bad day."""
    if not text:
        return ()
    days = tuple(d.strip().lower()[:3] for d in text.split(",") if d.strip())
    bad = [d for d in days if d not in WEEKDAYS]
    if bad:
        raise ValueError(f"unknown weekday {bad[0]!r}; use mon,tue,wed,thu,fri,sat,sun")
    return days
