"""Leakage-safe features: the training table and features for hypothetical posts.

Rule: a row's features use only posts strictly earlier than it (of any creator) and trend
snapshots dated at or before it, never its own outcome. See ``pipeline`` for the entry
points and each family module (timing, content, hashtags, trends, history, activity) for
what its features mean.
"""

from recommender.features.config import BROAD_HASHTAGS, FeatureConfig, config_for_target
from recommender.features.pipeline import (
    categorical_features,
    clock_features,
    feature_names,
    featurize,
    preprocess,
)

__all__ = [
    "BROAD_HASHTAGS",
    "FeatureConfig",
    "categorical_features",
    "clock_features",
    "config_for_target",
    "feature_names",
    "featurize",
    "preprocess",
]
