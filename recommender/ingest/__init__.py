"""Ingest: exports in, canonical tables out, into the local store.

``ingest_paths`` is the job behind ``recommender ingest``. It expands folders and ZIP
archives into sources, recognises each source's format (or uses the one forced with
``--format``), reads it with that format's adapter and upserts the result into the store.
Every file is recognised before anything is written, so an unrecognised file fails the
whole call with nothing half-done. Rejected records go to the store's quarantine file.
"""

from __future__ import annotations

import contextlib
import importlib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from recommender.errors import InputError, RecommenderError, StoreError, UsageError
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Source
from recommender.store import Store

# Most specific first: the generic CSV reader accepts almost any table, so it goes last.
ADAPTER_MODULES = ("creators", "personal", "studio", "api", "scrapers", "trends", "generic")
_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def adapters() -> list[Adapter]:
    found: list[Adapter] = []
    for module in ADAPTER_MODULES:
        found.extend(importlib.import_module(f"recommender.ingest.{module}").ADAPTERS)
    return found


def format_names() -> list[str]:
    return [adapter.name for adapter in adapters()]


@dataclass
class FileReport:
    file: str
    format: str
    read: int
    stored: int
    rejected: int
    skipped: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # rows added+updated per table
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    data_dir: str
    files: list[FileReport]
    quarantine: str | None
    creators: list[str]
    ignored: list[str] = field(default_factory=list)  # unrecognised files found inside folders

    @property
    def totals(self) -> dict[str, int]:
        keys = ("read", "stored", "added", "updated", "unchanged", "rejected", "skipped")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    def to_dict(self) -> dict[str, object]:
        return {
            "data_dir": self.data_dir,
            "files": [asdict(f) for f in self.files],
            "totals": self.totals,
            "creators": self.creators,
            "quarantine": self.quarantine,
            "ignored": self.ignored,
        }


def ingest_paths(
    paths: Iterable[str | Path],
    data_dir: str | Path,
    fmt: str = "auto",
    creator: str | None = None,
    timezone: str | None = None,
    collected_at: datetime | None = None,
    column_map: dict[str, str] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> IngestReport:
    """Read every export under ``paths`` into the store at ``data_dir``."""
    _check_timezone(timezone)
    available = adapters()
    by_name = {a.name: a for a in available}
    if fmt != "auto" and fmt not in by_name:
        raise UsageError(f"unknown --format {fmt!r}; choose one of: auto, {', '.join(by_name)}")
    explicit, nested = _expand(paths)
    plan, ignored = _recognise(explicit, nested, available, by_name.get(fmt))
    if not plan:
        raise InputError(
            f"{', '.join(ignored) or 'no files'}: nothing recognisable to ingest "
            f"(formats tried: {', '.join(by_name)})"
        )
    siblings = tuple(source for source, _ in plan)
    store = Store(data_dir)
    reports: list[FileReport] = []
    creators: set[str] = set()
    # One call, one commit (under the store's lock): a failure or a kill anywhere leaves the
    # store exactly as it was, and the message says so.
    with _nothing_stored_on_failure(), store.transaction():
        for index, (source, adapter) in enumerate(plan):
            if progress:
                progress(source.name, index / len(plan))
            ctx = IngestContext(creator, timezone, collected_at, siblings, dict(column_map or {}))
            result = adapter.read(source, ctx)
            reports.append(_store_result(store, result, timezone))
            creators.update(_creators_in(result))
        if timezone:
            for name in sorted(creators):
                store.set_timezone(name, timezone)
    if progress:
        progress("done", 1.0)
    quarantine = store.quarantine_path()
    return IngestReport(
        data_dir=str(store.root),
        files=reports,
        quarantine=str(quarantine) if quarantine else None,
        creators=sorted(creators),
        ignored=ignored,
    )


@contextlib.contextmanager
def _nothing_stored_on_failure() -> Iterator[None]:
    try:
        yield
    except StoreError:
        raise
    except RecommenderError as error:
        raise type(error)(f"{error}; nothing from this ingest was stored") from error


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"--timezone {timezone!r} is not an IANA time zone; use a name like Europe/Berlin"
        ) from exc


