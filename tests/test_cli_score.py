"""``recommender score``: plan scoring through the CLI, bad rows, formats, spreadsheet safety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_recommend_support import trained
from typer.testing import CliRunner

from recommender.cli import app

runner = CliRunner()


def _plan(env) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    creators = list(env.data.posts["creator"].value_counts().index[:2])
    day = (env.synthetic.collected_at + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return pd.DataFrame({
        "creator": [creators[0], creators[0], creators[1], "new_creator", "", creators[1],
                    creators[0]],
        "planned_at": [f"{day}T03:00", f"{day}T19:00+00:00", f"{day}T12:00", f"{day}T12:00",
                       f"{day}T12:00", "tomorrow-ish", f"{day}T09:00"],
        "caption": ["=cmd|' /C calc'!A0", "hello", "@me", "x", "y", "z", "w"],
        "hashtags": ["#fyp #recipe", "fyp,foryou", "", "a", "b", "c", "d"],
        "sound": ["original", "", "", "", "", "", ""],
        "duration_s": ["30", "15", "60", "20", "20", "20", "-5"],
        "campaign": ["A-1", "A-2", "B", "C", "D", "E", "F"],
    })


def _invoke(env, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["score", *args, "--data", str(env.data_dir),
                               "--models", str(env.models_dir)])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_score_writes_every_row_with_bad_rows_reported(tmp_path: Path, suffix: str) -> None:
    env = trained()
    plan = tmp_path / "plan.csv"
    _plan(env).to_csv(plan, index=False)
    out = tmp_path / f"scored{suffix}"
    result = _invoke(env, str(plan), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "row 5 creator" in result.stdout and "row 6 planned_at" in result.stdout
    assert "row 7 duration_s" in result.stdout
    scored = {".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
              ".parquet": pd.read_parquet, ".json": pd.read_json}[suffix](out)
    assert len(scored) == 7
    assert list(scored["campaign"].astype(str)) == ["A-1", "A-2", "B", "C", "D", "E", "F"]
    good = [0, 1, 2, 3]
    predicted = pd.to_numeric(scored["predicted"], errors="coerce")
    assert predicted.iloc[good].notna().all() and predicted.iloc[4:].isna().all()
    assert str(scored["caption"].iloc[0]).startswith("'=")  # formula neutralised
    assert str(scored["caption"].iloc[2]).startswith("'@")
    known = scored["creator_known"].astype(str).str.lower()
    assert known.iloc[3] == "false" and known.iloc[0] == "true"
    ranks = pd.to_numeric(scored["rank"], errors="coerce")
    assert sorted(ranks.iloc[[0, 1]].astype(int)) == [1, 2]


def test_score_json_document(tmp_path: Path) -> None:
    env = trained()
    plan = tmp_path / "plan.json"
    _plan(env).to_json(plan, orient="records")
    result = _invoke(env, str(plan), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"rows": 7, "scored": 4, "rejected": 3, "unknown_creators": 1,
                              "better_slots": doc["summary"]["better_slots"]}
    assert {r["field"] for r in doc["rejected"]} == {"creator", "planned_at", "duration_s"}
    row = doc["rows"][0]
    for key in ("predicted", "low", "high", "lift_pct", "rank", "reasons", "better_slot",
                "better_slot_gain_pct", "creator_known", "error"):
        assert key in row
    assert row["low"] <= row["predicted"] <= row["high"]


def test_malformed_and_missing_plans_fail_cleanly(tmp_path: Path) -> None:
    env = trained()
    broken = tmp_path / "plan.parquet"
    broken.write_bytes(b"not parquet at all")
    result = _invoke(env, str(broken))
    assert result.exit_code == 1 and "cannot read" in result.stderr
    result = _invoke(env, str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "no such plan" in result.stderr
    plan = tmp_path / "plan.csv"
    _plan(env).to_csv(plan, index=False)
    result = _invoke(env, str(plan), "--out", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 1 and "unknown plan format" in result.stderr


def test_one_change_effects_predict_each_distinct_choice_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large plan repeats few choices per creator: the reasons need one prediction per
    distinct (reference, choice) and decision, not one pass over the plan per decision."""
    from recommender.recommend import scoring
    from recommender.recommend.candidates import QUERY_COLUMNS

    env = trained()
    posts = env.data.posts.sort_values("posted_at").tail(20)
    queries = posts[QUERY_COLUMNS].reset_index(drop=True)
    queries["hashtags"] = queries["hashtags"].map(lambda t: [] if t is None else list(t))
    plan = pd.concat([queries] * 50, ignore_index=True)  # 1,000 rows, 20 distinct
    scored = scoring.score_batch(env.model, plan, env.data)
    reference = np.zeros(len(plan), dtype=np.int64)  # every row against row 0
    predicted_rows: list[int] = []
    real = env.model.booster_.predict
    monkeypatch.setattr(env.model.booster_, "predict",
                        lambda matrix, **kw: (predicted_rows.append(len(matrix)),
                                              real(matrix, **kw))[1])
    groups = scored.one_change_groups(np.arange(len(plan)), reference)
    assert sum(predicted_rows) <= 20 * 6  # <= 20 distinct choices per decision
    once = scored.one_change_groups(np.arange(20), reference[:20])
    np.testing.assert_allclose(groups.iloc[20:40].to_numpy(), once.to_numpy(), atol=1e-12)


