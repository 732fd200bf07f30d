"""The schedule as an iCalendar file (RFC 5545) via the ``icalendar`` library: one event per
post, in the creator's own time zone (a VTIMEZONE per zone, so Google Calendar and Outlook
show the right hour), with the caption, hashtags, sound and prediction in the description."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

EVENT_MINUTES = 15


def write_ics(rows: pd.DataFrame, path: str | Path) -> None:
    """``rows``: the schedule (``planned_at`` with offset, ``timezone``, the draft's columns)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//recommender//plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    stamp = pd.Timestamp.now(tz="UTC").floor("s").to_pydatetime()
    for _, row in rows.iterrows():
        zone = ZoneInfo(str(row["timezone"]))
        start = pd.Timestamp(row["planned_at"]).tz_convert(zone).to_pydatetime()
        event = Event()
        key = f"{row['creator']}|{row.get('pool_row', '')}|{row['planned_at']}"
        event.add("uid", hashlib.sha1(key.encode()).hexdigest()[:20] + "@recommender-plan")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
        caption = _text(row.get("caption"))
        event.add("summary", f"{row['creator']}: {caption[:60] or 'post'}")
        event.add("description", "\n".join([
            f"Caption: {caption}",
            f"Hashtags: {_text(row.get('hashtags'))}",
            f"Sound: {_text(row.get('sound')) or 'original'}",
            f"Predicted engagement: {row['predicted']:,.1f} (80% interval {row['low']:,.1f}"
            f" - {row['high']:,.1f})",
            f"Why here: {row['why_here']}",
        ]))
        cal.add_component(event)
    cal.add_missing_timezones()
    Path(path).write_bytes(cal.to_ical())


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
