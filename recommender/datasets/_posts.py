"""Simulating one creator's posts: schedule, content choices, planted effects, counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender.datasets import _effects as fx
from recommender.datasets._world import BROAD_HASHTAGS, NICHES, epoch_seconds, tiktok_id

# Probability of using 0..5 niche hashtags on a post.
NICHE_COUNT_P = (0.15, 0.2, 0.25, 0.2, 0.12, 0.08)
BROAD_RELATIVE_USE = (1.0, 0.7, 0.5, 0.3)  # fyp is the most used broad tag
CATALOG_SOUND_SHARE = 0.1
CHALLENGE_USE = 0.3  # chance to join a challenge that is trending (popularity >= 0.2)
SOUND_USABLE_AFTER_PEAK_DAYS = 60.0
WEEK_SHAPE = 2.0


def schedule(rng: np.random.Generator, creator: pd.Series, start: pd.Timestamp,
             end: pd.Timestamp) -> pd.DatetimeIndex:
    """Post times (UTC, sorted): a Poisson number per local day at habitual local hours."""
    zone = str(creator["timezone"])
    first = start.tz_convert(zone).normalize().tz_localize(None) - pd.Timedelta(days=1)
    days = pd.date_range(first, end.tz_convert(zone).normalize().tz_localize(None), freq="D")
    # Busy and quiet weeks (gamma factor, mean 1) make cadence bursty, as real creators are.
    week_factor = rng.gamma(WEEK_SHAPE, 1.0 / WEEK_SHAPE, len(days) // 7 + 1)
    rate = float(creator["posts_per_week"]) / 7.0 * week_factor[np.arange(len(days)) // 7]
    per_day = rng.poisson(rate)
    local_day = np.repeat(days.to_numpy(), per_day)
    n = len(local_day)
    habit = np.round(rng.normal(float(creator["habit_local_hour"]), 1.5, n)) % 24
    awake = rng.integers(7, 24, n)
    anytime = rng.integers(0, 24, n)
    pick = rng.random(n)
    hour = np.where(pick < 0.45, habit, np.where(pick < 0.95, awake, anytime))
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    naive = pd.DatetimeIndex(local_day) + pd.to_timedelta(seconds, unit="s")
    local = naive.tz_localize(zone, ambiguous=np.zeros(n, dtype=bool),
                              nonexistent="shift_forward")
    times = local.tz_convert("UTC").as_unit("ns")
    return times[(times >= start) & (times < end)].sort_values().unique()


def choose_content(rng: np.random.Generator, creator: pd.Series, times: pd.DatetimeIndex,
                   pools: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Duration, sound and hashtags of each post, with the trend ages they were used at."""
    n = len(times)
    long_video = rng.random(n) < 0.04
    duration = np.where(long_video, rng.uniform(90, 600, n),
                        np.clip(rng.lognormal(np.log(22), 0.65, n), 5, 180))
    frame = pd.DataFrame({"posted_at": times, "duration_s": np.round(duration)})
    frame = frame.join(_choose_sounds(rng, creator, times, pools))
    frame = frame.join(_choose_hashtags(rng, creator, times, pools["challenges"]))
    frame["caption"] = _captions(rng, creator, frame["hashtags"])
    return frame


def days_from_peak(times: pd.DatetimeIndex, pool: pd.DataFrame) -> np.ndarray:
    """Matrix times x pool items of (time - item peak) in days."""
    peak = epoch_seconds(pool["peak"])
    return (epoch_seconds(times)[:, None] - peak[None, :]) / 86400.0


