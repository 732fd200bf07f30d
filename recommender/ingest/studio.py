"""TikTok Studio analytics downloads (formats.md §2): CSV (UTF-8 BOM, quoted) or XLSX.

Files are recognised by their header row. Content -> posts; Overview, Viewers and
FollowerHistory -> ``account_daily``; FollowerActivity -> ``follower_activity``; Gender,
Territories and LIVE files are read and counted as skipped (the model does not use them).

Choices worth knowing (documented in the notes of each result):
- Dates without a year get them from ``assign_years``, anchored on ``reference_date``:
  --collected-at, else the snapshot day of a sibling Content file, else the file's own time.
- Studio figures lag about 2 days: a day within 2 days of the reference whose values are all
  zero or undefined is skipped, never stored as zeros over better data.
- The 2022 "Follower activity.csv" numbers hours 1..24: hour 24 is stored as hour 0 of the
  next day; 1..23 are kept as exported.
- Content ``posted_at`` is the upload second in the video id. Scheduled posts show a later
  ``Post time`` day; they keep the id time and are counted in a note.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pandas as pd

from recommender import schema
from recommender.errors import InputError
from recommender.ingest import studio_content as content
from recommender.ingest import tables
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source
from recommender.ingest.studio_dates import DayMonth, assign_years, parse_label
from recommender.parsing import parse_count

NAME = "studio"
LAG_DAYS = 2
HEADERS: dict[tuple[str, ...], str] = {
    content.HEADER: "content",
    ("date", "video views", "profile views", "likes", "comments", "shares"): "overview",
    ("date", "total viewers", "new viewers", "returning viewers"): "viewers",
    ("date", "followers", "difference in followers from previous day"): "history",
    ("date", "hour", "active followers"): "activity",
    ("gender", "distribution"): "gender",
    ("top territories", "distribution"): "territories",
    ("date", "new followers", "viewers who commented", "likes", "shares"): "live",
}
METRICS = {
    "overview": ("video_views", "profile_views", "likes", "comments", "shares"),
    "viewers": ("viewers_total", "viewers_new", "viewers_returning"),
    "history": ("followers",),
}
UNUSED = {"gender": "follower gender", "territories": "follower territories",
          "live": "LIVE statistics"}
_XLSX_NAMES = re.compile(r"(content|overview|viewers|follower\w*)( ?\(?\d+\)?)?\.xlsx", re.I)
_ZIP_HANDLE = re.compile(
    r"(?:content|overview|viewers|followers)_(?:\d{4}-\d{2}-\d{2}_\d+_)?(.+)\.zip", re.I)


def normalise_header(cells: list[str]) -> tuple[str, ...]:
    return tuple(" ".join(str(c).split()).lower() for c in cells)


def _sniff(source: Source, head: bytes) -> bool:
    if source.suffix == ".xlsx":
        return head.startswith(b"PK") and bool(_XLSX_NAMES.fullmatch(source.filename))
    if source.suffix != ".csv":
        return False
    return normalise_header(tables.header_cells(head)) in HEADERS


@dataclass
class _Run:
    """Book-keeping for one file: every record ends stored, rejected or skipped."""

    source: Source
    rejects: Rejects
    read: int = 0
    stored: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


def load_rows(source: Source) -> tuple[tuple[str, ...], list[list[str]], str | None]:
    """(normalised header, records, raw text for CSV). Raises InputError when unreadable."""
    if source.suffix == ".xlsx":
        rows = _xlsx_rows(source)
        text = None
    else:
        text = decode_utf8(source)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        first, _, _ = text.partition("\n")
        rows = [next(csv.reader([first]), [])]
    if not rows or normalise_header(rows[0]) not in HEADERS:
        raise InputError(f"{source.name}: not a TikTok Studio file (unknown header); "
                         "pass the Content/Overview/Viewers/Follower* download as exported")
    header = normalise_header(rows[0])
    if text is not None and HEADERS[header] != "content":
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    return header, [list(r) for r in rows[1:]], text


def decode_utf8(source: Source) -> str:
    """The file as text. A download cut short mid-character keeps what came before it."""
    data = source.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        for cut in (1, 2, 3) if exc.reason == "unexpected end of data" else ():
            try:
                return data[:-cut].decode("utf-8-sig")
            except UnicodeDecodeError:
                continue
        raise InputError(f"{source.name}: not UTF-8 text; re-download it from TikTok Studio "
                         "or save it as UTF-8 CSV") from exc


def _xlsx_rows(source: Source) -> list[list[str]]:
    from openpyxl import load_workbook  # heavy; only for the rare XLSX download

    try:
        book = load_workbook(io.BytesIO(source.read_bytes()), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError(f"{source.name}: not a readable XLSX workbook; re-download it") from exc
    return [r for r in rows if any(c.strip() for c in r)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read(source: Source, ctx: IngestContext) -> AdapterResult:
    header, rows, text = load_rows(source)
    kind = HEADERS[header]
    run = _Run(source, Rejects(source))
    tables: dict[str, pd.DataFrame] = {}
    if kind == "content":
        records = content.split_records(text) if text is not None else content.cell_records(rows)
        tables = content.read_posts(records, source, ctx, run)
    elif kind in UNUSED:
        run.read = run.skipped = len(rows)
        run.notes.append(f"{len(rows)} rows of {UNUSED[kind]} skipped: not used by the model")
    else:
        tables = _read_daily(kind, rows, source, ctx, run)
    return AdapterResult(
        source=source, adapter=NAME, records_read=run.read, records_stored=run.stored,
        skipped=run.skipped, rejected=run.rejects.frame(),
        nulled=run.rejects.nulled_frame(), nulled_counts=run.rejects.nulled(),
        notes=run.notes,
        **{name: schema.conform(frame, name) for name, frame in tables.items()},
    )


# --- whose account, and which day is "now" ---------------------------------------------

def _folder(source: Source) -> Path | None:
    place = source.zip_path or source.path
    return place.parent if place is not None else None


def sibling_contents(source: Source, ctx: IngestContext) -> list[Source]:
    """Content*.csv/xlsx ingested together with ``source`` from the same folder or ZIP."""
    folder = _folder(source)
    return [s for s in ctx.siblings if s != source and _folder(s) == folder
            and re.fullmatch(r"content.*\.(csv|xlsx)", s.filename, re.I)]


def resolve_creator(source: Source, ctx: IngestContext) -> str:
    """--creator, else the handle in sibling Content links, else the Studio ZIP's name."""
    if ctx.creator:
        return ctx.creator.strip().lstrip("@")
    handles = {h for s in sibling_contents(source, ctx) for h in content.snapshot(s).handles}
    if len(handles) == 1:
        return handles.pop()
    if source.zip_path is not None:
        match = _ZIP_HANDLE.fullmatch(source.zip_path.name)
        if match:
            return match.group(1).lstrip("@")
    raise InputError(f"{source.name}: cannot tell whose account this is; pass --creator HANDLE")


