"""Own-slot family: how this creator's earlier posts did at this local hour and weekday.

Audiences differ: one creator's followers are online at 07:00, another's at 21:00, so the
global ``local_hour`` feature cannot say when *this* creator should post. For every earlier
settled post of the creator we take its residual (outcome minus the creator's trailing
median as of that post, as the hashtag family does) and accumulate it per local hour (each
post also counts for the neighbouring hours, so sparse histories still inform a slot) and
per local weekday. A row gets the shrunk mean residual of its own slot:
sum / (posts in the slot + ``hashtag_prior_strength``, the same shrinkage the hashtag
family uses), 0 without history. Strictly earlier posts only, through the same as-of join as
every other family.
"""

from __future__ import annotations

import numpy as np

from recommender.features import history
from recommender.features.config import FeatureConfig
from recommender.features.context import Context, shrunk_mean_before
from recommender.features.timing import local_clock

HOUR_SPREAD = (-1, 0, 1)  # a post at 19:xx also tells a little about 18:00 and 20:00


def names(config: FeatureConfig) -> list[str]:
    return ["slot_own_lift_hour", "slot_own_lift_weekday"]


def compute(ctx: Context, query_hour: np.ndarray, query_weekday: np.ndarray
            ) -> dict[str, np.ndarray]:
    hour, weekday = local_clock(ctx, "local")
    baseline = history.engagement_at(ctx, "local")[history.baseline_name(ctx.config)]
    residual = ctx.local["outcome"].to_numpy(dtype="float64") - baseline
    spread = np.concatenate([(hour + d) % 24 for d in HOUR_SPREAD])
    rows = np.tile(np.arange(len(ctx.local)), len(HOUR_SPREAD))
    return {
        "slot_own_lift_hour": _own_slot(ctx, rows, spread, residual, query_hour, 24),
        "slot_own_lift_weekday": _own_slot(ctx, np.arange(len(ctx.local)), weekday, residual,
                                           query_weekday, 7),
    }


def _own_slot(ctx: Context, rows: np.ndarray, slot: np.ndarray, residual: np.ndarray,
              query_slot: np.ndarray, n_slots: int) -> np.ndarray:
    """Per query: the creator's shrunk mean residual of earlier posts in the same slot
    (``rows``: local post per entry of ``slot``; a post may fill several slots)."""
    value = np.where(np.isfinite(slot), residual[rows], np.nan)  # no clock: left out
    key = ctx.local["ckey"].to_numpy()[rows] * n_slots + np.nan_to_num(slot).astype("int64")
    q_key = (ctx.queries["ckey"].to_numpy() * n_slots
             + np.nan_to_num(query_slot, nan=0.0).astype("int64"))
    return shrunk_mean_before(key, ctx.local["t"].to_numpy()[rows], value, q_key,
                              ctx.queries["t"].to_numpy(), ctx.config.hashtag_prior_strength)
