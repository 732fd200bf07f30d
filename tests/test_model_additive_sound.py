"""Sound kept apart in the trees (``EngagementModel(additive_sound=True)``, opt-in): one
sound's predicted effect is the same for every creator and every other choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_model_support import FAST, synthetic

from recommender.features import preprocess
from recommender.model import EngagementModel
from recommender.model.artifact import load_model, save_model
from recommender.model.estimator import SOUND_PREFIX, sound_apart

_TABLE = preprocess(synthetic().as_store_data())


def _sound_effects(model: EngagementModel) -> np.ndarray:
    """Per row of 200 spread over every creator: the prediction with a trending sound's
    features minus the same row with an original sound's (log scale)."""
    rows = _TABLE.groupby("creator", observed=True).tail(17).reset_index(drop=True)
    sound = [c for c in model.feature_names_ if c.startswith(SOUND_PREFIX)]
    trending = _TABLE.loc[_TABLE["sound_on_trend_list"] == 1, sound].iloc[0]
    original = _TABLE.loc[_TABLE["sound_is_original"] == 1, sound].iloc[0]
    with_trend, with_original = rows.copy(), rows.copy()
    with_trend[sound] = trending.to_numpy()
    with_original[sound] = original.to_numpy()
    return model.predict_table(with_trend) - model.predict_table(with_original)


def test_the_constraints_put_every_sound_feature_in_a_group_of_its_own() -> None:
    names = ["level", "sound_is_original", "duration_s", "sound_trend_rank", "age_days"]
    assert sound_apart(names) == [[1, 3], [0, 2, 4]]
    assert sound_apart(["level", "age_days"]) == [[0, 1]]


def test_a_sounds_effect_is_the_same_for_every_creator_and_choice() -> None:
    kept_apart = _sound_effects(EngagementModel(**FAST, additive_sound=True).fit_table(_TABLE))
    assert np.ptp(kept_apart) < 1e-9
    assert abs(kept_apart[0]) > 0.01  # the sound still counts
    # Unconstrained, the same trees give each creator its own effect of the same sound.
    assert np.ptp(_sound_effects(EngagementModel(**FAST).fit_table(_TABLE))) > 0.05


def test_the_option_survives_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = EngagementModel(**FAST, additive_sound=True).fit_table(_TABLE)
    loaded = load_model(save_model(model, tmp_path / "m"))
    assert loaded.additive_sound is True
    np.testing.assert_allclose(loaded.predict_table(_TABLE), model.predict_table(_TABLE))
    assert isinstance(loaded.get_params()["additive_sound"], bool)
    pd.testing.assert_index_equal(pd.Index(loaded.feature_names_), pd.Index(model.feature_names_))
