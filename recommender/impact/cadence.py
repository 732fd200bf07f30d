"""Cadence advice: how a creator's posts respond to posting more in a week, within creator.

For each settled post: its log outcome, the number of posts the creator made that UTC week
(Monday-Sunday) and the hours since their previous post. The per-post response is a knee:

    y = level(t) + content + clock + gap(hours) - drop x max(0, log2(posts_that_week / knee))

flat up to ``knee`` posts a week, then ``drop`` less per doubling. Everything but the knee
is a nuisance fitted jointly with it, per creator: the slow level (piecewise linear in
time: growth and seasons, never another creator), the gap since the previous post (hinges:
short gaps may cost, long ones nothing), and for precision only the post's length, hashtag
count, sound, followers at the post and, with 100+ posts, local hour and weekday. The knee
is identified by the creator's busy weeks vs their quiet weeks alone. Estimating the level
first from the same posts (a rolling mean) would let busy weeks pull down the level they
are compared with, and a log-linear gap would take part of the knee for spacing.

For every knee on a grid (as a multiple of the creator's mean weekly rate) and drop, a
Huber-weighted least-squares fit gives the creator's profile likelihood; the pooled prior
over (knee ratio, drop) is the average of all creators' posteriors, iterated (empirical
Bayes by EM), and each creator's posterior = likelihood x prior: a creator with little
history is shrunk to what the store's creators show. The advised rate is the knee's
posterior median (80% interval from the posterior). The week's total is
``n x exp(per-post response)``: it still rises past the knee while ``drop < ln 2``, so the
knee, not the week's best total, is the rate to plan (past it each post is worth less).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.engagement import log_engagement
from recommender.impact.series import settled_posts
from recommender.store import StoreData, timezone_lookup

TREND_DAYS = 56.0  # knot spacing of the creator's slow level
CONTENT_COLUMNS = ("c_length", "c_tags", "c_original", "c_followers")
CLOCK_COLUMNS = ("k_h1s", "k_h1c", "k_h2s", "k_h2c", "k_ds", "k_dc")
CLOCK_MIN_POSTS = 100  # six more columns: only where they cost little
GAP_HINGES_H = np.array([2.0, 4.0, 8.0, 16.0])  # a gap shorter than these may cost
MIN_POSTS = 40
MIN_WEEKS = 12
RATIO_GRID = np.round(np.arange(0.3, 2.51, 0.05), 2)  # knee / the creator's mean weekly rate
DROP_GRID = np.round(np.arange(0.0, 1.01, 0.05), 2)  # log per doubling past the knee
HUBER_K = 1.345  # the usual 95%-efficient Huber constant, in robust SDs
ROBUST_PASSES = 3
EM_STEPS = 10


@dataclass
class CadenceAdvice:
    creator: str
    enough_history: bool
    typical_per_week: float  # the creator's median posts in a week they posted
    knee: float | None  # posts per week beyond which each post earns less (posterior median)
    knee_low: float | None  # 80% interval
    knee_high: float | None
    drop_pct: float | None  # per-post change per doubling of the week's posts past the knee
    week_total_rises: bool | None
    gap_pct: float | None  # per-post change per doubling of the gap since the last post
    n_posts: int
    n_weeks: int
    advice: str
    drop_range: tuple[float, float] | None = None  # 80% interval of drop_pct
    plan: int | None = None  # posts to plan for the coming week
    # Per posts-per-week: the per-post multiplier and the week's total relative to one post,
    # each with its 80% band (posterior quantiles); for the report's chart, not the JSON.
    curve: pd.DataFrame | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(float(v), 1) + 0.0  # no "-0.0"

        return {"enough_history": self.enough_history,
                "typical_per_week": r(self.typical_per_week), "plan_per_week": self.plan,
                "advised_per_week": r(self.knee),
                "low": r(self.knee_low), "high": r(self.knee_high),
                "drop_pct_per_doubling": r(self.drop_pct),
                "drop_low": r(self.drop_range[0]) if self.drop_range else None,
                "drop_high": r(self.drop_range[1]) if self.drop_range else None,
                "week_total_rises": self.week_total_rises,
                "gap_pct_per_doubling": r(self.gap_pct), "n_posts": self.n_posts,
                "n_weeks": self.n_weeks, "advice": self.advice, "notes": self.notes}


def post_table(data: StoreData, target: str = "weighted") -> pd.DataFrame:
    """Per settled post: creator, log outcome, days since the creator's first post, the
    number of posts (settled or not) in its UTC week, hours since the previous post."""
    posts = data.posts.sort_values(["creator", "posted_at"], kind="stable")
    creator = posts["creator"].astype(str)
    week = posts["posted_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN")
    n_week = posts.groupby([creator, week])["post_id"].transform("size").to_numpy()
    gap = posts.groupby(creator)["posted_at"].diff().dt.total_seconds().to_numpy() / 3600.0
    first = posts.groupby(creator)["posted_at"].transform("min")
    frame = pd.DataFrame({"creator": creator.to_numpy(), "posted_at": posts["posted_at"],
                          "n_week": n_week, "gap_h": np.clip(gap, 1.0, 168.0),
                          "t_days": (posts["posted_at"] - first).dt.total_seconds() / 86400.0,
                          "week": week.to_numpy()}, index=posts.index)
    kept = settled_posts(posts)
    frame = frame.loc[kept.index].assign(y=log_engagement(kept, target), **_content(kept),
                                         **_clock(kept, timezone_lookup(data.creators)))
    return frame[np.isfinite(frame["y"]) & np.isfinite(frame["gap_h"])]


def _content(posts: pd.DataFrame) -> dict[str, np.ndarray]:
    """What the post was, for precision only (the knee is identified by busy vs quiet weeks
    either way): log length and hashtag count (each with its square: both have a best
    value), original sound. Unknown values take the creator's median."""
    creator = posts["creator"].astype(str)
    duration = pd.to_numeric(posts["duration_s"], errors="coerce").astype("float64")
    length = np.log2(duration.where(duration > 0))
    tags = posts["hashtags"].map(lambda t: len(t) if t is not None and hasattr(t, "__len__")
                                 else np.nan).astype("float64")
    original = posts["sound_is_original"].astype("float64")
    followers = pd.to_numeric(posts["followers_at_post"], errors="coerce").astype("float64")
    reach = np.log(followers.where(followers > 0))
    out = {}
    for name, col in (("c_length", length), ("c_tags", tags), ("c_original", original),
                      ("c_followers", reach)):
        out[name] = col.fillna(col.groupby(creator).transform("median")).fillna(0.0).to_numpy()
    return out


