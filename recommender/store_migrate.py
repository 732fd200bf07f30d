"""The job behind ``recommender migrate``: a store's posts into the partitioned layout."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from recommender import store_url
from recommender.errors import StoreError
from recommender.store import Store


@dataclass
class MigrateReport:
    data_dir: str
    before: str  # "single-file" | "partitioned"
    after: str
    posts_moved: int
    buckets_written: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def migrate_store(data_dir: str | Path, buckets: int) -> MigrateReport:
    """One commit under the store's lock (a kill leaves the old layout whole)."""
    store_url.refuse_remote(data_dir)
    store = Store(data_dir)
    if not store.root.is_dir() or not store.exists():
        raise StoreError(f"{store.root}: no post store here; nothing to migrate")
    before, moved, written = store.migrate(buckets)
    return MigrateReport(str(store.root), before, store.layout(), moved, written)
