"""TikTok Studio adapter against the real export shapes (formats.md §2)."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import InputError
from recommender.ingest.base import AdapterResult, IngestContext, Source
from recommender.ingest.studio import ADAPTERS, reference_date, resolve_creator
from recommender.ingest.studio_dates import assign_years, parse_label

EXTRACTS = Path(__file__).parent / "extracts" / "studio"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "studio"
(STUDIO,) = ADAPTERS
BOM = b"\xef\xbb\xbf"
CONTENT_HEADER = ('"Time","Video title","Video link","Post time","Total likes",'
                  '"Total comments","Total shares","Total views"')


def source_of(path: Path) -> Source:
    return Source(name=str(path), path=path)


def read_folder(folder: Path, **options: object) -> dict[str, AdapterResult]:
    """Read every file of a Studio folder as the orchestrator does (siblings = the folder)."""
    sources = tuple(source_of(p) for p in sorted(folder.iterdir()) if p.is_file())
    out = {}
    for source in sources:
        assert STUDIO.sniff(source, source.head()), source.name
        result = STUDIO.read(source, IngestContext(siblings=sources, **options))  # type: ignore[arg-type]
        assert_balanced(result)
        out[source.filename] = result
    return out


def assert_balanced(result: AdapterResult) -> None:
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    rejected = result.rejected
    assert rejected["file"].notna().all() and rejected["row"].notna().all()
    assert rejected["field"].notna().all() and (rejected["field"] != "").all()


def metric(result: AdapterResult, name: str, day: str) -> int:
    frame = result.account_daily
    hit = frame[(frame["metric"] == name) & (frame["date"] == pd.Timestamp(day, tz="UTC"))]
    assert len(hit) == 1, (name, day)
    return int(hit["value"].iloc[0])


def write_studio(path: Path, lines: list[str]) -> Path:
    """A Studio-style file: BOM, \\n line endings, no trailing newline."""
    path.write_bytes(BOM + "\n".join(lines).encode("utf-8"))
    return path


# --- the real shapes, from committed extracts -----------------------------------------------

def test_okn_greek_content_pins_the_documented_row() -> None:
    results = read_folder(EXTRACTS / "okn-greek")
    posts = results["Content.csv"].posts
    assert len(posts) == 3 and set(posts["creator"]) == {"orthodox.korea"}
    row = posts.set_index("post_id").loc["7615099844952182024"]
    assert (row["likes"], row["comments"], row["shares"], row["views"]) == (7933, 116, 582, 60699)
    assert row["posted_at"] == pd.Timestamp("2026-03-09 03:56:38", tz="UTC")
    assert (posts["collected_at"] == pd.Timestamp("2026-03-25", tz="UTC")).all()
    assert row["caption"].startswith("☦️ “Liturgy after the Liturgy”")
    first = posts.set_index("post_id").loc["7612545815780805904"]
    assert first["hashtags"] == ["orthodox", "icons", "korea", "sundayoforthodoxy", "greatlent"]
    assert results["Content.csv"].creators["creator"].tolist() == ["orthodox.korea"]


def test_okn_greek_daily_files_get_2026_from_the_content_snapshot() -> None:
    results = read_folder(EXTRACTS / "okn-greek")
    overview = results["Overview.csv"]
    assert overview.records_stored == 4
    assert metric(overview, "video_views", "2026-02-25") == 141
    assert metric(overview, "profile_views", "2026-03-24") == 53
    assert metric(overview, "likes", "2026-03-23") == 426
    assert any("anchored on 2026-03-25" in n for n in overview.notes)
    assert metric(results["Viewers.csv"], "viewers_new", "2026-02-25") == 296
    history = results["FollowerHistory.csv"].account_daily
    assert set(history["metric"]) == {"followers"}
    assert metric(results["FollowerHistory.csv"], "followers", "2026-03-24") == 3352
    assert set(history["creator"]) == {"orthodox.korea"}


def test_okn_follower_activity_drops_the_zero_tail_of_the_export_day() -> None:
    result = read_folder(EXTRACTS / "okn-greek")["FollowerActivity.csv"]
    activity = result.follower_activity
    assert (result.records_read, result.records_stored, result.skipped) == (7, 5, 2)
    first = activity.iloc[0]
    assert first["date"] == pd.Timestamp("2026-03-18", tz="UTC")
    assert (first["weekday"], first["hour"], first["active_followers"]) == (2, 0, 761)
    last_day = activity[activity["date"] == pd.Timestamp("2026-03-25", tz="UTC")]
    assert last_day["active_followers"].tolist() == [840, 584]  # hours 2, 3 read 0: cut off
    assert any("lag" in n for n in result.notes)


def test_gender_and_territories_are_counted_as_skipped() -> None:
    okn = read_folder(EXTRACTS / "okn-greek")["FollowerGender.csv"]
    assert (okn.records_read, okn.skipped, okn.records_stored) == (3, 3, 0)
    assert all(frame.empty for frame in okn.tables().values())


def test_htupy_english_rolls_the_year_and_skips_undefined_days() -> None:
    results = read_folder(EXTRACTS / "htupy-english")
    history = results["FollowerHistory.csv"]
    assert (history.records_read, history.records_stored, history.skipped) == (6, 4, 2)
    assert metric(history, "followers", "2025-12-31") == 4996
    assert metric(history, "followers", "2026-01-01") == 4993
    assert metric(history, "followers", "2026-02-27") == 5013
    assert set(history.account_daily["creator"]) == {"haileytupy2.0"}
    viewers = results["Viewers.csv"]
    assert viewers.skipped == 2 and viewers.account_daily["date"].min() == pd.Timestamp(
        "2025-12-31", tz="UTC")
    overview = results["Overview.csv"]
    assert metric(overview, "comments", "2025-08-12") == -1  # a real net loss, not an error
    assert metric(overview, "video_views", "2025-02-28") == 0
    assert metric(overview, "video_views", "2026-01-01") == 28710
    territories = results["FollowerTopTerritories.csv"]
    assert (territories.records_read, territories.skipped) == (3, 3)


def test_htupy_activity_and_content() -> None:
    results = read_folder(EXTRACTS / "htupy-english")
    activity = results["FollowerActivity.csv"]
    assert activity.follower_activity["hour"].tolist() == [0, 16, 17]
    assert activity.skipped == 2  # 18:00 and 19:00 on the export's eve read 0
    posts = results["Content 2.csv"].posts.set_index("post_id")
    assert posts.loc["7531345990947851551", "caption"] is pd.NA
    assert posts.loc["7527623000473079054", "hashtags"] == [
        "unbrush", "unbrushplus", "unbrushhairbrush"]
    assert posts.loc["7527623000473079054", "views"] == 191265
    assert (posts["collected_at"] == pd.Timestamp("2026-02-28", tz="UTC")).all()


def test_corymink_2022_one_based_hours_and_dated_rows() -> None:
    results = read_folder(EXTRACTS / "corymink-2022", creator="corymink")
    activity = results["Follower activity.csv"].follower_activity
    last = activity.iloc[-1]
    assert last["date"] == pd.Timestamp("2022-08-18", tz="UTC")
    assert (last["hour"], last["active_followers"], last["weekday"]) == (0, 637, 3)
    assert activity.iloc[0]["hour"] == 1
    overview = results["Last 60 days.csv"]
    assert metric(overview, "video_views", "2022-06-20") == 180
    assert metric(overview, "likes", "2022-08-17") == 1
    assert metric(results["Total followers.csv"], "followers", "2022-06-21") == 9791
    live = results["LIVE_interaction.csv"]
    assert (live.records_read, live.skipped) == (3, 3)
    assert any("LIVE" in n for n in live.notes)


# --- the reference day and whose account -------------------------------------------------

def test_reference_date_prefers_flag_then_content_snapshot_then_file_time(tmp_path: Path) -> None:
    for name in ("Overview.csv", "Content.csv"):
        shutil.copy(EXTRACTS / "okn-greek" / name, tmp_path / name)
    overview = source_of(tmp_path / "Overview.csv")
    content = source_of(tmp_path / "Content.csv")
    os.utime(overview.path, (datetime(2027, 6, 1).timestamp(),) * 2)  # type: ignore[arg-type]
    flag = IngestContext(collected_at=datetime(2026, 3, 26, 9, tzinfo=timezone.utc))
    assert reference_date(overview, flag) == (date(2026, 3, 26), "--collected-at")
    assert reference_date(overview, IngestContext(siblings=(overview, content))) == (
        date(2026, 3, 25), "the Content file's snapshot day")
    assert reference_date(overview, IngestContext()) == (
        date(2027, 6, 1), "the file's modification time")
    alone = STUDIO.read(overview, IngestContext(creator="okn"))
    assert alone.account_daily["date"].max() == pd.Timestamp("2027-03-24", tz="UTC")


def test_creator_comes_from_flag_content_sibling_or_zip_name(tmp_path: Path) -> None:
    shutil.copy(EXTRACTS / "okn-greek" / "FollowerHistory.csv", tmp_path / "FollowerHistory.csv")
    history = source_of(tmp_path / "FollowerHistory.csv")
    with pytest.raises(InputError, match=r"FollowerHistory\.csv: cannot tell whose account "
                                         r"this is; pass --creator HANDLE"):
        STUDIO.read(history, IngestContext())
    assert resolve_creator(history, IngestContext(creator="@someone")) == "someone"
    archive = tmp_path / "Followers_ana.plays.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(history.path, "FollowerHistory.csv")  # type: ignore[arg-type]
    member = Source(name=f"{archive}:FollowerHistory.csv", zip_path=archive,
                    member="FollowerHistory.csv")
    result = STUDIO.read(member, IngestContext())
    assert set(result.account_daily["creator"]) == {"ana.plays"}


def test_xlsx_first_sheet_reads_like_the_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "FollowerHistory"
    for row in (("Date", "Followers", "Difference in followers from previous day"),
                ("December 31", "10", "1"), ("January 1", 12, 2), ("January 2", "undefined", 0)):
        sheet.append(row)
    path = tmp_path / "FollowerHistory.xlsx"
    book.save(path)
    source = source_of(path)
    assert STUDIO.sniff(source, source.head())
    result = STUDIO.read(source, IngestContext(creator="x", collected_at=datetime(
        2026, 1, 10, tzinfo=timezone.utc)))
    assert_balanced(result)
    assert metric(result, "followers", "2025-12-31") == 10
    assert metric(result, "followers", "2026-01-01") == 12
    assert result.skipped == 1


# --- damaged and foreign input ---------------------------------------------------------------

LINK = "https://www.tiktok.com/@ana/video/{}"
VIDEO = 7615099844952182024  # 2026-03-09 03:56:38 UTC


def test_broken_quoting_is_recovered_by_anchoring_on_the_link(tmp_path: Path) -> None:
    rows = [
        CONTENT_HEADER,
        f'"March 25","He said "hi", then left","{LINK.format(VIDEO)}","March 9","1","2","3","4"',
        f'"March 25","two, commas, "" and #tag","{LINK.format(VIDEO + 1)}","March 9",'
        '"5","6","7","8"',
        '"March 25","a title that goes',
        f'over two lines #multi","{LINK.format(VIDEO + 2)}","March 9","9","9","9","9"',
        'garbage line without a link',
        f'"March 25","dup","{LINK.format(VIDEO)}","March 9","1","2","3","4"',
        f'"March 25","bad","{LINK.format(VIDEO + 3)}","March 9","many","2","3","4"',
        f'"March 25","early","{LINK.format(VIDEO + 4)}","March 1","1","2","3","4"',
    ]
    source = source_of(write_studio(tmp_path / "Content.csv", rows))
    result = STUDIO.read(source, IngestContext())
    assert_balanced(result)
    posts = result.posts.set_index("post_id")
    assert posts.loc[str(VIDEO), "caption"] == 'He said "hi", then left'
    assert posts.loc[str(VIDEO + 1), "caption"] == 'two, commas, " and #tag'
    assert posts.loc[str(VIDEO + 2), "caption"] == "a title that goes\nover two lines #multi"
    assert posts.loc[str(VIDEO + 2), "hashtags"] == ["multi"]
    assert posts.loc[str(VIDEO + 1), "views"] == 8
    assert result.records_read == 7 and result.skipped == 1  # the duplicate link
    rejected = result.rejected.set_index("row")
    assert rejected.loc[4, "field"] == "Video link"
    assert 6 not in rejected.index  # "many" likes: that cell emptied, the post kept
    assert pd.isna(posts.loc[str(VIDEO + 3), "likes"]) and posts.loc[str(VIDEO + 3), "views"] == 4
    assert result.nulled_counts == {"Total likes": 1}
    assert result.nulled.iloc[0][["row", "value"]].tolist() == [6, "many"]
    assert rejected.loc[7, "field"] == "Post time"
    assert set(rejected["file"]) == {str(tmp_path / "Content.csv")}


def test_unknown_header_and_bad_bytes_raise_one_line_errors(tmp_path: Path) -> None:
    foreign = write_studio(tmp_path / "Overview.csv", ['"Day","Views"', '"March 1","3"'])
    assert not STUDIO.sniff(source_of(foreign), foreign.read_bytes())
    with pytest.raises(InputError, match=r"Overview\.csv: not a TikTok Studio file") as err:
        STUDIO.read(source_of(foreign), IngestContext(creator="x"))
    assert "\n" not in str(err.value)
    latin = tmp_path / "Viewers.csv"
    latin.write_bytes('"Date","Total Viewers","New Viewers","Returning Viewers"\n"Março"'
                      .encode("latin-1"))
    with pytest.raises(InputError, match=r"Viewers\.csv: not UTF-8"):
        STUDIO.read(source_of(latin), IngestContext(creator="x"))
    broken = tmp_path / "Followers.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match=r"Followers\.xlsx: not a readable XLSX"):
        STUDIO.read(source_of(broken), IngestContext(creator="x"))


def test_sniff_is_specific() -> None:
    other = Source(name="trends.csv", path=Path("trends.csv"))
    assert not STUDIO.sniff(other, b"date,kind,name,rank,score,region\n")
    assert not STUDIO.sniff(other, BOM + b'"Date","Hour"\n')
    assert STUDIO.sniff(other, BOM + b'"Date","Hour","Active followers"\n"March 1","0","1"')


@pytest.mark.parametrize(
    ("label", "month", "day"),
    [("June 30", 6, 30), ("25 Φεβρουαρίου", 2, 25), ("18 tháng Tám", 8, 18),
     ("8 de setembro", 9, 8), ("9月13日", 9, 13), ("18 января", 1, 18),
     ("11 septembre", 9, 11), ("2 Μαΐου", 5, 2), ("31 tháng Mười Hai", 12, 31)],
)
def test_every_documented_ui_language_parses(label: str, month: int, day: int) -> None:
    parsed = parse_label(label)
    assert (parsed.month, parsed.day, parsed.year) == (month, day, None)


def test_assign_years_rolls_once_and_rejects_rows_out_of_order() -> None:
    rolled = assign_years([parse_label("December 30"), parse_label("January 2")],
                          date(2026, 1, 3))
    assert rolled == [date(2025, 12, 30), date(2026, 1, 2)]
    labels = [parse_label(x) for x in ("March 10", "March 12", "February 1", "March 13")]
    assert assign_years(labels, date(2026, 3, 14)) == [
        date(2026, 3, 10), date(2026, 3, 12),
        "out of date order (daily files are chronological)", date(2026, 3, 13)]
    newest_first = [parse_label(x) for x in ("March 3", "March 2", "March 1")]
    assert sum(isinstance(d, str) for d in assign_years(newest_first, date(2026, 3, 4))) == 2


# --- property: malformed input never breaks the books ---------------------------------------

_cell = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(
    ["undefined", "", "1.2K", "1,234", "abc", '"', "5,5", "-", "1e9"]), st.text(max_size=6))
_day = st.one_of(st.sampled_from(["March 1", "March 2", "December 31", "January 1", "June 31",
                                  "", "Μαρτίου", "2 Μαρτίου", "2022-08-10"]), st.text(max_size=8))


def _quote(value: str) -> str:
    return '"' + value + '"'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_day, st.lists(_cell, min_size=3, max_size=7)), max_size=12),
       cut=st.integers(0, 4000))
def test_overview_property_books_always_balance(rows: list[tuple[str, list[str]]],
                                                cut: int) -> None:
    lines = ['"Date","Video Views","Profile Views","Likes","Comments","Shares"']
    lines += [",".join(_quote(c) for c in [day, *cells]) for day, cells in rows]
    payload = (BOM + "\n".join(lines).encode("utf-8"))
    header_end = len(BOM) + len(lines[0].encode("utf-8"))
    source = _memory_source("Overview.csv", payload[: max(header_end, cut)])
    result = STUDIO.read(source, IngestContext(creator="x", collected_at=datetime(
        2026, 3, 5, tzinfo=timezone.utc)))
    assert_balanced(result)
    assert result.account_daily["value"].notna().all()


_title = st.text(alphabet=st.sampled_from(list('ab #,"\n@é')), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_title, st.integers(0, 40), st.lists(_cell, min_size=5,
                                                                       max_size=5)), max_size=8),
       cut=st.integers(0, 3000))
def test_content_property_books_always_balance(rows: list[tuple[str, int, list[str]]],
                                               cut: int) -> None:
    lines = [CONTENT_HEADER]
    for title, offset, cells in rows:
        fields = ["March 25", title, LINK.format(VIDEO + offset * 2**32), *cells]
        lines.append(",".join(_quote(c) for c in fields))
    payload = BOM + "\n".join(lines).encode("utf-8")
    header_end = len(BOM) + len(CONTENT_HEADER)
    result = STUDIO.read(_memory_source("Content.csv", payload[: max(header_end, cut)]),
                         IngestContext())
    assert_balanced(result)
    assert result.posts["post_id"].is_unique


def _memory_source(name: str, payload: bytes) -> Source:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, payload)
    path = Path(f"/tmp/studio-property-{os.getpid()}.zip")
    path.write_bytes(buffer.getvalue())
    return Source(name=f"{path}:{name}", zip_path=path, member=name)


# --- every shared real file, in full ---------------------------------------------------------

# file -> (read, stored, rejected, skipped, rows in the main table)
FULL = {
    "okn-greek/Content.csv": (15, 15, 0, 0, 15),
    "okn-greek/Overview.csv": (28, 28, 0, 0, 140),
    "okn-greek/Viewers.csv": (28, 28, 0, 0, 84),
    "okn-greek/FollowerHistory.csv": (28, 28, 0, 0, 28),
    "okn-greek/FollowerActivity.csv": (192, 170, 0, 22, 170),
    "okn-greek/FollowerGender.csv": (3, 0, 0, 3, 0),
    "okn-greek/FollowerTopTerritories.csv": (11, 0, 0, 11, 0),
    "htupy-english/Content.csv": (13, 13, 0, 0, 13),
    "htupy-english/Content 2.csv": (12, 12, 0, 0, 12),
    "htupy-english/Content 3.csv": (6, 6, 0, 0, 6),
    "htupy-english/Content 4.csv": (12, 12, 0, 0, 12),
    "htupy-english/Overview.csv": (365, 365, 0, 0, 1825),
    "htupy-english/Viewers.csv": (365, 340, 0, 25, 1020),
    "htupy-english/Viewers 2.csv": (365, 340, 0, 25, 1020),
    "htupy-english/FollowerHistory.csv": (365, 340, 0, 25, 340),
    "htupy-english/FollowerActivity.csv": (168, 162, 0, 6, 162),
    "htupy-english/FollowerGender.csv": (3, 0, 0, 3, 0),
    "htupy-english/FollowerTopTerritories.csv": (11, 0, 0, 11, 0),
    "corymink-2022/Follower activity.csv": (192, 192, 0, 0, 192),
    "corymink-2022/Last 60 days.csv": (59, 59, 0, 0, 295),
    "corymink-2022/Total followers.csv": (59, 59, 0, 0, 59),
    "corymink-2022/LIVE_interaction.csv": (60, 0, 0, 60, 0),
}


def _main_rows(result: AdapterResult) -> int:
    return max(len(f) for name, f in result.tables().items() if name != "creators")


@pytest.mark.parametrize("relative", sorted(FULL))
def test_every_shared_studio_file_reads_in_full(relative: str) -> None:
    if not SHARED.exists():
        pytest.skip("the shared real data is not available here")
    folder = SHARED / relative.split("/")[0]
    creator = "corymink" if relative.startswith("corymink") else None
    result = read_folder(folder, creator=creator)[relative.split("/")[1]]
    counts = (result.records_read, result.records_stored, len(result.rejected), result.skipped,
              _main_rows(result))
    assert counts == FULL[relative]


def test_shared_sets_span_the_right_days() -> None:
    if not SHARED.exists():
        pytest.skip("the shared real data is not available here")
    htupy = read_folder(SHARED / "htupy-english")
    days = htupy["Overview.csv"].account_daily["date"]
    assert (days.min(), days.max()) == (pd.Timestamp("2025-02-28", tz="UTC"),
                                        pd.Timestamp("2026-02-27", tz="UTC"))
    posts = pd.concat([r.posts for r in htupy.values()])
    assert posts["post_id"].nunique() == 29 and set(posts["creator"]) == {"haileytupy2.0"}
    okn = read_folder(SHARED / "okn-greek")
    assert okn["Content.csv"].posts["posted_at"].min() == pd.Timestamp(
        "2026-01-12 13:31:58", tz="UTC")
    assert any("3 scheduled posts" in n for n in okn["Content.csv"].notes)
