"""Whole-process time of `recommender suggest CREATOR` (import cost included).

Builds a store from the bundled sample's generator parameters and trains a champion once
(unless --data/--models are given), then runs the installed CLI N times in fresh processes
and prints the median wall time. Usage:

    .venv/bin/python benchmarks/bench_suggest.py [--runs 9] [--data DIR --models DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(root: Path) -> tuple[Path, Path]:
    from recommender.datasets import SAMPLE_PARAMS, make_posts
    from recommender.model.train import train_job
    from recommender.store import Store

    data_dir, models_dir = root / "store", root / "models"
    Store(data_dir).upsert_all(make_posts(**SAMPLE_PARAMS).as_store_data())
    train_job(data_dir, models_dir, "weighted", True, None)
    return data_dir, models_dir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--models", type=Path)
    parser.add_argument("--creator")
    args = parser.parse_args()
    if args.data is None or args.models is None:
        args.data, args.models = build(Path(tempfile.mkdtemp(prefix="bench-suggest-")))
    from recommender.store import Store

    posts = Store(args.data).read("posts")
    creator = args.creator or str(posts["creator"].value_counts().index[0])
    exe = Path(sys.executable).with_name("recommender")
    command = [str(exe), "suggest", creator, "--data", str(args.data), "--models",
               str(args.models), "--json"]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    own = int((posts["creator"] == creator).sum())
    print(f"suggest {creator} ({own} posts, {posts['creator'].nunique()} creators in store): "
          f"median {statistics.median(times):.2f} s over {args.runs} runs "
          f"(min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
