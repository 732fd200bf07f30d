"""The tag fit's hand-written parts agree with the scikit-learn estimators they stand in for
(written out only to keep scikit-learn's import out of ``suggest``'s start-up)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import SplineTransformer

from recommender.recommend import candidates


@pytest.mark.parametrize(("n", "p"), [(50, 8), (200, 30), (20, 40)])
def test_ridge_loo_is_ridgecv(n: int, p: int) -> None:
    rng = np.random.default_rng(n + p)
    x = (rng.random((n, p)) < 0.3).astype(float)
    x -= x.mean(axis=0)
    y = 0.3 * x[:, 0] + rng.normal(0.0, 0.7, n)
    y -= y.mean()
    reference = RidgeCV(alphas=candidates.TAG_ALPHAS, fit_intercept=False).fit(x, y)
    np.testing.assert_allclose(candidates._ridge_loo(x, y), reference.coef_, atol=1e-10)


@pytest.mark.parametrize("n_posts", [12, 95, 400])
def test_trend_basis_spans_the_cubic_spline(n_posts: int) -> None:
    rng = np.random.default_rng(n_posts)
    start = pd.Timestamp("2025-01-01", tz="UTC")
    posted = pd.Series(start + pd.to_timedelta(np.sort(rng.uniform(0, 120, n_posts)), unit="D"))
    ours = candidates._trend_basis(posted)
    days = ((posted - posted.min()) / pd.Timedelta(days=1)).to_numpy()[:, None]
    knots = int(np.clip(n_posts // candidates.TREND_POSTS_PER_KNOT, 2, 8))
    spline = SplineTransformer(n_knots=knots, degree=3, include_bias=False).fit_transform(days)
    theirs = np.hstack([np.ones((n_posts, 1)), spline])
    y = rng.normal(size=n_posts)
    np.testing.assert_allclose(_fitted(ours, y), _fitted(theirs, y), atol=1e-8)


def _fitted(basis: np.ndarray, y: np.ndarray) -> np.ndarray:
    return basis @ np.linalg.lstsq(basis, y, rcond=None)[0]
