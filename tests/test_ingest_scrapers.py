"""Scraper adapters: Apify clockworks, drawrowfly, TikTokApi (recommender/ingest/scrapers.py)."""

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
from recommender.ingest import scrapers
from recommender.ingest.base import IngestContext, Source

EXTRACTS = Path(__file__).parent / "extracts" / "scrapers"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
APIFY, DRAWROWFLY, TIKTOKAPI = scrapers.ADAPTERS
WHEN = datetime(2025, 9, 2, tzinfo=timezone.utc)
APIFY_JSON = "dataset_tiktok-scraper_2025-09-01_10-30-00-000.json"


def _source(path: Path) -> Source:
    return Source(name=str(path), path=path)


def _sniffers(source: Source) -> list[str]:
    return [a.name for a in scrapers.ADAPTERS if a.sniff(source, source.head())]


def _balanced(result) -> None:  # type: ignore[no-untyped-def]
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    assert len(result.posts) == result.records_stored


@pytest.mark.parametrize("name", [APIFY_JSON, "apify_flat.csv", "apify_dotted.csv"])
def test_apify_json_and_both_csv_flavours_agree(name: str) -> None:
    source = _source(EXTRACTS / name)
    assert _sniffers(source) == ["apify"]
    result = APIFY.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    posts = result.posts.set_index("post_id")
    first, slide = posts.loc["7543693751290481942"], posts.loc["7543693751290481999"]
    assert first["creator"] == "gretalynnhihi"
    assert first["hashtags"] == ["foruyou", "fürdich", "outfit"]
    assert (first["views"], first["likes"], first["comments"], first["shares"], first["saves"]) \
        == (145900, 23400, 46, 145, 1637)
    assert (first["followers_at_post"], first["following_at_post"]) == (51200, 269)
    assert first["sound_id"] == "7529403355681147665" and bool(first["sound_is_original"])
    assert first["duration_s"] == 15.0
    assert first["posted_at"] == pd.Timestamp("2025-08-28T17:44:35Z")
    assert pd.isna(slide["duration_s"]) and pd.isna(slide["sound_id"])  # slideshow, musicId "0"
    assert pd.isna(slide["saves"])
    daily = result.account_daily.set_index("metric")["value"]
    assert daily.to_dict() == {"followers": 51300, "following": 269, "total_likes": 3000000,
                               "total_videos": 260}
    assert (result.account_daily["date"] == pd.Timestamp(WHEN)).all()


def test_collected_at_from_apify_file_name_else_file_time(tmp_path: Path) -> None:
    result = APIFY.read(_source(EXTRACTS / APIFY_JSON), IngestContext())
    assert result.posts["collected_at"].unique().tolist() == [
        pd.Timestamp("2025-09-01T10:30:00Z")]
    assert "collected_at from the file name" in result.notes
    copy = tmp_path / "items.json"
    copy.write_bytes((EXTRACTS / APIFY_JSON).read_bytes())
    stamp = datetime(2025, 9, 3, 12, tzinfo=timezone.utc).timestamp()
    import os
    os.utime(copy, (stamp, stamp))
    result = APIFY.read(_source(copy), IngestContext())
    assert result.posts["collected_at"].unique().tolist() == [pd.Timestamp(stamp, unit="s",
                                                                           tz="UTC")]


def test_drawrowfly_csv_with_json_arrays_and_string_counts() -> None:
    source = _source(EXTRACTS / "posts_1608566147000.csv")
    assert _sniffers(source) == ["drawrowfly"]
    result = DRAWROWFLY.read(source, IngestContext())
    _balanced(result)
    post = result.posts.iloc[0]
    assert post["hashtags"] == ["glowup"]
    assert post["posted_at"] == pd.Timestamp(1608214517, unit="s", tz="UTC")
    assert post["collected_at"] == pd.Timestamp(1608566147000, unit="ms", tz="UTC")
    daily = result.account_daily.set_index("metric")["value"]
    assert daily["total_likes"] == 1093998  # "heart" was the string "1093998"


def test_drawrowfly_extract_of_the_real_file() -> None:
    source = _source(EXTRACTS / "drawrowfly_trending_2020.json")
    assert _sniffers(source) == ["drawrowfly"]
    result = DRAWROWFLY.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    assert result.posts["post_id"].tolist() == [
        "6907228749016714497", "6875468410612993286", "6898699405898059010"]
    third = result.posts.iloc[2]
    assert third["creator"] == "jackeyephone" and third["views"] == 15300000
    assert third["hashtags"] == ["tiktok", "viral", "fyp", "iphone", "test", "bend"]
    assert result.account_daily.empty  # trending items carry no author counts


@pytest.mark.skipif(not (SHARED / "scraper_trending_2020.json").exists(), reason="no shared data")
def test_drawrowfly_full_shared_file() -> None:
    source = _source(SHARED / "scraper_trending_2020.json")
    assert _sniffers(source) == ["drawrowfly"]
    result = DRAWROWFLY.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    posts = result.posts
    assert (result.records_read, result.records_stored, len(result.rejected)) == (1000, 1000, 0)
    assert posts["post_id"].nunique() == 1000 and posts["creator"].nunique() == 802
    assert posts["posted_at"].min() == pd.Timestamp(1600784558, unit="s", tz="UTC")
    assert posts["posted_at"].max() == pd.Timestamp(1608520716, unit="s", tz="UTC")
    first = posts.iloc[0]
    assert (first["post_id"], first["creator"], first["views"], first["likes"]) == (
        "6907228749016714497", "ninakleij", 44800, 3710)
    assert first["sound_name"] == "Element" and first["sound_id"] == "6790057285814061057"


