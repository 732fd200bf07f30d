"""The posts table as a Parquet dataset partitioned by creator (hive layout).

``posts/bucket=0003/part.000007.parquet``: every creator's posts live in one bucket, chosen by
a stable hash of the creator's name (CRC-32, the same on every machine and Python), so an
ingest rewrites only the buckets its creators fall in and a Dask worker gets whole creators
per partition. Buckets rather than one directory per creator: a million creators would be a
million small files, which no file system or Parquet reader enjoys.

The store's generation pointer names each bucket's current file (``store.json``:
``"posts": {"layout": "hive", "buckets": 16, "parts": {"3": "part.000007.parquet"}}``);
a reader reads exactly those files, never a directory listing, so files of a commit in
progress or of the previous generation are never mixed in.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import StoreError

DIRECTORY = "posts"
LAYOUT = "hive"
DEFAULT_BUCKETS = 16
MAX_BUCKETS = 4096
SORT_KEYS = ["posted_at", "creator", "post_id"]


def is_partitioned(entry: Any) -> bool:
    return isinstance(entry, dict)


def new_entry(buckets: int) -> dict[str, Any]:
    return {"layout": LAYOUT, "buckets": int(buckets), "parts": {}}


def check_entry(entry: Any, pointer: Path) -> None:
    """A partitioned entry of the pointer, validated like every other name it holds."""
    buckets = entry.get("buckets")
    parts = entry.get("parts")
    if (entry.get("layout") != LAYOUT or not isinstance(buckets, int)
            or not 1 <= buckets <= MAX_BUCKETS or not isinstance(parts, dict)):
        raise StoreError(f"{pointer}: not a recommender store pointer (bad posts layout); "
                         "point --data at a directory written by `recommender ingest`")
    for bucket, name in parts.items():
        if (not str(bucket).isdigit() or not 0 <= int(bucket) < buckets
                or not isinstance(name, str) or Path(name).name != name):
            raise StoreError(f"{pointer}: names a file outside the store ({name!r}); "
                             "re-run `recommender ingest` into a fresh --data directory")


def bucket_dir(bucket: int) -> str:
    return f"{DIRECTORY}/bucket={bucket:04d}"


def relative_parts(entry: dict[str, Any]) -> list[str]:
    """The entry's files, relative to the store root (posix), in bucket order."""
    return [f"{bucket_dir(int(b))}/{name}"
            for b, name in sorted(entry["parts"].items(), key=lambda kv: int(kv[0]))]


def buckets_of(creators: pd.Series, buckets: int) -> np.ndarray:
    """Each row's bucket: CRC-32 of the creator's UTF-8 name modulo the bucket count
    (computed once per distinct creator)."""
    codes, names = pd.factorize(creators.astype("string").fillna(""), sort=False)
    per_name = np.array([zlib.crc32(str(n).encode("utf-8")) % buckets for n in names],
                        dtype=np.int64)
    return per_name[codes] if len(names) else np.zeros(len(creators), dtype=np.int64)


def _order(ns: np.ndarray, keys: pd.DataFrame | None = None, frame=None) -> np.ndarray:
    """Row order by time, ties by (creator, post id); ``frame()`` gives the key columns of
    the tied rows only (sorting three columns with text costs ~4 s per million posts, the
    time alone ~0.1 s, and rows sharing a time are rare)."""
    order = np.argsort(ns, kind="stable")
    ordered = ns[order]
    same = ordered[1:] == ordered[:-1]
    tied = np.zeros(len(ns), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        rows = order[tied]
        sub = frame(rows).reset_index(drop=True)  # type: ignore[misc]
        sub = sub.sort_values(SORT_KEYS, kind="stable", na_position="last")
        order[tied] = rows[sub.index.to_numpy()]
    return order


def sort_posts(frame: pd.DataFrame) -> pd.DataFrame:
    """The store's order for posts: time, then creator, then post id (as single-file)."""
    if len(frame) < 2:
        return frame.reset_index(drop=True)
    ns = frame["posted_at"].to_numpy(dtype="int64", na_value=np.iinfo(np.int64).max)
    order = _order(ns, frame=lambda rows: frame.iloc[rows][SORT_KEYS])
    return frame.iloc[order].reset_index(drop=True)


def read_files(paths: Sequence[Path], columns: list[str] | None = None) -> pd.DataFrame:
    """Concatenate part files (each read alone: no hive-path columns inferred), in the
    store's post order when the key columns are read (sorted in Arrow: taking rows there
    is several times cheaper than in pandas, with the hashtag lists)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = [pq.read_table(path, columns=columns) for path in paths]
    if not tables:
        raise FileNotFoundError("no part files")
    table = pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]
    if len(tables) > 1 and set(SORT_KEYS) <= set(table.column_names):
        times = table.column("posted_at")
        ns = pc.fill_null(times.cast(pa.int64()), np.iinfo(np.int64).max).to_numpy()

        def keys(rows: np.ndarray) -> pd.DataFrame:
            return table.select(SORT_KEYS).take(pa.array(rows)).to_pandas()

        table = table.take(pa.array(_order(ns, frame=keys)))
    return table.to_pandas()
