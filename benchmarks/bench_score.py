"""End-to-end plan scoring at agency scale: read CSV -> score -> write CSV.

Generates a store (50 creators, 180 days), trains a champion once, writes a plan of N rows
(default 1,000,000; 2% of rows for creators not in the store, hashtags, sounds, durations
and a pass-through column), then times `score_plan` + `write_plan` and prints the median.
Every row has the same caption unless ``--unique-captions`` (real plans' captions mostly
differ: the caption features are then worked out for a million distinct texts).

    .venv/bin/python benchmarks/bench_score.py [--rows 1000000] [--runs 3] [--unique-captions]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def build(root: Path) -> tuple[Path, Path]:
    from recommender.datasets import make_posts
    from recommender.model.train import train_job
    from recommender.store import Store

    data_dir, models_dir = root / "store", root / "models"
    Store(data_dir).upsert_all(make_posts(n_creators=50, days=180, seed=3).as_store_data())
    train_job(data_dir, models_dir, "weighted", True, None)
    return data_dir, models_dir


def write_plan(path: Path, rows: int, creators: list[str], start: pd.Timestamp,
               unique_captions: bool = False) -> None:
    rng = np.random.default_rng(0)
    names = np.array(creators + [f"new_creator_{i}" for i in range(len(creators) // 50 + 1)])
    pick = np.where(rng.random(rows) < 0.02, len(creators) + rng.integers(0, len(names)
                    - len(creators), rows), rng.integers(0, len(creators), rows))
    when = start + pd.to_timedelta(rng.integers(0, 14 * 24, rows), unit="h")
    tags = np.array(["#fyp #recipe", "#gymtok #workout #fyp", "", "#foryou", "#travel #viral"])
    sounds = np.array(["original", "", "Lucky Tape - DJ Nova", "original sound"])
    pd.DataFrame({
        "creator": names[pick],
        "planned_at": when.strftime("%Y-%m-%dT%H:%M"),
        "caption": (np.char.add("new post idea #", np.arange(rows).astype(str))
                    if unique_captions else "new post idea"),
        "hashtags": tags[rng.integers(0, len(tags), rows)],
        "sound": sounds[rng.integers(0, len(sounds), rows)],
        "duration_s": rng.integers(8, 90, rows),
        "campaign": np.char.add("c-", rng.integers(0, 999, rows).astype(str)),
    }).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--unique-captions", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-score-"))
    data_dir, models_dir = build(root)
    from recommender.model.registry import load_champion
    from recommender.recommend.plan_io import write_plan as write_scored
    from recommender.recommend.score import score_plan
    from recommender.store import Store

    data = Store(data_dir).load()
    plan = root / "plan.csv"
    write_plan(plan, args.rows, sorted(data.posts["creator"].unique()),
               data.posts["collected_at"].max().floor("h"), args.unique_captions)
    model = load_champion(models_dir)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = score_plan(plan, data, model)
        write_scored(result.rows, root / "scored.csv")
        times.append(time.perf_counter() - start)
    captions = "unique captions" if args.unique_captions else "one caption"
    print(f"score {args.rows:,} plan rows ({captions}) end to end (read CSV -> score -> "
          "write CSV): median "
          f"{statistics.median(times):.1f} s over {args.runs} runs (min {min(times):.1f}, "
          f"max {max(times):.1f}); better slots via {result.better_slot_method}; "
          f"summary {result.summary}")


if __name__ == "__main__":
    main()
