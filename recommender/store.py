"""The local post store: Parquet files for the canonical tables, idempotent upserts.

Layout: ``store.json`` (the generation pointer) names the file that holds each table at the
current generation (``posts.000007.parquet``, ``rejected.000007.csv``...). A write is a
transaction: every changed table goes to a new generation file (temp file, fsync, rename),
then ``store.json`` is swapped in one rename. A crash (kill -9 included) at any point leaves
the store exactly as before or exactly as after: readers follow the pointer, and files no
pointer names are removed by the next writer. Writers hold the store's lock
(``recommender.locking``), so concurrent ingests queue instead of losing each other's rows.

A store written before generations existed (``posts.parquet`` etc., no ``store.json``)
reads as it always did; its first write moves it to the pointer layout.

A new store keeps its posts as a dataset partitioned by creator (``recommender.store_parts``:
``posts/bucket=NNNN/part.GGGGGG.parquet``), so an ingest rewrites only the buckets of the
creators it touches. A store whose posts are one file keeps them so until
``recommender migrate`` (``Store.migrate``) moves them into buckets, in one commit.

Only canonical columns are ever written (see ``schema.py``): nothing personal from an
export reaches the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender import locking, schema, store_parts, store_url
from recommender.errors import StoreError

PARQUET_TABLES = ("posts", "trends", "follower_activity", "creators", "account_daily")
REJECTED_FILE = "rejected.csv"
STATE_FILE = "store.json"
STORE_FORMAT = "tiktok-recommender-store"
_GENERATION_FILE = re.compile(
    r"^(?:(?:" + "|".join(PARQUET_TABLES) + r")\.\d{6,}\.parquet|rejected\.\d{6,}\.csv)$")
_PART_FILE = re.compile(r"^part\.\d{6,}\.parquet$")
_LEGACY_FILES = {f"{t}.parquet" for t in PARQUET_TABLES} | {REJECTED_FILE}
_READ_RETRIES = 3


@dataclass
class StoreData:
    """Every table of a store (or of a synthetic data set) in memory."""

    posts: pd.DataFrame = field(default_factory=lambda: schema.empty("posts"))
    trends: pd.DataFrame = field(default_factory=lambda: schema.empty("trends"))
    follower_activity: pd.DataFrame = field(
        default_factory=lambda: schema.empty("follower_activity")
    )
    creators: pd.DataFrame = field(default_factory=lambda: schema.empty("creators"))
    account_daily: pd.DataFrame = field(default_factory=lambda: schema.empty("account_daily"))

    def timezone_of(self, creator: str) -> str:
        return timezone_lookup(self.creators).get(creator, "UTC")

    def for_creators(self, creators: list[str]) -> StoreData:
        """A copy restricted to some creators (trends are global and kept whole)."""
        wanted = set(creators)

        def keep(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["creator"].isin(wanted)].reset_index(drop=True)

        return StoreData(
            posts=keep(self.posts),
            trends=self.trends,
            follower_activity=keep(self.follower_activity),
            creators=keep(self.creators),
            account_daily=keep(self.account_daily),
        )


@dataclass(frozen=True)
class Upsert:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def timezone_lookup(creators: pd.DataFrame) -> dict[str, str]:
    if creators.empty:
        return {}
    zones = creators.dropna(subset=["timezone"])
    return dict(zip(zones["creator"].astype(str), zones["timezone"].astype(str)))


class Store:
    """A data directory holding the canonical tables."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        # A URL (file://, s3://...): its folder, or a local copy of a remote store.
        self.root, self.url = store_url.local_root(root)
        self._staged: dict[str, pd.DataFrame] | None = None  # a transaction's new tables
        self._staged_rejected: pd.DataFrame | None = None
        # A transaction's new posts buckets (partitioned layout) and the entry they go into.
        self._staged_parts: dict[int, pd.DataFrame] = {}
        self._parts_entry: dict[str, Any] | None = None

    # -- layout ------------------------------------------------------------------------
    def _state(self) -> dict[str, Any] | None:
        file = self.root / STATE_FILE
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{file}: cannot read the store pointer ({exc.strerror or exc}); "
                             "check the --data directory's permissions") from exc
        try:
            state = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"{file}: corrupted store pointer; re-run `recommender ingest` "
                             "into a fresh --data directory") from exc
        if (not isinstance(state, dict) or state.get("format") != STORE_FORMAT
                or not isinstance(state.get("tables"), dict)
                or not isinstance(state.get("generation"), int)):
            raise StoreError(f"{file}: not a recommender store pointer; point --data at a "
                             "directory written by `recommender ingest`")
        for name in [*state["tables"].values(), state.get("rejected")]:
            if store_parts.is_partitioned(name):
                store_parts.check_entry(name, file)
            elif name is not None and (not isinstance(name, str) or Path(name).name != name):
                raise StoreError(f"{file}: names a file outside the store ({name!r}); "
                                 "re-run `recommender ingest` into a fresh --data directory")
        return state

    def _file(self, table: str, state: dict[str, Any] | None) -> Path:
        if state is None:
            return self.root / f"{table}.parquet"
        name = state["tables"].get(table)
        if store_parts.is_partitioned(name):
            return self.root / store_parts.DIRECTORY
        return self.root / (name or f"{table}.parquet.absent")

    def path(self, table: str) -> Path:
        """The file holding ``table`` now (it may not exist: an empty table); for posts
        in buckets, their directory (read them through ``files``)."""
        return self._file(table, self._state())

    def files(self, table: str, state: dict[str, Any] | None = None) -> list[Path]:
        """The files holding ``table`` at the pointer's generation (none: an empty table):
        one file, or one per non-empty bucket in bucket order (what Dask reads)."""
        state = self._state() if state is None else state
        entry = state["tables"].get(table) if state else None
        if store_parts.is_partitioned(entry):
            return [self.root / rel for rel in store_parts.relative_parts(entry)]
        path = self._file(table, state)
        return [path] if path.exists() else []

    def layout(self) -> str:
        """``"partitioned"`` or ``"single-file"``: how the posts table is (or, for a new
        store, will be) kept."""
        state = self._state()
        entry = state["tables"].get("posts") if state else None
        if store_parts.is_partitioned(entry):
            return "partitioned"
        single = entry is not None or (self.root / "posts.parquet").exists()
        return "single-file" if single else "partitioned"

    def quarantine_path(self) -> Path | None:
        """The quarantine file (rejected rows and their reasons), if there is one."""
        state = self._state()
        name = REJECTED_FILE if state is None else state.get("rejected")
        path = self.root / name if name else None
        return path if path is not None and path.exists() else None

    def exists(self) -> bool:
        if self._staged is not None and ("posts" in self._staged or self._staged_parts):
            return True
        return bool(self.files("posts"))

    def _check_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: is a file, not a store directory; pass --data a "
                             "folder (it is created if missing)")

    # -- reading -----------------------------------------------------------------------
    def read(self, table: str) -> pd.DataFrame:
        if self._staged is not None and table in self._staged:
            return self._staged[table]
        return self._with_retries(lambda state: self._read_file(table, state))

    def _read_parts(self, state: dict[str, Any] | None) -> pd.DataFrame:
        """Every bucket (staged ones instead of their files), in the store's post order."""
        entry = state["tables"]["posts"] if state else store_parts.new_entry(1)
        frames = [f for _, f in sorted(self._staged_parts.items())]
        paths = [self.root / store_parts.bucket_dir(int(b)) / name
                 for b, name in entry["parts"].items() if int(b) not in self._staged_parts]
        if paths:
            frames.append(self._read_paths(paths, "posts"))
        if not frames:
            return schema.empty("posts")
        if len(frames) == 1 and not self._staged_parts:
            return frames[0]  # sorted as it was read
        # Each frame is canonical already: conforming again would rebuild every hashtag list.
        return store_parts.sort_posts(pd.concat(frames, ignore_index=True))

    def _read_paths(self, paths: list[Path], table: str) -> pd.DataFrame:
        return _conformed(lambda: store_parts.read_files(paths), paths[0].parent, table)

    def _with_retries(self, read):  # type: ignore[no-untyped-def]
        """Run ``read(state)``; a file the pointer named may be gone because a writer
        committed and cleaned up meanwhile: then read the new pointer again."""
        for attempt in range(_READ_RETRIES):
            state = self._state()
            try:
                return read(state)
            except FileNotFoundError as exc:
                if attempt == _READ_RETRIES - 1:
                    raise StoreError(f"{exc.filename}: named by {self.root / STATE_FILE} but "
                                     "missing; re-run `recommender ingest` into a fresh --data "
                                     "directory") from exc
        raise AssertionError("unreachable")

    def _read_file(self, table: str, state: dict[str, Any] | None) -> pd.DataFrame:
        if table == "posts" and (self._staged_parts or (state is not None and (
                store_parts.is_partitioned(state["tables"].get("posts"))))):
            return self._read_parts(state)
        path = self._file(table, state)
        if (state is None or state["tables"].get(table) is None) and not path.exists():
            return schema.empty(table)
        return _conformed(lambda: pd.read_parquet(path), path, table)

    def load(self, require_posts: bool = True) -> StoreData:
        self._check_root()
        if require_posts and not self.exists():
            raise StoreError(
                f"{self.root}: no post store here; run `recommender ingest EXPORT --data "
                f"{self.root}` first (or `recommender demo` for the bundled sample)"
            )

        def read_all(state: dict[str, Any] | None) -> StoreData:
            # One pointer for every table: a consistent generation even while a writer commits.
            staged = self._staged or {}
            return StoreData(**{t: staged[t] if t in staged else self._read_file(t, state)
                                for t in PARQUET_TABLES})

        return self._with_retries(read_all)

    def timezone_of(self, creator: str) -> str:
        return timezone_lookup(self.read("creators")).get(creator, "UTC")

    def rejected(self) -> pd.DataFrame:
        if self._staged_rejected is not None:
            return self._staged_rejected
        path = self.quarantine_path()
        if path is None:
            return schema.empty("rejected")
        return schema.conform(pd.read_csv(path, dtype=str, keep_default_na=False), "rejected")

    def fingerprint(self) -> str:
        """A short content hash of the posts table (ids, times and counts)."""
        posts = self.read("posts")
        return fingerprint_posts(posts)

    # -- writing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the store's lock; every write inside becomes visible at once at the end, or
        not at all if the block raises (or the process dies)."""
        if self._staged is not None:  # nested: part of the enclosing transaction
            yield self
            return
        if self.url is not None:
            raise store_url.read_only(self.url)
        self._check_root()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot create the store directory "
                             f"({exc.strerror or exc}); choose a writable --data") from exc
        with locking.exclusive(self.root, "store"):
            self._remove_unreferenced(self._state(), include_temp=True)
            self._staged, self._staged_rejected = {}, None
            self._staged_parts, self._parts_entry = {}, None
            try:
                yield self
                self._commit()
            finally:
                self._staged, self._staged_rejected = None, None
                self._staged_parts, self._parts_entry = {}, None

    def upsert(self, table: str, incoming: pd.DataFrame) -> Upsert:
        """Merge ``incoming`` into ``table`` on its natural key.

        Posts: the snapshot with the latest ``collected_at`` wins, so re-ingesting an old
        export never overwrites fresher counts. Other tables: the incoming row wins.
        """
        incoming = schema.conform(incoming, table)
        if incoming.empty:
            return Upsert()
        with self.transaction():
            keys = list(schema.KEYS[table])
            incoming = _latest_per_key(incoming, keys, table)
            if table == "posts" and self._partitioned_posts():
                return self._upsert_parts(incoming, keys)
            current = self.read(table)
            merged, counts = _merge(current, incoming, keys, table)
            if counts.added or counts.updated:
                if table == "posts":
                    # Kept in time order (ties: creator, post id), the order every reader of
                    # the posts wants: the feature pipeline then has nothing to reorder.
                    merged = merged.sort_values(["posted_at", "creator", "post_id"],
                                                kind="stable", na_position="last",
                                                ignore_index=True)
                assert self._staged is not None
                self._staged[table] = merged
        return counts

    def _partitioned_posts(self) -> bool:
        """Whether this transaction keeps posts in buckets (fixing the entry it writes)."""
        if self._parts_entry is not None:
            return True
        if self._staged is not None and "posts" in self._staged:
            return False
        state = self._state()
        entry = state["tables"].get("posts") if state else None
        if store_parts.is_partitioned(entry):
            self._parts_entry = {**entry, "parts": dict(entry["parts"])}
        elif self.layout() == "partitioned":
            self._parts_entry = store_parts.new_entry(store_parts.DEFAULT_BUCKETS)
        return self._parts_entry is not None

    def _bucket(self, bucket: int) -> pd.DataFrame:
        if bucket in self._staged_parts:
            return self._staged_parts[bucket]
        assert self._parts_entry is not None
        name = self._parts_entry["parts"].get(str(bucket))
        if name is None:
            return schema.empty("posts")
        return self._read_paths([self.root / store_parts.bucket_dir(bucket) / name], "posts")

    def _upsert_parts(self, incoming: pd.DataFrame, keys: list[str]) -> Upsert:
        """The upsert of posts in buckets: only the buckets of the incoming creators are
        read, merged and staged (as the single-file upsert does for the whole table)."""
        assert self._parts_entry is not None
        where = store_parts.buckets_of(incoming["creator"], self._parts_entry["buckets"])
        added = updated = unchanged = 0
        for bucket in np.unique(where).tolist():
            merged, counts = _merge(self._bucket(bucket), incoming[where == bucket], keys,
                                    "posts")
            if counts.added or counts.updated:
                self._staged_parts[bucket] = store_parts.sort_posts(merged)
            added, updated = added + counts.added, updated + counts.updated
            unchanged += counts.unchanged
        return Upsert(added=added, updated=updated, unchanged=unchanged)

    def migrate(self, buckets: int = store_parts.DEFAULT_BUCKETS) -> tuple[str, int, int]:
        """Move a single-file posts table into buckets, in one commit (the old file stays one
        more generation for readers). Returns (layout before, posts moved, buckets written)."""
        if not 1 <= buckets <= store_parts.MAX_BUCKETS:
            raise StoreError(f"--buckets {buckets}: choose 1 to {store_parts.MAX_BUCKETS}")
        with self.transaction():
            before = self.layout()
            if before == "partitioned":
                return before, 0, 0
            posts = self.read("posts")
            self._parts_entry = store_parts.new_entry(buckets)
            self._staged.pop("posts", None)  # type: ignore[union-attr]
            where = store_parts.buckets_of(posts["creator"], buckets)
            for bucket in np.unique(where).tolist():
                self._staged_parts[bucket] = posts[where == bucket].reset_index(drop=True)
            if posts.empty:
                self._staged_parts[0] = posts  # an empty bucket: the layout is still recorded
            return before, len(posts), len(self._staged_parts)

    def upsert_all(self, data: StoreData) -> dict[str, Upsert]:
        with self.transaction():
            return {table: self.upsert(table, getattr(data, table)) for table in PARQUET_TABLES}

    def append_rejected(self, rejected: pd.DataFrame) -> None:
        """Add quarantine lines; a line already there (same file/row/field/reason) is kept once."""
        if rejected.empty:
            return
        with self.transaction():
            combined = pd.concat([self.rejected(), schema.conform(rejected, "rejected")])
            self._staged_rejected = combined.astype("string").drop_duplicates(
                subset=["file", "row", "field", "reason"], keep="last"
            )

    def set_timezone(self, creator: str, tz: str, source: str = "cli") -> None:
        row = pd.DataFrame(
            {"creator": [creator], "timezone": [tz], "updated_at": [pd.Timestamp.now(tz="UTC")],
             "source": [source]}
        )
        self.upsert("creators", row)

    def _commit(self) -> None:
        staged, rejected = self._staged or {}, self._staged_rejected
        if not staged and rejected is None and not self._staged_parts:
            return
        old = self._state()
        tables = dict(old["tables"]) if old else {
            t: f"{t}.parquet" for t in PARQUET_TABLES if (self.root / f"{t}.parquet").exists()}
        previous_rejected = old.get("rejected") if old else (
            REJECTED_FILE if (self.root / REJECTED_FILE).exists() else None)
        generation = int(old["generation"]) + 1 if old else 1
        previous = {*_named(tables), *([previous_rejected] if previous_rejected else [])}
        for table, frame in staged.items():
            name = f"{table}.{generation:06d}.parquet"
            self._atomic_write(name, lambda h, f=frame: f.to_parquet(h, index=False), True)
            tables[table] = name
        if self._staged_parts:
            assert self._parts_entry is not None
            entry = {**self._parts_entry, "parts": dict(self._parts_entry["parts"])}
            name = f"part.{generation:06d}.parquet"
            for bucket, frame in sorted(self._staged_parts.items()):
                self._atomic_write(f"{store_parts.bucket_dir(bucket)}/{name}",
                                   lambda h, f=frame: f.to_parquet(h, index=False), True)
                entry["parts"][str(bucket)] = name
            tables["posts"] = entry
        new_rejected = previous_rejected
        if rejected is not None:
            new_rejected = f"rejected.{generation:06d}.csv"
            self._atomic_write(new_rejected, lambda h: rejected.to_csv(h, index=False), False)
        # The previous generation's files stay one more generation: a reader that read the
        # old pointer a moment ago can still open them.
        keep = sorted(previous | _named(tables))
        state = {"format": STORE_FORMAT, "generation": generation, "tables": tables,
                 "rejected": new_rejected, "keep": keep}
        self._atomic_write(STATE_FILE, lambda h: h.write(json.dumps(state, indent=2)), False)
        self._remove_unreferenced(state, include_temp=False)

    def _remove_unreferenced(self, state: dict[str, Any] | None, include_temp: bool) -> None:
        """Delete generation files no pointer names (left by a crashed commit or superseded)
        and, under the lock, temporary files a killed writer left behind."""
        if not self.root.is_dir():
            return
        wanted = set() if state is None else {
            *_named(state["tables"]), state.get("rejected"), *state.get("keep", [])}
        buckets = self.root / store_parts.DIRECTORY
        parts = [e for d in buckets.glob("bucket=*") if d.is_dir() for e in d.iterdir()] if (
            buckets.is_dir()) else []
        for entry in [*self.root.iterdir(), *parts]:
            name = entry.relative_to(self.root).as_posix()
            stale_temp = include_temp and entry.name.startswith(".") and name.endswith(".tmp")
            pattern = _PART_FILE if entry.parent != self.root else _GENERATION_FILE
            orphan = name not in wanted and (pattern.match(entry.name) or (
                state is not None and name in _LEGACY_FILES))
            if (stale_temp or orphan) and entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()

    def _atomic_write(self, name: str, write, binary: bool) -> None:  # type: ignore[no-untyped-def]
        """Write ``name`` (relative to the root, posix) through a temp file beside it."""
        target = self.root / name
        directory = target.parent
        if not directory.is_dir():  # a new bucket: its directories made durable too
            directory.mkdir(parents=True, exist_ok=True)
            for parent in [directory.parent, *([self.root] if directory.parent != self.root
                                               else [])]:
                _fsync_directory(parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb" if binary else "w", newline="" if not binary else None) as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(directory)


def _named(tables: dict[str, Any]) -> set[str]:
    """Every file a pointer's tables name, relative to the store root."""
    names: set[str] = set()
    for entry in tables.values():
        if store_parts.is_partitioned(entry):
            names.update(store_parts.relative_parts(entry))
        elif entry:
            names.add(entry)
    return names


