"""Incremental ingest into a large store: the partitioned layout against the single file.

A store of ``--posts`` posts (``--creators`` creators) is built once per layout; then a small
export (``--small`` rows of one new creator) is ingested ``--repeats`` times, each into a
fresh copy, and the median wall time of ``ingest_paths`` is printed, with the load time of
the whole store (``Store.load``) in each layout.

    python benchmarks/bench_store.py --posts 1000000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import schema
from recommender.ingest import ingest_paths
from recommender.store import Store


def big_posts(n: int, creators: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    frame = pd.DataFrame({
        "creator": [f"creator_{i:06d}" for i in rng.integers(0, creators, n)],
        "post_id": (7_000_000_000_000_000_000 + np.arange(n)).astype(str),
        "posted_at": start + pd.to_timedelta(rng.integers(0, 700 * 86400, n), unit="s"),
        "caption": "a caption #fyp",
        "hashtags": [["fyp"]] * n,
        "likes": rng.integers(0, 10_000, n),
        "views": rng.integers(0, 100_000, n),
        "collected_at": start + pd.Timedelta(days=720),
        "source": "bench",
    })
    return schema.conform(frame, "posts")


def small_export(path: Path, rows: int) -> None:
    pd.DataFrame({
        "creator": ["newcomer"] * rows,
        "post_id": [str(8_000_000_000_000_000_000 + i) for i in range(rows)],
        "posted_at": pd.date_range("2025-06-01", periods=rows, freq="D", tz="UTC"),
        "likes": [10] * rows, "views": [100] * rows, "caption": ["hi #fyp"] * rows,
    }).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=5_000)
    parser.add_argument("--small", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    posts = big_posts(args.posts, args.creators)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export = root / "small.csv"
        small_export(export, args.small)
        for layout in ("single-file", "partitioned"):
            base = root / layout
            base.mkdir()
            if layout == "single-file":
                posts.to_parquet(base / "posts.parquet", index=False)
            else:
                posts.to_parquet(base / "posts.parquet", index=False)
                Store(base).migrate()
            ingest_s, load_s = [], []
            for i in range(args.repeats):
                copy = Path(shutil.copytree(base, root / f"{layout}-{i}"))
                began = time.perf_counter()
                ingest_paths([export], copy)
                ingest_s.append(time.perf_counter() - began)
                began = time.perf_counter()
                loaded = Store(copy).load()
                load_s.append(time.perf_counter() - began)
                assert len(loaded.posts) == args.posts + args.small
            print(f"{layout:12s} ingest {args.small} rows into {args.posts:,} posts: "
                  f"median {statistics.median(ingest_s):.2f} s; load: median "
                  f"{statistics.median(load_s):.2f} s")


if __name__ == "__main__":
    main()
