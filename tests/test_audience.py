"""``recommender audience``: planted effects found, reciprocity exact, no name ever leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from recommender.audience import audience_table, creator_report
from recommender.audience.components import WEIGHTS
from recommender.audience.daily import daily_panel
from recommender.audience.signals import follow_periods, score_days
from recommender.cli import app
from recommender.datasets import make_audience
from recommender.ingest.follows import reduce_lists
from recommender.store import Store

runner = CliRunner()
STUDIO = Path("/work/shared/data/studio")
JSON_KEYS = {"creator", "quality_score", "components", "anomalies", "follow_back", "notes"}


@pytest.fixture(scope="module")
def panel_world():  # type: ignore[no-untyped-def]
    world = make_audience(160, 120, seed=11, export_lists=False, with_posts=False)
    panel, _ = daily_panel(world.as_store_data())
    return world, score_days(panel), follow_periods(panel)


def _days(truth: pd.DataFrame, column: str) -> set[tuple[str, pd.Timestamp]]:
    return {(row.creator, day) for row in truth.itertuples() for day in getattr(row, column)}


def test_purchased_spikes_found_with_precision_and_recall_of_090(panel_world) -> None:
    world, scored, _ = panel_world
    planted = _days(world.truth, "purchased_days")
    flagged = set(map(tuple, scored.loc[scored["suspicious"], ["creator", "day"]].to_numpy()))
    hits = len(planted & flagged)
    assert len(planted) >= 100
    assert hits / len(flagged) >= 0.9  # precision at the day level
    assert hits / len(planted) >= 0.9  # recall at the day level


def test_organic_viral_jumps_are_listed_not_flagged(panel_world) -> None:
    world, scored, _ = panel_world
    viral = _days(world.truth, "viral_days")
    flagged = set(map(tuple, scored.loc[scored["suspicious"], ["creator", "day"]].to_numpy()))
    jumps = set(map(tuple, scored.loc[scored["jump"], ["creator", "day"]].to_numpy()))
    assert len(viral & flagged) / len(viral) <= 0.05
    first_days = {(r.creator, r.viral_days[0]) for r in world.truth.itertuples() if r.viral_days}
    assert len(first_days & jumps) / len(first_days) >= 0.9  # seen as jumps, called organic


def test_follow_for_follow_periods_are_found_and_dated(panel_world) -> None:
    world, _, periods = panel_world
    truth = world.truth.set_index("creator")
    planted = truth[truth["kind"] == 2]
    assert set(periods["creator"]) == set(planted.index)  # none on any other creator
    for row in periods.itertuples():
        assert abs((row.start - planted.loc[row.creator, "f4f_start"]).days) <= 3
        assert abs((row.end - planted.loc[row.creator, "f4f_end"]).days) <= 3


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A store of 8 creators plus two personal exports ingested through the CLI."""
    root = tmp_path_factory.mktemp("aud")
    world = make_audience(8, 120, seed=5, list_cap=400)
    store = Store(root / "store")
    store.upsert_all(world.as_store_data())
    outputs = []
    for creator in ("aud_00002", "aud_00005"):
        path = root / creator / "user_data_tiktok.json"
        path.parent.mkdir()
        path.write_text(json.dumps(world.export_json(creator)), encoding="utf-8")
        result = runner.invoke(app, ["ingest", str(path), "--data", str(store.root),
                                     "--collected-at", "2025-07-01T00:00:00Z"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return world, store, outputs


def test_reciprocity_rates_are_exact(exported) -> None:
    world, store, _ = exported
    truth = world.truth.set_index("creator")
    for creator in ("aud_00002", "aud_00005"):
        result = runner.invoke(app, ["audience", creator, "--json", "--data", str(store.root)])
        assert result.exit_code == 0, result.output
        fb = json.loads(result.output)["follow_back"]
        row = truth.loc[creator]
        assert fb["listed_followers"] == row["list_fans"]
        assert fb["listed_following"] == row["list_following"]
        assert fb["mutual"] == row["mutual"]
        assert fb["followers_followed_back_share"] == round(row["followed_back_rate"], 4)
        assert fb["following_not_following_back_share"] == round(
            row["not_following_back_rate"], 4)
        assert fb["before_after"]["daily_follower_gain"]["low"] is not None


def test_json_contract_and_named_follow_for_follow(exported) -> None:
    _, store, _ = exported
    result = runner.invoke(app, ["audience", "@aud_00002", "--json", "--data", str(store.root)])
    doc = json.loads(result.output)
    assert set(doc) >= JSON_KEYS
    assert 0 <= doc["quality_score"] <= 100
    assert [c["name"] for c in doc["components"]] == list(WEIGHTS)  # fixed names and order
    for component in doc["components"]:
        assert {"name", "value", "benchmark", "verdict", "score", "data"} <= set(component)
    assert [p["name"].startswith("follow-for-follow 2025-") for p in doc["follow_for_follow"]
            ] == [True]
    for anomaly in doc["anomalies"]:
        assert {"date", "followers_gained", "views", "suspicious", "reason"} <= set(anomaly)


def test_no_follower_or_following_name_reaches_store_logs_or_output(exported, tmp_path) -> None:
    world, store, ingest_outputs = exported
    names = {entry["UserName"] for creator in ("aud_00002", "aud_00005")
             for entry in world.lists[creator]["fans"] + world.lists[creator]["following"]}
    assert len(names) > 500
    captured = list(ingest_outputs)
    for args in (["audience", "aud_00002"], ["audience", "aud_00005", "--json"],
                 ["audience", "--all", "--json"],
                 ["audience", "--all", "--out", str(tmp_path / "all.csv")]):
        result = runner.invoke(app, [*args, "--data", str(store.root)])
        assert result.exit_code == 0, result.output
        captured.append(result.output)
    captured.append((tmp_path / "all.csv").read_text())
    blobs = [path.read_bytes().decode("latin-1") for path in store.root.rglob("*")
             if path.is_file()]
    data = store.load()
    tables = [getattr(data, t).astype(str).to_csv() for t in
              ("posts", "account_daily", "creators", "follower_activity")]
    text = "\n".join([*captured, *blobs, *tables])
    leaked = [name for name in names if name in text]
    assert leaked == []


def test_all_writes_one_row_per_creator(exported, tmp_path: Path) -> None:
    world, store, _ = exported
    for name in ("all.csv", "all.parquet"):
        out = tmp_path / name
        result = runner.invoke(app, ["audience", "--all", "--out", str(out), "--data",
                                     str(store.root)])
        assert result.exit_code == 0, result.output
        table = pd.read_csv(out) if name.endswith("csv") else pd.read_parquet(out)
        assert sorted(table["creator"]) == sorted(world.truth["creator"])
        assert table["quality_score"].between(0, 100).all()
    direct = audience_table(store.load())
    one = creator_report(store.load(), "aud_00003")
    assert direct.set_index("creator").loc["aud_00003", "quality_score"] == one.quality_score


def test_cli_errors_are_one_line(exported, tmp_path: Path) -> None:
    _, store, _ = exported
    cases = [(["audience", "nobody", "--data", str(store.root)], 1, "not in the store"),
             (["audience", "--data", str(store.root)], 2, "either a CREATOR or --all"),
             (["audience", "--all", "--out", str(tmp_path / "x.txt"), "--data",
               str(store.root)], 2, "csv or .parquet"),
             (["audience", "aud_00001", "--out", "x.csv", "--data", str(store.root)], 2,
              "--out goes with --all"),
             (["audience", "aud_00001", "--data", str(tmp_path / "none")], 2,
              "no such store directory")]
    for args, code, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == code, result.output
        assert message in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not STUDIO.exists(), reason="the shared real Studio exports are absent")
@pytest.mark.parametrize("folder", ["okn-greek", "htupy-english", "corymink-2022"])
def test_real_studio_exports_every_verdict_names_data_and_benchmark(tmp_path: Path,
                                                                    folder: str) -> None:
    store = tmp_path / "store"
    result = runner.invoke(app, ["ingest", str(STUDIO / folder), "--data", str(store),
                                 "--creator", "real"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["audience", "real", "--json", "--data", str(store)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for component in doc["components"]:
        assert component["data"] and component["benchmark"]
        if component["value"] is None:
            assert component["verdict"].startswith("not enough data")
            assert component["name"] in doc["missing_inputs"]
        else:
            assert " vs " in component["verdict"] and "[data: " in component["verdict"]
            assert str(component["benchmark"]) in component["verdict"] or any(
                word in component["verdict"] for word in ("creator_histories_2020",
                                                          "Studio exports", "rule of thumb"))
    assert "following_pattern" in doc["missing_inputs"]  # Studio has no following counts
    assert doc["follow_back"] is None


_people = st.lists(st.tuples(st.sampled_from([f"p{i}" for i in range(12)]),
                             st.integers(0, 40 * 86400)), max_size=15)


@settings(max_examples=60, deadline=None)
@given(fans=_people, following=_people)
def test_property_reduction_counts_each_mutual_pair_once(fans, following) -> None:
    def records(people):  # type: ignore[no-untyped-def]
        first: dict[str, int] = {}
        for name, second in people:
            first[name] = min(second, first.get(name, second))
        stamp = pd.Timestamp("2025-01-01", tz="UTC")
        return first, [{"UserName": n, "Date": str(stamp + pd.Timedelta(seconds=s))[:19]}
                       for n, s in people]
    fan_first, fan_records = records(fans)
    fol_first, fol_records = records(following)
    frame, _ = reduce_lists("c", fan_records, fol_records, "test")
    totals = frame.groupby("metric")["value"].sum() if not frame.empty else pd.Series(dtype=int)
    mutual = totals.get("follow_backs", 0) + totals.get("followed_back", 0)
    assert mutual == len(set(fan_first) & set(fol_first))
    assert totals.get("listed_followers_new", 0) == len(fan_first)
    assert not any(name in frame.astype(str).to_csv() for name in fan_first | fol_first)
