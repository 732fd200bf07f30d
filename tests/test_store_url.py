"""``--data`` as an fsspec URL: ``file://`` is the folder itself (read and written);
a remote store (fsspec's ``memory://`` here, the same code as ``s3://``) is read through a
local mirror that follows its generations; writing there, and a file system whose package
is missing, fail in one line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from recommender import store_url
from recommender.cli import app
from recommender.datasets import make_posts
from recommender.errors import StoreError
from recommender.store import PARQUET_TABLES, Store

runner = CliRunner()
EXTRACT = Path(__file__).parent / "extracts" / "generic" / "creator_histories_2020.csv"


def _same(a: Store, b: Store) -> None:
    left, right = a.load(), b.load()
    for table in PARQUET_TABLES:
        pd.testing.assert_frame_equal(getattr(left, table), getattr(right, table), obj=table)


def test_plain_paths_stay_paths() -> None:
    for text in ("data/store", "/srv/store", "C:/Users/me/store", "store:1"):
        assert store_url.split(text) is None
        assert Store(text).root == Path(text) and Store(text).url is None


def test_a_file_url_is_the_folder_itself_for_every_command(tmp_path: Path) -> None:
    url = f"file://{tmp_path / 'store'}"
    done = runner.invoke(app, ["ingest", str(EXTRACT), "--data", url, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["totals"]["added"] == 5
    assert Store(url).root == tmp_path / "store" and Store(url).url is None
    _same(Store(url), Store(tmp_path / "store"))
    shown = runner.invoke(app, ["audience", "--all", "--data", url, "--json"])
    direct = runner.invoke(app, ["audience", "--all", "--data", str(tmp_path / "store"),
                                 "--json"])
    assert shown.exit_code == 0 and shown.stdout == direct.stdout


@pytest.fixture()
def remote(tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    fsspec = pytest.importorskip("fsspec")
    monkeypatch.setenv(store_url.CACHE_ENV, str(tmp_path / "cache"))
    fs = fsspec.filesystem("memory")
    url = f"memory://bucket-{tmp_path.name}/store"
    yield fs, url
    if fs.exists(url):
        fs.rm(url, recursive=True)


def _upload(fs, local: Path, url: str) -> None:  # type: ignore[no-untyped-def]
    if fs.exists(url):
        fs.rm(url, recursive=True)
    fs.put(str(local), url, recursive=True)


def test_a_remote_store_is_read_through_a_mirror_that_follows_it(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 remote) -> None:
    fs, url = remote
    local = tmp_path / "local"
    synthetic = make_posts(n_creators=3, days=30, seed=1).as_store_data()
    Store(local).upsert_all(synthetic)
    _upload(fs, local, url)
    mirrored = Store(url)
    assert mirrored.url == url and mirrored.root.is_relative_to(tmp_path / "cache")
    _same(mirrored, Store(local))
    assert (mirrored.root / "trends.000001.parquet").exists()
    # A new generation upstream: the next run reads it, and the old files are dropped.
    more = make_posts(n_creators=4, days=30, seed=2).as_store_data()
    Store(local).upsert_all(more)
    _upload(fs, local, url)
    again = Store(url)
    _same(again, Store(local))
    kept = {p.relative_to(again.root).as_posix() for p in again.root.rglob("*") if p.is_file()}
    named = store_url._named((local / "store.json").read_bytes())
    assert kept == {*named, "store.json"} and "trends.000001.parquet" not in kept
    assert len(named) > 5
    # The commands read it as a folder (typer's Path option spells it memory:/...).
    shown = runner.invoke(app, ["audience", "--all", "--data", url, "--json"])
    direct = runner.invoke(app, ["audience", "--all", "--data", str(local), "--json"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == direct.stdout


def test_writing_to_a_remote_store_fails_in_one_line(tmp_path: Path, remote) -> None:  # type: ignore[no-untyped-def]
    fs, url = remote
    done = runner.invoke(app, ["ingest", str(EXTRACT), "--data", url])
    assert done.exit_code == 1 and done.output.count("\n") == 1, done.output
    assert "writing to a remote store is not supported" in done.output
    assert "Traceback" not in done.output
    with pytest.raises(StoreError, match="write to a local folder or file:// URL"):
        Store(url).upsert_all(make_posts(n_creators=2, days=10, seed=1).as_store_data())


@pytest.mark.skipif(importlib.util.find_spec("s3fs") is not None, reason="s3fs installed")
def test_an_s3_url_without_s3fs_names_the_package(tmp_path: Path) -> None:
    done = runner.invoke(app, ["audience", "--all", "--data", "s3://bucket/store"])
    assert done.exit_code == 1 and done.output.count("\n") == 1, done.output
    assert "--data s3://bucket/store: the s3:// file system needs the s3fs package; " \
           "install s3fs" in done.output
    with pytest.raises(StoreError, match="install gcsfs"):
        Store("gs://bucket/store")


def test_the_writing_commands_refuse_a_remote_url_before_fetching_anything() -> None:
    for args in (["ingest", str(EXTRACT)], ["migrate"]):
        done = runner.invoke(app, [*args, "--data", "s3://bucket/store"])
        assert done.exit_code == 1 and done.output.count("\n") == 1, done.output
        assert "s3://bucket/store: writing to a remote store is not supported" in done.output


def test_an_unknown_scheme_fails_in_one_line() -> None:
    pytest.importorskip("fsspec")
    with pytest.raises(StoreError, match="nosuchfs:// is not a file system fsspec knows"):
        Store("nosuchfs://x/y")
