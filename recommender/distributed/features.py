"""The training table built on a Dask cluster: per creator in partitions, the cross-creator
parts as aggregated tables broadcast to every partition.

The posts are split by creator (``store_parts.buckets_of``: whole creators per partition,
their side tables with them; the trend lists, small and global, go to every partition).
Three passes over the partitions, each a ``map`` of single-machine code on the workers:

1. each partition normalises its posts (``store_side``, kept on its worker) and returns
   its vocabulary: hashtag names, sound keys, and the (sound id, key) counts behind the
   trend lists' sound ids. The client unions them into the store's vocabularies (and the
   id -> key map: most posts win, ties as ``frames.id_to_key`` breaks them).
2. each partition re-codes its tags and sounds into those vocabularies and returns its
   cross-creator events, integers only: every tag use and sound use (code, time), each
   (tag, creator) pair's first use, each creator's first post. The client builds the
   count states from them (``context.cumulative_counts``: trend momentum, tag
   popularity, which tags are broad, how many creators the store had seen).
3. each partition featurises its own posts (``preprocess`` with its side, the broadcast
   states in the side's cache): the per-creator state (history, slots, profile, timing,
   hashtag own-lift) never leaves the partition.

The client puts the rows in the single-machine table's order (time, creator, post id).
The result equals ``preprocess(data, ...)`` exactly (tested on a LocalCluster).

What stays on the client: the union of the vocabularies and the count states. They are
exact event tables (two int64 columns per tag or sound use), not per-day aggregates: the
features count uses in trailing windows ending at each post's own time, so a binned table
would change the values. They grow with the posts' tag uses, not with their text.
"""

from __future__ import annotations

import dataclasses
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from recommender import store_parts
from recommender.distributed import cluster
from recommender.engagement import TARGETS
from recommender.features.config import FeatureConfig, config_for_target
from recommender.features.context import Tags, cumulative_counts
from recommender.features.frames import sound_keys, time_order
from recommender.features.pipeline import preprocess
from recommender.features.store_side import StoreSide, store_side
from recommender.store import StoreData

PARTITIONS_PER_WORKER = 2
_BY_CREATOR = ("follower_activity", "creators", "account_daily")


@dataclasses.dataclass
class Vocabulary:
    """The store's codes: tag and sound vocabularies, the trend rows' codes, id -> key."""

    tags: pd.Index
    sounds: pd.Index
    trend_codes: np.ndarray
    id_map: dict[str, str]


@dataclasses.dataclass
class Events:
    """One partition's cross-creator events (codes in the store's vocabularies)."""

    tag_code: np.ndarray
    tag_t: np.ndarray
    sound_code: np.ndarray
    sound_t: np.ndarray
    first_use_code: np.ndarray  # first use of each (tag, creator) pair
    first_use_t: np.ndarray
    debut_t: np.ndarray  # each creator's first post


def split(data: StoreData, parts: int) -> list[StoreData]:
    """``data`` as partitions of whole creators (empty ones left out); trends whole."""
    bucket = store_parts.buckets_of(data.posts["creator"], parts)
    side = {name: getattr(data, name) for name in _BY_CREATOR}
    side_bucket = {name: store_parts.buckets_of(frame["creator"], parts)
                   for name, frame in side.items()}
    out = []
    for b in np.unique(bucket):
        tables = {name: frame[side_bucket[name] == b].reset_index(drop=True)
                  for name, frame in side.items()}
        out.append(StoreData(posts=data.posts[bucket == b].reset_index(drop=True),
                             trends=data.trends, **tables))
    return out


