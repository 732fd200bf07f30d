"""``impact``: did a strategy change on DATE help? Three estimates and one verdict.

- naive: the creator's posts after DATE vs before (what people do by hand; shown for
  contrast: it also moves with the creator's own trend and with the platform);
- counterfactual: the same, on residuals from a model fitted before DATE (fixed origin,
  ``impact.counterfactual``): content, timing and trend choices are accounted for;
- did: the naive change minus the mean change of comparable creators over the same dates
  (creators in the store with enough posts in both windows, the nearest in level before
  DATE): a platform-wide swing moves both and cancels.

The recommended estimate (``effect``) is ``did`` when there are at least ``MIN_CONTROLS``
comparable creators (platform swings are the largest confounder in practice), else the
counterfactual, else naive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import RecommenderError, UsageError
from recommender.impact import estimate as est
from recommender.impact import series
from recommender.impact.counterfactual import residuals
from recommender.store import StoreData

MAX_CONTROLS = 30
BASELINE_POSTS = 20  # the model's level: the median of the creator's last 20 known posts
PREFERENCE = ("did", "counterfactual", "naive")


@dataclass
class ImpactResult:
    creator: str
    since: pd.Timestamp
    until: pd.Timestamp
    label: str | None
    metric: series.Metric
    windows: series.Windows
    estimates: list[est.Estimate]
    effect: est.Estimate | None
    detectable: bool
    verdict: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        (b0, b1), (a0, a1) = self.windows.before, self.windows.after
        return {
            "creator": self.creator, "since": self.since.isoformat(),
            "until": self.until.isoformat(), "label": self.label, "metric": self.metric.name,
            "metric_label": self.metric.label, "unit": self.metric.unit,
            "before": {"from": b0.isoformat(), "to": b1.isoformat()},
            "after": {"from": a0.isoformat(), "to": a1.isoformat()},
            "estimates": [e.to_dict() for e in self.estimates],
            "effect": None if self.effect is None else self.effect.to_dict(),
            "detectable": self.detectable, "verdict": self.verdict, "notes": self.notes,
        }


def utc(value: str | pd.Timestamp, option: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{option} {value!r}: give a date such as 2025-03-01") from exc
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def impact(data: StoreData, creator: str, since: str | pd.Timestamp,
           until: str | pd.Timestamp | None = None, label: str | None = None,
           metric: str = "engagement", model_params: dict[str, Any] | None = None,
           seed: int = 0) -> ImpactResult:
    """The job behind ``recommender impact CREATOR --since DATE``."""
    return impact_many(data, [creator], since, until, label, metric, model_params, seed)[creator]


def impact_many(data: StoreData, creators: list[str], since: str | pd.Timestamp,
                until: str | pd.Timestamp | None = None, label: str | None = None,
                metric: str = "engagement", model_params: dict[str, Any] | None = None,
                seed: int = 0, not_before: pd.Timestamp | None = None
                ) -> dict[str, ImpactResult]:
    """``impact`` for several creators at one DATE (one counterfactual model for all);
    ``not_before`` bounds the window before DATE (``detect``: the previous change)."""
    if metric not in series.METRICS:
        raise UsageError(f"--metric {metric!r}: choose one of {', '.join(series.METRICS)}")
    m = series.METRICS[metric]
    stored = set(data.posts["creator"].astype(str))
    for c in creators:
        if c not in stored:
            raise UsageError(f"creator {c!r} is not in the store ({len(stored)} creators); "
                             "check the handle or ingest their export first")
    start = utc(since, "--since")
    end = (utc(until, "--until") if until is not None else
           data.posts["collected_at"].max() - pd.Timedelta(days=series.SETTLED_DAYS))
    if end <= start:
        raise UsageError(f"--until {end:%Y-%m-%d} is not after --since {start:%Y-%m-%d}; the "
                         f"newest settled posts (>= {series.SETTLED_DAYS:.0f} days old) end "
                         "there")
    win = series.windows(start, end, not_before)
    if m.name == "followers":
        values = series.follower_values(data.account_daily, win.before[0], win.after[1])
    elif m.unit == "week":
        values = series.weekly_values(data.posts, win.before[0], win.after[1])
    else:
        values = series.post_values(data.posts, m)
    beta = series.follower_elasticity(values, start)
    adjusted = series.adjust_for_followers(values, beta)
    cf, cf_note = _counterfactual(data, win, m, creators, model_params)
    by_adjusted = dict(tuple(adjusted.groupby("creator", sort=False)))
    stats = _control_stats(by_adjusted, win, np.random.default_rng([seed, 15]))
    groups = _Groups(dict(tuple(values.groupby("creator", sort=False))), by_adjusted, beta,
                     stats)
    out = {}
    for n, c in enumerate(creators):
        rng = np.random.default_rng([seed, n])
        out[c] = _one(c, groups, cf, cf_note, win, m, label, start, end, rng)
    return out


@dataclass
class _Groups:
    raw: dict[str, pd.DataFrame]  # creator -> values as measured
    adjusted: dict[str, pd.DataFrame]  # ... adjusted for follower growth
    beta: float  # the follower elasticity used
    stats: pd.DataFrame  # every creator's change between the windows (``_control_stats``)


def _counterfactual(data: StoreData, win: series.Windows, m: series.Metric,
                    creators: list[str], params: dict[str, Any] | None
                    ) -> tuple[pd.DataFrame | None, str | None]:
    if m.target is None:
        return None, (f"counterfactual: not available for {m.name} (the model predicts "
                      "posts, not weeks)")
    try:
        return residuals(data, win.after[0], win.after[1], m.target, creators, params,
                         before_from=win.before[0]), None
    except RecommenderError as error:
        return None, f"counterfactual: {error}"


def _one(creator: str, groups: _Groups, cf: pd.DataFrame | None,
         cf_note: str | None, win: series.Windows, m: series.Metric, label: str | None,
         start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator) -> ImpactResult:
    unit = m.unit
    empty = pd.DataFrame({"posted_at": [], "value": []})
    b, a = (w["value"].to_numpy() for w in series.split(groups.raw.get(creator, empty), win))
    ab, aa = (w["value"].to_numpy()
              for w in series.split(groups.adjusted.get(creator, empty), win))
    notes = [f"Metric: {m.label}; comparing {win.label()} (UTC)."]
    if m.name == "followers" and creator not in groups.raw:
        notes.append("No daily follower counts for this creator in the store: ingest TikTok "
                     "Studio's FollowerHistory (or Total followers) export to measure growth.")
    if unit == "post":
        notes.append(f"Posts younger than {series.SETTLED_DAYS:.0f} days at collection are left "
                     "out (their counts are still growing).")
    if cf_note:
        notes.append(cf_note)
    estimates: list[est.Estimate] = []
    if min(len(b), len(a)) >= est.MIN_POSTS:
        diffs, ses = _controls(creator, groups.stats, float(np.median(b)))
        widen = est.overdispersion(diffs, ses)
        naive = est.before_after(b, a, rng, "naive", f"your {unit}s after vs before", widen)
        estimates.append(naive)
        own = est.before_after(ab, aa, rng, "adjusted", "", widen)
        if cf is not None:
            r = cf[cf["creator"] == creator]
            rb, ra = series.split(r, win)
            if min(len(rb), len(ra)) < est.MIN_POSTS:
                notes.append(f"counterfactual: only {len(rb)} posts before and {len(ra)} after "
                             "with a known earlier level (the model needs posts known before "
                             "each window starts; the before window starts "
                             f"{win.before[0]:%Y-%m-%d}).")
            else:
                cf_est = est.before_after(
                    rb["value"].to_numpy(), ra["value"].to_numpy(), rng, "counterfactual",
                    "your posts vs what a model fitted before the date predicted for them",
                    widen)
                estimates.append(est.with_level_noise(cf_est, b, BASELINE_POSTS, rng))
        if len(diffs) >= est.MIN_CONTROLS:
            estimates.append(est.did(own, diffs, rng, f"your change minus the mean change "
                                     f"of {len(diffs)} comparable creators, same dates"))
        if unit != "post":
            pass  # weekly totals and follower gains are not adjusted
        elif not groups.beta:
            notes.append("Follower counts at each post are unknown or constant in this store, "
                         "so a creator who is growing may see any date 'help': the estimates "
                         "are not adjusted for follower growth.")
        else:
            notes.append(f"did is adjusted for follower growth: posts scale "
                         f"as followers^{groups.beta:.2f} within creators before the date.")
        if widen > 1:
            notes.append(f"Intervals widened x{widen:.2f}: comparable creators' own before/after "
                         "changes vary that much more than post-to-post noise explains (drift, "
                         "follower growth, trends), so yours may too.")
        if len(diffs) < est.MIN_CONTROLS:
            notes.append(f"did: only {len(diffs)} comparable creators with {est.MIN_CONTROL_POSTS}"
                         f"+ {unit}s in both windows (need {est.MIN_CONTROLS}); platform-wide "
                         "swings are not controlled for and intervals count only post-to-post "
                         "noise.")
    else:
        notes.append(f"Not enough data: {len(b)} {unit}s before and {len(a)} after (need "
                     f"{est.MIN_POSTS} in each).")
        if len(a) >= est.MIN_POSTS:
            verdict = (f"too few {unit}s before the change to compare with ({len(b)}; need "
                       f"{est.MIN_POSTS})")
            return ImpactResult(creator, start, end, label, m, win, [], None, False, verdict,
                                notes)
    chosen = next((e for name in PREFERENCE for e in estimates if e.method == name), None)
    need = None
    if chosen is None:
        need = est.posts_needed(None, float(np.std(b)) if len(b) > 1 else 1.0, len(b), len(a))
    elif not chosen.detectable and chosen.half_width_pct > est.TELL_PCT:
        need = est.posts_needed(chosen, 0.0, len(b), len(a))
    detectable, verdict = est.verdict(chosen, need, unit)
    if chosen is not None:
        notes.append(f"Recommended estimate: {chosen.method} ({chosen.compared_with}).")
    return ImpactResult(creator, start, end, label, m, win, estimates, chosen, detectable,
                        verdict, notes)


def _control_stats(adjusted: dict[str, pd.DataFrame], win: series.Windows,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Per creator with enough values in both windows: level before (median), change
    (after - before, trimmed means) and its block-bootstrap standard error."""
    rows = []
    for c, g in adjusted.items():
        cb, ca = series.split(g, win)
        if min(len(cb), len(ca)) >= est.MIN_CONTROL_POSTS:
            vb, va = cb["value"].to_numpy(), ca["value"].to_numpy()
            draws = est.block_means(va, rng, 200) - est.block_means(vb, rng, 200)
            rows.append((c, float(np.median(vb)), est.tmean(va) - est.tmean(vb),
                         float(np.std(draws))))
    return pd.DataFrame(rows, columns=["creator", "level", "diff", "se"])


def _controls(creator: str, stats: pd.DataFrame, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``MAX_CONTROLS`` other creators nearest in level before the date."""
    others = stats[stats["creator"] != creator]
    nearest = others.iloc[np.argsort(np.abs(others["level"].to_numpy() - level),
                                     kind="stable")[:MAX_CONTROLS]]
    return nearest["diff"].to_numpy(), nearest["se"].to_numpy()