def test_tiktokapi_prefers_stats_v2_and_reads_challenges_and_text_extra() -> None:
    source = _source(EXTRACTS / "tiktokapi_items.json")
    assert _sniffers(source) == ["tiktokapi"]
    result = TIKTOKAPI.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    posts = result.posts.set_index("post_id")
    new, old = posts.loc["7498337886933191943"], posts.loc["6800000000000000001"]
    assert (new["saves"], new["likes"]) == (59149, 866012)  # statsV2, not stats' 59100/866000
    assert new["posted_at"] == pd.Timestamp(1745842841, unit="s", tz="UTC")  # string createTime
    assert new["hashtags"] == ["china", "大国基建"]
    assert new["followers_at_post"] == 427712
    assert old["hashtags"] == ["throwback"] and old["comments"] == 966  # stats, mixed types
    assert old["likes"] == 97900 and pd.isna(old["sound_id"])
    daily = result.account_daily.set_index("metric")["value"]
    assert daily["total_likes"] == 6800123


def test_creator_option_only_fills_items_without_author(tmp_path: Path) -> None:
    items = [{"id": "7000000000000000001", "createTime": 1700000000, "diggCount": 1,
              "authorMeta": {"name": "real"}},
             {"id": "7000000000000000002", "createTime": 1700000000, "diggCount": 2,
              "authorMeta": {}}]
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items))
    result = APIFY.read(_source(path), IngestContext(creator="given", collected_at=WHEN))
    assert result.posts["creator"].tolist() == ["real", "given"]
    bare = APIFY.read(_source(path), IngestContext(collected_at=WHEN))
    assert bare.rejected["reason"].tolist() == ["no creator handle; pass --creator"]
    assert bare.rejected["row"].tolist() == [2]


def test_truncated_apify_download_keeps_whole_lines(tmp_path: Path) -> None:
    text = (EXTRACTS / APIFY_JSON).read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: text.rindex('"hashtags"')], encoding="utf-8")
    result = APIFY.read(_source(path), IngestContext(collected_at=WHEN))
    _balanced(result)
    assert (result.records_stored, len(result.rejected)) == (1, 1)
    assert result.rejected.iloc[0]["field"] == "record"


def test_unparseable_files(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"collector": [{"id": "1"')
    with pytest.raises(InputError, match=r"x\.json: not valid JSON"):
        DRAWROWFLY.read(_source(path), IngestContext())
    bad = tmp_path / "y.csv"
    bad.write_bytes(b"id,authorMeta/name,diggCount\n\xff\xfe,\"a\n")
    with pytest.raises(InputError, match=r"y\.csv: not a readable CSV"):
        APIFY.read(_source(bad), IngestContext())


_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2**64), st.floats(), st.text(max_size=6),
    st.sampled_from(["1.2K", "7543693751290481942", "2025-08-28T17:44:35.000Z", "0", "x"]),
    st.lists(st.one_of(st.text(max_size=3), st.fixed_dictionaries({"name": st.text(max_size=3)})),
             max_size=2),
)
_item = st.fixed_dictionaries({}, optional={
    "id": _values, "createTime": _values, "text": _values, "desc": _values,
    "authorMeta": st.dictionaries(st.sampled_from(["name", "fans", "heart", "video"]), _values),
    "author": st.one_of(_values, st.dictionaries(st.sampled_from(["uniqueId"]), _values)),
    "stats": st.dictionaries(st.sampled_from(["playCount", "diggCount"]), _values),
    "statsV2": st.dictionaries(st.sampled_from(["playCount", "collectCount"]), _values),
    "videoMeta": st.dictionaries(st.sampled_from(["duration"]), _values),
    "hashtags": _values, "challenges": _values, "playCount": _values, "diggCount": _values,
    "musicMeta": st.dictionaries(st.sampled_from(["musicId", "musicOriginal"]), _values),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.one_of(_item, _values), max_size=6), csv_cells=st.lists(
    st.lists(st.text(alphabet="0123456789abK,.-@# ", max_size=6), min_size=4, max_size=4),
    max_size=5))
def test_malformed_records_never_crash(items: list[object], csv_cells: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / "fuzz.json"
        json_path.write_text(json.dumps(items))
        csv_path = Path(tmp) / "fuzz.csv"
        lines = ["id,authorMeta/name,diggCount,createTime"]
        lines += [",".join(f'"{c}"' for c in row) for row in csv_cells]
        csv_path.write_text("\n".join(lines) + "\n")
        for adapter in scrapers.ADAPTERS:
            for path in (json_path, csv_path):
                source = _source(path)
                try:
                    result = adapter.read(source, IngestContext(collected_at=WHEN))
                except InputError as exc:
                    assert str(exc).startswith(source.name) and "\n" not in str(exc)
                    continue
                _balanced(result)
                rejected = result.rejected
                assert rejected[["file", "row", "field", "reason"]].notna().all().all()
                assert rejected["row"].between(1, result.records_read).all()
