"""Ingest: exports in, canonical tables out, into the local store.

``ingest_paths`` is the job behind ``recommender ingest``. It expands folders and ZIP
archives into sources, recognises each source's format (or uses the one forced with
``--format``), reads it with that format's adapter and upserts the result into the store.
Every file is recognised before anything is written, so an unrecognised file fails the
whole call with nothing half-done. Each file is read whole before any of it is stored; a
file that fails to read stores nothing, the files after it are not read, and the error
names what the earlier files of the call stored. The call is one commit under the store's
lock: a kill anywhere leaves the store as before or as after. Rejected records, and the bad
cells nulled in kept records, go to the store's quarantine file. Per file: ``read ==
stored + rejected + skipped + merged`` (merged: rows repeating an earlier row's key in the
same file, folded into it).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Generator, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from recommender import schema, store_url
from recommender.errors import InputError, RecommenderError, UsageError
from recommender.ingest import archives, checks
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Source
from recommender.ingest.guard import guard
from recommender.store import Store, key_index

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
    merged: int = 0  # rows repeating an earlier row's key in this file (folded into it)
    nulled: dict[str, int] = field(default_factory=dict)  # bad optional cells nulled, per field
    tables: dict[str, int] = field(default_factory=dict)  # rows added+updated per table
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # implausible data, kept as read


@dataclass
class IngestReport:
    data_dir: str
    files: list[FileReport]
    quarantine: str | None
    creators: list[str]
    ignored: list[str] = field(default_factory=list)  # unrecognised files found inside folders
    notes: list[str] = field(default_factory=list)  # about the call (ZIP members dropped...)

    @property
    def totals(self) -> dict[str, int]:
        keys = ("read", "stored", "added", "updated", "unchanged", "rejected", "skipped",
                "merged")
        totals = {k: sum(getattr(f, k) for f in self.files) for k in keys}
        totals["nulled"] = sum(sum(f.nulled.values()) for f in self.files)
        return totals

    def summary(self) -> str:
        """What the call stored, per file, in one line (for a later file's error)."""
        parts = [f"{Path(f.file).name} ({f.stored:,} stored: {f.added:,} added, "
                 f"{f.updated:,} updated)" for f in self.files]
        return "; ".join(parts) or "nothing"

    def to_dict(self) -> dict[str, object]:
        return {
            "data_dir": self.data_dir,
            "files": [asdict(f) for f in self.files],
            "totals": self.totals,
            "creators": self.creators,
            "quarantine": self.quarantine,
            "ignored": self.ignored,
            "notes": self.notes,
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
    zip_limits: archives.ZipLimits | None = None,
    scheduler: str | None = None,
) -> IngestReport:
    """Read every export under ``paths`` into the store at ``data_dir``. ``scheduler``: a
    Dask scheduler address or ``local``: the files are parsed on its workers, the store
    written here in the same order (``recommender.distributed.ingest``)."""
    _check_timezone(timezone)
    store_url.refuse_remote(data_dir)
    available = adapters()
    by_name = {a.name: a for a in available}
    if fmt != "auto" and fmt not in by_name:
        raise UsageError(f"unknown --format {fmt!r}; choose one of: auto, {', '.join(by_name)}")
    options = IngestContext(creator, timezone, collected_at, (), dict(column_map or {}))
    with contextlib.ExitStack() as stack:
        stack.enter_context(archives.opened(zip_limits))
        reader = None
        if scheduler is not None:
            from recommender.distributed.ingest import dask_reader

            reader = stack.enter_context(dask_reader(scheduler, zip_limits))
        return _ingest(paths, Store(data_dir), available, by_name.get(fmt), options,
                       progress, reader)


def _ingest(paths: Iterable[str | Path], store: Store, available: list[Adapter],
            forced: Adapter | None, options: IngestContext,
            progress: Callable[[str, float], None] | None,
            reader: Reader | None = None) -> IngestReport:
    explicit, nested, call_notes = _expand(paths)
    plan, ignored = _recognise(explicit, nested, available, forced)
    if not plan:
        raise InputError(
            f"{', '.join(ignored) or 'no files'}: nothing recognisable to ingest "
            f"(formats tried: {', '.join(a.name for a in available)})"
        )
    siblings = tuple(source for source, _ in plan)
    report = IngestReport(data_dir=str(store.root), files=[], quarantine=None, creators=[],
                          ignored=ignored, notes=call_notes)
    creators: set[str] = set()
    # One call, one commit (under the store's lock): a kill anywhere leaves the store exactly
    # as it was or exactly as after. A file that fails to read stages nothing; the files
    # before it are still committed and the error says what they stored.
    failure: RecommenderError | None = None
    jobs = [(source, adapter, IngestContext(options.creator, options.timezone,
                                            options.collected_at, siblings,
                                            dict(options.column_map)))
            for source, adapter in plan]
    with store.transaction():
        outcomes = (reader or read_files)(jobs, progress)
        try:
            for (source, _, _), outcome in zip(jobs, outcomes):
                if isinstance(outcome, RecommenderError):
                    failure = _failed(outcome, source, report)
                    break
                report.files.append(_store_result(store, outcome, options.timezone))
                creators.update(_creators_in(outcome))
        finally:
            outcomes.close()  # a reader still running files after a failure stops
        if options.timezone:
            for name in sorted(creators):
                store.set_timezone(name, options.timezone)
    if progress:
        progress("done", 1.0)
    quarantine = store.quarantine_path()
    report.quarantine = str(quarantine) if quarantine else None
    report.creators = sorted(creators)
    if failure is not None:
        raise failure
    return report


Job = tuple[Source, Adapter, IngestContext]
# Reads the files of a call: yields each job's result (or its error) in job order, calling
# ``progress(name, fraction)`` as it gets to each. One machine: ``read_files``; Dask:
# ``distributed.ingest.dask_reader`` (the files parsed on the workers).
Reader = Callable[[list[Job], Callable[[str, float], None] | None],
                  Generator[AdapterResult | RecommenderError, None, None]]


def read_file(source: Source, adapter: Adapter, ctx: IngestContext
              ) -> AdapterResult | RecommenderError:
    """One file through its adapter and the guard; a user error is returned, not raised."""
    try:
        return guard(adapter.read(source, ctx))
    except RecommenderError as exc:
        return exc


def read_files(jobs: list[Job], progress: Callable[[str, float], None] | None
               ) -> Generator[AdapterResult | RecommenderError, None, None]:
    """The files one after another, each read when its turn comes."""
    for index, (source, adapter, ctx) in enumerate(jobs):
        if progress:
            progress(source.name, index / len(jobs))
        yield read_file(source, adapter, ctx)


def _failed(exc: RecommenderError, source: Source, report: IngestReport) -> RecommenderError:
    """The file's error, saying nothing of it was stored and what earlier files stored."""
    message = str(exc).rstrip(".")
    if not message.startswith(source.name):
        message = f"{source.name}: {message}"
    if report.files:
        message += (f"; nothing from this file was stored, but earlier files of this call "
                    f"were: {report.summary()}")
    else:
        message += "; nothing was stored"
    error = type(exc)(message)
    error.partial = report  # type: ignore[attr-defined]  # the JSON view of what was stored
    return error


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"--timezone {timezone!r} is not an IANA time zone; use a name like Europe/Berlin"
        ) from exc


