"""Ingest benchmark: 1,000,000 scraper posts in the Apify clockworks CSV download format.

Why this format: a user with a million posts got them from a scraper, and the Apify
console's CSV download (nested keys flattened with ``/``, ``hashtags/0/name``...) is what
such a user has; it is also the format pandas/pyarrow can read column-wise.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--repeats 3]

Each timed run is a fresh Python process (so peak memory is that run's own): ``adapter``
reads the file through the ``apify`` adapter into canonical frames; ``store`` runs
``recommender.ingest.ingest_paths`` into an empty Parquet store (sniff, read, upsert,
write). Prints wall time and peak RSS (``resource.getrusage`` maxrss), median over the
repeats. Targets: < 60 s and < 3 GB on a 2-core machine. 0.5% of the rows carry a
deliberate defect (negative count, bad time), so the rejection path is timed too.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TAGS = np.array(["fyp", "foryou", "viral", "baketok", "gymtok", "booktok", "ootd", "dance",
                 "comedy", "learnontiktok", "pov", "trend"])
COLLECTED = "2025-07-07_08-00-00-000"  # in the file name, as Apify names downloads


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` Apify-CSV posts of 2,000 creators to ``path``."""
    rng = np.random.default_rng(seed)
    creators = np.char.add("creator_", (rng.integers(0, 2000, rows)).astype(str))
    created = rng.integers(1_600_000_000, 1_751_000_000, rows)
    ids = (created.astype(np.uint64) << np.uint64(32)) + rng.integers(0, 2**31, rows).astype(
        np.uint64)
    views = rng.lognormal(9, 2, rows).astype(np.int64)
    likes = (views * rng.uniform(0.01, 0.15, rows)).astype(np.int64)
    tags = [TAGS[rng.integers(0, len(TAGS), rows)] for _ in range(4)]
    for k in (2, 3):  # fewer tags on some posts: empty cells, as in real downloads
        tags[k] = np.where(rng.random(rows) < 0.4, "", tags[k])
    created_text = created.astype(str)
    bad = rng.random(rows) < 0.005
    created_text[bad] = "not a time"
    views[rng.random(rows) < 0.001] = -1
    id_text = ids.astype(str)
    columns = {
        "id": id_text,
        "text": np.char.add("my post #", tags[0]),
        "createTime": created_text,
        "authorMeta/name": creators,
        "authorMeta/following": rng.integers(0, 2000, rows),
        "authorMeta/fans": rng.integers(100, 5_000_000, rows),
        "authorMeta/heart": rng.integers(1_000, 50_000_000, rows),
        "authorMeta/video": rng.integers(1, 3000, rows),
        "musicMeta/musicId": rng.integers(6_700_000_000_000_000_000, 7_500_000_000_000_000_000,
                                          rows, dtype=np.uint64).astype(str),
        "musicMeta/musicName": np.char.add("sound ", rng.integers(0, 5000, rows).astype(str)),
        "musicMeta/musicOriginal": np.where(rng.random(rows) < 0.3, "true", "false"),
        "webVideoUrl": np.char.add(np.char.add(np.char.add("https://www.tiktok.com/@", creators),
                                               "/video/"), id_text),
        "videoMeta/duration": rng.integers(0, 180, rows),
        "diggCount": likes, "shareCount": likes // 20, "playCount": views,
        "collectCount": likes // 10, "commentCount": likes // 30,
        **{f"hashtags/{k}/name": tags[k] for k in range(4)},
        "isSlideshow": np.where(rng.random(rows) < 0.02, "true", "false"),
    }
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    pacsv.write_csv(table, path)


def _one(mode: str, path: Path) -> dict[str, float]:
    """One measured run in this process."""
    from recommender.ingest.base import IngestContext, Source

    start = time.perf_counter()
    if mode == "adapter":
        from recommender.ingest.scrapers import ADAPTERS

        apify = next(a for a in ADAPTERS if a.name == "apify")
        result = apify.read(Source(name=str(path), path=path), IngestContext())
        stored, rejected = result.records_stored, len(result.rejected)
    else:
        from recommender.ingest import ingest_paths

        with tempfile.TemporaryDirectory() as store:
            report = ingest_paths([path], store)
            stored, rejected = report.totals["stored"], report.totals["rejected"]
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    return {"wall_s": wall, "peak_gib": peak, "stored": stored, "rejected": rejected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", default="adapter,store")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], Path(args.one[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"dataset_tiktok-scraper_{COLLECTED}.csv"
        start = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} Apify CSV posts ({size:,.0f} MB) "
              f"in {time.perf_counter() - start:.1f} s")
        for mode in args.modes.split(","):
            runs = [json.loads(subprocess.run(
                [sys.executable, __file__, "--one", mode, str(path)], check=True,
                capture_output=True, text=True).stdout) for _ in range(args.repeats)]
            walls = [r["wall_s"] for r in runs]
            peaks = [r["peak_gib"] for r in runs]
            print(f"{mode:8s} wall median {statistics.median(walls):6.1f} s "
                  f"(runs {', '.join(f'{w:.1f}' for w in walls)}); peak RSS median "
                  f"{statistics.median(peaks):.2f} GiB; stored {runs[0]['stored']:,}, "
                  f"rejected {runs[0]['rejected']:,}")


if __name__ == "__main__":
    main()