def _choose_sounds(rng: np.random.Generator, creator: pd.Series, times: pd.DatetimeIndex,
                   pools: dict[str, pd.DataFrame]) -> pd.DataFrame:
    sounds, catalog = pools["sounds"], pools["catalog"]
    n = len(times)
    dfp = days_from_peak(times, sounds)
    usable = (dfp >= -2 * sounds["rise_days"].to_numpy()) & (dfp <= SOUND_USABLE_AFTER_PEAK_DAYS)
    u = rng.random(n)
    wants_trend = u < float(creator["trend_sound_share"])
    wants_catalog = ~wants_trend & (u < float(creator["trend_sound_share"]) + CATALOG_SOUND_SHARE)
    # Each original sound gets its own id, made just before the post.
    ids = tiktok_id(rng, epoch_seconds(times).astype(np.int64) - 60)
    out = {"sound_id": ids, "sound_name": ["original sound"] * n,
           "sound_is_original": np.ones(n, dtype=bool), "sound_days_from_peak": np.full(n, np.nan),
           "sound_rise": np.ones(n), "sound_decay": np.ones(n)}
    for i in range(n):
        options = np.flatnonzero(usable[i])
        if wants_trend[i] and len(options):
            k = int(rng.choice(options))
            _set_sound(out, i, sounds.iloc[k], False)
            out["sound_days_from_peak"][i] = dfp[i, k]
            out["sound_rise"][i] = sounds["rise_days"].iat[k]
            out["sound_decay"][i] = sounds["decay_days"].iat[k]
        elif wants_catalog[i]:
            _set_sound(out, i, catalog.iloc[int(rng.integers(0, len(catalog)))], False)
    return pd.DataFrame(out)


def _set_sound(out: dict[str, Any], i: int, sound: pd.Series, original: bool) -> None:
    out["sound_id"][i] = str(sound["entity_id"])
    out["sound_name"][i] = str(sound["name"])
    out["sound_is_original"][i] = original


def _choose_hashtags(rng: np.random.Generator, creator: pd.Series, times: pd.DatetimeIndex,
                     challenges: pd.DataFrame) -> pd.DataFrame:
    n = len(times)
    niche_pool = list(creator["niche_hashtags"])
    dfp = days_from_peak(times, challenges)
    pop = fx.popularity(dfp, challenges["rise_days"].to_numpy(),
                        challenges["decay_days"].to_numpy())
    broad_p = float(creator["broad_tag_share"]) * np.array(BROAD_RELATIVE_USE)
    tags, n_niche = [], np.zeros(n, dtype=int)
    challenge_dfp, rise, decay = np.full(n, np.nan), np.ones(n), np.ones(n)
    for i in range(n):
        k = int(rng.choice(len(NICHE_COUNT_P), p=NICHE_COUNT_P))
        post_tags = [str(t) for t in rng.choice(niche_pool, size=k, replace=False)]
        n_niche[i] = k
        live = np.flatnonzero(pop[i] >= 0.2)
        if len(live) and rng.random() < CHALLENGE_USE:
            j = int(rng.choice(live))
            post_tags.append(str(challenges["name"].iat[j]))
            challenge_dfp[i] = dfp[i, j]
            rise[i], decay[i] = challenges["rise_days"].iat[j], challenges["decay_days"].iat[j]
        post_tags += [t for t, p in zip(BROAD_HASHTAGS, broad_p) if rng.random() < p]
        tags.append(post_tags)
    return pd.DataFrame({"hashtags": tags, "n_niche_tags": n_niche,
                         "challenge_days_from_peak": challenge_dfp,
                         "challenge_rise": rise, "challenge_decay": decay})


def _captions(rng: np.random.Generator, creator: pd.Series, hashtags: pd.Series) -> list[str]:
    openers = NICHES[str(creator["niche"])][2]
    emoji = ("", "", " ✨", " 😂", " 🔥", " 👀")
    out = []
    for tags in hashtags:
        text = f"{rng.choice(openers)}{rng.choice(emoji)}"
        if tags:
            text += " " + " ".join(f"#{t}" for t in tags)
        out.append(text)
    return out


