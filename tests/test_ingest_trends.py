"""Trend list adapters (recommender/ingest/trends.py)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import InputError
from recommender.ingest import trends
from recommender.ingest.base import IngestContext, Source

EXTRACTS = Path(__file__).parent / "extracts" / "trends"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "trend_lists_2022.csv.gz"
CC, ARCHIVE, PLAIN = trends.ADAPTERS


def _source(path: Path) -> Source:
    return Source(name=str(path), path=path)


def _sniffers(source: Source) -> list[str]:
    return [a.name for a in trends.ADAPTERS if a.sniff(source, source.head())]


def _balanced(result) -> None:  # type: ignore[no-untyped-def]
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    assert len(result.trends) == result.records_stored


def test_creative_center_hashtags_dated_by_latest_trend_point() -> None:
    source = _source(EXTRACTS / "cc_hashtags.json")
    assert _sniffers(source) == ["creative-center"]
    result = CC.read(source, IngestContext())
    _balanced(result)
    rows = result.trends.set_index("name")
    assert list(rows.index) == ["summer", "fyp"]
    assert (rows["date"] == pd.Timestamp(1749254400, unit="s", tz="UTC")).all()
    assert rows.loc["summer", "score"] == 1.0 and rows.loc["fyp", "score"] == 0.85
    assert rows.loc["summer", "entity_id"] == "4100" and rows.loc["fyp", "rank"] == 2
    assert set(rows["region"]) == {"US"} and set(rows["kind"]) == {"hashtag"}


def test_creative_center_sounds_wrapped_by_tikhub() -> None:
    source = _source(EXTRACTS / "cc_sounds_tikhub.json")
    assert _sniffers(source) == ["creative-center"]
    when = datetime(2025, 10, 12, 6, tzinfo=timezone.utc)
    result = CC.read(source, IngestContext(collected_at=when))
    _balanced(result)
    rows = result.trends
    assert rows["name"].tolist() == ["Dance Alone", "Second Song"]
    assert rows["entity_id"].tolist() == ["7552073523387205648", "7552073523387205649"]
    assert rows["score"].tolist() == [1.0, 0.55] and set(rows["kind"]) == {"sound"}
    assert (rows["date"] == pd.Timestamp(when)).all()


def test_trend_archive_extract_skips_user_rows() -> None:
    source = _source(EXTRACTS / "trend_lists_2022.csv")
    assert _sniffers(source) == ["trend-archive"]
    result = ARCHIVE.read(source, IngestContext())
    _balanced(result)
    assert (result.records_read, result.records_stored, result.skipped) == (8, 6, 2)
    rows = result.trends
    assert rows["name"].tolist()[:3] == ["petsoftiktok", "couplestiktok", "makeuptutorial"]
    sound = rows[rows["kind"] == "sound"].iloc[0]
    assert (sound["name"], sound["entity_id"], sound["rank"], sound["score"]) == (
        "Forever", "6740248251825391617", 1, 4100000.0)
    assert rows["region"].isna().all()
    assert any("user" in note for note in result.notes)


@pytest.mark.skipif(not SHARED.exists(), reason="no shared data")
def test_trend_archive_full_shared_file() -> None:
    source = _source(SHARED)
    assert _sniffers(source) == ["trend-archive"]
    result = ARCHIVE.read(source, IngestContext())
    _balanced(result)
    assert (result.records_read, result.records_stored, result.skipped, len(result.rejected)) \
        == (457433, 187892, 269541, 0)
    counts = result.trends["kind"].value_counts().to_dict()
    assert counts == {"hashtag": 94619, "sound": 93273}
    assert result.trends["date"].max() == pd.Timestamp("2022-11-15 00:22:53Z")
    assert result.trends["date"].min().strftime("%Y-%m") == "2022-03"
    unique = result.trends.drop_duplicates(["date", "kind", "name", "region"])
    assert len(unique) == 79699  # what the store keeps


def test_plain_trend_csv_and_its_rejections(tmp_path: Path) -> None:
    path = tmp_path / "trends.csv"
    path.write_text("date,kind,name,rank,score,region\n"
                    "2024-12-23,hashtag,#FYP,1,98.3,us\n"
                    "2024-12-23,sound,Lucky Tape - DJ Nova,1,85.9,US\n"
                    "2024-12-23,video,x,1,1,US\n"
                    "someday,hashtag,y,1,1,US\n"
                    "2024-12-23,hashtag,z,first,1,US\n"
                    "2024-12-23,hashtag,w,2,high,US\n")
    source = _source(path)
    assert _sniffers(source) == ["trend-csv"]
    result = PLAIN.read(source, IngestContext())
    _balanced(result)
    assert result.trends["name"].tolist() == ["fyp", "Lucky Tape - DJ Nova", "z", "w"]
    assert result.trends["region"].tolist() == ["US"] * 4
    got = result.rejected.set_index("row")["field"].to_dict()
    assert got == {3: "kind", 4: "date"}  # what identifies an entry is unusable
    # an unreadable rank or score is nulled and counted, the entry kept
    assert result.nulled_counts == {"rank": 1, "score": 1}
    assert pd.isna(result.trends["rank"].iloc[2]) and pd.isna(result.trends["score"].iloc[3])
    assert result.rejected.set_index("row").loc[3, "reason"] == "kind must be hashtag or sound"


def test_unreadable_trend_files(tmp_path: Path) -> None:
    path = tmp_path / "cc.json"
    path.write_text('{"data": {"list": [{"hashtag_name": "a"')
    with pytest.raises(InputError, match=r"cc\.json: not valid JSON"):
        CC.read(_source(path), IngestContext())
    wrong = tmp_path / "t.csv"
    wrong.write_text("date,name\n2024-01-01,x\n")
    with pytest.raises(InputError, match=r"t\.csv: not a trend list: no column kind, rank"):
        PLAIN.read(_source(wrong), IngestContext())


_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**64), st.floats(),
                    st.text(max_size=5), st.lists(st.integers(), max_size=2))
_entry = st.fixed_dictionaries({}, optional={
    "hashtag_name": _values, "hashtag_id": _values, "title": _values, "clip_id": _values,
    "rank": _values, "country_code": _values,
    "country_info": st.one_of(_values, st.fixed_dictionaries({"id": _values})),
    "trend": st.one_of(_values, st.lists(st.fixed_dictionaries(
        {"time": _values, "value": _values}), max_size=3)),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(st.one_of(_entry, _values), max_size=6),
       key=st.sampled_from(["list", "sound_list"]),
       cells=st.lists(st.lists(st.text(alphabet="0123456789-:#ahsuT ", max_size=6),
                               min_size=4, max_size=4), max_size=5))
def test_malformed_records_never_crash(entries: list[object], key: str,
                                       cells: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "cc.json"
        json_path.write_text(json.dumps({"code": 0, "data": {key: entries}}))
        plain = Path(tmp) / "plain.csv"
        plain.write_text("date,kind,name,rank\n" + "".join(",".join(r) + "\n" for r in cells))
        archive = Path(tmp) / "archive.csv"
        archive.write_text("snapshot_time_utc,endpoint,kind,rank,entity_id,name\n" + "".join(
            ",".join(r) + ",www,x\n" for r in cells))
        for adapter, path in ((CC, json_path), (PLAIN, plain), (ARCHIVE, archive)):
            source = _source(path)
            try:
                result = adapter.read(source, IngestContext())
            except InputError as exc:
                assert str(exc).startswith(source.name) and "\n" not in str(exc)
                continue
            _balanced(result)
            rejected = result.rejected
            assert rejected[["file", "row", "field", "reason"]].notna().all().all()
            assert rejected["row"].between(1, result.records_read).all()
