"""``recommender plan`` end to end: rules kept, never below greedy or the agency's own
slots, pinned rows stay put, the sequence features match ``featurize``, the ICS round-trips,
and on a generated world the schedule's TRUE engagement is measured against the baselines.
(The solver's rules under random pools and constraints: test_plan_solver.py.)"""

from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from recommender import schema
from recommender.cli import app
from recommender.datasets import make_posts
from recommender.datasets._drafts import make_drafts, true_engagement
from recommender.errors import UsageError
from recommender.features import featurize
from recommender.features.context import to_ns
from recommender.model.estimator import EngagementModel
from recommender.model.registry import promote, write_version
from recommender.plan import Constraints, plan_drafts
from recommender.plan.constraints import parse_gap, parse_weekdays, violations
from recommender.plan.sequential import cadence_features

runner = CliRunner()


@lru_cache(maxsize=1)
def world():  # type: ignore[no-untyped-def]
    """A small world (5 creators, 120 days) and a small model (30 trees), in a store and
    a models directory for the CLI."""
    from recommender.store import Store

    synthetic = make_posts(n_creators=5, days=120, seed=21)
    root = Path(tempfile.mkdtemp(prefix="plan-tests-"))
    Store(root / "store").upsert_all(synthetic.as_store_data())
    data = Store(root / "store").load()
    model = EngagementModel(n_estimators=30).fit(data)
    version = write_version(model, root / "models", "plan-tests", {})
    promote(root / "models", version.name, "test")
    start = synthetic.collected_at + pd.Timedelta(days=1)
    return synthetic, data, model, root, start


def _window(start: pd.Timestamp, days: int = 14, **rules) -> Constraints:  # type: ignore
    return Constraints(start=f"{start:%Y-%m-%d}",
                       end=f"{start + pd.Timedelta(days=days - 1):%Y-%m-%d}", **rules)


def _pool(tmp: Path, n: int = 12, creators: int = 3, agency: int = 5, seed: int = 0) -> Path:
    synthetic, *_, start = world()
    pool = make_drafts(synthetic, f"{start:%Y-%m-%d}", n_per_creator=n, n_creators=creators,
                       agency_slots=agency, seed=seed)
    path = tmp / "pool.csv"
    pool.to_csv(path, index=False)
    return path


def _check_rules(result, constraints: Constraints, data) -> None:  # type: ignore
    for creator, rows in result.rows.groupby("creator"):
        t = to_ns(pd.to_datetime(rows["planned_at"], utc=True, format="ISO8601"))
        prior = to_ns(data.posts.loc[data.posts["creator"] == creator, "posted_at"])
        zone = str(rows["timezone"].iloc[0])
        assert violations(t, rows["pinned"].to_numpy(dtype=bool), prior, constraints,
                          zone) == []


def test_schedule_keeps_rules_and_beats_baselines(tmp_path: Path) -> None:
    synthetic, data, model, _, start = world()
    pool = _pool(tmp_path, n=10, agency=4)
    for rules in ({"per_day": 2}, {"per_week": 4, "min_gap_h": 6.0, "not_before": 9,
                                   "not_after": 21, "exclude_weekdays": (6,)}):
        constraints = _window(start, **rules)
        result = plan_drafts(pool, data, model, constraints, time_limit_s=2)
        _check_rules(result, constraints, data)
        c = result.creators
        assert (c["expected"] >= c["greedy"] - 1e-6).all()
        keeps = c["agency_keeps_rules"].fillna(False).astype(bool)
        assert (c.loc[keeps, "expected"] >= c.loc[keeps, "agency"] - 1e-6).all()
        assert len(result.rows) + len(result.unplaced) == 30
        assert (result.rows["low"] <= result.rows["predicted"]).all()
        assert result.solver["name"] == "OR-Tools CP-SAT" and 0 <= result.solver["max_gap"] < 1
        _check_total_intervals(result)