def _fsync_directory(path: Path) -> None:
    """Make a rename durable (POSIX; Windows has no directory handles to sync)."""
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _latest_per_key(frame: pd.DataFrame, keys: list[str], table: str) -> pd.DataFrame:
    if table == "posts":
        frame = frame.sort_values("collected_at", kind="stable", na_position="first")
    return frame.drop_duplicates(subset=keys, keep="last")


def key_index(frame: pd.DataFrame, keys: list[str]) -> pd.MultiIndex:
    """The rows' identities under ``keys`` (as text; a missing part reads "\x00")."""
    parts = [frame[k].astype("string").fillna("\x00") for k in keys]
    return pd.MultiIndex.from_arrays(parts)


def post_keys(posts: pd.DataFrame) -> pd.MultiIndex:
    """Each post's identity in the store: (creator, post_id)."""
    return key_index(posts, list(schema.KEYS["posts"]))


def _merge(
    current: pd.DataFrame, incoming: pd.DataFrame, keys: list[str], table: str
) -> tuple[pd.DataFrame, Upsert]:
    if current.empty:
        return incoming.reset_index(drop=True), Upsert(added=len(incoming))
    cur_idx = key_index(current, keys)
    inc_idx = key_index(incoming, keys)
    is_new = ~inc_idx.isin(cur_idx)
    existing = incoming[~is_new]
    position = cur_idx.get_indexer(inc_idx[~is_new])
    old = current.iloc[position].reset_index(drop=True)
    new = existing.reset_index(drop=True)
    if table == "posts":
        newer = new["collected_at"].fillna(pd.Timestamp.min.tz_localize("UTC")) >= old[
            "collected_at"
        ].fillna(pd.Timestamp.min.tz_localize("UTC"))
    else:
        newer = pd.Series(True, index=new.index)
    changed = newer & ~_rows_equal(old, new)
    replace_positions = position[changed.to_numpy()]
    merged = current.copy()
    if len(replace_positions):
        merged.iloc[replace_positions] = new[changed.to_numpy()].to_numpy()
        merged = schema.conform(merged, table)
    merged = pd.concat([merged, incoming[is_new]], ignore_index=True)
    counts = Upsert(
        added=int(is_new.sum()),
        updated=int(changed.sum()),
        unchanged=int(len(existing) - changed.sum()),
    )
    return schema.conform(merged, table), counts


