"""Value normalisers shared by all ingest adapters (formats.md, cross-format notes).

Every function returns ``None`` for a missing value and raises ``ValueError`` with a short
reason for a present but invalid one, so adapters can quarantine the row with that reason.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

MISSING = {"", "undefined", "n/a", "na", "none", "null", "nan", "-", "--"}
MAX_COUNT = 10**13  # more than every TikTok view ever: anything above is a parse error
_SUFFIX = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_VIDEO_ID = re.compile(r"/video/(\d+)")
_HASHTAG = re.compile(r"#([^\s#@,.!?;:\"'()\[\]{}]+)", re.UNICODE)
_MENTION = re.compile(r"@([A-Za-z0-9_.]+)")


def is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING


def parse_count(value: object) -> int | None:
    """Normalise a count: 58, "5,431", "1.234" (pt-BR), "1.2K", "3M", "undefined".

    With a K/M/B suffix the dot or comma is a decimal point; without one, dots, commas,
    spaces and apostrophes are thousands separators. Negative or absurd values raise.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not a whole number: {value!r}")
        number = int(value)
    else:
        number = _parse_count_text(str(value))
    if number < 0:
        raise ValueError(f"negative count {value!r}")
    if number > MAX_COUNT:
        raise ValueError(f"absurd count {value!r}")
    return number


def _parse_count_text(text: str) -> int:
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    lowered = raw.lower().lstrip("+")
    if lowered.startswith("-") and lowered[1:].strip().replace(",", "").replace(".", "").isdigit():
        raise ValueError(f"negative count {text!r}")
    suffix = lowered[-1:] if lowered[-1:] in _SUFFIX else ""
    body = lowered[:-1].strip() if suffix else lowered
    if suffix:
        body = body.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?", body):
            raise ValueError(f"not a count: {text!r}")
        return int(round(float(body) * _SUFFIX[suffix]))
    digits = re.sub(r"[.,' ]", "", body)
    if not digits.isdigit() or not re.fullmatch(r"\d{1,3}([.,' ]?\d{3})*|\d+", body):
        raise ValueError(f"not a count: {text!r}")
    return int(digits)


def parse_float(value: object) -> float | None:
    """A plain decimal number ("15", "15.2", 15) or a percentage ("61%" -> 0.61)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.endswith("%"):
        return float(text[:-1].replace(",", ".")) / 100.0
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def parse_epoch(value: object) -> datetime | None:
    """Unix seconds (int, float or digit string; milliseconds detected) -> aware UTC datetime."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a Unix timestamp: {value!r}") from exc
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    if not 1.2e9 <= seconds <= 4.2e9:  # 2008 .. 2103: TikTok/musical.ly era only
        raise ValueError(f"timestamp out of range: {value!r}")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def parse_utc(value: object) -> datetime | None:
    """ISO 8601 / "YYYY-MM-DD HH:MM:SS" (naive means UTC) or Unix seconds -> aware UTC."""
    if is_missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_epoch(value)
    text = str(value).strip()
    if text.isdigit():
        return parse_epoch(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def video_id_from_url(url: object) -> str | None:
    """The numeric video id in a tiktok.com/@user/video/<id> link, else None."""
    if not isinstance(url, str):
        return None
    match = _VIDEO_ID.search(url)
    return match.group(1) if match else None


def time_from_video_id(video_id: str | int) -> datetime:
    """A video id's top 32 bits are its Unix creation second (formats.md §1.3)."""
    return datetime.fromtimestamp(int(video_id) >> 32, tz=timezone.utc)


def normalise_hashtag(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    tag = name.strip().lstrip("#").strip().lower()
    return tag or None


def hashtags_from_text(text: object) -> list[str]:
    """Hashtags written in a caption, lower-case, without '#', first occurrence order."""
    if not isinstance(text, str):
        return []
    return unique([t.lower() for t in _HASHTAG.findall(text)])


def mentions_from_text(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return unique(_MENTION.findall(text))


def unique(items: list[str]) -> list[str]:
    """Drop duplicates and empties, keep first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def clip(value: object, limit: int = 80) -> str:
    """A short, single-line rendering of a bad value for the quarantine file."""
    text = repr(value) if not isinstance(value, str) else value
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
