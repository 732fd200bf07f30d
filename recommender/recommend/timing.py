"""How much does timing matter for this creator? A model estimate checked on their history.

Models trained with a timing profile (``recommender.model.timing``, the default) carry the
answer: ``TimingEffect.from_profile``. The rest of this module is the older check, kept for
model directories trained without one:

1. The model's timing profile: the creator's usual post moved to every hour of the coming
   week with nothing else changed, and scored. Its spread (best hour minus the median hour,
   log scale) is what the model believes choosing the slot is worth.
2. The check: for each of the creator's settled past posts, what their *earlier* posts said
   about that post's slot (the own-slot features: shrunk mean residual of earlier posts at
   that local hour and weekday) against what actually happened relative to the creator's
   trailing median. Out of sample by construction: the model's own contributions on those
   posts would not be, since the model was fitted on them. The slope of outcome on that
   evidence is ~1 when the creator's slots keep their value and ~0 when timing made no
   difference for them. A bootstrap over those posts (resampling posts with their
   residuals) gives an 80% interval for the slope.
3. Timing effect = spread x slope, with the interval spread x [q10, q90] of the bootstrap.

"Timing barely matters" when the interval reaches down to ~0 or the effect is below
BARELY_PCT. With fewer than MIN_POSTS settled posts there is no interval, and we say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.engagement import lift_to_percent
from recommender.model.timing import TimingSummary

MIN_POSTS = 20
BARELY_PCT = 5.0  # a best slot worth less than +5% over a typical one "barely matters"
FLOOR_PCT = 1.0  # an interval reaching below +1% "includes ~0"
N_BOOT = 400
INTERVAL = (0.10, 0.90)


@dataclass(frozen=True)
class TimingEffect:
    lift: float  # percent: best slot vs a typical slot
    low: float | None
    high: float | None
    model_spread: float  # percent, the uncalibrated profile spread
    slope: float | None
    n_posts: int
    matters: bool | None = None  # the timing profile's verdict (None: the older check)
    reason: str = ""
    certain: bool = True

    @classmethod
    def from_profile(cls, summary: TimingSummary) -> TimingEffect:
        """The model's per-creator timing profile (``recommender.model.timing``)."""
        return cls(summary.lift, summary.low, summary.high, summary.lift, summary.slope,
                   summary.n_posts, summary.matters, summary.reason, summary.certain)

    @property
    def barely_matters(self) -> bool:
        if self.matters is not None:
            return not self.matters
        if self.low is None:
            return self.lift < BARELY_PCT
        return self.low < FLOOR_PCT or self.lift < BARELY_PCT

    def to_dict(self) -> dict[str, float | None]:
        return {"lift": round(self.lift, 1),
                "low": None if self.low is None else round(self.low, 1),
                "high": None if self.high is None else round(self.high, 1)}

    def note(self) -> str:
        if self.matters is not None:
            return self._profile_note()
        if self.low is None:
            return (f"Only {self.n_posts} settled posts: too few to check the model's timing "
                    f"profile ({self.lift:+.0f}% best vs typical slot) against your own results.")
        span = f"{self.lift:+.0f}% (80% interval {self.low:+.0f}% to {self.high:+.0f}%)"
        if self.barely_matters:
            general = (f" The model's general timing profile says {self.model_spread:+.0f}% "
                       "(the slot figures in the reasons); your own posts do not bear it out."
                       if self.model_spread >= BARELY_PCT else "")
            return (f"Timing barely matters for you: best vs typical slot {span}; "
                    f"pick any slot that suits you (threshold {BARELY_PCT:.0f}%, or an "
                    f"interval reaching 0).{general}")
        return f"Timing matters for you: best vs typical slot {span}."


    def _profile_note(self) -> str:
        span = (f"best vs typical slot {self.lift:+.0f}% (80% interval {self.low:+.0f}% to "
                f"{self.high:+.0f}%; {self.reason})")
        if self.matters and self.certain:
            return f"Timing matters for you: {span}."
        if self.matters:
            return (f"Timing probably matters for you, not yet certain: {span}. The slots "
                    "above follow this estimate; posts at a few other hours would firm it up.")
        return (f"Timing barely matters for you, as far as your posts show: {self.reason}. "
                f"Pick any slot that suits you; every slot here counts the same (the best "
                f"slot could still be worth up to {self.high:+.0f}%, the 80% upper bound). "
                "The slots above keep to the profile's best-guess hour, at no claimed gain.")


def timing_effect(profile: np.ndarray, evidence: np.ndarray, outcome: np.ndarray,
                  seed: int = 0) -> TimingEffect:
    """``profile``: the usual post predicted at each hour of the week, nothing else changed
    (log scale). ``evidence`` (what earlier posts said about each post's slot) and
    ``outcome`` (observed minus trailing baseline, log scale): one value per settled post."""
    spread = float(np.max(profile) - np.median(profile)) if len(profile) else 0.0
    ok = np.isfinite(evidence) & np.isfinite(outcome)
    x, y = evidence[ok], outcome[ok]
    model_pct = float(lift_to_percent(spread))
    if len(x) < MIN_POSTS or np.var(x) <= 1e-12:
        return TimingEffect(model_pct, None, None, model_pct, None, int(len(x)))
    slope = _slope(x, y)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(N_BOOT, len(x)))
    boot = _slopes(x[picks], y[picks])
    lo, hi = np.nanquantile(boot, INTERVAL)
    return TimingEffect(
        lift=float(lift_to_percent(spread * max(slope, 0.0))),
        # The best slot cannot be worse than a typical one: a negative slope means the
        # creator's history does not bear the profile out, i.e. an effect of ~0.
        low=float(lift_to_percent(spread * max(lo, 0.0))),
        high=float(lift_to_percent(spread * max(hi, 0.0))),
        model_spread=model_pct,
        slope=float(slope),
        n_posts=int(len(x)),
    )


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc**2).sum())


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise least-squares slopes of a bootstrap matrix (one resample per row)."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    denom = (xc**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, (xc * yc).sum(axis=1) / denom, np.nan)
