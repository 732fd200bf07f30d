"""Draft pools for a generated world, and the world's true engagement of a schedule.

``make_drafts(data, start, n_per_creator=...)`` writes an agency's pool for the busiest
creators: captions, hashtags (0-4 of the creator's niche tags + broad tags), a sound (original,
or a trending sound of the world's pool, live at ``start``) and a duration drawn as the
generator draws them; ``planned_at`` is the agency's own slot for the first
``agency_slots`` drafts: one a day at the creator's habitual local hour (the hour they post
at most, which the generator makes different from their best hour).

``true_engagement(data, schedule)`` is the planted truth of a schedule: each post's expected
final interactions, exp(level + timing + cadence + hashtags + duration + sound) with the
effect sizes of ``_effects`` (noise and virality left out: their mean is one factor for
every post). ``level`` is the creator's median over their last 20 posts of the log final
interactions less the planted effects (followers and rate). The cadence gap counts the
creator's stored posts and the schedule's own earlier posts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recommender.datasets import _effects as fx
from recommender.datasets._posts import EFFECT_COLUMNS
from recommender.datasets._world import BROAD_HASHTAGS

if TYPE_CHECKING:
    from recommender.datasets import SyntheticData


def make_drafts(data: SyntheticData, start: str, *, n_per_creator: int = 20,
                n_creators: int | None = None, agency_slots: int = 0, seed: int = 0
                ) -> pd.DataFrame:
    """A draft pool (plan format: creator, planned_at, caption, hashtags, sound,
    duration_s) for the ``n_creators`` creators with the most posts (all by default)."""
    rng = np.random.default_rng(seed)
    truth = data.effects.creators.set_index("creator")
    counts = data.posts["creator"].astype(str).value_counts()
    creators = list(counts.index[:n_creators] if n_creators else counts.index)
    sounds = data.effects.sounds
    when = pd.Timestamp(start, tz="UTC")
    dfp = ((when - pd.to_datetime(sounds["peak"], utc=True)).dt.total_seconds() / 86400.0
           ).to_numpy()
    live = sounds["name"].to_numpy()[(dfp > -2 * sounds["rise_days"].to_numpy()) & (dfp < 20)]
    rows = []
    for creator in creators:
        profile = truth.loc[creator]
        habit = _habit_hour(data, creator, str(profile["timezone"]))
        niche = list(profile["niche_hashtags"])
        for k in range(n_per_creator):
            tags = [str(t) for t in rng.choice(niche, size=int(rng.integers(0, 5)),
                                                replace=False)]
            tags += [t for t in BROAD_HASHTAGS[:2] if rng.random() < 0.4]
            sound = (str(rng.choice(live)) if len(live) and rng.random() < 0.35
                     else "original sound")
            long_video = rng.random() < 0.04
            duration = (rng.uniform(90, 600) if long_video
                        else np.clip(rng.lognormal(np.log(22), 0.65), 5, 180))
            planned = ""
            if k < agency_slots:
                day = pd.Timestamp(start) + pd.Timedelta(days=k)
                planned = f"{day:%Y-%m-%d}T{habit:02d}:00"
            rows.append({"creator": creator, "planned_at": planned,
                         "caption": f"draft {k + 1} for {creator}",
                         "hashtags": " ".join(f"#{t}" for t in tags), "sound": sound,
                         "duration_s": str(int(round(duration)))})
    return pd.DataFrame(rows)


def _habit_hour(data: SyntheticData, creator: str, zone: str) -> int:
    times = pd.DatetimeIndex(data.posts.loc[data.posts["creator"] == creator, "posted_at"])
    hours = times.tz_convert(zone).hour
    return int(pd.Series(hours).mode().iloc[0]) if len(hours) else 19


def true_engagement(data: SyntheticData, schedule: pd.DataFrame) -> pd.Series:
    """Expected final interactions of each scheduled post (``schedule``: ``creator``,
    ``planned_at`` (ISO with offset or tz-aware), ``hashtags``, ``sound``, ``duration_s``),
    in the schedule's index order."""
    parts = true_components(data, schedule)
    return np.exp(parts.sum(axis=1)).rename(None)


def true_components(data: SyntheticData, schedule: pd.DataFrame) -> pd.DataFrame:
    """The log-scale parts of ``true_engagement``, one column each: ``level``, ``timing``,
    ``cadence`` (the gap to the post just before, stored or scheduled) and ``content``
    (hashtags + duration + sound), in the schedule's index order."""
    truth = data.effects.creators.set_index("creator")
    comps = data.effects.post_components
    residual = comps["log_final_interactions"] - comps[list(EFFECT_COLUMNS)].sum(axis=1)
    level = residual.groupby(comps["creator"]).apply(lambda r: float(r.tail(20).median()))
    sounds = data.effects.sounds.set_index("name")
    out = pd.DataFrame(np.nan, index=schedule.index,
                       columns=["level", "timing", "cadence", "content"])
    when_all = pd.to_datetime(schedule["planned_at"].astype(str), utc=True, format="ISO8601")
    for creator, rows in schedule.groupby(schedule["creator"].astype(str), sort=False):
        profile = truth.loc[creator]
        when = when_all.loc[rows.index].sort_values()
        stored = pd.DatetimeIndex(data.posts.loc[data.posts["creator"] == creator, "posted_at"])
        t = pd.DatetimeIndex(when).as_unit("ns").asi8
        # As the generator does: the gap to the post just before in time order (stored
        # posts first among equal times; posts at the same instant are 0 h apart).
        every = np.r_[stored.as_unit("ns").asi8, t]
        order = np.argsort(every, kind="stable")
        gaps = np.diff(every[order], prepend=np.nan) / 3.6e12
        gap_h = np.empty(len(every))
        gap_h[order] = gaps
        gap_h = gap_h[len(stored):]
        local = pd.DatetimeIndex(when).tz_convert(str(profile["timezone"]))
        ordered = rows.loc[when.index]
        tags = ordered["hashtags"].fillna("").astype(str).str.replace("#", " ").str.split()
        niche = set(profile["niche_hashtags"])
        n_niche = np.array([sum(t in niche for t in ts) for ts in tags])
        content = fx.hashtag_effect(n_niche, tags.map(len).to_numpy())
        content = content + fx.duration_effect(pd.to_numeric(ordered["duration_s"]).to_numpy())
        content = content + _sound_lift(ordered["sound"].fillna("").astype(str), when, sounds)
        out.loc[when.index, "level"] = level.get(creator, 0.0)
        out.loc[when.index, "timing"] = fx.timing_effect(
            local.hour.to_numpy(), local.day_of_week.to_numpy(), profile["best_local_hour"],
            profile["best_weekday"], profile["timing_strength"])
        out.loc[when.index, "cadence"] = fx.cadence_effect(gap_h)
        out.loc[when.index, "content"] = content
    return out


def _sound_lift(names: pd.Series, when: pd.Series, sounds: pd.DataFrame) -> np.ndarray:
    out = np.zeros(len(names))
    for i, (name, t) in enumerate(zip(names, when)):
        if name in sounds.index:
            row = sounds.loc[name]
            days = (t - pd.Timestamp(row["peak"])).total_seconds() / 86400.0
            out[i] = float(fx.sound_effect(np.array([days]), row["rise_days"],
                                           row["decay_days"])[0])
    return out
