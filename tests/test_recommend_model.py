"""``suggest`` on generated data with planted effects, against a small trained model.

Recovery thresholds (stated in the report): among creators with >= 60 posts and planted
timing strength >= 0.4, the top suggestion's local hour is within +/- 1 h of the planted
best hour for at least half of them (chance: 3/24; measured 6 of 9 on this fixture on
2026-12-02: ravi.bakes's profile ties 12:00 and 22:00, so one creator decides), and its
sound is a trending sound with a positive planted lift at that time for at least half
(measured 8 of 9); for creators planted with ~0 timing strength (< 0.05) and >= 40 posts,
>= 75% are told that timing barely matters (measured 4 of 4). The data are seeded and
LightGBM runs deterministically, so these figures are reproducible, not flaky.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_recommend_support import trained

from recommender.datasets import _effects as fx
from recommender.recommend.candidates import Draft
from recommender.recommend.suggest import suggest

RECOVERY = 0.5  # "most creators": at least half (chance for the hour is 3/24)


@pytest.fixture(scope="module")
def env():  # type: ignore[no-untyped-def]
    return trained()


@pytest.fixture(scope="module")
def results(env):  # type: ignore[no-untyped-def]
    now = env.synthetic.collected_at
    truth = env.synthetic.effects.creators.set_index("creator")
    counts = env.data.posts["creator"].value_counts()
    return {c: (suggest(env.data, env.model, c, now=now), truth.loc[c], int(counts.get(c, 0)))
            for c in truth.index}


def _hour_distance(a: int, b: int) -> int:
    d = abs(a - b) % 24
    return min(d, 24 - d)


def test_top_slot_recovers_the_planted_best_hour(results) -> None:  # type: ignore[no-untyped-def]
    strong = {c: r for c, r in results.items() if r[2] >= 60 and r[1]["timing_strength"] >= 0.4}
    assert len(strong) >= 4
    hits = [_hour_distance(r[0].suggestions[0].post_at.hour, int(r[1]["best_local_hour"])) <= 1
            for r in strong.values()]
    assert np.mean(hits) >= RECOVERY, hits


def test_top_suggestion_uses_a_sound_that_is_trending_now(env, results) -> None:  # type: ignore[no-untyped-def]
    sounds = env.synthetic.effects.sounds.set_index("name")
    strong = [r for r in results.values() if r[2] >= 60 and r[1]["timing_strength"] >= 0.4]
    good = []
    for result, _, _ in strong:
        top = result.suggestions[0]
        if top.sound.name not in sounds.index:
            good.append(False)
            continue
        s = sounds.loc[top.sound.name]
        days = (top.post_at.tz_convert("UTC") - s["peak"]) / pd.Timedelta(days=1)
        lift = fx.sound_effect([days], s["rise_days"], s["decay_days"])[0]
        good.append(bool(top.sound.trending and lift > 0.1))
    assert np.mean(good) >= RECOVERY, good


def test_flat_timing_creators_are_told_timing_barely_matters(results) -> None:  # type: ignore[no-untyped-def]
    flat = [r for r in results.values() if r[1]["timing_strength"] < 0.05 and r[2] >= 40]
    assert flat
    told = [r[0].timing.barely_matters and any("barely matters" in n for n in r[0].notes)
            for r in flat]
    assert np.mean(told) >= 0.75, [(r[0].creator, r[0].timing) for r in flat]


def test_suggestions_are_diverse_explained_and_in_local_time(results) -> None:  # type: ignore[no-untyped-def]
    result, truth, _ = next(iter(results.values()))
    doc = result.to_dict()
    assert doc["target"].startswith("weighted interactions")
    assert len(doc["suggestions"]) == 5
    days = {pd.Timestamp(s["post_at"]).date() for s in doc["suggestions"]}
    assert len(days) == 5  # one per day: never five neighbouring hours
    for s in doc["suggestions"]:
        assert pd.Timestamp(s["post_at"]).utcoffset() is not None
        assert str(pd.Timestamp(s["post_at"]).tz) != "UTC" or truth["timezone"] == "UTC"
        assert 2 <= len(s["reasons"]) <= 4
        assert s["low"] <= s["predicted"] <= s["high"]


def test_unknown_creator_falls_back_to_the_population_model(env) -> None:  # type: ignore[no-untyped-def]
    result = suggest(env.data, env.model, "nobody_here", now=env.synthetic.collected_at, top=3)
    assert result.cold_start
    assert any("using similar creators" in n for n in result.notes)
    assert len(result.suggestions) == 3


def test_draft_what_ifs_and_window_filters(env) -> None:  # type: ignore[no-untyped-def]
    creator = env.data.posts["creator"].value_counts().index[0]
    old_sound = env.synthetic.effects.sounds.iloc[0]["name"]  # peaked months before now
    result = suggest(env.data, env.model, creator, now=env.synthetic.collected_at, top=3,
                     draft=Draft(caption="new video", hashtags=("fyp",), sound=old_sound,
                                 duration_s=120),
                     not_before=9, not_after=17, exclude_weekdays=("sat", "sun"))
    assert all(9 <= s.post_at.hour <= 17 and s.post_at.weekday() < 5
               for s in result.suggestions)
    whats = [w["what"] for w in result.what_ifs or []]
    assert any(w.startswith("swap #fyp for #") for w in whats)
    assert any("peaked" in w for w in whats)
    assert any(w.startswith("make it") for w in whats)
