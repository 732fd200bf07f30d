"""Writing a synthetic data set in the real export formats the ingest layer reads.

Layout under ``directory``::

    dataset_tiktok-scraper_<collected, YYYY-MM-DD_HH-MM-SS-mmm>.json   Apify clockworks items
    trends.csv                                    date,kind,name,rank,score,region (daily lists)
    creators.csv                                  creator,timezone
    studio/Followers_<handle>.zip                 Studio "Followers" download (formats.md §2.1):
                                                  FollowerActivity.csv + FollowerHistory.csv

Apify datasets carry no scrape time inside the items: the download's file name holds it (the
Apify console names downloads ``dataset_<actor>_<timestamp>.json``) and every file's mtime
is set to ``collected_at`` as well, so adapters that fall back to file time get it right.
What the formats lose (by design, as the real ones do): Apify ``authorMeta.fans`` is the
follower count at scrape time, not at each post; the trend CSV has no entity ids.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from recommender.datasets import SyntheticData

TREND_HEADER = ("date", "kind", "name", "rank", "score", "region")
ACTIVITY_HEADER = ("Date", "Hour", "Active followers")
HISTORY_HEADER = ("Date", "Followers", "Difference in followers from previous day")


def write_sample(data: SyntheticData, directory: str | os.PathLike[str]) -> list[Path]:
    """Write ``data`` as real export files under ``directory``; return the paths written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    moment = data.collected_at
    stamp = moment.strftime("%Y-%m-%d_%H-%M-%S-") + f"{moment.microsecond // 1000:03d}"
    written = [
        _write_text(root / f"dataset_tiktok-scraper_{stamp}.json", apify_json(data)),
        _write_text(root / "trends.csv", trends_csv(data.trends)),
        _write_text(root / "creators.csv", _csv(("creator", "timezone"),
                    data.creators[["creator", "timezone"]].astype(str).to_numpy().tolist())),
    ]
    (root / "studio").mkdir(exist_ok=True)
    for creator in data.creators["creator"].astype(str):
        activity = data.follower_activity[data.follower_activity["creator"] == creator]
        history = data.account_daily[(data.account_daily["creator"] == creator)
                                     & (data.account_daily["metric"] == "followers")]
        # Studio names the download after the handle; that is how the ingest layer knows
        # whose account these header-only-dated files describe.
        members = {"FollowerActivity.csv": activity_csv(activity),
                   "FollowerHistory.csv": history_csv(history)}
        zip_path = root / "studio" / f"Followers_{creator}.zip"
        written.append(_write_zip(zip_path, members, moment))
    for path in written:
        os.utime(path, (moment.timestamp(), moment.timestamp()))
    return written


def apify_json(data: SyntheticData) -> str:
    """The posts as a clockworks dataset: a JSON list, one item per line."""
    truth = data.effects.creators.set_index("creator")
    accounts = _account_totals(data)
    items = [_apify_item(post, truth.loc[post.creator], accounts[post.creator])
             for post in data.posts.itertuples(index=False)]
    return "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n]\n"


def _account_totals(data: SyntheticData) -> dict[str, dict[str, int]]:
    """Profile counters as a scrape at collected_at shows them (the same on every item)."""
    posts, daily = data.posts, data.account_daily
    out: dict[str, dict[str, int]] = {}
    for row in data.effects.creators.itertuples(index=False):
        mine = posts[posts["creator"] == row.creator]
        fans = daily[(daily["creator"] == row.creator) & (daily["metric"] == "followers")]
        likes = mine["likes"].astype("float64")
        prior_likes = int(row.prior_videos) * (float(likes.median()) if len(likes) else 0.0)
        out[row.creator] = {
            "fans": int(fans["value"].iloc[-1]) if len(fans) else int(row.followers_start),
            "heart": int(likes.sum() + prior_likes),
            "video": int(row.prior_videos) + len(mine),
        }
    return out


def _apify_item(post, creator: pd.Series, account: dict[str, int]) -> dict[str, object]:
    handle = str(post.creator)
    posted = pd.Timestamp(post.posted_at)
    original = bool(post.sound_is_original)
    artist = handle if original else str(post.sound_name).rsplit(" - ", 1)[-1]
    return {
        "id": str(post.post_id),
        "text": str(post.caption),
        "textLanguage": "en",
        "createTime": int(posted.timestamp()),
        "createTimeISO": posted.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "isAd": False,
        "authorMeta": {
            "id": str(creator["creator_id"]), "name": handle,
            "verified": False,
            "following": int(creator["following"]), "fans": account["fans"],
            "heart": account["heart"], "video": account["video"],
        },
        "musicMeta": {"musicName": str(post.sound_name), "musicAuthor": artist,
                      "musicOriginal": original, "musicId": str(post.sound_id)},
        "webVideoUrl": f"https://www.tiktok.com/@{handle}/video/{post.post_id}",
        "videoMeta": {"height": 1024, "width": 576, "duration": int(post.duration_s)},
        "diggCount": int(post.likes), "shareCount": int(post.shares),
        "playCount": int(post.views), "collectCount": int(post.saves),
        "commentCount": int(post.comments),
        "mentions": [],
        "hashtags": [{"name": tag} for tag in post.hashtags],
        "isSlideshow": False, "isPinned": False,
        "input": handle, "fromProfileSection": True,
    }


def trends_csv(trends: pd.DataFrame) -> str:
    rows = [[d.strftime("%Y-%m-%d"), k, n, str(int(r)), f"{s:.1f}", g]
            for d, k, n, r, s, g in trends[list(TREND_HEADER)].itertuples(index=False)]
    return _csv(TREND_HEADER, rows)


def activity_csv(activity: pd.DataFrame) -> bytes:
    rows = [[_studio_date(d), str(int(h)), str(int(v))] for d, h, v in
            activity[["date", "hour", "active_followers"]].itertuples(index=False)]
    return _studio_bytes(ACTIVITY_HEADER, rows)


def history_csv(history: pd.DataFrame) -> bytes:
    """FollowerHistory as exported, with TikTok's difference column (the forward difference,
    mislabelled "from previous day"; formats.md §2.3; the last day has none, so 0)."""
    values = history["value"].astype("int64").tolist()
    diffs = [b - a for a, b in zip(values, values[1:])] + [0]
    rows = [[_studio_date(d), str(v), str(x)]
            for d, v, x in zip(history["date"], values, diffs)]
    return _studio_bytes(HISTORY_HEADER, rows)


def _studio_date(day: pd.Timestamp) -> str:
    """English Studio date: month name and day, no year, no zero padding ("June 30")."""
    return f"{day.strftime('%B')} {day.day}"


def _studio_bytes(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    # Studio files: UTF-8 BOM, every field quoted, \n line endings, no trailing newline.
    lines = [",".join(f'"{field}"' for field in line) for line in [list(header), *rows]]
    return b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8")


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_zip(path: Path, members: dict[str, bytes], moment: pd.Timestamp) -> Path:
    """A Studio-style ZIP: entries at the root, stored uncompressed, fixed timestamps (so the
    bundled sample is byte-for-byte reproducible)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, payload in members.items():
            info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
            archive.writestr(info, payload)
    return path


def _write_text(path: Path, text: str) -> Path:
    return _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path
