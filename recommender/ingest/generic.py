"""Generic post tables: CSV (also ``.csv.gz``) or Parquet with recognisable column names.

Columns are matched case-insensitively, ignoring spaces, dots and underscores, against the
alias table ``ALIASES`` (first alias present wins); ``--column THEIRS=OURS``
(``ctx.column_map``) overrides it. Required: a post id (or a video link), an upload time,
and a creator (unless ``--creator`` is given, which then fills empty cells).

``collected_at`` (when the counts were read): ``--collected-at``, else a ``collected_at`` /
``scraped_at`` column, else the latest ``posted_at`` in the file (a scrape happens after
the newest post it saw; the shared creator_histories file was scraped about 2020-11-08 and
its newest post is 2020-11-08 01:54 UTC). Profile columns (``author_followers``,
``author_total_likes``, ``author_total_videos``) are readings at ``collected_at``: they also
become ``account_daily`` rows. Rounded counts such as "43400" are kept as they are.
This reader is the last resort: it accepts any table with an id and a time column.
"""

from __future__ import annotations

import re
import zlib

import pandas as pd
import pyarrow.parquet as pq

from recommender import schema
from recommender.errors import InputError
from recommender.ingest import columns as columns_guess
from recommender.ingest import records, tables
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source

NAME = "generic"
ALIASES: dict[str, tuple[str, ...]] = {
    "post_id": ("post_id", "id", "video_id", "aweme_id", "item_id", "pid", "vid"),
    "url": ("url", "video_url", "video_link", "link", "web_video_url", "share_url"),
    "posted_at": ("posted_at", "created_at_utc", "created_at", "create_time", "createTime",
                  "create_time_iso", "timestamp", "published_at", "post_time", "date"),
    "creator": ("creator", "author_id", "username", "author", "unique_id", "handle",
                "author_name", "author_meta_name", "account", "uid", "user_id"),
    "caption": ("caption", "text", "desc", "description", "video_description", "title"),
    "hashtags": ("hashtags", "hashtag_names", "tags", "challenges"),
    "sound_id": ("sound_id", "music_id", "music_meta_music_id"),
    "sound_name": ("sound_name", "music_name", "music_meta_music_name", "sound", "music"),
    "sound_is_original": ("sound_is_original", "music_original", "music_meta_music_original"),
    "duration_s": ("duration_s", "duration", "video_duration", "video_meta_duration"),
    "views": ("views", "play_count", "view_count", "plays"),
    "likes": ("likes", "digg_count", "like_count", "hearts"),
    "comments": ("comments", "comment_count"),
    "shares": ("shares", "share_count"),
    "saves": ("saves", "collect_count", "favorites_count", "favourites_count", "bookmarks"),
    "followers_at_post": ("followers_at_post", "author_followers", "followers", "fans",
                          "follower_count"),
    "following_at_post": ("following_at_post", "author_following", "following",
                          "following_count"),
    "total_likes": ("author_total_likes", "total_likes", "author_heart", "heart_count"),
    "total_videos": ("author_total_videos", "total_videos", "video_count"),
    "collected_at": ("collected_at", "scraped_at", "collection_time", "fetched_at"),
}
REQUIRED = {"post_id": "post id", "posted_at": "upload time", "creator": "creator"}


def key(column: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(column).lower())


_ALIAS_KEYS = {field: [key(a) for a in names] for field, names in ALIASES.items()}
_ID_KEYS = set(_ALIAS_KEYS["post_id"]) | set(_ALIAS_KEYS["url"])
_TIME_KEYS = set(_ALIAS_KEYS["posted_at"])


# -- reading tables --------------------------------------------------------------------------

def _is_csv(source: Source) -> bool:
    name = source.filename.lower()
    return name.endswith((".csv", ".csv.gz"))


def read_frame(source: Source) -> pd.DataFrame:
    """The whole table; CSV cells as text (ids stay exact), Parquet with its own types."""
    if source.suffix == ".parquet":
        try:
            with source.open() as handle:
                return pd.read_parquet(handle)
        except Exception as exc:  # pyarrow raises many types for damaged files
            raise InputError(f"{source.name}: not a readable Parquet file ({_first_line(exc)}); "
                             "re-export it") from exc
    return tables.read_csv(source)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _head_columns(source: Source, head: bytes) -> list[str]:
    if source.suffix == ".parquet":
        try:
            with source.open() as handle:
                return list(pq.ParquetFile(handle).schema_arrow.names)
        except Exception:  # not Parquet after all: not ours
            return []
    if not _is_csv(source):
        return []
    if source.filename.lower().endswith(".gz"):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return []
    return tables.header_cells(head)


