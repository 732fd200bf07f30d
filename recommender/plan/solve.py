"""One creator's assignment of drafts to slots: OR-Tools CP-SAT, and the greedy baseline.

The static problem: each candidate (draft, slot) pair has a value (predicted engagement on
the count scale, every draft featurised as the creator's next post); choose pairs, at most
one per draft and per slot, no two posts closer than the minimum gap (pinned rows and the
creator's stored posts included), at most ``per_day`` / ``per_week`` posts per local
period (pinned rows count), maximising the sum of values. CP-SAT works on integers: values
are scaled so the largest is 10^6 (a rounding error under 10^-6 of the largest value).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender.plan.constraints import NS_PER_HOUR, Constraints, Grid, periods

SCALE = 1_000_000
SLOTS_PER_DAY = 4
EXTRA_DRAFTS = 10


@dataclass
class Problem:
    """One creator: candidate pairs (``draft``: the creator's draft number, ``slot``: index
    into ``grid``) with ``value``; ``fixed_ns``: pinned times; ``prior_ns``: stored posts."""

    grid: Grid
    draft: np.ndarray
    slot: np.ndarray
    value: np.ndarray
    fixed_ns: np.ndarray
    prior_ns: np.ndarray
    constraints: Constraints

    def open_slots(self) -> np.ndarray:
        """Slots not within the minimum gap of a pinned row or a stored post."""
        gap = self.constraints.min_gap_h * NS_PER_HOUR
        taken = np.concatenate([self.fixed_ns, self.prior_ns]).astype(np.int64)
        ok = ~np.isin(self.grid.t, self.fixed_ns)
        if gap > 0 and len(taken):
            taken = np.sort(taken)
            pos = np.searchsorted(taken, self.grid.t)
            after = np.abs(taken[np.minimum(pos, len(taken) - 1)] - self.grid.t)
            before = np.abs(self.grid.t - taken[np.maximum(pos - 1, 0)])
            ok &= np.minimum(after, before) >= gap
        return ok

    def max_posts(self) -> int:
        """An upper bound on the unpinned posts the rules still allow."""
        left_day, left_week = self.capacity()
        bound = int(self.open_slots().sum())
        if left_day:
            bound = min(bound, sum(max(v, 0) for v in left_day.values()))
        if left_week:
            bound = min(bound, sum(max(v, 0) for v in left_week.values()))
        gap = self.constraints.min_gap_h
        if gap > 0 and len(self.grid.t):
            bound = min(bound, int((self.grid.t[-1] - self.grid.t[0]) / NS_PER_HOUR // gap) + 1)
        return bound

    def capacity(self) -> tuple[dict[int, int], dict[int, int]]:
        """Posts still allowed per local day and week after the pinned rows."""
        c = self.constraints
        day, week = periods(self.fixed_ns, c, self.grid.zone)
        left_day = {d: c.per_day - int((day == d).sum()) for d in np.unique(self.grid.day)
                    } if c.per_day is not None else {}
        left_week = {w: c.per_week - int((week == w).sum()) for w in np.unique(self.grid.week)
                     } if c.per_week is not None else {}
        return left_day, left_week


@dataclass
class Solution:
    chosen: np.ndarray  # indices into the problem's pairs
    status: str
    objective: float  # on the count scale
    bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """Relative optimality gap (bound - objective) / bound, 0 when proven optimal."""
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


def solve_cpsat(problem: Problem, time_limit_s: float, workers: int = 1,
                slots_per_day: int = SLOTS_PER_DAY, extra_drafts: int = EXTRA_DRAFTS
                ) -> Solution:
    """CP-SAT on the creator's strongest drafts (as many as the rules let them post, plus
    ``extra_drafts``) at each local day's ``slots_per_day`` best slots, plus the greedy
    solution's pairs, started from that solution (so never below it). The reduction keeps
    the model small: with every draft at its 48 best slots CP-SAT often found no solution
    in 0.3 s. The local search afterwards reaches every candidate pair."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    usable = problem.open_slots()[problem.slot] & (problem.value > 0)
    greedy = solve_greedy(problem).chosen  # a good start: the model never ends below it
    pairs = _reduced(problem, np.flatnonzero(usable), problem.max_posts() + extra_drafts,
                     slots_per_day, greedy)
    if not len(pairs):
        return Solution(np.zeros(0, dtype=np.int64), "EMPTY", 0.0, 0.0, 0.0)
    top = float(problem.value[pairs].max())
    coef = np.maximum(np.rint(problem.value[pairs] / top * SCALE), 1).astype(np.int64)
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{i}") for i in range(len(pairs))]
    draft, slot = problem.draft[pairs], problem.slot[pairs]
    for members in _groups(draft):
        if len(members) > 1:
            model.AddAtMostOne([x[i] for i in members])
    # y[s]: slot s holds a post (at most one). The spacing and cap rules are on the y's:
    # few, short constraints, which keeps the LP relaxation tight.
    used = np.unique(slot)
    y = {}
    for s, members in zip(used, _groups(slot)):
        y[int(s)] = model.NewBoolVar(f"y{s}")
        model.Add(sum(x[i] for i in members) == y[int(s)])
    slot_t = problem.grid.t[used]
    gap = max(problem.constraints.min_gap_h * NS_PER_HOUR, 1)
    ends = np.searchsorted(slot_t, slot_t + gap, side="left")
    for i, end in enumerate(ends):
        if end - i > 1:  # every window [t, t + gap) holds at most one post
            model.AddAtMostOne([y[int(s)] for s in used[i:end]])
    left_day, left_week = problem.capacity()
    for left, index in ((left_day, problem.grid.day), (left_week, problem.grid.week)):
        for period, cap in left.items():
            members = [y[int(s)] for s in used if index[s] == period]
            if len(members) > max(cap, 0):
                model.Add(sum(members) <= max(cap, 0))
    hint = set(greedy.tolist())
    for i, p in enumerate(pairs):
        model.AddHint(x[i], int(p) in hint)
    hinted_slots = set(problem.slot[greedy].tolist())
    for s, var in y.items():  # a complete hint: CP-SAT then starts from this solution
        model.AddHint(var, s in hinted_slots)
    model.Maximize(sum(int(c) * v for c, v in zip(coef, x)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.05)
    solver.parameters.num_workers = workers
    # The full LP relaxation: with the default level one worker often could not prove a
    # 6-draft creator optimal in 5 s (gap 15-39%); at level 2 it does in 0.1 s.
    solver.parameters.linearization_level = 2
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solution(np.zeros(0, dtype=np.int64), name, 0.0, 0.0,
                        time.perf_counter() - started)
    picked = pairs[[i for i, v in enumerate(x) if solver.BooleanValue(v)]]
    objective = float(problem.value[picked].sum())
    bound = solver.BestObjectiveBound() / SCALE * top
    return Solution(picked, name, objective, max(bound, objective),
                    time.perf_counter() - started)


def solve_greedy(problem: Problem) -> Solution:
    """Each draft at its best slot still free: pairs by value, best first, each taken if its
    draft is unplaced and its slot keeps every rule (the baseline the schedule must beat)."""
    started = time.perf_counter()
    open_ = problem.open_slots()
    left_day, left_week = problem.capacity()
    gap = problem.constraints.min_gap_h * NS_PER_HOUR
    taken: list[int] = []
    placed: set[int] = set()
    chosen = []
    grid = problem.grid
    for i in np.argsort(-problem.value, kind="stable"):
        d, s = int(problem.draft[i]), int(problem.slot[i])
        if d in placed or not open_[s] or problem.value[i] <= 0:
            continue
        t = int(grid.t[s])
        if any(abs(t - u) < max(gap, 1) for u in taken):
            continue
        day, week = int(grid.day[s]), int(grid.week[s])
        if left_day.get(day, 1) <= 0 or left_week.get(week, 1) <= 0:
            continue
        if day in left_day:
            left_day[day] -= 1
        if week in left_week:
            left_week[week] -= 1
        taken.append(t)
        placed.add(d)
        chosen.append(i)
    chosen_arr = np.asarray(chosen, dtype=np.int64)
    total = float(problem.value[chosen_arr].sum()) if len(chosen_arr) else 0.0
    return Solution(chosen_arr, "GREEDY", total, total, time.perf_counter() - started)


def _reduced(problem: Problem, pairs: np.ndarray, drafts: int, per_day: int,
             always: np.ndarray) -> np.ndarray:
    """``pairs`` limited to the ``drafts`` drafts of highest best value at each local day's
    ``per_day`` best slots (by the slot's mean value over those drafts: spread over every
    day, so the spacing and caps can be met), plus the ``always`` pairs (greedy's, so the
    hint is a solution of the reduced model)."""
    if not len(pairs):
        return pairs
    value, draft, slot = problem.value[pairs], problem.draft[pairs], problem.slot[pairs]
    best = pd.Series(value).groupby(draft).max()
    keep = best.sort_values(ascending=False, kind="stable").index[:drafts].to_numpy()
    mine = np.isin(draft, keep)
    mean = pd.Series(value[mine]).groupby(slot[mine]).mean()
    day = problem.grid.day[mean.index.to_numpy()]
    ranked = pd.DataFrame({"slot": mean.index, "day": day, "v": mean.to_numpy()}).sort_values(
        ["day", "v"], ascending=[True, False], kind="stable")
    slots = ranked.groupby("day").head(per_day)["slot"].to_numpy()
    picked = mine & np.isin(slot, slots)
    return np.union1d(pairs[picked], always)


def _groups(codes: np.ndarray) -> list[np.ndarray]:
    """Positions of each distinct value of ``codes``, in the order of ``np.unique``."""
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def naive_choice(draft: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """Row-by-row placement, what scoring drafts alone gives: the ``n`` drafts with the
    highest best value, each at its own best slot, blind to the others (so several may
    share a slot, and the rules are not applied). Positions into the pairs."""
    if not len(draft) or n <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-value, draft))
    first = order[np.r_[True, np.diff(draft[order]) != 0]]  # each draft's best pair
    return first[np.argsort(-value[first], kind="stable")[:n]]
