"""The store's side of featurising, built once and shared by every batch of queries.

A ``StoreSide`` holds what features depend on apart from the rows themselves: the
normalised posts, the posts of the creators to be queried, the creator / tag / sound
vocabularies of the store and its trend lists, and a cache of the state tables built from
them (``Context.store_cached``). ``featurize`` builds one per call; a large plan scored in
parts builds one for all its creators (``store_side(..., creators=...)``) and featurises each
part against it, so the store's work is done once and every part sees the very context one
pass over the whole plan would.

Codes are positions in the store's vocabularies (posts first, then trend lists), so they
do not depend on the batch; a batch's tags and sounds the store never saw get codes after
those, numbered within the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recommender.features.config import BROAD_HASHTAGS, FeatureConfig
from recommender.features.context import Context, Tags, explode_shared_tags, explode_tags
from recommender.features.frames import (
    distinct_sound_keys,
    id_to_key,
    post_frame,
    query_frame,
    sound_keys,
)
from recommender.store import StoreData


@dataclass
class StoreSide:
    config: FeatureConfig
    data: StoreData
    posts: pd.DataFrame  # normalised, by time, with ``ckey`` and ``sound_code``
    source: pd.DataFrame  # the canonical posts table, rows in ``posts`` order
    local: pd.DataFrame  # posts of the queried creators
    creators: pd.Index  # creator vocabulary: ckey = position
    creator_codes: dict[str, int]  # the same as a mapping
    query_creators: list[str]
    post_tags: Tags
    local_tags: Tags
    tags: pd.Index  # tag vocabulary (posts' tags, then trend lists'): code = position
    sounds: pd.Index  # sound key vocabulary, likewise
    trend_codes: np.ndarray  # trend row -> tag or sound code (-1: unmatched)
    id_map: dict[str, str]  # sound id -> the key stored posts give it
    cache: dict[str, Any] = field(default_factory=dict)


def store_side(data: StoreData, config: FeatureConfig, hidden: pd.MultiIndex | None = None,
               creators: Iterable[str] | None = None) -> StoreSide:
    """``creators``: those of the rows to featurise; None featurises the posts themselves
    (training). ``hidden``: ``store.post_keys`` of posts whose outcomes no feature may see."""
    posts, source = post_frame(data.posts, config, hidden)
    asked = pd.Series([] if creators is None else list(creators), dtype="string")
    keys, vocab = pd.factorize(pd.concat([posts["creator"], asked], ignore_index=True))
    posts["ckey"] = keys[: len(posts)].astype("int64")
    wanted = [str(c) for c in (vocab if creators is None else asked.dropna().unique())]
    local = (posts if creators is None
             else posts[posts["creator"].isin(wanted)].reset_index(drop=True))
    p_row, p_tags = explode_tags(posts["hashtags"])
    trends = data.trends
    names = trends["name"].astype("string").fillna("").str.strip().str.lstrip("#").str.lower()
    tag_codes, tag_vocab = pd.factorize(np.array(p_tags + names.tolist(), dtype="object"))
    post_tags = Tags(p_row, tag_codes[: len(p_tags)])
    is_sound = trends["kind"].eq("sound").fillna(False).to_numpy()
    p_keys = sound_keys(posts["sound_id"], posts["sound_name"], posts["sound_is_original"])
    # Training asks only about the trend rows' ids; queries may carry any stored id.
    id_map = id_to_key(posts, p_keys, trends.loc[is_sound, "entity_id"]
                       if creators is None else None)
    t_keys = sound_keys(trends["entity_id"].where(is_sound), trends["name"].where(is_sound),
                        np.zeros(len(trends)), id_map)
    sound_codes, sound_vocab = pd.factorize(np.concatenate([p_keys, t_keys]))
    posts["sound_code"] = sound_codes[: len(p_keys)]
    return StoreSide(
        config=config, data=data, posts=posts, source=source, local=local,
        creators=pd.Index(vocab), creator_codes={str(c): i for i, c in enumerate(vocab)},
        query_creators=wanted, post_tags=post_tags,
        local_tags=post_tags if creators is None else _subset_tags(post_tags, posts, wanted),
        tags=pd.Index(tag_vocab, dtype="object"), sounds=pd.Index(sound_vocab, dtype="object"),
        trend_codes=np.where(trends["kind"].eq("hashtag").fillna(False).to_numpy(),
                             tag_codes[len(p_tags):], sound_codes[len(p_keys):]),
        id_map=id_map,
    )


def build_context(data: StoreData, queries: pd.DataFrame | None, config: FeatureConfig,
                  hidden: pd.MultiIndex | None = None, side: StoreSide | None = None
                  ) -> Context:
    """Normalise everything once; ``queries=None`` featurises the posts themselves.
    ``side``: the store's side, built for (at least) these queries' creators; None builds
    it for this call."""
    if side is None:
        creators = None if queries is None else query_frame_creators(queries)
        side = store_side(data, config, hidden, creators)
    elif side.data is not data or side.config != config:
        raise ValueError("featurize: the store side was built for another store or config")
    if queries is None:
        rows, query_tags = side.posts, side.post_tags
        tag_names, sound_names = side.tags.to_numpy(), side.sounds.to_numpy()
    else:
        rows = query_frame(queries)
        rows["ckey"] = side.creators.get_indexer(rows["creator"]).astype("int64")
        unknown = rows["creator"].notna().to_numpy() & (rows["ckey"].to_numpy() < 0)
        if unknown.any():
            raise ValueError(f"featurize: creator {rows['creator'][unknown].iloc[0]!r} is "
                             "not among those the store side was built for")
        q_row, q_at, q_tags = explode_shared_tags(rows["hashtags"])
        q_code, tag_names = _codes(side.tags, np.array(q_tags, dtype="object"))
        query_tags = Tags(q_row, q_code[q_at])
        sound_code, sound_names = _codes(side.sounds, distinct_sound_keys(rows, side.id_map))
        rows["sound_code"] = sound_code
    return Context(
        config=config, data=data, source=side.source, posts=side.posts, local=side.local,
        queries=rows, creator_codes=side.creator_codes,
        query_creators=side.query_creators, post_tags=side.post_tags,
        local_tags=side.local_tags, query_tags=query_tags, tag_names=tag_names,
        fixed_broad=np.isin(tag_names, list(BROAD_HASHTAGS)), sound_keys=sound_names,
        trend_codes=side.trend_codes, store_cache=side.cache,
    )


def query_frame_creators(queries: pd.DataFrame) -> list[str]:
    """The distinct creators of ``queries``, as ``store_side(creators=...)`` wants them."""
    distinct = pd.Series(pd.unique(queries["creator"]))  # before any per-row conversion
    return [str(c) for c in pd.unique(distinct.astype("string").dropna())]


def _codes(vocab: pd.Index, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``values`` in ``vocab``; values it lacks get codes after it (None: -1).
    Returns the codes and the vocabulary they index."""
    codes = vocab.get_indexer(values) if len(values) else np.zeros(0, dtype=np.int64)
    missing = (codes < 0) & pd.notna(values)
    new, extra = pd.factorize(values[missing])
    codes[missing] = len(vocab) + new
    return codes.astype("int64"), np.concatenate([vocab.to_numpy(dtype=object),
                                                  np.asarray(extra, dtype=object)])


def _subset_tags(tags: Tags, posts: pd.DataFrame, wanted: list[str]) -> Tags:
    mask = posts["creator"].isin(wanted).to_numpy()
    new_row = np.cumsum(mask) - 1
    keep = mask[tags.row]
    return Tags(row=new_row[tags.row[keep]], code=tags.code[keep])