def local_clock(times: pd.DatetimeIndex, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local hour (0-23) and weekday (0 = Monday) of UTC ``times`` in ``zone``."""
    local = times.tz_convert(zone)
    return local.hour.to_numpy(), local.day_of_week.to_numpy()


def effect_components(creator: pd.Series, content: pd.DataFrame,
                      rng: np.random.Generator) -> pd.DataFrame:
    """Every planted effect of every post on the log scale (followers not included)."""
    times = pd.DatetimeIndex(content["posted_at"])
    hour, weekday = local_clock(times, str(creator["timezone"]))
    gap_h = np.diff(epoch_seconds(times), prepend=np.nan) / 3600.0
    noise, shock = fx.shocks(rng, len(content))
    tags = content["hashtags"]
    return pd.DataFrame({
        "local_hour": hour,
        "local_weekday": weekday,
        "hours_since_previous": gap_h,
        "timing": fx.timing_effect(hour, weekday, creator["best_local_hour"],
                                   creator["best_weekday"], creator["timing_strength"]),
        "sound": fx.sound_effect(content["sound_days_from_peak"], content["sound_rise"],
                                 content["sound_decay"]),
        "challenge": fx.challenge_effect(content["challenge_days_from_peak"],
                                         content["challenge_rise"], content["challenge_decay"]),
        "hashtags": fx.hashtag_effect(content["n_niche_tags"], tags.map(len)),
        "duration": fx.duration_effect(content["duration_s"]),
        "cadence": fx.cadence_effect(gap_h),
        "noise": noise,
        "virality": shock,
    })


EFFECT_COLUMNS = ("timing", "sound", "challenge", "hashtags", "duration", "cadence", "noise",
                  "virality")


def snowball(creator: pd.Series, times: pd.DatetimeIndex, log_lift: np.ndarray,
             start: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Followers at each post and each post's final interactions, simulated in time order.

    Each post's final interactions = start followers x rate x (followers_at_post / start
    followers) ** elasticity x exp(lift); its interactions convert to new followers as it
    ages, which raises every later post's reach.
    """
    n = len(times)
    t_days = (epoch_seconds(times) - epoch_seconds(start)) / 86400.0
    organic = float(creator["followers_start"]) * np.exp(
        float(creator["follower_drift_per_day"]) * t_days)
    start_followers = float(creator["followers_start"])
    level = start_followers * float(creator["interaction_rate"])
    followers, final = np.zeros(n), np.zeros(n)
    for i in range(n):
        gained = fx.age_fraction(t_days[i] - t_days[:i]) @ final[:i]
        followers[i] = organic[i] + fx.FOLLOW_CONVERSION * gained
        reach = (followers[i] / start_followers) ** fx.FOLLOWER_ELASTICITY
        final[i] = level * reach * np.exp(log_lift[i])
    return followers, final


def followers_on(creator: pd.Series, moments: pd.DatetimeIndex, times: pd.DatetimeIndex,
                 final: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Followers at arbitrary ``moments`` (same model as ``snowball``)."""
    m_days = (epoch_seconds(moments) - epoch_seconds(start)) / 86400.0
    t_days = (epoch_seconds(times) - epoch_seconds(start)) / 86400.0
    organic = float(creator["followers_start"]) * np.exp(
        float(creator["follower_drift_per_day"]) * m_days)
    gained = fx.age_fraction(m_days[:, None] - t_days[None, :]) @ final
    return organic + fx.FOLLOW_CONVERSION * gained


def split_counts(rng: np.random.Generator, creator: pd.Series, final: np.ndarray,
                 age_days: np.ndarray) -> dict[str, np.ndarray]:
    """Final interactions -> likes/comments/shares/saves/views, then thinned by post age."""
    n = len(final)
    ratio = {k: float(creator[f"{k}_ratio"]) * rng.lognormal(0.0, sd, n)
             for k, sd in (("comment", 0.6), ("share", 0.8), ("save", 0.6))}
    likes_mean = final / (1.0 + ratio["comment"] + ratio["share"])
    lv = np.clip(float(creator["like_view_ratio"]) * rng.lognormal(0.0, 0.3, n), 0.01, 0.6)
    final_counts = {
        "likes": rng.poisson(likes_mean),
        "comments": rng.poisson(likes_mean * ratio["comment"]),
        "shares": rng.poisson(likes_mean * ratio["share"]),
        "saves": rng.poisson(likes_mean * ratio["save"]),
        "views": rng.poisson(likes_mean / lv),
    }
    reached = fx.age_fraction(age_days)
    # Binomial thinning: each final interaction has happened by collection with prob reached.
    seen = {k: rng.binomial(v, reached) for k, v in final_counts.items()}
    seen["views"] = np.maximum(seen["views"], seen["likes"])
    return seen
