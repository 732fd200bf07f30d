"""Engagement model: estimator, backtests and baselines, artifacts, registry, training job."""

from recommender.model.estimator import EngagementModel

__all__ = ["EngagementModel"]
