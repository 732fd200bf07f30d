"""Studio ``Content.csv``: the top posts at an export snapshot (formats.md §2.2-2.3).

Quoting in this file is sometimes broken (stray quotes or commas in titles), so CSV records
are parsed by anchoring on the video link: before it come Time and the title, after it always
Post time, likes, comments, shares and views. ``posted_at`` is the upload second encoded in
the video id; ``Time`` (the snapshot day, same on every row) gets its year from the ids.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from recommender.errors import InputError
from recommender.ingest.base import IngestContext, Source
from recommender.ingest.studio_dates import (
    DayMonth,
    first_on_or_after,
    latest_not_after,
    nearest,
    parse_label,
)
from recommender.parsing import hashtags_from_text, parse_count, time_from_video_id

if TYPE_CHECKING:
    from recommender.ingest.studio import _Run

HEADER = ("time", "video title", "video link", "post time", "total likes", "total comments",
          "total shares", "total views")
COUNTS = (("likes", "Total likes"), ("comments", "Total comments"), ("shares", "Total shares"),
          ("views", "Total views"))
LINK = re.compile(r"https?://(?:[\w-]+\.)*tiktok\.com/(?:@(?P<handle>[^/\s\",?]+)/)?"
                  r"video/(?P<id>\d+)[^\s\",]*")
FIRST_UPLOAD = datetime(2014, 1, 1, tzinfo=timezone.utc)  # ids before this are not TikTok ids


@dataclass(frozen=True)
class Record:
    """One Content record: its 8 fields, or None with the reason it could not be split."""

    fields: tuple[str, ...] | None
    raw: str
    problem: str = ""


def split_records(text: str) -> list[Record]:
    """Records of a Content CSV text (header line dropped), anchored on video links.

    A line without a link continues the next linked line when it starts like a record (a
    title spanning lines); otherwise it is a record of its own that cannot be read.
    """
    records: list[Record] = []
    pending: list[str] = []
    for line in text.split("\n")[1:]:
        if not line.strip():
            continue
        record = _anchored(line)
        if record.fields is None:
            pending.append(line)
            continue
        starts = [i for i, p in enumerate(pending) if _starts_record(p)]
        cut = starts[-1] if starts else len(pending)
        records.extend(_unreadable(p) for p in pending[:cut])
        records.append(_anchored("\n".join([*pending[cut:], line])) if pending[cut:] else record)
        pending = []
    records.extend(_unreadable(p) for p in pending)
    return records


def _unreadable(line: str) -> Record:
    reason = ("no video link followed by Post time, likes, comments, shares and views"
              if LINK.search(line) else "no tiktok.com/@handle/video/<id> link")
    return Record(None, line, reason)


def _starts_record(line: str) -> bool:
    first = line[1:].split('"', 1)[0] if line.startswith('"') else line.split(",", 1)[0]
    try:
        parse_label(first)
    except ValueError:
        return False
    return True


def _anchored(text: str) -> Record:
    matches = list(LINK.finditer(text))
    if not matches:
        return _unreadable(text)
    link = matches[-1]  # a title may quote another video's link; the real one is last
    tail = text[link.end():].lstrip('"')
    after = next(csv.reader([tail[1:]]), []) if tail.startswith(",") else []
    while len(after) > 5 and not after[-1].strip():
        after.pop()  # tolerate a trailing comma
    if len(after) != 5:
        return _unreadable(text)
    head = text[: link.start()]
    head = head[:-1] if head.endswith('"') else head
    head = head[:-1] if head.endswith(",") else head
    if head.startswith('"'):
        end = head.find('"', 1)
        end = len(head) if end < 0 else end
        first, title = head[1:end], head[end + 1 :]
        title = title[1:] if title.startswith(",") else title
    else:
        first, _, title = head.partition(",")
    if len(title) >= 2 and title.startswith('"') and title.endswith('"'):
        title = title[1:-1].replace('""', '"')
    return Record((first, title, link.group(0), *after), text)


def cell_records(rows: list[list[str]]) -> list[Record]:
    """Records of an XLSX Content sheet (cells are already split)."""
    return [Record(tuple(r), ",".join(r)) if len(r) == 8
            else Record(None, ",".join(r), f"expected 8 cells, found {len(r)}") for r in rows]


@dataclass(frozen=True)
class Snapshot:
    handles: frozenset[str]
    day: date | None


def snapshot(source: Source) -> Snapshot:
    """Handles and snapshot day of a sibling Content file (empty when it is not readable)."""
    try:
        return _snapshot(source, source.modified_at())
    except (InputError, OSError):
        return Snapshot(frozenset(), None)


@lru_cache(maxsize=64)
def _snapshot(source: Source, stamp: datetime) -> Snapshot:
    from recommender.ingest.studio import HEADERS, load_rows

    header, rows, text = load_rows(source)
    if HEADERS[header] != "content":
        return Snapshot(frozenset(), None)
    records = split_records(text) if text is not None else cell_records(rows)
    handles: set[str] = set()
    labels: list[DayMonth] = []
    posted: list[datetime] = []
    for record in records:
        match = LINK.search(record.fields[2]) if record.fields else None
        if not match or record.fields is None:
            continue
        if match.group("handle"):
            handles.add(match.group("handle"))
        posted.append(time_from_video_id(match.group("id")))
        try:
            labels.append(parse_label(record.fields[0]))
        except ValueError:
            continue
    day = snapshot_day(labels, posted, stamp.date()) if labels else None
    return Snapshot(frozenset(handles), day)


def snapshot_day(labels: list[DayMonth], posted: list[datetime], fallback: date) -> date:
    """The export day: the ``Time`` label in the first year not before the newest upload
    (one day of slack for time zones); without ids, the latest such day not after
    ``fallback``."""
    label = Counter(labels).most_common(1)[0][0]
    if label.year is not None:
        return label.in_year(label.year)
    plausible = [p for p in posted if p >= FIRST_UPLOAD]
    if plausible:
        return first_on_or_after(label, max(plausible).date() - timedelta(days=1))
    return latest_not_after(label, fallback)


@dataclass
class _Post:
    number: int
    row: dict[str, object]
    time_label: DayMonth
    post_label: DayMonth


def read_posts(records: list[Record], source: Source, ctx: IngestContext,
               run: _Run) -> dict[str, pd.DataFrame]:
    run.read = len(records)
    now = datetime.now(timezone.utc) + timedelta(days=1)
    posts: list[_Post] = []
    for number, record in enumerate(records, start=1):
        post = _post(number, record, ctx, run, now)
        if post is not None:
            posts.append(post)
    if not posts:
        return {}
    uploads = [p.row["posted_at"] for p in posts]
    day = snapshot_day([p.time_label for p in posts], uploads,  # type: ignore[misc]
                       source.modified_at().date())
    collected = ctx.collected_at or datetime.combine(day, time(), timezone.utc)
    kept, scheduled, duplicates, seen = [], 0, 0, set()
    for post in posts:
        upload: datetime = post.row["posted_at"]  # type: ignore[assignment]
        published = nearest(post.post_label, upload.date())
        if (published - upload.date()).days < -1:
            run.rejects.add(post.number, "Post time", "is before the upload time in the video "
                            "id; the columns may be shifted", str(published))
            continue
        if post.row["post_id"] in seen:
            duplicates += 1
            continue
        seen.add(post.row["post_id"])
        scheduled += (published - upload.date()).days > 1
        kept.append({**post.row, "collected_at": max(collected, upload)})
    run.stored += len(kept)
    run.skipped += duplicates
    _notes(run, collected, ctx, scheduled, duplicates)
    frame = pd.DataFrame(kept)
    zone = ctx.timezone or "UTC"
    creators = pd.DataFrame({"creator": sorted(set(frame["creator"])), "timezone": zone,
                             "updated_at": collected, "source": "studio"}) if kept else None
    return {"posts": frame, **({"creators": creators} if creators is not None else {})}


def _notes(run: _Run, collected: datetime, ctx: IngestContext, scheduled: int,
           duplicates: int) -> None:
    how = "--collected-at" if ctx.collected_at else "the Time column (00:00 UTC)"
    run.notes.append(f"counts read at {collected:%Y-%m-%d %H:%M} UTC ({how})")
    if scheduled:
        run.notes.append(f"{scheduled} scheduled posts: Post time is days after the upload "
                         "time in the video id; posted_at keeps the id time")
    if duplicates:
        run.notes.append(f"{duplicates} duplicate rows of the same video link skipped")


def _post(number: int, record: Record, ctx: IngestContext, run: _Run,
          now: datetime) -> _Post | None:
    if record.fields is None:
        run.rejects.add(number, "Video link", record.problem, record.raw)
        return None
    when, title, link, post_time, *cells = record.fields
    match = LINK.search(link)
    if match is None:
        run.rejects.add(number, "Video link", "no tiktok.com/@handle/video/<id> link", link)
        return None
    upload = time_from_video_id(match.group("id"))
    if not FIRST_UPLOAD <= upload <= now:
        run.rejects.add(number, "Video link", "the video id encodes no plausible upload time",
                        link)
        return None
    creator = (ctx.creator or match.group("handle") or "").strip().lstrip("@")
    if not creator:
        run.rejects.add(number, "Video link", "no @handle in the link; pass --creator", link)
        return None
    row: dict[str, object] = {"creator": creator, "post_id": match.group("id"),
                              "posted_at": upload, "caption": title or None,
                              "hashtags": hashtags_from_text(title), "source": "studio"}
    labels: list[DayMonth] = []
    for name, cell in (("Time", when), ("Post time", post_time)):
        try:
            labels.append(parse_label(cell))
        except ValueError as exc:
            run.rejects.add(number, name, str(exc), cell)
            return None
    for (column, name), cell in zip(COUNTS, cells):
        try:
            row[column] = parse_count(cell)
        except ValueError as exc:  # a bad count empties that cell, the post is kept
            run.rejects.null(number, name, str(exc), cell)
            row[column] = None
    return _Post(number, row, labels[0], labels[1])
