"""Follower jumps not explained by views, and follow-for-follow periods (whole panel at once).

Unexplained jumps. Followers trail the views that bring them by up to a day, so the day's
reach is ``x = max(views today, views yesterday)`` (engagement when no views are stored). Per
creator, a day's expected gain is the usual (median) gain, plus ``r`` times its reach above
the usual (median) reach, plus the accounts the creator followed that day (each could be a
follow-back). ``r`` is the upper quartile of gain per unit of reach over ordinary days (jump
days left out), a generous rate: net gains carry unfollows, so a plain ratio would
understate what extra views bring, and a gain called unexplained must be so even at a good
day's rate. The excess over that is scored
against the creator's robust spread, ``1.4826 * MAD`` of the excesses (floored at the
Poisson noise ``sqrt(median gain)`` and at 1 follower). A day is

- a **jump** when its gain is more than ``JUMP_Z`` robust spreads above the median gain;
- **suspicious** (bought or bot followers) when its excess is over ``EXCESS_Z`` spreads AND
  the gain is over ``EXCESS_RATIO`` times both the expected and the usual gain: followers
  arrived that the day's views cannot account for.
A jump with views to match (an organic viral day) is listed, not flagged.

Follow-for-follow. A day is a *mass-follow* day when the creator's following rose by more
than ``max(FOLLOW_FLOOR, median + FOLLOW_Z * MAD)`` of their own daily follows; a period is a
run where at least 4 of the 7 days centred on each day are mass-follow days, merged across
gaps of up to 3 days, at least 7 days long.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

JUMP_Z = 5.0
EXCESS_Z = 6.0
EXCESS_RATIO = 2.5
MIN_DAYS = 14
FOLLOW_FLOOR = 10.0
FOLLOW_Z = 6.0
MIN_PERIOD_DAYS = 7


def _mad(frame: pd.DataFrame, value: str, by: pd.Series) -> pd.Series:
    median = frame.groupby(by)[value].transform("median")
    dev = (frame[value] - median).abs()
    return 1.4826 * dev.groupby(by).transform("median")


def score_days(panel: pd.DataFrame) -> pd.DataFrame:
    """Per-day columns added to ``panel``: reach, expected, excess, z scores, flags."""
    out = panel.copy()
    by = out["creator"]
    reach = np.fmax(out["views"], out["views_prev"])
    fallback = np.fmax(out["engagement"], out["engagement"].groupby(by).shift())
    out["reach"] = reach.where(out["views"].notna(), fallback)
    usable = out["gain"].notna() & out["reach"].notna()
    out["usable"] = usable
    gain = out["gain"].where(usable)
    med_gain = gain.groupby(by).transform("median")
    med_reach = out["reach"].where(usable).groupby(by).transform("median")
    floor = np.maximum(np.sqrt(med_gain.clip(lower=0).fillna(0)), 1.0)
    out["gain_scale"] = np.maximum(_mad(out.assign(g=gain), "g", by).fillna(0), floor)
    out["gain_z"] = (gain - med_gain) / out["gain_scale"]
    # Marginal conversion over ordinary days (jump days left out, so one viral day or one
    # bought batch cannot move it): the upper quartile of the day's gain per unit of reach,
    # a generous rate, so a gain called unexplained is unexplained even at a good day's rate.
    ordinary = usable & ~(out["gain_z"] > JUMP_Z) & (out["reach"] > 0)
    per_reach = (gain.clip(lower=0) / out["reach"]).where(ordinary)
    rate = per_reach.groupby(by).transform("quantile", 0.75).fillna(0)
    follows = out["following_gain"].clip(lower=0).fillna(0)
    extra_reach = (out["reach"] - med_reach).clip(lower=0).fillna(0)
    out["expected"] = med_gain.clip(lower=0).fillna(0) + rate * extra_reach + follows
    out["excess"] = (gain - out["expected"]).where(usable)
    out["excess_scale"] = np.maximum(_mad(out.assign(e=out["excess"]), "e", by).fillna(0), floor)
    out["excess_z"] = out["excess"] / out["excess_scale"]
    enough = usable.groupby(by).transform("sum") >= MIN_DAYS
    out["enough"] = enough
    out["jump"] = enough & (out["gain_z"] > JUMP_Z)
    above = (gain > EXCESS_RATIO * out["expected"]) & (gain > EXCESS_RATIO * med_gain.clip(lower=1))
    out["suspicious"] = enough & (out["excess_z"] > EXCESS_Z) & above
    out["reach_ratio"] = out["reach"] / med_reach.where(med_reach > 0)
    out["usual_gain"] = med_gain
    return out


def anomaly_reason(row: pd.Series, views_word: str) -> str:
    gained, usual = int(row["gain"]), row["usual_gain"]
    times = f"x{gained / usual:.1f} the usual {usual:,.0f}" if usual > 0 else "above the usual 0"
    reach = row["reach_ratio"]
    reach_txt = f"x{reach:.1f} your usual" if pd.notna(reach) else "unknown"
    if row["suspicious"]:
        return (f"+{gained:,} followers ({times}) while {views_word} were {reach_txt}: "
                f"{row['expected']:,.0f} expected from that reach and your own follows; "
                "bought or bot followers look like this")
    return (f"+{gained:,} followers ({times}) with {views_word} {reach_txt}: "
            "explained by reach (an organic jump)")


def follow_periods(panel: pd.DataFrame) -> pd.DataFrame:
    """Follow-for-follow periods: creator, start, end, following_added, followers_added."""
    cols = ["creator", "start", "end", "days", "following_added", "followers_added"]
    frame = panel[["creator", "day", "following_gain", "gain"]].copy()
    frame = frame[frame["following_gain"].notna()]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    by = frame["creator"]
    median = frame.groupby(by)["following_gain"].transform("median")
    mad = _mad(frame, "following_gain", by)
    threshold = np.maximum(FOLLOW_FLOOR, median + FOLLOW_Z * mad)
    frame["mass"] = (frame["following_gain"] > threshold).astype(float)
    # only creators with mass-follow days need the rolling window (most have none)
    frame = frame[frame.groupby("creator")["mass"].transform("sum") >= 4]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    window = frame.groupby("creator")["mass"].transform(
        lambda s: s.rolling(7, center=True, min_periods=1).sum())
    frame["in"] = window >= 4
    rows = []
    for creator, part in frame[frame["in"]].groupby("creator", sort=False):
        days = part["day"].reset_index(drop=True)
        breaks = (days.diff().dt.days > 4).cumsum()
        for _, run in part.groupby(breaks.to_numpy()):
            start, end = run["day"].iloc[0], run["day"].iloc[-1]
            length = (end - start).days + 1
            if length < MIN_PERIOD_DAYS:
                continue
            inside = frame[(frame["creator"] == creator) & frame["day"].between(start, end)]
            rows.append({"creator": creator, "start": start, "end": end, "days": length,
                         "following_added": float(inside["following_gain"].sum()),
                         "followers_added": float(inside["gain"].sum())})
    return pd.DataFrame(rows, columns=cols)
