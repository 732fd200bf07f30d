"""Third-party scraper outputs (formats.md §4): Apify clockworks, drawrowfly, TikTokApi.

- ``apify``: clockworks dataset items as a JSON list or JSON-lines, and the dataset's CSV
  download, whose nested keys are flattened with ``/`` (``authorMeta/fans``,
  ``hashtags/0/name``) or, in the overview view, with dots.
- ``drawrowfly``: tiktok-scraper's ``{"collector": [...]}`` (or the bare list) and its
  json2csv CSV (dotted columns; arrays kept as JSON text in one cell).
- ``tiktokapi``: TikTokApi ``video.as_dict`` / web ``itemStruct`` dicts, a list or
  ``{"itemList": [...]}``. Counts prefer ``statsV2`` (exact strings) over ``stats``
  (rounded), field by field.

Scrapers do not record when they ran, so ``collected_at`` is ``--collected-at``, else the
time in the download's file name (Apify ``dataset_<actor>_YYYY-MM-DD_HH-MM-SS-mmm``,
drawrowfly ``<type>_<unix ms>``), else the file's modified time; a note says which.
Author profile counts (fans, following, heart, video) also become ``account_daily`` rows
dated at ``collected_at``. ``--creator`` only fills records that carry no author.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

import pandas as pd

from recommender import schema
from recommender.ingest import cells, generic, jsonfile, records, tables
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source

CLOCKWORKS: records.Spec = {
    "post_id": ("id",),
    "url": ("webVideoUrl",),
    "posted_at": ("createTime", "createTimeISO"),
    "creator": ("authorMeta/name", "authorMeta/uniqueId"),
    "caption": ("text",),
    "hashtags": ("hashtags/*/name", "hashtags"),
    "sound_id": ("musicMeta/musicId",),
    "sound_name": ("musicMeta/musicName",),
    "sound_is_original": ("musicMeta/musicOriginal",),
    "duration_s": ("videoMeta/duration",),
    "is_slideshow": ("isSlideshow", "slideshowImageLinks"),
    "views": ("playCount", "statsV2/playCount", "stats/playCount"),
    "likes": ("diggCount", "statsV2/diggCount", "stats/diggCount"),
    "comments": ("commentCount", "statsV2/commentCount", "stats/commentCount"),
    "shares": ("shareCount", "statsV2/shareCount", "stats/shareCount"),
    "saves": ("collectCount", "statsV2/collectCount", "stats/collectCount"),
    "followers_at_post": ("authorMeta/fans",),
    "following_at_post": ("authorMeta/following",),
    "total_likes": ("authorMeta/heart",),
    "total_videos": ("authorMeta/video",),
}
TIKTOKAPI: records.Spec = {
    "post_id": ("id",),
    "posted_at": ("createTime",),
    "creator": ("author/uniqueId", "author"),
    "caption": ("desc",),
    "hashtags": ("challenges/*/title", "textExtra/*/hashtagName"),
    "sound_id": ("music/id",),
    "sound_name": ("music/title",),
    "sound_is_original": ("music/original",),
    "duration_s": ("video/duration",),
    "is_slideshow": ("imagePost/images",),
    **{name: (f"statsV2/{key}", f"stats/{key}") for name, key in (
        ("views", "playCount"), ("likes", "diggCount"), ("comments", "commentCount"),
        ("shares", "shareCount"), ("saves", "collectCount"))},
    **{name: (f"authorStatsV2/{key}", f"authorStats/{key}") for name, key in (
        ("followers_at_post", "followerCount"), ("following_at_post", "followingCount"),
        ("total_videos", "videoCount"))},
    "total_likes": ("authorStatsV2/heartCount", "authorStats/heartCount", "authorStats/heart"),
}
_APIFY_STAMP = re.compile(r"_(\d{4}-\d{2}-\d{2})_(\d{2})-(\d{2})-(\d{2})-(\d{3})\.(json|csv)$")
_MS_STAMP = re.compile(r"_(\d{13})\.(json|csv)$")
_DRAWROWFLY_MARKS = ("covers.default", "covers/default", "secretid", "videourl")


# -- sniffing --------------------------------------------------------------------------------

def _json_head(head: bytes) -> str | None:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    return text if text[:1] in ("[", "{") else None


def _csv_columns(source: Source, head: bytes) -> set[str]:
    if source.suffix != ".csv":
        return set()
    return {records.flat_key(c) for c in tables.header_cells(head)}


def _clockworks_columns(columns: set[str]) -> bool:
    return "authormeta/name" in columns and bool({"diggcount", "playcount"} & columns)


def _sniff_apify(source: Source, head: bytes) -> bool:
    columns = _csv_columns(source, head)
    if columns:
        return _clockworks_columns(columns) and not set(_DRAWROWFLY_MARKS) & columns
    text = _json_head(head)
    return (text is not None and '"authorMeta"' in text and '"diggCount"' in text
            and '"collector"' not in text and '"secretID"' not in text)


def _sniff_drawrowfly(source: Source, head: bytes) -> bool:
    columns = _csv_columns(source, head)
    if columns:
        return _clockworks_columns(columns) and bool(set(_DRAWROWFLY_MARKS) & columns)
    text = _json_head(head)
    return (text is not None and '"authorMeta"' in text and '"diggCount"' in text
            and ('"collector"' in text or '"secretID"' in text))


def _sniff_tiktokapi(source: Source, head: bytes) -> bool:
    text = _json_head(head)
    if text is None or '"authorMeta"' in text:
        return False
    return ('"itemList"' in text or '"itemStruct"' in text) or (
        '"desc"' in text and '"createTime"' in text and '"author"' in text
        and ('"stats"' in text or '"statsV2"' in text))


# -- reading ---------------------------------------------------------------------------------

def collected_time(source: Source, ctx: IngestContext) -> tuple[datetime, str]:
    """When the counts were read, and how we know (for the notes)."""
    if ctx.collected_at is not None:
        return ctx.collected_at.astimezone(timezone.utc), "--collected-at"
    latest = cells.latest_time()
    if match := _APIFY_STAMP.search(source.filename):
        day, hh, mm, ss, ms = match.groups()[:5]
        try:  # a damaged or hand-edited name ("2025-07-00") falls through to the file time
            stamp = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}.{ms}+00:00")
        except ValueError:
            stamp = None
        if stamp is not None and stamp <= latest:
            return stamp, "the file name"
    if match := _MS_STAMP.search(source.filename):
        stamp = datetime.fromtimestamp(min(int(match.group(1)) / 1000, 4.2e9), tz=timezone.utc)
        if stamp <= latest:
            return stamp, "the file name"
    return source.modified_at(), "the file's modified time (pass --collected-at to set it)"


def _finish(source: Source, ctx: IngestContext, name: str, raw: pd.DataFrame, rows,  # type: ignore[no-untyped-def]
            read: int, rejects: Rejects) -> AdapterResult:
    collected, how = collected_time(source, ctx)
    posts, account, notes = records.to_posts(raw, rows, rejects, source=name,
                                             collected_at=collected, creator=ctx.creator)
    creators = pd.DataFrame({"creator": posts["creator"].drop_duplicates(),
                             "timezone": ctx.timezone or "UTC", "updated_at": collected,
                             "source": name})
    return AdapterResult(
        source=source, adapter=name, records_read=read, records_stored=len(posts),
        posts=posts, account_daily=account, creators=schema.conform(creators, "creators"),
        rejected=rejects.frame(),
        nulled=rejects.nulled_frame(), nulled_counts=rejects.nulled(),
        notes=[f"collected_at from {how}", *notes],
    )


def _reader(name: str, spec: records.Spec, expand: Callable[[object], list[object]]
            ) -> Callable[[Source, IngestContext], AdapterResult]:
    def read(source: Source, ctx: IngestContext) -> AdapterResult:
        rejects = Rejects(source)
        if source.suffix == ".csv" or source.filename.lower().endswith(".csv.gz"):
            frame = generic.read_frame(source)
            rows = tables.row_numbers(frame)
            bad = tables.reject_bad_rows(frame, rejects)
            return _finish(source, ctx, name, records.from_flat(frame, spec), rows,
                           len(frame) + bad, rejects)
        docs = jsonfile.load_json(source)
        items, rows, read_count = jsonfile.number_records(docs, expand, rejects)
        return _finish(source, ctx, name, records.from_items(items, spec), rows, read_count,
                       rejects)

    return read


def _expand_clockworks(doc: object) -> list[object]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("collector"), list):
        return doc["collector"]
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return doc["items"]
    return [doc]


def _expand_tiktokapi(doc: object) -> list[object]:
    if isinstance(doc, dict):
        for key in ("itemList", "items", "collector"):
            if isinstance(doc.get(key), list):
                return [_unwrap_item(i) for i in doc[key]]
        return [_unwrap_item(doc)]
    if isinstance(doc, list):
        return [_unwrap_item(i) for i in doc]
    return [doc]


def _unwrap_item(item: object) -> object:
    """``{"itemInfo": {"itemStruct": {...}}}`` and ``{"itemStruct": {...}}`` -> the item."""
    if isinstance(item, dict) and isinstance(item.get("itemInfo"), dict):
        item = item["itemInfo"]
    if isinstance(item, dict) and isinstance(item.get("itemStruct"), dict):
        return item["itemStruct"]
    return item


ADAPTERS = [
    Adapter(
        name="apify",
        description="Apify clockworks TikTok scraper dataset (JSON list / JSON-lines, or CSV)",
        sniff=_sniff_apify,
        read=_reader("apify", CLOCKWORKS, _expand_clockworks),
    ),
    Adapter(
        name="drawrowfly",
        description="tiktok-scraper (drawrowfly) output: {\"collector\": [...]} JSON or its CSV",
        sniff=_sniff_drawrowfly,
        read=_reader("drawrowfly", CLOCKWORKS, _expand_clockworks),
    ),
    Adapter(
        name="tiktokapi",
        description="TikTokApi item dicts (itemStruct): a list or {\"itemList\": [...]}",
        sniff=_sniff_tiktokapi,
        read=_reader("tiktokapi", TIKTOKAPI, _expand_tiktokapi),
    ),
]
