"""Wall time of ``audience --all`` over a large store (default 10,000 creators x 100 posts).

The store is a vectorised synthetic frame (``make_audience`` simulates day by day and is
too slow for 10,000 creators): per creator 120 days of Studio-like daily followers,
following, views, likes, comments and shares (a purchased spike planted on every 4th
creator, a viral day on every 3rd), 100 posts spread over the days, and 7 days x 24 hours of
FollowerActivity. It times the job (``audience_table``), the CSV write, and the whole CLI
(store load included), median of ``--runs``; the job's own CPU time is printed too, since
on a shared machine the wall time also measures everyone else's load. Usage:

    .venv/bin/python benchmarks/bench_audience.py [--creators 10000] [--posts 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from recommender import schema
from recommender.audience import audience_table, write_table
from recommender.store import Store, StoreData

DAYS = 120


def synthetic_store(n_creators: int, per_creator: int, seed: int = 0) -> StoreData:
    rng = np.random.default_rng(seed)
    names = np.array([f"c{i:05d}" for i in range(n_creators)], dtype=object)
    days = pd.date_range("2025-03-01", periods=DAYS, freq="D", tz="UTC")
    f0 = np.clip(rng.lognormal(np.log(15_000), 1.2, n_creators), 800, 2e6)
    views = (f0[:, None] * rng.lognormal(np.log(0.6), 0.7, n_creators)[:, None]
             * rng.lognormal(0, 0.35, (n_creators, DAYS)))
    viral = np.arange(n_creators) % 3 == 0
    views[viral, rng.integers(20, DAYS - 5)] *= 15
    gains = rng.poisson(0.003 * views) - rng.poisson(0.0003 * f0[:, None], (n_creators, DAYS))
    bought = np.arange(n_creators) % 4 == 0
    gains[bought, rng.integers(20, DAYS - 5)] += (0.06 * f0[bought]).astype(int)
    followers = f0[:, None] + np.cumsum(gains, axis=1)
    following = np.clip(rng.lognormal(np.log(250), 0.8, n_creators), 10, 5000)[:, None] \
        + np.cumsum(rng.poisson(0.3, (n_creators, DAYS)), axis=1)
    likes = rng.binomial(views.astype(np.int64), 0.09)
    metrics = {"followers": followers, "following": following, "video_views": views,
               "likes": likes, "comments": rng.poisson(likes * 0.009),
               "shares": rng.poisson(views * 0.0012)}
    cells = n_creators * DAYS
    account = pd.DataFrame({
        "creator": np.tile(np.repeat(names, DAYS), len(metrics)),
        "date": np.tile(np.tile(days, n_creators), len(metrics)),
        "metric": np.repeat(list(metrics), cells),
        "value": np.concatenate([np.round(v).reshape(-1) for v in metrics.values()]),
        "source": "bench"})
    n = n_creators * per_creator
    owner = np.repeat(np.arange(n_creators), per_creator)
    day = rng.integers(0, DAYS, n)
    share = rng.uniform(0.1, 0.9, n)
    posts = pd.DataFrame({
        "creator": names[owner], "post_id": np.arange(n).astype(str),
        "posted_at": days[day] + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
        "views": np.round(views[owner, day] * share), "likes": np.round(likes[owner, day] * share),
        "comments": rng.poisson(likes[owner, day] * share * 0.009),
        "shares": rng.poisson(views[owner, day] * share * 0.0012),
        "followers_at_post": np.round(followers[owner, day]),
        "collected_at": days[-1], "source": "bench"})
    hours = np.tile(np.arange(24), 7)
    activity = pd.DataFrame({
        "creator": np.repeat(names, 7 * 24),
        "date": np.tile(np.repeat(days[-7:], 24), n_creators),
        "hour": np.tile(hours, n_creators),
        "active_followers": np.round(np.repeat(followers[:, -1], 7 * 24) * 0.3
                                     * np.tile(0.1 + 0.9 * np.exp(-((hours - 20) ** 2) / 50),
                                               n_creators)),
        "source": "bench"})
    return StoreData(posts=schema.conform(posts, "posts"),
                     account_daily=schema.conform(account, "account_daily"),
                     follower_activity=schema.conform(activity, "follower_activity"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100, help="posts per creator")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = synthetic_store(args.creators, args.posts)
    print(f"store: {args.creators:,} creators, {len(data.posts):,} posts, "
          f"{len(data.account_daily):,} daily account rows, {len(data.follower_activity):,} "
          f"activity rows (built in {time.perf_counter() - t0:.1f} s)")
    job, total, cpu = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        store.upsert_all(data)
        out = Path(tmp) / "all.csv"
        from recommender.cli import app, commands  # noqa: F401  (registers the commands)

        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            table = audience_table(data)
            write_table(table, out)
            job.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            t0 = time.perf_counter()
            result = CliRunner().invoke(app, ["audience", "--all", "--out", str(out),
                                              "--data", str(store.root)])
            total.append(time.perf_counter() - t0)
            assert result.exit_code == 0, result.output
    flagged = int((table["suspicious_days"] > 0).sum())
    print(f"audience_table + CSV write (in memory): median {statistics.median(job):.1f} s "
          f"over {args.runs} runs ({', '.join(f'{t:.1f}' for t in job)}); CPU time of this "
          f"process: median {statistics.median(cpu):.1f} s (wall above CPU = other load)")
    print(f"CLI `audience --all --out all.csv` incl. store load: median "
          f"{statistics.median(total):.1f} s ({', '.join(f'{t:.1f}' for t in total)})")
    print(f"{len(table):,} rows; {flagged:,} creators with suspicious days "
          f"({args.creators // 4 if args.creators >= 4 else 0:,} planted)")


if __name__ == "__main__":
    main()
