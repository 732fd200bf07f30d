"""Wall time and peak memory of ``preprocess`` on a large store (default 2,000 x 500 posts).

The store is a vectorised synthetic frame (the planted-effects generator is too slow for a
million posts), its posts in the store's order (by time, creator, post id, as Store.upsert
writes them): random posting times over a year, Zipf-distributed niche + broad hashtags,
a sound pool with ~50% original sounds, daily trend lists, follower readings and activity.
Usage:

    .venv/bin/python benchmarks/bench_features.py [--creators 2000] [--posts 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
import pandas as pd

from recommender import schema
from recommender.store import StoreData

ZONES = ["UTC", "America/New_York", "Europe/Athens", "Asia/Kolkata", "Australia/Sydney"]
BROAD = ["fyp", "foryou", "viral", "foryoupage"]


def synthetic_store(n_creators: int, per_creator: int, seed: int = 0) -> StoreData:
    rng = np.random.default_rng(seed)
    n = n_creators * per_creator
    start = pd.Timestamp("2024-01-01", tz="UTC").value
    creators = np.repeat([f"c{i:05d}" for i in range(n_creators)], per_creator)
    t = start + rng.integers(0, 365 * 86_400, n) * 10**9
    tags = np.array([f"tag{i}" for i in range(20_000)] + BROAD, dtype=object)
    n_tags = rng.integers(0, 7, n)
    picks = np.minimum(rng.zipf(1.3, n_tags.sum()) - 1, len(tags) - 1)
    picks = np.where(rng.random(len(picks)) < 0.3, len(tags) - 1 - rng.integers(0, 4, len(picks)),
                     picks)
    ends = np.cumsum(n_tags)
    flat = tags[picks].tolist()
    hashtags = [flat[e - k:e] for e, k in zip(ends, n_tags)]
    original = rng.random(n) < 0.5
    sound = np.where(original, np.arange(n) + 10**9, rng.integers(0, 5_000, n)).astype(str)
    likes = np.round(rng.lognormal(6, 1.5, n)).astype("int64")
    posts = pd.DataFrame({
        "creator": creators, "post_id": np.arange(n).astype(str),
        "posted_at": pd.to_datetime(t, utc=True),
        "caption": [f"post {i % 97} #x? follow @me" if i % 5 == 0 else f"clip {i % 13}"
                    for i in range(n)],
        "hashtags": hashtags, "sound_id": sound,
        "sound_name": np.where(original, "original sound", np.char.add("song ", sound)),
        "sound_is_original": original, "duration_s": rng.lognormal(3.1, 0.6, n).round(),
        "views": likes * 7, "likes": likes, "comments": likes // 100, "shares": likes // 200,
        "saves": likes // 25, "followers_at_post": rng.integers(1_000, 10**6, n),
        "following_at_post": rng.integers(10, 2_000, n),
        "collected_at": pd.Timestamp("2025-01-05", tz="UTC"), "source": "bench",
    })
    days = pd.date_range("2024-01-01", periods=372, freq="D", tz="UTC")
    trends = pd.DataFrame({
        "date": np.repeat(days, 20), "kind": np.tile(["sound"] * 10 + ["hashtag"] * 10, 372),
        "name": np.concatenate([[f"song {s}" for s in rng.integers(0, 5_000, 10)]
                                + [f"tag{h}" for h in rng.integers(0, 300, 10)]
                                for _ in days]),
        "rank": np.tile(np.r_[1:11, 1:11], 372), "region": "US",
    })
    names = [f"c{i:05d}" for i in range(n_creators)]
    activity = pd.DataFrame({"creator": np.repeat(names, 24),
                             "hour": np.tile(range(24), n_creators),
                             "active_followers": rng.integers(0, 5_000, 24 * n_creators)})
    zones = [ZONES[i % len(ZONES)] for i in range(n_creators)]
    creators_t = pd.DataFrame({"creator": names, "timezone": zones})
    # In the order the store keeps posts (Store.upsert writes them by time, creator, id).
    posts = posts.sort_values(["posted_at", "creator", "post_id"], kind="stable",
                              ignore_index=True)
    return StoreData(posts=schema.conform(posts, "posts"),
                     trends=schema.conform(trends, "trends"),
                     follower_activity=schema.conform(activity, "follower_activity"),
                     creators=schema.conform(creators_t, "creators"))


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=5000)
    args = parser.parse_args()
    from recommender.features import featurize, preprocess

    data = synthetic_store(args.creators, args.posts)
    before = peak_rss_gb()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        table = preprocess(data)
        times.append(time.perf_counter() - start)
    print(f"preprocess {len(data.posts):,} posts x {table.shape[1]} columns: median "
          f"{statistics.median(times):.2f} s over {args.runs} runs (min {min(times):.2f}, "
          f"max {max(times):.2f}); peak RSS {peak_rss_gb():.2f} GB "
          f"(store alone {before:.2f} GB)")
    small = StoreData(**{**data.__dict__, "posts": data.posts.iloc[:50_000]})
    creator = str(small.posts["creator"].iloc[0])
    queries = pd.DataFrame({
        "creator": creator, "hashtags": [["fyp", "tag1"]] * args.queries,
        "posted_at": pd.Timestamp("2025-01-06", tz="UTC")
        + pd.to_timedelta(np.arange(args.queries) % 168, unit="h"),
        "sound_name": "original sound", "duration_s": 30.0, "caption": "hello?"})
    q_times = []
    for _ in range(max(args.runs, 3)):
        start = time.perf_counter()
        featurize(small, queries)
        q_times.append(time.perf_counter() - start)
    print(f"featurize {args.queries:,} queries of one creator over {len(small.posts):,} "
          f"posts: median {statistics.median(q_times):.3f} s")


if __name__ == "__main__":
    main()
