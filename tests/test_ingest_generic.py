"""Generic CSV / Parquet adapter (recommender/ingest/generic.py)."""

from __future__ import annotations

import gzip
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import InputError
from recommender.ingest import generic
from recommender.ingest.base import IngestContext, Source

EXTRACTS = Path(__file__).parent / "extracts" / "generic"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "creator_histories_2020.csv.gz"
GENERIC = generic.ADAPTERS[0]


def _source(path: Path) -> Source:
    return Source(name=str(path), path=path)


def _balanced(result) -> None:  # type: ignore[no-untyped-def]
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    assert len(result.posts) == result.records_stored


def test_creator_histories_extract() -> None:
    source = _source(EXTRACTS / "creator_histories_2020.csv")
    assert GENERIC.sniff(source, source.head())
    result = GENERIC.read(source, IngestContext())
    _balanced(result)
    posts = result.posts
    assert len(posts) == 5 and set(posts["creator"]) == {"..brierson"}
    fourth = posts.iloc[3]
    assert fourth["post_id"] == "6871793344465440001"
    assert fourth["hashtags"] == ["periodprank", "cutereaction", "brierson"]
    assert (fourth["views"], fourth["likes"], fourth["comments"], fourth["shares"]) == (
        257500, 33100, 78, 78)
    assert pd.isna(fourth["saves"]) and fourth["duration_s"] == 45.0
    # no collected_at column: the latest upload time in the file
    assert posts["collected_at"].unique().tolist() == [pd.Timestamp("2020-09-18 01:24:00Z")]
    daily = result.account_daily.set_index("metric")["value"].to_dict()
    assert daily == {"followers": 34100, "total_likes": 103700, "total_videos": 6}


@pytest.mark.skipif(not SHARED.exists(), reason="no shared data")
def test_creator_histories_full_shared_file() -> None:
    source = _source(SHARED)
    assert GENERIC.sniff(source, source.head())
    result = GENERIC.read(source, IngestContext())
    _balanced(result)
    posts = result.posts
    assert (result.records_read, result.records_stored, len(result.rejected)) == (
        50124, 50124, 0)
    assert posts["creator"].nunique() == 1794
    assert posts["posted_at"].min() == pd.Timestamp("2015-12-01 13:31:05Z")
    assert posts["posted_at"].max() == pd.Timestamp("2020-11-08 01:54:09Z")
    assert posts["collected_at"].unique().tolist() == [pd.Timestamp("2020-11-08 01:54:09Z")]
    assert (result.account_daily.groupby("metric").size() == 1794).all()
    assert posts.iloc[0]["likes"] == 43400


