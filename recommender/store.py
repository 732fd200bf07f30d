"""The local post store: one Parquet file per canonical table, idempotent upserts.

Writes are atomic: the new table goes to a temporary file in the same directory, is fsynced
and then renamed over the old one, so a crash mid-write leaves the previous store intact.
Only canonical columns are ever written (see ``schema.py``): nothing personal from an
export reaches the store.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from recommender import schema
from recommender.errors import StoreError

PARQUET_TABLES = ("posts", "trends", "follower_activity", "creators", "account_daily")
REJECTED_FILE = "rejected.csv"


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

    def path(self, table: str) -> Path:
        return self.root / f"{table}.parquet"

    def exists(self) -> bool:
        return self.path("posts").exists()

    # -- reading -----------------------------------------------------------------------
    def read(self, table: str) -> pd.DataFrame:
        path = self.path(table)
        if not path.exists():
            return schema.empty(table)
        try:
            frame = pd.read_parquet(path)
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
        if require_posts and not self.exists():
            raise StoreError(
                f"{self.root}: no post store here; run `recommender ingest EXPORT --data "
                f"{self.root}` first (or `recommender demo` for the bundled sample)"
            )
        return StoreData(**{table: self.read(table) for table in PARQUET_TABLES})

    def timezone_of(self, creator: str) -> str:
        return timezone_lookup(self.read("creators")).get(creator, "UTC")

    def rejected(self) -> pd.DataFrame:
        path = self.root / REJECTED_FILE
        if not path.exists():
            return schema.empty("rejected")
        return schema.conform(pd.read_csv(path, dtype=str, keep_default_na=False), "rejected")

    def fingerprint(self) -> str:
        """A short content hash of the posts table (ids, times and counts)."""
        posts = self.read("posts")
        return fingerprint_posts(posts)

    # -- writing -----------------------------------------------------------------------
    def upsert(self, table: str, incoming: pd.DataFrame) -> Upsert:
        """Merge ``incoming`` into ``table`` on its natural key.

        Posts: the snapshot with the latest ``collected_at`` wins, so re-ingesting an old
        export never overwrites fresher counts. Other tables: the incoming row wins.
        """
        incoming = schema.conform(incoming, table)
        if incoming.empty:
            return Upsert()
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
            self._write_parquet(table, merged)
        return counts

    def upsert_all(self, data: StoreData) -> dict[str, Upsert]:
        return {table: self.upsert(table, getattr(data, table)) for table in PARQUET_TABLES}

    def append_rejected(self, rejected: pd.DataFrame) -> None:
        """Add quarantine lines; a line already there (same file/row/field/reason) is kept once."""
        if rejected.empty:
            return
        combined = pd.concat([self.rejected(), schema.conform(rejected, "rejected")])
        combined = combined.astype("string").drop_duplicates(
            subset=["file", "row", "field", "reason"], keep="last"
        )
        self._atomic_write(
            REJECTED_FILE, lambda handle: combined.to_csv(handle, index=False), binary=False
        )

    def set_timezone(self, creator: str, tz: str, source: str = "cli") -> None:
        row = pd.DataFrame(
            {"creator": [creator], "timezone": [tz], "updated_at": [pd.Timestamp.now(tz="UTC")],
             "source": [source]}
        )
        self.upsert("creators", row)

    def _write_parquet(self, table: str, frame: pd.DataFrame) -> None:
        self._atomic_write(
            f"{table}.parquet", lambda handle: frame.to_parquet(handle, index=False), binary=True
        )

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
