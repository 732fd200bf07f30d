"""Official TikTok APIs (formats.md §3): Research API and Display API video lists.

Files: a saved response ``{"data": {"videos": [...]}, "error": {...}}``, a bare list of
videos, or JSON-lines (one video or one whole response per line, as paginating collectors
write them). Python's ``json`` keeps the Research API's integer ids (above 2^53) exact; they
are stored as strings. A float id has already lost digits and is rejected.

- ``research-api``: ``id``/``video_id``, ``username`` -> creator, ``hashtag_names``,
  ``music_id``, ``favorites_count`` -> saves, ``video_duration``.
- ``display-api``: the creator's own videos; no username, so the creator is ``--creator``,
  else the ``@handle`` in ``share_url``, else the file is refused with a request for
  ``--creator``. Hashtags come from the description (the API has no hashtag field).

Neither records when the response was fetched: ``collected_at`` is ``--collected-at``, else
the file's modified time.
"""

from __future__ import annotations

import re
from datetime import timezone

import pandas as pd

from recommender import schema
from recommender.errors import InputError
from recommender.ingest import jsonfile, records
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source

RESEARCH: records.Spec = {
    "post_id": ("id", "video_id"),
    "posted_at": ("create_time",),
    "creator": ("username",),
    "caption": ("video_description",),
    "hashtags": ("hashtag_names",),
    "sound_id": ("music_id",),
    "duration_s": ("video_duration",),
    "views": ("view_count",),
    "likes": ("like_count",),
    "comments": ("comment_count",),
    "shares": ("share_count",),
    "saves": ("favorites_count",),
}
DISPLAY: records.Spec = {
    "post_id": ("id",),
    "url": ("share_url", "embed_link"),
    "posted_at": ("create_time",),
    "caption": ("video_description", "title"),
    "duration_s": ("duration",),
    "views": ("view_count",),
    "likes": ("like_count",),
    "comments": ("comment_count",),
    "shares": ("share_count",),
}
_RESEARCH_KEYS = ('"username"', '"hashtag_names"', '"region_code"', '"music_id"',
                  '"favorites_count"', '"video_duration"', '"video_id"')
_DISPLAY_KEYS = ('"share_url"', '"embed_link"', '"embed_html"', '"cover_image_url"',
                 '"title"', '"duration"')
_HANDLE = re.compile(r"tiktok\.com/@([A-Za-z0-9_.]+)")


def _head(head: bytes) -> str | None:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text[:1] not in ("[", "{") or '"create_time"' not in text:
        return None
    return text if '"authorMeta"' not in text and '"createTime"' not in text else None


def _sniff_research(source: Source, head: bytes) -> bool:
    text = _head(head)
    return text is not None and any(k in text for k in _RESEARCH_KEYS)


def _sniff_display(source: Source, head: bytes) -> bool:
    text = _head(head)
    return (text is not None and not any(k in text for k in _RESEARCH_KEYS)
            and any(k in text for k in _DISPLAY_KEYS + ('"like_count"', '"view_count"')))


def _expand(doc: object) -> list[object]:
    """Videos in a response, a list of responses or videos, or a single video."""
    if isinstance(doc, list):
        return [video for item in doc for video in _videos_or_self(item)]
    return _videos_or_self(doc)


def _videos_or_self(doc: object) -> list[object]:
    if not isinstance(doc, dict):
        return [doc]
    data = doc.get("data")
    if isinstance(data, dict) and isinstance(data.get("videos"), list):
        return data["videos"]
    if isinstance(doc.get("videos"), list):
        return doc["videos"]
    if "data" in doc or "error" in doc:  # an envelope without videos: an error or empty page
        error = doc.get("error")
        if isinstance(error, dict) and error.get("code") not in (None, "ok"):
            raise _APIError(f"{error.get('code')}: {error.get('message') or 'no message'}")
        return []
    return [doc]


class _APIError(Exception):
    pass


def _load(source: Source, spec: records.Spec) -> tuple[pd.DataFrame, object, int, Rejects]:
    rejects = Rejects(source)
    docs = jsonfile.load_json(source)
    try:
        items, rows, read = jsonfile.number_records(docs, _expand, rejects)
    except _APIError as exc:
        raise InputError(f"{source.name}: the saved response is an API error ({exc}); "
                         "fetch the videos again") from exc
    return records.from_items(items, spec), rows, read, rejects


def _result(source: Source, ctx: IngestContext, name: str, raw: pd.DataFrame, rows: object,
            read: int, rejects: Rejects) -> AdapterResult:
    if ctx.collected_at is not None:
        collected, how = ctx.collected_at.astimezone(timezone.utc), "--collected-at"
    else:
        collected, how = source.modified_at(), "the file's modified time"
    posts, account, notes = records.to_posts(raw, rows, rejects, source=name,  # type: ignore[arg-type]
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


def _read_research(source: Source, ctx: IngestContext) -> AdapterResult:
    raw, rows, read, rejects = _load(source, RESEARCH)
    return _result(source, ctx, "research-api", raw, rows, read, rejects)


def _read_display(source: Source, ctx: IngestContext) -> AdapterResult:
    raw, rows, read, rejects = _load(source, DISPLAY)
    if not ctx.creator and read:
        urls = raw["url"] if "url" in raw else pd.Series([None] * len(raw), dtype=object)
        handles = urls.map(lambda u: m.group(1) if isinstance(u, str) and
                           (m := _HANDLE.search(u)) else None)
        found = handles.dropna().unique()
        if len(found) == 0:
            raise InputError(f"{source.name}: Display API videos do not name their creator "
                             "and no share_url holds an @handle; pass --creator HANDLE")
        # The Display API lists one account's own videos: one handle serves every row.
        raw["creator"] = handles.fillna(found[0]) if len(found) == 1 else handles
    return _result(source, ctx, "display-api", raw, rows, read, rejects)


ADAPTERS = [
    Adapter(
        name="research-api",
        description="TikTok Research API video query responses (JSON / JSON-lines)",
        sniff=_sniff_research,
        read=_read_research,
    ),
    Adapter(
        name="display-api",
        description="TikTok Display API video list/query responses (JSON / JSON-lines)",
        sniff=_sniff_display,
        read=_read_display,
    ),
]