def reference_date(source: Source, ctx: IngestContext) -> tuple[date, str]:
    """The day a daily file's last row is anchored on, and where it came from."""
    if ctx.collected_at is not None:
        return ctx.collected_at.astimezone(timezone.utc).date(), "--collected-at"
    days = [d for s in sibling_contents(source, ctx) if (d := content.snapshot(s).day)]
    if days:
        return max(days), "the Content file's snapshot day"
    return source.modified_at().date(), "the file's modification time"


# --- daily files ------------------------------------------------------------------------

def _read_daily(kind: str, rows: list[list[str]], source: Source, ctx: IngestContext,
                run: _Run) -> dict[str, pd.DataFrame]:
    run.read = len(rows)
    if not rows:
        return {}
    creator = resolve_creator(source, ctx)
    reference, how = reference_date(source, ctx)
    labels: list[DayMonth | None] = []
    for row in rows:
        try:
            labels.append(parse_label(row[0] if row else ""))
        except ValueError:
            labels.append(None)
    dates = assign_years(labels, reference)
    if any(lab is not None and lab.year is None for lab in labels):
        run.notes.append(f"years inferred: last row anchored on {reference} ({how})")
    if kind == "activity":
        out = _activity(rows, dates, reference, run)
        out["creator"] = creator
        return {"follower_activity": out}
    out = _account(kind, rows, dates, reference, run)
    out["creator"] = creator
    if kind == "history":
        run.notes.append("the 'Difference in followers' column is ignored (TikTok mislabels "
                         "it); deltas come from Followers")
    return {"account_daily": out}


def signed_count(cell: object) -> int | None:
    """A daily net change: Overview likes/comments/shares go negative when people take them
    back (real htupy rows: comments "-1"), so a leading minus is allowed here."""
    text = str(cell).strip() if cell is not None else ""
    if text.startswith("-") and text[1:].strip()[:1].isdigit():
        value = parse_count(text[1:])
        return None if value is None else -value
    return parse_count(cell)


