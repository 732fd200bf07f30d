"""The contract every ingest adapter follows.

An adapter turns one source file (on disk or inside a ZIP) into canonical tables plus a
list of rejected records. Invariant checked by the property tests: for every adapter,
``result.records_read == result.records_stored + len(result.rejected) + result.skipped``:
stored records are the records it turned into canonical rows, rejected ones are in the
quarantine frame with a reason, skipped ones were deliberately not kept (a section the model
does not use, a partial day TikTok marks "undefined") and are explained in ``notes``.
Nothing is silently lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import pandas as pd

from recommender import schema
from recommender.ingest import archives
from recommender.parsing import clip


@dataclass(frozen=True)
class Source:
    """One input file: a path on disk or a member of a ZIP archive.

    ``name`` is what users see in messages ("export.zip:user_data_tiktok.json").
    """

    name: str
    path: Path | None = None
    zip_path: Path | None = None
    member: str | None = None

    @property
    def filename(self) -> str:
        """The bare file name (no directories), e.g. ``Content.csv``."""
        return Path(self.member or (self.path.name if self.path else self.name)).name

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix.lower()

    def open(self) -> IO[bytes]:
        if self.zip_path is not None and self.member is not None:
            return archives.open_member(self.zip_path, self.member)
        assert self.path is not None
        return open(self.path, "rb")

    def read_bytes(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def head(self, size: int = 65536) -> bytes:
        if self.zip_path is not None and self.member is not None:
            return archives.head_of(self.zip_path, self.member, size)
        with self.open() as handle:
            return handle.read(size)

    def modified_at(self) -> datetime:
        """Best guess of when the file was produced (ZIP entry time or file mtime), UTC."""
        if self.zip_path is not None and self.member is not None:
            return archives.member_time(self.zip_path, self.member)
        assert self.path is not None
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=timezone.utc)


@dataclass
class IngestContext:
    """Options from the command line that adapters honour."""

    creator: str | None = None  # --creator: overrides/fills the creator handle
    timezone: str | None = None  # --timezone: the creator's IANA zone, kept for local features
    collected_at: datetime | None = None  # when counts were read; adapters fall back to file time
    siblings: tuple[Source, ...] = ()  # other files ingested in the same call (Studio sets)
    column_map: dict[str, str] = field(default_factory=dict)  # generic CSV: their col -> ours


class Rejects:
    """Collects one source's quarantine lines: rejected records (one line each) and the
    optional cells nulled in records that were kept (one line per cell, with the raw value)."""

    NULLED = "kept, field nulled: "  # prefix of a nulled cell's reason in the quarantine file

    def __init__(self, source: Source) -> None:
        self.source = source
        self._rows: list[dict[str, object]] = []
        self._seen: set[int] = set()
        self._nulled: dict[tuple[int, str], tuple[str, object]] = {}

    def add(self, row: int, field: str, reason: str, value: object = None) -> None:
        """Reject record ``row`` (1-based) because of ``field``; the first reason wins."""
        if row in self._seen:
            return
        self._seen.add(row)
        shown = None if value is None else clip(value)
        self._rows.append(
            {"file": self.source.name, "row": row, "field": field, "reason": reason, "value": shown}
        )

    def null(self, row: int, field: str, reason: str, value: object = None) -> None:
        """Record that ``field`` of kept record ``row`` was unreadable and stored empty."""
        self._nulled.setdefault((row, field), (reason, value))

    def unnull(self, rows: object, field: str) -> None:
        """The field was recovered after all (an upload time taken from the video id)."""
        for row in rows:  # type: ignore[attr-defined]
            self._nulled.pop((int(row), field), None)

    def null_reason(self, row: int, field: str) -> str | None:
        found = self._nulled.get((row, field))
        return None if found is None else found[0]

    def null_value(self, row: int, field: str) -> object:
        found = self._nulled.get((row, field))
        return None if found is None else found[1]

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        return schema.conform(pd.DataFrame(self._rows), "rejected")

    def nulled(self) -> dict[str, int]:
        """Cells nulled per field, over the records that were kept."""
        counts: dict[str, int] = {}
        for row, name in self._nulled:
            if row not in self._seen:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    def nulled_frame(self) -> pd.DataFrame:
        lines = [{"file": self.source.name, "row": row, "field": name,
                  "reason": self.NULLED + reason, "value": None if value is None else clip(value)}
                 for (row, name), (reason, value) in self._nulled.items()
                 if row not in self._seen]
        return schema.conform(pd.DataFrame(lines), "rejected")


@dataclass
class AdapterResult:
    """What one adapter produced from one source. Frames are canonical (schema.conform)."""

    source: Source
    adapter: str
    records_read: int
    records_stored: int = 0
    skipped: int = 0
    posts: pd.DataFrame = field(default_factory=lambda: schema.empty("posts"))
    trends: pd.DataFrame = field(default_factory=lambda: schema.empty("trends"))
    follower_activity: pd.DataFrame = field(
        default_factory=lambda: schema.empty("follower_activity")
    )
    creators: pd.DataFrame = field(default_factory=lambda: schema.empty("creators"))
    account_daily: pd.DataFrame = field(default_factory=lambda: schema.empty("account_daily"))
    rejected: pd.DataFrame = field(default_factory=lambda: schema.empty("rejected"))
    # Cells nulled in kept records: quarantine lines (schema "rejected") and counts per field.
    nulled: pd.DataFrame = field(default_factory=lambda: schema.empty("rejected"))
    nulled_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # short, non-personal remarks for the summary

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "posts": self.posts,
            "trends": self.trends,
            "follower_activity": self.follower_activity,
            "creators": self.creators,
            "account_daily": self.account_daily,
        }


@dataclass(frozen=True)
class Adapter:
    """A named reader. ``sniff`` must be cheap (file name + first 64 KiB)."""

    name: str  # value of --format
    description: str  # one line, shown in "formats tried" messages and --help
    sniff: Callable[[Source, bytes], bool]
    read: Callable[[Source, IngestContext], AdapterResult]
