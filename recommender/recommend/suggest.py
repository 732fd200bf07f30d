"""``suggest``: the creator's best next posts, explained, with honest caveats.

One batch goes to the model: the candidate grid (slots x hashtag sets x sound x duration),
the timing probe (the usual post at every hour of the coming week), the draft's what-ifs and
the creator's settled past posts (to check the timing profile against what happened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.engagement import TARGETS, lift_to_percent, log_engagement
from recommender.errors import UsageError
from recommender.features import slots
from recommender.recommend import candidates as cand
from recommender.recommend import explain, whatif
from recommender.recommend.scoring import Scored, score_batch, to_count
from recommender.recommend.timing import TimingEffect, timing_effect
from recommender.recommend.trends import TrendState, trend_state
from recommender.store import StoreData

MIN_HISTORY = 10  # fewer posts: the population model speaks for "similar creators"
HISTORY_ROWS = 300  # most recent settled posts used to check the timing profile
MIN_GAP_H = 6


@dataclass
class Suggestion:
    post_at: pd.Timestamp  # local, tz-aware
    hashtags: list[str]
    sound: cand.Sound
    duration_s: float
    predicted: float
    low: float
    high: float
    lift: float  # percent: this choice vs the creator's usual post now
    reasons: list[str]
    vs_baseline: float = 0.0  # percent vs the trailing median (level and choice together)

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_at": self.post_at.isoformat(),
            "hashtags": self.hashtags,
            "sound": None if self.sound is None else self.sound.to_dict(),
            "duration_s": round(self.duration_s, 1),
            "predicted": round(self.predicted, 1),
            "low": round(self.low, 1),
            "high": round(self.high, 1),
            "lift": round(self.lift, 1),
            "vs_baseline": round(self.vs_baseline, 1),
            "reasons": self.reasons,
        }


@dataclass
class SuggestResult:
    creator: str
    model: str
    target: str
    target_label: str
    horizon_days: int
    baseline: float
    timezone: str
    now: pd.Timestamp
    timing: TimingEffect
    suggestions: list[Suggestion]
    notes: list[str]
    cold_start: bool
    what_ifs: list[dict[str, Any]] | None = None
    profile: dict[str, float] = field(default_factory=dict)  # "Mon 19" -> lift % (report)
    level: float = 0.0  # percent: your usual post now vs your trailing median
    usual: float = 0.0  # count: your usual post now, predicted
    draft: dict[str, Any] | None = None  # the draft's own prediction
    cadence: dict[str, Any] | None = None  # impact.cadence.for_suggest: posts to plan a week

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "creator": self.creator,
            "model": self.model,
            "target": self.target_label,
            "horizon_days": self.horizon_days,
            "baseline": round(self.baseline, 1),
            "usual_post": round(self.usual, 1),
            "level": round(self.level, 1),
            "timing_effect": self.timing.to_dict(),
            "suggestions": [s.to_dict() for s in self.suggestions],
            "notes": self.notes,
        }
        if self.draft is not None:
            out["draft"] = self.draft
        if self.what_ifs is not None:
            out["what_ifs"] = self.what_ifs
        if self.cadence is not None:
            out["cadence"] = self.cadence
        return out


def suggest(data: StoreData, model: Any, creator: str, *, days: int = 7, top: int = 5,
            draft: cand.Draft | None = None, now: pd.Timestamp | str | None = None,
            not_before: int | None = None, not_after: int | None = None,
            exclude_weekdays: tuple[str, ...] = ()) -> SuggestResult:
    _check_args(days, top, not_before, not_after, exclude_weekdays)
    when = resolve_now(data, now)
    target = str(getattr(model, "target", "weighted"))
    tz = data.timezone_of(creator)
    profile = cand.creator_profile(data.posts, creator, tz, target, when)
    trends = trend_state(data.trends, data.posts, when)
    slots = cand.slot_grid(when, tz, days, not_before=not_before, not_after=not_after,
                           exclude_weekdays=exclude_weekdays)
    if len(slots) == 0:
        raise UsageError("no posting slot is left after --not-before/--not-after/"
                         "--exclude-weekdays; widen the window")
    slots = best_guess_slots(model, creator, slots, top)
    batch = _batch(data, profile, trends, slots, draft, when, target, model)
    scored = score_batch(model, batch.frame, data)
    result = _result(data, model, profile, trends, batch, scored, top, draft, when, now is None)
    from recommender.impact.cadence import for_suggest

    result.cadence = for_suggest(data, creator, when, target)
    return result


def best_guess_slots(model: Any, creator: str, slots: pd.DatetimeIndex, top: int
                     ) -> pd.DatetimeIndex:
    """Where timing barely matters, each day's slots at the profile's best-guess hour.

    Every slot then counts the same in the figures (the profile is only a tie-break), but
    the trees' small slot-to-slot differences (spacing, trend age) used to pick the hour: a
    median 6.5-7.5 h from the planted best hour for such creators on generated worlds, where
    the best guess was 2-4 h off; the guess costs nothing where timing is truly flat. With
    few posts the guess is mostly the population's. A flat profile (unknown creators) keeps
    every slot, and so does a window with fewer days than ``top`` (one suggestion a day)."""
    profile = getattr(model, "timing_", None)
    dates = np.asarray(slots.date)
    if profile is None or len(set(dates)) < top or profile.summary(creator).matters:
        return slots
    value = profile.effect(np.full(len(slots), creator, dtype=object),
                           slots.hour.to_numpy(), slots.day_of_week.to_numpy())
    day_best = pd.Series(value).groupby(dates).transform("max").to_numpy()
    return slots[value >= day_best - 1e-12]


@dataclass
class _Batch:
    frame: pd.DataFrame  # all queries, with a "part" column
    tag_sets: list[list[str]]
    sounds: list[cand.Sound]
    outcome: np.ndarray  # observed minus nothing yet; baseline subtracted after scoring


def _batch(data: StoreData, profile: cand.CreatorProfile, trends: TrendState,
           slots: pd.DatetimeIndex, draft: cand.Draft | None, now: pd.Timestamp, target: str,
           model: Any) -> _Batch:
    sets = cand.hashtag_sets(profile, trends, draft)
    tag_sets = list(sets.values())
    sounds = cand.sound_options(trends, draft)
    caption = draft.caption if draft is not None and draft.caption else profile.caption
    grid = cand.queries(profile.creator, slots, tag_sets, sounds,
                        cand.durations(profile, draft), caption).assign(part="grid")
    probe = cand.reference_queries(profile, now).assign(part="probe")
    parts = [grid, probe]
    if draft is not None:
        parts.append(whatif.queries(profile, trends, draft, probe, caption).assign(part="whatif"))
    history, outcome = _history(data.posts, profile.creator, now, target,
                                int(getattr(model, "horizon_days", 7)))
    parts.append(history.assign(part="history"))
    frame = pd.concat(parts, ignore_index=True)
    return _Batch(frame, tag_sets, sounds, outcome)


def _history(posts: pd.DataFrame, creator: str, now: pd.Timestamp, target: str,
             horizon: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The creator's settled past posts as queries, and their observed log outcome."""
    own = posts[(posts["creator"] == creator)
                & (posts["posted_at"] <= now - pd.Timedelta(days=horizon))
                & ((posts["collected_at"] - posts["posted_at"]) >= pd.Timedelta(days=horizon))]
    own = own.sort_values("posted_at").tail(HISTORY_ROWS)
    frame = own[cand.QUERY_COLUMNS].reset_index(drop=True)
    frame["hashtags"] = frame["hashtags"].map(lambda t: [] if t is None else list(t))
    return frame, log_engagement(own, target)


