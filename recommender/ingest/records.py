"""Column-wise validation shared by the api, scraper and generic adapters.

Each adapter first gathers every record's raw values into a frame whose columns carry
canonical names (``RAW_FIELDS``), either from JSON items (``from_items``, following a spec
of ``/``-separated paths) or from a flat table (``from_flat``: Apify's ``authorMeta/fans``
or ``authorMeta.fans`` columns); both live in gather.py. ``to_posts`` then checks and
converts whole columns at once, so a million rows take seconds.

The rule: a record is rejected (file, 1-based record number, field, reason) only when what
identifies it is unusable: its id, its creator or its upload time. Any other bad cell is
emptied and the record kept; ``Checked.null`` counts it per field and puts the raw value in
the quarantine file ("kept, field nulled: ...").

Rules worth knowing:
- A missing or unreadable ``posted_at`` is taken from the video id (its top 32 bits are
  the upload second); an id that is not a numeric TikTok id gets a stable hash id.
- ``duration_s`` of 0 or a slideshow flag means "no video length": stored as null.
- ``sound_id`` "0" means "no music" (clockworks): stored as null.
- An unreadable true/false flag (``sound_is_original``) is left empty, not a rejection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from recommender import schema
from recommender.ingest import cells
from recommender.ingest.base import Rejects
from recommender.ingest.gather import Spec, flat_key, from_flat, from_items  # noqa: F401
from recommender.parsing import (
    MAX_COUNT,
    MISSING,
    clip,
    hashtags_from_text,
    parse_count,
    parse_utc,
)

COUNT_FIELDS = ("views", "likes", "comments", "shares", "saves", "followers_at_post",
                "following_at_post", "total_likes", "total_videos")
RAW_FIELDS = ("post_id", "url", "posted_at", "creator", "caption", "hashtags", "sound_id",
              "sound_name", "sound_is_original", "duration_s", "is_slideshow",
              *COUNT_FIELDS, "collected_at")
# Profile counts that become account_daily rows (metric name per raw field).
ACCOUNT_METRICS = {"followers_at_post": "followers", "following_at_post": "following",
                   "total_likes": "total_likes", "total_videos": "total_videos"}
_EPOCH_MIN = 1.2e9  # 2008; the newest allowed time is cells.latest_time()
_ID = re.compile(r"\d{1,25}")
_URL_ID = r"/video/(\d+)"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


@dataclass
class Checked:
    """Book-keeping while columns are validated: which rows are still good."""

    rows: np.ndarray  # 1-based record number of each frame row
    rejects: Rejects
    ok: np.ndarray = field(init=False)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ok = np.ones(len(self.rows), dtype=bool)

    def reject(self, mask: Iterable[bool], name: str, reason: str | pd.Series,
               values: pd.Series) -> None:
        """Reject every still-good row where ``mask`` holds; the first failing field wins."""
        hit = np.asarray(mask, dtype=bool) & self.ok
        for i in np.flatnonzero(hit):
            why = reason if isinstance(reason, str) else str(reason.iloc[i])
            self.rejects.add(int(self.rows[i]), name, why, values.iloc[i])
        self.ok &= ~hit

    def null(self, mask: Iterable[bool], name: str, reason: str | pd.Series,
             values: pd.Series) -> np.ndarray:
        """Null a bad optional cell of every still-good row: kept, counted, quarantined."""
        hit = np.asarray(mask, dtype=bool) & self.ok
        for i in np.flatnonzero(hit):
            why = reason if isinstance(reason, str) else str(reason.iloc[i])
            self.rejects.null(int(self.rows[i]), name, why, values.iloc[i])
        return np.asarray(mask, dtype=bool)


# -- column checks ---------------------------------------------------------------------------

def missing(values: pd.Series) -> np.ndarray:
    text = values.astype("string") if values.dtype == object else values
    if not (pd.api.types.is_string_dtype(text) or text.dtype == object):
        return values.isna().to_numpy()
    lowered = text.str.strip().str.lower()
    return (values.isna() | lowered.isin(MISSING).fillna(True)).to_numpy(dtype=bool)


def _kinds(values: pd.Series, *bad: type) -> np.ndarray:
    """Rows holding a value of a type that cannot be that field (only for object columns)."""
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    return values.map(lambda v: isinstance(v, bad)).to_numpy(dtype=bool)


def text(values: pd.Series | None, name: str, check: Checked, *, required: bool = False,
         limit: int | None = cells.MAX_NAME) -> pd.Series:
    """Scalar text, stripped, control characters removed; nested objects and overlong text
    are nulled (rejecting the record instead when the field identifies it)."""
    if values is None:
        return pd.Series(pd.NA, index=range(len(check.rows)), dtype="string")
    act = check.reject if required else check.null
    nested = _kinds(values, dict, list, bool)
    act(nested, name, f"{name} is not text", values)
    out = cells.clean_text(values.where(~nested).astype("string")).str.strip()
    out = out.mask(pd.Series(missing(out), index=out.index))
    if limit is not None:
        long = (out.str.len() > limit).fillna(False).to_numpy(dtype=bool)
        act(long, name, f"{name} is longer than {limit} characters", values)
        out = out.mask(pd.Series(long, index=out.index))
    return out


def counts(values: pd.Series | None, name: str, check: Checked) -> pd.Series:
    """Non-negative whole numbers; "5,431" / "1.2K" go through parsing.parse_count, the UI
    placeholder of a zero count ("Share") reads 0; anything else unreadable is nulled."""
    if values is None:
        return pd.Series(pd.NA, index=range(len(check.rows)), dtype="Int64")
    absent = missing(values)
    wrong = _kinds(values, bool, dict, list)
    number = pd.to_numeric(values.where(~wrong), errors="coerce").astype("float64")
    odd = number.isna().to_numpy() & ~absent & ~wrong
    zero = np.zeros(len(values), dtype=bool)
    if odd.any():  # only odd spellings are looked at twice
        zero[odd] = cells.placeholder_zero(values[odd], name)
        number[zero] = 0.0
    slow = np.flatnonzero(number.isna().to_numpy() & ~absent & ~wrong)
    reasons = pd.Series("", index=values.index, dtype=object)
    for i in slow:  # only odd spellings take the per-value path
        try:
            parsed = parse_count(values.iloc[i])
            number.iloc[i] = np.nan if parsed is None else float(parsed)
        except ValueError as exc:
            reasons.iloc[i] = f"{name}: {exc}"
    if zero.any():
        check.notes.append(f"{int(zero.sum())} {name} cells hold TikTok's zero placeholder "
                           f"({values[zero].iloc[0]!r}): read as 0")
    check.null(wrong, name, f"{name} is not a count", values)
    check.null(reasons.to_numpy() != "", name, reasons, values)
    finite = np.isfinite(number.to_numpy(dtype="float64", na_value=0.0))
    check.null(~finite, name, f"{name} is not a finite number", values)
    fraction = (number.notna() & (number % 1 != 0)).to_numpy() & finite
    check.null(fraction, name, f"{name} is not a whole number", values)
    # A negative profile count is an int32 overflow in the scraper (2^31 and up wrap).
    check.null((number < 0).to_numpy(), name, f"{name} is negative", values)
    check.null((number > MAX_COUNT).to_numpy() & finite, name,
               f"{name} is implausibly large", values)
    good = number.between(0, MAX_COUNT) & pd.Series(~fraction, index=number.index)
    return number.where(good).round().astype("Int64")


def times(values: pd.Series | None, name: str, check: Checked, *,
          required: bool = True) -> pd.Series:
    """Unix seconds / milliseconds (numbers or digit strings) or ISO 8601; naive means UTC.

    Dates before 2008 or after now + 1 day are out of range. A bad cell rejects the record
    when ``required``; otherwise it is nulled and counted.
    """
    out = pd.Series(pd.NaT, index=range(len(check.rows)), dtype="datetime64[ns, UTC]")
    if values is None:
        return out
    act = check.reject if required else check.null
    if pd.api.types.is_datetime64_any_dtype(values):  # Parquet timestamps; naive means UTC
        stamps = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
        values = stamps.dt.tz_convert("UTC").astype(object).where(stamps.notna(), None)
        values = values.map(lambda t: t.isoformat() if t is not None else None)
    values = values.reset_index(drop=True)
    absent = missing(values)
    wrong = _kinds(values, bool, dict, list)
    number = pd.to_numeric(values.where(~wrong), errors="coerce").astype("float64")
    number = number.where(~np.isfinite(number) | (number < 1e11), number / 1000.0)
    epoch = (number.notna() & np.isfinite(number)).to_numpy()
    out[epoch] = pd.to_datetime(number[epoch].clip(0, 5e9), unit="s", utc=True)
    textual = ~epoch & ~absent & ~wrong
    if textual.any():
        parsed = pd.to_datetime(values[textual].astype(str), utc=True, errors="coerce",
                                format="ISO8601")
        if parsed.dt.tz is None:  # all unparseable: pandas returns a naive NaT column
            parsed = parsed.dt.tz_localize("UTC")
        parsed.index = out.index[textual]
        # Year 0 or 9999 parse fine but do not fit nanoseconds; clipping keeps them "out of
        # range" for the check below instead of crashing the cast.
        parsed = parsed.clip(lower=pd.Timestamp("1900-01-01", tz="UTC"),
                             upper=pd.Timestamp("2200-01-01", tz="UTC"))
        out = pd.concat([out[~textual], parsed.astype(out.dtype)]).sort_index()
    act(wrong, name, f"{name} is not a date-time", values)
    unparsed = textual & out.isna().to_numpy()
    reasons = pd.Series("", index=values.index, dtype=object)
    for i in np.flatnonzero(unparsed & check.ok):
        reasons.iloc[i] = f"{name}: {_time_reason(values.iloc[i])}"
    act(unparsed, name, reasons, values)
    seconds = (out - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    latest = (cells.latest_time() - pd.Timestamp(0, tz="UTC")).total_seconds()
    outside = out.notna().to_numpy() & ((seconds < _EPOCH_MIN) | (seconds > latest))
    act(outside, name, f"{name} is out of range (before 2008 or in the future)", values)
    return out.mask(pd.Series(outside | unparsed | wrong, index=out.index))


def _time_reason(value: object) -> str:
    try:
        parse_utc(value)
    except ValueError as exc:
        return str(exc)
    return f"not a date-time: {value!r}"


def ids(values: pd.Series | None, urls: pd.Series | None, check: Checked) -> pd.Series:
    """Video ids as exact strings; JSON integers stay exact, floats have lost digits.

    An id that is not a numeric TikTok id (``VIDEO000123``) gets a stable hash id.
    """
    n = len(check.rows)
    raw = values if values is not None else pd.Series([None] * n, dtype=object)
    raw = raw.reset_index(drop=True)
    floats = _kinds(raw, float) & ~raw.isna().to_numpy()
    check.reject(floats, "post_id", "post_id is a decimal number that has lost digits; "
                 "export ids as text or JSON integers", raw)
    check.reject(_kinds(raw, bool, dict, list), "post_id", "post_id is not an id", raw)
    out = text(raw.where(~floats), "post_id", check, required=True, limit=200)
    if urls is not None:  # fill missing ids from the video link
        from_url = urls.reset_index(drop=True).astype("string").str.extract(
            _URL_ID, expand=False)
        out = out.fillna(from_url)
    absent = out.isna().to_numpy()
    check.reject(absent, "post_id", "no video id (and no video link to take it from)", raw)
    foreign = ~absent & ~out.fillna("0").str.fullmatch(_ID).to_numpy(dtype=bool) & check.ok
    if foreign.any():
        out.loc[foreign] = [cells.hashed_id(v) for v in out[foreign]]
        check.notes.append(f"{int(foreign.sum())} ids are not numeric TikTok video ids "
                           f"(e.g. {clip(raw[foreign].iloc[0], 40)!r}): stored under a stable "
                           "hash id 'x' + 16 hex digits")
    return out


def hashtags(values: pd.Series | None, captions: pd.Series, check: Checked) -> pd.Series:
    """Lists of lower-case names; a missing or unreadable list falls back to the caption's
    #tags (the unreadable cell counted)."""
    raw = values if values is not None else pd.Series([None] * len(captions), dtype=object)
    parsed = [cells.tag_cell(v) for v in raw]
    bad = np.array([p is False for p in parsed], dtype=bool)
    check.null(bad, "hashtags", "hashtags is neither a list nor a joined string",
               raw.reset_index(drop=True))
    lists = [p if isinstance(p, list) else hashtags_from_text(c if isinstance(c, str) else None)
             for p, c in zip(parsed, captions.astype(object).where(captions.notna(), None))]
    too_long = np.array([sum(map(len, t)) > cells.MAX_CAPTION for t in lists], dtype=bool)
    check.null(too_long, "hashtags", "hashtags are longer than a caption can be",
               raw.reset_index(drop=True))
    return pd.Series([[] if x else t for t, x in zip(lists, too_long)], dtype=object)