def preprocess_dask(client: Any, data: StoreData, config: FeatureConfig = FeatureConfig(),
                    target: str = "weighted", hidden: pd.MultiIndex | None = None,
                    progress: bool = False) -> pd.DataFrame:
    """``features.preprocess(data, config, target, hidden)`` computed on the cluster
    ``client`` talks to; the same table, row for row."""
    import dask

    if target not in TARGETS:  # the single-machine message, before any work
        return preprocess(data, config, target, hidden)
    config = config_for_target(config, target)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    creators = int(data.posts["creator"].nunique())
    parts = split(data, max(1, min(creators, workers * PARTITIONS_PER_WORKER)))
    if not parts:
        return preprocess(data, config, target, hidden)
    token = uuid.uuid4().hex  # this call's own keys: nothing reused from another call
    # Graph tasks, not scattered data: a partition whose worker dies is recomputed.
    inputs = [dask.delayed(p, name=f"posts-part-{token}-{i}") for i, p in enumerate(parts)]
    trends = data.trends
    with warnings.catch_warnings():
        # The partitions travel in the graph on purpose (recomputed if a worker dies).
        warnings.filterwarnings("ignore", message="Sending large graph")
        return _three_passes(client, inputs, config, target, hidden, trends, token, progress)


def _three_passes(client: Any, inputs: list[Any], config: FeatureConfig, target: str,
                  hidden: pd.MultiIndex | None, trends: pd.DataFrame, token: str,
                  progress: bool) -> pd.DataFrame:
    import dask

    asked = trends.loc[trends["kind"].eq("sound").fillna(False).to_numpy(), "entity_id"]
    asked_ids = set(asked.dropna().astype(str).str.strip())
    # Each partition's side stays on its worker between the passes (persisted).
    sides = client.persist([dask.delayed(_local_side)(p, config, hidden) for p in inputs])
    pieces = cluster.compute(client, [dask.delayed(_vocabulary_piece)(s, asked_ids)
                                      for s in sides], "features: vocabularies", progress)
    vocab = dask.delayed(_vocabulary(pieces, trends), name=f"vocabulary-{token}")
    coded = client.persist([dask.delayed(_recode)(s, vocab) for s in sides])
    del sides  # the workers drop the first copies
    events = cluster.compute(client, [dask.delayed(_events)(s) for s in coded],
                             "features: cross-creator events", progress)
    states = dask.delayed(_states(events), name=f"store-states-{token}")
    del events
    tables = cluster.compute(client, [dask.delayed(_table)(s, states, target) for s in coded],
                             "features: training table", progress)
    del coded
    return _in_table_order(pd.concat(tables, ignore_index=True))


def table_builder(client: Any, progress: bool = False) -> Callable[..., pd.DataFrame]:
    """``preprocess``'s signature, computed on ``client``'s cluster (for ``train`` and
    ``evaluate --scheduler``)."""
    def build(data: StoreData, config: FeatureConfig = FeatureConfig(),
              target: str = "weighted", hidden: pd.MultiIndex | None = None) -> pd.DataFrame:
        return preprocess_dask(client, data, config, target, hidden, progress)
    return build


def _local_side(part: StoreData, config: FeatureConfig, hidden: pd.MultiIndex | None
                ) -> StoreSide:
    return store_side(part, config, hidden)


def _post_sound_keys(side: StoreSide) -> np.ndarray:
    posts = side.posts
    return sound_keys(posts["sound_id"], posts["sound_name"], posts["sound_is_original"])


def _vocabulary_piece(side: StoreSide, asked: set[str]) -> dict[str, Any]:
    """A partition's tag names, its posts' sound keys, and (id, key) counts of the posts
    whose sound id a trend list names (what ``frames.id_to_key`` counts)."""
    keys = _post_sound_keys(side)
    ids = side.posts["sound_id"].astype("string")
    wanted = ids.isin(asked).fillna(False).to_numpy(dtype=bool)
    pairs = pd.DataFrame({"id": ids[wanted].astype("object").to_numpy(),
                          "key": keys[wanted]}).dropna()
    used = np.unique(side.post_tags.code)
    return {"tags": side.tags.to_numpy(dtype=object)[used],
            "sounds": pd.unique(keys[pd.notna(keys)]),
            "pairs": pairs.groupby(["id", "key"]).size()}


