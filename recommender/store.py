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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from recommender import locking, schema
from recommender.errors import StoreError

PARQUET_TABLES = ("posts", "trends", "follower_activity", "creators", "account_daily")
REJECTED_FILE = "rejected.csv"
STATE_FILE = "store.json"
STORE_FORMAT = "tiktok-recommender-store"
_GENERATION_FILE = re.compile(
    r"^(?:(?:" + "|".join(PARQUET_TABLES) + r")\.\d{6,}\.parquet|rejected\.\d{6,}\.csv)$")
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
        self.root = Path(root)
        self._staged: dict[str, pd.DataFrame] | None = None  # a transaction's new tables
        self._staged_rejected: pd.DataFrame | None = None

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
            if name is not None and (not isinstance(name, str) or Path(name).name != name):
                raise StoreError(f"{file}: names a file outside the store ({name!r}); "
                                 "re-run `recommender ingest` into a fresh --data directory")
        return state

    def _file(self, table: str, state: dict[str, Any] | None) -> Path:
        if state is None:
            return self.root / f"{table}.parquet"
        name = state["tables"].get(table)
        return self.root / (name or f"{table}.parquet.absent")

    def path(self, table: str) -> Path:
        """The file holding ``table`` now (it may not exist: an empty table)."""
        return self._file(table, self._state())

    def quarantine_path(self) -> Path | None:
        """The quarantine file (rejected rows and their reasons), if there is one."""
        state = self._state()
        name = REJECTED_FILE if state is None else state.get("rejected")
        path = self.root / name if name else None
        return path if path is not None and path.exists() else None

    def exists(self) -> bool:
        if self._staged is not None and "posts" in self._staged:
            return True
        return self.path("posts").exists()

    def _check_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: is a file, not a store directory; pass --data a "
                             "folder (it is created if missing)")

    # -- reading -----------------------------------------------------------------------
    def read(self, table: str) -> pd.DataFrame:
        if self._staged is not None and table in self._staged:
            return self._staged[table]
        return self._with_retries(lambda state: self._read_file(table, state))

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
        path = self._file(table, state)
        if (state is None or state["tables"].get(table) is None) and not path.exists():
            return schema.empty(table)
        try:
            frame = pd.read_parquet(path)
        except FileNotFoundError:
            raise
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise StoreError(
                f"{path}: cannot read this store table ({type(exc).__name__}); "
                "re-run `recommender ingest` into a fresh --data directory"
            ) from exc
        missing = set(schema.TABLES[table]) - set(frame.columns)
        if missing:
            raise StoreError(
                f"{path}: not a recommender store table (missing columns {sorted(missing)}); "
                "point --data at a directory written by `recommender ingest`"
            )
        return schema.conform(frame, table)

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
        self._check_root()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot create the store directory "
                             f"({exc.strerror or exc}); choose a writable --data") from exc
        with locking.exclusive(self.root, "store"):
            self._remove_unreferenced(self._state(), include_temp=True)
            self._staged, self._staged_rejected = {}, None
            try:
                yield self
                self._commit()
            finally:
                self._staged, self._staged_rejected = None, None

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
        if not staged and rejected is None:
            return
        old = self._state()
        tables = dict(old["tables"]) if old else {
            t: f"{t}.parquet" for t in PARQUET_TABLES if (self.root / f"{t}.parquet").exists()}
        previous_rejected = old.get("rejected") if old else (
            REJECTED_FILE if (self.root / REJECTED_FILE).exists() else None)
        generation = int(old["generation"]) + 1 if old else 1
        previous = {*tables.values(), *([previous_rejected] if previous_rejected else [])}
        for table, frame in staged.items():
            name = f"{table}.{generation:06d}.parquet"
            self._atomic_write(name, lambda h, f=frame: f.to_parquet(h, index=False), True)
            tables[table] = name
        new_rejected = previous_rejected
        if rejected is not None:
            new_rejected = f"rejected.{generation:06d}.csv"
            self._atomic_write(new_rejected, lambda h: rejected.to_csv(h, index=False), False)
        # The previous generation's files stay one more generation: a reader that read the
        # old pointer a moment ago can still open them.
        keep = sorted(previous | set(tables.values()))
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
            *state["tables"].values(), state.get("rejected"), *state.get("keep", [])}
        for entry in self.root.iterdir():
            name = entry.name
            stale_temp = include_temp and name.startswith(".") and name.endswith(".tmp")
            orphan = name not in wanted and (_GENERATION_FILE.match(name) or (
                state is not None and name in _LEGACY_FILES))
            if (stale_temp or orphan) and entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()

    def _atomic_write(self, name: str, write, binary: bool) -> None:  # type: ignore[no-untyped-def]
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "wb" if binary else "w", newline="" if not binary else None) as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.root / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(self.root)


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