def _clock(posts: pd.DataFrame, zones: dict[str, str]) -> dict[str, np.ndarray]:
    """Local hour of day (two harmonics) and weekday (one), for precision: when in the day
    a creator posts moves engagement too, and busy weeks need not keep the same hours."""
    hour, day = np.zeros(len(posts)), np.zeros(len(posts))
    creator = posts["creator"].astype(str).to_numpy()
    for c in np.unique(creator):
        rows = creator == c
        local = posts["posted_at"][rows].dt.tz_convert(zones.get(c, "UTC"))
        hour[rows] = (local.dt.hour + local.dt.minute / 60.0).to_numpy()
        day[rows] = local.dt.day_of_week.to_numpy()
    h, d = 2 * np.pi * hour / 24.0, 2 * np.pi * day / 7.0
    return {"k_h1s": np.sin(h), "k_h1c": np.cos(h), "k_h2s": np.sin(2 * h),
            "k_h2c": np.cos(2 * h), "k_ds": np.sin(d), "k_dc": np.cos(d)}


def _nuisance_columns(g: pd.DataFrame) -> np.ndarray:
    """What every fit holds fixed: the creator's slow level (piecewise linear in time, one
    knot per ``TREND_DAYS``, so growth and seasons are absorbed but a single busy week is
    not) and the gap since the previous post (hinges at ``GAP_HINGES_H``, last columns: short
    gaps may cost much, long ones nothing). Fitted jointly with the knee: a level estimated
    first from the same posts would be pulled down by the busy weeks it is compared with."""
    t = g["t_days"].to_numpy(dtype="float64")
    knots = np.arange(0.0, t.max() + TREND_DAYS, TREND_DAYS)
    hats = np.clip(1.0 - np.abs(t[:, None] - knots[None, :]) / TREND_DAYS, 0.0, None)
    hinge = np.maximum(0.0, np.log2(GAP_HINGES_H[None, :] / g["gap_h"].to_numpy()[:, None]))
    content = [g[c].to_numpy(dtype="float64") for c in CONTENT_COLUMNS if c in g]
    content += [v ** 2 for v in content[:2]]
    if len(g) >= CLOCK_MIN_POSTS:
        content += [g[c].to_numpy(dtype="float64") for c in CLOCK_COLUMNS if c in g]
    return np.column_stack([hats[:, hats.sum(axis=0) > 0], *content, hinge])


