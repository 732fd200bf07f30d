"""Per-creator timing: one smooth, partially pooled profile of local hour and weekday.

The one estimate of "when should this creator post": ``suggest``'s slot ranking, the
``timing_effect`` figure, the report's heatmap and the timing reasons all read it, so they
cannot disagree. The LightGBM trees get no clock feature (they fitted timing noise on real
data); this profile is an additive part of the prediction instead.

Model, on the residual r = outcome - the creator's trailing median (settled posts; clipped
at +/-CLIP around the creator's median residual, so one viral post does not draw the curve):

    r = a_c + f_c(hour, weekday) + noise,   f_c = basis(hour, weekday) . beta_c

``basis``: HOUR_BUMPS circular Gaussian bumps over the local hour (local, so hours without
posts keep the prior) and WEEKDAY_HARMONICS harmonics of the weekday; f_c is centred on the
creator's own posts, so it reads "vs your usual slots".
``beta_c`` has the prior N(s x beta_pop, tau^2 I): shrunk to the population profile and,
through ``s`` (0, 1/2 or 1), towards zero. ``s`` and ``tau`` are chosen out of sample: fitted
on each creator's first 75% of posts, scored on the last 25%.

The check that decides whether timing matters for a creator is out of sample too
(forward chaining over FOLDS time blocks of the creator's posts): the profile fitted on the
earlier blocks predicts each later post's slot value; the slope of the later residuals on
that prediction is ~1 where the profile holds and ~0 where it does not. Where the slope is
not positive with 80% confidence (one-sided), or the profile's best-vs-typical slot is
worth under BARELY_PCT, timing "barely matters" and the creator's profile is scaled down
to a tie-break (best slot +0.9%): slots are then equal in every figure a user sees
(reasons start at 1%), and the order among equals follows the creator's best guess.
Creators with fewer than MIN_POSTS settled posts get the same, and the reason says so;
unknown creators get 0. Where it matters but the 80% interval of the best slot's worth
reaches FLOOR_PCT, the profile is used and the note says it is not yet certain.

Where the check holds, the same slope sizes the profile (``_calibration``, SLOPE_MAX): later
posts bearing out 3x what the shrunk profile predicted mean the profile is 3x too small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.engagement import lift_to_percent

HOUR_BUMPS = 8  # one every 3 hours
BUMP_WIDTH_H = 2.0
WEEKDAY_HARMONICS = 1
CLIP = 1.5
FOLDS = 8
MIN_POSTS = 20
MIN_CHECK_POSTS = 10  # later posts the out-of-sample check needs
BARELY_PCT = 5.0
FLOOR_PCT = 1.0
Z80 = 1.2815515655446004  # two-sided 80% intervals
# The check: the slope is positive with at least 80% confidence (one-sided). Measured on
# generated worlds (benchmarks/bench_timing.py), even the true shape as the regressor leaves
# about a fifth of creators with a real 1.5x best/worst hour undetectable from ~100 posts.
Z_CHECK = 0.8416212335729143
TAUS = (0.02, 0.05, 0.1, 0.15, 0.25, 0.4)
PRIOR_SCALES = (0.0, 0.5, 1.0)
CAUTION = 1.0  # slot value = posterior mean - CAUTION x posterior sd
# Calibration: where the check holds, a creator's profile is sized up by its out-of-sample
# slope (the check below), partially pooled towards those creators' mean slope
# (random-effects weights) and kept in [1, SLOPE_MAX]; elsewhere the profile is a
# tie-break anyway. One shared prior width, chosen on one hold-out block, is set by the
# noisy majority and left strong creators' profiles at 0.2-0.4x the planted ones on
# generated worlds (later posts bore out 2-4.7x what the profile predicted); the slope
# measures that factor. Only up: a slope under 1 on ~100 posts is mostly noise around a
# profile the prior has already shrunk (measured: letting it scale down cost the plan test
# world 1.5 points of true engagement and gained nothing on the timing benchmark).
# SLOPE_MAX: a factor measured on ~100 posts is too noisy to trust beyond it.
SLOPE_MAX = 3.0
TIE_BREAK = 0.009  # log scale: +0.9%, under the 1% at which a reason is shown
POPULATION_RIDGE = 50.0  # pseudo-observations per coefficient for the pooled profile
COLUMNS = ("creator", "n_posts", "slope", "slope_se", "lift", "low", "high", "best_hour",
           "best_weekday", "matters", "certain", "scale")


def basis(hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """(n, N_COEF) design: HOUR_BUMPS circular Gaussian bumps over the local hour, then
    WEEKDAY_HARMONICS harmonics of the weekday; NaN clocks give 0 rows. Bumps are local: an
    hour the creator never posts at keeps the prior's value instead of an extrapolation."""
    h = np.asarray(hour, dtype="float64")
    w = np.asarray(weekday, dtype="float64")
    known = np.isfinite(h) & np.isfinite(w)
    h, w = np.nan_to_num(h), np.nan_to_num(w)
    centres = np.arange(HOUR_BUMPS) * (24.0 / HOUR_BUMPS)
    diff = np.abs(h[:, None] - centres[None, :]) % 24.0
    dist = np.minimum(diff, 24.0 - diff)
    cols = [np.exp(-0.5 * (dist / BUMP_WIDTH_H) ** 2)]
    for k in range(1, WEEKDAY_HARMONICS + 1):
        angle = 2 * np.pi * k * w / 7.0
        cols.append(np.column_stack([np.cos(angle), np.sin(angle)]))
    out = np.hstack(cols)
    out[~known] = 0.0
    return out


