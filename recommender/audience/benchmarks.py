"""Tier benchmarks for audience signals, and where each number comes from.

Per-post ratios (``TIERS``) are medians over creators of each creator's median post, measured
by ``scripts/audience_benchmarks.py`` on /work/shared/data/creator_histories_2020.csv.gz
(1,794 creators with views; 50,124 posts scraped about 2020-11-08). They are APPROXIMATE:
the accounts were "famous" and "suggested" ones (median 2.3M followers, so the nano tier holds
only 39 creators), counts are rounded as TikTok displays them, and followers are counted at
the scrape, not at each post (which understates per-follower rates of fast growers). TikTok
engagement has shifted since 2020. Verdicts therefore use wide bands (within x0.5-x2 of the
median is "typical"), never a point threshold.

The active-follower share has no published benchmark we could verify: the band 15-37% is the
range of the three real TikTok Studio exports in the shared data (peak hourly active
followers / followers: 0.15, 0.25, 0.35). The following/follower bands and the 5% share of
unexplained follower gains are this project's rules of thumb, stated as such in every verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

TIER_EDGES = (10_000, 100_000, 1_000_000, 10_000_000)
TIER_NAMES = ("nano", "micro", "mid", "macro", "mega")
TIER_LABELS = ("under 10k followers", "10k-100k", "100k-1M", "1M-10M", "over 10M")
SOURCE_2020 = "creator_histories_2020 (1,794 creators, 2020; approximate)"
SOURCE_STUDIO = "3 real TikTok Studio exports (approximate, no published benchmark)"
SOURCE_RULE = "project rule of thumb (no benchmark data)"


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    creators: int  # creators behind the medians
    er_follower: float  # (likes + comments + shares) / followers, per post
    er_view: float  # (likes + comments + shares) / views, per post
    views_per_follower: float  # views / followers, per post
    likes_per_comment: float  # sum of likes / sum of comments, per creator
    shares_per_1k_views: float  # sum of shares / sum of views x 1000, per creator


# scripts/audience_benchmarks.py output (rounded to 4 significant digits).
TIERS = (
    Tier("nano", TIER_LABELS[0], 39, 0.03308, 0.1703, 0.2186, 57.0, 1.055),
    Tier("micro", TIER_LABELS[1], 186, 0.02169, 0.1461, 0.1569, 69.84, 1.039),
    Tier("mid", TIER_LABELS[2], 376, 0.02251, 0.1290, 0.1720, 121.5, 0.9479),
    Tier("macro", TIER_LABELS[3], 939, 0.02543, 0.1620, 0.1598, 143.3, 0.7999),
    Tier("mega", TIER_LABELS[4], 254, 0.02221, 0.1672, 0.1314, 143.8, 0.8539),
)
ACTIVE_SHARE_BAND = (0.15, 0.37)
FOLLOWING_RATIO_USUAL = 0.5
UNEXPLAINED_GAIN_SHARE = 0.05


def tier_index(followers: float) -> int:
    """Index into ``TIERS`` for a follower count."""
    for i, edge in enumerate(TIER_EDGES):
        if followers < edge:
            return i
    return len(TIER_EDGES)


def tier_of(followers: float) -> Tier:
    return TIERS[tier_index(followers)]
