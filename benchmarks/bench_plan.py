"""Scheduling at agency scale: 50 creators x 200 drafts into two weeks of hourly slots.

Generates a store (50 creators, 180 days), trains a champion once, writes a pool of 200
drafts per creator (``datasets._drafts.make_drafts``), then times ``plan_drafts`` (read,
screen, score, CP-SAT, sequential local search, assemble) with ``--per-week 7 --min-gap 6h``
and prints the median over ``--runs``, with the solver's statuses and gap, and the
schedule's TRUE engagement (``true_engagement``: the planted effects) against the greedy and
row-by-row baselines. Target: < 60 s on 2 cores.

    .venv/bin/python benchmarks/bench_plan.py [--creators 50] [--drafts 200] [--runs 1]
        [--time-limit 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, default=50)
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()

    from recommender.datasets import make_posts
    from recommender.datasets._drafts import make_drafts, true_engagement
    from recommender.model.registry import load_champion
    from recommender.model.train import train_job
    from recommender.plan import Constraints, plan_drafts
    from recommender.store import Store

    root = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    synthetic = make_posts(n_creators=args.creators, days=180, seed=3)
    data_dir, models_dir = root / "store", root / "models"
    Store(data_dir).upsert_all(synthetic.as_store_data())
    train_job(data_dir, models_dir, "weighted", True, None)
    data, model = Store(data_dir).load(), load_champion(models_dir)
    start = synthetic.collected_at + pd.Timedelta(days=1)
    pool = make_drafts(synthetic, f"{start:%Y-%m-%d}", n_per_creator=args.drafts,
                       agency_slots=7, seed=0)
    path = root / "pool.csv"
    pool.to_csv(path, index=False)
    constraints = Constraints(start=f"{start:%Y-%m-%d}",
                              end=f"{start + pd.Timedelta(days=13):%Y-%m-%d}",
                              per_week=7, min_gap_h=6.0)
    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        result = plan_drafts(path, data, model, constraints, time_limit_s=args.time_limit)
        times.append(time.perf_counter() - began)
    s = result.summary
    print(f"pool: {len(pool):,} drafts ({args.creators} creators x {args.drafts}), "
          f"{constraints.days} days of hourly slots, --per-week 7 --min-gap 6h")
    print(f"solver: {result.solver['name']} {result.solver['version']}, "
          f"{result.solver['time_limit_s_per_creator']} s per creator, statuses "
          f"{result.solver['statuses']}, largest gap {result.solver['max_gap']:.2%}; "
          f"candidates: {result.solver['candidates']}")
    print(f"local search: {result.solver['local_search']}")
    print(f"placed {s['placed']:,}, unplaced {s['unplaced']:,}; expected {s['expected']:,.0f} "
          f"vs greedy {s['greedy']:,.0f} ({s['gain_vs_greedy_pct']:+.2f}%)")
    truth = {name: float(true_engagement(synthetic, rows).sum()) for name, rows in
             (("schedule", result.rows), ("greedy", result.baselines["greedy"]),
              ("row_by_row", result.baselines["row_by_row"]))}
    print("true engagement (the generator's planted effects, noise excluded): schedule "
          f"{truth['schedule']:,.0f}, greedy {truth['greedy']:,.0f} "
          f"({truth['schedule'] / truth['greedy'] - 1:+.2%}), row-by-row "
          f"{truth['row_by_row']:,.0f} ({truth['schedule'] / truth['row_by_row'] - 1:+.2%})")
    print(f"plan_drafts: median {statistics.median(times):.1f} s over {len(times)} run(s) "
          "(target < 60 s on 2 cores)")


if __name__ == "__main__":
    main()
