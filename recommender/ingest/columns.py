"""Recognising a post table's columns by what their names say, beyond the exact aliases.

Real tables name the same thing many ways (``Upload Date``, ``n_views``, ``likesCount``,
``hashtag_list``, ``tiktok_id``). After the exact aliases (``generic.ALIASES``), each
canonical field still unmatched takes the first remaining column whose normalised name
(lower case, letters and digits only) contains one of the field's words and none of its
exclusions. Profile fields go first, so ``user_likes_count`` is the creator's total likes,
not the post's. ``--column`` overrides every guess.
"""

from __future__ import annotations

# field -> (words, exclusions); order matters: the first field to claim a column keeps it.
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("collected_at", ("collected", "scraped", "fetched", "crawled", "collection", "retrieved",
                      "downloaded"), ()),
    ("followers_at_post", ("follower", "fans"), ("following",)),
    ("following_at_post", ("following",), ()),
    ("total_likes", ("userlike", "authorlike", "profilelike", "totallike", "userheart",
                     "authorheart", "totalheart", "userdigg", "authordigg"), ()),
    ("total_videos", ("uservideo", "authorvideo", "profilevideo", "totalvideo", "videocount",
                      "videosposted"), ("view", "duration")),
    ("url", ("url", "link", "permalink"), ("cover", "music", "sound", "avatar", "thumb",
                                           "author", "profile", "user")),
    ("post_id", ("videoid", "postid", "itemid", "awemeid", "tiktokid", "clipid", "mediaid"),
     ("user", "author", "music", "sound", "creator", "playlist", "effect", "hashtag")),
    ("sound_id", ("musicid", "soundid", "audioid", "songid"), ()),
    ("sound_name", ("musicname", "musictitle", "soundname", "soundtitle", "songname",
                    "songtitle", "audioname", "audiotitle"), ()),
    ("duration_s", ("duration", "length", "videolen"), ("music", "sound", "caption", "text")),
    ("posted_at", ("createtime", "createdate", "createdat", "created", "posted", "published",
                   "publish", "upload", "posttime", "postdate", "datetime", "date", "time"),
     ("collect", "scrap", "fetch", "crawl", "download", "update", "duration", "edit")),
    ("creator", ("author", "username", "user", "creator", "account", "handle", "channel",
                 "uniqueid", "owner", "uploader"),
     ("follow", "like", "heart", "digg", "total", "verified", "region", "bio", "number",
      "avatar", "signature", "nickname", "video", "url", "link")),
    ("hashtags", ("hashtag", "tags", "challenge"), ("count",)),
    ("caption", ("caption", "description", "desc", "text", "title", "content"),
     ("voice", "music", "sound", "song", "author", "user", "hashtag", "sticker")),
    ("views", ("view", "play"), ("profile", "user", "author", "music", "sound", "playlist")),
    ("likes", ("like", "digg", "heart"), ("user", "author", "profile", "total")),
    ("comments", ("comment",), ("user", "author", "text", "disabled", "setting")),
    ("shares", ("share",), ("url", "link", "user", "author", "enabled", "setting")),
    ("saves", ("save", "collect", "favorit", "favourit", "bookmark"),
     ("collected", "collection", "time", "date", "user", "author")),
)


def guess(keys: dict[str, str], chosen: dict[str, str]) -> dict[str, str]:
    """``keys``: normalised name -> the file's column. Returns field -> column guesses for
    the fields ``chosen`` (exact aliases) left open, never reusing a chosen column."""
    taken = set(chosen.values())
    guessed: dict[str, str] = {}
    for field, words, exclusions in RULES:
        if field in chosen:
            continue
        for name, column in keys.items():
            if column in taken:
                continue
            if any(w in name for w in words) and not any(x in name for x in exclusions):
                guessed[field] = column
                taken.add(column)
                break
    return guessed
