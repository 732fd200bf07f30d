"""The timing profile is sized by its own out-of-sample check (``timing._calibration``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import recommender.model.timing as timing

STRENGTH = 0.6  # planted bump at the best hour, log scale (x1.8), on every other creator


def _world(seed: int, creators: int = 24, posts: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for c in range(creators):
        best = int(rng.integers(0, 24))
        hour = rng.integers(0, 24, posts)
        away = np.abs(hour - best) % 24
        bump = np.exp(-0.5 * (np.minimum(away, 24 - away) / 2.0) ** 2)
        strong = c % 2 == 0
        parts.append(pd.DataFrame({
            "creator": f"c{c}", "hour": hour, "weekday": rng.integers(0, 7, posts),
            "residual": (STRENGTH if strong else 0.0) * bump + rng.normal(0, 0.6, posts),
            "strong": strong, "best": best}))
    return pd.concat(parts, ignore_index=True)


def _fit(world: pd.DataFrame) -> timing.TimingProfile:
    return timing.TimingProfile().fit(world["creator"].to_numpy(), world["hour"].to_numpy(),
                                      world["weekday"].to_numpy(),
                                      world["residual"].to_numpy(),
                                      np.full(len(world), 24.0))


def _size(profile: timing.TimingProfile, creator: str, best: int) -> float:
    """Regression of the profile's week on the planted one (1 = the planted size)."""
    away = np.abs(timing.WEEK_HOURS - best) % 24
    planted = STRENGTH * np.exp(-0.5 * (np.minimum(away, 24 - away) / 2.0) ** 2)
    planted = planted - planted.mean()
    week = profile.week(creator)
    return float((week - week.mean()) @ planted / (planted @ planted))


def test_profiles_are_sized_by_their_check_nearer_the_planted_size(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    worlds = [_world(seed) for seed in range(3)]
    calibrated = [_fit(w) for w in worlds]
    monkeypatch.setattr(timing, "_calibration", lambda slope, se, holds: np.ones(len(slope)))
    shrunk_only = [_fit(w) for w in worlds]
    sizes = []
    for world, with_scale, without in zip(worlds, calibrated, shrunk_only, strict=True):
        table = with_scale.table_.set_index("creator")
        assert table["scale"].between(1.0, timing.SLOPE_MAX).all()
        checked = table["slope"] - timing.Z_CHECK * table["slope_se"] > 0
        assert (table.loc[~checked.fillna(False), "scale"] == 1.0).all()
        for creator, rows in world[world["strong"]].groupby("creator"):
            if table.loc[creator, "matters"]:
                best = int(rows["best"].iloc[0])
                sizes.append((_size(with_scale, creator, best), _size(without, creator, best)))
                if table.loc[creator, "scale"] > 1.05:
                    assert "sized up" in with_scale.summary(creator).reason
    sized, unsized = np.median(np.array(sizes), axis=0)
    # Measured: 0.83 with the calibration, 0.70 without (median over 31 strong creators).
    assert unsized < sized <= 1.1


def test_the_scale_survives_the_artifact_round_trip() -> None:
    profile = _fit(_world(1))
    assert (profile.table_["scale"] > 1.0).any()
    again = timing.TimingProfile.from_frame(profile.to_frame(), profile.state())
    pd.testing.assert_frame_equal(again.table_, profile.table_)
    np.testing.assert_allclose(again.slots_, profile.slots_)
    old = profile.to_frame().drop(columns="scale")  # an artifact from before the calibration
    assert (timing.TimingProfile.from_frame(old, profile.state()).table_["scale"] == 1.0).all()


@pytest.mark.parametrize("slopes", [[2.0, 2.2, 2.4], [0.4, 0.5, 0.6]])
def test_calibration_only_sizes_up_and_leaves_unchecked_creators_alone(slopes) -> None:  # type: ignore[no-untyped-def]
    slope = np.array([*slopes, 5.0])
    se = np.array([0.3, 0.3, 0.3, 0.3])
    holds = np.array([True, True, True, False])
    scale = timing._calibration(slope, se, holds)
    assert scale[3] == 1.0
    assert (scale >= 1.0).all() and (scale <= timing.SLOPE_MAX).all()
    if min(slopes) > 1:
        assert (scale[:3] > 1.5).all()
