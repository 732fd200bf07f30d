"""Posts and queries as one normalised frame type, plus the shared integer keys.

Both sides go through the same functions so a hypothetical post is featurised exactly like a
stored one: ``creator``, ``t`` (UTC ns), ``caption``, ``hashtags`` (lists), ``sound_code``
(-1: no shared sound, e.g. an original sound), ``sound_is_original``, ``duration_s``, and
for stored posts ``outcome`` (history outcome), ``followers``, ``following``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, pair_codes
from recommender.features.config import BROAD_HASHTAGS, FeatureConfig
from recommender.features.context import (
    Context,
    Tags,
    explode_shared_tags,
    explode_tags,
    floats,
    history_outcome,
    to_ns,
)
from recommender.store import StoreData, post_keys

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
    frame["followers"] = floats(posts["followers_at_post"])
    frame["following"] = floats(posts["following_at_post"])
    return frame, posts.reset_index(drop=True)


def _time_order(posts: pd.DataFrame) -> pd.DataFrame:
    """Posts by time; tied times by creator and post id, so the table does not depend on
    the store's row order. The permutation is worked out on integer codes first (only the
    few tied rows pay for the string ordering), then the frame is taken once."""
    t = to_ns(posts["posted_at"])
    order = np.argsort(t, kind="stable")
    t_sorted = t[order]
    tied = np.zeros(len(t), dtype=bool)
    tied[1:] = t_sorted[1:] == t_sorted[:-1]
    tied[:-1] |= tied[1:]
    if tied.any():
        rows = order[tied]
        creator = pd.factorize(posts["creator"].to_numpy(dtype=object)[rows], sort=True)[0]
        post_id = pd.factorize(posts["post_id"].to_numpy(dtype=object)[rows], sort=True)[0]
        order[tied] = rows[np.lexsort((post_id, creator, t[rows]))]
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
    ids = np.fromiter(map(id, values), dtype=np.uint64, count=len(values))
    codes, _ = pd.factorize(ids)
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


def build_context(data: StoreData, queries: pd.DataFrame | None,
                  config: FeatureConfig, hidden: pd.MultiIndex | None = None) -> Context:
    """Normalise everything once; ``queries=None`` featurises the posts themselves.
    ``hidden``: ``store.post_keys`` of posts whose outcomes no feature may see."""
    posts, source = post_frame(data.posts, config, hidden)
    rows = posts if queries is None else query_frame(queries)
    both = posts["creator"] if queries is None else pd.concat(
        [posts["creator"], rows["creator"]], ignore_index=True)
    keys, creators = pd.factorize(both)
    codes = {str(c): i for i, c in enumerate(creators)}
    posts["ckey"] = keys[: len(posts)].astype("int64")
    if queries is not None:
        rows["ckey"] = keys[len(posts):].astype("int64")
    wanted = [str(creators[k]) for k in pd.unique(rows["ckey"].to_numpy()) if k >= 0]
    # For training, local and queries are the very same frame, so state built for one
    # (ctx.cached, keyed by ``frame is ctx.local``) serves both.
    local = (posts if queries is None
             else posts[posts["creator"].isin(wanted)].reset_index(drop=True))
    tags = _tag_codes(posts, rows, data.trends, same=queries is None)
    sound_codes = _sound_codes(posts, rows, data.trends, same=queries is None)
    local_tags = tags["posts"] if queries is None else _subset_tags(tags["posts"], posts, wanted)
    return Context(
        config=config, data=data, source=source, posts=posts, local=local, queries=rows,
        creator_codes=codes, query_creators=[str(c) for c in wanted],
        post_tags=tags["posts"], local_tags=local_tags, query_tags=tags["rows"],
        tag_names=tags["names"], fixed_broad=tags["broad"], sound_keys=sound_codes["vocab"],
        trend_codes=np.where(data.trends["kind"].eq("hashtag").fillna(False).to_numpy(),
                             tags["trends"], sound_codes["trends"]),
    )


def _subset_tags(tags: Tags, posts: pd.DataFrame, wanted: list[str]) -> Tags:
    mask = posts["creator"].isin(wanted).to_numpy()
    new_row = np.cumsum(mask) - 1
    keep = mask[tags.row]
    return Tags(row=new_row[tags.row[keep]], code=tags.code[keep])


def _tag_codes(posts: pd.DataFrame, rows: pd.DataFrame, trends: pd.DataFrame,
               same: bool) -> dict:
    """One tag vocabulary over posts, queries and hashtag trend lists."""
    p_row, p_tags = explode_tags(posts["hashtags"])
    q_row, q_at, q_tags = ((p_row, None, []) if same
                           else explode_shared_tags(rows["hashtags"]))
    names = trends["name"].astype("string").fillna("").str.strip().str.lstrip("#").str.lower()
    values = np.array(p_tags + q_tags + names.tolist(), dtype="object")
    codes, vocab = pd.factorize(values)
    p_code = codes[: len(p_tags)]
    q_code = p_code if same else codes[len(p_tags): len(p_tags) + len(q_tags)][q_at]
    vocab = np.asarray(vocab, dtype="object")
    return {
        "posts": Tags(p_row, p_code), "rows": Tags(q_row, q_code),
        "trends": codes[len(p_tags) + len(q_tags):], "names": vocab,
        "broad": np.isin(vocab, list(BROAD_HASHTAGS)),
    }


def _sound_codes(posts: pd.DataFrame, rows: pd.DataFrame, trends: pd.DataFrame,
                 same: bool) -> dict:
    """Integer sound keys shared by posts, queries and sound trend lists (-1: none).

    A stored post's sound is its normalised name where known, else its id: a post's key
    depends on that post alone, so adding posts never changes an earlier post's features.
    Queries and trend rows with only an id borrow the name stored posts give that id."""
    p_keys = _sound_keys(posts["sound_id"], posts["sound_name"], posts["sound_is_original"])
    is_sound = trends["kind"].eq("sound").fillna(False).to_numpy()
    # Only ids that something asks about need a name (for training: the trend rows' ids).
    asked = trends.loc[is_sound, "entity_id"] if same else pd.concat(
        [trends.loc[is_sound, "entity_id"], rows["sound_id"]])
    id_map = _id_to_key(posts, p_keys, asked)
    q_keys = p_keys if same else _distinct_sound_keys(rows, id_map)
    t_keys = _sound_keys(trends["entity_id"].where(is_sound), trends["name"].where(is_sound),
                         np.zeros(len(trends)), id_map)
    codes, vocab = pd.factorize(np.concatenate([p_keys, q_keys, t_keys]))
    n_p, n_q = len(p_keys), len(q_keys)
    posts["sound_code"] = codes[:n_p]
    rows["sound_code"] = codes[:n_p] if same else codes[n_p: n_p + n_q]
    return {"trends": codes[n_p + n_q:], "vocab": np.asarray(vocab, dtype="object")}


def _id_to_key(posts: pd.DataFrame, keys: np.ndarray, asked: pd.Series) -> dict[str, str]:
    """Sound id (of those ``asked`` about) -> the key (name) most stored posts with that id
    carry."""
    ids = posts["sound_id"].astype("string")
    wanted = ids.isin(set(asked.dropna().astype(str).str.strip())).fillna(False).to_numpy(
        dtype=bool)
    pairs = pd.DataFrame({"id": ids[wanted].astype("object").to_numpy(),
                          "key": keys[wanted]}).dropna()
    if pairs.empty:
        return {}
    top = pairs.groupby(["id", "key"]).size().sort_values(kind="stable").groupby(
        level="id").tail(1)
    return dict(top.index.tolist())


def _distinct_sound_keys(rows: pd.DataFrame, id_map: dict[str, str]) -> np.ndarray:
    """``_sound_keys`` of queries, worked out once per distinct (id, name, original)
    (plans and candidate grids repeat a few sounds)."""
    ids, names = rows["sound_id"], rows["sound_name"]
    original = rows["sound_is_original"].to_numpy()
    codes = pair_codes(pair_codes(ids, names), original)
    first = first_positions(codes)
    keys = _sound_keys(ids.iloc[first], names.iloc[first], original[first], id_map)
    return keys[codes]


def _sound_keys(ids: pd.Series, names: pd.Series, original: np.ndarray,
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
