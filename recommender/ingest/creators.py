"""Creator settings CSV: ``creator,timezone`` (one row per handle).

Agencies keep one such file for all their creators; it sets the time zone used for
local-time features and suggestions. Example::

    creator,timezone
    ana.bakes,Europe/Lisbon
    @jo_runs,America/Chicago
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from recommender import schema
from recommender.errors import InputError
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source

HEADER = ("creator", "timezone")


def _sniff(source: Source, head: bytes) -> bool:
    if source.suffix != ".csv":
        return False
    first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    columns = [c.strip().strip('"').lower() for c in first[0].split(",")] if first else []
    return tuple(columns) == HEADER


def _read(source: Source, ctx: IngestContext) -> AdapterResult:
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.name}: not UTF-8 text; save it as UTF-8 CSV") from exc
    reader = csv.DictReader(io.StringIO(text))
    rejects = Rejects(source)
    rows: list[dict[str, object]] = []
    read = 0
    for number, record in enumerate(reader, start=1):
        read += 1
        creator = (record.get("creator") or "").strip().lstrip("@")
        zone = (record.get("timezone") or "").strip()
        if not creator:
            rejects.add(number, "creator", "empty creator handle; fill it in", creator)
            continue
        if not _valid_zone(zone):
            rejects.add(number, "timezone", "not an IANA time zone (e.g. Europe/Berlin)", zone)
            continue
        rows.append({"creator": creator, "timezone": zone, "source": "creators-csv",
                     "updated_at": ctx.collected_at or source.modified_at()})
    creators = schema.conform(pd.DataFrame(rows), "creators")
    return AdapterResult(
        source=source, adapter="creators", records_read=read, records_stored=len(creators),
        creators=creators, rejected=rejects.frame(),
        nulled=rejects.nulled_frame(), nulled_counts=rejects.nulled(),
    )


def _valid_zone(zone: str) -> bool:
    if not zone:
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


ADAPTERS = [
    Adapter(
        name="creators",
        description="Creator settings CSV (creator,timezone): sets each creator's time zone",
        sniff=_sniff,
        read=_read,
    )
]
