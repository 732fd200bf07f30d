"""Recommendation building blocks that need no trained model: slots, reasons, timing
honesty, plan files and spreadsheet safety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.errors import InputError
from recommender.recommend import explain, plan_io
from recommender.recommend.candidates import parse_weekdays, slot_grid
from recommender.recommend.suggest import diverse_top
from recommender.recommend.timing import BARELY_PCT, timing_effect

NOW = pd.Timestamp("2025-03-28T12:10:00Z")


def test_slots_are_whole_local_hours_even_in_a_half_hour_zone() -> None:
    slots = slot_grid(NOW, "Asia/Kolkata", 2)
    assert len(slots) == 48
    assert (slots.minute == 0).all()
    assert slots[0] > NOW
    assert str(slots.tz) == "Asia/Kolkata"


def test_slots_skip_the_missing_spring_forward_hour() -> None:
    # Europe/Berlin springs forward on 2025-03-30 at 02:00: 02:00 local does not exist.
    slots = slot_grid(NOW, "Europe/Berlin", 3)
    on_the_day = slots[slots.normalize() == pd.Timestamp("2025-03-30", tz="Europe/Berlin")]
    assert 2 not in set(on_the_day.hour)
    assert len(on_the_day) == 23


def test_slot_filters_hours_wrapping_midnight_and_weekdays() -> None:
    slots = slot_grid(NOW, "UTC", 7, not_before=22, not_after=1, exclude_weekdays=("sat",))
    assert set(slots.hour) == {22, 23, 0, 1}
    assert 5 not in set(slots.day_of_week)
    day = slot_grid(NOW, "UTC", 7, not_before=9, not_after=17)
    assert set(day.hour) == set(range(9, 18))


def test_weekday_names_are_checked() -> None:
    assert parse_weekdays("Sat, sunday") == ("sat", "sun")
    with pytest.raises(ValueError, match="unknown weekday"):
        parse_weekdays("sat,funday")


def test_diverse_top_spreads_picks_over_days() -> None:
    local = pd.date_range("2025-01-06 00:00", periods=72, freq="h", tz="Europe/Athens")
    frame = pd.DataFrame({"local": local}, index=np.arange(100, 172))
    # Scores peak at 19:00 every day and are highest on the first day.
    score = pd.Series(-np.abs(local.hour - 19) - 0.01 * np.arange(72), index=frame.index)
    picks = diverse_top(frame, score, 3)
    chosen = frame.loc[picks, "local"]
    assert list(chosen.dt.hour) == [19, 19, 19]
    assert chosen.dt.date.nunique() == 3
    # Asking for more picks than days: the gap rule still keeps them apart.
    more = frame.loc[diverse_top(frame, score, 6), "local"].sort_values()
    assert (more.diff().dropna() >= pd.Timedelta(hours=6)).all()


def test_timing_effect_is_recovered_when_history_follows_the_profile() -> None:
    rng = np.random.default_rng(0)
    profile = np.log1p(np.linspace(0, 1, 168)) * 0.5  # best slot ~ +41% over the median
    x = rng.normal(0, 0.2, 200)
    y = x + rng.normal(0, 0.6, 200)  # outcomes follow the timing contribution (slope 1)
    effect = timing_effect(profile, x, y)
    assert effect.low is not None and effect.low > BARELY_PCT
    assert effect.low < effect.lift < effect.high
    assert not effect.barely_matters
    assert "Timing matters" in effect.note()


def test_timing_barely_matters_when_outcomes_ignore_the_profile() -> None:
    rng = np.random.default_rng(1)
    profile = np.log1p(np.linspace(0, 1, 168)) * 0.5
    x = rng.normal(0, 0.2, 200)
    y = rng.normal(0, 0.6, 200)  # no relation: the model's profile is noise for this creator
    effect = timing_effect(profile, x, y)
    assert effect.barely_matters
    assert effect.low is not None and effect.low < 1.0
    assert "barely matters" in effect.note()


def test_timing_effect_without_enough_history_has_no_interval() -> None:
    effect = timing_effect(np.zeros(168) + np.arange(168) * 1e-3, np.ones(5), np.ones(5))
    assert effect.low is None and effect.high is None
    assert "too few" in effect.note()


def test_feature_groups_and_reasons() -> None:
    assert explain.feature_group("local_hour") == "timing"
    assert explain.feature_group("sound_trend_momentum") == "sound"
    assert explain.feature_group("hashtag_count") == "hashtags"
    assert explain.feature_group("duration_s") == "duration"
    assert explain.feature_group("hours_since_prev") == "cadence"
    assert explain.feature_group("eng_median_last10") == "history"
    delta = pd.Series({"timing": 0.2, "sound": -0.1, "hashtags": 0.001, "duration": 0.0,
                       "caption": 0.0, "cadence": 0.0, "history": 5.0})
    assert explain.pick_groups(delta) == ["timing", "sound"]  # history is never a reason
    # Parts under 1% are left out, even when that leaves one reason (no "+0%" filler).
    assert explain.pick_groups(pd.Series({**delta, "sound": 0.004})) == ["timing"]
    text = explain.phrase("timing", 0.2, {"slot": "Tue 19:00", "usual_slot": "14:00"})
    assert text == "Tue 19:00: +22% vs your usual slot (14:00)"


def test_top_reasons_are_vectorised_and_ranked_by_size() -> None:
    groups = pd.DataFrame(0.0, index=range(3), columns=list(explain.GROUPS))
    groups.loc[0, ["timing", "sound"]] = [0.1, -0.3]
    groups.loc[1, "duration"] = 0.05
    reasons = explain.top_reasons(groups)
    assert reasons[0] == "sound -26%; posting time +11%"
    assert reasons[1] == "video length +5%"
    assert reasons[2] == ""


def test_neutralise_prefixes_formulas_but_not_numbers() -> None:
    frame = pd.DataFrame({"caption": ["=HYPERLINK(\"x\")", "+cmd", "@sum", "\tx", "ok"],
                          "text_number": ["-4", "+1.5", "7", "", "-x"],
                          "value": [-1.0, 2.0, 3.0, 4.0, 5.0]})
    safe = plan_io.neutralise(frame)
    assert list(safe["caption"]) == ["'=HYPERLINK(\"x\")", "'+cmd", "'@sum", "'\tx", "ok"]
    assert list(safe["text_number"]) == ["-4", "+1.5", "7", "", "'-x"]
    assert safe["value"].tolist() == [-1.0, 2.0, 3.0, 4.0, 5.0]


def test_hashtags_and_local_times_in_plans() -> None:
    tags = plan_io.parse_hashtags(pd.Series(["#BookTok #fyp", "a,b", "['x', 'y']", ""],
                                            dtype="string"))
    assert tags.tolist() == [["booktok", "fyp"], ["a", "b"], ["x", "y"], []]
    times = plan_io.parse_planned(
        pd.Series(["2025-07-08T19:00", "2025-07-08T19:00+02:00", "later"], dtype="string"),
        pd.Series(["Asia/Tokyo", "Asia/Tokyo", "UTC"]))
    assert times[0] == pd.Timestamp("2025-07-08T10:00Z")  # naive = the creator's local time
    assert times[1] == pd.Timestamp("2025-07-08T17:00Z")  # an offset wins
    assert pd.isna(times[2])


def test_plan_reader_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such plan"):
        plan_io.read_plan(tmp_path / "missing.csv")
    bad = tmp_path / "plan.xlsx"
    bad.write_text("x")
    with pytest.raises(InputError, match="unknown plan format"):
        plan_io.read_plan(bad)
    no_column = tmp_path / "plan.csv"
    no_column.write_text("creator,when\nana,2025-01-01\n")
    with pytest.raises(InputError, match="'planned_at'"):
        plan_io.read_plan(no_column)
    broken = tmp_path / "plan.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        plan_io.read_plan(broken)


def test_csv_plans_keep_pass_through_text_exactly(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("creator,planned_at,budget\nana,2025-01-01T10:00,007\n")
    frame = plan_io.read_plan(path)
    assert frame.loc[0, "budget"] == "007"
    out = tmp_path / "out.csv"
    plan_io.write_plan(frame, out)
    assert "007" in out.read_text()


def test_neutralise_of_a_large_frame_checks_columns_on_two_threads_alike() -> None:
    caption = np.full(100_000, "ok", dtype=object)
    caption[[3, 50_000, 99_999]] = ["=SUM(A1)", "-4", "@x"]
    frame = pd.DataFrame({"caption": caption, "n": np.arange(100_000) - 5.0})
    safe = plan_io.neutralise(frame)
    assert safe["caption"].iloc[[3, 50_000, 99_999, 4]].tolist() == ["'=SUM(A1)", "-4", "'@x",
                                                                    "ok"]
    assert safe["n"].equals(frame["n"])


def test_csv_written_in_chunks_equals_one_write(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frame = pd.DataFrame({"a": ["x", "y,z", None, "w", "v"], "b": [1.5, np.nan, 3.0, -1.0, 2.0],
                          "c": pd.array([1, None, 3, 4, 5], dtype="Int64")})
    for rows in (0, 1, 5):
        plan_io._write_csv(frame.iloc[:rows], tmp_path / "chunks.csv", chunk_rows=2)
        pacsv.write_csv(pa.Table.from_pandas(frame.iloc[:rows], preserve_index=False),
                        tmp_path / "one.csv")
        assert (tmp_path / "chunks.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
