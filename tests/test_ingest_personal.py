"""Personal "Download your data" export: layouts, the privacy rule, TXT (formats.md §1)."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import InputError
from recommender.ingest.base import AdapterResult, IngestContext, Source
from recommender.ingest.follows import METRICS as FOLLOW_METRICS
from recommender.ingest.personal import ADAPTERS, export_moment, sound_is_original

EXTRACT = Path(__file__).parent / "extracts" / "personal" / "user_data_posts_section.json"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "export"
EXPORT, TXT = ADAPTERS
SECRETS = ("SECRET-DM-TEXT", "203.0.113.77", "fan_secret_one", "fan_secret_two",
           "followed_secret", "secret@example.com", "SECRET-SEARCH", "SECRET-COMMENT")
LINK = ("https://v16.tiktokv.com/storage/v1/x?a=1233&l=20251127093015ABCDEF&x-tos-expires=1")


def source_of(path: Path) -> Source:
    return Source(name=str(path), path=path)


def assert_balanced(result: AdapterResult) -> None:
    assert result.records_read == result.records_stored + len(result.rejected) + result.skipped
    assert result.rejected[["file", "row", "field"]].notna().all().all()


def _post(date: str, likes: str, sound: str = "original sound - ana", title: str = "N/A",
          who: str = "Everyone") -> dict[str, str]:
    return {"Date": date, "Link": LINK, "Likes": likes, "WhoCanView": who, "Sound": sound,
            "Title": title, "AllowComments": "Yes"}


POSTS = [_post("2025-11-20 18:00:05", "137", "NANANA COLA - ianasher", "hi #Cats #fyp"),
         _post("2025-11-21 07:30:00", "58"),
         _post("2025-11-22 10:00:00", "3", " - ", who="Only You")]
PRIVATE = {
    "Direct Message": {"Direct Messages": {"ChatHistory": {"Chat with x": [
        {"Date": "2025-01-01 00:00:00", "From": "x", "Content": "SECRET-DM-TEXT"}]}}},
    "Login History": {"LoginHistoryList": [{"Date": "2025-01-01", "IP": "203.0.113.77"}]},
    "Comment": {"Comments": {"CommentsList": [
        {"date": "2025-01-01", "comment": "SECRET-COMMENT"}]}},
}


def layout(kind: str) -> dict[str, object]:
    """A tiny full export in one of the three layouts of formats.md §1.2, with planted
    personal data that must never come out."""
    fans = [{"Date": "2025-10-01 09:31:12", "UserName": "fan_secret_one"},
            {"Date": "2025-10-02 09:31:12", "UserName": "fan_secret_two"}]
    following = [{"Date": "2025-11-14 19:13:26", "UserName": "followed_secret"}]
    profile = {"userName": "ana.bakes", "emailAddress": "secret@example.com",
               "likesReceived": "387", "birthDate": "17-Dec-2004"}
    searches = {"SearchList": [{"Date": "2025-01-01", "SearchTerm": "SECRET-SEARCH"}]}
    if kind == "old":
        return {"Activity": {"Follower List": {"FansList": fans},
                             "Following List": {"Following": following},
                             "Search History": searches},
                "Video": {"Videos": {"VideoList": POSTS},
                          "RecentlyDeletedPosts": {"PostList": [POSTS[0]]}},
                "Profile": {"Profile Information": {"ProfileMap": profile}},
                "Direct Messages": {"Chat History": {"ChatHistory": PRIVATE["Direct Message"]}},
                **{k: v for k, v in PRIVATE.items() if k != "Direct Message"}}
    if kind == "2025":
        return {"Your Activity": {"Follower": {"App": 1, "FansList": fans},
                                  "Following": {"Following": following}, "Searches": searches},
                "Post": {"Posts": {"VideoList": POSTS},
                         "Recently Deleted Posts": {"PostList": None}},
                "Profile": {"Profile Info": {"ProfileMap": profile}}, **PRIVATE}
    late = {**profile, "followerCount": 62, "followingCount": 122}
    return {"your activity": {"Searches": searches},
            "POST": {"posts": {"videolist": POSTS}},
            "Profile And Settings": {"Follower": {"FansList": fans},
                                     "Following": {"Following": None},
                                     "Profile Info": {"ProfileMap": late}},
            "Profile": {"Profile Info": {"ProfileMap": late}}, **PRIVATE}


def write_json(tmp_path: Path, data: object, name: str = "user_data_tiktok.json") -> Source:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return source_of(path)


def everything(result: AdapterResult) -> str:
    frames = [*result.tables().values(), result.rejected]
    return "\n".join([*(f.astype(str).to_csv() for f in frames), *result.notes])


@pytest.mark.parametrize(("kind", "followers", "following"),
                         [("old", 2, 1), ("2025", 2, 1), ("late", 62, 122)])
def test_every_layout_reads_posts_and_profile_counts(tmp_path: Path, kind: str, followers: int,
                                                     following: int) -> None:
    source = write_json(tmp_path, layout(kind))
    assert EXPORT.sniff(source, source.head())
    result = EXPORT.read(source, IngestContext(timezone="Europe/Lisbon"))
    assert_balanced(result)
    posts = result.posts.set_index("post_id")
    assert list(posts.index) == ["ts:1763661605", "ts:1763710200"]  # "Only You" skipped
    first = posts.loc["ts:1763661605"]
    assert first["posted_at"] == pd.Timestamp("2025-11-20 18:00:05", tz="UTC")
    assert (first["likes"], first["caption"], first["hashtags"]) == (137, "hi #Cats #fyp",
                                                                      ["cats", "fyp"])
    assert (first["sound_name"], first["sound_is_original"]) == ("NANANA COLA - ianasher", False)
    assert posts.loc["ts:1763710200", "sound_is_original"]
    assert set(result.posts["creator"]) == {"ana.bakes"}
    moment = pd.Timestamp("2025-11-27 09:30:15", tz="UTC")  # from the links' l= parameter
    assert (result.posts["collected_at"] == moment).all()
    # the Follower/Following lists add per-day counts (recommender.ingest.follows)
    profile = result.account_daily[~result.account_daily["metric"].isin(FOLLOW_METRICS)]
    account = profile.set_index("metric")["value"].to_dict()
    assert account == {"followers": followers, "following": following, "total_likes": 387}
    assert (profile["date"] == moment).all()
    listed = result.account_daily[result.account_daily["metric"] == "listed_followers_new"]
    assert listed["value"].sum() == 2  # the two dated entries of the fixture's FansList
    assert result.creators[["creator", "timezone"]].values.tolist() == [
        ["ana.bakes", "Europe/Lisbon"]]
    assert any("'Only You'" in note for note in result.notes)


@pytest.mark.parametrize("kind", ["old", "2025", "late"])
def test_no_personal_field_ever_leaves_the_adapter(tmp_path: Path, kind: str) -> None:
    result = EXPORT.read(write_json(tmp_path, layout(kind)), IngestContext())
    text = everything(result)
    for secret in SECRETS:
        assert secret not in text


def test_shared_posts_section_extract(tmp_path: Path) -> None:
    source = source_of(EXTRACT)
    assert EXPORT.sniff(source, source.head())
    with pytest.raises(InputError, match=r"user_data_posts_section\.json: .*pass --creator"):
        EXPORT.read(source, IngestContext())
    result = EXPORT.read(source, IngestContext(creator="@haileytupy2.0"))
    assert_balanced(result)
    assert (result.records_read, result.records_stored) == (6, 6)
    posts = result.posts.set_index("post_id")
    assert posts.loc["ts:1772290203", "sound_name"] == "Glamorous x This Girl - carneyval"
    assert posts.loc["ts:1772290070", "sound_is_original"]  # "som original - 4ldkk"
    assert posts["sound_is_original"].isna().sum() == 1  # Sound "N/A"
    assert posts.loc["ts:1770066508", "caption"] == "UGG Winter Sale ❄️🔥"
    assert int(posts["likes"].sum()) == 6
    assert (result.posts["collected_at"] == pd.Timestamp("2026-02-28 22:17:05", tz="UTC")).all()
    assert result.account_daily.empty and set(result.posts["creator"]) == {"haileytupy2.0"}


def test_zip_member_and_trailing_comma(tmp_path: Path) -> None:
    text = json.dumps(layout("2025"))[:-1] + ",}"  # geekbrownbear's stray comma
    archive = tmp_path / "TikTok_Data_123.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("user_data_tiktok.json", text)
    member = Source(name=f"{archive}:user_data_tiktok.json", zip_path=archive,
                    member="user_data_tiktok.json")
    result = EXPORT.read(member, IngestContext(creator="other"))
    assert len(result.posts) == 2 and set(result.posts["creator"]) == {"other"}


def test_collected_at_flag_wins_and_file_time_is_the_last_resort(tmp_path: Path) -> None:
    when = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    result = EXPORT.read(write_json(tmp_path, layout("old")), IngestContext(collected_at=when))
    assert (result.posts["collected_at"] == pd.Timestamp(when)).all()
    data = layout("2025")
    data["Post"]["Posts"]["VideoList"] = [  # type: ignore[index]
        {**p, "Link": "https://x.invalid/v.mp4"} for p in POSTS]
    source = write_json(tmp_path, data)
    result = EXPORT.read(source, IngestContext())
    assert (result.posts["collected_at"] == pd.Timestamp(source.modified_at())).all()


def test_unreadable_or_foreign_json_raises_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "user_data.json"
    bad.write_text('{"Post": {"Posts": ', encoding="utf-8")
    with pytest.raises(InputError, match=r"user_data\.json: not valid JSON \(line 1"):
        EXPORT.read(source_of(bad), IngestContext())
    with pytest.raises(InputError, match=r"user_data_tiktok\.json: no posts or profile found"):
        EXPORT.read(write_json(tmp_path, {"Ads and data": {}}), IngestContext(creator="x"))
    apify = tmp_path / "dataset.json"
    apify.write_text('[{"id": "1"}]', encoding="utf-8")
    assert not EXPORT.sniff(source_of(apify), apify.read_bytes())


def test_helpers_follow_the_documented_rules() -> None:
    assert export_moment([LINK + "\n" + LINK.replace("2025112709", "2025112810")]) == datetime(
        2025, 11, 28, 10, 30, 15, tzinfo=timezone.utc)
    assert export_moment(["https://x/y?l=garbage"]) is None
    for sound in ("original sound - a", "Som original - b", "sonido original - c",
                  "son original - d", "Originalton - e"):
        assert sound_is_original(sound) is True
    assert sound_is_original("Song - Artist") is False and sound_is_original(None) is None


def test_txt_posts_with_profile_info_sibling(tmp_path: Path) -> None:
    posts = tmp_path / "Posts.txt"
    posts.write_text("Date: 2019-12-07 11:01:04\nVideo Link: http://video-va.musical.ly/a\n"
                     "Like(s): 29\n\nDate: not a date\nVideo Link: http://b\nLike(s): 3\n\n"
                     "Date: 2019-12-08 11:01:04\nVideo Link: http://c\nLike(s): 1.2K\n",
                     encoding="utf-8")
    profile = tmp_path / "Profile Info.txt"
    profile.write_text("Username: ana.bakes\nEmail: secret@example.com\n", encoding="utf-8")
    source = source_of(posts)
    assert TXT.sniff(source, source.head()) and not EXPORT.sniff(source, source.head())
    with pytest.raises(InputError, match=r"Posts\.txt: cannot tell whose posts"):
        TXT.read(source, IngestContext())
    result = TXT.read(source, IngestContext(siblings=(source, source_of(profile))))
    assert_balanced(result)
    assert result.posts["likes"].tolist() == [29, 1200]
    assert set(result.posts["creator"]) == {"ana.bakes"}
    assert result.rejected[["row", "field"]].values.tolist() == [[2, "Date"]]
    assert "secret@example.com" not in everything(result)


_value = st.one_of(st.none(), st.integers(-3, 10**6), st.floats(allow_nan=True),
                   st.booleans(), st.text(max_size=12), st.lists(st.integers(), max_size=2),
                   st.sampled_from(["2025-11-20 18:00:05", "N/A", "None", "1.2K", "-4", ""]))
_item = st.one_of(
    st.fixed_dictionaries({"Date": _value, "Likes": _value},
                          optional={"Sound": _value, "Title": _value, "WhoCanView": _value,
                                    "Link": _value}),
    _value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.one_of(st.none(), st.lists(_item, max_size=10)),
       fans=st.one_of(st.none(), st.lists(st.just({"UserName": "fan_secret_one"}), max_size=3)),
       count=_value)
def test_property_malformed_records_never_break_the_books(
        tmp_path_factory: pytest.TempPathFactory, items: object, fans: object,
        count: object) -> None:
    data = {"Your Activity": {"Follower": {"FansList": fans}},
            "Post": {"Posts": {"VideoList": items}},
            "Profile": {"Profile Info": {"ProfileMap": {"userName": "ana",
                                                        "followerCount": count}}},
            **PRIVATE}
    result = EXPORT.read(write_json(tmp_path_factory.mktemp("p"), data), IngestContext())
    assert_balanced(result)
    text = everything(result)
    assert not any(secret in text for secret in SECRETS)


def test_the_full_shared_posts_section() -> None:
    path = SHARED / "user_data_posts_section.json"
    if not path.exists():
        pytest.skip("the shared real data is not available here")
    result = EXPORT.read(source_of(path), IngestContext(creator="haileytupy2.0"))
    assert_balanced(result)
    assert (result.records_read, result.records_stored, len(result.rejected)) == (1000, 1000, 0)
    posts = result.posts
    assert posts["post_id"].is_unique and int(posts["likes"].sum()) == 880
    assert (posts["posted_at"].min(), posts["posted_at"].max()) == (
        pd.Timestamp("2026-01-22 20:00:27", tz="UTC"), pd.Timestamp("2026-02-28 14:50:03",
                                                                     tz="UTC"))
    assert int(posts["sound_is_original"].sum()) == 758 and posts["caption"].notna().sum() == 8
    assert (posts["collected_at"] == pd.Timestamp("2026-02-28 22:17:05", tz="UTC")).all()
