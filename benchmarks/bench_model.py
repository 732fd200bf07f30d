"""Model benchmarks: feature build + training time and peak memory on a large store, and the
chronological backtest table on the shared real creator histories.

1. Training at scale: the vectorised synthetic store of ``bench_features`` (default 2,000
   creators x 500 posts = 1M posts); times ``preprocess`` and ``EngagementModel.fit_table``
   with the default settings (what ``recommender train`` uses), each a median over --runs.
2. Real data (``--real PATH``, e.g. ../shared/data/creator_histories_2020.csv.gz): ingest into
   a temporary store, then the issue's protocol: per-creator chronological hold-out of the
   last 20% of posts, posts younger than 3 days at collection dropped, target
   log1p(likes + comments + shares) (``interactions``); model beside the baselines.

Usage:

    .venv/bin/python benchmarks/bench_model.py [--creators 2000] [--posts 500] [--runs 1]
        [--real ../shared/data/creator_histories_2020.csv.gz] [--skip-scale] [--params JSON]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_features import peak_rss_gb, synthetic_store  # noqa: E402

from recommender.features import preprocess  # noqa: E402
from recommender.model import EngagementModel  # noqa: E402

# Issue 12 (fixed origin, the same protocol on both sides).
TARGETS = {"mae": 0.72, "vs_median": 0.10, "pooled_spearman": 0.905, "coverage": (0.75, 0.85)}


def bench_scale(creators: int, posts: int, runs: int) -> None:
    data = synthetic_store(creators, posts)
    model = EngagementModel()
    build, fit = [], []
    for _ in range(runs):
        start = time.perf_counter()
        table = preprocess(data, model.config, model.target)
        build.append(time.perf_counter() - start)
        start = time.perf_counter()
        EngagementModel().fit_table(table)
        fit.append(time.perf_counter() - start)
    print(f"store: {len(data.posts):,} posts, {creators:,} creators; "
          f"training table {table.shape[0]:,} x {table.shape[1]}")
    print(f"preprocess: median {statistics.median(build):.1f} s over {runs} run(s) "
          f"(target < 20 s)")
    print(f"fit (default settings, {model.n_estimators} trees, 2 threads): median "
          f"{statistics.median(fit):.1f} s over {runs} run(s) (target < 90 s)")
    print(f"peak memory (whole process): {peak_rss_gb():.2f} GB (target < 3 GB)")


def bench_real(path: Path, extra: dict[str, Any]) -> None:
    from recommender.ingest import ingest_paths
    from recommender.model.backtest import holdout_table, run_backtest
    from recommender.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        ingest_paths([path], tmp)
        data = Store(tmp).load()
    model = EngagementModel(**{"target": "interactions", **extra})
    start = time.perf_counter()
    table = holdout_table(data, model.config, model.target)
    params = {**model.get_params(), "feature_config": model.config}
    result = run_backtest(table, params, "holdout", n_jobs=1)
    elapsed = time.perf_counter() - start
    metrics = result.metrics.set_index("method")
    print(f"\nreal data: {path.name}: {len(data.posts):,} posts, "
          f"{data.posts['creator'].nunique():,} creators; holdout backtest in {elapsed:.0f} s")
    print(metrics.round(3).to_string())
    print("model coverage by posts after the cut: " + ", ".join(
        f"{d['distance']}: {d['coverage']:.3f} (n {d['n']})"
        for d in result.coverage_by_distance()))
    print(f"lift calibration (slope of realised on predicted lift within creators; target "
          f"0.8-1.2): {result.lift_calibration()}; net of post age (log age at collection "
          f"as a second regressor): {result.lift_calibration(net_of_age=True)}")
    model_row = metrics.loc["model"]
    gain = 1 - model_row["mae"] / metrics.loc["creator_median", "mae"]
    low, high = TARGETS["coverage"]
    print("targets: MAE <= {}: {}; >= {:.0%} better than the creator median ({:.1%}): {}; "
          "pooled Spearman >= {}: {}; coverage {}-{}: {}".format(
              TARGETS["mae"], _yes(model_row["mae"] <= TARGETS["mae"]), TARGETS["vs_median"],
              gain, _yes(gain >= TARGETS["vs_median"]), TARGETS["pooled_spearman"],
              _yes(model_row["spearman"] >= TARGETS["pooled_spearman"]), low, high,
              _yes(low <= model_row["coverage"] <= high)))


def _yes(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--real", type=Path, default=None)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--params", type=json.loads, default={},
                        help='parameters for --real as JSON: \'{"early_stopping": true}\'')
    args = parser.parse_args()
    if not args.skip_scale:
        bench_scale(args.creators, args.posts, args.runs)
    if args.real is not None:
        bench_real(args.real, args.params)


if __name__ == "__main__":
    main()