N_COEF = HOUR_BUMPS + 2 * WEEKDAY_HARMONICS
WEEK_HOURS = np.arange(168) % 24
WEEK_DAYS = np.arange(168) // 24
WEEK_BASIS = basis(WEEK_HOURS, WEEK_DAYS)  # the 168 slots of a week, Monday 00h first


@dataclass(frozen=True)
class TimingSummary:
    """What the profile says about one creator (percent, best slot vs a typical one)."""

    creator: str
    n_posts: int
    matters: bool  # the profile holds on later posts and is worth >= BARELY_PCT
    certain: bool  # ...and its 80% interval stays above FLOOR_PCT
    lift: float  # percent; 0 when timing barely matters
    low: float
    high: float
    slope: float | None  # out-of-sample check; None: too few posts
    reason: str  # why it (barely) matters, in words


class TimingProfile:
    """Fits the profile from the training table's clock, creator and residual columns."""

    def __init__(self, min_posts: int = MIN_POSTS, folds: int = FOLDS) -> None:
        self.min_posts = min_posts
        self.folds = folds

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, creator: np.ndarray, hour: np.ndarray, weekday: np.ndarray,
            residual: np.ndarray, gap_hours: np.ndarray | None = None) -> TimingProfile:
        """Rows in time order; ``residual``: log outcome minus the creator's trailing
        median (NaN rows are left out); ``gap_hours``: hours since the creator's previous
        post. Spacing is confounded with the clock (a 07:00 post usually follows a long
        night without one), so its pooled effect is taken out first; it is not part of
        the profile."""
        ok = (np.isfinite(residual) & np.isfinite(np.asarray(hour, dtype="float64"))
              & np.isfinite(np.asarray(weekday, dtype="float64")))
        codes, names = pd.factorize(pd.Series(np.asarray(creator)[ok]).astype(str))
        n_c = len(names)
        x = basis(np.asarray(hour)[ok], np.asarray(weekday)[ok])
        r = np.asarray(residual, dtype="float64")[ok]
        med = pd.Series(r).groupby(codes).transform("median").to_numpy()
        r = np.clip(r - med, -CLIP, CLIP)
        if gap_hours is not None:
            r = r - _spacing_part(codes, x, r, np.asarray(gap_hours, dtype="float64")[ok])
        position = pd.Series(codes).groupby(codes).cumcount().to_numpy()
        count = np.bincount(codes, minlength=n_c)
        block = np.minimum(position * self.folds // np.maximum(count[codes], 1), self.folds - 1)

        every = np.ones(len(r), dtype=bool)
        all_stats = _stats(codes, x, r, every, n_c)
        self.population_ = _population(all_stats)
        self.sigma2_ = _noise(all_stats, self.population_)
        self.prior_scale_, self.tau_ = self._select(codes, x, r, block, n_c)
        beta, cov = self._posterior(all_stats)
        slope, slope_se, n_check = self._check(codes, x, r, block, n_c)
        slot = (np.asarray(weekday, dtype="float64")[ok] * 24
                + np.asarray(hour, dtype="float64")[ok]).astype("int64") % 168
        self.slots_, self.table_ = self._summarise(names, count, beta, cov, slope, slope_se,
                                                   n_check, codes, slot)
        return self

    def _posterior(self, stats: _Stats) -> tuple[np.ndarray, np.ndarray]:
        precision = stats.xx / self.sigma2_ + np.eye(N_COEF) / self.tau_**2
        rhs = stats.xr / self.sigma2_ + self.prior_scale_ * self.population_ / self.tau_**2
        cov = np.linalg.inv(precision)
        return np.einsum("cij,cj->ci", cov, rhs), cov

    def _select(self, codes: np.ndarray, x: np.ndarray, r: np.ndarray, block: np.ndarray,
                n_c: int) -> tuple[float, float]:
        """(s, tau) with the smallest squared error on each creator's last block."""
        train = _stats(codes, x, r, block < self.folds - 1, n_c)
        test = block == self.folds - 1
        best, best_loss = (0.0, TAUS[0]), np.inf
        for scale in PRIOR_SCALES:
            for tau in TAUS:
                self.prior_scale_, self.tau_ = scale, tau
                beta, _ = self._posterior(train)
                loss = _holdout_loss(codes, x, r, test, beta, n_c)
                if loss < best_loss - 1e-12:
                    best, best_loss = (scale, tau), loss
        return best

    def _check(self, codes: np.ndarray, x: np.ndarray, r: np.ndarray, block: np.ndarray,
               n_c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per creator: slope of later residuals on the earlier profile's prediction, its
        standard error and the number of posts checked."""
        evidence = np.full(len(r), np.nan)
        group = np.full(len(r), -1)
        for k in range(1, self.folds):
            beta, _ = self._posterior(_stats(codes, x, r, block < k, n_c))
            rows = block == k
            evidence[rows] = np.einsum("ij,ij->i", x[rows], beta[codes[rows]])
            group[rows] = codes[rows] * self.folds + k
        rows = group >= 0
        g, e, y = group[rows], evidence[rows], r[rows]
        # Centred within (creator, block): a level that drifts between blocks is no timing.
        e = e - _group_mean(g, e)
        y = y - _group_mean(g, y)
        owner = g // self.folds
        see = np.bincount(owner, weights=e * e, minlength=n_c)
        sey = np.bincount(owner, weights=e * y, minlength=n_c)
        n = np.bincount(owner, minlength=n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(see > 1e-12, sey / see, np.nan)
            resid = y - slope[owner] * e
            dof = np.maximum(n - (self.folds - 1) - 1, 1)
            s2 = np.bincount(owner, weights=resid * resid, minlength=n_c) / dof
            se = np.sqrt(s2 / see)
        return slope, se, n

    def _summarise(self, names: pd.Index, count: np.ndarray, beta: np.ndarray,
                   cov: np.ndarray, slope: np.ndarray, slope_se: np.ndarray,
                   n_check: np.ndarray, codes: np.ndarray, slot: np.ndarray
                   ) -> tuple[np.ndarray, pd.DataFrame]:
        checked = (count >= self.min_posts) & (n_check >= MIN_CHECK_POSTS) & np.isfinite(slope)
        holds = checked & (slope - Z_CHECK * np.nan_to_num(slope_se, nan=np.inf) > 0)
        scale = _calibration(slope, slope_se, holds)
        mean = beta @ WEEK_BASIS.T  # (creators, 168)
        sd_slot = np.sqrt(np.maximum(np.einsum("sj,cjk,sk->cs", WEEK_BASIS, cov, WEEK_BASIS),
                                     0.0))
        # Slots are valued cautiously: a slot the creator has (almost) never tried keeps a
        # wide posterior and is not preferred on an extrapolation.
        week = scale[:, None] * (mean - CAUTION * sd_slot)
        best = np.argmax(week, axis=1)
        typical = np.argsort(week, axis=1)[:, 84]  # the median slot
        diff = WEEK_BASIS[best] - WEEK_BASIS[typical]
        point = np.max(week, axis=1) - np.median(week, axis=1)  # as the heatmap reads it
        sd = scale * np.sqrt(np.maximum(np.einsum("ij,ijk,ik->i", diff, cov, diff), 0.0))
        lift = lift_to_percent(point)
        low = lift_to_percent(np.maximum(point - Z80 * sd, 0.0))
        high = lift_to_percent(point + Z80 * sd)
        matters = holds & (lift >= BARELY_PCT)
        certain = matters & (low >= FLOOR_PCT)
        # Where timing barely matters the profile only breaks ties between slots: scaled so
        # that its best slot is worth TIE_BREAK over a typical one (under MIN_REASON_PCT, so
        # never a reason, a heatmap colour or a lift of its own).
        spread = np.max(week, axis=1) - np.median(week, axis=1)
        tie = np.where(spread > 1e-9, TIE_BREAK / np.maximum(spread, 1e-9), 0.0)
        values = np.where(matters[:, None], week, week * np.minimum(tie, 1.0)[:, None])
        # Centred on what the creator usually does (the mean over their own posts' slots), so
        # the profile moves a prediction away from the creator's level, never the level.
        own = values[codes, slot]
        reference = np.bincount(codes, weights=own, minlength=len(names)) / np.maximum(count, 1)
        table = pd.DataFrame({
            "creator": names.astype(str), "n_posts": count, "slope": slope,
            "slope_se": slope_se, "lift": np.where(matters, lift, 0.0),
            "low": np.where(matters, low, 0.0), "high": high,
            "best_hour": WEEK_HOURS[best], "best_weekday": WEEK_DAYS[best],
            "matters": matters, "certain": certain, "scale": scale,
        })
        return values - reference[:, None], table

    # -- using -----------------------------------------------------------------------------
    def effect(self, creator: pd.Series | np.ndarray, hour: np.ndarray, weekday: np.ndarray
               ) -> np.ndarray:
        """The profile's value (log scale) at each row's slot, vs the creator's usual slots;
        0 for unknown creators and rows without a clock."""
        index = _creator_index(pd.Index(self.table_["creator"]), creator)
        slots = np.vstack([self.slots_, np.zeros((1, 168))])  # -1: the zero row
        h = np.asarray(hour, dtype="float64")
        w = np.asarray(weekday, dtype="float64")
        clock = np.isfinite(h) & np.isfinite(w)
        slot = (np.nan_to_num(w) * 24 + np.nan_to_num(h)).astype("int64") % 168
        return np.where(clock, slots[index, slot], 0.0)

    def week(self, creator: str) -> np.ndarray:
        """The creator's 168 slot values (Monday 00h first), log scale, 0 if unknown."""
        return self.effect(np.full(168, creator, dtype=object), WEEK_HOURS, WEEK_DAYS)

    def summary(self, creator: str) -> TimingSummary:
        rows = self.table_[self.table_["creator"] == creator]
        if rows.empty:
            return TimingSummary(creator, 0, False, False, 0.0, 0.0, 0.0, None,
                                 "no settled posts of yours in the training data")
        row = rows.iloc[0]
        slope = None if not np.isfinite(row["slope"]) else float(row["slope"])
        return TimingSummary(creator, int(row["n_posts"]), bool(row["matters"]),
                             bool(row["certain"]), float(row["lift"]), float(row["low"]),
                             float(row["high"]), slope, _reason(row, self.min_posts))

    # -- persistence -----------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        slots = pd.DataFrame(self.slots_, columns=[f"slot_{k}" for k in range(168)])
        return pd.concat([self.table_.reset_index(drop=True), slots], axis=1)

    def state(self) -> dict[str, object]:
        return {"prior_scale": self.prior_scale_, "tau": self.tau_, "sigma2": self.sigma2_,
                "population": [float(v) for v in self.population_],
                "hour_bumps": HOUR_BUMPS, "bump_width_h": BUMP_WIDTH_H, "caution": CAUTION,
                "weekday_harmonics": WEEKDAY_HARMONICS}

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, state: dict[str, object]) -> TimingProfile:
        if (state.get("hour_bumps"), state.get("bump_width_h"),
                state.get("weekday_harmonics")) != (HOUR_BUMPS, BUMP_WIDTH_H, WEEKDAY_HARMONICS):
            raise ValueError("timing profile basis")
        profile = cls()
        profile.prior_scale_ = float(state["prior_scale"])  # type: ignore[arg-type]
        profile.tau_ = float(state["tau"])  # type: ignore[arg-type]
        profile.sigma2_ = float(state["sigma2"])  # type: ignore[arg-type]
        profile.population_ = np.asarray(state["population"], dtype="float64")
        profile.slots_ = frame[[f"slot_{k}" for k in range(168)]].to_numpy(dtype="float64")
        table = frame.reindex(columns=list(COLUMNS))
        table["scale"] = table["scale"].fillna(1.0)  # artifacts from before the calibration
        profile.table_ = table.reset_index(drop=True)
        return profile


@dataclass
class _Stats:
    """Per-creator centred sufficient statistics: X'X (c, p, p) and X'r (c, p)."""

    xx: np.ndarray
    xr: np.ndarray
    rr: np.ndarray
    n: np.ndarray


def _stats(codes: np.ndarray, x: np.ndarray, r: np.ndarray, rows: np.ndarray, n_c: int
           ) -> _Stats:
    c, xs, rs = codes[rows], x[rows], r[rows]
    n = np.bincount(c, minlength=n_c).astype("float64")
    safe = np.maximum(n, 1.0)
    sx = np.column_stack([np.bincount(c, weights=xs[:, j], minlength=n_c)
                          for j in range(N_COEF)])
    sr = np.bincount(c, weights=rs, minlength=n_c)
    xx = np.empty((n_c, N_COEF, N_COEF))
    for j in range(N_COEF):
        for k in range(j, N_COEF):
            value = np.bincount(c, weights=xs[:, j] * xs[:, k], minlength=n_c)
            xx[:, j, k] = xx[:, k, j] = value - sx[:, j] * sx[:, k] / safe
    xr = np.column_stack([np.bincount(c, weights=xs[:, j] * rs, minlength=n_c)
                          for j in range(N_COEF)]) - sx * (sr / safe)[:, None]
    rr = np.bincount(c, weights=rs * rs, minlength=n_c) - sr**2 / safe
    return _Stats(xx, xr, rr, n)


def _population(stats: _Stats) -> np.ndarray:
    """The pooled within-creator profile (ridge: a thin store says little)."""
    xx, xr = stats.xx.sum(axis=0), stats.xr.sum(axis=0)
    return np.linalg.solve(xx + POPULATION_RIDGE * np.eye(N_COEF), xr)


def _noise(stats: _Stats, beta: np.ndarray) -> float:
    rss = stats.rr.sum() - 2 * stats.xr.sum(axis=0) @ beta + beta @ stats.xx.sum(axis=0) @ beta
    dof = max(stats.n.sum() - np.count_nonzero(stats.n) - N_COEF, 1.0)
    return float(max(rss / dof, 1e-4))


SPACING_SCALES_H = (3.0, 12.0, 48.0)


def _spacing_part(codes: np.ndarray, x: np.ndarray, r: np.ndarray, gap: np.ndarray
                  ) -> np.ndarray:
    """The pooled effect of the gap since the previous post (decaying terms at
    SPACING_SCALES_H), fitted within creators jointly with the pooled clock profile."""
    g = np.where(np.isfinite(gap), np.maximum(gap, 0.0), np.inf)
    spacing = np.column_stack([np.exp(-g / h) for h in SPACING_SCALES_H])
    design = np.hstack([x, spacing])
    centred = design - pd.DataFrame(design).groupby(codes).transform("mean").to_numpy()
    rc = r - _group_mean(codes, r)
    ridge = np.r_[np.full(N_COEF, POPULATION_RIDGE), np.full(spacing.shape[1], 1.0)]
    coef = np.linalg.solve(centred.T @ centred + np.diag(ridge), centred.T @ rc)
    return spacing @ coef[N_COEF:]


def _calibration(slope: np.ndarray, se: np.ndarray, holds: np.ndarray) -> np.ndarray:
    """Per creator whose check holds: the out-of-sample slope shrunk to the pooled one of
    those creators (random-effects weights, DerSimonian-Laird between-creator variance), in
    [1, SLOPE_MAX]; 1 for the others (and for all when fewer than 2 hold)."""
    ok = holds & np.isfinite(se) & (se > 0)
    out = np.ones(len(slope))
    if ok.sum() < 2:
        return out
    b, v = slope[ok], se[ok] ** 2
    w = 1.0 / v
    fixed = float((w * b).sum() / w.sum())
    q = float((w * (b - fixed) ** 2).sum())
    between = max(0.0, (q - (ok.sum() - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    wr = 1.0 / (v + between)
    pooled = float((wr * b).sum() / wr.sum())
    # Each creator's posterior mean: its own slope and the pooled one, by precision.
    own = b / v + (pooled / between if between > 0 else 0.0)
    shrunk = own / (1.0 / v + (1.0 / between if between > 0 else np.inf))
    shrunk = np.where(between > 0, shrunk, pooled)
    out[ok] = np.clip(shrunk, 1.0, SLOPE_MAX)
    return out


def _group_mean(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    return pd.Series(values).groupby(group).transform("mean").to_numpy()


def _holdout_loss(codes: np.ndarray, x: np.ndarray, r: np.ndarray, rows: np.ndarray,
                  beta: np.ndarray, n_c: int) -> float:
    c, pred, y = codes[rows], np.einsum("ij,ij->i", x[rows], beta[codes[rows]]), r[rows]
    pred = pred - _group_mean(c, pred)
    y = y - _group_mean(c, y)
    return float(((y - pred) ** 2).sum())


def _creator_index(names: pd.Index, creator: pd.Series | np.ndarray) -> np.ndarray:
    """Position of each row's creator in ``names`` (-1 if absent), cheap for categoricals."""
    series = creator if isinstance(creator, pd.Series) else pd.Series(creator)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = names.get_indexer(series.cat.categories.astype(str))
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, cats[np.maximum(codes, 0)], -1)
    return names.get_indexer(series.astype(str))


def _reason(row: pd.Series, min_posts: int) -> str:
    n = int(row["n_posts"])
    if n < min_posts:
        return f"only {n} settled posts: too few to tell ({min_posts} needed)"
    slope = row["slope"]
    if not np.isfinite(slope):
        return "too few later posts to check a profile on"
    floor = slope - Z_CHECK * row["slope_se"]
    check = (f"checked on your later posts: they followed {slope:.2f} of what your earlier "
             f"posts predicted (with 80% confidence at least {floor:.2f}; 1 = fully, 0 = not "
             "at all)")
    if bool(row["matters"]):
        scale = float(row["scale"])
        if scale > 1.05:
            # The slope says the shrunk profile was too small; what is shown is resized.
            return check + f"; the profile shown is sized up x{scale:.1f} to match"
        return check
    if floor <= 0:
        return check + ": not borne out"
    return check + f", but the best slot is worth under {BARELY_PCT:.0f}%"
