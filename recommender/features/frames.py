"""Posts and queries as one normalised frame type (``store_side`` adds the integer keys).

Both sides go through the same functions so a hypothetical post is featurised exactly like a
stored one: ``creator``, ``t`` (UTC ns), ``caption``, ``hashtags`` (lists), ``sound_code``
(-1: no shared sound, e.g. an original sound), ``sound_is_original``, ``duration_s``, and
for stored posts ``outcome`` (history outcome), ``followers``, ``following``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, object_codes, pair_codes
from recommender.features.config import FeatureConfig
from recommender.features.context import floats, history_outcome, to_ns
from recommender.store import post_keys

_SPLIT = re.compile(r"[\s,;]+")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([pd.NA] * len(frame), index=frame.index, dtype="object")


def base_frame(src: pd.DataFrame) -> pd.DataFrame:
    """The attributes of posts / queries that features read (positional index)."""
    name = _column(src, "sound_name").astype("string")
    original = _column(src, "sound_is_original").astype("boolean")
    # Exports without the flag still say "original sound - <creator>" in the name.
    named_original = name.str.strip().str.lower().str.startswith("original sound")
    original = original.fillna(named_original.where(named_original, pd.NA)).astype("boolean")
    # Text columns stay Arrow-backed: a trip through NumPy objects and back costs ~0.1 s
    # per column and million rows, each way.
    return pd.DataFrame({
        "creator": _column(src, "creator").astype("string").array,
        "t": to_ns(_column(src, "posted_at")),
        "caption": _column(src, "caption").astype("string").array,
        "hashtags": _column(src, "hashtags").to_numpy(dtype="object"),
        "sound_id": _column(src, "sound_id").astype("string").array,
        "sound_name": name.array,
        "sound_is_original": original.astype("Float64").to_numpy(dtype="float64",
                                                                   na_value=np.nan),
        "duration_s": floats(_column(src, "duration_s")),
    })


def post_frame(posts: pd.DataFrame, config: FeatureConfig,
               hidden: pd.MultiIndex | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stored posts with a time, sorted by time (ties: creator, post id), plus history
    columns; and the matching rows of the canonical table in the same order. Posts whose
    ``store.post_keys`` are in ``hidden`` contribute no outcome to any feature."""
    timed = posts["posted_at"].notna().to_numpy()
    posts = _time_order(posts if timed.all() else posts[timed])
    frame = base_frame(posts)
    frame["outcome"] = history_outcome(posts, config)
    if hidden is not None and len(hidden):
        frame.loc[post_keys(posts).isin(hidden), "outcome"] = np.nan
    followers = floats(posts["followers_at_post"])
    frame["followers"] = np.where(_snapshot(posts, "followers_at_post"), np.nan, followers)
    # Following is left as read: it hardly moves with the creator's outcomes.
    frame["following"] = floats(posts["following_at_post"])
    return frame, posts.reset_index(drop=True)


SNAPSHOT_SPAN_DAYS = 1.0


def _snapshot(posts: pd.DataFrame, name: str) -> np.ndarray:
    """Rows whose ``name`` count (followers) is the profile read at collection, copied
    onto every post of that scrape (scrapers' authorMeta.fans, a CSV's author_followers),
    not a reading at the post's time: one value for all the creator's posts of one
    collection, over posts more than SNAPSHOT_SPAN_DAYS apart (a count at the post moves).
    Read at the post's time, it would give every earlier post the audience its later
    posts won. Ingest stores that reading at ``collected_at`` too (``account_daily``),
    where it belongs."""
    value = floats(posts[name])
    keys = [posts["creator"].astype(str).to_numpy(), to_ns(posts["collected_at"])]
    frame = pd.DataFrame({"a": keys[0], "b": keys[1], "v": value, "t": to_ns(
        posts["posted_at"]) / 86_400e9})
    group = frame.groupby(["a", "b"], sort=False, dropna=False)
    one_value = (group["v"].transform("nunique") == 1) & (group["v"].transform("count")
                                                          == group["v"].transform("size"))
    span = group["t"].transform("max") - group["t"].transform("min")
    return (one_value & (span > SNAPSHOT_SPAN_DAYS) & np.isfinite(value)).to_numpy()