def _sniff(source: Source, head: bytes) -> bool:
    names = _head_columns(source, head)
    keys = {key(c) for c in names}
    if keys & _ID_KEYS and keys & _TIME_KEYS:
        return True
    # A post table under other names: an id, a time, a creator and a count say so.
    chosen = mapping([str(c) for c in names], {}, source.name)
    counts = {"views", "likes", "comments", "shares", "saves"} & set(chosen)
    return bool({"post_id", "url"} & set(chosen)) and "posted_at" in chosen and (
        "creator" in chosen and bool(counts))


# -- mapping columns -------------------------------------------------------------------------

def mapping(columns: list[str], column_map: dict[str, str], name: str) -> dict[str, str]:
    """canonical field -> the file's column, from the alias table and the user's map."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(key(column), column)
    chosen: dict[str, str] = {}
    for field, alias_keys in _ALIAS_KEYS.items():
        found = next((by_key[k] for k in alias_keys if k in by_key), None)
        if found is not None and found not in chosen.values():
            chosen[field] = found
    chosen.update(columns_guess.guess(by_key, chosen))
    for theirs, ours in column_map.items():
        if ours not in ALIASES:
            raise InputError(f"{name}: --column {theirs}={ours}: {ours!r} is not a field we "
                             f"know; use one of {', '.join(ALIASES)}")
        column = theirs if theirs in columns else by_key.get(key(theirs))
        if column is None:
            raise InputError(f"{name}: --column {theirs}={ours}: the file has no column "
                             f"{theirs!r}; found: {', '.join(map(str, columns))}")
        chosen = {f: c for f, c in chosen.items() if c != column}
        chosen[ours] = column
    return chosen


def _require(chosen: dict[str, str], columns: list[str], ctx: IngestContext, name: str) -> None:
    needed = dict(REQUIRED)
    if "url" in chosen:
        needed.pop("post_id")
    if ctx.creator:
        needed.pop("creator")
    for field, what in needed.items():
        if field not in chosen:
            looked = ", ".join(ALIASES[field] + (ALIASES["url"] if field == "post_id" else ()))
            found = ", ".join(map(str, columns)) or "none"
            hint = " or pass --creator" if field == "creator" else ""
            raise InputError(
                f"{name}: no {what} column (looked for {looked}); found columns: {found}; "
                f"map yours with --column THEIRS={field}{hint}")


def _read(source: Source, ctx: IngestContext) -> AdapterResult:
    frame = read_frame(source)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    chosen = mapping(columns, ctx.column_map, source.name)
    _require(chosen, columns, ctx, source.name)
    raw = pd.DataFrame({field: frame[column] for field, column in chosen.items()})
    notes = [f"columns used: {', '.join(f'{c}->{f}' for f, c in chosen.items())}"]
    if ctx.collected_at is not None:
        raw = raw.drop(columns=["collected_at"], errors="ignore")
        notes.append("collected_at from --collected-at")
    elif "collected_at" not in raw:
        notes.append("collected_at = the file's latest upload time (no collected_at column; "
                     "pass --collected-at to set it)")
    rejects = Rejects(source)
    rows = tables.row_numbers(frame)
    bad = tables.reject_bad_rows(frame, rejects)
    posts, account, more = records.to_posts(
        raw, rows, rejects, source=NAME, collected_at=ctx.collected_at, creator=ctx.creator)
    creators = pd.DataFrame({"creator": posts["creator"].drop_duplicates(),
                             "timezone": ctx.timezone or "UTC", "source": NAME})
    creators["updated_at"] = posts["collected_at"].max()
    return AdapterResult(
        source=source, adapter=NAME, records_read=len(frame) + bad, records_stored=len(posts),
        posts=posts, account_daily=account, creators=schema.conform(creators, "creators"),
        rejected=rejects.frame(),
        nulled=rejects.nulled_frame(), nulled_counts=rejects.nulled(),
        notes=notes + more,
    )


ADAPTERS = [
    Adapter(
        name=NAME,
        description="Generic post table (CSV, CSV.GZ or Parquet) with an id and a time column; "
                    "map other names with --column THEIRS=OURS",
        sniff=_sniff,
        read=_read,
    )
]