def _check_total_intervals(result) -> None:  # type: ignore[no-untyped-def]
    """Totals carry an interval of the sum: ordered, its low end above the sum of the posts'
    low ends where a creator has several posts, and stated in the summary."""
    summary = result.summary
    assert "80% interval of the sum" in summary["interval_definition"]
    assert 0 < summary["low"] < summary["high"]
    for name, rows in result.rows.groupby("creator"):
        c = result.creators.set_index("creator").loc[name]
        assert c["low"] < c["high"]
        if len(rows) >= 3:
            assert c["low"] > rows["low"].sum()
    assert summary["low"] > result.creators["low"].sum()


def test_agency_slots_that_keep_the_rules_are_never_beaten(tmp_path: Path) -> None:
    """The agency's own slots (one a day at the habit hour) keep --per-day 1: the schedule
    must be at least as good by the model's own sequential prediction."""
    _, data, model, _, start = world()
    pool = _pool(tmp_path, n=8, agency=8)
    result = plan_drafts(pool, data, model, _window(start, days=8, per_day=1), time_limit_s=6)
    c = result.creators
    assert c["agency_keeps_rules"].all()
    assert (c["expected"] >= c["agency"] - 1e-6).all()
    assert (c["gain_vs_agency_pct"] >= 0).all()


def test_pinned_rows_stay_put_and_others_plan_around_them(tmp_path: Path) -> None:
    synthetic, data, model, _, start = world()
    pool = pd.read_csv(_pool(tmp_path, agency=3), dtype=str, keep_default_na=False)
    pool["fixed"] = np.where(pool["planned_at"] != "", "yes", "")
    path = tmp_path / "pinned.csv"
    pool.to_csv(path, index=False)
    constraints = _window(start, per_day=1, min_gap_h=4.0)
    result = plan_drafts(path, data, model, constraints, fixed="fixed", time_limit_s=6)
    pinned = result.rows[result.rows["pinned"]]
    assert len(pinned) == (pool["fixed"] == "yes").sum()
    zones = synthetic.creators.set_index("creator")["timezone"]
    for _, row in pinned.iterrows():
        given_at = pool.loc[row["pool_row"] - 1, "planned_at"]
        expected = pd.Timestamp(given_at).tz_localize(zones[row["creator"]])
        assert pd.Timestamp(row["planned_at"]) == expected
        assert row["why_here"] == "pinned by the agency (--fixed)"
    _check_rules(result, constraints, data)


def test_sequence_features_match_featurize_with_the_posts_stored() -> None:
    """The planner's re-featurisation equals featurize on a store that holds the schedule's
    posts (without outcomes), for the three post-count features."""
    _, data, model, _, start = world()
    creator = str(data.posts["creator"].iloc[-1])
    times = pd.DatetimeIndex([start + pd.Timedelta(hours=h) for h in (5, 9, 30, 100, 200)])
    last = data.posts[data.posts["creator"] == creator].iloc[[-1] * len(times)].copy()
    last["post_id"] = [f"draft-{i}" for i in range(len(times))]
    last["posted_at"] = times
    for column in ("views", "likes", "comments", "shares", "saves"):
        last[column] = pd.NA
    with_posts = data.__class__(**{**vars(data), "posts": schema.conform(
        pd.concat([data.posts, last], ignore_index=True), "posts")})
    queries = last[["creator", "posted_at", "caption", "hashtags", "sound_id", "sound_name",
                    "sound_is_original", "duration_s"]].reset_index(drop=True)
    table = featurize(with_posts, queries, model.config)
    prior = to_ns(data.posts.loc[data.posts["creator"] == creator, "posted_at"])
    n, hours, recent = cadence_features(to_ns(times), prior, model.config.cadence_days)
    np.testing.assert_allclose(table["n_prev_posts"], n)
    np.testing.assert_allclose(table["hours_since_prev"], hours)
    np.testing.assert_allclose(table[f"posts_last{model.config.cadence_days}d"], recent)


