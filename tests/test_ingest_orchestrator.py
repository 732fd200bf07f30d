"""``ingest_paths`` / ``recommender ingest``: detection, idempotence, quarantine, exit codes."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.errors import InputError, UsageError
from recommender.ingest import format_names, ingest_paths
from recommender.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
runner = CliRunner()


def test_bundled_sample_ingests_every_file_and_twice_adds_nothing(tmp_path: Path) -> None:
    first = ingest_paths([SAMPLE], tmp_path / "store")
    formats = {f.format for f in first.files}
    assert {"apify", "studio", "creators"} <= formats
    assert first.totals["rejected"] == 0
    assert first.totals["read"] == first.totals["stored"] + first.totals["skipped"]
    data = Store(tmp_path / "store").load()
    assert len(data.posts) == 1080
    assert data.posts["creator"].nunique() == 10
    assert set(data.creators["timezone"]) - {"UTC"}, "creators.csv time zones were not kept"
    assert not data.follower_activity.empty and not data.trends.empty
    again = ingest_paths([SAMPLE], tmp_path / "store")
    assert again.totals["added"] == 0 and again.totals["updated"] == 0
    assert len(Store(tmp_path / "store").read("posts")) == 1080


def test_timezone_given_at_ingest_survives_a_later_ingest(tmp_path: Path) -> None:
    sample_json = next(SAMPLE.glob("dataset_tiktok-scraper_*.json"))
    ingest_paths([sample_json], tmp_path, timezone="Asia/Tokyo")
    ingest_paths([sample_json], tmp_path)  # no --timezone: must not reset to UTC
    zones = set(Store(tmp_path).read("creators")["timezone"])
    assert zones == {"Asia/Tokyo"}


def test_zip_archives_are_opened(tmp_path: Path) -> None:
    archive = tmp_path / "TikTok_Data_123.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(next(SAMPLE.glob("dataset_tiktok-scraper_*.json")), "items.json")
    report = ingest_paths([archive], tmp_path / "store")
    assert report.files[0].file.endswith("TikTok_Data_123.zip:items.json")
    assert report.totals["added"] == 1080


def test_unrecognised_file_fails_before_anything_is_written(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my ideas for next week\n")
    good = next(SAMPLE.glob("dataset_tiktok-scraper_*.json"))
    with pytest.raises(InputError, match=r"notes.txt: unrecognised file format \(formats tried: "):
        ingest_paths([good, notes], tmp_path / "store")
    assert not Store(tmp_path / "store").exists()


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an IANA time zone"):
        ingest_paths([SAMPLE], tmp_path, timezone="Mars/Olympus")
    with pytest.raises(UsageError, match="unknown --format 'tiktok'"):
        ingest_paths([SAMPLE], tmp_path, fmt="tiktok")
    with pytest.raises(InputError, match="no such file or folder"):
        ingest_paths([tmp_path / "missing.json"], tmp_path)
    assert "generic" in format_names() and format_names()[-1] == "generic"


def test_rejected_rows_and_nulled_cells_are_quarantined_with_file_row_field(
        tmp_path: Path) -> None:
    source = next(SAMPLE.glob("dataset_tiktok-scraper_*.json"))
    items = json.loads(source.read_text(encoding="utf-8"))[:5]
    items[2]["diggCount"] = -40  # a bad optional cell: nulled, the post kept
    items[4]["id"] = None  # no id and no link: the post cannot be identified
    items[4].pop("webVideoUrl", None)
    bad = tmp_path / "dataset_tiktok-scraper_2025-07-07_08-00-00-000.json"
    bad.write_text(json.dumps(items), encoding="utf-8")
    report = ingest_paths([bad], tmp_path / "store")
    assert (report.totals["added"], report.totals["rejected"]) == (4, 1)
    assert report.files[0].nulled == {"likes": 1} and report.totals["nulled"] == 1
    quarantine = Store(tmp_path / "store").rejected().set_index("row")
    assert sorted(quarantine.index) == [3, 5]
    line = quarantine.loc[3].to_dict()
    assert (line["file"], line["field"], line["value"]) == (str(bad), "likes", "-40")
    assert line["reason"].startswith("kept, field nulled: ") and "negative" in line["reason"]
    assert quarantine.loc[5, "field"] == "post_id"
    stored = Store(tmp_path / "store").read("posts")
    assert stored["likes"].isna().sum() == 1


def test_cli_ingest_json_and_exit_codes(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["ingest", str(SAMPLE), "--data", str(tmp_path / "s"), "--json"])
    assert ok.exit_code == 0, ok.output
    document = json.loads(ok.stdout)
    assert document["totals"]["added"] > 0 and len(document["files"]) >= 3
    assert {"file", "format", "read", "added", "updated", "rejected", "skipped"} <= set(
        document["files"][0]
    )
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage")
    bad = runner.invoke(app, ["ingest", str(junk), "--data", str(tmp_path / "s")])
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and "junk.bin: unrecognised file format" in bad.output
    usage = runner.invoke(app, ["ingest", str(SAMPLE), "--timezone", "Nowhere/Land"])
    assert usage.exit_code == 2 and "IANA" in usage.output


@pytest.mark.skipif(not SHARED.exists(), reason="shared real data not present")
def test_every_shared_real_file_ingests_into_one_store(tmp_path: Path) -> None:
    studio = tmp_path / "studio"
    shutil.copytree(SHARED / "studio" / "okn-greek", studio / "okn")
    report = ingest_paths(
        [SHARED / "scraper_trending_2020.json", studio / "okn"], tmp_path / "store"
    )
    assert report.totals["rejected"] == 0
    by_format = {f.format for f in report.files}
    assert {"drawrowfly", "studio"} <= by_format
    posts = Store(tmp_path / "store").read("posts")
    assert posts["post_id"].str.fullmatch(r"\d+").all()
    assert "orthodox.korea" in set(posts["creator"])
