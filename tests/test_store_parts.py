"""The posts table partitioned by creator: incremental ingests, migration, same contents."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from recommender import schema, store_parts
from recommender.cli import app
from recommender.datasets import make_posts
from recommender.errors import StoreError
from recommender.ingest import ingest_paths
from recommender.store import STATE_FILE, Store

COLUMNS = ["creator", "post_id", "posted_at", "likes", "comments", "shares", "views",
           "collected_at", "caption"]


def _export(path: Path, seed: int, creators: int, days: int, suffix: str = "") -> pd.DataFrame:
    posts = make_posts(n_creators=creators, days=days, seed=seed).posts.copy()
    posts["creator"] = posts["creator"] + suffix
    posts[COLUMNS].to_csv(path, index=False)
    return posts


def _parts(root: Path) -> dict[str, str]:
    return json.loads((root / STATE_FILE).read_text())["tables"]["posts"]["parts"]


def test_an_ingest_rewrites_only_the_buckets_of_its_creators(tmp_path: Path) -> None:
    _export(tmp_path / "many.csv", seed=1, creators=12, days=30)
    store = tmp_path / "store"
    ingest_paths([tmp_path / "many.csv"], store)
    assert Store(store).layout() == "partitioned"
    before = _parts(store)
    assert len(before) > 4  # 12 creators spread over the 16 buckets
    files_before = {p: p.stat().st_mtime_ns for p in Store(store).files("posts")}

    newcomer = _export(tmp_path / "one.csv", seed=2, creators=1, days=10, suffix="_new")
    ingest_paths([tmp_path / "one.csv"], store)
    after = _parts(store)
    bucket = str(store_parts.buckets_of(newcomer["creator"].iloc[:1], 16)[0])
    changed = {b for b in after if after[b] != before.get(b)}
    assert changed == {bucket}
    for path, mtime in files_before.items():  # every other bucket's file left as it was
        if path.parent.name != store_parts.bucket_dir(int(bucket)).split("/")[1]:
            assert path.stat().st_mtime_ns == mtime
    posts = Store(store).load().posts
    assert set(newcomer["creator"]) <= set(posts["creator"])
    assert posts["posted_at"].is_monotonic_increasing


def test_migration_keeps_every_row_and_later_writes_clean_the_old_file(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    data = make_posts(n_creators=5, days=30, seed=3).as_store_data()
    posts = store_parts.sort_posts(data.posts)
    posts.to_parquet(legacy / "posts.parquet", index=False)
    _export(tmp_path / "more.csv", seed=4, creators=1, days=10, suffix="_more")
    ingest_paths([tmp_path / "more.csv"], legacy)  # a single-file store stays single-file
    assert Store(legacy).layout() == "single-file"
    single = Store(legacy).load().posts

    runner = CliRunner()
    done = runner.invoke(app, ["migrate", "--data", str(legacy), "--buckets", "4", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["before"] == "single-file" and report["after"] == "partitioned"
    assert report["posts_moved"] == len(single) and 1 <= report["buckets_written"] <= 4
    pd.testing.assert_frame_equal(Store(legacy).load().posts, single)
    again = runner.invoke(app, ["migrate", "--data", str(legacy)])
    assert again.exit_code == 0 and "already partitioned" in again.output

    _export(tmp_path / "late.csv", seed=5, creators=1, days=5, suffix="_late")
    ingest_paths([tmp_path / "late.csv"], legacy)
    ingest_paths([tmp_path / "late.csv"], legacy)  # nothing new: no commit
    _export(tmp_path / "later.csv", seed=6, creators=1, days=5, suffix="_later")
    ingest_paths([tmp_path / "later.csv"], legacy)
    assert not list(legacy.glob("posts*.parquet"))  # the single file outlived its keep
    on_disk = {p.relative_to(legacy).as_posix() for p in legacy.glob("posts/*/*.parquet")}
    state = json.loads((legacy / STATE_FILE).read_text())
    assert on_disk <= set(state["keep"])


def test_migrate_mistakes_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = runner.invoke(app, ["migrate", "--data", str(tmp_path / "none")])
    assert empty.exit_code == 1 and "no post store here" in empty.output
    _export(tmp_path / "a.csv", seed=7, creators=1, days=5)
    ingest_paths([tmp_path / "a.csv"], tmp_path / "s")
    with pytest.raises(StoreError, match="--buckets 0: choose 1 to 4096"):
        Store(tmp_path / "s").migrate(0)


def test_a_pointer_with_a_bad_bucket_entry_is_refused(tmp_path: Path) -> None:
    entry = {"layout": "hive", "buckets": 4, "parts": {"1": "../../etc/passwd"}}
    (tmp_path / STATE_FILE).write_text(json.dumps(
        {"format": "tiktok-recommender-store", "generation": 1, "tables": {"posts": entry}}))
    with pytest.raises(StoreError, match="names a file outside the store"):
        Store(tmp_path).load()


def _batch(draw_rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    return schema.conform(pd.DataFrame({
        "creator": [f"c{c}" for c, _, _, _ in draw_rows],
        "post_id": [str(p) for _, p, _, _ in draw_rows],
        "posted_at": [pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=p % 5)
                      for _, p, _, _ in draw_rows],  # many shared times: the tie order
        "likes": [likes for _, _, likes, _ in draw_rows],
        "collected_at": [pd.Timestamp("2026-02-01", tz="UTC") + pd.Timedelta(days=d)
                         for _, _, _, d in draw_rows],
        "hashtags": [["fyp"]] * len(draw_rows),
        "source": "test",
    }), "posts")


rows = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 30), st.integers(0, 9),
                          st.integers(0, 3)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(rows, min_size=1, max_size=4))
def test_both_layouts_hold_the_same_table_after_any_upserts(
        tmp_path_factory: pytest.TempPathFactory, batches: list) -> None:
    single_dir, parted_dir = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("p")
    schema.empty("posts").to_parquet(single_dir / "posts.parquet", index=False)
    single, parted = Store(single_dir), Store(parted_dir)
    for batch in batches:
        frame = _batch(batch)
        assert single.upsert("posts", frame) == parted.upsert("posts", frame)
    assert single.layout() == "single-file" and parted.layout() == "partitioned"
    pd.testing.assert_frame_equal(parted.read("posts"), single.read("posts"))
