"""The synthetic world: creators (niche, time zone, audience, habits) and the trend pools.

Everything here is drawn once per data set from the seeded generator; the posts are then
simulated against these profiles (``_posts.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A mix of offsets, both hemispheres' DST rules and a half-hour zone (Asia/Kolkata).
TIMEZONES = (
    "America/New_York", "Europe/London", "America/Los_Angeles", "Asia/Tokyo",
    "Europe/Athens", "America/Chicago", "Australia/Sydney", "Asia/Kolkata",
    "America/Sao_Paulo", "Europe/Berlin", "Asia/Manila", "America/Mexico_City",
)

BROAD_HASHTAGS = ("fyp", "foryou", "viral", "foryoupage")

# niche -> (handle suffix, niche hashtags, caption openers)
NICHES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "cooking": ("bakes", ("recipe", "foodtok", "easyrecipe", "homecooking", "baking", "mealprep"),
                ("dinner in 20 minutes", "my grandma's secret", "you need to try this")),
    "fitness": ("lifts", ("gymtok", "workout", "fitnesstips", "legday", "homeworkout", "gains"),
                ("no equipment needed", "form check", "day 30 of my program")),
    "beauty": ("glow", ("makeuptutorial", "skincare", "grwm", "beautytips", "makeup", "nails"),
               ("get ready with me", "this changed my skin", "5 minute look")),
    "gaming": ("plays", ("gamingtok", "gaming", "gamer", "speedrun", "pcgaming", "clutch"),
               ("this clutch though", "new patch thoughts", "rate my setup")),
    "travel": ("roams", ("traveltok", "travel", "hiddengems", "backpacking", "wanderlust",
                         "cityguide"),
               ("things nobody tells you about", "48 hours in", "cheapest way to")),
    "comedy": ("jokes", ("comedy", "skit", "relatable", "funny", "pov", "sketch"),
               ("pov: your boss", "when the group chat", "me explaining to my mom")),
    "pets": ("paws", ("dogsoftiktok", "catsoftiktok", "petlover", "puppy", "dogtraining",
                      "rescuedog"),
             ("he did it again", "training update", "meet the new family member")),
    "tech": ("codes", ("techtok", "coding", "setup", "gadgets", "programming", "ai"),
             ("3 tools I use daily", "is it worth it", "building this in public")),
}

FIRST_NAMES = (
    "mila", "theo", "ana", "jo", "kai", "nora", "leo", "ivy", "sam", "zoe", "eli", "maya",
    "ravi", "lena", "omar", "yuki", "dani", "finn", "ines", "ari", "sol", "bea", "nico", "tess",
)

_SOUND_WORDS = ("Midnight", "Golden", "Paper", "Neon", "Velvet", "Summer", "Static", "Honey",
                "Electric", "Lazy", "Silver", "Broken", "Sugar", "Ocean", "Wild", "Lucky")
_SOUND_NOUNS = ("Drive", "Hearts", "Tape", "Dream", "Echo", "Rush", "Motel", "Waves", "Club",
                "Sunday", "Mirror", "Garden")
_ARTISTS = ("DJ Nova", "Lumi", "The Parlour", "KAYO", "Sasha Rae", "Mint Club", "Orbit Kid",
            "Yellow Vans")
_CHALLENGE_WORDS = ("glowup", "tellmewithouttelling", "onethingabout", "silentreview",
                    "wouldyourather", "storytime", "dayinmylife", "rateit", "tryitwithme",
                    "beforeandafter", "sidequest", "maincharacter")


def epoch_seconds(values: pd.DatetimeIndex | pd.Series | pd.Timestamp) -> np.ndarray:
    """Unix seconds as floats, whatever the stored resolution (pandas 3 defaults to us)."""
    if isinstance(values, pd.Timestamp):
        return np.asarray(values.as_unit("ns").value / 1e9)
    return pd.DatetimeIndex(values).as_unit("ns").asi8 / 1e9


def tiktok_id(rng: np.random.Generator, unix_seconds: np.ndarray) -> list[str]:
    """TikTok-style 19-digit ids: the creation time in the upper 32 bits, random low bits."""
    low = rng.integers(0, 2**32, len(unix_seconds), dtype=np.uint64)
    high = np.asarray(unix_seconds, dtype=np.uint64) << np.uint64(32)
    return [str(int(v)) for v in high | low]


def make_creators(
    rng: np.random.Generator, n: int, posts_per_week: float | None, start: pd.Timestamp
) -> pd.DataFrame:
    """One row per creator: the planted truth about who they are and how they post."""
    niches = list(NICHES)
    niche = [niches[(i + int(rng.integers(0, 2))) % len(niches)] for i in range(n)]
    names = rng.permutation(FIRST_NAMES)
    handles = [_handle(str(names[i % len(names)]), NICHES[niche[i]][0], i) for i in range(n)]
    zones = [TIMEZONES[i % len(TIMEZONES)] for i in rng.permutation(n)]
    # Every 4th creator has near-zero timing strength ("timing barely matters" is testable).
    strength = np.where(np.arange(n) % 4 == 3, rng.uniform(0.0, 0.03, n), rng.uniform(0.4, 0.9, n))
    ppw = (np.full(n, float(posts_per_week)) if posts_per_week is not None
           else np.clip(rng.lognormal(np.log(4.5), 1.0, n), 0.7, 28.0))
    followers = np.round(rng.lognormal(np.log(15_000), 1.9, n)).clip(300)
    # Final interactions per follower per post at the start of the window.
    rate = np.clip(rng.lognormal(np.log(0.04), 0.6, n), 0.005, 0.15)
    frame = pd.DataFrame({
        "creator": handles,
        "timezone": zones,
        "niche": niche,
        "niche_hashtags": [list(NICHES[x][1]) for x in niche],
        "best_local_hour": rng.choice([12, 17, 18, 19, 20, 21, 22], n),
        "best_weekday": rng.integers(0, 7, n),
        "timing_strength": strength.round(3),
        "habit_local_hour": rng.integers(8, 23, n),
        "posts_per_week": ppw.round(2),
        "followers_start": followers.astype(int),
        "follower_drift_per_day": rng.normal(0.0005, 0.0008, n),
        "following": np.round(rng.lognormal(np.log(300), 0.8, n)).astype(int),
        "interaction_rate": rate.round(4),
        "base_level": np.log(followers * rate).round(3),
        "trend_sound_share": rng.uniform(0.15, 0.5, n).round(2),
        "broad_tag_share": rng.uniform(0.1, 0.9, n).round(2),
        "comment_ratio": rng.lognormal(np.log(0.008), 0.5, n).round(4),
        "share_ratio": rng.lognormal(np.log(0.0045), 0.7, n).round(4),
        "save_ratio": rng.lognormal(np.log(0.04), 0.6, n).round(4),
        "like_view_ratio": np.clip(rng.lognormal(np.log(0.15), 0.3, n), 0.02, 0.5).round(4),
        "prior_videos": rng.integers(20, 400, n),
    })
    frame["creator_id"] = tiktok_id(rng, np.full(n, int(start.timestamp()) - 10**8))
    return frame


def _handle(first: str, suffix: str, index: int) -> str:
    sep = "._"[index % 2]
    return f"{first}{sep}{suffix}" if index < len(FIRST_NAMES) else f"{first}{sep}{suffix}{index}"


def make_trend_pool(
    rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp, count: int, kind: str
) -> pd.DataFrame:
    """Trending sounds or challenge hashtags with their life cycle (rise, peak, decay)."""
    span = (end - start).days
    peaks = start + pd.to_timedelta(np.sort(rng.uniform(-20, span + 5, count)), unit="D")
    rise = rng.uniform(4.0, 10.0, count)
    decay = rng.uniform(6.0, 15.0, count)
    if kind == "sound":
        names = _sound_names(rng, count)
        ids = tiktok_id(rng, epoch_seconds(peaks - pd.Timedelta(days=30)).astype(np.int64))
    else:
        words = rng.permutation(_CHALLENGE_WORDS)
        names = [f"{words[i % len(words)]}{'' if i < len(words) else i}" for i in range(count)]
        ids = [str(v) for v in rng.integers(10**6, 10**8, count)]
    frame = pd.DataFrame({
        "name": names, "entity_id": ids, "peak": peaks.floor("s"),
        "rise_days": rise.round(2), "decay_days": decay.round(2),
    })
    # Dates a reader can use: rise from 2 widths before the peak; decayed below 5% after.
    frame["rise_start"] = frame["peak"] - pd.to_timedelta(2 * frame["rise_days"], unit="D")
    frame["decay_end"] = frame["peak"] + pd.to_timedelta(3 * frame["decay_days"], unit="D")
    return frame


def _sound_names(rng: np.random.Generator, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        title = f"{rng.choice(_SOUND_WORDS)} {rng.choice(_SOUND_NOUNS)}"
        if rng.random() < 0.3:
            title += " (sped up)"
        name = f"{title} - {rng.choice(_ARTISTS)}"
        if name not in names:
            names.append(name)
    return names


def make_catalog_sounds(rng: np.random.Generator, count: int, start: pd.Timestamp):
    """Evergreen licensed sounds: never on a trend list, no effect (a neutral control)."""
    names = [" (classic) - ".join(n.rsplit(" - ", 1)) for n in _sound_names(rng, count)]
    ids = tiktok_id(rng, np.full(count, int(start.timestamp()) - 4 * 10**7))
    return pd.DataFrame({"name": names, "entity_id": ids})