def _vocabulary(pieces: list[dict[str, Any]], trends: pd.DataFrame) -> Vocabulary:
    """The union of the partitions' vocabularies and the trend rows' codes in it, as
    ``store_side`` codes them for the whole store (any numbering gives the same features:
    codes are only keys)."""
    counts = [p["pairs"] for p in pieces if len(p["pairs"])]
    id_map: dict[str, str] = {}
    if counts:
        summed = pd.concat(counts).groupby(level=[0, 1]).sum()
        summed.index.names = ["id", "key"]
        top = summed.sort_values(kind="stable").groupby(level="id").tail(1)
        id_map = dict(top.index.tolist())
    names = trends["name"].astype("string").fillna("").str.strip().str.lstrip("#").str.lower()
    is_sound = trends["kind"].eq("sound").fillna(False).to_numpy()
    t_keys = sound_keys(trends["entity_id"].where(is_sound), trends["name"].where(is_sound),
                        np.zeros(len(trends)), id_map)
    tag_names = np.concatenate([*(p["tags"] for p in pieces),
                                names.to_numpy(dtype=object)]).astype(object)
    tags = pd.Index(pd.unique(tag_names), dtype="object")
    sound_list = [*(p["sounds"] for p in pieces), t_keys[pd.notna(t_keys)]]
    sounds = pd.Index(pd.unique(np.concatenate(sound_list).astype(object)), dtype="object")
    is_tag = trends["kind"].eq("hashtag").fillna(False).to_numpy()
    trend_codes = np.where(is_tag, tags.get_indexer(names.to_numpy(dtype=object)),
                           sounds.get_indexer(t_keys))
    return Vocabulary(tags, sounds, trend_codes.astype("int64"), id_map)


def _recode(side: StoreSide, vocab: Vocabulary) -> StoreSide:
    """The partition's side with the store's codes in place of its own."""
    tag_map = vocab.tags.get_indexer(side.tags)
    sound_map = vocab.sounds.get_indexer(side.sounds)
    posts = side.posts.copy()
    local = posts["sound_code"].to_numpy()
    posts["sound_code"] = np.where(local >= 0, sound_map[np.maximum(local, 0)], -1)
    tags = Tags(side.post_tags.row, tag_map[side.post_tags.code].astype("int64"))
    return dataclasses.replace(
        side, posts=posts, local=posts, post_tags=tags, local_tags=tags, tags=vocab.tags,
        sounds=vocab.sounds, trend_codes=vocab.trend_codes, id_map=vocab.id_map, cache={})


def _events(side: StoreSide) -> Events:
    posts, tags = side.posts, side.post_tags
    t = posts["t"].to_numpy()
    sound = posts["sound_code"].to_numpy()
    used = sound >= 0
    pairs = pd.DataFrame({"key": tags.code, "ckey": posts["ckey"].to_numpy()[tags.row],
                          "t": t[tags.row]})
    # Creators never share a partition: each pair's first use is final here.
    first_use = pairs.groupby(["key", "ckey"], sort=False)["t"].min()
    return Events(
        tag_code=tags.code, tag_t=t[tags.row], sound_code=sound[used], sound_t=t[used],
        first_use_code=first_use.index.get_level_values("key").to_numpy(),
        first_use_t=first_use.to_numpy(),
        debut_t=posts.groupby("ckey", sort=False)["t"].min().to_numpy())


def _states(events: list[Events]) -> dict[str, Any]:
    """The store-wide count states the families would build from every post (the keys
    of their ``Context.store_cached`` entries)."""
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(e, name) for e in events]).astype("int64")

    debuts = joined("debut_t")
    return {
        "tag_counts": cumulative_counts(joined("tag_code"), joined("tag_t")),
        "sound_counts": cumulative_counts(joined("sound_code"), joined("sound_t")),
        "tag_users": (cumulative_counts(joined("first_use_code"), joined("first_use_t")),
                      cumulative_counts(np.zeros(len(debuts), "int64"), debuts)),
    }


def _table(side: StoreSide, states: dict[str, Any], target: str) -> pd.DataFrame:
    """The partition's rows of the training table (the single-machine code, its side
    holding the store-wide states)."""
    side.cache.clear()
    side.cache.update(states)
    try:
        return preprocess(side.data, side.config, target, side=side)
    finally:
        side.cache.clear()


def _in_table_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows in ``frames.time_order`` (the order of the single-machine table)."""
    order = time_order(table)
    return table.iloc[order].reset_index(drop=True)