def test_score_lift_and_reasons_are_vs_the_usual_post_as_in_suggest(
        tmp_path: Path) -> None:
    """One reference for both commands: the creator's usual post. A plan row that is that
    usual post at the usual hour has no reason and a lift of only its day's; suggest's top pick,
    scored as a plan row, gets about the lift suggest printed for it; a row that changes
    only the length has exactly one reason, the length's own predicted effect."""
    from recommender.recommend.score import score_plan
    from recommender.recommend.suggest import suggest
    from recommender.recommend.usual import usual_profiles

    env = trained()
    creator = str(env.data.posts["creator"].value_counts().index[0])
    result = suggest(env.data, env.model, creator)
    top = result.suggestions[0]
    zone = env.data.timezone_of(creator)
    usual = usual_profiles(env.data.posts, [creator], {creator: zone}, result.now).iloc[0]
    day = pd.Timestamp(top.post_at).strftime("%Y-%m-%d")
    at_usual = f"{day}T{int(usual['usual_hour']):02d}:00"
    rows = pd.DataFrame({
        "creator": creator,
        "planned_at": [at_usual, at_usual, pd.Timestamp(top.post_at).isoformat()],
        "caption": usual["caption"],
        "hashtags": [" ".join(usual["usual_tags"])] * 2 + [" ".join(top.hashtags)],
        "sound": ["original", "original", top.sound.name],
        "duration_s": [usual["median_duration"], usual["median_duration"] + 45,
                       top.duration_s],
    })
    plan = tmp_path / "plan.csv"
    rows.to_csv(plan, index=False)
    scored = score_plan(plan, env.data, env.model).rows
    same, longer, pick = scored.iloc[0], scored.iloc[1], scored.iloc[2]
    # Its lift is that day's usual post vs the week's average (weekday and date), no
    # decision of its own; under the 5% that suggest calls "barely matters".
    assert same["reasons"] == "" and abs(same["lift_pct"]) < 5.0
    assert longer["reasons"].startswith("video length") and ";" not in longer["reasons"]
    length_effect = float(longer["reasons"].split()[-1].rstrip("%"))
    # Lifts compose as ratios: the length's own effect is longer vs same, (1 + a)/(1 + b) - 1
    # (a difference of percents agrees with it only while both are small).
    own = ((1 + longer["lift_pct"] / 100) / (1 + same["lift_pct"] / 100) - 1) * 100
    assert length_effect == pytest.approx(own, abs=1.5)
    assert pick["lift_pct"] == pytest.approx(top.lift, abs=3.0)
    assert same["level_pct"] == pytest.approx(result.level, abs=3.0)


