"""The public entry points: the training table and features for hypothetical posts.

One code path: ``preprocess`` featurises the stored posts as queries against the store;
``featurize`` featurises hypothetical posts the same way. Each family builds "state after
each post" tables and joins them strictly backward in time (``context.asof_before``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.engagement import TARGETS, log_engagement
from recommender.errors import InputError
from recommender.features import (
    activity,
    content,
    hashtags,
    history,
    level,
    profile,
    slots,
    timing,
    trends,
)
from recommender.features.config import FeatureConfig, config_for_target
from recommender.features.context import NS_PER_DAY, Context, to_ns
from recommender.features.store_side import StoreSide, build_context
from recommender.store import StoreData

_FAMILIES = (timing, content, hashtags, trends, history, level, profile, slots, activity)
KEY_COLUMNS = ["creator", "post_id", "posted_at"]


def feature_names(config: FeatureConfig = FeatureConfig()) -> list[str]:
    """Every model feature, in table order (``age_days`` last)."""
    return [name for family in _FAMILIES for name in family.names(config)] + ["age_days"]


def clock_features(config: FeatureConfig = FeatureConfig()) -> list[str]:
    """Features that say *when* a post goes out (its local slot, the creator's own-slot
    history, followers online at that hour); not the cadence ones (time since the
    previous post), which describe spacing. Models with a timing profile leave these out
    of the trees (see ``recommender.model.timing``)."""
    return (["local_hour", "local_weekday", "hour_of_week"] + slots.names(config)
            + activity.names(config))


def categorical_features(config: FeatureConfig = FeatureConfig()) -> list[str]:
    """Features to treat as categories (whole-number codes): local hour and weekday."""
    return list(timing.CATEGORICAL)


def preprocess(data: StoreData, config: FeatureConfig = FeatureConfig(),
               target: str = "weighted", hidden: pd.MultiIndex | None = None,
               side: StoreSide | None = None) -> pd.DataFrame:
    """The training table: one row per post with a known ``target`` outcome, by time.

    Columns: ``creator, post_id, posted_at``, every ``feature_names(config)`` (``age_days``
    = collected_at - posted_at in days), ``posts_since_known`` (the creator's earlier posts
    whose outcome no feature sees: unsettled or hidden; not a feature, the intervals widen
    with it), ``baseline`` (the creator's trailing median of the
    history outcome before the post, NaN without history), ``baseline_followers_log`` (the
    mean log follower count at the baseline's posts; not a feature, the model's level moves
    with the followers gained since: ``model.follower_level``) and ``y`` (the target, log
    scale; for ``lift`` the log weighted outcome minus ``baseline``). ``config`` is resolved
    with ``config_for_target`` so history features follow the target's scale.

    ``hidden``: ``store.post_keys`` of posts whose outcomes no feature may see, though their
    rows keep their ``y`` (a fixed-origin hold-out: the test posts are predicted from
    what was known before them, not from each other's results).

    ``side``: ``store_side(data, config_for_target(config, target), hidden)`` built by the
    caller (the Dask engine fills its cache with store-wide states; ``hidden`` is its).
    """
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    config = config_for_target(config, target)
    ctx = build_context(data, None, config, hidden, side=side)
    src = ctx.source
    age = (to_ns(src["collected_at"]) - ctx.posts["t"].to_numpy()) / NS_PER_DAY
    age = np.where(src["collected_at"].notna().to_numpy(), age, np.nan)
    table = _table(ctx, age)
    table.insert(1, "post_id", src["post_id"].astype("string").to_numpy())
    y = log_engagement(src, target)
    if target == "lift":
        y = y - table["baseline"].to_numpy()
    table["y"] = y
    keep = np.isfinite(table["y"].to_numpy(dtype="float64", na_value=np.nan))
    return table[keep].reset_index(drop=True)


def featurize(data: StoreData, queries: pd.DataFrame,
              config: FeatureConfig = FeatureConfig(), side: StoreSide | None = None
              ) -> pd.DataFrame:
    """Features of hypothetical posts, each as its creator's next post given every stored
    post strictly before its ``posted_at`` (queries never see each other).

    ``queries``: ``creator``, ``posted_at`` and optionally ``caption``, ``hashtags``,
    ``sound_id``, ``sound_name``, ``sound_is_original``, ``duration_s``. Returns
    ``creator`` + ``feature_names(config)`` + ``baseline`` in the queries' order and index,
    ``age_days`` = ``config.horizon_days``. Per-creator state is built for the queried
    creators only.

    ``side``: ``store_side.store_side(data, config, creators=...)`` built once for many
    batches (a large plan in parts): the store's work is not repeated and each batch is
    featurised exactly as one pass over all of them would featurise it.
    """
    missing = {"creator", "posted_at"} - set(queries.columns)
    if missing:
        raise InputError(f"featurize: queries need columns {sorted(missing)}")
    if queries["posted_at"].isna().any():
        raise InputError("featurize: every query needs a posted_at time")
    ctx = build_context(data, queries, config, side=side)
    table = _table(ctx, np.full(len(queries), float(config.horizon_days)), keys=False)
    table.index = queries.index
    # Not a feature: the per-creator parts of a prediction (the timing profile) need it.
    table.insert(0, "creator", queries["creator"].array)
    return table


def _table(ctx: Context, age_days: np.ndarray, keys: bool = True) -> pd.DataFrame:
    """Feature columns (+ ``baseline``), led by ``creator, posted_at`` if ``keys``."""
    q = ctx.queries
    values: dict[str, np.ndarray] = {}
    for family in (timing, content, hashtags, trends, history, level, profile):
        values.update(family.compute(ctx))
    values.update(slots.compute(ctx, values["local_hour"], values["local_weekday"]))
    values.update(activity.compute(ctx, values["local_hour"]))
    values["age_days"] = np.asarray(age_days, dtype="float64")
    columns = {name: values[name] for name in feature_names(ctx.config)}
    columns["baseline"] = values[history.baseline_name(ctx.config)]
    columns[history.DISTANCE] = values[history.DISTANCE]
    columns[history.BASELINE_FOLLOWERS] = values[history.BASELINE_FOLLOWERS]
    table = pd.DataFrame(columns)
    if keys:
        table.insert(0, "creator", q["creator"].astype("string").array)
        table.insert(1, "posted_at", pd.to_datetime(q["t"].to_numpy(), utc=True))
    return table
