"""Follower jumps not explained by views, and follow-for-follow periods (whole panel at once).

Unexplained jumps. Followers trail the views that bring them by up to a day, so the day's
reach is ``x = max(views today, views yesterday)`` (engagement when no views are stored). Per
creator, a day's expected gain is the usual (median) gain, plus ``r`` times its reach above
the usual (median) reach, plus the accounts the creator followed that day (each could be a
follow-back). ``r`` is the upper quartile of gain per unit of reach over ordinary days (jump
days left out), a generous rate: net gains carry unfollows, so a plain ratio would
understate what extra views bring, and a gain called unexplained must be so even at a good
day's rate. The excess over that is scored
against the creator's robust spread of daily gains, ``1.4826 * MAD`` (floored at the
Poisson noise ``sqrt(median gain)`` and at 1 follower). A day is

- a **jump** when its gain is more than ``JUMP_Z`` robust spreads above the median gain;
- **suspicious** (bought or bot followers) when its excess is over ``EXCESS_Z`` spreads AND
  the gain is over ``EXCESS_RATIO`` times both the expected and the usual gain AND the
  excess is at least ``MIN_EXCESS`` followers and ``MIN_EXCESS_SHARE`` of the account:
  followers arrived that the day's views cannot account for.
The expected gain takes the larger of what the extra views and what the extra engagement
(likes + comments + shares, today or yesterday) would bring, each at its own generous rate.
Baselines (medians, MADs, rates) are centred rolling ``WINDOW``-day statistics of the
creator's own days, so a steady regime change (a good month) is not a string of jumps.
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
MIN_EXCESS = 20  # followers: smaller jumps are noise whatever their z score
MIN_EXCESS_SHARE = 0.002  # ... and so are jumps under 0.2% of the account
WINDOW = 29  # days in the centred baseline window
MIN_WINDOW = 7
FOLLOW_FLOOR = 10.0
FOLLOW_Z = 6.0
MIN_PERIOD_DAYS = 7


def _mad(frame: pd.DataFrame, value: str, by: pd.Series) -> pd.Series:
    median = frame.groupby(by)[value].transform("median")
    dev = (frame[value] - median).abs()
    return 1.4826 * dev.groupby(by).transform("median")


def _rolling(values: pd.Series, by: pd.Series, how: str, q: float = 0.5) -> pd.Series:
    """A centred rolling statistic over each creator's own rows (the panel is sorted).

    One pass over a flat array in which creators are separated by ``WINDOW - 1`` NaNs, so no
    window mixes two creators (a groupby-rolling costs a Python call per creator).
    """
    codes = pd.factorize(by, sort=False)[0]
    gap = WINDOW - 1
    pos = np.arange(len(values)) + gap * codes
    flat = np.full(len(values) + gap * (codes.max() + 1 if len(codes) else 0), np.nan)
    flat[pos] = values.to_numpy(dtype="float64", na_value=np.nan)
    roll = pd.Series(flat).rolling(WINDOW, center=True, min_periods=MIN_WINDOW)
    result = roll.median() if how == "median" else roll.quantile(q)
    return pd.Series(result.to_numpy()[pos], index=values.index)


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
    med_gain = _rolling(gain, by, "median")
    med_reach = _rolling(out["reach"].where(usable), by, "median")
    floor = np.maximum(np.sqrt(med_gain.clip(lower=0).fillna(0)), 1.0)
    gain_mad = 1.4826 * _rolling((gain - med_gain).abs(), by, "median")
    out["gain_scale"] = np.maximum(gain_mad.fillna(0), floor)
    out["gain_z"] = (gain - med_gain) / out["gain_scale"]
    # Marginal conversion over ordinary days (jump days left out, so one viral day or one
    # bought batch cannot move it): the upper quartile of the day's gain per unit of reach,
    # a generous rate, so a gain called unexplained is unexplained even at a good day's rate.
    ordinary = usable & ~(out["gain_z"] > JUMP_Z)
    explained = pd.Series(0.0, index=out.index)
    eng_day = np.fmax(out["engagement"], out["engagement"].groupby(by).shift())
    eng_day = eng_day.where(out["views"].notna())
    med_eng = _rolling(eng_day.where(usable), by, "median")
    for driver, usual in ((out["reach"], med_reach), (eng_day, med_eng)):
        per_unit = (gain.clip(lower=0) / driver.where(driver > 0)).where(ordinary)
        rate = _rolling(per_unit, by, "quantile", 0.75).fillna(0)
        explained = np.fmax(explained, (rate * (driver - usual).clip(lower=0)).fillna(0))
    follows = out["following_gain"].clip(lower=0).fillna(0)
    out["expected"] = med_gain.clip(lower=0).fillna(0) + explained + follows
    out["excess"] = (gain - out["expected"]).where(usable)
    # On ordinary days the expected gain is the usual gain, so the excess spreads like the
    # gain itself: the gain's robust spread serves as the excess's (two rolling passes fewer).
    out["excess_scale"] = out["gain_scale"]
    out["excess_z"] = out["excess"] / out["excess_scale"]
    enough = usable.groupby(by).transform("sum") >= MIN_DAYS
    out["enough"] = enough
    out["jump"] = enough & (out["gain_z"] > JUMP_Z)
    above = ((gain > EXCESS_RATIO * out["expected"]) & (gain > EXCESS_RATIO * med_gain.clip(
        lower=1)) & (out["excess"] >= np.maximum(MIN_EXCESS, MIN_EXCESS_SHARE * out["followers"])))
    out["suspicious"] = enough & (out["excess_z"] > EXCESS_Z) & above
    out["reach_ratio"] = out["reach"] / med_reach.where(med_reach > 0)
    out["engagement_ratio"] = eng_day / med_eng.where(med_eng > 0)
    out["usual_gain"] = med_gain
    return out


def anomaly_reason(row: pd.Series, views_word: str) -> str:
    gained, usual = int(row["gain"]), row["usual_gain"]
    times = (f"x{gained / usual:.1f} the usual {usual:,.0f}/day" if usual > 0
             else "against a usual 0/day")
    parts = [f"{views_word} x{row['reach_ratio']:.1f}" if pd.notna(row["reach_ratio"])
             else f"{views_word} unknown"]
    if pd.notna(row.get("engagement_ratio")):
        parts.append(f"engagement x{row['engagement_ratio']:.1f}")
    context = " and ".join(parts) + " your usual"
    if row["suspicious"]:
        return (f"+{gained:,} followers ({times}) while {context}: at most "
                f"{row['expected']:,.0f} expected from that reach and your own follows; "
                "bought or bot followers look like this (so do follows from outside your "
                "videos, e.g. a LIVE or a mention elsewhere)")
    if gained <= EXCESS_RATIO * row["expected"]:
        return f"+{gained:,} followers ({times}) with {context}: explained by reach (organic)"
    return (f"+{gained:,} followers ({times}) with {context}: not flagged, under the "
            f"{MIN_EXCESS}-follower / {MIN_EXCESS_SHARE:.1%} minimum or within the day's "
            "usual spread")


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