def _basis(z: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of ``z`` (unused or collinear ones dropped)."""
    # From the small Gram matrix: far cheaper than an SVD of the tall ``z``.
    values, vectors = np.linalg.eigh(z.T @ z)
    keep = values > values.max() * 1e-10
    return (z @ vectors[:, keep]) / np.sqrt(values[keep])


def _knee_design(n_week: np.ndarray, scale: float) -> np.ndarray:
    """Posts x knees on the grid: max(0, log2(posts that week / knee))."""
    knees = RATIO_GRID[None, :] * scale
    return np.maximum(0.0, np.log2(n_week[:, None] / knees))


def _profile(g: pd.DataFrame, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood over (knee ratio, drop) on the grids, the nuisance profiled out by
    weighted least squares, and the posts' weights. Huber weights, by iterated reweighting
    of the fit without the knee: a viral post counts as one that did well, not as ten. The
    weights never come from a fit with a knee, which would favour that knee (the posts
    that disagree with it would count less) and find drops in pure noise."""
    z = _nuisance_columns(g)
    y = g["y"].to_numpy(dtype="float64")
    w = np.ones(len(y))
    for _ in range(ROBUST_PASSES):
        sw = np.sqrt(w)
        q = _basis(z * sw[:, None])
        e = (y * sw - q @ (q.T @ (y * sw))) / sw
        e -= np.median(e)
        sd = 1.4826 * float(np.median(np.abs(e))) or 1.0
        w = np.minimum(1.0, HUBER_K * sd / np.maximum(np.abs(e), 1e-12))
    sw = np.sqrt(w)
    q = _basis(z * sw[:, None])
    yw = y * sw
    xw = _knee_design(g["n_week"].to_numpy(dtype="float64"), scale) * sw[:, None]
    my = yw - q @ (q.T @ yw)
    mx = xw - q @ (q.T @ xw)
    # sse(knee, drop) = |My + drop Mx|^2, expanded so every grid cell costs O(1).
    sse = (my @ my + 2.0 * (my @ mx)[:, None] * DROP_GRID[None, :]
           + (mx * mx).sum(axis=0)[:, None] * DROP_GRID ** 2)
    n = len(y)
    return -0.5 * n * np.log(np.maximum(sse, 1e-12) / n), w


def _gap_fit(g: pd.DataFrame, w: np.ndarray, scale: float, ratio: float,
             drop: float) -> tuple[float, np.ndarray]:
    """At the best (knee, drop): the fitted gap curve's mean slope per doubling of the gap
    between the creator's 10th and 90th percentile gaps (the curve is flat past the last
    hinge), and the hinge coefficients (for the week's curve at even spacing)."""
    sw = np.sqrt(w)
    z = _nuisance_columns(g)
    x = _knee_design(g["n_week"].to_numpy(dtype="float64"), scale)
    col = int(np.argmin(np.abs(RATIO_GRID - ratio)))
    y = g["y"].to_numpy(dtype="float64") + drop * x[:, col]
    zw = z * sw[:, None]
    coef = (np.linalg.pinv(zw.T @ zw) @ (zw.T @ (y * sw)))[-len(GAP_HINGES_H):]
    gaps = np.quantile(g["gap_h"].to_numpy(), [0.1, 0.9])
    if gaps[1] <= gaps[0] * 1.01:
        return 0.0, coef
    curve = _gap_effect(gaps, coef)
    return float((curve[1] - curve[0]) / np.log2(gaps[1] / gaps[0])), coef


def _gap_effect(gap_h: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.log2(GAP_HINGES_H[None, :] / gap_h[:, None])) @ coef


def _mean_rate(weeks: pd.Series) -> float:
    """Posts per week over every week from the creator's first to their last, empty ones
    included: the unit of the knee grid, so the pooled prior says "creators start to lose
    per post at about X times their own usual rate" (steadier than the median busy week)."""
    span = (weeks.index.max() - weeks.index.min()).n + 1
    return float(weeks.sum()) / max(span, 1)


def advise_all(data: StoreData, target: str = "weighted") -> dict[str, CadenceAdvice]:
    """Cadence advice for every creator in ``data`` (one pooled prior for all)."""
    table = post_table(data, target)
    fits = {}
    for c, g in table.groupby("creator", sort=False):
        weeks = g.groupby("week")["n_week"].first()
        typical = float(weeks.median())
        scale = _mean_rate(weeks)
        enough = len(g) >= MIN_POSTS and len(weeks) >= MIN_WEEKS and weeks.nunique() >= 3
        fits[c] = (g, typical, scale, len(weeks), enough,
                   _profile(g, scale) if enough else None)
    liks = [np.exp(f[5][0] - f[5][0].max()) for f in fits.values() if f[4]]
    flat = np.full((len(RATIO_GRID), len(DROP_GRID)), 1.0 / (len(RATIO_GRID) * len(DROP_GRID)))
    prior = flat
    for _ in range(EM_STEPS if liks else 0):
        # Empirical Bayes by EM: the prior becomes the creators' mean posterior, so what
        # most creators show (e.g. how steep the drop is) sharpens each one's estimate.
        posts = [lk * prior for lk in liks]
        prior = 0.9 * np.mean([p / p.sum() for p in posts], axis=0) + 0.1 * flat
    return {c: _advice(c, *f, prior) for c, f in fits.items()}


def cadence_advice(data: StoreData, creator: str, target: str = "weighted") -> CadenceAdvice:
    """Cadence advice for one creator, pooled with every creator in the store."""
    advice = advise_all(data, target)
    if creator not in advice:
        return CadenceAdvice(creator, False, 0.0, None, None, None, None, None, None, 0, 0,
                             "not enough data: no settled posts to learn your cadence from")
    return advice[creator]


def _curve(joint: np.ndarray, scale: float, busiest: int, gap_coef: np.ndarray
           ) -> pd.DataFrame:
    """Posterior median and 80% band of the per-post multiplier and of the week's total
    (relative to a single post) at 1..busiest posts a week, evenly spaced (so the fitted
    cost of shorter gaps counts too, at its point estimate: flat past the longest hinge)."""
    knees = RATIO_GRID[:, None] * scale
    weights = joint.ravel()
    order_rows = []
    for n in range(1, max(2, busiest) + 1):
        spacing = float(np.exp(_gap_effect(np.array([168.0 / n]), gap_coef)[0]))
        mult = spacing * np.exp(
            -DROP_GRID[None, :] * np.maximum(0.0, np.log2(n / knees))).ravel()
        order = np.argsort(mult)
        cdf = np.cumsum(weights[order])
        q = [float(mult[order][min(np.searchsorted(cdf, p), len(cdf) - 1)])
             for p in (0.1, 0.5, 0.9)]
        order_rows.append({"posts_per_week": n, "per_post_low": q[0], "per_post": q[1],
                           "per_post_high": q[2], "week_low": n * q[0], "week": n * q[1],
                           "week_high": n * q[2]})
    return pd.DataFrame(order_rows)


def _pct(value: float) -> str:
    """Signed percent, no "-0%"."""
    n = int(round(value))
    return f"{n:+d}%" if n else "0%"


def _less(value: float) -> str:
    """A negative change as a plain amount ("12%"), for "... less"."""
    return f"{abs(int(round(value)))}%"


def _advice(creator: str, g: pd.DataFrame, typical: float, scale: float, n_weeks: int,
            enough: bool,
            fitted: tuple[np.ndarray, np.ndarray] | None, prior: np.ndarray
            ) -> CadenceAdvice:
    if not enough or fitted is None:
        return CadenceAdvice(
            creator, False, typical, None, None, None, None, None, None, len(g), n_weeks,
            f"not enough data to advise a cadence ({len(g)} settled posts over {n_weeks} "
            f"weeks; need {MIN_POSTS} over {MIN_WEEKS}, with busy and quiet weeks)")
    fit, w = fitted
    joint = np.exp(fit - fit.max()) * prior
    joint /= joint.sum()
    post = joint.sum(axis=1)  # over the knee
    cdf = np.cumsum(post)
    knees = RATIO_GRID * scale
    lo, med, hi = (float(knees[min(np.searchsorted(cdf, q), len(cdf) - 1)])
                   for q in (0.1, 0.5, 0.9))
    drop_post = joint.sum(axis=0)
    drop = float(drop_post @ DROP_GRID)
    drop_pct = float(np.expm1(-drop) * 100)
    dcdf = np.cumsum(drop_post)
    d_lo, d_hi = (float(DROP_GRID[min(np.searchsorted(dcdf, q), len(dcdf) - 1)])
                  for q in (0.1, 0.9))
    drop_range = (float(np.expm1(-d_hi) * 100), float(np.expm1(-d_lo) * 100))
    best = np.unravel_index(np.argmax(joint), joint.shape)
    gap_slope, gap_coef = _gap_fit(g, w, scale, RATIO_GRID[best[0]], DROP_GRID[best[1]])
    gap_pct = float(np.expm1(gap_slope) * 100)
    rises = drop < np.log(2)
    total = "the week's total still rises" if rises else "the week's total falls"
    advice = (f"plan about {max(1, round(med))} posts this week "
              f"({max(1, int(np.floor(lo)))}-{max(1, int(np.ceil(hi)))} a week): beyond about "
              f"{med:.0f}, each doubling of the week's posts earns {_less(drop_pct)} less per "
              f"post (80% interval {_less(drop_range[1])} to {_less(drop_range[0])} less), but "
              f"{total}")
    plan = max(1, round(med))
    if d_lo <= 0.0:  # the drop's interval reaches zero: no evidence of a limit
        plan = max(1, round(typical))
        spread = (f"; per doubling, 80% interval {_pct(drop_range[0])} to "
                  f"{_pct(drop_range[1])}" if round(drop_range[0]) else "")
        advice = (f"plan at least your usual {plan} posts this week: your posts earned no "
                  f"measurably less in your busiest weeks (up to {int(g['n_week'].max())} posts"
                  f"{spread}), so more posts add to the week's total")
    curve = _curve(joint, scale, int(g["n_week"].max()), gap_coef)
    return CadenceAdvice(creator, True, typical, med, lo, hi, drop_pct, bool(rises), gap_pct,
                         len(g), n_weeks, advice, drop_range, plan, curve,
                         [f"Within your own history: busy vs quiet weeks, with your slow "
                          f"level (in {TREND_DAYS:.0f}-day steps), the gap since your previous "
                          f"post and each post's length, hashtag count and sound held fixed; "
                          f"the knee's 80% interval is "
                          f"{lo:.1f}-{hi:.1f} posts a week (pooled with the store's creators)."])


POOL_CREATORS = 50


def for_suggest(data: StoreData, creator: str, now: pd.Timestamp,
                target: str = "weighted") -> dict[str, Any]:
    """``suggest``'s ``cadence`` field: the advice from posts before ``now`` only, pooled
    with the ``POOL_CREATORS`` creators with the most posts (a bounded cost on big stores)."""
    return for_suggest_advice(data, creator, now, target).to_dict()


def for_suggest_advice(data: StoreData, creator: str, now: pd.Timestamp,
                       target: str = "weighted") -> CadenceAdvice:
    posts = data.posts[data.posts["posted_at"] < now]
    counts = posts["creator"].astype(str).value_counts()
    keep = {creator, *counts.index[:POOL_CREATORS]}
    scoped = StoreData(posts=posts[posts["creator"].astype(str).isin(keep)],
                       creators=data.creators)  # their time zones, for the local clock
    return cadence_advice(scoped, creator, target)
