"""Real-world cell shapes and file faults (issue 13): nothing lost, every loss counted.

Fixtures in tests/extracts reproduce the shapes as the real files have them: a 2025
creator-history scrape (mm:ss durations, "Share"/"Like"/"Comment" placeholders, K/M counts),
a Research-API-derived news set (list-literal hashtags, unmapped column names, a 7-day
offset between its time column and the video ids, likes > views on 45% of rows), an
SMP-Video-style file (ids that are not TikTok ids, int32-overflowed profile counts) and a
trend archive whose endpoints repeat each entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from recommender.errors import InputError
from recommender.ingest import cells, ingest_paths
from recommender.ingest.base import IngestContext, Source
from recommender.store import Store

EXTRACTS = Path(__file__).parent / "extracts"


def _ingest(path: Path, store: Path, **options):  # type: ignore[no-untyped-def]
    report = ingest_paths([path], store, **options)
    for f in report.files:
        assert f.read == f.stored + f.rejected + f.skipped + f.merged, f
    return report


def _good_share(report) -> float:  # type: ignore[no-untyped-def]
    (f,) = report.files
    return f.stored / f.read


def test_creator_history_2025_mm_ss_durations_and_zero_placeholders(tmp_path: Path) -> None:
    report = _ingest(EXTRACTS / "generic" / "creator_history_2025.csv", tmp_path)
    (f,) = report.files
    assert f.format == "generic"  # detected without --format or --column
    assert _good_share(report) >= 0.99 and f.rejected == 0
    posts = Store(tmp_path).read("posts")
    assert posts["duration_s"].tolist() == [15, 9, 62, 47, 31, 15, 130, 58, 3723, 22, 7, 41]
    # "Share" is what TikTok shows for 0 shares: 7 zero-share posts kept, not rejected
    assert (posts["shares"] == 0).sum() == 7
    assert posts["likes"].iloc[3] == 0 and posts["comments"].iloc[2] == 0
    assert posts["views"].iloc[1] == 1_200_000 and posts["likes"].iloc[0] == 1_100
    assert any("'Share'" in note and "read as 0" in note for note in f.notes)
    assert f.nulled == {}


def test_research_news_list_literal_hashtags_detected_and_warned(tmp_path: Path) -> None:
    report = _ingest(EXTRACTS / "generic" / "research_news_2023.csv", tmp_path)
    (f,) = report.files
    assert f.format == "generic" and _good_share(report) >= 0.99
    posts = Store(tmp_path).read("posts")
    assert posts["hashtags"].iloc[0] == ["tagi", "steuern"]
    assert posts["hashtags"].iloc[2] == []
    assert set(posts["creator"]) == {"tagesanzeiger", "srfnews", "20min"}
    warnings = " | ".join(f.warnings)
    assert "likes exceed views on 5 of 11 posts (45%)" in warnings
    assert "median of +7.0 days" in warnings


def test_smp_video_hash_ids_and_overflowed_profile_counts_nulled(tmp_path: Path) -> None:
    path = EXTRACTS / "generic" / "smp_video_2024.csv"
    report = _ingest(path, tmp_path / "a")
    (f,) = report.files
    assert (f.read, f.stored, f.rejected) == (10, 10, 0)
    assert f.nulled == {"total_likes": 2} and report.totals["nulled"] == 2
    posts = Store(tmp_path / "a").read("posts")
    assert posts["post_id"].str.fullmatch(r"x[0-9a-f]{16}").all()
    assert posts["post_id"].iloc[0] == cells.hashed_id("VIDEO00040000")
    assert any("not numeric TikTok video ids" in n for n in f.notes)
    # the same file ingests to the same keys: a second store gets identical ids
    again = _ingest(path, tmp_path / "b")
    assert again.files[0].stored == 10
    assert Store(tmp_path / "b").read("posts")["post_id"].tolist() == posts["post_id"].tolist()
    quarantine = Store(tmp_path / "a").rejected()
    assert quarantine["value"].tolist() == ["-2094967296", "-1890123456"]
    assert quarantine["reason"].str.startswith("kept, field nulled: total_likes").all()
    daily = Store(tmp_path / "a").read("account_daily")
    assert (daily["value"] >= 0).all()


def test_trend_archive_repeats_are_counted_as_merged(tmp_path: Path) -> None:
    report = _ingest(EXTRACTS / "trends" / "trend_archive_repeats.csv", tmp_path)
    (f,) = report.files
    assert (f.read, f.stored, f.skipped, f.merged, f.rejected) == (12, 4, 2, 6, 0)
    assert f.added == 4 and len(Store(tmp_path).read("trends")) == 4
    assert report.totals["merged"] == 6


def test_duplicate_posts_in_one_file_are_merged_and_counted(tmp_path: Path) -> None:
    lines = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text().splitlines()
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([*lines, lines[1], lines[2]]) + "\n")
    report = _ingest(path, tmp_path / "s")
    assert (report.files[0].read, report.files[0].stored, report.files[0].merged) == (7, 5, 2)


def test_old_scrape_dated_by_file_time_is_warned(tmp_path: Path) -> None:
    report = _ingest(EXTRACTS / "scrapers" / "drawrowfly_trending_2020.json", tmp_path)
    assert any("days after the newest post" in w and "--collected-at" in w
               for w in report.files[0].warnings)


# -- one bad row must not decide for the whole file ---------------------------------------

def _history(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    lines = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text().splitlines()
    path = tmp_path / "h.csv"
    path.write_text(edit(lines))
    return path


def test_one_future_date_neither_sets_collected_at_nor_is_stored(tmp_path: Path) -> None:
    def future(lines: list[str]) -> str:
        cells_ = lines[3].split(",")
        cells_[1] = "2100-01-01 00:00:00+00:00"
        return "\n".join([*lines[:3], ",".join(cells_), *lines[4:]]) + "\n"

    report = _ingest(_history(tmp_path, future), tmp_path / "s")
    posts = Store(tmp_path / "s").read("posts")
    assert len(posts) == 5  # the id still holds the upload time: taken from there
    assert posts["posted_at"].max() < pd.Timestamp("2021-01-01", tz="UTC")
    assert posts["collected_at"].max() < pd.Timestamp("2021-01-01", tz="UTC")
    assert report.files[0].rejected == 0


def test_extra_fields_on_the_first_row_reject_that_row_only(tmp_path: Path) -> None:
    def extra(lines: list[str]) -> str:
        return "\n".join([lines[0], lines[1] + ",x,y", *lines[2:]]) + "\n"

    report = _ingest(_history(tmp_path, extra), tmp_path / "s")
    (f,) = report.files
    assert (f.read, f.stored, f.rejected) == (5, 4, 1)
    line = Store(tmp_path / "s").rejected().iloc[0]
    assert (int(line["row"]), line["field"]) == (1, "row") and "20 fields" in line["reason"]
    posts = Store(tmp_path / "s").read("posts")
    original = pd.read_csv(EXTRACTS / "generic" / "creator_histories_2020.csv", dtype=str)
    expected = original.iloc[1:].sort_values("created_at_utc")["likes"].astype(int).tolist()
    assert posts["likes"].tolist() == expected  # columns not shifted


def test_doubled_bom_and_utf16_and_cr_only_files_read_alike(tmp_path: Path) -> None:
    text = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text()
    shapes = {
        "bom2.csv": ("\ufeff\ufeff" + text).encode("utf-8"),
        "utf16.csv": text.encode("utf-16"),
        "cr.csv": text.replace("\n", "\r").encode("utf-8"),
    }
    for name, data in shapes.items():
        path = tmp_path / name
        path.write_bytes(data)
        report = _ingest(path, tmp_path / name.replace(".csv", ""))
        assert report.files[0].stored == 5 and report.files[0].rejected == 0, name


def test_a_bracket_hashtag_cell_that_is_not_json_is_read_as_text(tmp_path: Path) -> None:
    def bracket(lines: list[str]) -> str:
        return "\n".join([lines[0], lines[1].replace(",brierson,", ",[brierson #funny,"),
                          *lines[2:]]) + "\n"

    report = _ingest(_history(tmp_path, bracket), tmp_path / "s")
    assert report.files[0].rejected == 0
    assert Store(tmp_path / "s").read("posts")["hashtags"].iloc[0] == ["brierson", "funny"]


def test_creative_center_future_point_does_not_date_the_list(tmp_path: Path) -> None:
    doc = json.loads((EXTRACTS / "trends" / "cc_hashtags.json").read_text())
    entry = doc["data"]["list"][0]
    entry["trend"].append({"time": 4102444800, "value": 1.0})  # 2100-01-01
    path = tmp_path / "cc.json"
    path.write_text(json.dumps(doc))
    report = _ingest(path, tmp_path / "s")
    dates = Store(tmp_path / "s").read("trends")["date"]
    assert dates.max() <= cells.latest_time() and report.files[0].stored > 0


@pytest.mark.parametrize("cell,field,expected", [
    ("00:15", "duration_s", 15.0), ("1:02:03", "duration_s", 3723.0), ("15s", "duration_s", 15),
    ("1m 5s", "duration_s", 65.0), ("99:99", "duration_s", None), ("inf", "duration_s", None),
    ("1e12", "duration_s", None), ("Share", "shares", 0), ("Share", "likes", None),
    ("-2147483000", "followers_at_post", None), ("12.5K", "views", 12_500),
])
def test_cell_shapes(tmp_path: Path, cell: str, field: str, expected: object) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"post_id,posted_at,creator,{field}\n"
                    f"7000000000000000001,2024-01-02,ana,{cell}\n")
    from recommender.ingest import generic

    result = generic.ADAPTERS[0].read(Source(name=str(path), path=path), IngestContext())
    assert result.records_stored == 1
    value = result.posts[field].iloc[0]
    if expected is None:
        assert pd.isna(value) and result.nulled_counts == {field: 1}
    else:
        assert value == expected and result.nulled_counts == {}


@pytest.mark.parametrize("cell,tags", [
    ("['tagi', 'steuern']", ["tagi", "steuern"]), ('["A", "#b"]', ["a", "b"]),
    ("#a #b", ["a", "b"]), ("#a#b", ["a", "b"]), ("a, b", ["a", "b"]), ("a|b", ["a", "b"]),
    ("a b", ["a", "b"]), ("[a, 'b", ["a", "b"]), ("[]", []),
])
def test_hashtag_cells(cell: str, tags: list[str]) -> None:
    assert cells.tag_cell(cell) == tags


# -- a failing file does not hide what earlier files stored -------------------------------

def _good_then_bad_folder(tmp_path: Path) -> Path:
    """a.csv: 5 good posts; b.csv: its header and one undecodable row."""
    folder = tmp_path / "in"
    folder.mkdir()
    good = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text()
    (folder / "a.csv").write_text(good)
    (folder / "b.csv").write_bytes(good.splitlines()[0].encode() + b"\n\xff\xfe\xfa,1\n")
    return folder


def test_a_failed_file_names_what_earlier_files_stored(tmp_path: Path) -> None:
    folder = _good_then_bad_folder(tmp_path)
    with pytest.raises(InputError, match=r"b\.csv: .*nothing from this file was stored, but "
                                         r"earlier files of this call were: a\.csv \(5 stored: "
                                         r"5 added, 0 updated\)") as caught:
        ingest_paths([folder], tmp_path / "s")
    assert "\n" not in str(caught.value)
    assert len(Store(tmp_path / "s").read("posts")) == 5
    assert caught.value.partial.files[0].added == 5  # type: ignore[attr-defined]


def test_a_scraper_file_name_with_day_00_falls_back_to_the_file_time(tmp_path: Path) -> None:
    source = EXTRACTS / "scrapers" / "dataset_tiktok-scraper_2025-09-01_10-30-00-000.json"
    path = tmp_path / "dataset_tiktok-scraper_2025-09-00_10-30-00-000.json"
    path.write_bytes(source.read_bytes())
    report = _ingest(path, tmp_path / "s")
    assert report.files[0].stored > 0
    assert any("modified time" in note for note in report.files[0].notes)


def test_cli_failed_file_is_one_line_naming_what_was_stored(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from recommender.cli import app

    folder = _good_then_bad_folder(tmp_path)
    result = CliRunner().invoke(app, ["ingest", str(folder), "--data", str(tmp_path / "s")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1
    assert "earlier files of this call were: a.csv (5 stored: 5 added" in result.output