def _expand(paths: Iterable[str | Path]) -> tuple[list[Source], list[Source], list[str]]:
    """Explicit files (must be recognised), files found inside folders or ZIPs, notes."""
    explicit: list[Source] = []
    nested: list[Source] = []
    notes: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder; check the path")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if not _hidden(child.relative_to(path)):
                    nested.extend(_sources_of(child, notes))
        elif path.suffix.lower() == ".zip":
            nested.extend(_zip_members(path, notes))
        else:
            explicit.append(Source(name=str(path), path=path))
    return explicit, nested, notes


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts) or (
        relative.name.lower() in _IGNORED_NAMES
    )


def _sources_of(path: Path, notes: list[str]) -> list[Source]:
    if path.suffix.lower() == ".zip":
        return _zip_members(path, notes)
    return [Source(name=str(path), path=path)]


def _zip_members(path: Path, notes: list[str]) -> list[Source]:
    found = archives.archive(path)
    if found.unsafe:
        notes.append(f"{path}: {len(found.unsafe)} member(s) with a path leaving the archive "
                     f"dropped (e.g. {found.unsafe[0][:80]!r})")
    return [
        Source(name=f"{path}:{member}", zip_path=path, member=member)
        for member in found.members()
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
    merged, note = _merged(result)
    report = FileReport(
        file=result.source.name,
        format=result.adapter,
        read=result.records_read,
        stored=result.records_stored - merged,
        rejected=len(result.rejected),
        skipped=result.skipped,
        merged=merged,
        nulled=dict(result.nulled_counts),
        notes=list(result.notes) + ([note] if note else []) + _nulled_notes(result),
        warnings=checks.warnings_for(result.posts),
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
    quarantine = [f for f in (result.rejected, result.nulled) if not f.empty]
    if quarantine:
        store.append_rejected(pd.concat(quarantine, ignore_index=True))
    return report


def _merged(result: AdapterResult) -> tuple[int, str | None]:
    """Rows of the file's main table that repeat an earlier row's key (the store keeps one)."""
    tables = result.tables()
    main = "posts" if not result.posts.empty else next(
        (t for t in tables if t != "posts" and _main(result, t)), None)
    if main is None or len(tables[main]) != result.records_stored:
        return 0, None  # the file's records are not rows of one table: nothing to fold
    keys = list(schema.KEYS[main])
    repeats = len(tables[main]) - len(key_index(tables[main], keys).unique())
    if not repeats:
        return 0, None
    rule = "the latest collected_at wins" if main == "posts" else "the last one wins"
    return repeats, (f"{repeats} rows repeat an earlier row's ({', '.join(keys)}): merged "
                     f"into it, {rule}")


def _nulled_notes(result: AdapterResult) -> list[str]:
    if not result.nulled_counts:
        return []
    parts = ", ".join(f"{name} {count}" for name, count in result.nulled_counts.items())
    return [f"unreadable cells left empty, the posts kept (per field: {parts}); "
            "the raw values are in the quarantine file"]


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