def _result(data: StoreData, model: Any, profile: cand.CreatorProfile, trends: TrendState,
            batch: _Batch, scored: Scored, top: int, draft: cand.Draft | None,
            now: pd.Timestamp, now_defaulted: bool) -> SuggestResult:
    part = batch.frame["part"].to_numpy()
    pred = scored.pred
    probe = part == "probe"
    hist = part == "history"
    own_slot = [c for c in slots.names(model.config) if c in scored.table]
    usual = probe & (batch.frame["local"].map(lambda t: t.hour) == profile.usual_hour).to_numpy()
    usual = usual if usual.any() else probe
    # "Your usual post now": the usual post at the usual hour, averaged over the week's days.
    # Lift = this choice vs it; level = it vs the trailing median (the creator's momentum).
    usual_pred = float(pred.loc[usual, "predicted"].mean())
    level = usual_pred - float(pred.loc[usual, "baseline"].mean())
    timing_model = getattr(model, "timing_", None)
    if timing_model is not None:
        effect = TimingEffect.from_profile(timing_model.summary(profile.creator))
        heat = _week_map(timing_model.week(profile.creator))
    else:
        # A model without a timing profile (trained by an older version): its timing is
        # checked here on the creator's past posts. SHAP values of past posts are needed
        # only for a model without the own-slot features either (see _own_slot_evidence).
        groups = (scored.groups_for(np.flatnonzero(hist)).reindex(range(len(part)))
                  if not own_slot else pd.DataFrame({"timing": np.zeros(len(part))}))
        # The timing profile: the usual post moved to each hour of the week with nothing
        # else changed (the full prediction of the probe also moves with cadence and trend
        # dates over the week, which is not "timing").
        week = scored.only_group_varies("timing", int(np.flatnonzero(usual)[0]),
                                        np.flatnonzero(probe))
        effect = timing_effect(
            week,
            _own_slot_evidence(scored.table.loc[hist, own_slot], groups.loc[hist, "timing"]),
            batch.outcome - pred.loc[hist, "baseline"].to_numpy(),
        )
        heat = _profile_map(batch.frame[probe], pred.loc[probe])
    grid_idx = np.flatnonzero(part == "grid")
    picks = diverse_top(batch.frame.iloc[grid_idx], pred.iloc[grid_idx]["predicted"], top)
    # Where timing barely matters no slot is a reason (its tie-break is no effect to cite).
    dropped = ("timing",) if effect.barely_matters else ()
    suggestions = [_suggestion(batch, scored, i,
                               _one_change_at_a_time(scored, batch, usual, i).drop(list(dropped)),
                               profile, usual_pred) for i in picks]
    baseline = float(np.median(to_count(pred.loc[probe, "baseline"])))
    what_ifs = (whatif.describe(batch.frame[part == "whatif"], pred[part == "whatif"],
                                trends, profile) if draft is not None else None)
    target = str(getattr(model, "target", "weighted"))
    result = SuggestResult(
        creator=profile.creator, model=_model_name(model), target=target,
        target_label=TARGETS[target].label if target in TARGETS else target,
        horizon_days=int(getattr(model, "horizon_days", 7)), baseline=baseline,
        timezone=profile.timezone, now=now, timing=effect, suggestions=suggestions,
        notes=[], cold_start=profile.n_posts < MIN_HISTORY, what_ifs=what_ifs,
        profile=heat, level=float(lift_to_percent(level)),
        usual=float(to_count(usual_pred)),
        draft=(_draft_prediction(batch.frame[part == "whatif"], pred[part == "whatif"],
                                 usual_pred) if draft is not None else None),
    )
    result.notes = _notes(result, data, profile, trends, now_defaulted)
    return result


