"""``score_plan``: score an agency's content plan, row by row, vectorised.

Every good row gets predicted engagement with its interval, lift vs the creator's usual
post (``recommend.usual``, as in ``suggest``) and that post's level vs the trailing median,
rank within the creator, its two largest reasons (each decision alone on the usual post,
``Scored.one_change_groups``) and a better slot within +/- 24 h where one beats the planned
slot by BETTER_MARGIN_PCT.

Better slot, two ways:
- exact (plans up to EXACT_MAX_ROWS rows): every row is copied to each hour from -24 h to
  +24 h and all copies are scored in the same batch;
- table (larger plans): the model scores, once per creator, that creator's first planned
  post at each of the 168 hours of a week; a row's gain from moving k hours is the
  difference of that hour-of-week table. This assumes the timing effect does not depend on
  the row's content (true of an additive model, approximately of LightGBM) and ignores the
  few hours a trend ages within a day.

Large plans are scored in parts of whole creators (``scoring.score_batches``): each part is
predicted in a background thread while the next one is featurised, which keeps both cores
of a small machine busy; the results do not depend on how the plan is cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.distinct import Distinct, TextColumn, first_positions, pair_codes
from recommender.engagement import TARGETS, lift_to_percent
from recommender.features.context import NS_PER_HOUR, group_starts, to_ns
from recommender.features.store_side import query_frame_creators
from recommender.recommend import plan_io, scoring
from recommender.recommend.candidates import QUERY_COLUMNS
from recommender.recommend.explain import reason_codes
from recommender.recommend.scoring import score_batch, to_count
from recommender.recommend.usual import usual_profiles
from recommender.store import StoreData, timezone_lookup

EXACT_MAX_ROWS = 2_000
PART_ROWS = 100_000  # large plans are scored in parts of about this many rows
SHIFT_HOURS = np.arange(-24, 25)
BETTER_MARGIN_PCT = 5.0
USUAL_DAYS = 7  # the usual post is predicted on each day of the creator's first planned week
OUTPUT_COLUMNS = ["predicted", "low", "high", "lift_pct", "level_pct", "rank", "reasons",
                  "better_slot", "better_slot_gain_pct", "creator_known", "error"]


@dataclass
class ScoreResult:
    path: str
    rows: pd.DataFrame  # the plan's columns + OUTPUT_COLUMNS, in plan order
    rejected: pd.DataFrame  # file, row, field, reason, value
    model: str
    target: str
    horizon_days: int
    better_slot_method: str
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        ok = self.rows["error"] == ""
        return {"rows": len(self.rows), "scored": int(ok.sum()),
                "rejected": int((~ok).sum()),
                "unknown_creators": int(self.rows.loc[ok & ~self.rows["creator_known"],
                                                      "creator"].nunique()),
                "better_slots": int((self.rows["better_slot"] != "").sum())}

    def to_dict(self) -> dict[str, Any]:
        rows = self.rows.astype(object).where(self.rows.notna(), None)
        return {
            "plan": self.path, "model": self.model, "target": self.target,
            "horizon_days": self.horizon_days, "better_slot_method": self.better_slot_method,
            "summary": self.summary, "notes": self.notes,
            "rows": rows.to_dict(orient="records"),
            "rejected": self.rejected.astype(object).to_dict(orient="records"),
        }


def score_plan(plan: str | Path, data: StoreData, model: Any) -> ScoreResult:
    frame, queries, rejected = prepare(plan, data)
    good = queries["ok"].to_numpy()
    columns = empty_columns(len(frame))
    method = "none"
    if good.any():
        method = _score_into(columns, queries.loc[good, [*QUERY_COLUMNS, "zone"]], data, model)
    return finish(plan, frame, queries, rejected, columns, method, model)


def prepare(plan: str | Path, data: StoreData) -> tuple[pd.DataFrame, pd.DataFrame,
                                                         pd.DataFrame]:
    """The plan read and validated: (plan rows, queries with ``ok``/``known``/``error``,
    rejected cells). Shared with the Dask path (``recommender.distributed.score``)."""
    frame = plan_io.read_plan(plan)
    queries, rejected = _validate(frame, data, str(plan))
    return frame, queries, rejected


def methods(good: pd.DataFrame) -> tuple[str, pd.Timestamp]:
    """The better-slot method (from the number of good rows) and the time the usual posts
    are profiled at (the plan's first planned time: one reference for the whole plan),
    decided once per plan so that a plan cut into parts decides alike."""
    method = "exact" if len(good) <= EXACT_MAX_ROWS else "hour-of-week table"
    return method, good["posted_at"].min()


def finish(plan: str | Path, frame: pd.DataFrame, queries: pd.DataFrame,
           rejected: pd.DataFrame, columns: dict[str, Any], method: str, model: Any
           ) -> ScoreResult:
    """The scored ``columns`` (plan row i at i) joined to the plan, with the notes."""
    columns["creator_known"] = queries["known"].to_numpy()
    errors = queries["error"].array  # categorical: a few messages
    columns["error"] = pd.array(np.asarray(errors.categories, dtype=object),
                                dtype="str").take(errors.codes)
    out = frame.copy()  # read_plan numbers the rows 0..n-1: plan row i is at i
    for column in OUTPUT_COLUMNS:
        values = columns[column]
        out[column] = values.column() if isinstance(values, TextColumn) else values
    out["rank"] = out["rank"].astype("Int64")
    target = str(getattr(model, "target", "weighted"))
    result = ScoreResult(
        path=str(plan), rows=out, rejected=rejected, model=_name(model),
        target=TARGETS[target].label if target in TARGETS else target,
        horizon_days=int(getattr(model, "horizon_days", 7)), better_slot_method=method)
    result.notes = _notes(result)
    return result


def _validate(frame: pd.DataFrame, data: StoreData, path: str
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    creator = plan_io.text(frame, "creator")
    creators = Distinct(creator)  # plans repeat creators and sounds: work per distinct
    zone_of = pd.Series(creators.values, dtype=object).map(timezone_lookup(data.creators))
    # object first: with no creator known the map is all-NaN float64, which "UTC" cannot fill
    zone_of = zone_of.astype(object).where(zone_of.notna(), "UTC").astype(str)
    zones = creators.category(zone_of.to_numpy())
    planned = plan_io.parse_planned(plan_io.text(frame, "planned_at"), zones)
    raw_duration = plan_io.text(frame, "duration_s")
    duration = plan_io.to_number(raw_duration)
    problems = [
        ("creator", creator == "", "missing creator: fill in the creator handle", creator),
        ("planned_at", planned.isna(), "not an ISO 8601 date-time (e.g. 2025-07-08T19:00 "
         "or 2025-07-08T19:00+02:00)", plan_io.text(frame, "planned_at")),
        ("duration_s", duration.isna() & (raw_duration != ""), "not a number of seconds",
         raw_duration),
        ("duration_s", duration < 0, "negative duration; give the length in seconds",
         raw_duration),
    ]
    first_problem = np.zeros(len(frame), dtype=np.int64)  # 0: none, k: problems[k - 1]
    rejects = []
    for k, (fieldname, bad, reason, values) in enumerate(problems, start=1):
        bad = bad.fillna(False).to_numpy(dtype=bool)
        first_problem[bad & (first_problem == 0)] = k
        if bad.any():
            rejects.append(pd.DataFrame({"file": path, "row": np.flatnonzero(bad) + 1,
                                         "field": fieldname, "reason": reason,
                                         "value": values[bad].str.slice(0, 80).to_numpy()}))
    error = pd.Categorical.from_codes(first_problem, [""] + [
        f"{f}: {reason}" for f, _, reason, _ in problems])
    sounds = Distinct(plan_io.text(frame, "sound"))
    original = pd.Series(sounds.values, dtype="string").str.lower().isin(
        ["", "original", "original sound"]).to_numpy(dtype=bool)
    sound_id = pd.Series(sounds.values, dtype=object).map(_sound_ids(data.posts)).to_numpy()
    sound_id[original] = np.nan
    sound_name = np.where(original, "original sound", np.asarray(sounds.values, dtype=object))
    stored = np.isin(np.asarray(creators.values, dtype=object),
                     data.posts["creator"].astype(str).unique())
    queries = pd.DataFrame({
        "creator": creators.whole(),
        "posted_at": planned, "caption": plan_io.text(frame, "caption"),
        "hashtags": plan_io.parse_hashtags(plan_io.text(frame, "hashtags")),
        "sound_id": sounds.category(sound_id), "sound_name": sounds.category(sound_name),
        "sound_is_original": original[sounds.codes], "duration_s": duration.astype("float64"),
        "zone": zones, "ok": first_problem == 0, "known": stored[creators.codes],
        "error": error,
    })
    cols = ["file", "row", "field", "reason", "value"]
    rejected = (pd.concat(rejects, ignore_index=True).sort_values(["row", "field"], kind="stable")
                if rejects else pd.DataFrame(columns=cols))
    return queries, rejected.reset_index(drop=True)


validate_plan = _validate  # public name: ``plan`` validates draft pools the same way


def _sound_ids(posts: pd.DataFrame) -> dict[str, str]:
    named = posts.loc[~posts["sound_is_original"].fillna(True).astype(bool),
                      ["sound_name", "sound_id"]].dropna()
    top = named.value_counts().reset_index().drop_duplicates("sound_name")
    return dict(zip(top["sound_name"].astype(str), top["sound_id"].astype(str)))


def empty_columns(n: int) -> dict[str, Any]:
    """The scored output columns for ``n`` plan rows, before scoring (plan row i at i)."""
    numbers = ("predicted", "low", "high", "lift_pct", "level_pct", "rank",
               "better_slot_gain_pct")
    columns: dict[str, Any] = {c: np.full(n, np.nan) for c in numbers}
    columns.update({c: TextColumn(n) for c in ("reasons", "better_slot")})
    return columns


def _score_into(columns: dict[str, np.ndarray], queries: pd.DataFrame, data: StoreData,
                model: Any, decided: tuple[str, pd.Timestamp] | None = None) -> str:
    """Score ``queries`` (whole creators) into ``columns`` at their index; ``decided``: the
    plan's ``methods`` when these rows are only a part of it (a Dask partition)."""
    method, now = decided or methods(queries)
    if method == "exact":
        usual = usual_probe(queries, data, now)
        batch = pd.concat([queries[QUERY_COLUMNS], _shifted(queries)[QUERY_COLUMNS],
                           usual[QUERY_COLUMNS]], ignore_index=True)
        _fill(columns, queries, score_batch(model, batch, data), usual, exact=True)
        return "exact"
    # Creators never share a part: ranks, usual posts and week tables are per creator.
    parts = _creator_parts(queries, _part_rows(data))
    every = usual_probe(queries, data, now)
    usuals = [every[every["creator"].isin(part["creator"].astype(str).unique())]
              .reset_index(drop=True) for part in parts]
    batches = (pd.concat([part[QUERY_COLUMNS], _week_probe(part)[QUERY_COLUMNS],
                          usual[QUERY_COLUMNS]], ignore_index=True)
               for part, usual in zip(parts, usuals))
    creators = query_frame_creators(queries)
    for part, usual, scored in zip(parts, usuals,
                                   scoring.score_batches(model, batches, data, creators)):
        _fill(columns, part, scored, usual, exact=False)
    return "hour-of-week table"


def usual_probe(queries: pd.DataFrame, data: StoreData, now: pd.Timestamp) -> pd.DataFrame:
    """Each creator's usual post (``usual.usual_profiles`` as of ``now``) at their usual
    hour on each of the USUAL_DAYS days from their first planned day, creator by creator
    (the same reference ``suggest`` uses: lift = this row vs that post, averaged)."""
    first = queries.groupby("creator", sort=False, observed=True)["posted_at"].min()
    zone_of = queries.groupby("creator", sort=False, observed=True)["zone"].first().astype(str)
    creators = [str(c) for c in first.index]
    profiles = usual_profiles(data.posts, creators, dict(zip(creators, zone_of.to_numpy())),
                              now)
    frames = []
    for zone in pd.unique(zone_of.to_numpy()):
        mine = zone_of.index[zone_of.to_numpy() == zone]
        day = first.loc[mine].dt.tz_convert(str(zone)).dt.tz_localize(None).dt.normalize()
        hours = pd.to_timedelta(profiles.loc[[str(c) for c in mine], "usual_hour"]
                                .to_numpy(), unit="h")
        wall = (np.repeat(day.to_numpy() + hours.to_numpy(), USUAL_DAYS)
                + np.tile(np.arange(USUAL_DAYS), len(mine)) * np.timedelta64(1, "D"))
        # An hour that happens twice (DST ends): its first reading (ambiguous = DST).
        stamps = pd.DatetimeIndex(wall).tz_localize(
            str(zone), ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
        frames.append(pd.DataFrame({"creator": np.repeat([str(c) for c in mine], USUAL_DAYS),
                                    "posted_at": stamps.tz_convert("UTC"),
                                    "order": np.repeat(first.index.get_indexer(mine),
                                                       USUAL_DAYS)}))
    probe = pd.concat(frames, ignore_index=True).sort_values("order", kind="stable")
    own = profiles.loc[probe["creator"]]
    return pd.DataFrame({
        "creator": probe["creator"].to_numpy(), "posted_at": probe["posted_at"].to_numpy(),
        "caption": own["caption"].to_numpy(), "hashtags": list(own["usual_tags"]),
        "sound_id": None, "sound_name": "original sound", "sound_is_original": True,
        "duration_s": own["median_duration"].to_numpy(dtype="float64"),
    })


def _part_rows(data: StoreData) -> int:
    """Each part repeats the store-wide feature work, so a part is never smaller than the
    store (that work then stays a fraction of the part's own)."""
    return max(PART_ROWS, len(data.posts))


def _creator_parts(queries: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    """``queries`` cut into parts of about ``rows`` rows, each holding whole creators; the
    first and the last part hold about a quarter of that, since nothing else runs while
    the first is featurised or the last predicted. Within a part rows go by creator, then
    time, then plan order (the as-of joins' binary searches then walk forward)."""
    codes, _ = pd.factorize(queries["creator"])
    counts = np.bincount(codes)
    start = np.cumsum(counts) - counts  # each creator's first row, in creator order
    edge = rows // 4
    part = np.where(start < edge, 0, 1 + (start - edge) // rows)
    part = np.where(start >= max(len(queries) - edge, edge), part.max() + 1, part)[codes]
    order = _creator_time_order(codes, to_ns(queries["posted_at"]))  # parts stay contiguous
    ordered = queries.iloc[order]
    bounds = np.flatnonzero(np.diff(part[order])) + 1
    return [ordered.iloc[lo:hi] for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(order)])]


def _creator_time_order(codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stable permutation by (creator code, time): one sort of a combined integer key where
    it fits in int64 (a third of ``np.lexsort``'s time), else lexsort."""
    seconds = (t - (t.min() if len(t) else 0)) // 10**9
    span = int(seconds.max(initial=0)) + 1
    if (int(codes.max(initial=0)) + 1) * span < 2**62:
        return np.argsort(codes.astype(np.int64) * span + seconds, kind="stable")
    return np.lexsort((t, codes))


def _fill(columns: dict[str, np.ndarray], queries: pd.DataFrame, scored: scoring.Scored,
          usual: pd.DataFrame, exact: bool) -> None:
    """Write the scores of ``queries`` (whole creators; ``scored`` holds them first, then
    their better-slot probes, then ``usual``, their usual posts) at their plan rows (the
    queries' index) of ``columns``."""
    n = len(queries)
    pred = scored.pred.iloc[:n]
    at = queries.index.to_numpy()
    predicted = pred["predicted"].to_numpy()
    start = len(scored.pred) - len(usual)
    reference, usual_pred, level = usual_reference(queries, scored, usual, start)
    # Counts to one decimal: the model is not more precise, and a spreadsheet of a
    # million rows stays readable (and its CSV quicker to write).
    columns["predicted"][at] = np.round(to_count(predicted), 1)
    columns["low"][at] = np.round(to_count(pred["low"]), 1)
    columns["high"][at] = np.round(to_count(pred["high"]), 1)
    columns["lift_pct"][at] = np.round(lift_to_percent(predicted - usual_pred), 1)
    columns["level_pct"][at] = np.round(lift_to_percent(level), 1)
    columns["rank"][at] = _rank_within_creator(predicted, queries["creator"], at)
    columns["reasons"].put(at, *reason_codes(scored.one_change_groups(np.arange(n),
                                                                      reference)))
    extra_pred = scored.pred["predicted"].to_numpy()[n:start]
    if exact:
        gain = extra_pred.reshape(n, len(SHIFT_HOURS)) - predicted[:, None]
        best = np.argmax(gain, axis=1)
        _better(columns, queries, best, gain[np.arange(n), best])
    else:
        _better(columns, queries, *_table_best(queries, extra_pred))


def usual_reference(queries: pd.DataFrame, scored: scoring.Scored, usual: pd.DataFrame,
                     start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query row: the position in ``scored`` of its creator's usual post on their first
    planned day (the base of its one-change reasons: one base per creator, so a plan's
    repeated choices are predicted once each), the usual post's prediction averaged over
    its USUAL_DAYS days (log; lift is vs it) and that average vs the creator's trailing
    median (the level)."""
    owners = pd.Index(usual["creator"].to_numpy()[::USUAL_DAYS])
    code = owners.get_indexer(queries["creator"].astype(str))
    usual_pred = scored.pred[["predicted", "baseline"]].to_numpy()[start:].reshape(
        -1, USUAL_DAYS, 2).mean(axis=1)
    return (start + code * USUAL_DAYS, usual_pred[code, 0],
            usual_pred[code, 0] - usual_pred[code, 1])


def _rank_within_creator(predicted: np.ndarray, creator: np.ndarray | pd.Series,
                         plan_row: np.ndarray) -> np.ndarray:
    """1 = the creator's highest prediction; ties go by plan order."""
    codes, _ = pd.factorize(creator)
    order = np.lexsort((plan_row, -np.asarray(predicted, dtype="float64"), codes))
    rank = np.empty(len(order))
    rank[order] = np.arange(len(order)) - group_starts(codes[order]) + 1.0
    return rank


def _shifted(queries: pd.DataFrame) -> pd.DataFrame:
    """Each row copied to every hour in -24..+24 (row-major: row i's copies are adjacent)."""
    copies = queries.loc[queries.index.repeat(len(SHIFT_HOURS))].reset_index(drop=True)
    offsets = pd.to_timedelta(np.tile(SHIFT_HOURS, len(queries)), unit="h")
    copies["posted_at"] = copies["posted_at"] + offsets
    return copies


def _week_probe(queries: pd.DataFrame) -> pd.DataFrame:
    """Each creator's first planned post at the 168 hours of the week starting at its slot."""
    first = _first_planned(queries).reset_index(drop=True)
    probe = first.loc[first.index.repeat(168)].reset_index(drop=True)
    hours = np.tile(np.arange(168), len(first))
    probe["posted_at"] = probe["posted_at"].dt.floor("h") + pd.to_timedelta(hours, unit="h")
    return probe


def _first_planned(queries: pd.DataFrame) -> pd.DataFrame:
    """Each creator's first row in plan order (parts are sorted by creator and time)."""
    codes, creators = pd.factorize(queries["creator"])
    first = np.full(len(creators), np.iinfo(np.int64).max)
    np.minimum.at(first, codes, queries.index.to_numpy(dtype=np.int64))
    return queries.loc[first]


def _table_best(queries: pd.DataFrame, probe_pred: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's best move (index into SHIFT_HOURS) and its gain (log), from the
    creators' week tables (the predictions of ``_week_probe(queries)``). The gain of a
    move depends only on (creator, the row's hour in that creator's table), so the best
    move is found once per creator and hour of the week and looked up per row."""
    table = probe_pred.reshape(-1, 168)  # one row per creator, hour offsets from its start
    moves = (np.arange(168)[:, None] + SHIFT_HOURS) % 168
    best_move = np.empty(table.shape, dtype=np.int64)
    best_gain = np.empty(table.shape)
    step = 1_000  # creators at a time: 1,000 x 168 x 49 float64 is 66 MB
    for lo in range(0, len(table), step):
        part = table[lo:lo + step]
        gains = part[:, moves] - part[:, :, None]  # creator x hour x move
        best_move[lo:lo + step] = np.argmax(gains, axis=2)
        best_gain[lo:lo + step] = np.take_along_axis(
            gains, best_move[lo:lo + step, :, None], axis=2)[:, :, 0]
    first = _first_planned(queries)  # the week tables' creators and starts
    codes = pd.Index(first["creator"]).get_indexer(queries["creator"])
    start = to_ns(first["posted_at"].dt.floor("h"))[codes]
    hour = ((to_ns(queries["posted_at"].dt.floor("h")) - start) // NS_PER_HOUR) % 168
    return best_move[codes, hour], best_gain[codes, hour]


def _better(columns: dict[str, np.ndarray], queries: pd.DataFrame, best: np.ndarray,
            gain: np.ndarray) -> None:
    """Fill better_slot where moving a row by SHIFT_HOURS[best] gains BETTER_MARGIN_PCT."""
    pct = np.asarray(lift_to_percent(np.asarray(gain, dtype="float64")))
    shift = SHIFT_HOURS[best]
    found = (pct >= BETTER_MARGIN_PCT) & (shift != 0)
    when = queries["posted_at"] + pd.to_timedelta(shift, unit="h")
    at = queries.index.to_numpy()[found]
    columns["better_slot"].put(at, *_local_iso(when[found], queries["zone"][found]))
    columns["better_slot_gain_pct"][at] = np.round(pct[found], 1)


def _local_iso(times: pd.Series, zones: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 local times with offset ("2025-07-08T19:00:00+02:00"), as each row's code
    into the distinct texts and those texts: plans repeat (time, zone) pairs, so each
    distinct pair is formatted once."""
    utc = to_ns(times)
    zone_text = zones.astype(str).to_numpy()
    pair = pair_codes(utc, zone_text)
    first = first_positions(pair)
    return pair, _format_local(utc[first], zone_text[first])


def _format_local(utc: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Per zone: one conversion to wall-clock time, NumPy's date formatting and one offset
    text per distinct offset (pandas' strftime formats row by row in Python)."""
    out = np.empty(len(utc), dtype=object)
    for zone in np.unique(zones):
        rows = zones == zone
        wall = pd.DatetimeIndex(pd.to_datetime(utc[rows], utc=True)).tz_convert(
            str(zone)).tz_localize(None).asi8
        minutes = (wall - utc[rows]) // (60 * 10**9)
        offsets = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
                   for m in np.unique(minutes).tolist()}
        text = np.datetime_as_string(wall.astype("datetime64[ns]"), unit="s")
        suffix = pd.Series(minutes).map(offsets).to_numpy(dtype=object)
        out[rows] = np.char.add(text, suffix.astype(str))
    return out


def _notes(result: ScoreResult) -> list[str]:
    s = result.summary
    notes = [f"Engagement = {result.target}, predicted {result.horizon_days} days after "
             "posting. lift_pct = this row vs the creator's usual post (usual hour, tags, "
             "original sound, median length; predicted over their first planned week), as "
             "in suggest; level_pct = that usual post vs the creator's trailing median. "
             "Reasons: the two largest of the row's decisions, each alone on the usual post "
             "(exact predictions)."]
    if s["unknown_creators"]:
        notes.append(f"{s['unknown_creators']} creator(s) not in the store: scored with the "
                     "population model (creator_known = false).")
    if s["rejected"]:
        notes.append(f"{s['rejected']} row(s) could not be scored; see the error column.")
    if result.better_slot_method == "hour-of-week table":
        notes.append("Better slots for this large plan come from a per-creator hour-of-week "
                     "table (timing assumed independent of content).")
    return notes


def _name(model: Any) -> str:
    for attr in ("name", "version", "model_id"):
        if getattr(model, attr, None):
            return str(getattr(model, attr))
    return type(model).__name__
