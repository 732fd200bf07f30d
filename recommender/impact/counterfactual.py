"""The model's counterfactual: what the posts after DATE would have earned without a change.

One ``EngagementModel`` is fitted on every settled post before DATE (all creators: the
model learns content, timing and trend effects from the whole store), with a fixed origin
as in ``model.backtest.holdout_table``: the outcomes of every post at or after DATE are
hidden from every feature (``preprocess(..., hidden=)``), so the creator's trailing level
stays where it was at DATE and cannot quietly absorb the change being measured. Each
post's residual (actual minus predicted, log scale) is what the change is measured on,
before vs after, like the naive comparison (``residuals`` says why both windows are
predicted from frozen history).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender.errors import TrainingError
from recommender.features import FeatureConfig, preprocess
from recommender.impact.series import SETTLED_DAYS
from recommender.model.estimator import EngagementModel
from recommender.store import StoreData, post_keys

MIN_TRAIN_POSTS = 100


def residuals(data: StoreData, since: pd.Timestamp, until: pd.Timestamp, target: str,
              creators: list[str], params: dict[str, Any] | None = None,
              before_from: pd.Timestamp | None = None) -> pd.DataFrame:
    """``creator, post_id, posted_at, value`` = actual - predicted, for ``creators``' settled
    posts in [``before_from``, ``until``); raises ``TrainingError`` with too little history
    before DATE.

    Both windows are predicted alike, from frozen history: the posts after DATE from what
    was known at DATE, the posts of the window before from what was known at its start
    (``before_from``). Otherwise the before posts, predicted from their fresh history,
    would be fitted in-sample, and the after posts not: the difference would be the
    model's staleness, not the change."""
    posts = data.posts[data.posts["posted_at"] < until]
    scoped = StoreData(posts=posts, trends=data.trends,
                       follower_activity=data.follower_activity, creators=data.creators,
                       account_daily=data.account_daily)
    # One thread: a one-off fit on a busy machine; LightGBM's threads spin-wait when the
    # cores are shared (measured on the shared 2-core machine: 60 trees took 55 s with 2
    # threads; the whole 30-creator analysis 6.6 s with 1).
    model = EngagementModel(target=target, **{"n_jobs": 1, **(params or {})})
    config = model.config if model.feature_config is None else model.feature_config
    hidden = post_keys(posts[posts["posted_at"] >= since])
    table = preprocess(scoped, config or FeatureConfig(), target, hidden=hidden)
    settled = table["age_days"].fillna(np.inf).to_numpy() >= SETTLED_DAYS
    train = table[settled & (table["posted_at"] < since).to_numpy()]
    if len(train) < MIN_TRAIN_POSTS:
        raise TrainingError(
            f"only {len(train)} settled posts before {since:%Y-%m-%d} in the store; the "
            f"counterfactual model needs at least {MIN_TRAIN_POSTS} (ingest more history)")
    model.fit_table(train)
    mine = table["creator"].astype(str).isin(creators).to_numpy()
    rows = table[settled & mine & (table["posted_at"] >= since).to_numpy()]
    if before_from is not None:
        early = preprocess(scoped, config or FeatureConfig(), target,
                           hidden=post_keys(posts[posts["posted_at"] >= before_from]))
        keep = ((early["age_days"].fillna(np.inf) >= SETTLED_DAYS)
                & early["creator"].astype(str).isin(creators)
                & (early["posted_at"] >= before_from) & (early["posted_at"] < since))
        rows = pd.concat([early[keep.to_numpy()], rows], ignore_index=True)
    # A post with no known earlier post has no level of its own (the model would fall back
    # to the population's median): it cannot say what this creator would have earned.
    rows = rows[rows["baseline"].notna().to_numpy()]
    pred = model.predict_table(rows)
    return pd.DataFrame({"creator": rows["creator"].astype(str).to_numpy(),
                         "post_id": rows["post_id"].astype(str).to_numpy(),
                         "posted_at": rows["posted_at"].to_numpy(),
                         "value": rows["y"].to_numpy(dtype="float64") - pred}
                        ).sort_values("posted_at", kind="stable")
