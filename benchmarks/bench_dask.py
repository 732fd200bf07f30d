"""Single machine against a Dask LocalCluster: plan scoring and model training.

1. Scoring: a store (50 creators, 180 days) and a champion trained once; plans of
   ``--plan-rows`` rows (default 1M and 10M, written as bench_score writes them) scored by
   ``score_plan`` and by ``score_plan_dask`` on the cluster (the plan read and validated on
   the client in both; the cluster start is timed apart).
2. Training: the vectorised synthetic store of ``bench_features`` with ``--train-posts``
   posts (default 1M and 5M; 500 posts per creator); the training table built by
   ``preprocess`` against ``distributed.features.preprocess_dask`` (checked identical),
   then ``EngagementModel.fit_table`` against the same fit with its trees trained by
   ``lightgbm.dask.DaskLGBMRegressor``.

After each Dask run, the peak resident memory of every worker process (its VmHWM since
it started) and of this client process are printed. The
machine is shared: pass smaller sizes, e.g. ``--plan-rows 200000 --train-posts 200000``.

    .venv/bin/python benchmarks/bench_dask.py [--plan-rows 1000000,10000000]
        [--train-posts 1000000,5000000] [--workers 2] [--skip-score] [--skip-train]
        [--table-only] [--cluster-fit-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_features import peak_rss_gb, synthetic_store  # noqa: E402
from bench_score import build, write_plan  # noqa: E402


def _worker_peak_gb() -> float:
    """This process's own peak RSS: VmHWM (getrusage's maximum survives fork and exec,
    so a worker started by a large client would report the client's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _peaks(client) -> str:  # type: ignore[no-untyped-def]
    peaks = client.run(_worker_peak_gb)
    return ", ".join(f"{gb:.2f}" for gb in peaks.values())


def bench_score(root: Path, sizes: list[int], address: str) -> None:
    import pandas as pd

    from recommender.distributed import cluster
    from recommender.distributed.score import champion_bundle, score_plan_dask
    from recommender.model.registry import load_champion
    from recommender.recommend.score import score_plan
    from recommender.store import Store

    data_dir, models_dir = build(root)
    data = Store(data_dir).load()
    creators = sorted(data.posts["creator"].astype(str).unique())
    start = data.posts["posted_at"].max().normalize() + pd.Timedelta(days=1)
    model, bundle = load_champion(models_dir), champion_bundle(models_dir)
    began = time.perf_counter()
    with cluster.connect(address) as client:
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers, started in "
              f"{time.perf_counter() - began:.1f} s")
        for rows in sizes:
            plan = root / f"plan_{rows}.csv"
            write_plan(plan, rows, creators, start)
            began = time.perf_counter()
            alone = score_plan(plan, data, model)
            single_s = time.perf_counter() - began
            began = time.perf_counter()
            spread = score_plan_dask(plan, data, bundle, client)
            dask_s = time.perf_counter() - began
            same = alone.rows.equals(spread.rows)
            print(f"score {rows:,} plan rows: single machine {single_s:.1f} s, LocalCluster "
                  f"{dask_s:.1f} s; rows identical: {same}; peak RSS per worker (GB): "
                  f"{_peaks(client)}; client {peak_rss_gb():.2f} GB")
            plan.unlink()