def _expand(paths: Iterable[str | Path]) -> tuple[list[Source], list[Source]]:
    """Explicit files (must be recognised) and files found inside folders or ZIPs."""
    explicit: list[Source] = []
    nested: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder; check the path")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not _hidden(child.relative_to(path)):
                    nested.extend(_sources_of(child))
        elif path.suffix.lower() == ".zip":
            nested.extend(_zip_members(path))
        else:
            explicit.append(Source(name=str(path), path=path))
    return explicit, nested


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or (
        relative.name.lower() in _IGNORED_NAMES
    )


def _sources_of(path: Path) -> list[Source]:
    if path.suffix.lower() == ".zip":
        return _zip_members(path)
    return [Source(name=str(path), path=path)]


def _zip_members(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i.filename for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable ZIP archive ({exc}); re-download it") from exc
    return [
        Source(name=f"{path}:{member}", zip_path=path, member=member)
        for member in members
        if not _hidden(Path(member)) and "__MACOSX" not in member
    ]


def _recognise(
    explicit: list[Source],
    nested: list[Source],
    available: list[Adapter],
    forced: Adapter | None,
) -> tuple[list[tuple[Source, Adapter]], list[str]]:
    plan: list[tuple[Source, Adapter]] = []
    ignored: list[str] = []
    tried = ", ".join(a.name for a in available)
    for source in explicit + nested:
        adapter = forced or _sniff(source, available)
        if adapter is not None:
            plan.append((source, adapter))
        elif source in explicit:
            raise InputError(
                f"{source.name}: unrecognised file format (formats tried: {tried}); "
                "pass --format to force one"
            )
        else:
            ignored.append(source.name)
    return plan, ignored


def _sniff(source: Source, available: list[Adapter]) -> Adapter | None:
    try:
        head = source.head()
    except OSError as exc:
        raise InputError(f"{source.name}: cannot read the file ({exc.strerror or exc})") from exc
    for adapter in available:
        if adapter.sniff(source, head):
            return adapter
    return None


def _store_result(store: Store, result: AdapterResult, timezone: str | None) -> FileReport:
    report = FileReport(
        file=result.source.name,
        format=result.adapter,
        read=result.records_read,
        stored=result.records_stored,
        rejected=len(result.rejected),
        skipped=result.skipped,
        notes=list(result.notes),
    )
    for table, frame in result.tables().items():
        if table == "creators" and result.adapter != "creators":
            frame = _new_creators_only(store, frame, timezone)
        counts = store.upsert(table, frame)
        if counts.added or counts.updated:
            report.tables[table] = counts.added + counts.updated
        counts_toward_file = table == "posts" or (result.posts.empty and _main(result, table))
        if counts_toward_file:
            report.added += counts.added
            report.updated += counts.updated
            report.unchanged += counts.unchanged
    store.append_rejected(result.rejected)
    return report


def _main(result: AdapterResult, table: str) -> bool:
    """The table a post-less file mainly feeds (trends, activity or account rows)."""
    sizes = {t: len(f) for t, f in result.tables().items() if t != "posts"}
    return bool(sizes) and max(sizes, key=lambda t: sizes[t]) == table and sizes[table] > 0


def _new_creators_only(store: Store, frame: pd.DataFrame, timezone: str | None) -> pd.DataFrame:
    """Export adapters default the zone to UTC; never let that overwrite a zone set earlier
    (by --timezone or a creators CSV, which is authoritative and bypasses this)."""
    if frame.empty or timezone:
        return frame
    known = set(store.read("creators")["creator"].astype(str))
    return frame[~frame["creator"].astype(str).isin(known)]


def _creators_in(result: AdapterResult) -> set[str]:
    names: set[str] = set()
    for table in ("posts", "creators", "follower_activity", "account_daily"):
        frame = getattr(result, table)
        if not frame.empty:
            names.update(frame["creator"].dropna().astype(str))
    return names
