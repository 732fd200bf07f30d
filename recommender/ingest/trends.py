"""Trend lists (formats.md §5): Creative Center JSON, a plain trend CSV, the long archive.

- ``creative-center``: hashtag lists ``{"data": {"list": [...]}}`` and sound lists
  ``{"data": {"sound_list": [...]}}``, bare or wrapped by TikHub
  (``{"code": 200, "data": {"code": 0, "data": {...}}}``). The whole file is one snapshot,
  dated ``--collected-at``, else the latest ``trend[].time`` in the file, else the file's
  time. ``score`` is each entry's latest ``trend`` value (a 0..1 index, peak = 1);
  ``entity_id`` is ``hashtag_id`` / ``clip_id`` (``related_items`` ids are float-damaged and
  never used); ``region`` is ``country_info.id`` / ``country_code``.
- ``trend-csv``: ``date,kind,name,rank[,score,region]`` (kind ``hashtag`` or ``sound``).
- ``trend-archive``: the long format of the shared trend_lists_2022 file
  (``snapshot_time_utc,endpoint,kind,rank,entity_id,name,...,metric_value``): ``music``
  rows become kind ``sound``, ``user`` rows (creator charts) are skipped with a note,
  ``score`` is ``metric_value`` (the chart's own post / view count), region is empty. The
  same snapshot seen through several endpoints repeats rows; the store keeps one per
  (date, kind, name, region).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from recommender import schema
from recommender.errors import InputError
from recommender.ingest import cells, generic, jsonfile, records, tables
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source

KINDS = {"hashtag": "hashtag", "hashtags": "hashtag", "sound": "sound", "sounds": "sound",
         "music": "sound", "song": "sound"}
CSV_HEADER = {"date", "kind", "name", "rank"}
ARCHIVE_HEADER = {"snapshot_time_utc", "endpoint", "kind", "rank", "entity_id", "name"}


def finish_trends(raw: pd.DataFrame, rows: np.ndarray, rejects: Rejects, source: str
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Validate raw trend columns (date, kind, name, entity_id, rank, score, region)."""
    raw = raw.reset_index(drop=True)
    check = records.Checked(rows=rows, rejects=rejects)
    out = pd.DataFrame(index=raw.index)
    out["date"] = records.times(raw.get("date"), "date", check)
    check.reject(out["date"].isna().to_numpy(), "date", "no snapshot date", raw.get("date",
                 pd.Series([None] * len(raw), dtype=object)))
    kind_text = records.text(raw.get("kind"), "kind", check).str.lower()
    out["kind"] = kind_text.map(KINDS, na_action="ignore").astype("string")
    check.reject(out["kind"].isna().to_numpy(), "kind", "kind must be hashtag or sound",
                 kind_text)
    name = records.text(raw.get("name"), "name", check)
    tag_name = name.str.lstrip("#").str.strip().str.lower()
    out["name"] = tag_name.where(out["kind"] == "hashtag", name).replace("", pd.NA)
    check.reject(out["name"].isna().to_numpy(), "name", "no hashtag or sound name", name)
    out["entity_id"] = records.text(raw.get("entity_id"), "entity_id", check)
    out["rank"] = records.counts(raw.get("rank"), "rank", check)
    zero = check.null((out["rank"] == 0).fillna(False).to_numpy(), "rank", "rank starts at 1",
                      out["rank"])
    out["rank"] = out["rank"].mask(pd.Series(zero, index=out.index))
    out["score"] = _scores(raw.get("score"), check)
    out["region"] = records.text(raw.get("region"), "region", check).str.upper()
    out["source"] = source
    return schema.conform(out[check.ok], "trends"), check.notes


def _scores(values: pd.Series | None, check: records.Checked) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=range(len(check.rows)), dtype="Float64")
    wrong = records._kinds(values, bool, dict, list)
    number = pd.to_numeric(values.where(~wrong), errors="coerce").astype("float64")
    bad = wrong | (number.isna().to_numpy() & ~records.missing(values))
    bad = check.null(bad | ~np.isfinite(number.fillna(0)).to_numpy(), "score",
                     "score is not a finite number", values)
    return number.mask(pd.Series(bad, index=number.index)).astype("Float64")


def _result(source: Source, name: str, trends: pd.DataFrame, read: int, skipped: int,
            rejects: Rejects, notes: list[str]) -> AdapterResult:
    return AdapterResult(source=source, adapter=name, records_read=read,
                         records_stored=len(trends), skipped=skipped, trends=trends,
                         rejected=rejects.frame(), nulled=rejects.nulled_frame(),
                         nulled_counts=rejects.nulled(), notes=notes)


# -- Creative Center JSON --------------------------------------------------------------------

def _lists_of(doc: object) -> list[tuple[str, list[object]]]:
    """(kind, entries) found in a response, unwrapping TikHub-style nested ``data``."""
    for _ in range(4):
        if not isinstance(doc, dict):
            return []
        found = [(kind, doc[k]) for k, kind in (("list", "hashtag"), ("sound_list", "sound"))
                 if isinstance(doc.get(k), list)]
        if found:
            return found
        doc = doc.get("data")
    return []


