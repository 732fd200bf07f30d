"""Sequential featurisation of a schedule and the local search that improves it.

A draft featurised alone is its creator's next post after the store: it cannot see the other
drafts. Once placed, a draft is a post the drafts after it follow, so their post-count
features change: ``n_prev_posts``, ``hours_since_prev`` and ``posts_last{N}d``. These are
recomputed here from the creator's stored posts plus the schedule's earlier posts, exactly as
``features.featurize`` computes them from a store that holds those posts (every post counts,
strictly before the row; a test pins the two together). Nothing else is updated: a placed
draft's outcome is unknown, so the outcome-based history (trailing medians, per-tag and
per-slot residuals) stays as of the store, which is what the leakage rule allows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.plan.constraints import NS_PER_HOUR, Constraints
from recommender.recommend.explain import MIN_REASON_PCT

NS_PER_DAY = 24 * NS_PER_HOUR
# A move is kept only when it raises the creator's predicted total by at least MIN_GAIN
# (relative): the smallest difference the product shows at all (reasons start at
# MIN_REASON_PCT). Smaller predicted gains are within the model's error, and chasing them
# traded real timing for modelled spacing: with any gain kept, scripts/plan_truth.py
# seeds 11-19 read -6.7% to +3.6% in truth against greedy with --per-day 2 (mean -1.3%),
# with 1% kept -1.4% to +1.8% (mean 0.0%); --per-week 7 --min-gap 6h mean +1.3% / +1.1%.
MIN_GAIN = MIN_REASON_PCT / 100.0
SHIFTS_NS = np.array([-12, -8, -6, -4, -3, -2, 2, 3, 4, 6, 8, 12]) * NS_PER_HOUR


def cadence_columns(config: Any) -> tuple[str, str, str]:
    return "n_prev_posts", "hours_since_prev", f"posts_last{config.cadence_days}d"


def cadence_features(t_ns: np.ndarray, prior_ns: np.ndarray, window_days: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per schedule time: posts strictly before it, hours since the latest of them (NaN for
    none) and posts in [t - window, t); over the stored posts and the schedule together.
    Schedule posts at the very same time (only a baseline that ignores the other drafts
    makes them) follow each other in schedule order, 0 h apart."""
    t = np.asarray(t_ns, dtype=np.int64)
    every = np.sort(np.concatenate([np.asarray(prior_ns, dtype=np.int64), t]))
    order = np.argsort(t, kind="stable")
    ties = np.zeros(len(t), dtype=np.int64)
    if len(t):
        sorted_t = t[order]
        first = np.searchsorted(sorted_t, sorted_t, side="left")
        ties[order] = np.arange(len(t)) - first
    n_before = np.searchsorted(every, t, side="left") + ties
    prev = every[np.maximum(np.searchsorted(every, t, side="left") - 1, 0)]
    hours = np.where(ties > 0, 0.0, np.where(n_before > 0, (t - prev) / NS_PER_HOUR, np.nan))
    recent = n_before - np.searchsorted(every, t - window_days * NS_PER_DAY, side="left")
    return n_before.astype("float64"), hours, recent.astype("float64")


