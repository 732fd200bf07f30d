"""The personal export's Follower / Following lists, reduced to per-day counts in memory.

Handles are personal data. They are read here, replaced at once by salted HMAC-SHA256
digests (a fresh random salt per call, never stored), matched as digests, and only counts
per UTC day leave this module. Nothing here logs or returns a name.

Metrics written to ``account_daily`` (one row per creator, UTC day and metric):
``listed_followers_new`` / ``listed_following_new`` (list entries dated that day),
``follow_backs`` (accounts you followed that day who already followed you; ties count as a
follow-back), ``followed_back`` (accounts who followed you that day whom you already
followed), ``follow_backs_1d`` / ``follow_backs_7d`` (follow-backs within 24 h / 7 days of
their follow) and ``follow_back_lag_hours`` (the summed lag in whole hours, so the mean lag
is this over ``follow_backs``). A pair that follows both ways is counted exactly once, on
the day of the later follow, so mutuals = sum(follow_backs) + sum(followed_back).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

import pandas as pd

from recommender import schema
from recommender.parsing import parse_utc

METRICS = ("listed_followers_new", "listed_following_new", "follow_backs", "followed_back",
           "follow_backs_1d", "follow_backs_7d", "follow_back_lag_hours")


def _digest(salt: bytes, name: object) -> bytes | None:
    if not isinstance(name, str) or not name.strip():
        return None
    return hmac.new(salt, name.strip().lstrip("@").lower().encode(), hashlib.sha256).digest()


def _dated(salt: bytes, records: Iterable[object]) -> tuple[dict[bytes, pd.Timestamp], int]:
    """digest -> earliest follow time; and how many records had no usable name or date."""
    out: dict[bytes, pd.Timestamp] = {}
    bad = 0
    for record in records:
        if not isinstance(record, dict):
            bad += 1
            continue
        key = _digest(salt, record.get("UserName", record.get("username")))
        try:
            when = parse_utc(record.get("Date"))
        except ValueError:
            when = None
        if key is None or when is None:
            bad += 1
            continue
        stamp = pd.Timestamp(when)
        if key not in out or stamp < out[key]:
            out[key] = stamp
    return out, bad


def reduce_lists(creator: str, fans: object, following: object, source: str,
                 ) -> tuple[pd.DataFrame, list[str]]:
    """Per-day counts (canonical ``account_daily`` rows) and notes; no names survive."""
    salt = os.urandom(32)
    fan_at, bad_f = _dated(salt, fans if isinstance(fans, list) else [])
    fol_at, bad_g = _dated(salt, following if isinstance(following, list) else [])
    del salt  # the digests cannot be recomputed once this call returns
    if not fan_at and not fol_at:
        return schema.empty("account_daily"), []
    counts: dict[tuple[pd.Timestamp, str], int] = {}

    def add(when: pd.Timestamp, metric: str, value: int = 1) -> None:
        day = when.normalize()
        counts[(day, metric)] = counts.get((day, metric), 0) + value

    for when in fan_at.values():
        add(when, "listed_followers_new")
    for key, when in fol_at.items():
        add(when, "listed_following_new")
        fan_when = fan_at.get(key)
        if fan_when is None:
            continue
        if when >= fan_when:
            lag = (when - fan_when).total_seconds()
            add(when, "follow_backs")
            add(when, "follow_backs_1d", int(lag <= 86400))
            add(when, "follow_backs_7d", int(lag <= 7 * 86400))
            add(when, "follow_back_lag_hours", int(lag // 3600))
        else:
            add(fan_when, "followed_back")
    frame = pd.DataFrame([{"creator": creator, "date": day, "metric": metric, "value": value,
                           "source": source} for (day, metric), value in counts.items()])
    notes = [f"Follower/Following lists: {len(fan_at)} followers and {len(fol_at)} following "
             "reduced to per-day counts in memory (names not kept)"]
    if bad_f or bad_g:
        notes.append(f"{bad_f + bad_g} list entries without a name or date ignored")
    return schema.conform(frame, "account_daily"), notes
