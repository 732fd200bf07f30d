"""Place a pool of drafts into the best schedule per creator (``recommender plan``)."""

from recommender.plan.constraints import Constraints
from recommender.plan.job import PlanResult, plan_drafts

__all__ = ["Constraints", "PlanResult", "plan_drafts"]