@dataclass
class CreatorState:
    """One creator's candidate pairs and current schedule (positions into the pairs)."""

    creator: str
    pair_row: np.ndarray  # row of the static feature table per pair
    pair_draft: np.ndarray
    pair_t: np.ndarray
    pair_day: np.ndarray
    pair_week: np.ndarray
    pair_value: np.ndarray  # static value (count scale)
    fixed_rows: np.ndarray  # table rows of pinned drafts
    fixed_t: np.ndarray
    fixed_day: np.ndarray
    fixed_week: np.ndarray
    prior_ns: np.ndarray
    constraints: Constraints
    chosen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    total: float = float("nan")

    def feasible(self, chosen: np.ndarray) -> bool:
        c = self.constraints
        t = self.pair_t[chosen]
        if len(np.unique(self.pair_draft[chosen])) < len(chosen):
            return False
        every = np.concatenate([t, self.fixed_t])
        if len(np.unique(every)) < len(every):
            return False
        gap = c.min_gap_h * NS_PER_HOUR
        if gap > 0 and len(t):
            others = np.sort(np.concatenate([every, self.prior_ns]))
            pos = np.searchsorted(others, t)
            # each chosen time's neighbours other than itself
            left = others[np.maximum(pos - 1, 0)]
            right_i = np.minimum(pos + 1, len(others) - 1)
            right = others[right_i]
            near_left = (pos > 0) & (t - left < gap)
            near_right = (pos + 1 < len(others)) & (right - t < gap)
            if (near_left | near_right).any():
                return False
        for cap, mine, fixed in ((c.per_day, self.pair_day[chosen], self.fixed_day),
                                 (c.per_week, self.pair_week[chosen], self.fixed_week)):
            if cap is None or not len(mine):
                continue
            values, counts = np.unique(np.concatenate([mine, fixed]), return_counts=True)
            if np.isin(mine, values[counts > cap]).any():
                return False
        return True

    def rows_and_features(self, chosen: np.ndarray, window_days: int
                          ) -> tuple[np.ndarray, np.ndarray]:
        """Table rows of the schedule (chosen pairs, then pinned) and their cadence
        features (n x 3)."""
        rows = np.concatenate([self.pair_row[chosen], self.fixed_rows])
        t = np.concatenate([self.pair_t[chosen], self.fixed_t])
        return rows, np.column_stack(cadence_features(t, self.prior_ns, window_days))


class Evaluator:
    """Predictions of whole schedules, many at once (one model call per batch)."""

    def __init__(self, model: Any, table: pd.DataFrame) -> None:
        self.model = model
        self.table = table
        self.columns = list(cadence_columns(model.config))
        self.window = int(model.config.cadence_days)
        self.calls = 0

    def predict(self, states: list[CreatorState], schedules: list[np.ndarray]
                ) -> list[pd.DataFrame]:
        """Log-scale predictions (predicted, low, high, baseline, lift) of each schedule's
        posts, re-featurised in sequence; row order: chosen pairs, then pinned rows."""
        parts = [s.rows_and_features(c, self.window) for s, c in zip(states, schedules)]
        sizes = [len(rows) for rows, _ in parts]
        if not sum(sizes):
            return [pd.DataFrame(columns=["predicted", "low", "high", "baseline", "lift"])
                    for _ in parts]
        rows = np.concatenate([r for r, _ in parts])
        table = self.table.iloc[rows].reset_index(drop=True)
        table[self.columns] = np.concatenate([f for _, f in parts])
        self.calls += 1
        pred = self.model.predict_features(table).reset_index(drop=True)
        bounds = np.cumsum([0, *sizes])
        return [pred.iloc[lo:hi].reset_index(drop=True) for lo, hi in zip(bounds, bounds[1:])]

    def features(self, state: CreatorState, chosen: np.ndarray) -> pd.DataFrame:
        rows, feats = state.rows_and_features(chosen, self.window)
        table = self.table.iloc[rows].reset_index(drop=True)
        table[self.columns] = feats
        return table

    def totals(self, states: list[CreatorState], schedules: list[np.ndarray]) -> list[float]:
        return [float(np.expm1(p["predicted"].to_numpy()).sum())
                for p in self.predict(states, schedules)]


@dataclass
class SearchReport:
    rounds: int = 0
    moves_tried: int = 0
    moves_accepted: int = 0
    seconds: float = 0.0
    # A round samples up to ``moves_per_round`` moves per creator, not every feasible one:
    # the search ends at the first round where none of those gains MIN_GAIN.
    stopped: str = f"no move among those tried gains {MIN_GAIN:.0%} or more"