def _rows_equal(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    equal = pd.Series(True, index=a.index)
    for col in a.columns:
        left, right = a[col], b[col]
        if left.dtype == object:
            same = pd.Series([list(x) == list(y) for x, y in zip(left, right)], index=a.index)
        else:
            same = (left == right).fillna(False) | (left.isna() & right.isna())
        equal &= same.astype(bool)
    return equal


def fingerprint_posts(posts: pd.DataFrame) -> str:
    columns = ["creator", "post_id", "posted_at", "likes", "comments", "shares", "views"]
    ordered = posts.sort_values(["creator", "post_id"])[columns]
    hashed = pd.util.hash_pandas_object(ordered.astype("string"), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:16]


def _conformed(read: Callable[[], pd.DataFrame], where: Path, table: str) -> pd.DataFrame:
    """``read()`` checked (a damaged file or a foreign table is one line naming ``where``)
    and conformed to the store's schema; a missing file is left to the caller's retries."""
    try:
        frame = read()
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise StoreError(
            f"{where}: cannot read this store table ({type(exc).__name__}); "
            "re-run `recommender ingest` into a fresh --data directory"
        ) from exc
    missing = set(schema.TABLES[table]) - set(frame.columns)
    if missing:
        raise StoreError(
            f"{where}: not a recommender store table (missing columns {sorted(missing)}); "
            "point --data at a directory written by `recommender ingest`"
        )
    return schema.conform(frame, table)
