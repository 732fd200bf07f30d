"""What-ifs for a draft: one change at a time, scored in the same batch as the candidates.

Every variant is the draft with exactly one thing changed (a hashtag swapped, the sound
replaced, another length), placed at the creator's next usual slot, so the difference to the
unchanged draft is that change's effect and nothing else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender.engagement import lift_to_percent
from recommender.recommend import candidates as cand
from recommender.recommend.trends import TrendState

MAX_ALTERNATIVE_TAGS = 4
SHOW_TAG_SWAPS = 2


def _base(profile: cand.CreatorProfile, trends: TrendState, draft: cand.Draft
          ) -> tuple[list[str], cand.Sound, float]:
    tags = list(draft.hashtags) if draft.hashtags is not None else list(profile.usual_tags)
    sound = cand.resolve_sound(draft.sound, trends) if draft.sound else cand.ORIGINAL
    length = float(draft.duration_s) if draft.duration_s is not None else profile.median_duration
    return tags, sound, length


def _variants(profile: cand.CreatorProfile, trends: TrendState, draft: cand.Draft
              ) -> list[tuple[str, str, list[str], cand.Sound, float]]:
    """(kind, label, hashtags, sound, duration) per variant; the first is the draft itself."""
    tags, sound, length = _base(profile, trends, draft)
    rows = [("draft", "your draft", tags, sound, length)]
    pool = [t for t in dict.fromkeys(profile.best_tags + trends.trending_tags()) if t not in tags]
    for old in tags:
        for new in pool[:MAX_ALTERNATIVE_TAGS]:
            swapped = [new if t == old else t for t in tags]
            rows.append(("tags", f"swap #{old} for #{new}", swapped, sound, length))
    if not tags:
        for new in pool[:MAX_ALTERNATIVE_TAGS]:
            rows.append(("tags", f"add #{new}", [new], sound, length))
    if not sound.is_original:
        label = (f"this sound {sound.status}" if sound.trending or "peaked" in sound.status
                 else f"sound '{sound.name}' (not trending)")
        rows.append(("own_sound", label, tags, cand.ORIGINAL, length))
    for status in trends.trending_sounds():
        if status.name != sound.name:
            other = cand.resolve_sound(status.name, trends)
            rows.append(("sound", f"use trending sound '{other.name}' ({other.status})",
                         tags, other, length))
    for bucket in cand.DURATION_BUCKETS:
        if abs(bucket - length) >= 1:
            rows.append(("duration", f"make it {bucket:.0f} s instead of {length:.0f} s",
                         tags, sound, bucket))
    return rows


def queries(profile: cand.CreatorProfile, trends: TrendState, draft: cand.Draft,
            probe: pd.DataFrame, caption: str) -> pd.DataFrame:
    usual = probe[probe["local"].map(lambda t: t.hour) == profile.usual_hour]
    slot = (usual if len(usual) else probe).iloc[0]
    variants = _variants(profile, trends, draft)
    return pd.DataFrame({
        "creator": profile.creator,
        "posted_at": slot["posted_at"],
        "caption": caption,
        "hashtags": [v[2] for v in variants],
        "sound_id": [v[3].id for v in variants],
        "sound_name": [v[3].name for v in variants],
        "sound_is_original": [v[3].is_original for v in variants],
        "duration_s": [v[4] for v in variants],
        "local": slot["local"],
        "whatif_kind": [v[0] for v in variants],
        "whatif_label": [v[1] for v in variants],
    })


def describe(frame: pd.DataFrame, pred: pd.DataFrame, trends: TrendState,
             profile: cand.CreatorProfile) -> list[dict[str, Any]]:
    """The draft's prediction and the most useful single changes, in plain words."""
    values = pred["predicted"].to_numpy()
    kinds = frame["whatif_kind"].to_numpy()
    labels = frame["whatif_label"].to_numpy()
    base = values[0]
    change = np.asarray(lift_to_percent(values - base), dtype=float)
    out: list[dict[str, Any]] = []
    own = np.flatnonzero(kinds == "own_sound")
    for i in own:  # the draft's sound vs an original sound: the sound's own effect
        effect = float(lift_to_percent(base - values[i]))
        out.append(_item(labels[i], effect))
    tag_rows = np.flatnonzero(kinds == "tags")
    for i in tag_rows[np.argsort(-change[tag_rows])][:SHOW_TAG_SWAPS]:
        out.append(_item(labels[i], change[i]))
    for kind in ("sound", "duration"):
        rows = np.flatnonzero(kinds == kind)
        if len(rows):
            best = rows[np.argmax(change[rows])]
            out.append(_item(labels[best], change[best]))
    return out


def _item(label: str, percent: float) -> dict[str, Any]:
    return {"what": f"{label}: {percent:+.0f}%", "lift": round(float(percent), 1)}
