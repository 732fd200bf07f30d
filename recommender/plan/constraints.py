"""Scheduling constraints and the slot grid: which hours a creator may post at, and the
check that a schedule keeps every rule.

Slots are whole local hours (the creator's own time zone) from ``--from`` 00:00 to the end of
``--to`` (both dates inclusive). A day is a local calendar day; a week is a block of 7 local
days counted from ``--from`` (so a two-week window has weeks 0 and 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.errors import UsageError

NS_PER_HOUR = 3_600 * 10**9
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Constraints:
    start: str  # first local date (YYYY-MM-DD), inclusive
    end: str  # last local date, inclusive
    per_week: int | None = None
    per_day: int | None = None
    min_gap_h: float = 0.0
    not_before: int = 0  # first allowed local hour
    not_after: int = 23  # last allowed local hour (inclusive)
    exclude_weekdays: tuple[int, ...] = ()  # 0 = Monday

    def __post_init__(self) -> None:
        try:
            first, last = pd.Timestamp(self.start), pd.Timestamp(self.end)
        except ValueError as exc:
            raise UsageError(f"--from/--to: not a date ({exc}); use YYYY-MM-DD") from exc
        if last < first:
            raise UsageError(f"--to {self.end} is before --from {self.start}; swap them")
        if (last - first).days > 92:
            raise UsageError("--from/--to span more than 92 days; plan a quarter at most")
        if self.per_week is not None and self.per_day is not None:
            raise UsageError("give --per-week or --per-day, not both")
        for name, cap in (("--per-week", self.per_week), ("--per-day", self.per_day)):
            if cap is not None and cap < 1:
                raise UsageError(f"{name} must be at least 1")
        if not 0 <= self.not_before <= self.not_after <= 23:
            raise UsageError("--not-before/--not-after: hours 0-23 with not-before <= "
                             "not-after")
        if self.min_gap_h < 0:
            raise UsageError("--min-gap must not be negative")

    @property
    def days(self) -> int:
        return (pd.Timestamp(self.end) - pd.Timestamp(self.start)).days + 1

    def describe(self) -> dict[str, object]:
        return {"from": self.start, "to": self.end, "per_week": self.per_week,
                "per_day": self.per_day, "min_gap_hours": self.min_gap_h,
                "not_before": self.not_before, "not_after": self.not_after,
                "exclude_weekdays": [WEEKDAYS[d] for d in self.exclude_weekdays]}


def parse_gap(text: str) -> float:
    """'6h', '90m', '1.5h', '0' -> hours."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hm]?)\s*", text.lower())
    if match is None:
        raise UsageError(f"--min-gap {text!r}: give hours or minutes, e.g. 6h or 90m")
    value = float(match.group(1))
    return value / 60.0 if match.group(2) == "m" else value


def parse_weekdays(text: str | None) -> tuple[int, ...]:
    """'sat,sun' or '5,6' (0 = Monday) -> (5, 6)."""
    if not text:
        return ()
    out = []
    for part in re.split(r"[\s,;]+", text.strip().lower()):
        if not part:
            continue
        if part.isdigit() and int(part) < 7:
            out.append(int(part))
        elif part[:3] in WEEKDAYS:
            out.append(WEEKDAYS.index(part[:3]))
        else:
            raise UsageError(f"--exclude-weekdays {part!r}: use mon..sun or 0..6 (0 = Monday)")
    return tuple(sorted(set(out)))


@dataclass
class Grid:
    """One creator's allowed slots: UTC nanoseconds, and per slot its local day and week."""

    zone: str
    t: np.ndarray  # int64 UTC ns, ascending
    day: np.ndarray  # local day index from --from
    week: np.ndarray  # day // 7
    local: pd.DatetimeIndex  # tz-aware local times


def window_ns(constraints: Constraints, zone: str) -> tuple[int, int]:
    """[start, end) of the planning window in UTC ns for a creator in ``zone``."""
    first = pd.Timestamp(constraints.start).tz_localize(zone, nonexistent="shift_forward")
    last = (pd.Timestamp(constraints.end) + pd.Timedelta(days=1)).tz_localize(
        zone, nonexistent="shift_forward")
    return int(first.value), int(last.value)


def slot_grid(constraints: Constraints, zone: str) -> Grid:
    lo, hi = window_ns(constraints, zone)
    utc = pd.date_range(pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC"),
                        freq="h", inclusive="left")
    local = utc.tz_convert(zone)
    # Whole local hours only (a half-hour zone's slots fall on its own :00).
    local = local.floor("h", ambiguous="NaT", nonexistent="NaT")
    local = pd.DatetimeIndex(local[~local.isna()]).unique()
    day = _local_day(local, constraints)
    keep = ((local.hour >= constraints.not_before) & (local.hour <= constraints.not_after)
            & ~np.isin(local.day_of_week, constraints.exclude_weekdays)
            & (local.asi8 >= lo) & (local.asi8 < hi))
    local = local[keep]
    day = day[keep]
    return Grid(zone=zone, t=local.asi8.astype(np.int64), day=day, week=day // 7, local=local)


def _local_day(local: pd.DatetimeIndex, constraints: Constraints) -> np.ndarray:
    wall = local.tz_localize(None).normalize()
    return ((wall - pd.Timestamp(constraints.start)).days).to_numpy(dtype=np.int64)


def periods(t_ns: np.ndarray, constraints: Constraints, zone: str) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Local day and week index (from --from) of UTC times ``t_ns``."""
    local = pd.DatetimeIndex(pd.to_datetime(np.asarray(t_ns, dtype=np.int64), utc=True)
                             ).tz_convert(zone)
    day = _local_day(local, constraints)
    return day, day // 7


def violations(t_ns: np.ndarray, pinned: np.ndarray, prior_ns: np.ndarray,
               constraints: Constraints, zone: str) -> list[str]:
    """Every rule a creator's schedule breaks (times ``t_ns``; ``pinned`` marks the agency's
    fixed rows, which are exempt from the slot rules but count for gaps and caps).
    ``prior_ns``: the creator's stored posts (gaps to them count too)."""
    problems: list[str] = []
    t = np.asarray(t_ns, dtype=np.int64)
    free = t[~np.asarray(pinned, dtype=bool)]
    grid = slot_grid(constraints, zone)
    off = ~np.isin(free, grid.t)
    if off.any():
        problems.append(f"{int(off.sum())} post(s) outside the allowed slots")
    if len(np.unique(t)) < len(t):
        problems.append("two posts in the same slot")
    gap = constraints.min_gap_h * NS_PER_HOUR
    if gap > 0 and len(free):
        everything = np.sort(np.concatenate([t, np.asarray(prior_ns, dtype=np.int64)]))
        for x in free:
            others = everything[everything != x]
            if len(others) and np.min(np.abs(others - x)) < gap:
                problems.append(f"a post within {constraints.min_gap_h:g} h of another")
                break
    day, week = periods(t, constraints, zone)
    free_mask = ~np.asarray(pinned, dtype=bool)
    for cap, index, name in ((constraints.per_day, day, "day"),
                             (constraints.per_week, week, "week")):
        if cap is None or not len(index):
            continue
        # A period the agency's pinned rows alone overfill is their choice, not a breach.
        values, counts = np.unique(index, return_counts=True)
        over = values[counts > cap]
        if np.isin(index[free_mask], over).any():
            problems.append(f"more than {cap} post(s) in a {name}")
    return problems
