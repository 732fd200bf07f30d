"""Candidate (draft, slot) pairs for each creator and their static scores.

Small pools score every draft at every slot. Larger ones are screened first: each draft is
scored once at the window's middle slot and the creator's first draft at every slot; a
pair's screened value is the draft's score plus that slot's timing difference (the same
additivity assumption as ``score``'s hour-of-week table). The creator's strongest drafts
(a few times as many as the constraints let them post) at the strongest slots (spread over
the local days: each day's best, then each day's second best...) are then scored exactly,
each pair with its own features. The agency's own slots are always kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.plan.constraints import NS_PER_HOUR, Constraints, Grid

EXACT_PAIRS = 150_000  # all pairs of a pool up to this; the exact budget after screening
MIN_SLOTS = 24  # slots per kept draft, at least
DRAFTS_PER_POST = 3  # drafts kept per post the creator may make (+ DRAFTS_EXTRA)
DRAFTS_EXTRA = 10


@dataclass
class CreatorPool:
    creator: str
    zone: str
    grid: Grid
    drafts: np.ndarray  # pool rows of the free (not pinned) drafts
    pinned: np.ndarray  # pool rows of pinned drafts
    prior_ns: np.ndarray  # stored posts
    capacity: int  # most posts the rules allow in the window (pinned included)


def capacity(grid: Grid, constraints: Constraints) -> int:
    """An upper bound on the posts the rules allow in ``grid``."""
    bound = len(grid.t)
    if constraints.per_day is not None:
        bound = min(bound, constraints.per_day * len(np.unique(grid.day)))
    if constraints.per_week is not None:
        bound = min(bound, constraints.per_week * len(np.unique(grid.week)))
    if constraints.min_gap_h > 0 and len(grid.t):
        span = (grid.t[-1] - grid.t[0]) / NS_PER_HOUR
        bound = min(bound, int(math.floor(span / constraints.min_gap_h)) + 1)
    return int(bound)


def screen(pools: list[CreatorPool], queries: pd.DataFrame, score_logs
           ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Per creator: (pool rows, slot indices) of its candidate pairs, and the method.
    ``score_logs(frame) -> log predictions`` scores query rows."""
    total = sum(len(p.drafts) * len(p.grid.t) for p in pools)
    if total <= EXACT_PAIRS:
        return {p.creator: _all_pairs(p.drafts, np.arange(len(p.grid.t))) for p in pools
                if len(p.grid.t) and len(p.drafts)}, "every draft at every slot"
    probes, refs = [], []
    live = [p for p in pools if len(p.grid.t) and len(p.drafts)]
    for p in live:
        mid = len(p.grid.t) // 2
        at_ref = queries.loc[p.drafts].copy()
        at_ref["posted_at"] = pd.Timestamp(int(p.grid.t[mid]), tz="UTC")
        refs.append(at_ref)
        typical = queries.loc[np.repeat(p.drafts[:1], len(p.grid.t))].copy()
        typical["posted_at"] = pd.to_datetime(p.grid.t, utc=True)
        probes.append(typical)
    logs = score_logs(pd.concat(refs + probes, ignore_index=True))
    n_ref = sum(len(r) for r in refs)
    ref_logs, probe_logs = logs[:n_ref], logs[n_ref:]
    kept = [min(len(p.drafts), DRAFTS_PER_POST * p.capacity + DRAFTS_EXTRA) for p in live]
    per_draft = max(MIN_SLOTS, EXACT_PAIRS // max(sum(kept), 1))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    r0 = s0 = 0
    for p, keep in zip(live, kept):
        a = ref_logs[r0:r0 + len(p.drafts)]
        timing = probe_logs[s0:s0 + len(p.grid.t)]
        r0 += len(p.drafts)
        s0 += len(p.grid.t)
        drafts = p.drafts[np.argsort(-a, kind="stable")[:keep]]
        slots = _spread(timing, p.grid.day, per_draft)
        out[p.creator] = _all_pairs(drafts, slots)
    return out, (f"screened: the strongest drafts ({DRAFTS_PER_POST} per allowed post + "
                 f"{DRAFTS_EXTRA}) at the {per_draft} best slots of each creator's typical "
                 "draft, spread over the days, then scored exactly")


def _spread(timing: np.ndarray, day: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` best slots by ``timing``, taken day by day (each local day's best first,
    then each day's second best...): the best slots of a sharp profile all fall in the same
    few hours of the best weekdays, and a creator allowed a post a day on 14 days placed
    about 11 from the overall best 57 slots."""
    order = np.lexsort((-timing, day))  # by day, best first within a day
    first = np.searchsorted(day[order], day[order], side="left")
    within = np.arange(len(order)) - first  # 0 = the day's best slot
    ranked = order[np.lexsort((-timing[order], within))]
    return np.sort(ranked[:min(n, len(ranked))])


def _all_pairs(drafts: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(drafts, len(slots)), np.tile(slots, len(drafts))