def test_large_plans_give_the_same_scores_and_reasons_as_small_ones(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Parts, the hour-of-week table and the background thread change how a plan is
    scored, not what each row gets: lift, level and reasons equal the exact path's."""
    from recommender.recommend import score

    env = trained()
    plan = tmp_path / "plan.csv"
    _plan(env).to_csv(plan, index=False)
    small = score.score_plan(plan, env.data, env.model).rows
    monkeypatch.setattr(score, "EXACT_MAX_ROWS", 0)
    monkeypatch.setattr(score, "PART_ROWS", 2)
    large = score.score_plan(plan, env.data, env.model).rows
    for column in ("predicted", "lift_pct", "level_pct", "reasons"):
        pd.testing.assert_series_equal(small[column], large[column], check_exact=False,
                                       atol=0.11)

def test_week_table_lookup_matches_moving_each_row_by_hand() -> None:
    """Large plans' better slots: the best move per (creator, hour of week) looked up per
    row equals computing each row's 49 moves from the creators' week tables directly."""
    from recommender.recommend.score import SHIFT_HOURS, _table_best

    rng = np.random.default_rng(4)
    start = pd.Timestamp("2025-07-07T10:20", tz="UTC")
    queries = pd.DataFrame({
        "creator": rng.choice(["a", "b", "c"], 400),
        "posted_at": start + pd.to_timedelta(rng.integers(-30, 400, 400), unit="h"),
    })
    first = queries.drop_duplicates("creator")
    table = rng.normal(size=(len(first), 168))
    best, gain = _table_best(queries, table.ravel())
    for i, row in enumerate(queries.itertuples()):
        c = first["creator"].tolist().index(row.creator)
        hour = int((row.posted_at.floor("h") - first["posted_at"].iloc[c].floor("h"))
                   / pd.Timedelta(hours=1)) % 168
        gains = table[c, (hour + SHIFT_HOURS) % 168] - table[c, hour]
        assert best[i] == np.argmax(gains) and gain[i] == pytest.approx(gains.max())


def test_large_plans_scored_in_parts_match_one_pass(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """Parts hold whole creators and are predicted in a background thread while the next is
    featurised: every output column is the same as scoring the plan in one part."""
    from recommender.recommend import plan_io, score

    env = trained()
    creators = list(env.data.posts["creator"].unique()[:6]) + ["new_creator"]
    day = env.synthetic.collected_at.floor("D") + pd.Timedelta(days=1)
    rng = np.random.default_rng(5)
    plan = tmp_path / "plan.csv"
    pd.DataFrame({
        "creator": rng.choice(creators, 300),
        "planned_at": (day + pd.to_timedelta(rng.integers(0, 96, 300), unit="h")).strftime(
            "%Y-%m-%dT%H:%M"),
        "hashtags": rng.choice(["#fyp", "#recipe #food", ""], 300),
        "duration_s": rng.integers(8, 90, 300),
    }).to_csv(plan, index=False)
    monkeypatch.setattr(score, "EXACT_MAX_ROWS", 0)
    whole = score.score_plan(plan, env.data, env.model)
    monkeypatch.setattr(score, "_part_rows", lambda data: 40)
    parts = score.score_plan(plan, env.data, env.model)
    assert whole.better_slot_method == parts.better_slot_method == "hour-of-week table"
    queries, _ = score._validate(plan_io.read_plan(plan), env.data, str(plan))
    assert len(score._creator_parts(queries[queries["ok"]], 40)) > 3
    pd.testing.assert_frame_equal(parts.rows, whole.rows)
    assert (whole.rows["better_slot"] != "").any()
    assert whole.rows["predicted"].notna().all() and (whole.rows["reasons"] != "").any()


def test_rank_ties_go_by_plan_order_whatever_the_part_order() -> None:
    from recommender.recommend import score

    ranks = score._rank_within_creator(np.array([1.0, 2.0, 2.0, 1.0]),
                                       np.array(["a", "a", "a", "b"], dtype=object),
                                       np.array([3, 1, 0, 2]))
    assert ranks.tolist() == [3.0, 2.0, 1.0, 1.0]