def test_ics_parses_and_round_trips_times_with_zones(tmp_path: Path) -> None:
    from icalendar import Calendar

    from recommender.plan.ics import write_ics

    _, data, model, _, start = world()
    result = plan_drafts(_pool(tmp_path, n=5), data, model, _window(start, days=7, per_day=1),
                         time_limit_s=4)
    path = tmp_path / "plan.ics"
    write_ics(result.rows, path)
    calendar = Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(result.rows)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == set(result.rows["timezone"])
    by_uid = {}
    for event in events:
        begin = event.decoded("dtstart")
        assert begin.tzinfo is not None
        assert str(event["DTSTART"].params["TZID"]) in zones
        by_uid[str(event["uid"])] = begin
        assert "Caption:" in str(event["description"]) and "Sound:" in str(event["description"])
    wanted = sorted(pd.Timestamp(t) for t in result.rows["planned_at"])
    assert sorted(pd.Timestamp(b) for b in by_uid.values()) == wanted


def test_true_engagement_against_the_baselines(tmp_path: Path) -> None:
    """The generator plants per-creator timing and a cadence penalty (-0.4 exp(-gap/3 h)).
    Measured here (seed 21, 5 creators x 14 drafts, --per-day 2, 7 days): true engagement
    +13.4% vs the row-by-row placement (each draft at its own best slot, blind to the others,
    which stacks posts in the best hour) and -0.0% vs the feasible greedy (2026-12-04, the
    local search keeping only moves worth 1% or more, plan.sequential.MIN_GAIN). With every
    improving move kept it read +9.8% / -3.2% on the 2-core AMD machine of 2026-12-04 and
    +11.4% / -1.5% on the machine of 2026-12-02: the model's timing profile is flatter than
    the planted one, so the search moved posts to 02:00-06:00 for spacing that was worth
    less than the hour. The figures move with the fitted model: over LightGBM seeds 0-5 of
    this fixture, -3.1% to +0.3% vs greedy and +10.7% to +14.6% vs row-by-row (with every
    move kept: -6.0% to +3.2%, +7.4% to +17.9%). scripts/plan_truth.py measures more worlds;
    the README has the figures. Guards: far above row-by-row, and not more than 2% below
    greedy."""
    synthetic, data, model, _, start = world()
    pool = _pool(tmp_path, n=14, creators=5, agency=0, seed=3)
    result = plan_drafts(pool, data, model, _window(start, days=7, per_day=2), time_limit_s=5)
    ours = true_engagement(synthetic, result.rows).sum()
    greedy = true_engagement(synthetic, result.baselines["greedy"]).sum()
    row_by_row = true_engagement(synthetic, result.baselines["row_by_row"]).sum()
    print(f"true engagement: schedule {ours:,.0f}, greedy {greedy:,.0f} "
          f"({(ours / greedy - 1):+.2%}), row-by-row {row_by_row:,.0f} "
          f"({(ours / row_by_row - 1):+.2%})")
    assert ours > 1.10 * row_by_row
    assert ours > 0.98 * greedy


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    *_, root, _ = world()
    return runner.invoke(app, ["plan", *args, "--data", str(root / "store"),
                               "--models", str(root / "models")])


def test_cli_json_out_and_ics(tmp_path: Path) -> None:
    *_, start = world()
    pool = pd.read_csv(_pool(tmp_path, n=4, creators=2), dtype=str, keep_default_na=False)
    pool.loc[len(pool)] = {**pool.iloc[0].to_dict(), "creator": "", "caption": "orphan"}
    pool.loc[len(pool)] = {**pool.iloc[0].to_dict(), "duration_s": "-4"}
    path = tmp_path / "pool.csv"
    pool.to_csv(path, index=False)
    out, ics = tmp_path / "schedule.csv", tmp_path / "schedule.ics"
    end = f"{start + pd.Timedelta(days=6):%Y-%m-%d}"
    result = _invoke(str(path), "--from", f"{start:%Y-%m-%d}", "--to", end, "--per-day", "1",
                     "--min-gap", "6h", "--out", str(out), "--ics", str(ics), "--json",
                     "--time-limit", "4")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"summary", "rows", "unplaced", "solver", "constraints", "notes"}
    reasons = {u["row"]: u["reason"] for u in doc["unplaced"]}
    assert reasons[9].startswith("creator: missing creator")
    assert reasons[10].startswith("duration_s: negative duration")
    assert doc["summary"]["placed"] == len(doc["rows"]) and len(doc["rows"]) > 0
    for row in doc["rows"]:
        assert row["low"] <= row["predicted"] <= row["high"]
        assert pd.Timestamp(row["planned_at"]).tzinfo is not None
        assert isinstance(row["why_here"], str) and row["why_here"]
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(written) == len(doc["rows"]) and "slot_rank" in written.columns
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    screen = _invoke(str(path), "--from", f"{start:%Y-%m-%d}", "--to", end, "--per-week", "2",
                     "--time-limit", "3")
    assert screen.exit_code == 0, screen.output
    assert "Expected engagement per creator" in screen.stdout and "not placed" in screen.stdout


