"""TikTok's personal "Download your data" export (formats.md §1): JSON and the TXT variant.

Only what the model needs is read: own posts (Date, Likes, Sound, Title, WhoCanView), the
profile handle, follower/following COUNTS and likesReceived. DMs, logins, watch and search
history and comments are never touched. Follower / Following lists are handed to
``follows.reduce_lists``, which keeps only per-day counts (names hashed with a throwaway salt
in memory and matched there; no name reaches the store, logs or output).

The export carries no video id, so ``post_id`` is ``"ts:<unix seconds of Date>"`` (the store
may reconcile it with a real id, whose top 32 bits are the same second). ``collected_at``
is --collected-at, else the export moment in the signed CDN links (their ``l=`` parameter
starts with YYYYMMDDHHMMSS in UTC: on the shared 2026 file ``x-tos-expires`` is exactly that
moment + 10 days), else the file time. Posts visible only to the creator or friends get no
public reach, so they are skipped (counted in a note).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from recommender import schema
from recommender.errors import InputError
from recommender.ingest.base import Adapter, AdapterResult, IngestContext, Rejects, Source
from recommender.ingest.follows import reduce_lists
from recommender.parsing import hashtags_from_text, is_missing, parse_count, parse_utc

NAME = "tiktok-export"
TXT_NAME = "tiktok-export-txt"
JSON_NAMES = {"user_data.json", "user_data_tiktok.json"}
TXT_NAMES = {"posts.txt", "post.txt", "videos.txt"}
# Top-level sections of the three layouts (§1.2); a file starting with one is an export.
SECTIONS = {"activity", "your activity", "post", "video", "profile", "profile and settings",
            "comment", "direct message", "direct messages", "app settings", "ads and data",
            "likes and favorites", "tiktok live", "tiktok shopping", "tiktok shop",
            "your public activity", "income plus wallet transactions"}
ROOTS = ("Post", "Video", "Your Public Activity")
POSTS = (ROOTS, ("Posts", "Videos"), ("VideoList",))
DELETED = (ROOTS, ("Recently Deleted Posts", "RecentlyDeletedPosts"), ("PostList",))
PROFILE = (("Profile", "Profile And Settings"), ("Profile Info", "Profile Information"),
           ("ProfileMap",))
PEOPLE = ("Your Activity", "Activity", "Profile And Settings")
FANS = (PEOPLE, ("Follower", "Follower List"), ("FansList",))
FOLLOWING = (PEOPLE, ("Following", "Following List"), ("Following",))
ORIGINAL_SOUND = ("original sound", "som original", "sonido original", "son original",
                  "originalton")
RESTRICTED = re.compile(r"only|friend|private", re.I)  # "Only You", "Friends"
_FIRST_KEY = re.compile(r'\A\s*\{\s*"([^"]{1,60})"\s*:')
_EXPORT_STAMP = re.compile(r"\d{14}")
MISSING = object()


# --- tolerant access ---------------------------------------------------------------------

def get(obj: object, *names: str) -> object:
    """``obj[name]`` for the first of ``names`` present, keys compared case-insensitively."""
    if not isinstance(obj, dict):
        return MISSING
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return MISSING


def resolve(root: object, path: tuple[tuple[str, ...], ...]) -> object:
    """Follow ``path`` (alternatives per level); MISSING when no alternative leads there."""
    level = root
    for names in path:
        level = get(level, *names)
        if level is MISSING or level is None:
            return MISSING if level is MISSING else None
    return level


def _any_root(root: object, path: tuple[tuple[str, ...], ...]) -> object:
    """``resolve`` trying every first-level alternative (late exports keep a reduced
    "Your Activity" beside "Profile And Settings", which holds the lists)."""
    for first in path[0]:
        found = resolve(root, ((first,), *path[1:]))
        if found is not MISSING:
            return found
    return MISSING


# --- sniffing ---------------------------------------------------------------------------

def _sniff_json(source: Source, head: bytes) -> bool:
    if source.filename.lower() in JSON_NAMES:
        return True
    if source.suffix != ".json":
        return False
    match = _FIRST_KEY.match(head.decode("utf-8-sig", errors="replace"))
    return bool(match) and match.group(1).strip().lower() in SECTIONS


def _sniff_txt(source: Source, head: bytes) -> bool:
    text = head.decode("utf-8-sig", errors="replace")
    return source.filename.lower() in TXT_NAMES and "Date:" in text and bool(
        re.search(r"^(Video )?Link:|^Like\(s\):|no data in this section", text, re.M))


# --- shared post logic --------------------------------------------------------------------

def export_moment(links: Iterable[str]) -> datetime | None:
    """The latest export moment in signed CDN links (``l=YYYYMMDDHHMMSS...``, UTC)."""
    moments: list[datetime] = []
    for text in links:
        for url in str(text).split():
            values = parse_qs(urlsplit(url).query).get("l", [])
            stamp = _EXPORT_STAMP.match(values[0]) if values else None
            if stamp:
                try:
                    moments.append(datetime.strptime(stamp.group(0), "%Y%m%d%H%M%S")
                                   .replace(tzinfo=timezone.utc))
                except ValueError:
                    continue
    return max(moments) if moments else None


def sound_is_original(sound: str | None) -> bool | None:
    if sound is None:
        return None
    return sound.lower().startswith(ORIGINAL_SOUND)


def _clean_sound(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return None if text in ("", "-") or is_missing(text) else text


def _text(value: object) -> str | None:
    if value is MISSING or is_missing(value) or not isinstance(value, (str, int, float)):
        return None
    return str(value)


class _Posts:
    """Turns post records into canonical rows; every record ends stored/rejected/skipped."""

    def __init__(self, source: Source) -> None:
        self.rejects = Rejects(source)
        self.rows: list[dict[str, object]] = []
        self.links: list[str] = []
        self.restricted: Counter[str] = Counter()
        self.duplicates = 0
        self._seen: set[str] = set()

    def add(self, number: int, date: object, likes: object, sound: object = None,
            title: object = None, visibility: object = None, link: object = None) -> None:
        try:
            posted = parse_utc(date if date is not MISSING else None)
        except ValueError as exc:
            self.rejects.add(number, "Date", str(exc), date)
            return
        if posted is None:
            self.rejects.add(number, "Date", "missing upload date", None)
            return
        try:
            count = parse_count(None if likes is MISSING else likes)
        except ValueError as exc:  # the post is still identified by its time: keep it
            self.rejects.null(number, "Likes", str(exc), likes)
            count = None
        who = _text(visibility)
        if who and RESTRICTED.search(who):
            self.restricted[who] += 1
            return
        post_id = f"ts:{int(posted.timestamp())}"
        if post_id in self._seen:
            self.duplicates += 1
            return
        self._seen.add(post_id)
        if isinstance(link, str):
            self.links.append(link)
        name = _clean_sound(sound)
        caption = _text(title)
        self.rows.append({"post_id": post_id, "posted_at": posted, "caption": caption,
                          "hashtags": hashtags_from_text(caption), "sound_name": name,
                          "sound_is_original": sound_is_original(name), "likes": count})

    @property
    def skipped(self) -> int:
        return sum(self.restricted.values()) + self.duplicates

    def notes(self) -> list[str]:
        out = [f"{n} posts visible to {who!r} only skipped: no public reach"
               for who, n in sorted(self.restricted.items())]
        if self.duplicates:
            out.append(f"{self.duplicates} posts with the same upload second skipped")
        if self.rows:
            out.append("post_id is ts:<upload second>: the export has no video ids")
        return out


def _collected_at(ctx: IngestContext, source: Source, posts: _Posts) -> tuple[datetime, str]:
    if ctx.collected_at is not None:
        return ctx.collected_at.astimezone(timezone.utc), "--collected-at"
    moment = export_moment(posts.links)
    newest = max((r["posted_at"] for r in posts.rows), default=None)
    if moment is not None and (newest is None or moment >= newest):  # type: ignore[operator]
        return moment, "the export moment in the download links"
    return source.modified_at(), "the file time"


def _result(source: Source, ctx: IngestContext, adapter: str, posts: _Posts, read: int,
            creator: str, profile: dict[str, int | None], extra_skipped: int = 0,
            notes: list[str] | None = None,
            follow_days: pd.DataFrame | None = None) -> AdapterResult:
    collected, how = _collected_at(ctx, source, posts)
    frame = pd.DataFrame(posts.rows)
    if not frame.empty:
        frame["creator"], frame["collected_at"], frame["source"] = creator, collected, adapter
    account = pd.DataFrame([{"creator": creator, "date": collected, "metric": metric,
                             "value": value, "source": adapter}
                            for metric, value in profile.items() if value is not None])
    if follow_days is not None and not follow_days.empty:
        account = pd.concat([schema.conform(account, "account_daily"), follow_days],
                            ignore_index=True)
    creators = pd.DataFrame([{"creator": creator, "timezone": ctx.timezone or "UTC",
                              "updated_at": collected, "source": adapter}])
    profile_stored = int(any(value is not None for value in profile.values()))
    stored = len(posts.rows) + profile_stored
    skipped = posts.skipped + extra_skipped + int(bool(profile) and not profile_stored)
    return AdapterResult(
        source=source, adapter=adapter, records_read=read, records_stored=stored,
        skipped=skipped, posts=schema.conform(frame, "posts"),
        account_daily=schema.conform(account, "account_daily"),
        creators=schema.conform(creators, "creators"), rejected=posts.rejects.frame(),
        nulled=posts.rejects.nulled_frame(), nulled_counts=posts.rejects.nulled(),
        notes=[*posts.notes(), *(notes or []), f"counts read at {collected:%Y-%m-%d %H:%M} "
               f"UTC ({how})"],
    )


# --- JSON -------------------------------------------------------------------------------

def _load_json(source: Source) -> object:
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.name}: not UTF-8 JSON; re-download the export") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:  # some real exports carry a stray trailing comma (formats.md §1.2)
        return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
    except json.JSONDecodeError as exc:
        raise InputError(f"{source.name}: not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}); re-download the export") from exc


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _profile(data: object) -> tuple[str | None, dict[str, int | None], list[str]]:
    """(userName, counts, notes) from ProfileMap and the follower/following lists."""
    profile = resolve(data, PROFILE)
    fans, following = resolve(data, FANS), resolve(data, FOLLOWING)
    counts: dict[str, int | None] = {}
    notes: list[str] = []
    if profile is MISSING and fans is MISSING and following is MISSING:
        return None, counts, notes
    for metric, key, people in (("followers", "followerCount", fans),
                                ("following", "followingCount", following),
                                ("total_likes", "likesReceived", MISSING)):
        try:
            value = parse_count(None if (v := get(profile, key)) is MISSING else v)
        except ValueError:
            value = None
            notes.append(f"profile {key} is not a count; ignored")
        if value is None and people is not MISSING:
            value = len(_listed(people))  # null means an empty list (formats.md §1.4)
        counts[metric] = value
    name = _text(get(profile, "userName", "username"))
    return (name.strip().lstrip("@") if name else None), counts, notes


def _read_json(source: Source, ctx: IngestContext) -> AdapterResult:
    data = _load_json(source)
    if not isinstance(data, dict):
        raise InputError(f"{source.name}: not a TikTok data export (expected a JSON object)")
    videos, deleted = resolve(data, POSTS), resolve(data, DELETED)
    handle, profile, notes = _profile(data)
    if videos is MISSING and not profile:
        raise InputError(f"{source.name}: no posts or profile found; pass the "
                         "user_data_tiktok.json of a TikTok data export")
    creator = (ctx.creator or "").strip().lstrip("@") or handle
    if not creator:
        raise InputError(f"{source.name}: the export names no account (no profile userName); "
                         "pass --creator HANDLE")
    posts = _Posts(source)
    items = _listed(videos)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            posts.rejects.add(number, "VideoList", "not a post record", type(item).__name__)
            continue
        posts.add(number, get(item, "Date"), get(item, "Likes"), get(item, "Sound"),
                  get(item, "Title"), get(item, "WhoCanView"), get(item, "Link", "VideoLink"))
    gone = len(_listed(deleted))
    if gone:
        notes.append(f"{gone} recently deleted posts skipped")
    read = len(items) + gone + int(bool(profile))
    follow_days, follow_notes = reduce_lists(creator, _any_root(data, FANS),
                                             _any_root(data, FOLLOWING), NAME)
    return _result(source, ctx, NAME, posts, read, creator, profile, gone,
                   [*notes, *follow_notes], follow_days)


# --- TXT --------------------------------------------------------------------------------

def _blocks(text: str) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        fields: dict[str, str] = {}
        for line in chunk.split("\n"):
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
        if chunk.strip():
            blocks.append(fields)
    return blocks


def _txt_creator(source: Source, ctx: IngestContext) -> str:
    if ctx.creator:
        return ctx.creator.strip().lstrip("@")
    folder = (source.zip_path or source.path or Path(".")).parent
    for sibling in ctx.siblings:
        here = (sibling.zip_path or sibling.path or Path(".")).parent
        if here == folder and sibling.filename.lower() == "profile info.txt":
            text = sibling.read_bytes().decode("utf-8-sig", errors="replace")
            match = re.search(r"^\s*user\s*name\s*:\s*@?(\S+)", text, re.I | re.M)
            if match:
                return match.group(1)
    raise InputError(f"{source.name}: cannot tell whose posts these are (no Profile Info.txt "
                     "beside it); pass --creator HANDLE")


def _read_txt(source: Source, ctx: IngestContext) -> AdapterResult:
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.name}: not UTF-8 text; re-download the export") from exc
    creator = _txt_creator(source, ctx)
    posts = _Posts(source)
    blocks = [] if "no data in this section" in text.lower() else _blocks(text)
    for number, block in enumerate(blocks, start=1):
        posts.add(number, block.get("date", MISSING),
                  block.get("like(s)", block.get("likes", MISSING)),
                  link=block.get("video link", block.get("link")))
    return _result(source, ctx, TXT_NAME, posts, len(blocks), creator, {})


ADAPTERS = [
    Adapter(name=NAME, description="TikTok 'Download your data' JSON (user_data_tiktok.json, "
            "in its ZIP or alone; own posts and profile counts only)",
            sniff=_sniff_json, read=_read_json),
    Adapter(name=TXT_NAME, description="TikTok 'Download your data' TXT posts (Posts.txt / "
            "Videos.txt; pass --creator or keep Profile Info.txt beside it)",
            sniff=_sniff_txt, read=_read_txt),
]
