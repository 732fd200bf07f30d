"""The schedule's rows, the unplaced drafts with their reasons, the per-creator summary and
the JSON document. Counts are on the engagement target's count scale, one decimal.

Totals' intervals: ``low`` / ``high`` of a total are an 80% interval of that sum, simulated
from the posts' own intervals with errors correlated within a creator (``plan.totals``: the
definition and its stated assumption), not the sums of the posts' interval ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from recommender.engagement import TARGETS, lift_to_percent
from recommender.plan.sequential import MIN_GAIN
from recommender.plan.solve import naive_choice
from recommender.plan.totals import RHO_CREATOR, TAIL_DF, Total, total_intervals
from recommender.recommend.explain import reason_codes
from recommender.recommend.score import _local_iso, usual_probe, usual_reference
from recommender.recommend.scoring import Scored, score_batch, to_count

if TYPE_CHECKING:
    from recommender.plan.job import PlanResult

COLUMNS = ["planned_at", "timezone", "predicted", "low", "high", "lift_pct", "level_pct", "rank",
           "reasons", "slot_rank", "why_here", "pinned", "creator_known", "pool_row"]
SUMMARY_COLUMNS = ["creator", "drafts", "placed", "expected", "low", "high", "greedy",
                   "greedy_low", "greedy_high", "row_by_row", "row_by_row_low",
                   "row_by_row_high", "agency", "agency_low", "agency_high",
                   "agency_posts", "agency_keeps_rules", "gain_vs_greedy_pct",
                   "gain_vs_row_by_row_pct", "gain_vs_agency_pct", "solver_status",
                   "solver_gap", "search_start"]


INTERVAL_DEFINITION = (
    "an 80% interval of the sum, simulated from each post's own 80% interval (Student t "
    f"tails, {TAIL_DF:g} degrees of freedom, on the log scale), errors correlated "
    f"{RHO_CREATOR:g} between posts of one creator and independent across creators "
    "(assumptions, checked on generated worlds: 78-82% of creators' realised totals fell "
    "inside); it can sit above the sum of predictions, which adds up typical posts, while a "
    "post that takes off lifts a sum of counts far more than a weak one lowers it.")


@dataclass
class Assembled:
    rows: pd.DataFrame
    unplaced: pd.DataFrame
    creators: pd.DataFrame
    baselines: dict[str, pd.DataFrame]  # name -> schedule: pool columns + planned_at (UTC)
    totals: dict[str, Total]  # name -> every creator's total with its interval


def assemble(*, frame: pd.DataFrame, queries: pd.DataFrame, ok: np.ndarray,
             pinned: np.ndarray, pools: list, states: dict, runs: dict, evaluator: Any,
             static_pred: pd.DataFrame, constraints: Any, starts: dict[str, str],
             data: Any) -> Assembled:
    order = list(states.values())
    final = evaluator.predict(order, [s.chosen for s in order])
    greedy_choice = [runs[s.creator]["greedy"].chosen for s in order]
    greedy = evaluator.predict(order, greedy_choice)
    naive_choices = [naive_choice(s.pair_draft, s.pair_value, len(s.chosen)) for s in order]
    naive = evaluator.predict(order, naive_choices)
    agency_states = [replace(s, fixed_rows=np.r_[s.fixed_rows, s.agency_rows],
                             fixed_t=np.r_[s.fixed_t, s.agency_t]) for s in order]
    agency = evaluator.predict(agency_states, [np.zeros(0, dtype=np.int64)] * len(order))
    tables = [evaluator.features(s, s.chosen) for s in order]
    placed = []
    for s, pred in zip(order, final):
        pool_rows = np.r_[s.pair_draft[s.chosen], s.fixed_pool_row]
        t = np.r_[s.pair_t[s.chosen], s.fixed_t]
        part = pd.DataFrame({"pool_row": pool_rows, "t": t, "creator": s.creator,
                             "zone": s.zone, "pinned": np.r_[np.zeros(len(s.chosen), bool),
                                                             np.ones(len(s.fixed_t), bool)]})
        part[["slot_rank", "why_here"]] = _why(s)
        placed.append(pd.concat([part, pred], axis=1))
    rows = _rows(frame, queries, placed, tables, evaluator, data)
    unplaced = _unplaced(frame, queries, ok, rows, states, constraints)
    level = float(getattr(evaluator.model, "interval", 0.8))
    names = [s.creator for s in order]
    has_agency = [len(s.agency_rows) > 0 for s in order]
    sums = {"expected": _sums(final, names, level),
            "greedy": _sums(greedy, names, level), "row_by_row": _sums(naive, names, level),
            "agency": _sums([a for a, h in zip(agency, has_agency) if h],
                            [n for n, h in zip(names, has_agency) if h], level)}
    creators = pd.DataFrame([_creator_summary(s, len(f), {k: v[0].get(s.creator)
                                                          for k, v in sums.items()},
                                              runs[s.creator], starts[s.creator],
                                              int((queries["creator"] == s.creator)[ok].sum()))
                             for s, f in zip(order, final)], columns=SUMMARY_COLUMNS)
    static = [runs[s.creator]["cpsat"].chosen for s in order]
    baselines = {name: _schedule(frame, order, choices) for name, choices in
                 (("greedy", greedy_choice), ("row_by_row", naive_choices),
                  ("cp_sat_static", static))}
    return Assembled(rows=rows, unplaced=unplaced, creators=creators, baselines=baselines,
                     totals={k: v[1] for k, v in sums.items()})


def _schedule(frame: pd.DataFrame, order: list, choices: list[np.ndarray]) -> pd.DataFrame:
    parts = []
    for s, chosen in zip(order, choices):
        pool_rows = np.r_[s.pair_draft[chosen], s.fixed_pool_row]
        parts.append(frame.loc[pool_rows].assign(
            planned_at=pd.to_datetime(np.r_[s.pair_t[chosen], s.fixed_t], utc=True),
            pool_row=pool_rows + 1))
    return pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]


def _rows(frame: pd.DataFrame, queries: pd.DataFrame, placed: list[pd.DataFrame],
          tables: list[pd.DataFrame], evaluator: Any, data: Any) -> pd.DataFrame:
    if not placed or not sum(len(p) for p in placed):
        return frame.iloc[:0].assign(**{c: pd.Series(dtype=object) for c in COLUMNS})
    every = pd.concat(placed, ignore_index=True)
    when = pd.Series(pd.to_datetime(every["t"].to_numpy(), utc=True))
    # Lift and reasons against the creator's usual post, as in suggest and score.
    posts = pd.DataFrame({"creator": every["creator"].astype(str).to_numpy(),
                          "posted_at": when, "zone": every["zone"].to_numpy()})
    usual = usual_probe(posts, data, when.min())
    reference_scored = score_batch(evaluator.model, usual, data)
    columns = ["predicted", "low", "high", "baseline", "lift"]
    scored = Scored(pred=pd.concat([every[columns], reference_scored.pred[columns]],
                                   ignore_index=True),
                    table=pd.concat([*tables, reference_scored.table], ignore_index=True),
                    model=evaluator.model,
                    creator=np.r_[posts["creator"].to_numpy(), usual["creator"].to_numpy()])
    reference, usual_pred, level = usual_reference(posts, scored, usual, len(every))
    codes, texts = reason_codes(scored.one_change_groups(np.arange(len(every)), reference))
    iso_codes, iso_texts = _local_iso(when, every["zone"])
    out = frame.loc[every["pool_row"].to_numpy()].reset_index(drop=True)
    out["planned_at"] = np.asarray(iso_texts, dtype=object)[iso_codes]
    out["timezone"] = every["zone"].to_numpy()
    for column in ("predicted", "low", "high"):
        out[column] = np.round(to_count(every[column].to_numpy()), 1)
    out["lift_pct"] = np.round(lift_to_percent(every["predicted"].to_numpy() - usual_pred), 1)
    out["level_pct"] = np.round(lift_to_percent(level), 1)
    out["rank"] = (every.groupby("creator")["predicted"].rank(ascending=False, method="first")
                   .astype("Int64").to_numpy())
    out["reasons"] = np.asarray(texts, dtype=object)[codes]
    out["slot_rank"] = every["slot_rank"].astype("Int64").to_numpy()
    out["why_here"] = every["why_here"].to_numpy()
    out["pinned"] = every["pinned"].to_numpy()
    out["creator_known"] = queries["known"].to_numpy()[every["pool_row"].to_numpy()]
    out["pool_row"] = every["pool_row"].to_numpy() + 1
    out["_t"] = every["t"].to_numpy()
    return out.sort_values(["creator", "_t"], kind="stable").drop(columns="_t").reset_index(
        drop=True)


def _why(s: Any) -> pd.DataFrame:
    """Per placed post: the slot's rank among the draft's candidate slots and why it is here."""
    out = []
    gap = s.constraints.min_gap_h
    taken_t = s.pair_t[s.chosen]
    for p in s.chosen:
        mine = np.flatnonzero(s.pair_draft == s.pair_draft[p])
        values = s.pair_value[mine]
        rank = int((values > s.pair_value[p]).sum()) + 1
        best = mine[np.argmax(values)]
        if rank == 1:
            out.append((rank, f"its best of {len(mine)} slots checked"))
            continue
        pct = (s.pair_value[p] / s.pair_value[best] - 1) * 100
        when = pd.Timestamp(int(s.pair_t[best]), tz="UTC").tz_convert(s.zone)
        label = when.strftime("%a %d %b %H:%M")
        if s.pair_t[best] in taken_t:
            cause = f"its best slot ({label}) holds a draft worth more there"
        elif gap > 0 and (np.abs(np.r_[taken_t, s.fixed_t] - s.pair_t[best])
                          < gap * 3_600e9).any():
            cause = f"its best slot ({label}) is within --min-gap of another post"
        else:
            cause = (f"its best slot alone ({label}) loses more once the posts around it "
                     "are counted (spacing, or a full day / week)")
        out.append((rank, f"slot {rank} of {len(mine)} ({pct:+.0f}% alone): {cause}"))
    out += [(pd.NA, "pinned by the agency (--fixed)")] * len(s.fixed_t)
    return pd.DataFrame(out, columns=["slot_rank", "why_here"])


def _unplaced(frame: pd.DataFrame, queries: pd.DataFrame, ok: np.ndarray, rows: pd.DataFrame,
              states: dict, constraints: Any) -> pd.DataFrame:
    placed = set((rows["pool_row"] - 1).tolist()) if len(rows) else set()
    screened = {c: set(s.pair_draft.tolist()) for c, s in states.items()}
    out = []
    for i in range(len(frame)):
        if i in placed:
            continue
        creator = str(queries["creator"].iloc[i])
        if not ok[i]:
            reason = str(queries["error"].iloc[i])
        elif creator not in states or not len(states[creator].grid.t):
            reason = ("no slot between --from and --to passes --not-before/--not-after/"
                      "--exclude-weekdays for this creator")
        else:
            s = states[creator]
            n = len(s.chosen) + len(s.fixed_t)
            if i not in screened[creator]:
                reason = (f"not among the {s.considered} strongest drafts screened for this "
                          f"creator (the rules allow at most {s.capacity} posts)")
            elif n >= s.capacity:
                reason = (f"the rules allow {s.capacity} post(s) in the window and drafts "
                          "predicted higher took them")
            else:
                reason = ("every open slot is taken or within --min-gap / over a --per-day or "
                          "--per-week cap, or adding it lowers the creator's total")
        out.append({"row": i + 1, "creator": creator, "reason": reason})
    return pd.DataFrame(out, columns=["row", "creator", "reason"])


def _sums(preds: list[pd.DataFrame], names: list[str], level: float
          ) -> tuple[dict[object, Total], Total]:
    """Each creator's total and every creator's together, with simulated intervals."""
    parts = [p for p in preds if len(p)]
    if not parts:
        return {n: Total(0.0, 0.0, 0.0) for n in names}, Total(0.0, 0.0, 0.0)
    every = pd.concat(parts, ignore_index=True)
    group = np.concatenate([np.full(len(p), n, dtype=object) for p, n in zip(preds, names)])
    per, whole = total_intervals(*(every[c].to_numpy(dtype="float64")
                                   for c in ("predicted", "low", "high")), group, level)
    for n in names:
        per.setdefault(n, Total(0.0, 0.0, 0.0))
    return per, whole


def _round(total: Total | None) -> tuple[float | None, float | None, float | None]:
    if total is None:
        return None, None, None
    return round(total.expected, 1), round(total.low, 1), round(total.high, 1)


def _creator_summary(s: Any, placed: int, totals: dict[str, Total | None], run: dict,
                     start: str, drafts: int) -> list[Any]:
    expected, low, high = _round(totals["expected"])
    g, g_low, g_high = _round(totals["greedy"])
    n, n_low, n_high = _round(totals["row_by_row"])
    has_agency = len(s.agency_rows) > 0
    a, a_low, a_high = _round(totals["agency"]) if has_agency else (None, None, None)
    keeps = run["agency"] is not None if has_agency else None
    posts = len(s.agency_rows) + len(s.fixed_t) if has_agency else None
    return [s.creator, drafts, placed, expected, low, high, g, g_low, g_high, n, n_low,
            n_high, a, a_low, a_high, posts, keeps, _pct(expected, g), _pct(expected, n),
            _pct(expected, a), run["cpsat"].status, round(run["cpsat"].gap, 6), start]


def _pct(value: float, reference: float | None) -> float | None:
    if reference is None or reference <= 0:
        return None
    return round((value / reference - 1) * 100, 2)


def overall(result: PlanResult) -> dict[str, Any]:
    c = result.creators
    totals: dict[str, Any] = {}
    for name, prefix in (("expected", ""), ("greedy", "greedy"), ("row_by_row", "row_by_row")):
        total = result.totals.get(name)
        point = round(float(c[name].sum()), 1)
        low, high = (round(total.low, 1), round(total.high, 1)) if total else (None, None)
        totals[name] = point
        totals[f"{prefix}_low" if prefix else "low"] = low
        totals[f"{prefix}_high" if prefix else "high"] = high
    has_agency = c["agency"].notna()
    agency = round(float(c.loc[has_agency, "agency"].sum()), 1) if has_agency.any() else None
    agency_total = result.totals.get("agency") if has_agency.any() else None
    return {"creators": len(c), "drafts": int(c["drafts"].sum()) + 0,
            "placed": len(result.rows), "unplaced": len(result.unplaced), **totals,
            "agency": agency,
            "agency_low": round(agency_total.low, 1) if agency_total else None,
            "agency_high": round(agency_total.high, 1) if agency_total else None,
            "agency_same_creators_expected": round(float(c.loc[has_agency, "expected"].sum()),
                                                   1) if has_agency.any() else None,
            "gain_vs_greedy_pct": _pct(totals["expected"], totals["greedy"]),
            "gain_vs_row_by_row_pct": _pct(totals["expected"], totals["row_by_row"]),
            "interval_definition": INTERVAL_DEFINITION}


def document(result: PlanResult) -> dict[str, Any]:
    def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

    target = TARGETS[result.target].label if result.target in TARGETS else result.target
    return {"pool": result.pool, "model": result.model, "target": target,
            "constraints": result.constraints, "solver": result.solver,
            "summary": {**result.summary, "per_creator": records(result.creators)},
            "notes": result.notes, "rows": records(result.rows),
            "unplaced": records(result.unplaced)}


def notes(result: PlanResult) -> list[str]:
    target = TARGETS[result.target].label if result.target in TARGETS else result.target
    s = result.solver
    out = [
        f"Engagement = {target}, predicted 7 days after posting, summed over the placed "
        "posts; each post re-featurised after the posts placed before it (gap, posts in "
        "the last 7 days).",
        f"low/high of a total: {INTERVAL_DEFINITION}",
        "greedy: each draft, best first, at its best slot still free under the same rules. "
        "row_by_row: as many posts as the schedule, the strongest drafts each at its own best "
        "slot, blind to the others (as scoring drafts alone gives; it may break the rules).",
        f"Solver: {s['name']} {s['version']}, {s['time_limit_s_per_creator']} s per creator, "
        f"statuses {s['statuses']}, largest optimality gap {s['max_gap']:.2%} "
        "(static objective); then local search on the sequential objective "
        f"({_moves(s['local_search']['moves_accepted'])} kept, each raising the creator's "
        f"total by {MIN_GAIN:.0%} or more).",
    ]
    if result.creators["agency"].isna().all():
        out.append("agency: not enough data (no draft had its own planned_at).")
    return out


def _moves(n: int) -> str:
    return f"{n} move" if n == 1 else f"{n} moves"