def test_aliases_column_map_and_collected_at_column(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("Video ID,When,Who,plays,tags,scraped_at\n"
                 '7000000000000000001,2024-01-02T03:04:05Z,@ana,"1,234","[""A"",""#b""]",'
                 "2024-02-01T00:00:00Z\n"
                 "7000000000000000002,1704164645,ana,1.2K,x|y,\n")
    source = _source(path)
    assert not GENERIC.sniff(source, source.head())  # "When" is no known time name
    result = GENERIC.read(source, IngestContext(column_map={"Who": "creator",
                                                            "When": "posted_at"}))
    _balanced(result)
    posts = result.posts
    assert posts["creator"].tolist() == ["ana", "ana"]
    assert posts["views"].tolist() == [1234, 1200]
    assert posts["hashtags"].tolist() == [["a", "b"], ["x", "y"]]
    assert posts["collected_at"].tolist() == [pd.Timestamp("2024-02-01", tz="UTC"),
                                              pd.Timestamp("2024-01-02 03:04:05Z")]


def test_only_unusable_identity_rejects_bad_optional_cells_are_nulled(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("post_id,posted_at,creator,likes,duration_s\n"
                    "7000000000000000001,2024-01-02,ana,5,10\n"
                    "abc,2024-01-02,ana,5,10\n"
                    "7000000000000000003,yesterday,ana,5,10\n"
                    "7000000000000000004,2024-01-02,ana,-5,10\n"
                    "7000000000000000005,2024-01-02,,5,10\n"
                    "7000000000000000006,2024-01-02,ana,5,-1\n"
                    "12,someday,ana,5,10\n")
    result = GENERIC.read(_source(path), IngestContext())
    _balanced(result)
    posts = result.posts.set_index("post_id")
    # "abc" is no TikTok id: kept under a stable hash id, with a note
    assert "xba7816bf8f01cfea" in posts.index
    assert any("not numeric TikTok video ids" in n for n in result.notes)
    # an unreadable upload time is taken from the video id (its top 32 bits)
    assert posts.loc["7000000000000000003", "posted_at"] == pd.Timestamp(
        int("7000000000000000003") >> 32, unit="s", tz="UTC")
    assert pd.isna(posts.loc["7000000000000000004", "likes"])
    assert pd.isna(posts.loc["7000000000000000006", "duration_s"])
    got = result.rejected.set_index("row")[["field", "reason"]].to_dict("index")
    assert set(got) == {5, 7}
    assert got[5] == {"field": "creator", "reason": "no creator handle; pass --creator"}
    assert got[7]["field"] == "posted_at" and "not a date-time" in got[7]["reason"]
    assert result.nulled_counts == {"duration_s": 1, "likes": 1}
    nulled = result.nulled.set_index("row")
    assert nulled.loc[4, "value"] == "-5" and nulled.loc[4, "reason"].startswith("kept, field")
    assert set(result.rejected["file"]) == {str(path)}


def test_missing_required_column_explains_how_to_map(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("ref,posted_at,creator\n7000000000000000001,2024-01-02,ana\n")
    with pytest.raises(InputError, match=r"p\.csv: no post id column .*found columns: ref, "
                                         r"posted_at, creator; map yours with --column "
                                         r"THEIRS=post_id"):
        GENERIC.read(_source(path), IngestContext())
    ok = GENERIC.read(_source(path), IngestContext(column_map={"ref": "post_id"}))
    assert ok.records_stored == 1
    path.write_text("post_id,posted_at\n7000000000000000001,2024-01-02\n")
    with pytest.raises(InputError, match=r"no creator column.*or pass --creator"):
        GENERIC.read(_source(path), IngestContext())
    assert GENERIC.read(_source(path), IngestContext(creator="me")).posts["creator"][0] == "me"
    with pytest.raises(InputError, match=r"'nope' is not a field we know"):
        GENERIC.read(_source(path), IngestContext(creator="me", column_map={"post_id": "nope"}))


def test_parquet_with_native_types(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"video_id": [7094381613995478318], "create_time": [pd.Timestamp("2022-05-05")],
                  "username": ["u"], "views": [10], "hashtags": [["A", "b"]]}).to_parquet(path)
    source = _source(path)
    assert GENERIC.sniff(source, source.head())
    result = GENERIC.read(source, IngestContext(collected_at=datetime(2022, 6, 1,
                                                                      tzinfo=timezone.utc)))
    post = result.posts.iloc[0]
    assert post["post_id"] == "7094381613995478318" and post["hashtags"] == ["a", "b"]
    assert post["posted_at"] == pd.Timestamp("2022-05-05", tz="UTC") and post["views"] == 10


def test_sniff_is_a_last_resort_and_unreadable_files(tmp_path: Path) -> None:
    trend = tmp_path / "t.csv"
    trend.write_text("date,kind,name,rank\n2024-01-01,hashtag,fyp,1\n")
    assert not GENERIC.sniff(_source(trend), trend.read_bytes())
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"e\.csv: the file is empty"):
        GENERIC.read(_source(empty), IngestContext())
    junk = tmp_path / "j.parquet"
    junk.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"j\.parquet: not a readable Parquet file"):
        GENERIC.read(_source(junk), IngestContext())


_cell = st.one_of(st.text(max_size=8), st.sampled_from(
    ["7000000000000000001", "2024-01-02", "1.2K", "-1", "", "1e99", "nan", "[1,", "#a|b"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_cell, min_size=6, max_size=6), max_size=6))
def test_malformed_rows_never_crash(rows: list[list[str]]) -> None:
    header = "id,created_at,author,likes,hashtags,duration_s"
    body = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_text(header + "\n" + body + "\n", encoding="utf-8")
        source = _source(path)
        try:
            result = GENERIC.read(source, IngestContext())
        except InputError as exc:
            assert str(exc).startswith(source.name) and "\n" not in str(exc)
            return
        _balanced(result)
        assert result.records_read == len(rows)
        rejected = result.rejected
        assert rejected[["file", "row", "field", "reason"]].notna().all().all()
        assert rejected["row"].between(1, len(rows)).all()
