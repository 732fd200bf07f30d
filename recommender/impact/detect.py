"""``impact --detect``: the dates where the creator's own posting behaviour changed.

Four weekly signals (UTC weeks, Monday-Sunday): posts per week (as a square root, which
evens out count noise); the share of posts on a sound that is not the creator's own
original sound (trending-sound use: the store's trend lists are too sparse on real data to
say "trending" reliably); the share of posts that use one of the creator's five most used
hashtags of their first third of history (a niche switch moves it); the median duration
(log seconds). Each signal is standardised by its week-to-week noise (the MAD of first
differences, floored at half its spread; z clipped to +/-3 so one odd week cannot decide)
and PELT (``ruptures``: an exact penalised change-point search, l2 cost) finds the weeks
where their joint mean shifts, with a BIC-like penalty ``PENALTY x signals x log(weeks)``
and at least ``MIN_SEGMENT_WEEKS`` weeks between changes. Each change is then analysed by
``analysis.impact`` from that date to the next change.

Measured (make_posts worlds, 200 days): a creator going from ~1 to ~7 posts a week is
found within 2 weeks in 7 of 10 seeds; 5 of 24 untouched creators get a change point (their
trending-sound use follows which sounds are live, and busy/quiet weeks come in runs).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import RecommenderError, UsageError
from recommender.impact.analysis import ImpactResult, impact_many, utc
from recommender.impact.series import SETTLED_DAYS
from recommender.store import StoreData

PENALTY = 1.5
MIN_SEGMENT_WEEKS = 6
MIN_WEEKS = 2 * MIN_SEGMENT_WEEKS
SIGNALS = {"posts_per_week": "posts per week", "other_sound_share": "posts on a non-original "
           "sound", "niche_share": "posts with your usual hashtags", "duration": "median length"}


@dataclass
class Change:
    date: pd.Timestamp
    shifts: dict[str, tuple[float, float]]  # signal -> (before, after), the ones that moved
    impact: ImpactResult

    def describe(self) -> str:
        parts = []
        for name, (b, a) in self.shifts.items():
            if name == "duration":
                parts.append(f"{SIGNALS[name]} {np.exp(b):.0f} s -> {np.exp(a):.0f} s")
            elif name == "posts_per_week":
                parts.append(f"{SIGNALS[name]} {b:.1f} -> {a:.1f}")
            else:
                parts.append(f"{SIGNALS[name]} {b:.0%} -> {a:.0%}")
        return "; ".join(parts) or "a joint shift in posting behaviour"

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "what_changed": self.describe(),
                "signals": {k: {"before": round(b, 3), "after": round(a, 3)}
                            for k, (b, a) in self.shifts.items()},
                "impact": self.impact.to_dict()}


@dataclass
class DetectResult:
    creator: str
    metric: str
    weeks: int
    changes: list[Change]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"creator": self.creator, "metric": self.metric, "weeks": self.weeks,
                "method": f"PELT (ruptures), l2 cost on 4 standardised weekly signals "
                          f"({', '.join(SIGNALS)}), penalty {PENALTY} x 4 x log(weeks)",
                "changes": [c.to_dict() for c in self.changes], "notes": self.notes}


def weekly_signals(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per UTC week from the first post to the last: the four signals."""
    posts = posts.sort_values("posted_at", kind="stable")
    week = posts["posted_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN")
    first_third = posts.iloc[: max(1, len(posts) // 3)]
    usual = {t for t, _ in Counter(t for tags in first_third["hashtags"] for t in tags)
             .most_common(5)}
    frame = pd.DataFrame({
        "week": week.to_numpy(),
        "other_sound": ~posts["sound_is_original"].astype("boolean").fillna(True).to_numpy(
            dtype=bool),
        "niche": posts["hashtags"].map(lambda tags: bool(usual & set(tags))).to_numpy(),
        "duration": np.log(posts["duration_s"].astype("float64").clip(lower=1)).to_numpy(),
    })
    g = frame.groupby("week")
    weeks = pd.period_range(week.min(), week.max(), freq="W-SUN")
    out = pd.DataFrame({"posts_per_week": g.size(), "other_sound_share": g["other_sound"].mean(),
                        "niche_share": g["niche"].mean(), "duration": g["duration"].median()}
                       ).reindex(weeks)
    out["posts_per_week"] = out["posts_per_week"].fillna(0.0)
    return out.ffill().bfill()


def change_weeks(signals: pd.DataFrame) -> list[int]:
    """Indices of the first week of each new segment (PELT on standardised signals)."""
    import ruptures

    x = signals.to_numpy(dtype="float64").copy()
    # Counts: a square root makes their noise about the same at 1 and at 10 posts a week.
    x[:, list(signals.columns).index("posts_per_week")] **= 0.5
    # The noise scale from week-to-week differences (MAD / sqrt 2): unlike the spread of
    # the values, a shift in level does not inflate it, so a real change stands out.
    diffs = np.abs(np.diff(x, axis=0) - np.median(np.diff(x, axis=0), axis=0))
    scale = 1.4826 * np.median(diffs, axis=0) / np.sqrt(2)
    # Floors: a signal that is nearly constant (always the same hashtags) would otherwise
    # turn its one odd week into a huge outlier; clipping keeps single weeks from deciding.
    spread = np.nanstd(x, axis=0)
    scale = np.maximum(scale, np.maximum(0.5 * spread, 1e-6))
    z = np.clip(np.nan_to_num((x - np.median(x, axis=0)) / scale), -3, 3)
    algo = ruptures.Pelt(model="l2", min_size=MIN_SEGMENT_WEEKS, jump=1).fit(z)
    ends = algo.predict(pen=PENALTY * z.shape[1] * np.log(len(z)))
    return [int(e) for e in ends[:-1]]


def detect(data: StoreData, creator: str, until: str | None = None,
           metric: str = "engagement", model_params: dict[str, Any] | None = None
           ) -> DetectResult:
    """The job behind ``recommender impact CREATOR --detect``."""
    posts = data.posts[data.posts["creator"].astype(str) == creator]
    if posts.empty:
        stored = data.posts["creator"].nunique()
        raise UsageError(f"creator {creator!r} is not in the store ({stored} creators); check "
                         "the handle or ingest their export first")
    end = utc(until, "--until") if until else (
        data.posts["collected_at"].max() - pd.Timedelta(days=SETTLED_DAYS))
    signals = weekly_signals(posts[posts["posted_at"] < end])
    notes = [f"{len(signals)} weeks of posting from {signals.index[0].start_time:%Y-%m-%d}."]
    if len(signals) < MIN_WEEKS:
        notes.append(f"Not enough data: change points need at least {MIN_WEEKS} weeks of "
                     f"history ({len(signals)} here).")
        return DetectResult(creator, metric, len(signals), [], notes)
    idx = change_weeks(signals)
    bounds = [0, *idx, len(signals)]
    changes = []
    for k, i in enumerate(idx):
        date = pd.Timestamp(signals.index[i].start_time, tz="UTC")
        stop = (pd.Timestamp(signals.index[bounds[k + 2]].start_time, tz="UTC")
                if bounds[k + 2] < len(signals) else end)
        before = signals.iloc[bounds[k]:i].mean()
        after = signals.iloc[i:bounds[k + 2]].mean()
        spread = signals.std().replace(0, np.nan)
        moved = ((after - before).abs() / spread).fillna(0) >= 0.5
        shifts = {s: (float(before[s]), float(after[s])) for s in SIGNALS if moved[s]}
        try:
            previous = (pd.Timestamp(signals.index[bounds[k]].start_time, tz="UTC")
                        if k > 0 else None)
            result = impact_many(data, [creator], date, stop, None, metric, model_params,
                                 not_before=previous)[creator]
        except RecommenderError as error:
            notes.append(f"{date:%Y-%m-%d}: not analysed ({error})")
            continue
        changes.append(Change(date, shifts, result))
    if not idx:
        notes.append("No change point: your cadence, sounds, hashtags and lengths were steady "
                     "(or changed too little for this much history).")
    return DetectResult(creator, metric, len(signals), changes, notes)
