"""An interval for a SUM of predicted posts (a creator's schedule, or every creator's).

Each post's prediction comes with its own 80% interval (log scale, split-conformal). The sum
of the posts' interval ends is the interval of the total only if every post's error were at
the same quantile at once (perfect correlation); with independent errors it is far too wide.
Here the total's interval is simulated from per-post error draws:

- a post's log error has median 0 and the post's own ``low`` / ``high`` as its 10% / 90%
  points, each side scaled separately (the interval's skew stays); its shape is a Student t
  with TAIL_DF degrees of freedom: a sum of counts is driven by the rare post that takes off,
  and a normal shape on the log scale understates them (measured below);
- the errors of one creator's posts share a common part (a Gaussian copula): correlation
  ``RHO_CREATOR`` between two posts of a creator (a creator's level can be off for the whole
  window); different creators' errors are independent;
- each draw's total is the sum of the posts' counts (``to_count(predicted + error)``); the
  interval is the draws' (1 - level) / 2 and (1 + level) / 2 quantiles.

``RHO_CREATOR`` and ``TAIL_DF`` are assumptions (the model keeps its residual quantiles, not
its residuals), checked on the fixed-origin hold-out of generated worlds
(``scripts/plan_intervals.py``, seeds 1-3: each creator's latest 20% of posts as a
schedule; within-creator correlation of the hold-out residuals 0.04-0.06). There these
intervals covered 78-82% of the creators' realised totals (misses 8-10% below, 10-12%
above; 2026-12-02, with the scaled per-post intervals); with a normal shape 62-70% (22-30%
above); the sums of the posts' interval ends covered 82-85% but in the wrong place: 0%
below, 15-18% above (a sum of skewed counts sits
higher than the sum of its posts' typical values). Draws use a
fixed seed, so a plan's figures repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, t

from recommender.recommend.scoring import to_count

RHO_CREATOR = 0.1
TAIL_DF = 3.0  # Student t tails: counts of viral posts dwarf a typical post's
DRAWS = 2000
CHUNK = 250  # draws per block: memory stays at CHUNK x posts


@dataclass(frozen=True)
class Total:
    expected: float  # sum of the posts' predictions (count scale)
    low: float
    high: float


def total_intervals(predicted: np.ndarray, low: np.ndarray, high: np.ndarray,
                    group: np.ndarray, level: float = 0.8, rho: float = RHO_CREATOR,
                    draws: int = DRAWS, seed: int = 0, tail_df: float | None = TAIL_DF
                    ) -> tuple[dict[object, Total], Total]:
    """Per group (creator) and overall: the sum of the posts' predictions with the simulated
    ``level`` interval of that sum. ``predicted``, ``low``, ``high``: log scale per post
    (``low`` / ``high`` the post's own ``level`` interval)."""
    pred = np.asarray(predicted, dtype="float64")
    codes, names = _codes(group)
    expected = to_count(pred)
    if not len(pred):
        return {}, Total(0.0, 0.0, 0.0)
    z = float(norm.ppf(0.5 + level / 2))
    shape = _shape(tail_df, level)
    below = np.maximum(pred - np.asarray(low, dtype="float64"), 0.0) / z
    above = np.maximum(np.asarray(high, dtype="float64") - pred, 0.0) / z
    rng = np.random.default_rng(seed)
    n_groups = len(names)
    sums = np.empty((draws, n_groups))
    for start in range(0, draws, CHUNK):
        k = min(CHUNK, draws - start)
        shared = rng.standard_normal((k, n_groups))[:, codes]
        own = rng.standard_normal((k, len(pred)))
        e = shape(np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * own)
        counts = to_count(pred + np.where(e < 0, e * below, e * above))
        sums[start:start + k] = np.stack([np.bincount(codes, weights=row, minlength=n_groups)
                                          for row in counts])
    q = (0.5 - level / 2, 0.5 + level / 2)
    per_group = {}
    for j, name in enumerate(names):
        lo, hi = np.quantile(sums[:, j], q)
        per_group[name] = Total(float(expected[codes == j].sum()), float(lo), float(hi))
    lo, hi = np.quantile(sums.sum(axis=1), q)
    return per_group, Total(float(expected.sum()), float(lo), float(hi))


def _shape(df: float | None, level: float):  # type: ignore[no-untyped-def]
    """Standard normal draws -> the error shape, in a normal's units (its ``level`` points
    stay at the normal's, so ``low`` / ``high`` stay the post's own quantiles); None:
    normal."""
    if df is None:
        return lambda x: x
    grid = np.linspace(-6.0, 6.0, 4001)
    q = float(t.ppf(0.5 + level / 2, df))
    values = t.ppf(norm.cdf(grid), df) / q * float(norm.ppf(0.5 + level / 2))
    return lambda x: np.interp(x, grid, values)


def _codes(group: np.ndarray) -> tuple[np.ndarray, list[object]]:
    values = np.asarray(group, dtype=object)
    names = list(dict.fromkeys(values.tolist()))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), names