def _entry(kind: str, item: object) -> dict[str, object] | object:
    if not isinstance(item, dict):
        return item
    points = item.get("trend")
    latest = max((p for p in points if isinstance(p, dict) and isinstance(
        p.get("time"), (int, float)) and not isinstance(p.get("time"), bool)),
        key=lambda p: p["time"], default=None) if isinstance(points, list) else None
    country = item.get("country_info")
    return {
        "kind": kind,
        "name": item.get("hashtag_name") if kind == "hashtag" else item.get("title"),
        "entity_id": item.get("hashtag_id") if kind == "hashtag" else item.get("clip_id"),
        "rank": item.get("rank"),
        "score": latest.get("value") if latest else None,
        "time": latest["time"] if latest else None,
        "region": country.get("id") if isinstance(country, dict) else item.get("country_code"),
    }


def _sniff_cc(source: Source, head: bytes) -> bool:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    return text[:1] == "{" and (
        ('"hashtag_name"' in text and '"hashtag_id"' in text) or
        ('"sound_list"' in text) or ('"clip_id"' in text and '"rank"' in text))


def _read_cc(source: Source, ctx: IngestContext) -> AdapterResult:
    rejects = Rejects(source)
    docs = jsonfile.load_json(source)
    expand = lambda doc: [_entry(k, i) for k, items in _lists_of(doc) for i in items]  # noqa: E731
    items, rows, read = jsonfile.number_records(docs, expand, rejects)
    raw = pd.DataFrame(items, columns=["kind", "name", "entity_id", "rank", "score", "time",
                                       "region"], dtype=object)
    snapshot, how = _snapshot(source, ctx, raw["time"])
    raw["date"] = snapshot
    trends, notes = finish_trends(raw, rows, rejects, "creative-center")
    return _result(source, "creative-center", trends, read, 0, rejects,
                   [f"snapshot date from {how}", *notes])


def _snapshot(source: Source, ctx: IngestContext, times: pd.Series) -> tuple[datetime, str]:
    if ctx.collected_at is not None:
        return ctx.collected_at.astimezone(timezone.utc), "--collected-at"
    seconds = pd.to_numeric(times, errors="coerce")
    # One point in the future (a damaged or hostile entry) must not date the whole list.
    latest_ok = (cells.latest_time() - pd.Timestamp(0, tz="UTC")).total_seconds()
    seconds = seconds[(seconds >= records._EPOCH_MIN) & (seconds <= latest_ok)]
    if len(seconds):
        latest = datetime.fromtimestamp(float(seconds.max()), tz=timezone.utc)
        return latest, "the latest trend point"
    return source.modified_at(), "the file's modified time (pass --collected-at to set it)"


# -- CSV lists -------------------------------------------------------------------------------

def _header(source: Source, head: bytes) -> set[str]:
    if not source.filename.lower().endswith((".csv", ".csv.gz")):
        return set()
    return {c.strip().lower() for c in generic._head_columns(source, head)}


def _sniff_csv(source: Source, head: bytes) -> bool:
    columns = _header(source, head)
    return columns >= CSV_HEADER and not columns >= ARCHIVE_HEADER


def _table(source: Source, needed: set[str]) -> pd.DataFrame:
    frame = generic.read_frame(source)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if absent := sorted(needed - set(frame.columns)):
        raise InputError(f"{source.name}: not a trend list: no column {', '.join(absent)} "
                         f"(found: {', '.join(frame.columns)}); the header must include "
                         f"{', '.join(sorted(needed))}")
    return frame


def _read_csv(source: Source, ctx: IngestContext) -> AdapterResult:
    frame = _table(source, CSV_HEADER)
    rejects = Rejects(source)
    rows = tables.row_numbers(frame)
    bad = tables.reject_bad_rows(frame, rejects)
    trends, notes = finish_trends(frame, rows, rejects, "trend-csv")
    return _result(source, "trend-csv", trends, len(frame) + bad, 0, rejects, notes)


def _sniff_archive(source: Source, head: bytes) -> bool:
    return _header(source, head) >= ARCHIVE_HEADER


def _read_archive(source: Source, ctx: IngestContext) -> AdapterResult:
    frame = _table(source, ARCHIVE_HEADER)
    kinds = frame["kind"].astype("string").str.strip().str.lower()
    users = (kinds == "user").fillna(False).to_numpy(dtype=bool)
    kept = frame[~users]
    raw = pd.DataFrame({"date": kept["snapshot_time_utc"], "kind": kept["kind"],
                        "name": kept["name"], "entity_id": kept["entity_id"],
                        "rank": kept["rank"], "score": kept.get("metric_value")})
    rejects = Rejects(source)
    rows = tables.row_numbers(frame)[~users]
    bad = tables.reject_bad_rows(frame, rejects)
    trends, notes = finish_trends(raw, rows, rejects, "trend-archive")
    skipped = int(users.sum())
    if skipped:
        notes.append(f"{skipped} creator-chart (user) rows skipped: the model uses hashtag "
                     "and sound trends only")
    return _result(source, "trend-archive", trends, len(frame) + bad, skipped, rejects, notes)


ADAPTERS = [
    Adapter(name="creative-center",
            description="TikTok Creative Center hashtag / sound trend list JSON (also TikHub)",
            sniff=_sniff_cc, read=_read_cc),
    Adapter(name="trend-archive",
            description="Long trend archive CSV (snapshot_time_utc,endpoint,kind,rank,...)",
            sniff=_sniff_archive, read=_read_archive),
    Adapter(name="trend-csv", description="Plain trend CSV: date,kind,name,rank[,score,region]",
            sniff=_sniff_csv, read=_read_csv),
]