def _values(row: list[str], width: int, number: int, names: list[str],
            run: _Run, signed: bool = False) -> list[int | None] | None:
    """Counts from cells 1..width-1; rejects the row (and returns None) on a bad one."""
    if len(row) != width:
        run.rejects.add(number, "row", f"expected {width} fields, found {len(row)}",
                        ",".join(row))
        return None
    values: list[int | None] = []
    for name, cell in zip(names, row[1:]):
        try:
            values.append(signed_count(cell) if signed else parse_count(cell))
        except ValueError as exc:
            run.rejects.add(number, name, str(exc), cell)
            return None
    return values


def _lagging(day: date, reference: date, values: list[int | None]) -> bool:
    return (reference - day).days <= LAG_DAYS and all(not v for v in values)


def _account(kind: str, rows: list[list[str]], dates: list[date | str], reference: date,
             run: _Run) -> pd.DataFrame:
    metrics = METRICS[kind]
    names = [m.replace("_", " ") for m in metrics]
    out: list[dict[str, object]] = []
    lagged = undefined = duplicates = 0
    seen: set[date] = set()
    for number, (row, day) in enumerate(zip(rows, dates), start=1):
        if isinstance(day, str):
            run.rejects.add(number, "Date", day, row[0] if row else "")
            continue
        width = 3 if kind == "history" else len(metrics) + 1
        values = _values(row, width, number, names, run, signed=kind == "overview")
        if values is None:
            continue
        if kind == "history":
            values = values[:1]  # the difference column is not stored
        if (kind == "viewers" and values[0] is None) or all(v is None for v in values):
            undefined += 1
        elif _lagging(day, reference, values):
            lagged += 1
        elif day in seen:
            duplicates += 1
        else:
            seen.add(day)
            stamp = datetime.combine(day, time(), timezone.utc)
            out.extend({"date": stamp, "metric": m, "value": v, "source": NAME}
                       for m, v in zip(metrics, values) if v is not None)
            run.stored += 1
    _skip_notes(run, undefined, lagged, duplicates, "days")
    return pd.DataFrame(out, columns=["date", "metric", "value", "source"])


def _skip_notes(run: _Run, undefined: int, lagged: int, duplicates: int, unit: str) -> None:
    run.skipped += undefined + lagged + duplicates
    if undefined:
        run.notes.append(f"{undefined} {unit} skipped: 'undefined' (before the account "
                         "existed or a partial day)")
    if lagged:
        run.notes.append(f"{lagged} {unit} skipped: all zero within {LAG_DAYS} days of the "
                         "export (Studio figures lag; not stored over better data)")
    if duplicates:
        run.notes.append(f"{duplicates} duplicate {unit} skipped (first kept)")


def _activity(rows: list[list[str]], dates: list[date | str], reference: date,
              run: _Run) -> pd.DataFrame:
    parsed: list[tuple[int, date, int, int | None]] = []
    for number, (row, day) in enumerate(zip(rows, dates), start=1):
        if isinstance(day, str):
            run.rejects.add(number, "Date", day, row[0] if row else "")
            continue
        values = _values(row, 3, number, ["Hour", "Active followers"], run)
        if values is None:
            continue
        hour, count = values
        if hour is None or hour > 24:
            run.rejects.add(number, "Hour", "hour must be 0-23 (or 1-24)", row[1])
            continue
        parsed.append((number, day, hour, count))
    one_based = any(h == 24 for _, _, h, _ in parsed) and not any(h == 0 for _, _, h, _ in parsed)
    if one_based:
        run.notes.append("hours numbered 1..24: hour 24 stored as hour 0 of the next day")
    # The export day is cut off: its hours after the export moment read 0. Zero readings
    # after the file's last non-zero one, within the lag window, are that cut-off tail.
    last = max((i for i, (*_, count) in enumerate(parsed) if count), default=-1)
    out: list[dict[str, object]] = []
    undefined = lagged = duplicates = 0
    seen: set[tuple[date, int]] = set()
    for index, (_, day, hour, count) in enumerate(parsed):
        if index > last and _lagging(day, reference, [count]):
            lagged += 1
            continue
        if hour == 24:
            day, hour = day + timedelta(days=1), 0
        if count is None:
            undefined += 1
        elif (day, hour) in seen:
            duplicates += 1
        else:
            seen.add((day, hour))
            out.append({"date": datetime.combine(day, time(), timezone.utc),
                        "weekday": day.weekday(), "hour": hour, "active_followers": count,
                        "source": NAME})
            run.stored += 1
    _skip_notes(run, undefined, lagged, duplicates, "hourly rows")
    return pd.DataFrame(out, columns=["date", "weekday", "hour", "active_followers", "source"])


ADAPTERS = [
    Adapter(
        name=NAME,
        description="TikTok Studio analytics download (Content, Overview, Viewers, Follower* "
                    "CSV or XLSX, any UI language)",
        sniff=_sniff,
        read=_read,
    )
]