def test_the_screen_prints_captions_and_names_as_written(tmp_path: Path) -> None:
    """Captions come from the agency's file: rich markup in them is text, not a crash."""
    *_, start = world()
    pool = pd.read_csv(_pool(tmp_path, n=2, creators=1), dtype=str, keep_default_na=False)
    pool["caption"] = "[/]x"
    pool.loc[len(pool)] = {**pool.iloc[0].to_dict(), "creator": "[/]new"}  # a cold start
    pool.loc[len(pool)] = {**pool.iloc[0].to_dict(), "creator": "[/]bad", "duration_s": "-4"}
    path = tmp_path / "pool.csv"
    pool.to_csv(path, index=False)
    end = f"{start + pd.Timedelta(days=2):%Y-%m-%d}"
    screen = _invoke(str(path), "--from", f"{start:%Y-%m-%d}", "--to", end, "--per-day", "1",
                     "--time-limit", "2")
    assert screen.exit_code == 0, screen.output
    assert "[/]x" in screen.stdout and "[/]new" in screen.stdout
    assert "([/]bad) not placed: duration_s" in screen.stdout


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    *_, start = world()
    day = f"{start:%Y-%m-%d}"
    missing = _invoke(str(tmp_path / "nope.csv"), "--from", day, "--to", day)
    assert missing.exit_code == 1 and "no such plan file" in missing.output
    path = _pool(tmp_path, n=2, creators=1)
    both = _invoke(str(path), "--from", day, "--to", day, "--per-day", "1", "--per-week", "3")
    assert both.exit_code == 2 and "not both" in both.output
    gap = _invoke(str(path), "--from", day, "--to", day, "--min-gap", "soon")
    assert gap.exit_code == 2 and "--min-gap" in gap.output
    fixed = _invoke(str(path), "--from", day, "--to", day, "--fixed", "locked")
    assert fixed.exit_code == 2 and "no such column" in fixed.output
    nowhere = _invoke(str(path), "--from", day, "--to", day, "--out",
                      str(tmp_path / "no" / "such" / "dir.csv"))
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.output
    outputs = missing.output + both.output + gap.output + fixed.output + nowhere.output
    assert "Traceback" not in outputs


def test_no_slot_left_is_reported_per_row(tmp_path: Path) -> None:
    _, data, model, _, start = world()
    every_day = tuple(range(7))
    result = plan_drafts(_pool(tmp_path, n=3, creators=2), data, model,
                         _window(start, days=3, exclude_weekdays=every_day), time_limit_s=2)
    assert len(result.rows) == 0 and len(result.unplaced) == 6
    assert result.unplaced["reason"].str.contains("no slot between --from and --to").all()


def test_option_parsing() -> None:
    assert parse_gap("6h") == 6.0 and parse_gap("90m") == 1.5 and parse_gap("0") == 0.0
    assert parse_weekdays("sat, sun") == (5, 6) and parse_weekdays("0,6") == (0, 6)
    with pytest.raises(UsageError, match="--exclude-weekdays 'someday'"):
        parse_weekdays("someday")
    with pytest.raises(UsageError, match="--to 2025-01-01 is before --from"):
        Constraints(start="2025-02-01", end="2025-01-01")
