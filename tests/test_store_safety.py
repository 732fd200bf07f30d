"""The store under concurrent writers and kill -9: nothing lost, nothing half applied.

Each ingest runs in its own process, as users run them; kills are SIGKILL at chosen points
of the commit (the k-th fsync or rename the process makes), so every stage of "write new
generation files, then swap the pointer" is hit deterministically.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from recommender import locking
from recommender.datasets import make_posts
from recommender.ingest import ingest_paths
from recommender.store import PARQUET_TABLES, STATE_FILE, Store

COLUMNS = ["creator", "post_id", "posted_at", "likes", "comments", "shares", "views",
           "collected_at", "caption"]
ROOT = Path(__file__).resolve().parents[1]

# Runs the CLI with os.fsync/os.replace counted; at the K-th such call the process SIGKILLs
# itself (K=0: never; the count is printed at exit on stderr).
# The fsync/os.replace counter, shared by the CLI subprocess (KILLER) and the forked child.
HOOKS = """
import os, signal
def install(limit):
    count = [0]
    def hook(real):
        def call(*args, **kwargs):
            count[0] += 1
            if count[0] == limit:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call
    os.fsync, os.replace = hook(os.fsync), hook(os.replace)
    return count
"""
KILLER = HOOKS + """
import atexit, sys
count = install(int(sys.argv.pop(1)))
atexit.register(lambda: sys.stderr.write(f"EVENTS {count[0]}\\n"))
from recommender.cli import main
sys.argv[0] = "recommender"
main()
"""


def _export(path: Path, seed: int, creators: int, days: int) -> set[tuple[str, str]]:
    posts = make_posts(n_creators=creators, days=days, seed=seed).posts.copy()
    posts["creator"] = posts["creator"] + f"_{seed}"  # disjoint from the other files
    posts[COLUMNS].to_csv(path, index=False)
    return set(zip(posts["creator"], posts["post_id"].astype(str)))


def _ingest(*args: str, kill_at: int = 0, env: dict[str, str] | None = None,
            wait: bool = True) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", KILLER, str(kill_at), "ingest", *args]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=full_env, cwd=ROOT)
    return subprocess.run(command, capture_output=True, text=True, env=full_env, cwd=ROOT,
                          timeout=120)


def _keys(store: Path) -> set[tuple[str, str]]:
    posts = Store(store).load().posts
    return set(zip(posts["creator"], posts["post_id"].astype(str)))


def test_two_concurrent_ingests_keep_every_post_of_both(tmp_path: Path) -> None:
    big = _export(tmp_path / "big.csv", seed=1, creators=12, days=120)
    small = _export(tmp_path / "small.csv", seed=2, creators=2, days=20)
    store = tmp_path / "store"
    # Hold the lock until both are waiting for it (their first line on stderr), so they
    # certainly contend for it when it is released.
    with locking.exclusive(store, "store"):
        runs = [_ingest(str(tmp_path / name), "--data", str(store), wait=False)
                for name in ("big.csv", "small.csv")]
        first_lines = [run.stderr.readline() for run in runs]  # type: ignore[union-attr]
    assert all(line.startswith("waiting for the store") for line in first_lines), first_lines
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_, err) in zip(runs, outputs):
        assert run.returncode == 0, err
    assert _keys(store) == big | small


def test_a_held_lock_fails_in_one_line_naming_its_owner(tmp_path: Path) -> None:
    _export(tmp_path / "a.csv", seed=3, creators=1, days=10)
    store = tmp_path / "store"
    with locking.exclusive(store, "store"):
        done = _ingest(str(tmp_path / "a.csv"), "--data", str(store),
                       env={"RECOMMENDER_LOCK_TIMEOUT": "0"})
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if not line.startswith("EVENTS")]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert f"the store is locked by pid {os.getpid()}" in lines[0]
    assert not Store(store).exists()


def test_an_owner_record_of_a_dead_process_is_called_stale(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    (tmp_path / locking.OWNER_FILE).write_text(f'{{"pid": {child.pid}, "since": "x"}}')
    assert "stale" in locking.describe_owner(tmp_path)
    with locking.exclusive(tmp_path, "store", timeout=0) as waited:  # the OS lock is free
        assert waited is False


def _snapshot(store: Path) -> dict[str, pd.DataFrame]:
    data = Store(store).load(require_posts=False)
    tables = {t: getattr(data, t) for t in PARQUET_TABLES}
    tables["creators"] = tables["creators"].drop(columns=["updated_at"])
    tables["rejected"] = Store(store).rejected()
    return {t: f.sort_values(list(f.columns[:2])).reset_index(drop=True) if len(f) else f
            for t, f in tables.items()}


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> bool:
    for table in a:
        try:
            pd.testing.assert_frame_equal(a[table], b[table], check_dtype=False)
        except AssertionError:
            return False
    return True


def _forked_ingest(paths: list[Path], store: Path, kill_at: int) -> int:
    """``ingest_paths`` in a forked child that SIGKILLs itself at its ``kill_at``-th
    fsync/rename (as KILLER does, without a new interpreter per kill); its wait status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            hooks: dict[str, object] = {}
            exec(HOOKS, hooks)  # noqa: S102 - the test's own source, as KILLER runs it
            hooks["install"](kill_at)  # type: ignore[operator]
            ingest_paths(paths, store, timezone="Europe/Berlin")
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_anywhere_leaves_the_store_as_before_or_as_after(tmp_path: Path) -> None:
    _export(tmp_path / "first.csv", seed=4, creators=2, days=20)
    files = [tmp_path / "b.csv", tmp_path / "c.csv"]
    _export(files[0], seed=5, creators=2, days=20)
    _export(files[1], seed=6, creators=1, days=20)
    before_dir = tmp_path / "before"
    ingest_paths([tmp_path / "first.csv"], before_dir)
    args = [str(f) for f in files] + ["--timezone", "Europe/Berlin"]

    after_dir = Path(shutil.copytree(before_dir, tmp_path / "after"))
    clean = _ingest(*args, "--data", str(after_dir))  # the real CLI, counting its events
    assert clean.returncode == 0, clean.stderr
    events = int(clean.stderr.rsplit("EVENTS ", 1)[1].split()[0])
    before, after = _snapshot(before_dir), _snapshot(after_dir)
    assert not _same(before, after)

    outcomes = []
    for kill_at in range(1, events + 1):
        store = Path(shutil.copytree(before_dir, tmp_path / f"kill{kill_at}"))
        if kill_at == events // 2:  # one of them through the CLI in a fresh interpreter
            status = _ingest(*args, "--data", str(store), kill_at=kill_at).returncode
            assert status == -signal.SIGKILL
        else:
            status = _forked_ingest(files, store, kill_at)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, kill_at
        state = _snapshot(store)
        outcome = "before" if _same(state, before) else "after" if _same(state, after) else None
        assert outcome, f"kill at event {kill_at} of {events} left a half-applied store"
        outcomes.append(outcome)
        # The next writer finds the debris (temp files, unreferenced generation files)
        # and removes it; the store then holds only what its pointer names.
        ingest_paths(files, store, timezone="Europe/Berlin")
        assert _same(_snapshot(store), after)
        assert not list(store.glob(".*.tmp"))
        named = set((store / STATE_FILE).read_text().split('"'))
        parquet = {p.name for p in store.glob("*.parquet")}
        assert parquet <= named, parquet - named
    # Every stage was hit: early kills keep the old store, the last (after the pointer
    # swap) the new one.
    assert outcomes[0] == "before" and outcomes[-1] == "after"


def test_a_store_in_the_single_file_layout_keeps_reading_and_moves_on_write(
        tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    data = make_posts(n_creators=2, days=20, seed=8).as_store_data()
    for table in PARQUET_TABLES:
        getattr(data, table).to_parquet(legacy / f"{table}.parquet", index=False)
    assert len(Store(legacy).load().posts) == len(data.posts)
    extra = _export(tmp_path / "more.csv", seed=9, creators=1, days=10)
    assert _ingest(str(tmp_path / "more.csv"), "--data", str(legacy)).returncode == 0
    keys = _keys(legacy)
    assert extra <= keys and len(keys) == len(data.posts) + len(extra)
    assert (legacy / STATE_FILE).exists()


@pytest.mark.parametrize("bad", ["../posts.parquet", "/etc/passwd"])
def test_a_pointer_naming_files_outside_the_store_is_refused(tmp_path: Path, bad: str) -> None:
    from recommender.errors import StoreError

    (tmp_path / STATE_FILE).write_text(json.dumps(
        {"format": "tiktok-recommender-store", "generation": 1, "tables": {"posts": bad}}))
    with pytest.raises(StoreError, match="names a file outside the store"):
        Store(tmp_path).load()