def local_search(states: list[CreatorState], evaluator: Evaluator, deadline: float,
                 seed: int = 0, max_rounds: int = 80, moves_per_round: int = 60
                 ) -> SearchReport:
    """Best-improvement local search on the sequential total, every creator at once: each
    round tries up to ``moves_per_round`` feasible moves per creator (move a draft to another
    of its slots, swap two drafts' slots, put an unplaced draft in a placed one's slot or in
    a free slot) and keeps the best that raises the creator's total by MIN_GAIN or more.
    Schedules only improve, so the result is never below the start."""
    report = SearchReport()
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    for s, total in zip(states, evaluator.totals(states, [s.chosen for s in states])):
        s.total = total
    active = [s for s in states if len(s.pair_row)]
    while active and report.rounds < max_rounds:
        if time.perf_counter() > deadline:
            report.stopped = "time limit"
            break
        report.rounds += 1
        owners, schedules = [], []
        for s in active:
            for chosen in _moves(s, rng, moves_per_round):
                owners.append(s)
                schedules.append(chosen)
        if not schedules:
            report.stopped = "no feasible move"
            break
        report.moves_tried += len(schedules)
        totals = evaluator.totals(owners, schedules)
        best: dict[int, tuple[float, np.ndarray]] = {}
        for s, chosen, total in zip(owners, schedules, totals):
            key = id(s)
            if total > s.total * (1 + MIN_GAIN) and total > best.get(key, (-np.inf, None))[0]:
                best[key] = (total, chosen)
        if not best:
            break
        still = []
        for s in active:
            if id(s) in best:
                s.total, s.chosen = best[id(s)]
                report.moves_accepted += 1
                still.append(s)
        active = still
    else:
        if report.rounds >= max_rounds:
            report.stopped = "round limit"
    report.seconds = time.perf_counter() - started
    return report


def _moves(s: CreatorState, rng: np.random.Generator, limit: int) -> list[np.ndarray]:
    """Feasible neighbour schedules of ``s.chosen`` (positions into its pairs)."""
    chosen = s.chosen
    placed_drafts = set(s.pair_draft[chosen].tolist())
    out: list[np.ndarray] = []
    by_value = np.argsort(-s.pair_value, kind="stable")
    for k, p in enumerate(chosen):
        same = by_value[s.pair_draft[by_value] == s.pair_draft[p]]
        same = same[same != p]
        # This draft elsewhere: its best other slots, a few hours either way (spacing from
        # its neighbours), and a few slots anywhere.
        shifted = same[np.isin(s.pair_t[same], s.pair_t[p] + SHIFTS_NS)]
        anywhere = rng.choice(same, min(4, len(same)), replace=False) if len(same) else same
        for q in np.unique(np.r_[same[:4], shifted, anywhere]):
            out.append(np.r_[chosen[:k], q, chosen[k + 1:]])
        at_slot = by_value[(s.pair_t[by_value] == s.pair_t[p])
                           & ~np.isin(s.pair_draft[by_value], list(placed_drafts))]
        for q in at_slot[:3]:  # another draft here
            out.append(np.r_[chosen[:k], q, chosen[k + 1:]])
    if len(chosen) >= 2:
        for _ in range(min(10, len(chosen) * (len(chosen) - 1) // 2)):
            i, j = rng.choice(len(chosen), 2, replace=False)
            qi = _pair(s, s.pair_draft[chosen[i]], s.pair_t[chosen[j]])
            qj = _pair(s, s.pair_draft[chosen[j]], s.pair_t[chosen[i]])
            if qi is not None and qj is not None:
                swapped = chosen.copy()
                swapped[i], swapped[j] = qi, qj
                out.append(swapped)
    unplaced = by_value[~np.isin(s.pair_draft[by_value], list(placed_drafts))]
    for q in unplaced[:8]:  # one more post
        out.append(np.r_[chosen, q])
    feasible = [c for c in out if s.feasible(c)]
    if len(feasible) > limit:
        keep = rng.choice(len(feasible), limit, replace=False)
        feasible = [feasible[i] for i in sorted(keep)]
    return feasible


def _pair(s: CreatorState, draft: int, t: int) -> int | None:
    hit = np.flatnonzero((s.pair_draft == draft) & (s.pair_t == t))
    return int(hit[0]) if len(hit) else None
