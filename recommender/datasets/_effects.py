"""The planted effects: every size in one place, as pure functions of post attributes.

All effects are additive on the log scale of a post's final interactions (likes + comments +
shares), so each constant reads as a log-ratio: 0.3 means about x1.35. The module docstring
of ``recommender.datasets`` lists them in plain words; tests read these constants, so the
documentation, the generator and the tests cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Counts grow with age: observed = final x (1 - exp(-age / AGE_TAU_DAYS)).
AGE_TAU_DAYS = 2.0

# Timing: a bump around the best local hour (Gaussian in circular hour distance) plus a
# weekday cosine; the sum peaks at +timing_strength at (best hour, best weekday).
HOUR_WIDTH_H = 2.0
WEEKDAY_SHARE = 0.3  # part of the amplitude carried by the weekday

# Trending sounds: lift = SOUND_PEAK_LIFT x popularity(t) - SOUND_LATE_PENALTY x stale(t).
SOUND_PEAK_LIFT = 0.6
SOUND_LATE_PENALTY = 0.15
SOUND_STALE_AFTER_DAYS = 35.0  # days after the peak when a sound starts to feel dated
SOUND_STALE_WIDTH_DAYS = 6.0
CHALLENGE_PEAK_LIFT = 0.3  # trending challenge hashtags: same curve, half the sound lift

# Hashtags: broad tags (#fyp...) have no effect; each niche tag adds NICHE_TAG_LIFT (up to
# NICHE_TAG_CAP tags); the total count has a mild quadratic optimum at HASHTAG_COUNT_BEST.
NICHE_TAG_LIFT = 0.12
NICHE_TAG_CAP = 3
HASHTAG_COUNT_BEST = 4
HASHTAG_COUNT_PENALTY = 0.015  # per squared tag away from the optimum
HASHTAG_COUNT_FLOOR = -0.4

# Duration: quadratic in octaves (log2) around DURATION_BEST_S, steeper for long videos.
DURATION_BEST_S = 27.0
DURATION_SHORT_PENALTY = 0.12  # per squared octave below the optimum
DURATION_LONG_PENALTY = 0.3  # per squared octave above
DURATION_FLOOR = -1.0

# Cadence: posting again soon after the previous post splits the audience.
CADENCE_PENALTY = 0.4
CADENCE_TAU_H = 3.0

# Noise: Gaussian plus rare heavy-tailed shocks (a post that takes off, or one that flops).
NOISE_SD = 0.5
VIRAL_PROB = 0.10
VIRAL_MIN = 0.8
VIRAL_SCALE = 1.0  # exponential on the log scale: a Pareto tail on the count scale
FLOP_PROB = 0.01
FLOP_MIN = 0.3
FLOP_SCALE = 0.7

# Follower snowball: each final interaction brings FOLLOW_CONVERSION new followers, arriving
# on the same age curve as the counts (real accounts have ~10-60 lifetime likes per follower);
# engagement scales as followers_at_post ** FOLLOWER_ELASTICITY (below 1: part of the reach
# comes from the For You feed, not from followers; it also keeps growth from exploding).
FOLLOW_CONVERSION = 0.03
FOLLOWER_ELASTICITY = 0.8


def age_fraction(age_days: np.ndarray) -> np.ndarray:
    """Share of its final counts a post has reached at ``age_days`` (0 for negative ages)."""
    age = np.clip(np.asarray(age_days, dtype=float), 0.0, None)
    return -np.expm1(-age / AGE_TAU_DAYS)


def hour_shape(local_hour: np.ndarray, best_hour: np.ndarray | float,
               width_h: float = HOUR_WIDTH_H) -> np.ndarray:
    """In [0, 1]: 1 at the best hour, falling with circular distance in hours."""
    diff = np.abs(np.asarray(local_hour, dtype=float) - best_hour) % 24.0
    dist = np.minimum(diff, 24.0 - diff)
    return np.exp(-0.5 * (dist / width_h) ** 2)


def timing_effect(
    local_hour: np.ndarray,
    weekday: np.ndarray,
    best_hour: np.ndarray | float,
    best_weekday: np.ndarray | float,
    strength: np.ndarray | float,
) -> np.ndarray:
    """strength x [(1 - w) hour bump + w (cos of weekday distance + 1) / 2], w = WEEKDAY_SHARE.

    Peaks at +strength; the worst slots get about 0 (a creator's timing lift, not a loss).
    """
    day = (np.cos(2 * np.pi * (np.asarray(weekday, dtype=float) - best_weekday) / 7) + 1) / 2
    shape = (1 - WEEKDAY_SHARE) * hour_shape(local_hour, best_hour) + WEEKDAY_SHARE * day
    return np.asarray(strength, dtype=float) * shape


def popularity(days_from_peak: ArrayLike, rise_days: ArrayLike, decay_days: ArrayLike
               ) -> np.ndarray:
    """A trend's life cycle in [0, 1]: Gaussian rise to the peak, exponential decay after."""
    x = np.asarray(days_from_peak, dtype=float)
    rise = np.exp(-0.5 * (np.minimum(x, 0.0) / rise_days) ** 2)
    decay = np.exp(-np.maximum(x, 0.0) / decay_days)
    return np.where(x < 0, rise, decay)


def stale(days_from_peak: np.ndarray) -> np.ndarray:
    """0 around the peak, rising to 1 well after SOUND_STALE_AFTER_DAYS past it."""
    x = (np.asarray(days_from_peak, dtype=float) - SOUND_STALE_AFTER_DAYS) / SOUND_STALE_WIDTH_DAYS
    return 1.0 / (1.0 + np.exp(-x))


def sound_effect(days_from_peak: ArrayLike, rise_days: ArrayLike, decay_days: ArrayLike
                 ) -> np.ndarray:
    """Lift of a trending sound used ``days_from_peak`` after its peak (NaN: not trending)."""
    x = np.asarray(days_from_peak, dtype=float)
    used = ~np.isnan(x)
    safe = np.where(used, x, 0.0)
    lift = SOUND_PEAK_LIFT * popularity(safe, rise_days, decay_days)
    lift = lift - SOUND_LATE_PENALTY * stale(safe)
    return np.where(used, lift, 0.0)


def challenge_effect(days_from_peak: ArrayLike, rise_days: ArrayLike, decay_days: ArrayLike
                     ) -> np.ndarray:
    x = np.asarray(days_from_peak, dtype=float)
    used = ~np.isnan(x)
    pop = popularity(np.where(used, x, 0.0), rise_days, decay_days)
    return np.where(used, CHALLENGE_PEAK_LIFT * pop, 0.0)


def hashtag_effect(n_niche: np.ndarray, n_total: np.ndarray) -> np.ndarray:
    niche = NICHE_TAG_LIFT * np.minimum(np.asarray(n_niche, dtype=float), NICHE_TAG_CAP)
    count = -HASHTAG_COUNT_PENALTY * (np.asarray(n_total, dtype=float) - HASHTAG_COUNT_BEST) ** 2
    return niche + np.maximum(count, HASHTAG_COUNT_FLOOR)


def duration_effect(duration_s: np.ndarray) -> np.ndarray:
    octaves = np.log2(np.asarray(duration_s, dtype=float) / DURATION_BEST_S)
    slope = np.where(octaves < 0, DURATION_SHORT_PENALTY, DURATION_LONG_PENALTY)
    return np.maximum(-slope * octaves**2, DURATION_FLOOR)


def cadence_effect(hours_since_previous: np.ndarray) -> np.ndarray:
    """Penalty for a short gap to the creator's previous post (NaN gap: no penalty)."""
    gap = np.nan_to_num(np.asarray(hours_since_previous, dtype=float), nan=np.inf)
    return -CADENCE_PENALTY * np.exp(-gap / CADENCE_TAU_H)


def shocks(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian noise and the heavy-tailed virality shock, both on the log scale."""
    noise = rng.normal(0.0, NOISE_SD, n)
    viral = (rng.random(n) < VIRAL_PROB) * (VIRAL_MIN + rng.exponential(VIRAL_SCALE, n))
    flop = (rng.random(n) < FLOP_PROB) * (FLOP_MIN + rng.exponential(FLOP_SCALE, n))
    return noise, viral - flop
