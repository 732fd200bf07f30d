"""``plan_drafts``: place an agency's pool of drafts into the best schedule per creator.

1. Validate the pool as ``score`` validates a plan; rows with ``planned_at`` and a true
   ``--fixed`` cell are pinned; other rows' ``planned_at`` is the agency's own slot.
2. Candidate pairs (``pairs.screen``) scored with the champion model (``scoring``).
3. OR-Tools CP-SAT solves each creator's static problem (``solve``) within its time limit.
4. The schedule is re-featurised in sequence and improved by local search
   (``sequential``), started from CP-SAT's solution; the greedy baseline's and the agency's
   own schedules (when they keep the rules) are searched from too where they end higher, so
   the result is never below either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import InputError, UsageError
from recommender.features.context import to_ns
from recommender.plan import output
from recommender.plan.constraints import Constraints, periods, slot_grid
from recommender.plan.pairs import CreatorPool, capacity, screen
from recommender.plan.sequential import CreatorState, Evaluator, local_search
from recommender.plan.solve import Problem, solve_cpsat, solve_greedy
from recommender.recommend import plan_io
from recommender.recommend.candidates import QUERY_COLUMNS
from recommender.recommend.score import validate_plan
from recommender.recommend.scoring import score_batch
from recommender.store import StoreData

TRUE_TEXT = {"1", "true", "yes", "y", "x", "fixed", "pinned"}


@dataclass
class PlanResult:
    pool: str
    rows: pd.DataFrame  # one row per placed draft (pool columns + output.COLUMNS)
    unplaced: pd.DataFrame  # row, creator, reason
    creators: pd.DataFrame  # the per-creator summary (output.SUMMARY_COLUMNS)
    solver: dict[str, Any]
    constraints: dict[str, Any]
    model: str
    target: str
    baselines: dict[str, pd.DataFrame] = field(default_factory=dict)  # their schedules
    totals: dict[str, Any] = field(default_factory=dict)  # name -> plan.totals.Total
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, Any]:
        return output.overall(self)

    def to_dict(self) -> dict[str, Any]:
        return output.document(self)


def plan_drafts(pool: str | Path, data: StoreData, model: Any, constraints: Constraints,
                fixed: str | None = None, time_limit_s: float = 30.0, seed: int = 0
                ) -> PlanResult:
    started = time.perf_counter()
    frame = plan_io.read_plan(pool, required=("creator",))
    if fixed is not None and fixed not in frame.columns:
        raise UsageError(f"--fixed {fixed!r}: the pool has no such column; columns: "
                         f"{', '.join(map(str, frame.columns))}")
    planned = plan_io.text(frame, "planned_at")
    has_time = (planned != "").to_numpy()
    filled = frame.copy()
    # Rows without planned_at are valid drafts: a placeholder time lets the shared
    # validation check the rest of the row (the time itself is chosen here).
    filled["planned_at"] = planned.where(has_time, f"{constraints.start}T12:00")
    queries, _ = validate_plan(filled, data, str(pool))
    ok = queries["ok"].to_numpy()
    if not ok.any():
        raise InputError(f"{pool}: no usable draft rows (every row has an error: "
                         f"{queries['error'].iloc[0]})")
    pinned = ok & has_time & (plan_io.text(frame, fixed).str.lower().isin(TRUE_TEXT)
                              .to_numpy() if fixed else False)
    queries = queries.assign(posted_at=queries["posted_at"].where(has_time | ~ok))
    pools = _creator_pools(queries, ok, pinned, data, constraints)
    pairs, method = screen(pools, queries, lambda q: _logs(model, q, data))
    table, pred, states = _score_pairs(model, data, queries, pools, pairs, has_time & ~pinned,
                                       constraints)
    evaluator = Evaluator(model, table)
    budget = max(time_limit_s, 1.0)
    solving = time.perf_counter()  # the time limit covers the solver and the search
    per_creator = 0.5 * budget / max(len(states), 1)
    runs = {}
    for s in states.values():
        problem = Problem(s.grid, s.pair_draft, s.slot, s.pair_value, s.fixed_t, s.prior_ns,
                          constraints)
        cp = solve_cpsat(problem, per_creator)
        greedy = solve_greedy(problem)
        # No solution within the limit (status UNKNOWN): the search starts from greedy.
        s.chosen = cp.chosen if cp.status in ("OPTIMAL", "FEASIBLE") else greedy.chosen
        runs[s.creator] = {"cpsat": cp, "greedy": greedy,
                           "agency": _agency_choice(s, constraints)}
    deadline = solving + budget
    search = local_search(list(states.values()), evaluator, deadline, seed=seed)
    starts = _rescue(states, runs, evaluator, deadline, seed)
    result = output.assemble(
        frame=frame, queries=queries, ok=ok, pinned=pinned, pools=pools, states=states,
        runs=runs, evaluator=evaluator, static_pred=pred, constraints=constraints,
        starts=starts, data=data)
    solver = {
        "name": "OR-Tools CP-SAT", "version": _ortools_version(),
        "time_limit_s_per_creator": round(per_creator, 3), "workers": 1,
        "candidates": method,
        "statuses": _count([r["cpsat"].status for r in runs.values()]),
        "max_gap": round(max([r["cpsat"].gap for r in runs.values()] or [0.0]), 6),
        "gap_definition": "(CP-SAT's bound - objective) / bound on the static objective "
                          "(sum of predicted engagement, drafts scored alone) over the "
                          "candidate pairs",
        "local_search": {"rounds": search.rounds, "moves_tried": search.moves_tried,
                         "moves_accepted": search.moves_accepted,
                         "seconds": round(search.seconds, 2), "stopped": search.stopped,
                         "model_calls": evaluator.calls},
        "seconds": round(time.perf_counter() - started, 2),
    }
    target = str(getattr(model, "target", "weighted"))
    plan = PlanResult(pool=str(pool), rows=result.rows, unplaced=result.unplaced,
                      creators=result.creators, solver=solver,
                      constraints=constraints.describe(), model=_name(model), target=target,
                      baselines=result.baselines, totals=result.totals)
    plan.notes = output.notes(plan)
    return plan


def _creator_pools(queries: pd.DataFrame, ok: np.ndarray, pinned: np.ndarray,
                   data: StoreData, constraints: Constraints) -> list[CreatorPool]:
    posts = data.posts[["creator", "posted_at"]].dropna()
    prior = {str(c): np.sort(to_ns(g["posted_at"]))
             for c, g in posts.groupby(posts["creator"].astype(str), sort=False)}
    out = []
    creator = queries["creator"].astype(str).to_numpy()
    zone = queries["zone"].astype(str).to_numpy()
    for name in pd.unique(creator[ok]):
        mine = ok & (creator == name)
        grid = slot_grid(constraints, _known_zone(zone[mine][0]))
        out.append(CreatorPool(
            creator=name, zone=grid.zone, grid=grid, drafts=np.flatnonzero(mine & ~pinned),
            pinned=np.flatnonzero(mine & pinned),
            prior_ns=prior.get(name, np.zeros(0, dtype=np.int64)),
            capacity=capacity(grid, constraints)))
    return out


def _known_zone(name: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"  # as features.timing does for a zone the ingest could not vouch for
    return name


def _logs(model: Any, queries: pd.DataFrame, data: StoreData) -> np.ndarray:
    return score_batch(model, queries[QUERY_COLUMNS], data).pred["predicted"].to_numpy()


@dataclass
class _State(CreatorState):
    grid: Any = None
    slot: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fixed_pool_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    agency_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    agency_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    agency_pool_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    agency_pairs: np.ndarray | None = None
    zone: str = "UTC"
    capacity: int = 0
    considered: int = 0


def _score_pairs(model: Any, data: StoreData, queries: pd.DataFrame, pools: list[CreatorPool],
                 pairs: dict[str, tuple[np.ndarray, np.ndarray]], agency: np.ndarray,
                 constraints: Constraints) -> tuple[pd.DataFrame, pd.DataFrame,
                                                    dict[str, _State]]:
    """One model batch: every candidate pair, the pinned rows, the agency's own slots."""
    batches, meta = [], []
    for p in pools:
        rows, slots = pairs.get(p.creator, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        own = p.drafts[agency[p.drafts]]
        own_t = to_ns(queries.loc[own, "posted_at"])
        on_grid = np.isin(own_t, p.grid.t)  # the agency's slots that keep the slot rules
        rows = np.concatenate([rows, own[on_grid]])
        slots = np.concatenate([slots, np.searchsorted(p.grid.t, own_t[on_grid])])
        key = pd.Series(rows * (len(p.grid.t) + 1) + slots)
        keep = ~key.duplicated().to_numpy()
        rows, slots = rows[keep], slots[keep]
        frame = queries.loc[rows, QUERY_COLUMNS].copy()
        frame["posted_at"] = pd.to_datetime(p.grid.t[slots], utc=True)
        batches += [frame, queries.loc[p.pinned, QUERY_COLUMNS],
                    queries.loc[own, QUERY_COLUMNS]]
        own_pairs = None
        if len(own) and on_grid.all():
            lookup = pd.Series(np.arange(len(rows)), index=rows * (len(p.grid.t) + 1) + slots)
            own_pairs = lookup.loc[own * (len(p.grid.t) + 1)
                                   + np.searchsorted(p.grid.t, own_t)].to_numpy()
        meta.append((p, rows, slots, own, own_t, own_pairs))
    scored = score_batch(model, pd.concat(batches, ignore_index=True), data)
    table, pred = scored.table, scored.pred
    values = np.expm1(pred["predicted"].to_numpy())
    states: dict[str, _State] = {}
    at = 0
    for p, rows, slots, own, own_t, own_pairs in meta:
        n, k, m = len(rows), len(p.pinned), len(own)
        fixed_t = to_ns(queries.loc[p.pinned, "posted_at"])
        day, week = periods(fixed_t, constraints, p.zone)
        states[p.creator] = _State(
            creator=p.creator, pair_row=np.arange(at, at + n), pair_draft=rows,
            pair_t=p.grid.t[slots], pair_day=p.grid.day[slots], pair_week=p.grid.week[slots],
            pair_value=values[at:at + n], fixed_rows=np.arange(at + n, at + n + k),
            fixed_t=fixed_t, fixed_day=day, fixed_week=week, prior_ns=p.prior_ns,
            constraints=constraints, grid=p.grid, slot=slots, fixed_pool_row=p.pinned,
            zone=p.zone, capacity=p.capacity, considered=len(np.unique(rows)),
            agency_rows=np.arange(at + n + k, at + n + k + m), agency_t=own_t,
            agency_pool_row=own, agency_pairs=own_pairs)
        at += n + k + m
    return table, pred, states


def _agency_choice(s: _State, constraints: Constraints) -> np.ndarray | None:
    """The agency's own schedule as pairs, when each of its slots is on the grid and the
    whole keeps the rules; None otherwise (it is still evaluated, as given)."""
    own = s.agency_pairs
    if own is None or not len(own) or not s.feasible(own):
        return None
    return own


def _rescue(states: dict[str, _State], runs: dict[str, dict], evaluator: Evaluator,
            deadline: float, seed: int) -> dict[str, str]:
    """Search again from the greedy and the agency's schedules where they beat the result."""
    starts = {c: "cp-sat" for c in states}
    for name in ("greedy", "agency"):
        retry = []
        for c, s in states.items():
            chosen = runs[c][name].chosen if name == "greedy" else runs[c][name]
            if chosen is None:
                continue
            total = evaluator.totals([s], [chosen])[0]
            if total > s.total:
                clone = _clone(s, chosen)
                retry.append((c, clone))
        if retry:
            local_search([r for _, r in retry], evaluator, max(deadline, time.perf_counter()
                                                                + 5.0), seed=seed)
            for c, clone in retry:
                if clone.total > states[c].total:
                    states[c].chosen, states[c].total = clone.chosen, clone.total
                    starts[c] = name
    return starts


def _clone(s: _State, chosen: np.ndarray) -> _State:
    from dataclasses import replace

    return replace(s, chosen=np.asarray(chosen, dtype=np.int64), total=float("nan"))


def _count(values: list[str]) -> dict[str, int]:
    return {k: values.count(k) for k in sorted(set(values))}


def _ortools_version() -> str:
    import ortools

    return str(ortools.__version__)


def _name(model: Any) -> str:
    for attr in ("name", "version", "model_id"):
        if getattr(model, attr, None):
            return str(getattr(model, attr))
    return type(model).__name__
