"""Recompute the per-post tier benchmarks of recommender/audience/benchmarks.py.

    python scripts/audience_benchmarks.py [/work/shared/data/creator_histories_2020.csv.gz]

Per creator: the median post's (likes + comments + shares) / followers, / views and views /
followers, plus likes / comments and shares per 1,000 views over all their posts; then the
median over the creators of each follower tier (followers at the scrape).
"""

from __future__ import annotations

import sys

import pandas as pd

from recommender.audience.benchmarks import TIER_EDGES, TIER_NAMES

DEFAULT = "/work/shared/data/creator_histories_2020.csv.gz"


def main(path: str = DEFAULT) -> None:
    posts = pd.read_csv(path)
    posts = posts[posts["views"] > 0]
    eng = posts["likes"] + posts["comments"] + posts["shares"]
    posts = posts.assign(erf=eng / posts["author_followers"], erv=eng / posts["views"],
                         vpf=posts["views"] / posts["author_followers"])
    per = posts.groupby("author_id").agg(
        followers=("author_followers", "last"), erf=("erf", "median"), erv=("erv", "median"),
        vpf=("vpf", "median"), likes=("likes", "sum"), comments=("comments", "sum"),
        shares=("shares", "sum"), views=("views", "sum"))
    per["lpc"] = per["likes"] / per["comments"].clip(lower=1)
    per["spk"] = per["shares"] / per["views"] * 1000
    per["tier"] = pd.cut(per["followers"], [0, *TIER_EDGES, float("inf")], labels=TIER_NAMES,
                         right=False)
    table = per.groupby("tier", observed=False).agg(
        creators=("followers", "size"), er_follower=("erf", "median"),
        er_view=("erv", "median"), views_per_follower=("vpf", "median"),
        likes_per_comment=("lpc", "median"), shares_per_1k_views=("spk", "median"))
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main(*sys.argv[1:])
