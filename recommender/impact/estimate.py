"""Effects with intervals: naive, counterfactual and difference-in-differences.

Every estimate is a difference of trimmed means on the log scale (the top and bottom
``TRIM`` of values are left out, so one viral post cannot decide a verdict; a change that
multiplies every post shifts the trimmed mean by exactly its log), reported as a percent.
Intervals come from a moving-block bootstrap: the posts of each window are resampled in
blocks of consecutive posts (``n ** (1/3)`` long), which keeps a run of good weeks
together, as a plain bootstrap would not; comparable creators are resampled as whole
creators. ``low``/``high`` are the 10th and 90th percentiles (the 80% interval). An effect
is called *detectable* only when the 90% interval (5th-95th) excludes zero: a stricter bar
than the interval shown, so that about 1 in 10 unchanged creators, not 1 in 5, hears
that something changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import trim_mean

TRIM = 0.1
N_BOOT = 1000
MIN_POSTS = 5  # per window, for the creator (fewer: "too few posts")
MIN_CONTROL_POSTS = 5  # per window, for a comparable creator
MIN_CONTROLS = 5
TELL_PCT = 25.0  # the 90% interval must be narrower than +/- this to rule a change out


@dataclass
class Estimate:
    method: str
    effect_log: float
    draws: np.ndarray  # bootstrap draws of effect_log
    n_before: int
    n_after: int
    compared_with: str  # plain words: what the estimate compares

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.draws, q))

    @property
    def detectable(self) -> bool:
        return self.quantile(0.05) > 0 or self.quantile(0.95) < 0

    @property
    def half_width_pct(self) -> float:
        """Half the 90% interval, in percent (how small a change this could rule out)."""
        return 100.0 * float(np.expm1((self.quantile(0.95) - self.quantile(0.05)) / 2))

    def to_dict(self) -> dict[str, object]:
        return {"method": self.method, "effect_pct": _pct(self.effect_log),
                "low": _pct(self.quantile(0.1)), "high": _pct(self.quantile(0.9)),
                "n_before": self.n_before, "n_after": self.n_after,
                "compared_with": self.compared_with}


def _pct(log_value: float) -> float:
    return round(float(np.expm1(log_value)) * 100.0, 1)


def block_means(values: np.ndarray, rng: np.random.Generator, n_boot: int = N_BOOT
                ) -> np.ndarray:
    """``n_boot`` moving-block bootstrap draws of the trimmed mean of ``values`` (in order)."""
    n = len(values)
    block = max(1, int(round(n ** (1 / 3))))
    n_blocks = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_boot, -1)[:, :n]
    return trim_mean(values[index], TRIM, axis=1)


def tmean(values: np.ndarray) -> float:
    return float(trim_mean(values, TRIM))


def before_after(before: np.ndarray, after: np.ndarray, rng: np.random.Generator,
                 method: str, compared_with: str, widen: float = 1.0) -> Estimate:
    """after - before for one creator's two windows (values already in time order);
    ``widen`` scales the bootstrap spread around the estimate (``overdispersion``)."""
    effect = tmean(after) - tmean(before)
    draws = block_means(after, rng) - block_means(before, rng)
    draws = effect + widen * (draws - draws.mean())
    return Estimate(method, effect, draws, len(before), len(after), compared_with)


def with_level_noise(estimate: Estimate, values: np.ndarray, k: int,
                     rng: np.random.Generator) -> Estimate:
    """The counterfactual's draws plus the noise of the model's two frozen levels (each the
    median of the creator's last ``k`` known posts at each window's start: a constant per
    window the block bootstrap cannot see). Median of k: sd ~ 1.2533 x sd / sqrt(k)."""
    mad = float(np.median(np.abs(values - np.median(values)))) * 1.4826
    sd = 1.2533 * mad / np.sqrt(max(1, min(k, len(values))))
    draws = estimate.draws + rng.normal(0.0, sd * np.sqrt(2), len(estimate.draws))
    return Estimate(estimate.method, estimate.effect_log, draws, estimate.n_before,
                    estimate.n_after, estimate.compared_with)


def overdispersion(diffs: np.ndarray, ses: np.ndarray) -> float:
    """How much more comparable creators' before/after changes vary than their bootstrap
    says (>= 1): a creator's level drifts between two windows (follower growth, trends)
    beyond post-to-post noise, and the block bootstrap of one window cannot see that.

    Robust to the few controls that really changed: the median of the squared z-scores
    over its expectation for a normal (0.455), not their mean."""
    if len(diffs) < MIN_CONTROLS:
        return 1.0
    z = (diffs - np.median(diffs)) / np.maximum(ses, 1e-9)
    return float(max(1.0, np.sqrt(np.median(z ** 2) / 0.455)))


def did(focal: Estimate, control_diffs: np.ndarray, rng: np.random.Generator,
        compared_with: str) -> Estimate:
    """The creator's change minus the comparable creators' mean change, same dates."""
    k = len(control_diffs)
    pick = rng.integers(0, k, size=(len(focal.draws), k))
    control_draws = control_diffs[pick].mean(axis=1)
    effect = focal.effect_log - float(control_diffs.mean())
    return Estimate("did", effect, focal.draws - control_draws, focal.n_before, focal.n_after,
                    compared_with)


def posts_needed(est: Estimate | None, sd: float, n_before: int, n_after: int) -> int:
    """About how many more posts after the change until +/-TELL_PCT could be told apart.

    The interval's width falls roughly as 1/sqrt(n): scale the current one (or, with too
    few posts to have one, the spread of the posts before)."""
    target = np.log1p(TELL_PCT / 100.0) / 1.645  # the standard error that would do
    if est is not None and est.n_after >= MIN_POSTS:
        se = (est.quantile(0.95) - est.quantile(0.05)) / (2 * 1.645)
        return max(1, int(np.ceil(n_after * ((se / target) ** 2 - 1))))
    spread = max(sd, 1e-6) ** 2
    room = target ** 2 - spread / max(n_before, 1)
    # With too few posts before as well, no number after would do: give the number that
    # would with a well-known "before" (a lower bound, hence "about").
    need = spread / room if room > 0 else spread / target ** 2
    return max(1, int(np.ceil(max(need, MIN_POSTS) - n_after)))


def verdict(est: Estimate | None, need: int | None, unit: str) -> tuple[bool, str]:
    """``(detectable, plain verdict)`` for the recommended estimate."""
    if est is None:
        return False, f"too few {unit}s after the change to tell (need about {need} more)"
    d = est.to_dict()
    interval = f"80% interval {d['low']:+.0f}% to {d['high']:+.0f}%"
    if est.detectable:
        word = "helped" if est.effect_log > 0 else "hurt"
        caveat = ("; naive before/after only: your own trend and platform-wide swings are not "
                  "accounted for" if est.method == "naive" else "")
        return True, f"{word}: {d['effect_pct']:+.0f}% per {unit} ({interval}{caveat})"
    if need is not None:
        return False, (f"no detectable effect yet: too few {unit}s after the change to tell "
                       f"(need about {need} more; best guess {d['effect_pct']:+.0f}% per {unit}, "
                       f"{interval})")
    return False, (f"no detectable effect (best guess {d['effect_pct']:+.0f}% per {unit}, "
                   f"{interval})")
