"""The trees' scale (``EngagementModel(scale_trees=True)``, the default): one factor
fitted on the calibration rows, the exact L1 minimiser, carried through predictions,
reasons, intervals and the saved artifact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.datasets import make_posts
from recommender.features import preprocess
from recommender.model import EngagementModel, tree_scale
from recommender.model.artifact import load_model, save_model

_TABLE = preprocess(make_posts(12, 120, seed=4).as_store_data())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 2.5))
def test_the_factor_is_the_l1_minimiser_within_its_bounds(seed: int, size: float) -> None:
    rng = np.random.default_rng(seed)
    tree = rng.normal(0, 0.3, tree_scale.MIN_ROWS + 50)
    residual = size * tree + rng.laplace(0, 0.5, len(tree))
    fitted = tree_scale.fit(residual, tree)
    grid = np.linspace(tree_scale.LOW, tree_scale.HIGH, 1501)
    loss = np.abs(residual[None, :] - grid[:, None] * tree[None, :]).sum(axis=1)
    best = float(np.abs(residual - fitted * tree).sum())
    assert tree_scale.LOW <= fitted <= tree_scale.HIGH
    assert best <= loss.min() + 1e-9


def test_a_planted_factor_is_found_and_too_few_rows_give_one() -> None:
    rng = np.random.default_rng(0)
    tree = rng.normal(0, 0.4, 5000)
    residual = 1.5 * tree + rng.normal(0, 0.3, len(tree))
    assert tree_scale.fit(residual, tree) == pytest.approx(1.5, abs=0.05)
    assert tree_scale.fit(residual[:50], tree[:50]) == 1.0
    assert tree_scale.fit(np.full(300, np.nan), np.ones(300)) == 1.0


def test_scaled_trees_carry_through_predictions_reasons_and_the_artifact(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plain = EngagementModel(n_estimators=40, scale_trees=False).fit_table(_TABLE)
    scaled = EngagementModel(n_estimators=40).fit_table(_TABLE)
    assert EngagementModel().scale_trees
    assert plain.trees_scale() == 1.0
    k = scaled.trees_scale()
    assert k != 1.0 and tree_scale.LOW <= k <= tree_scale.HIGH
    rows = _TABLE.tail(50)
    raw = scaled.booster_.predict(scaled._matrix(rows))
    np.testing.assert_allclose(scaled.tree_part(rows), k * raw)
    # The reasons still add up to the prediction.
    contrib = scaled.contributions(rows)
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy() + scaled.level(rows),
                               scaled.predict_table(rows), atol=1e-9)
    save_model(scaled, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.manifest["tree_scale"] == pytest.approx(k)
    np.testing.assert_allclose(loaded.predict_features(rows).to_numpy(),
                               scaled.predict_features(rows).to_numpy())
