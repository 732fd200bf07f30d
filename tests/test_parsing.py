"""Value normalisers: counts, times, ids, hashtags (formats.md cross-format notes)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.parsing import (
    hashtags_from_text,
    parse_count,
    parse_epoch,
    parse_float,
    parse_utc,
    time_from_video_id,
    video_id_from_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (58, 58),
        ("58", 58),
        ("5,431", 5431),
        ("1.234", 1234),  # pt-BR thousands dot
        ("1 234 567", 1234567),
        ("1.2K", 1200),
        ("1,2K", 1200),
        ("3M", 3_000_000),
        ("2.5b", 2_500_000_000),
        (43400.0, 43400),
        ("undefined", None),
        ("N/A", None),
        ("None", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_count_normalises_every_documented_form(raw: object, expected: int | None) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["-5", -1, "12abc", "1.2.3K", "1e30", 10**14, True, 2.5, "1,23"])
def test_parse_count_rejects_negative_absurd_and_garbage(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_count(raw)


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_round_trips_thousands_separators(n: int) -> None:
    assert parse_count(f"{n:,}") == n
    assert parse_count(f"{n:,}".replace(",", ".")) == n
    assert parse_count(str(n)) == n


def test_parse_float_accepts_fractions_and_percentages() -> None:
    assert parse_float("0.56") == pytest.approx(0.56)
    assert parse_float("61%") == pytest.approx(0.61)
    assert parse_float("undefined") is None


def test_times_are_utc_and_range_checked() -> None:
    assert parse_epoch(1651789437) == datetime(2022, 5, 5, 22, 23, 57, tzinfo=timezone.utc)
    assert parse_epoch("1651789437000") == parse_epoch(1651789437)  # milliseconds
    naive_means_utc = datetime(2023, 8, 14, 14, 21, 33, tzinfo=timezone.utc)
    assert parse_utc("2023-08-14 14:21:33") == naive_means_utc
    assert parse_utc("2025-08-28T17:44:35.000Z").hour == 17
    assert parse_utc("2020-09-06 07:25:11+02:00").hour == 5
    with pytest.raises(ValueError, match="out of range"):
        parse_epoch(12)
    with pytest.raises(ValueError, match="not a date-time"):
        parse_utc("yesterday")


def test_video_ids_give_the_creation_second() -> None:
    link = "https://www.tiktok.com/@orthodox.korea/video/7615099844952182024"
    assert video_id_from_url(link) == "7615099844952182024"
    assert video_id_from_url("https://video-va.tiktokv.com/storage/v1/x") is None
    # formats.md: id 7612545815780805904 decodes to 2026-03-02 06:45 UTC
    decoded = time_from_video_id("7612545815780805904")
    assert (decoded.year, decoded.month, decoded.day, decoded.hour) == (2026, 3, 2, 6)


def test_hashtags_are_lower_case_unique_and_without_hash() -> None:
    text = "ootd ☁️\n\n#ForYou #fürdich #outfit #foryou, #大国基建 @bob"
    assert hashtags_from_text(text) == ["foryou", "fürdich", "outfit", "大国基建"]
    assert hashtags_from_text(None) == []
