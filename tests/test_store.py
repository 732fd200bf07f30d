"""The Parquet store: idempotent upserts, newest snapshot wins, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recommender import schema
from recommender.errors import StoreError
from recommender.store import Store


def _posts(likes: list[int], collected: str = "2026-01-10T00:00:00Z") -> pd.DataFrame:
    n = len(likes)
    return schema.conform(
        pd.DataFrame(
            {
                "creator": ["ana"] * n,
                "post_id": [str(7_000_000_000_000_000_000 + i) for i in range(n)],
                "posted_at": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
                "hashtags": [["booktok", "fyp"]] * n,
                "likes": likes,
                "collected_at": [collected] * n,
                "source": ["test"] * n,
            }
        ),
        "posts",
    )


def test_ingesting_the_same_rows_twice_adds_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = store.upsert("posts", _posts([1, 2, 3]))
    second = store.upsert("posts", _posts([1, 2, 3]))
    assert (first.added, first.updated) == (3, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    stored = store.read("posts")
    assert len(stored) == 3
    assert stored["post_id"].iloc[0] == "7000000000000000000"  # > 2^53, kept exact
    assert stored["hashtags"].iloc[0] == ["booktok", "fyp"]


def test_newer_snapshot_updates_counts_and_older_one_does_not(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("posts", _posts([1, 2, 3], "2026-01-10T00:00:00Z"))
    newer = store.upsert("posts", _posts([10, 2, 30], "2026-01-12T00:00:00Z"))
    older = store.upsert("posts", _posts([0, 0, 0], "2026-01-05T00:00:00Z"))
    assert newer.updated == 3  # counts and collected_at changed
    assert older.updated == 0 and older.unchanged == 3
    assert store.read("posts")["likes"].tolist() == [10, 2, 30]


def test_overlapping_export_adds_only_new_posts(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("posts", _posts([1, 2]))
    result = store.upsert("posts", _posts([1, 2, 3, 4]))
    assert (result.added, result.unchanged) == (2, 2)
    assert len(store.read("posts")) == 4


def test_crash_mid_write_leaves_previous_store_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    store.upsert("posts", _posts([1, 2, 3]))

    def boom(self: pd.DataFrame, handle: object, index: bool = False) -> None:
        handle.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        store.upsert("posts", _posts([1, 2, 3, 4]))
    monkeypatch.undo()
    assert store.read("posts")["likes"].tolist() == [1, 2, 3]
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_or_foreign_store_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no post store here; run `recommender ingest"):
        Store(tmp_path / "nowhere").load()
    (tmp_path / "posts.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(StoreError, match="cannot read this store table"):
        Store(tmp_path).read("posts")


def test_quarantine_keeps_each_rejection_once(tmp_path: Path) -> None:
    store = Store(tmp_path)
    rejected = schema.conform(
        pd.DataFrame(
            {"file": ["a.csv"], "row": [3], "field": ["likes"], "reason": ["negative count"],
             "value": ["-4"]}
        ),
        "rejected",
    )
    store.append_rejected(rejected)
    store.append_rejected(rejected)
    lines = store.rejected()
    assert len(lines) == 1
    assert lines.iloc[0].to_dict() | {} == {
        "file": "a.csv", "row": 3, "field": "likes", "reason": "negative count", "value": "-4"
    }


def test_timezone_is_kept_per_creator(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.set_timezone("ana", "Europe/Athens")
    assert store.timezone_of("ana") == "Europe/Athens"
    assert store.timezone_of("unknown") == "UTC"
