"""Accuracy and bias by kind of account, and the cold-start benchmark.

1. Per generated account type (``datasets.make_accounts``: creators, news outlets, cold
   start), the fixed-origin hold-out (each creator's latest 20% of settled posts, target
   log weighted interactions): model MAE, creator-median MAE, population-median MAE, mean
   residual (outcome - prediction; > 0 under-predicts) of the model and of the creator
   median, overall, near the cut (first 3 posts after it) and far from it (12+), and the
   model's 80% interval coverage. Medians over --seeds worlds. ``skew`` and ``net``
   (``model.accounts.bias_split``, from the generator's planted shocks): the mean residual
   a perfect forecast of the median would leave (the test posts' mean shock minus the
   median shock of the world: viral posts) and each method's mean residual net of it.
2. Cold start (``model.accounts.new_creator_backtest``): 30% of the creators held out
   whole (none of their outcomes seen), their settled posts with <= 5 earlier posts
   predicted from the profile read at collection, content and timing; MAE against the
   population median (target: >= 15% smaller). On the generated cold-start world and, with
   --real, on the shared creator histories cut to a scrape's view: each creator's latest
   3-12 posts (seeded), no follower count on the posts, the profile (followers, total
   likes, videos) read once at collection.

Usage:

    .venv/bin/python benchmarks/bench_accounts.py [--seeds 0,1,2] [--creators 40]
        [--outlets 20] [--cold 300] [--days 120] [--skip-types] [--skip-cold]
        [--real ../shared/data/creator_histories_2020.csv.gz] [--params JSON]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.datasets import make_accounts
from recommender.model.accounts import (
    bias_split,
    holdout_predictions,
    new_creator_backtest,
    summarise_holdout,
)
from recommender.store import StoreData

COLD_TARGET = 0.15


def bench_types(seeds: list[int], sizes: dict[str, tuple[int, int]],
                params: dict[str, Any]) -> None:
    print("fixed-origin hold-out by account type (medians over seeds "
          f"{','.join(map(str, seeds))}; mean residual = outcome - prediction)")
    header = (f"{'type':11s} {'posts':>6s} {'test':>5s} {'MAE model':>9s} {'creator med':>11s} "
              f"{'pop med':>7s} {'resid model':>11s} {'resid med':>9s} {'near m/med':>12s} "
              f"{'far m/med':>12s} {'coverage':>8s} {'median resid m/med':>18s} "
              f"{'skew':>6s} {'net m/med':>12s}")
    print(header)
    for kind, (n, days) in sizes.items():
        rows, posts = [], []
        for seed in seeds:
            data = make_accounts(kind, n_creators=n, days=days, seed=seed)
            posts.append(len(data.posts))
            predictions, population = holdout_predictions(data.as_store_data(), params)
            shocks = data.effects.post_components.assign(
                shock=lambda c: c["noise"] + c["virality"])
            rows.append({**summarise_holdout(predictions, population).to_dict(),
                         **bias_split(predictions, shocks)})
        m = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"{kind:11s} {statistics.median(posts):6.0f} {m['n_test']:5.0f} "
              f"{m['mae_model']:9.3f} {m['mae_creator_median']:11.3f} "
              f"{m['mae_population_median']:7.3f} {m['residual_model']:+11.3f} "
              f"{m['residual_creator_median']:+9.3f} "
              f"{m['residual_model_near']:+6.2f}/{m['residual_creator_median_near']:+.2f} "
              f"{m['residual_model_far']:+6.2f}/{m['residual_creator_median_far']:+.2f} "
              f"{m['coverage']:8.3f} {m['median_residual_model']:+11.3f}/"
              f"{m['median_residual_creator_median']:+.3f} {m['skew']:+6.3f} "
              f"{m['model_net']:+6.3f}/{m['creator_median_net']:+.3f}")


def bench_cold(label: str, datasets: list[StoreData], params: dict[str, Any]) -> None:
    results = [new_creator_backtest(d, params, seed=i) for i, d in enumerate(datasets)]
    m = {k: statistics.median(r.to_dict()[k] for r in results)
         for k in results[0].to_dict()}
    verdict = "met" if m["gain"] >= COLD_TARGET else "NOT met"
    print(f"cold start, {label}: {m['n_test']:.0f} posts of {m['n_creators']:.0f} new "
          f"creators (<= 5 earlier posts, none of their outcomes seen): model MAE "
          f"{m['mae_model']:.3f} vs population median {m['mae_population_median']:.3f} "
          f"({m['gain']:.0%} smaller; target >= {COLD_TARGET:.0%}: {verdict}); mean residual "
          f"{m['residual_model']:+.3f}; 80% interval coverage {m['coverage']:.3f}; profile "
          f"read after the post on {m['after_post_share']:.0%} of them")


def scrape_view(data: StoreData, seed: int) -> StoreData:
    """Each creator's latest 3-12 posts (seeded), no follower count on the posts: what a
    scrape of many accounts holds; the profile readings at collection are kept."""
    rng = np.random.default_rng(seed)
    posts = data.posts.sort_values("posted_at", kind="stable")
    keep_n = {c: int(rng.integers(3, 13)) for c in sorted(posts["creator"].unique())}
    rank = posts.groupby("creator").cumcount(ascending=False)
    kept = posts[rank.to_numpy() < posts["creator"].map(keep_n).to_numpy()].copy()
    kept["followers_at_post"] = pd.NA
    kept["following_at_post"] = pd.NA
    return StoreData(**{**data.__dict__, "posts": kept.reset_index(drop=True)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--creators", type=int, default=40)
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--cold", type=int, default=300)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--skip-types", action="store_true")
    parser.add_argument("--skip-cold", action="store_true",
                        help="no generated cold-start benchmark (--real still runs)")
    parser.add_argument("--real", type=Path, default=None)
    parser.add_argument("--params", type=json.loads, default={},
                        help='model parameters as JSON, e.g. \'{"early_stopping": true}\'')
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.perf_counter()
    if not args.skip_types:
        bench_types(seeds, {"creators": (args.creators, args.days),
                            "outlets": (args.outlets, args.days),
                            "cold_start": (args.cold, args.days)}, args.params)
    if not args.skip_cold:
        bench_cold("generated cold-start world",
                   [make_accounts("cold_start", n_creators=args.cold, days=args.days,
                                  seed=s).as_store_data() for s in seeds], args.params)
    if args.real is not None:
        from recommender.ingest import ingest_paths
        from recommender.store import Store

        with tempfile.TemporaryDirectory() as tmp:
            ingest_paths([args.real], tmp)
            full = Store(tmp).load()
        bench_cold(f"{args.real.name} cut to a scrape's view (latest 3-12 posts per creator)",
                   [scrape_view(full, s) for s in seeds], args.params)
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
