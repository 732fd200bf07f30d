"""The creator's level: a robust local-level-with-trend filter over earlier outcomes.

The trailing median of the last N posts lags an account whose audience keeps growing (the
follower snowball): every post after the last known outcome is predicted at a level that
stopped moving there. This family runs, per creator and in time order over the settled
posts with a known outcome (the same outcomes ``history`` sees), a Kalman filter on the
log outcome with a state of level and slope (per day):

- between outcomes ``dt`` days apart the level moves by the slope, the slope decays towards
  0 with time constant ``SLOPE_DAYS`` (a damped trend: a growth spurt is not extrapolated
  for months) and both gather random-walk noise (``LEVEL_NOISE``, ``SLOPE_NOISE`` per day);
- each outcome's innovation is Huber-clipped at ``CLIP`` innovation sd before the update, so
  a viral post moves the level as a 2-sd post would, not by its own size;
- every variance is in units of the creator's outcome noise ``R``, itself estimated online
  from the creator's earlier standardised innovations (``R_PRIOR`` worth ``R_PRIOR_WEIGHT``
  posts first): the level does not depend on the outcome's scale, and nothing global is
  estimated from the data, so no row's level depends on any later outcome.

At a row the state after its creator's latest known outcome strictly before it is
extrapolated by the days since that outcome: ``level`` (the expected log outcome now),
``level_slope`` (per day, as damped by now), ``level_sd`` (the level's own uncertainty,
growing with distance from the last known outcome) and ``days_since_known``. NaN without
a known earlier outcome. The state is one row per known outcome, joined strictly backward
(``context.asof_before``) like every other history feature.

The filter is vectorised across creators: one step per position in the creators' histories
(as many steps as the longest history has known outcomes), each a handful of NumPy
operations over the creators that have an outcome at that position.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features.config import FeatureConfig
from recommender.features.context import (
    NS_PER_DAY,
    Context,
    State,
    asof_before,
    group_starts,
    key_time_order,
)

LEVEL_NOISE = 0.01  # level random-walk variance per day, in units of R
SLOPE_NOISE = 2e-6  # slope random-walk variance per day (per day^2), in units of R
SLOPE_PRIOR = 3e-4  # the first outcome's slope variance, in units of R (sd ~0.017 R^.5/day)
SLOPE_DAYS = 60.0  # the slope's decay time constant (days)
CLIP = 2.0  # Huber clip of innovations, in innovation sd
R_PRIOR = 0.6  # outcome noise (log-scale variance) before any innovation is seen
R_PRIOR_WEIGHT = 5.0  # ... worth this many innovations
MIN_DT = 1e-3  # days; posts at the same moment still count as (barely) apart

COLUMNS = ("level", "level_slope", "level_sd", "days_since_known")
_STATE = ["L", "b", "pll", "plb", "pbb", "r", "t_known"]


def names(config: FeatureConfig) -> list[str]:
    return list(COLUMNS)


def compute(ctx: Context) -> dict[str, np.ndarray]:
    q = ctx.queries
    key, t = q["ckey"].to_numpy(), q["t"].to_numpy()
    s = asof_before(key, t, level_state(ctx), _STATE)
    dt = np.maximum((t.astype("float64") - s["t_known"]) / NS_PER_DAY, 0.0)
    level, slope, pll, _, _ = _extrapolate(s["L"], s["b"], s["pll"], s["plb"], s["pbb"], dt)
    return {"level": level, "level_slope": slope,
            "level_sd": np.sqrt(np.maximum(pll, 0.0) * s["r"]), "days_since_known": dt}


def level_state(ctx: Context) -> State:
    """State after each settled post with a known outcome (``key``, ``t``, filter state)."""
    def build() -> State:
        local = ctx.local[np.isfinite(ctx.local["outcome"].to_numpy())]
        key, t = local["ckey"].to_numpy(), local["t"].to_numpy()
        order = key_time_order(key, t)
        states = filter_outcomes(key[order], t[order], local["outcome"].to_numpy()[order])
        frame = pd.DataFrame({"key": key[order], "t": t[order], **states})
        return State.of(frame, np.arange(len(frame)))
    return ctx.store_cached("level_state", build)


def filter_outcomes(key: np.ndarray, t: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The filter's state after each row (rows sorted by key, then time; ``t`` in ns):
    ``L``, ``b`` (per day), the covariance ``pll, plb, pbb`` in units of ``r`` (the
    creator's outcome noise estimate) and ``t_known`` (the row's time)."""
    n = len(y)
    out = {name: np.full(n, np.nan) for name in _STATE}
    if n == 0:
        return out
    y = np.asarray(y, dtype="float64")
    tt = np.asarray(t, dtype="int64")
    starts = group_starts(np.asarray(key))
    position = np.arange(n) - starts
    first = np.flatnonzero(position == 0)
    creator = np.cumsum(position == 0) - 1  # 0..n_creators-1 per row
    m = len(first)
    L, b = np.zeros(m), np.zeros(m)
    pll, plb, pbb = np.ones(m), np.zeros(m), np.full(m, SLOPE_PRIOR)
    r_sum, r_weight = np.full(m, R_PRIOR * R_PRIOR_WEIGHT), np.full(m, R_PRIOR_WEIGHT)
    last_t = np.zeros(m, dtype="int64")
    # The first outcome is the level's first reading, with the outcome's own noise.
    L[:] = y[first]
    last_t[:] = tt[first]
    _store(out, first, L, b, pll, plb, pbb, r_sum / r_weight, tt[first])
    rows_by_position = np.argsort(position, kind="stable")
    bounds = np.searchsorted(position[rows_by_position], np.arange(1, position.max() + 2))
    for j in range(1, int(position.max()) + 1):
        rows = rows_by_position[bounds[j - 1]:bounds[j]]
        c = creator[rows]
        dt = np.maximum((tt[rows] - last_t[c]) / NS_PER_DAY, MIN_DT)
        lp, bp, p11, p12, p22 = _extrapolate(L[c], b[c], pll[c], plb[c], pbb[c], dt)
        s = p11 + 1.0  # innovation variance, units of r
        r = r_sum[c] / r_weight[c]
        v = y[rows] - lp
        z = v / np.sqrt(s * r)  # standardised innovation
        clipped = np.clip(z, -CLIP, CLIP) * np.sqrt(s * r)
        k1, k2 = p11 / s, p12 / s
        L[c], b[c] = lp + k1 * clipped, bp + k2 * clipped
        pll[c], plb[c], pbb[c] = p11 - k1 * p11, p12 - k1 * p12, p22 - k2 * p12
        # Clipped squared innovations keep one viral post from inflating the noise.
        r_sum[c] += np.minimum(z * z, CLIP * CLIP) * r
        r_weight[c] += 1.0
        last_t[c] = tt[rows]
        _store(out, rows, L[c], b[c], pll[c], plb[c], pbb[c], r_sum[c] / r_weight[c], tt[rows])
    return out


