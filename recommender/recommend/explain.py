"""Per-feature model contributions -> plain-word reasons.

LightGBM's ``pred_contrib`` splits every prediction (log scale) into one additive part per
feature plus a bias. We sum the parts by the decision they belong to (timing, sound,
hashtags, duration, caption, cadence) and compare a candidate with a reference post (the
creator's usual post), so "+12%" means "this choice instead of what you usually do". Parts
the creator cannot change (history, follower count) are never offered as reasons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, row_codes
from recommender.engagement import lift_to_percent

ACTIONABLE = ("timing", "sound", "hashtags", "duration", "caption", "cadence")
GROUPS = (*ACTIONABLE, "history")
MIN_REASON_PCT = 1.0  # smaller parts are noise, not a reason
# First match wins; the order puts specific names before broad ones.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cadence", re.compile(r"since_prev|gap|posts_(last|in|trailing)|cadence|posts_7d")),
    ("sound", re.compile(r"sound")),
    ("hashtags", re.compile(r"hashtag|(^|_)tags?(_|$)|challenge")),
    ("duration", re.compile(r"duration|length_s|video_len")),
    ("caption", re.compile(r"caption|question|cta|call_to_action|mention|emoji")),
    ("timing", re.compile(r"hour|weekday|dow|how_|slot|activity|active|local_|daypart")),
)


def feature_group(name: str) -> str:
    lowered = name.lower()
    for group, pattern in _PATTERNS:
        if pattern.search(lowered):
            return group
    return "history"


def group_contributions(contrib: pd.DataFrame) -> pd.DataFrame:
    """Sum per-feature contributions into GROUPS columns (bias and unknown -> history)."""
    groups = {c: feature_group(str(c)) for c in contrib.columns}
    values = contrib.to_numpy(dtype="float64")
    out = np.zeros((len(contrib), len(GROUPS)))
    for j, column in enumerate(contrib.columns):
        out[:, GROUPS.index(groups[column])] += values[:, j]
    return pd.DataFrame(out, columns=list(GROUPS), index=contrib.index)


def pct(log_difference: float) -> str:
    value = float(lift_to_percent(log_difference))
    return f"{value:+.0f}%"


def pick_groups(delta: pd.Series, most: int = 4,
                groups: tuple[str, ...] = ACTIONABLE) -> list[str]:
    """The ``groups`` (actionable ones by default) that move this candidate most, largest
    first, at most ``most``. Groups below MIN_REASON_PCT are left out, as every screen says
    (a "+0%" reason was shown to make up a count)."""
    actionable = delta[list(groups)].astype(float)
    order = actionable.abs().sort_values(ascending=False, kind="stable").index
    big = [g for g in order if abs(float(lift_to_percent(actionable[g]))) >= MIN_REASON_PCT]
    return big[:most]


def hashtags_text(tags: Sequence[str]) -> str:
    return " ".join(f"#{t}" for t in tags) if len(tags) else "no hashtags"


def phrase(group: str, delta: float, details: dict[str, object]) -> str:
    """One reason in plain words. ``details`` describe the candidate and the reference."""
    change = pct(delta)
    if group == "timing":
        slot, usual = str(details["slot"]), str(details["usual_slot"])
        if slot.endswith(usual):  # the usual hour itself: only the day differs
            return f"{slot} (your usual hour, on this day): {change} vs your average day"
        return f"{slot}: {change} vs your usual slot ({usual})"
    if group == "sound":
        name, status = details["sound"], details.get("sound_status") or ""
        if name == "original sound":
            return f"original sound: {change} vs your usual sound choice"
        label = "trending sound" if details.get("sound_trending") else "sound"
        return f"{label} '{name}'{' ' + str(status) if status else ''}: {change}"
    if group == "hashtags":
        tags = str(details["hashtags"])
        label = tags if tags == "no hashtags" else f"hashtags {tags}"
        return f"{label}: {change} vs your usual tags"
    if group == "duration":
        usual = float(details["usual_duration"])  # type: ignore[arg-type]
        return f"{details['duration']:.0f} s long: {change} vs your usual {usual:.0f} s"
    if group == "cadence":
        return f"spacing after your previous post: {change}"
    return f"caption: {change}"


# -- vectorised reasons for many rows (plan scoring) ---------------------------------------
SHORT_PHRASES = {
    "timing": "posting time",
    "sound": "sound",
    "hashtags": "hashtags",
    "duration": "video length",
    "caption": "caption",
    "cadence": "spacing between posts",
}


def top_reasons(groups: pd.DataFrame, reference: np.ndarray | None = None, k: int = 2
                ) -> list[str]:
    """For each row, its ``k`` actionable groups with the largest |contribution - reference|,
    as "posting time +12%; sound -4%" (numpy argsort over the group matrix, no Python loop
    over rows except the final string join)."""
    codes, texts = reason_codes(groups, reference, k)
    return texts[codes].tolist()


def reason_codes(groups: pd.DataFrame, reference: np.ndarray | None = None, k: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``top_reasons`` as each row's code into the distinct texts, and those texts."""
    matrix = groups[list(ACTIONABLE)].to_numpy(dtype="float64")
    if reference is not None:
        matrix = matrix - reference
    order = np.argsort(-np.abs(matrix), axis=1)[:, :k]
    picked = np.take_along_axis(matrix, order, axis=1)
    percents = np.rint(np.expm1(picked) * 100.0).astype(np.int64)
    # Rows repeat (groups, percents) combinations: each distinct one is worded once.
    combo = row_codes(list(np.concatenate([order, percents], axis=1).T))
    first = first_positions(combo)
    return combo, _reason_text(order[first], percents[first])


def _reason_text(order: np.ndarray, percents: np.ndarray) -> np.ndarray:
    names = np.array([SHORT_PHRASES[g] for g in ACTIONABLE], dtype=object)
    parts = []
    for j in range(order.shape[1]):
        signs = np.where(percents[:, j] >= 0, "+", "")
        part = (pd.Series(names[order[:, j]]) + " " + pd.Series(signs)
                + pd.Series(percents[:, j]).astype(str) + "%")
        parts.append(part.where(np.abs(percents[:, j]) >= MIN_REASON_PCT, ""))
    joined = parts[0]
    for part in parts[1:]:
        joined = (joined + "; " + part).str.strip("; ")
    return joined.to_numpy(dtype=object)
