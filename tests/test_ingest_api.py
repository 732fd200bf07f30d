"""Research and Display API adapters (recommender/ingest/api.py)."""

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
from recommender.ingest import api
from recommender.ingest.base import IngestContext, Source

EXTRACTS = Path(__file__).parent / "extracts" / "api"
RESEARCH, DISPLAY = api.ADAPTERS
WHEN = datetime(2024, 3, 1, tzinfo=timezone.utc)


def _source(path: Path) -> Source:
    return Source(name=str(path), path=path)


def _write(tmp: Path, name: str, text: str) -> Source:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return _source(path)


def _balanced(result) -> None:  # type: ignore[no-untyped-def]
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    assert len(result.posts) == result.records_stored


def test_research_response_keeps_ids_above_2_53_exact() -> None:
    source = _source(EXTRACTS / "research_response.json")
    assert RESEARCH.sniff(source, source.head()) and not DISPLAY.sniff(source, source.head())
    result = RESEARCH.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    posts = result.posts.set_index("post_id")
    assert list(posts.index) == ["7094381613995478318", "7094381613995478319"]  # video_id too
    first = posts.loc["7094381613995478318"]
    assert first["sound_id"] == "6810180973628491777"
    assert first["creator"] == "american_ginger_redeemed"
    assert first["hashtags"] == ["viral", "foryou", "fyp"]
    assert (first["views"], first["likes"], first["comments"], first["shares"], first["saves"]) \
        == (20777, 2135, 31, 50, 96)
    assert first["duration_s"] == 23.0
    assert first["posted_at"] == pd.Timestamp(1651789437, unit="s", tz="UTC")
    assert (result.posts["collected_at"] == pd.Timestamp(WHEN)).all()
    assert result.posts["source"].unique().tolist() == ["research-api"]


def test_research_json_lines_of_responses_and_a_float_id(tmp_path: Path) -> None:
    page = {"data": {"videos": [{"id": 7094381613995478318, "username": "a",
                                 "create_time": 1651789437}]}}
    damaged = '{"id": 7.094381613995478e18, "username": "a", "create_time": 1651789437}'
    source = _write(tmp_path, "pages.jsonl", json.dumps(page) + "\n" + damaged + "\n{oops\n")
    result = RESEARCH.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    assert result.records_read == 3 and result.records_stored == 1
    rejected = result.rejected.set_index("row")
    assert rejected.loc[2, "field"] == "post_id"
    assert "lost digits" in rejected.loc[2, "reason"]
    assert rejected.loc[3, "field"] == "record" and "not valid JSON" in rejected.loc[3, "reason"]
    assert set(result.rejected["file"]) == {source.name}


def test_research_api_error_envelope_is_refused(tmp_path: Path) -> None:
    body = {"data": {}, "error": {"code": "access_token_invalid", "message": "expired"}}
    source = _write(tmp_path, "err.json", json.dumps(body))
    with pytest.raises(InputError, match=r"err\.json: .*access_token_invalid: expired"):
        RESEARCH.read(source, IngestContext())


def test_display_creator_from_share_url_and_hashtags_from_description() -> None:
    source = _source(EXTRACTS / "display_videos.json")
    assert DISPLAY.sniff(source, source.head()) and not RESEARCH.sniff(source, source.head())
    result = DISPLAY.read(source, IngestContext(collected_at=WHEN))
    _balanced(result)
    posts = result.posts.set_index("post_id")
    assert set(posts["creator"]) == {"mila.bakes"}  # second video has no share_url
    assert posts.loc["7301234567890123456", "hashtags"] == ["baketok", "fyp"]
    assert posts.loc["7301234567890123456", "caption"] == "Lemon tart in 3 steps #BakeTok #fyp"
    assert posts.loc["7301234567890999999", "hashtags"] == ["sourdough"]  # from the title
    assert posts.loc["7301234567890123456", "views"] == 20100
    assert posts.loc["7301234567890999999", "duration_s"] == 58.0


def test_display_creator_option_wins_and_missing_creator_is_refused(tmp_path: Path) -> None:
    video = {"id": "7301234567890123456", "create_time": 1700000000, "like_count": 3,
             "title": "t", "duration": 10}
    source = _write(tmp_path, "videos.json", json.dumps({"data": {"videos": [video]}}))
    assert DISPLAY.read(source, IngestContext(creator="me")).posts["creator"].tolist() == ["me"]
    with pytest.raises(InputError, match=r"videos\.json: .*pass --creator"):
        DISPLAY.read(source, IngestContext())


def test_unparseable_file_names_the_file(tmp_path: Path) -> None:
    source = _write(tmp_path, "broken.json", '{"data": {"videos": [{"id": 1,')
    with pytest.raises(InputError, match=r"^\S*broken\.json: not valid JSON"):
        RESEARCH.read(source, IngestContext())


_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2**64), st.floats(allow_nan=False),
    st.text(max_size=6), st.sampled_from(["1.2K", "7094381613995478318", "2022-05-05", "0"]),
    st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=2),
                                                                st.integers(), max_size=1),
)
_FIELDS = ["id", "video_id", "username", "create_time", "view_count", "like_count",
           "comment_count", "share_count", "favorites_count", "video_duration", "hashtag_names",
           "music_id", "video_description", "share_url", "title", "duration"]
_records = st.lists(st.one_of(st.dictionaries(st.sampled_from(_FIELDS), _values, max_size=8),
                              _values), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_records, truncate=st.integers(0, 40))
def test_malformed_records_never_crash(items: list[object], truncate: int) -> None:
    text = json.dumps({"data": {"videos": items}})
    if truncate:
        text = text[:-truncate]
    with tempfile.TemporaryDirectory() as tmp:
        source = _write(Path(tmp), "fuzz.json", text)
        for adapter in (RESEARCH, DISPLAY):
            try:
                result = adapter.read(source, IngestContext(creator="fallback"))
            except InputError as exc:
                assert str(exc).startswith(source.name)
                assert "\n" not in str(exc)
                continue
            _balanced(result)
            rejected = result.rejected
            assert rejected[["file", "row", "field", "reason"]].notna().all().all()
            assert set(rejected["file"]) <= {source.name}
            assert rejected["row"].between(1, result.records_read).all()