def _store(out: dict[str, np.ndarray], rows: np.ndarray, *values: np.ndarray) -> None:
    for name, value in zip(_STATE, values):
        out[name][rows] = value


def _extrapolate(L: np.ndarray, b: np.ndarray, pll: np.ndarray, plb: np.ndarray,
                 pbb: np.ndarray, dt: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The state ``dt`` days on: level += slope x (damped days), slope decays, variances
    grow (units of r). The process noise of the slope is taken over the damped span, so a
    year without a known outcome does not explode the level's variance cubically."""
    decay = np.exp(-dt / SLOPE_DAYS)
    span = SLOPE_DAYS * (1.0 - decay)  # the days the slope still acts over
    level = L + b * span
    slope = b * decay
    p11 = pll + 2 * span * plb + span * span * pbb
    p12 = decay * (plb + span * pbb)
    p22 = decay * decay * pbb
    p11 = p11 + LEVEL_NOISE * dt + SLOPE_NOISE * span ** 3 / 3
    p12 = p12 + SLOPE_NOISE * span ** 2 / 2
    p22 = p22 + SLOPE_NOISE * span
    return level, slope, p11, p12, p22


def advance(frame: pd.DataFrame, gap_days: np.ndarray) -> pd.DataFrame:
    """``frame``'s level columns (as extrapolated to some earlier moment) carried
    ``gap_days`` further on: what they would read at a row that much later with nothing
    new known (the intervals' calibration replays a creator's older state this way). The
    mean composes exactly; the variance adds the level's own noise at the prior outcome
    noise (the state's covariance is not in the table)."""
    out = frame.copy()
    gap = np.maximum(np.nan_to_num(np.asarray(gap_days, dtype="float64")), 0.0)
    decay = np.exp(-gap / SLOPE_DAYS)
    slope = out["level_slope"].to_numpy(dtype="float64")
    out["level"] = out["level"].to_numpy(dtype="float64") + slope * SLOPE_DAYS * (1 - decay)
    out["level_slope"] = slope * decay
    sd = out["level_sd"].to_numpy(dtype="float64")
    out["level_sd"] = np.sqrt(sd * sd + LEVEL_NOISE * gap * R_PRIOR)
    out["days_since_known"] = out["days_since_known"].to_numpy(dtype="float64") + gap
    return out