def _own_slot_evidence(own_slot: pd.DataFrame, timing: pd.Series) -> np.ndarray:
    """Per past post: what the creator's *earlier* posts said about its slot (the sum of its
    own-slot features, built from strictly earlier posts). The model's own timing
    contributions on these posts would be in-sample (the model was fitted on them) and bear
    themselves out even for a creator whose timing does not matter; the own-slot features
    cannot."""
    if own_slot.columns.empty:  # a model without the own-slot family: only the in-sample check
        return timing.to_numpy()
    return own_slot.sum(axis=1).to_numpy(dtype="float64")


def diverse_top(frame: pd.DataFrame, predicted: pd.Series, top: int) -> list[int]:
    """Best candidates, at most one per local day and MIN_GAP_H hours apart; if that leaves
    too few (a short window), only the gap applies. Returns index labels of ``frame``."""
    order = np.argsort(-predicted.to_numpy(), kind="stable")
    local = pd.DatetimeIndex(frame["local"])
    hours = local.tz_convert("UTC").as_unit("s").asi8 / 3600.0
    day = (local.tz_localize(None).normalize().as_unit("s").asi8 // 86400).astype(np.int64)
    chosen: list[int] = []
    for one_per_day in (True, False):
        for k in order:
            if len(chosen) >= top:
                break
            if k in chosen:
                continue
            far = all(abs(hours[k] - hours[c]) >= MIN_GAP_H
                      and not (one_per_day and day[k] == day[c]) for c in chosen)
            if far:
                chosen.append(int(k))
    return [int(frame.index[k]) for k in chosen]


def _suggestion(batch: _Batch, scored: Scored, i: int, delta: pd.Series,
                profile: cand.CreatorProfile, usual_pred: float) -> Suggestion:
    """Candidate ``i``; ``delta``: each decision's worth on its own vs the usual post; what
    they leave of the choice part of the lift (interactions, the date) is stated too."""
    row = batch.frame.iloc[i]
    pred = scored.pred.iloc[i]
    choice = float(pred["predicted"]) - usual_pred
    sound = batch.sounds[int(row["sound_option"])]
    details = {
        "slot": f"{row['local']:%a %H:%M}",
        "usual_slot": f"{profile.usual_hour:02d}:00",
        "sound": sound.name, "sound_status": sound.status, "sound_trending": sound.trending,
        "hashtags": explain.hashtags_text(row["hashtags"]),
        "duration": float(row["duration_s"]), "usual_duration": profile.median_duration,
    }
    shown = explain.pick_groups(delta, groups=tuple(g for g in explain.ACTIONABLE
                                                    if g in delta.index))
    rest = choice - float(delta[shown].sum())
    if abs(float(lift_to_percent(rest))) >= explain.MIN_REASON_PCT and len(shown) == 4:
        shown = shown[:3]  # four lines at most, the remainder among them
        rest = choice - float(delta[shown].sum())
    reasons = [explain.phrase(g, float(delta[g]), details) for g in shown]
    if abs(float(lift_to_percent(rest))) >= explain.MIN_REASON_PCT:
        reasons.append(f"everything else together: {explain.pct(rest)}")
    return Suggestion(
        post_at=row["local"], hashtags=list(row["hashtags"]), sound=sound,
        duration_s=float(row["duration_s"]),
        predicted=float(to_count(pred["predicted"])), low=float(to_count(pred["low"])),
        high=float(to_count(pred["high"])), lift=float(lift_to_percent(choice)),
        reasons=reasons, vs_baseline=float(lift_to_percent(pred["lift"])),
    )


def _one_change_at_a_time(scored: Scored, batch: _Batch, usual: np.ndarray, i: int
                          ) -> pd.Series:
    """What each decision of candidate ``i`` is worth on its own: the usual post nearest in
    time with only that decision's features taken from the candidate, minus that usual post
    (exact predictions, not attributions: a caption left as usual is worth exactly 0, which
    SHAP's shares of interactions do not guarantee)."""
    rows = np.flatnonzero(usual)
    stamps = pd.DatetimeIndex(batch.frame["posted_at"]).as_unit("s").asi8
    base = int(rows[np.argmin(np.abs(stamps[rows] - stamps[i]))])
    before = float(scored.pred["predicted"].iloc[base])
    delta = {g: float(scored.only_group_varies(g, base, np.array([i]))[0]) - before
             for g in explain.ACTIONABLE}
    return pd.Series(delta | {"history": 0.0})


def _draft_prediction(frame: pd.DataFrame, pred: pd.DataFrame, usual_pred: float
                      ) -> dict[str, Any]:
    """The draft itself (the first what-if row: unchanged, at the next usual slot)."""
    first = int(np.flatnonzero((frame["whatif_kind"] == "draft").to_numpy())[0])
    row, p = frame.iloc[first], pred.iloc[first]
    return {"post_at": row["local"].isoformat(), "predicted": round(float(to_count(
        p["predicted"])), 1), "low": round(float(to_count(p["low"])), 1),
        "high": round(float(to_count(p["high"])), 1),
        "lift": round(float(lift_to_percent(float(p["predicted"]) - usual_pred)), 1)}


def _week_map(week: np.ndarray) -> dict[str, float]:
    """Weekday x hour -> the timing profile's lift (%) vs the creator's median slot."""
    lifts = lift_to_percent(week - np.median(week))
    return {f"{cand.WEEKDAYS[k // 24].capitalize()} {k % 24:02d}": round(float(v), 2)
            for k, v in enumerate(lifts)}


def _profile_map(probe: pd.DataFrame, pred: pd.DataFrame) -> dict[str, float]:
    """Weekday x hour -> predicted lift (%) of the usual post vs its median hour."""
    values = pred["predicted"].to_numpy()
    lifts = lift_to_percent(values - np.median(values))
    return {f"{t:%a} {t.hour:02d}": round(float(v), 2) for t, v in zip(probe["local"], lifts)}


def _notes(result: SuggestResult, data: StoreData, profile: cand.CreatorProfile,
           trends: TrendState, now_defaulted: bool) -> list[str]:
    notes = [f"Engagement = {result.target_label}, predicted {result.horizon_days} days after "
             "posting and shown as counts. Your usual post now (usual hour, tags, sound and "
             f"length) would get {result.usual:,.0f}: your recent level is "
             f"{result.level:+.0f}% vs your trailing median. Lift = this choice vs that usual "
             "post; the reasons add up to it (each rounded; parts under 1% left out)."]
    if result.cold_start:
        notes.append(f"Not enough history ({profile.n_posts} posts; {MIN_HISTORY} needed): "
                     "using similar creators (the population model).")
    notes.append(result.timing.note())
    if profile.creator not in set(data.creators["creator"].astype(str)):
        notes.append("No time zone stored for this creator: times are UTC; set one with "
                     "`recommender ingest ... --timezone ZONE`.")
    sources = {"trend lists": "trending = on the latest trend list or rising on it",
               "store momentum": "no trend list near this date; trending = sounds more "
                                 "creators in the store started using this week",
               "none": "no trend information near this date: only original sounds suggested"}
    notes.append(sources[trends.source].capitalize() + ".")
    if now_defaulted:
        notes.append(f"Planned from {result.now:%Y-%m-%d %H:%M} UTC, the time of the newest "
                     "data in the store (pass --now to change).")
    return notes


def _model_name(model: Any) -> str:
    for attr in ("name", "version", "model_id"):
        value = getattr(model, attr, None)
        if value:
            return str(value)
    return type(model).__name__


def resolve_now(data: StoreData, now: pd.Timestamp | str | None) -> pd.Timestamp:
    """``now`` as UTC; by default the newest collection or trend date in the store."""
    if now is not None:
        stamp = pd.Timestamp(now)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    candidates = [data.posts["collected_at"].max(), data.posts["posted_at"].max(),
                  data.trends["date"].max()]
    known = [t for t in candidates if pd.notna(t)]
    if not known:
        return pd.Timestamp.now(tz="UTC").floor("min")
    return max(known)


def _check_args(days: int, top: int, not_before: int | None, not_after: int | None,
                exclude: tuple[str, ...]) -> None:
    if not 1 <= days <= 28:
        raise UsageError(f"--days {days}: choose 1 to 28 days")
    if not 1 <= top <= 50:
        raise UsageError(f"--top {top}: choose 1 to 50 suggestions")
    for name, hour in (("--not-before", not_before), ("--not-after", not_after)):
        if hour is not None and not 0 <= hour <= 23:
            raise UsageError(f"{name} {hour}: give an hour from 0 to 23")
    if len(set(exclude)) >= 7:
        raise UsageError("--exclude-weekdays excludes every day; leave at least one")
