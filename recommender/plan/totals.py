"""An interval for a SUM of predicted posts (a creator's schedule, or every creator's).

Each post's prediction comes with its own 80% interval (log scale, split-conformal). The sum
of the posts' interval ends is the interval of the total only if every post's error were at
the same quantile at once (perfect correlation); with independent errors it is far too wide.
Here the total's interval is simulated from per-post error draws:

- a post's log error is a split normal with median 0 whose 10% / 90% points are the post's
  own ``low`` / ``high`` (its two sides scaled separately, so the skew of the interval stays);
- the errors of one creator's posts share a common part: their correlation is
  ``RHO_CREATOR`` (a creator's level can be off for the whole window: a quiet fortnight, a
  change of audience); different creators' errors are independent;
- each draw's total is the sum of the posts' counts (``to_count(predicted + error)``); the
  interval is the draws' (1 - level) / 2 and (1 + level) / 2 quantiles.

``RHO_CREATOR`` is an assumption, stated wherever the intervals are shown: the model keeps
only its residual quantiles, not how residuals of one creator move together. Draws use a
fixed seed, so a plan's figures repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from recommender.recommend.scoring import to_count

RHO_CREATOR = 0.3
DRAWS = 2000
CHUNK = 250  # draws per block: memory stays at CHUNK x posts


@dataclass(frozen=True)
class Total:
    expected: float  # sum of the posts' predictions (count scale)
    low: float
    high: float


def total_intervals(predicted: np.ndarray, low: np.ndarray, high: np.ndarray,
                    group: np.ndarray, level: float = 0.8, rho: float = RHO_CREATOR,
                    draws: int = DRAWS, seed: int = 0) -> tuple[dict[object, Total], Total]:
    """Per group (creator) and overall: the sum of the posts' predictions with the simulated
    ``level`` interval of that sum. ``predicted``, ``low``, ``high``: log scale per post
    (``low`` / ``high`` the post's own ``level`` interval)."""
    pred = np.asarray(predicted, dtype="float64")
    codes, names = _codes(group)
    expected = to_count(pred)
    if not len(pred):
        return {}, Total(0.0, 0.0, 0.0)
    z = float(norm.ppf(0.5 + level / 2))
    below = np.maximum(pred - np.asarray(low, dtype="float64"), 0.0) / z
    above = np.maximum(np.asarray(high, dtype="float64") - pred, 0.0) / z
    rng = np.random.default_rng(seed)
    n_groups = len(names)
    sums = np.empty((draws, n_groups))
    for start in range(0, draws, CHUNK):
        k = min(CHUNK, draws - start)
        shared = rng.standard_normal((k, n_groups))[:, codes]
        own = rng.standard_normal((k, len(pred)))
        e = np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * own
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


def _codes(group: np.ndarray) -> tuple[np.ndarray, list[object]]:
    values = np.asarray(group, dtype=object)
    names = list(dict.fromkeys(values.tolist()))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), names
