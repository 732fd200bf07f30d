"""Seeded synthetic TikTok creator data with planted, documented effects.

``make_posts(...)`` returns canonical tables (``recommender.schema``) plus ``effects``, the
truth they were drawn from, so every stage downstream can be checked against known answers;
``write_sample(data, dir)`` writes them in real export formats (Apify clockworks JSON, a
plain trend CSV, Studio FollowerActivity / FollowerHistory CSVs, ``creators.csv``).
Same arguments, same frames (numpy ``SeedSequence``; one child stream per creator).

Planted effects. Items 2-9 add up on the log scale of a post's *final* interactions
(likes + comments + shares), so 0.3 reads as about x1.35; constants live in ``_effects.py``
and ``effects.post_components`` holds each post's value of each one:

1. Time zones: 12 IANA zones assigned in turn (Americas, Europe, Asia incl. the half-hour
   Asia/Kolkata, southern-hemisphere DST in Australia/Sydney). Posting hours: 45% around a
   habit hour (not the best hour), 50% uniform 07-23 local, 5% any hour.
2. Timing: ``timing_strength * (0.7 * exp(-d**2 / 8) + 0.3 * (1 + cos(2 pi (w - w*) / 7)) / 2)``
   with d the circular distance (hours) to ``best_local_hour`` (12 or 17-22) and w* the
   ``best_weekday``: +strength at the best slot, about 0 at the worst. Strength is U(0.4, 0.9)
   except every 4th creator (index 3, 7, 11...), U(0, 0.03): "timing barely matters".
3. Trending sounds: a shared pool (``max(8, days // 6)``), peaks uniform over
   [start - 20 d, end + 5 d]; popularity rises as a Gaussian (sd 4-10 d) and decays
   exponentially (tau 6-15 d). Lift = ``0.6 * popularity - 0.15 * sigmoid((t - peak - 35 d)
   / 6 d)``: +0.6 (x1.8) at the peak, ~0 once faded, -0.15 long after. Original sounds and
   6 evergreen "(classic)" catalog sounds: 0. Each creator uses trending sounds on 15-50% of
   posts (uniform over sounds from 2 rise-sd before to 60 d after their peak), catalog 10%.
4. Trend lists (``trends``): daily at 00:00 UTC, region US, from 14 days before ``start``.
   Sounds: top 10 with popularity >= 0.05, score = 100 x popularity x lognormal(0, 0.05).
   Hashtags: fyp / foryou / viral / foryoupage at ranks 1-4 every day (listed yet no
   effect), then the live challenge tags. Challenge hashtags (``max(3, days // 30)``) follow
   the same curve with lift ``0.3 * popularity``; used on 30% of posts while one is >= 0.2.
5. Hashtags: +0.12 per niche tag of the creator's niche (up to 3); broad tags 0; the count
   has a mild optimum: ``-0.015 * (n - 4)**2``, floor -0.4 (0 tags: -0.24).
6. Duration: ``-0.12 * log2(s / 27)**2`` below 27 s, ``-0.3 * log2(s / 27)**2`` above, floor
   -1: 20-35 s within -0.05; 10 s -0.24; 60 s -0.40; 90 s -0.91; 110 s and longer -1.
   Durations: lognormal median 22 s (5-180 s), 4% long videos 90-600 s.
7. Cadence: ``-0.4 * exp(-gap_hours / 3)``: -0.4 right after the previous post, -0.15 at 3 h.
8. Follower snowball: final interactions = F0 x rate x (F / F0)**0.8 x exp(sum of the
   above + noise); each final interaction brings 0.03 followers on the age curve (item 10),
   plus organic drift N(+0.05%, 0.08%) per day. Growth over 180 days (100 creators): median
   x1.7, IQR x1.35-x3.0. ``posts.followers_at_post`` is the true count at post time.
9. Noise: N(0, 0.5), plus a viral shock with probability 0.10 of ``0.8 + Exp(1.0)`` (x2.2 to
   x50 and beyond: a Pareto tail on the count scale) and a flop (p 0.01) of -(0.3 + Exp(0.7)).
10. Age: observed counts = Binomial(final, 1 - exp(-age / 2 d)) at ``collected_at``:
    22% at 12 h, 39% at 1 d, 78% at 3 d, 97% at 7 d. Default ``collected_at`` is the end of
    the window, so the newest posts are hours old.
11. Ratios, per creator (lognormal; sdlog in brackets) x per post (lognormal): comments/likes
    median 0.008 (0.5) x (0.6), shares/likes 0.0045 (0.7) x (0.8), saves/likes 0.04
    (0.5) x (0.6) (an assumption: the real file has no saves), likes/views 0.15 (0.3) x (0.3);
    Poisson counts. Level: F0 lognormal(median 15,000, sdlog 1.9) followers, rate = final
    interactions per follower per post lognormal(0.04, 0.6), clipped to 0.005-0.15.
12. Cadence: posts per week per creator lognormal(median 4.5, sdlog 1.0) clipped 0.7-28, a
    Poisson count per local day, times a gamma(2) busy/quiet factor per week.
13. Follower activity: the last 7 full UTC days before ``collected_at``, 24 UTC hours each
    (TikTok does not document the zone; we state UTC): followers x 0.3 x a generic day/night
    curve (0.1 + 0.9 x Gaussian around 20:00 local, sd 5 h; the same for every creator, so
    it is no evidence of a timing effect) x exp(timing effect) x lognormal(0, 0.08).

Audience effects (purchased-follower spikes, viral jumps, follow-for-follow periods,
Follower/Following lists with planted reciprocity) come from a separate generator,
``make_audience`` (``_audience.py``); ``make_posts`` is unchanged by it.
Kinds of account beyond these creators (high-volume news outlets; cold-start scrapes of a
few posts each with the profile read only at collection) come from ``make_accounts``
(``_accounts.py``), built from the same machinery; ``make_posts`` is unchanged by it.

Calibration (``python -m recommender.datasets calibrate``; ``calibrate.py`` says how each
statistic is computed), against /work/shared/data/creator_histories_2020.csv.gz, on each
creator's 25 most recent posts, y = log1p(likes + comments + shares):

    statistic                        real 2020        generator        sample
                                                      200 x 180 d
    y median (per post)              10.87            6.94             6.84
    y IQR (per post)                 3.41             3.03             2.40
    SD of creator medians            2.32             2.02             1.79
    within-creator IQR (median)      1.00             0.96             1.10
    y - creator median q05/q95/q99   -1.36/1.73/2.98  -1.37/1.55/2.99  -1.20/1.54/3.34
    comments/likes (median)          0.0076           0.0075           0.0067
    shares/likes (median)            0.0037           0.0040           0.0048
    likes/views (median)             0.150            0.148            0.134
    posts/week q25/median/q75        2.1/4.7/10.5     2.6/5.1/9.7      2.7/5.0/8.4

The absolute level is deliberately ~4 log units (~55x) lower: the real file holds famous
and "suggested" accounts (median 2.3M followers); the generator's median creator starts
with 15k. The count ratios, the within-creator spread and its right-skewed tail and the
cadence are close; the generator's spread across creators (SD 2.0) and its q95 residual
(1.55) are a little below the real ones (2.3, 1.73).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from recommender.datasets._accounts import make_accounts
from recommender.datasets._audience import AudienceWorld, make_audience
from recommender.datasets._build import PlantedEffects, build
from recommender.datasets._impact import make_impact_posts
from recommender.datasets._writers import write_sample

if TYPE_CHECKING:
    from recommender.store import StoreData

__all__ = ["SAMPLE_PARAMS", "AudienceWorld", "PlantedEffects", "SyntheticData", "make_accounts",
           "make_audience", "make_impact_posts", "make_posts", "write_sample"]

# The bundled sample under data/sample (``python -m recommender.datasets data/sample``).
SAMPLE_PARAMS: dict[str, object] = {
    "n_creators": 10,
    "days": 182,
    "seed": 2025,
    "start": "2025-01-06",
    "collected_at": "2025-07-07T08:00:00Z",
}


@dataclass
class SyntheticData:
    """Canonical tables (``recommender.schema``) plus the truth they were generated from."""

    posts: pd.DataFrame
    trends: pd.DataFrame
    follower_activity: pd.DataFrame
    creators: pd.DataFrame
    account_daily: pd.DataFrame
    effects: PlantedEffects
    collected_at: pd.Timestamp

    def as_store_data(self) -> StoreData:
        from recommender.store import StoreData

        return StoreData(
            posts=self.posts.copy(),
            trends=self.trends.copy(),
            follower_activity=self.follower_activity.copy(),
            creators=self.creators.copy(),
            account_daily=self.account_daily.copy(),
        )


def make_posts(
    n_creators: int = 12,
    days: int = 180,
    *,
    seed: int = 0,
    start: str = "2025-01-06",
    collected_at: str | None = None,
    posts_per_week: float | None = None,
    n_sounds: int | None = None,
) -> SyntheticData:
    """Generate ``n_creators`` creators posting over ``days`` days from ``start`` (UTC).

    Every post lies in ``[start, start + days)``; counts are read at ``collected_at``
    (default: the end of the window, so the newest posts are hours old). ``posts_per_week``
    fixes every creator's mean cadence (default: drawn per creator, median 4.5).
    ``n_sounds`` sets the size of the trending-sound pool (default ``max(8, days // 6)``).
    The same arguments always give identical frames.
    """
    tables, effects, collected = build(n_creators, days, seed, start, collected_at,
                                       posts_per_week, n_sounds)
    return SyntheticData(effects=effects, collected_at=collected, **tables)