def flags(values: pd.Series | None, n: int) -> pd.Series:
    """true/false in any spelling; a non-empty list (slideshow images) counts as true."""
    if values is None:
        return pd.Series(pd.NA, index=range(n), dtype="boolean")
    if values.dtype == object:  # JSON: real booleans, lists, numbers
        return pd.Series([_flag(v) for v in values], dtype="boolean")
    lowered = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[lowered.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    out[lowered.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    return out.reset_index(drop=True)


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    return None


def durations(values: pd.Series | None, slideshow: pd.Series, check: Checked) -> pd.Series:
    """Seconds, ``mm:ss`` or ``h:mm:ss``; unreadable or impossible lengths are nulled."""
    if values is None:
        return pd.Series(pd.NA, index=range(len(check.rows)), dtype="Float64")
    values = values.reset_index(drop=True)
    absent = missing(values)
    wrong = _kinds(values, bool, dict, list)
    number, bad = cells.durations(values.where(~wrong & ~absent))
    check.null(wrong | bad, "duration_s", f"duration_s is not a length between 0 and "
               f"{cells.MAX_DURATION_S:.0f} seconds", values)
    no_length = (number <= 0) | slideshow.fillna(False).to_numpy(dtype=bool)
    if no_length.any():
        check.notes.append(f"{int(no_length.sum())} slideshows or zero-length posts: "
                           "duration left empty")
    return number.mask(no_length).astype("Float64")


# -- assembling ------------------------------------------------------------------------------

def to_posts(raw: pd.DataFrame, rows: np.ndarray, rejects: Rejects, *, source: str,
             collected_at: datetime | None, creator: str | None = None
             ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Validate ``raw`` (RAW_FIELDS columns) -> canonical posts, account_daily rows, notes.

    ``creator`` fills records without a creator; ``collected_at`` fills records without one
    (None: the latest upload time among the good records).
    """
    raw = raw.reset_index(drop=True)
    check = Checked(rows=np.asarray(rows), rejects=rejects)
    col = raw.get
    out = pd.DataFrame(index=raw.index)
    out["post_id"] = ids(col("post_id"), col("url"), check)
    out["posted_at"] = times(col("posted_at"), "posted_at", check, required=False)
    _posted_from_id(out, check)
    out["creator"] = text(col("creator"), "creator", check, required=True).str.lstrip("@")
    if creator:
        out["creator"] = out["creator"].fillna(creator)
    check.reject(out["creator"].isna().to_numpy(), "creator",
                 "no creator handle; pass --creator", out["creator"])
    out["caption"] = text(col("caption"), "caption", check, limit=cells.MAX_CAPTION)
    out["hashtags"] = hashtags(col("hashtags"), out["caption"], check)
    sound = text(col("sound_id"), "sound_id", check)
    out["sound_id"] = sound.mask(sound == "0")
    out["sound_name"] = text(col("sound_name"), "sound_name", check, limit=cells.MAX_SOUND_NAME)
    out["sound_is_original"] = flags(col("sound_is_original"), len(raw))
    out["duration_s"] = durations(col("duration_s"), flags(col("is_slideshow"), len(raw)), check)
    for name in COUNT_FIELDS:
        out[name] = counts(col(name), name, check)
    stamps = times(col("collected_at"), "collected_at", check, required=False)
    early = check.null((stamps < out["posted_at"]).fillna(False).to_numpy(), "collected_at",
                       "collected_at is before posted_at", stamps)
    stamps = stamps.mask(pd.Series(early, index=stamps.index))
    default = collected_at or out.loc[check.ok, "posted_at"].max()
    out["collected_at"] = stamps.fillna(pd.Timestamp(default) if pd.notna(default) else pd.NaT)
    check.reject((out["collected_at"] < out["posted_at"]).to_numpy(), "collected_at",
                 "collected_at is before posted_at; check --collected-at", out["collected_at"])
    out["source"] = source
    kept = out[check.ok]
    return (schema.conform(kept, "posts"), account_rows(kept, source), check.notes)


def _posted_from_id(out: pd.DataFrame, check: Checked) -> None:
    """No usable upload time but a numeric id: its top 32 bits are the upload second.

    A post whose time is neither in its cell nor in its id is rejected: its time identifies
    it. The reason is the cell's own where the cell was present but unreadable.
    """
    numeric = out["post_id"].fillna("").str.fullmatch(_ID).to_numpy(dtype=bool)
    need = (out["posted_at"].isna().to_numpy() & numeric & check.ok)
    seconds = np.zeros(len(out), dtype="float64")
    seconds[need] = [int(v) >> 32 for v in out.loc[need, "post_id"]]
    latest = (cells.latest_time() - pd.Timestamp(0, tz="UTC")).total_seconds()
    usable = need & (seconds >= _EPOCH_MIN) & (seconds <= latest)
    if usable.any():
        out.loc[usable, "posted_at"] = pd.to_datetime(seconds[usable], unit="s", utc=True)
        check.notes.append(f"{int(usable.sum())} posts without a usable upload time: taken "
                           "from the video id")
        check.rejects.unnull(check.rows[usable], "posted_at")
    still = out["posted_at"].isna().to_numpy() & check.ok
    for i in np.flatnonzero(still):
        row = int(check.rows[i])
        why = check.rejects.null_reason(row, "posted_at")
        check.rejects.add(row, "posted_at", why or "no upload time (and the video id holds none)",
                          out["post_id"].iloc[i] if why is None else check.rejects.null_value(
                              row, "posted_at"))
    check.ok &= ~still


def account_rows(posts: pd.DataFrame, source: str) -> pd.DataFrame:
    """Profile counts seen on posts -> one account_daily row per creator, moment and metric.

    When a creator's rows disagree for the same moment, the largest value wins (profile
    totals read later in a scrape are the larger ones).
    """
    present = [f for f in ACCOUNT_METRICS if f in posts and posts[f].notna().any()]
    if not present:
        return schema.empty("account_daily")
    long = posts[["creator", "collected_at", *present]].melt(
        id_vars=["creator", "collected_at"], var_name="metric", value_name="value"
    ).dropna(subset=["value"])
    long["metric"] = long["metric"].map(ACCOUNT_METRICS)
    best = long.groupby(["creator", "collected_at", "metric"], as_index=False)["value"].max()
    best = best.rename(columns={"collected_at": "date"})
    best["source"] = source
    return schema.conform(best, "account_daily")