def time_order(frame: pd.DataFrame) -> np.ndarray:
    """The permutation that puts ``frame``'s rows by time, tied times by creator and post
    id, so a table does not depend on the store's row order. Worked out on integer codes
    (only the few tied rows pay for the string ordering)."""
    t = to_ns(frame["posted_at"])
    order = np.argsort(t, kind="stable")
    t_sorted = t[order]
    tied = np.zeros(len(t), dtype=bool)
    tied[1:] = t_sorted[1:] == t_sorted[:-1]
    tied[:-1] |= tied[1:]
    if tied.any():
        rows = order[tied]
        creator = pd.factorize(frame["creator"].to_numpy(dtype=object)[rows], sort=True)[0]
        post_id = pd.factorize(frame["post_id"].to_numpy(dtype=object)[rows], sort=True)[0]
        order[tied] = rows[np.lexsort((post_id, creator, t[rows]))]
    return order


def _time_order(posts: pd.DataFrame) -> pd.DataFrame:
    """Posts in ``time_order``, the frame taken once."""
    order = time_order(posts)
    if (order == np.arange(len(order))).all():  # the store keeps posts in this order
        return posts
    return posts.iloc[order]


def query_frame(queries: pd.DataFrame) -> pd.DataFrame:
    """Hypothetical posts; hashtags may be lists, tuples or "#a #b" strings."""
    frame = base_frame(queries)
    frame["hashtags"] = _shared_tag_lists(frame["hashtags"].to_numpy(dtype="object"))
    return frame


def _shared_tag_lists(values: np.ndarray) -> np.ndarray:
    """Parsed tag lists; each distinct value is parsed once and the lists are shared
    (read-only). Candidate grids and plans repeat a few tag sets many times, often as the
    very same object, so values are first grouped by identity (cheap for a million rows)."""
    codes = object_codes(values)
    first = first_positions(codes)
    by_value: dict[object, list[str]] = {}
    parsed = np.empty(len(first), dtype="object")
    for i, value in enumerate(values[first]):
        try:
            key = value if isinstance(value, str) else tuple(value)
            parsed[i] = by_value.setdefault(key, _tag_list(value))
        except TypeError:  # not iterable / not hashable: parse it on its own
            parsed[i] = _tag_list(value)
    return parsed[codes]


def _tag_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = _SPLIT.split(value)
    elif not isinstance(value, (list, tuple, np.ndarray)):
        return []
    tags = (str(v).strip().lstrip("#").lower() for v in value)
    return [t for t in tags if t]


def id_to_key(posts: pd.DataFrame, keys: np.ndarray, asked: pd.Series | None
              ) -> dict[str, str]:
    """Sound id (of those ``asked`` about; None: every id) -> the key (name) most stored
    posts with that id carry."""
    ids = posts["sound_id"].astype("string")
    wanted = (ids.notna() if asked is None
              else ids.isin(set(asked.dropna().astype(str).str.strip()))).fillna(False)
    wanted = wanted.to_numpy(dtype=bool)
    pairs = pd.DataFrame({"id": ids[wanted].astype("object").to_numpy(),
                          "key": keys[wanted]}).dropna()
    if pairs.empty:
        return {}
    top = pairs.groupby(["id", "key"]).size().sort_values(kind="stable").groupby(
        level="id").tail(1)
    return dict(top.index.tolist())


def distinct_sound_keys(rows: pd.DataFrame, id_map: dict[str, str]) -> np.ndarray:
    """``sound_keys`` of queries, worked out once per distinct (id, name, original)
    (plans and candidate grids repeat a few sounds)."""
    ids, names = rows["sound_id"], rows["sound_name"]
    original = rows["sound_is_original"].to_numpy()
    codes = pair_codes(pair_codes(ids, names), original)
    first = first_positions(codes)
    keys = sound_keys(ids.iloc[first], names.iloc[first], original[first], id_map)
    return keys[codes]


def sound_keys(ids: pd.Series, names: pd.Series, original: np.ndarray,
               id_map: dict[str, str] | None = None) -> np.ndarray:
    """"name:<lower name>", else the id's stored name, else "id:<id>"; None for an
    original sound (unique to its post) or no sound at all."""
    ids = pd.Series(ids, dtype="string").str.strip().replace("", pd.NA).reset_index(drop=True)
    names = pd.Series(names, dtype="string").str.strip().str.lower().replace("", pd.NA)
    keys = ("name:" + names.reset_index(drop=True)).astype("object")
    if id_map:
        keys = keys.where(keys.notna(), ids.astype("object").map(id_map))
    keys = keys.where(keys.notna(), ("id:" + ids).astype("object"))
    keys = keys.where(np.asarray(original) != 1.0, None)
    return keys.where(keys.notna(), None).to_numpy(dtype="object")
