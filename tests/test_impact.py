"""``impact``: planted strategy changes recovered, nulls and a platform swing, the CLI."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from recommender.cli import app
from recommender.datasets import make_impact_posts, make_posts
from recommender.impact import estimate as est
from recommender.impact.analysis import impact, impact_many
from recommender.impact.detect import detect
from recommender.impact.series import follower_values
from recommender.store import Store, StoreData

runner = CliRunner()
SWING = 0.3
KEYS = {"creator", "since", "until", "metric", "estimates", "effect", "detectable", "verdict"}
ESTIMATE_KEYS = {"method", "effect_pct", "low", "high", "n_before", "n_after"}


@lru_cache(maxsize=1)
def world() -> tuple[pd.DataFrame, dict]:
    """30 creators x 240 days: a third change by +/-20% on one date, the rest do not; a
    platform-wide +30% from 40 days before that date moves everyone."""
    probe = make_impact_posts(1, 240, seed=0)
    change = probe.effects.creators["change_at"].iloc[0]
    data = make_impact_posts(30, 240, seed=0, cadence=False,
                             swing_at=str(change - pd.Timedelta(days=40)), swing_pct=SWING)
    truth = data.effects.creators.set_index("creator")
    results = impact_many(data.as_store_data(), list(truth.index), change,
                          model_params={"n_estimators": 30})
    return truth, results


def _by_method(results: dict, method: str) -> dict:
    return {c: next((e for e in r.estimates if e.method == method), None)
            for c, r in results.items()}


def test_planted_changes_recovered_with_sign_and_interval() -> None:
    truth, results = world()
    changed = truth.index[truth["change_pct"] != 0]
    hits = []
    for c in changed:
        d = results[c].to_dict()["effect"]
        true = truth.loc[c, "change_pct"] * 100
        hits.append(np.sign(d["effect_pct"]) == np.sign(true) and d["low"] <= true <= d["high"])
    assert len(changed) == 10
    assert np.mean(hits) >= 0.75, hits


def test_nulls_give_no_detectable_effect() -> None:
    truth, results = world()
    nulls = truth.index[truth["change_pct"] == 0]
    verdicts = [results[c].verdict for c in nulls]
    assert np.mean([v.startswith("no detectable effect") for v in verdicts]) >= 0.85, verdicts
    assert np.mean([not results[c].detectable for c in nulls]) >= 0.85


def test_platform_swing_is_absorbed_by_did_not_by_naive() -> None:
    truth, results = world()
    nulls = truth.index[truth["change_pct"] == 0]
    naive, did = _by_method(results, "naive"), _by_method(results, "did")
    naive_pct = np.median([naive[c].to_dict()["effect_pct"] for c in nulls])
    did_pct = np.median([did[c].to_dict()["effect_pct"] for c in nulls])
    # The swing lifts everyone's "after" window by up to +30%: naive sees it, DiD does not.
    assert naive_pct > 10, naive_pct
    assert abs(did_pct) < 8, did_pct
    assert np.mean([did[c].detectable for c in nulls]) <= 0.15
    assert all(r.effect.method == "did" for r in results.values() if r.effect is not None)


def test_json_contract_and_verdict_words() -> None:
    _, results = world()
    for r in results.values():
        doc = r.to_dict()
        assert set(doc) >= KEYS
        assert {e["method"] for e in doc["estimates"]} <= {"naive", "counterfactual", "did"}
        for e in doc["estimates"] + [doc["effect"]]:
            assert set(e) >= ESTIMATE_KEYS and e["low"] <= e["effect_pct"] <= e["high"]
        assert doc["verdict"].split(":")[0].split(" (")[0] in {
            "helped", "hurt", "no detectable effect", "no detectable effect yet"}
        assert any("comparing" in n for n in doc["notes"])


def test_too_few_posts_after_says_how_many_more() -> None:
    data = make_posts(8, 120, seed=4).as_store_data()
    creator = str(data.posts["creator"].iloc[0])
    last = data.posts["posted_at"].max() - pd.Timedelta(days=9)
    result = impact(data, creator, last, model_params={"n_estimators": 10})
    assert result.verdict.startswith("too few posts after the change to tell (need about ")
    assert not result.detectable and result.effect is None
    assert any("Not enough data" in n for n in result.notes)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=6, max_size=60), st.floats(-2, 2))
def test_shifting_the_after_window_shifts_the_estimate_exactly(values, shift) -> None:
    v = np.array(values)
    half = len(v) // 2
    rng = np.random.default_rng(0)
    base = est.before_after(v[:half], v[half:], rng, "naive", "")
    moved = est.before_after(v[:half], v[half:] + shift, np.random.default_rng(0), "naive", "")
    assert moved.effect_log == pytest.approx(base.effect_log + shift, abs=1e-9)
    assert np.allclose(moved.draws, base.draws + shift)


def _store(tmp_path: Path, data) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "store"
    Store(root).upsert_all(data)
    return root


def test_cli_json_and_table(tmp_path: Path) -> None:
    data = make_impact_posts(10, 200, seed=1, cadence=False).as_store_data()
    root = _store(tmp_path, data)
    creator = str(data.posts["creator"].value_counts().index[0])
    args = ["impact", creator, "--since", "2025-04-15", "--data", str(root)]
    result = runner.invoke(app, [*args, "--json", "--label", "longer videos"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= KEYS and doc["label"] == "longer videos" and doc["metric"] == "engagement"
    assert doc["since"].startswith("2025-04-15")
    table = runner.invoke(app, [*args, "--metric", "weekly"])
    assert table.exit_code == 0, table.output
    assert "verdict:" in table.stdout and "weekly" in table.stdout
    growth = json.loads(runner.invoke(app, [*args, "--metric", "followers", "--json"]).stdout)
    assert growth["unit"] == "week" and growth["metric"] == "followers"
    assert {e["method"] for e in growth["estimates"]} <= {"naive", "did"}
    assert any("not available for followers" in n for n in growth["notes"])


def test_follower_values_are_weekly_gains_from_daily_counts() -> None:
    days = pd.date_range("2025-01-06", periods=14, freq="D", tz="UTC")
    counts = 1000 + 10 * np.arange(14)
    daily = pd.DataFrame({"creator": "ana", "date": days, "metric": "followers",
                          "value": counts})
    out = follower_values(daily, days[0], days[-1] + pd.Timedelta(days=1))
    # Week 1 has 6 next-day differences (the first day has none), week 2 has 7.
    assert np.allclose(out["value"], np.log1p([60, 70]))
    assert list(out["posted_at"]) == [days[0], days[7]]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    data = make_posts(3, 60, seed=2).as_store_data()
    root = _store(tmp_path, data)
    cases = [
        (["impact", "nobody", "--since", "2025-02-01"], "not in the store"),
        (["impact", "x", "--since", "soon"], "give a date"),
        (["impact", "x"], "either --since DATE"),
        (["impact", "x", "--since", "2025-02-01", "--metric", "likes"], "choose one of"),
    ]
    creator = str(data.posts["creator"].iloc[0])
    for args, words in cases:
        args = [a if a != "x" else creator for a in args]
        result = runner.invoke(app, [*args, "--data", str(root)])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    missing = runner.invoke(app, ["impact", creator, "--since", "2025-02-01", "--data",
                                  str(tmp_path / "none")])
    assert missing.exit_code == 1 and "error:" in missing.stderr


def test_a_label_with_rich_markup_prints_as_written(tmp_path: Path) -> None:
    data = make_posts(3, 120, seed=1).as_store_data()
    root = _store(tmp_path, data)
    creator = str(data.posts["creator"].iloc[0])
    middle = data.posts["posted_at"].min() + pd.Timedelta(days=60)
    result = runner.invoke(app, ["impact", creator, "--since", f"{middle:%Y-%m-%d}", "--label",
                                 "tags [/] and [bold]", "--data", str(root)])
    assert result.exit_code == 0, result.output
    assert "(tags [/] and [bold])" in result.stdout


def _cadence_jump(seed: int = 3) -> tuple[StoreData, str, pd.Timestamp]:
    """A creator who posted about once a week and then about seven times a week."""
    data = make_posts(6, 200, seed=seed, posts_per_week=7.0).as_store_data()
    creator = str(data.posts["creator"].iloc[0])
    switch = data.posts["posted_at"].min() + pd.Timedelta(days=100)
    own = data.posts["creator"] == creator
    early = own & (data.posts["posted_at"] < switch)
    rng = np.random.default_rng(seed)
    drop = early & (rng.random(len(data.posts)) < 6 / 7)
    data.posts = data.posts[~drop].reset_index(drop=True)
    return data, creator, switch


def test_detect_finds_a_cadence_change_and_analyses_it() -> None:
    data, creator, switch = _cadence_jump()
    result = detect(data, creator, model_params={"n_estimators": 10})
    dates = [c.date for c in result.changes]
    assert dates, result.notes
    nearest = min(dates, key=lambda d: abs(d - switch))
    assert abs(nearest - switch) <= pd.Timedelta(days=14), (dates, switch)
    change = next(c for c in result.changes if c.date == nearest)
    assert "posts per week" in change.describe()
    doc = result.to_dict()
    assert doc["changes"][0]["impact"]["creator"] == creator and "PELT" in doc["method"]


def test_detect_with_little_history_says_not_enough_data() -> None:
    data = make_posts(2, 40, seed=5).as_store_data()
    creator = str(data.posts["creator"].iloc[0])
    result = detect(data, creator)
    assert result.changes == [] and any("Not enough data" in n for n in result.notes)
