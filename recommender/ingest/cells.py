"""Cell shapes real exports write, read column-wise (see the README's ingest section).

Each reader takes one raw column and returns the parsed column plus a mask of cells that
were present but unreadable; the caller nulls those cells and counts them (records.Checked)
instead of rejecting the post.

- durations: seconds (``15``, ``15.2``), ``mm:ss`` (``00:15``), ``h:mm:ss`` (``1:02:03``),
  ``15s`` / ``1m 5s``;
- counts: TikTok shows the word instead of the number when a count is 0 ("Share", "Like",
  "Comment", "Save", also "Favorites"), and scrapers copy it: the placeholder of the
  column's own kind reads as 0;
- hashtag cells: JSON lists, Python list literals (``['tagi', 'steuern']``), ``#a #b``,
  ``#a#b``, ``a, b``, ``a|b``, ``a b``; a cell starting with ``[`` that is neither JSON nor
  a literal is read as joined text;
- ids that are not numeric TikTok ids (``VIDEO000123``, a UUID) get a stable hash id
  ``x`` + 16 hex digits of SHA-256 of the id, so the same file ingests to the same keys.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from recommender.parsing import normalise_hashtag, unique

MAX_DURATION_S = 4 * 3600.0  # TikTok uploads are at most 60 min; above 4 h is a parse error
MAX_NAME = 100  # characters in a handle or a sound id (TikTok handles: 24)
MAX_SOUND_NAME = 500  # real sound titles list every featured artist: 130+ characters seen
MAX_CAPTION = 10_000  # TikTok captions: 4,000 characters
PLACEHOLDERS = {
    "likes": {"like", "likes"},
    "comments": {"comment", "comments"},
    "shares": {"share", "shares"},
    "saves": {"save", "saves", "favorite", "favorites", "favourite", "favourites"},
}
_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,3}):(\d{1,2}(?:\.\d+)?)")
_UNITS = re.compile(r"(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?")
_SPLIT = re.compile(r"[|,;\s#]+")


def latest_time() -> pd.Timestamp:
    """The newest date a stored record may carry: now plus a day (clock and zone slack)."""
    return pd.Timestamp(datetime.now(timezone.utc) + timedelta(days=1))


def durations(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Seconds as float64 (NaN where absent or unreadable) and the unreadable mask."""
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    todo = np.flatnonzero(number.isna().to_numpy() & values.notna().to_numpy())
    bad = np.zeros(len(values), dtype=bool)
    for i in todo:
        seconds = _duration_text(values.iloc[i])
        if seconds is None:
            bad[i] = True
        else:
            number.iloc[i] = seconds
    finite = np.isfinite(number.to_numpy(dtype="float64", na_value=np.nan))
    insane = number.notna().to_numpy() & (~finite | (number > MAX_DURATION_S).to_numpy()
                                          | (number < 0).to_numpy())
    return number.mask(insane), bad | insane


def _duration_text(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if match := _CLOCK.fullmatch(text):
        hours, minutes, seconds = match.groups()
        if float(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            return None
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    match = _UNITS.fullmatch(text)
    if match and any(match.groups()):
        hours, minutes, seconds = match.groups()
        return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    return None


def placeholder_zero(values: pd.Series, name: str) -> np.ndarray:
    """Cells holding the UI word TikTok shows for a zero count of this column."""
    words = PLACEHOLDERS.get(name)
    if not words or values.dtype != object and not pd.api.types.is_string_dtype(values):
        return np.zeros(len(values), dtype=bool)
    lowered = values.astype("string").str.strip().str.lower()
    return lowered.isin(words).fillna(False).to_numpy(dtype=bool)


def tag_cell(value: object) -> list[str] | None | bool:
    """A tag list, None when absent, False when the value cannot be a tag list."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return _tag_text(value.strip())
    if isinstance(value, (tuple, np.ndarray)):  # list columns read back from Parquet
        value = list(value)
    if not isinstance(value, list):
        return False
    if all(isinstance(v, str) for v in value):  # the common case, kept fast
        return unique([t for v in value if (t := v.strip().lstrip("#").strip().lower())])
    names = [_tag_name(v) for v in value]
    return unique([t for n in names if (t := normalise_hashtag(n))])


def _tag_text(text: str) -> list[str] | bool:
    if text.startswith("["):
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, (list, tuple)):
                return tag_cell(list(parsed))  # type: ignore[return-value]
        text = re.sub(r"[\[\]'\"]", " ", text)  # "[a, 'b" : joined text after all
    return unique([t for p in _SPLIT.split(text) if (t := normalise_hashtag(p))])


def _tag_name(entry: object) -> object:
    if isinstance(entry, dict):
        return entry.get("name") or entry.get("title") or entry.get("hashtagName")
    return entry if isinstance(entry, str) else None


def hashed_id(raw: str) -> str:
    """A stable id for a post whose id is not a numeric TikTok id."""
    return "x" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean_text(values: pd.Series) -> pd.Series:
    """Text without NUL and other C0 control characters (tab and newline kept)."""
    return values.str.replace(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", regex=True)