def bench_train(sizes: list[int], address: str, table_only: bool = False) -> None:
    import numpy as np
    import pandas as pd

    from recommender.distributed import cluster
    from recommender.distributed.features import preprocess_dask
    from recommender.distributed.train import DaskTrees, prediction_gap
    from recommender.features import preprocess
    from recommender.model import EngagementModel

    for posts in sizes:
        data = synthetic_store(max(1, posts // 500), 500)
        alone = EngagementModel()
        began = time.perf_counter()
        table = preprocess(data, alone.config, alone.target)
        build_s = time.perf_counter() - began
        # Before any cluster exists: LightGBM's OpenMP threads in a process that also runs
        # a Dask client's threads were measured 3x slower (202 s against 60 s).
        single_s = float("nan")
        if not table_only:
            began = time.perf_counter()
            alone.fit_table(table)
            single_s = time.perf_counter() - began
        if table_only:  # the largest sizes: keep a digest, not a second table
            digest, table = _digest(table), table.iloc[:0]
        with cluster.connect(address) as client:
            began = time.perf_counter()
            spread_table = preprocess_dask(client, data, alone.config, alone.target)
            dask_build_s = time.perf_counter() - began
            try:
                if table_only:
                    assert _digest(spread_table) == digest
                else:
                    pd.testing.assert_frame_equal(spread_table, table)
                same = True
            except AssertionError:
                same = False
            table_peaks = _peaks(client)
            del spread_table
            if table_only:
                print(f"train on {len(data.posts):,} posts: training "
                      f"table single machine {build_s:.1f} s, LocalCluster {dask_build_s:.1f}"
                      f" s, tables identical: {same}; peak RSS per worker (GB): "
                      f"{table_peaks}; client {peak_rss_gb():.2f} GB (fit not run)",
                      flush=True)
                continue
            began = time.perf_counter()
            spread = DaskTrees(client, **alone.get_params()).fit_table(table)
            dask_s = time.perf_counter() - began
            peaks = _peaks(client)
        sample = table.sample(min(len(table), 100_000), random_state=0)
        a = alone.predict_features(sample)["predicted"].to_numpy()
        b = spread.predict_features(sample)["predicted"].to_numpy()
        error = float(np.mean(np.abs(a - sample["y"].to_numpy(dtype=float))))
        print(f"train on {len(data.posts):,} posts ({len(table):,} rows): training table "
              f"single machine {build_s:.1f} s, LocalCluster {dask_build_s:.1f} s, tables "
              f"identical: {same}, peak RSS per worker after it (GB): {table_peaks}; fit "
              f"single machine {single_s:.1f} s, LocalCluster {dask_s:.1f} s; mean |log "
              f"pred gap| {prediction_gap(a, b):.3f} (model MAE {error:.3f}); peak RSS per "
              f"worker (GB): {peaks}; client {peak_rss_gb():.2f} GB", flush=True)


def bench_fit_alone(sizes: list[int], address: str | None) -> None:
    """One fit per size, on the cluster at ``address`` or (None) on this machine: for sizes
    whose two fits in one run do not fit the time on a shared machine
    (``--cluster-fit-only``, ``--single-fit-only``)."""
    import numpy as np

    from recommender.features import preprocess
    from recommender.model import EngagementModel

    for posts in sizes:
        data = synthetic_store(max(1, posts // 500), 500)
        table = preprocess(data, EngagementModel().config)
        del data
        if address is None:
            began = time.perf_counter()
            model = EngagementModel().fit_table(table)
            seconds = time.perf_counter() - began
            where, memory = "single machine", f"peak RSS {peak_rss_gb():.2f} GB"
        else:
            from recommender.distributed import cluster
            from recommender.distributed.train import DaskTrees

            with cluster.connect(address) as client:
                began = time.perf_counter()
                model = DaskTrees(client, **EngagementModel().get_params()).fit_table(table)
                seconds = time.perf_counter() - began
                peaks = _peaks(client)
            where = "LocalCluster"
            memory = f"peak RSS per worker (GB): {peaks}; client {peak_rss_gb():.2f} GB"
        sample = table.sample(min(len(table), 100_000), random_state=0)
        predicted = model.predict_features(sample)["predicted"].to_numpy()
        error = float(np.mean(np.abs(predicted - sample["y"].to_numpy(dtype=float))))
        print(f"fit on {len(table):,} rows, {where} only: {seconds:.1f} s (model MAE "
              f"{error:.3f} on {len(sample):,} of its rows); {memory}", flush=True)


def _digest(table) -> tuple:  # type: ignore[no-untyped-def, type-arg]
    """Columns, dtypes, row order and every value (NaN-aware), without a second copy: each
    row's hash weighted by its position, summed (wrapping uint64)."""
    import numpy as np
    import pandas as pd

    hashed = pd.util.hash_pandas_object(table, index=False).to_numpy()
    weights = np.arange(1, len(hashed) + 1, dtype=np.uint64)
    return (tuple(table.columns), tuple(map(str, table.dtypes)), len(table),
            int((hashed * weights).sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-rows", default="1000000,10000000")
    parser.add_argument("--train-posts", default="1000000,5000000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default="local", help="or a scheduler address")
    parser.add_argument("--skip-score", action="store_true")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--cluster-fit-only", action="store_true",
                        help="training: the cluster fit alone (no single-machine fit)")
    parser.add_argument("--single-fit-only", action="store_true",
                        help="training: the single-machine fit alone (no cluster)")
    parser.add_argument("--table-only", action="store_true",
                        help="training: build the tables only, no fits")
    args = parser.parse_args()
    os.environ["RECOMMENDER_DASK_WORKERS"] = str(args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_score:
            bench_score(Path(tmp), [int(x) for x in args.plan_rows.split(",")], args.scheduler)
        if args.single_fit_only or args.cluster_fit_only:
            bench_fit_alone([int(x) for x in args.train_posts.split(",")],
                            None if args.single_fit_only else args.scheduler)
        elif not args.skip_train:
            bench_train([int(x) for x in args.train_posts.split(",")], args.scheduler,
                        args.table_only)


if __name__ == "__main__":
    main()
