"""Own-slot family: how this creator's earlier posts did at this local hour and weekday.

Audiences differ: one creator's followers are online at 07:00, another's at 21:00, so the
global ``local_hour`` feature cannot say when *this* creator should post. For every earlier
settled post of the creator we take its residual (outcome minus the creator's trailing
median as of that post, as the hashtag family does) and accumulate it per local hour (each
post also counts for the neighbouring hours, so sparse histories still inform a slot) and
per local weekday. A row gets the shrunk mean residual of its own slot:
sum / (posts in the slot + ``hashtag_prior_strength``, the same shrinkage the hashtag
family uses), 0 without history. Strictly earlier
posts only, through the same as-of join as every other family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.features import history
from recommender.features.config import FeatureConfig
from recommender.features.context import Context, State, asof_before, group_starts, key_time_order
from recommender.features.timing import local_hour_weekday
from recommender.store import timezone_lookup

HOUR_SPREAD = (-1, 0, 1)  # a post at 19:xx also tells a little about 18:00 and 20:00


def names(config: FeatureConfig) -> list[str]:
    return ["slot_own_lift_hour", "slot_own_lift_weekday"]


def compute(ctx: Context, query_hour: np.ndarray, query_weekday: np.ndarray
            ) -> dict[str, np.ndarray]:
    local = ctx.local
    hour, weekday = local_hour_weekday(local["creator"].to_numpy(), local["t"].to_numpy(),
                                       timezone_lookup(ctx.data.creators))
    baseline = history.engagement_at(ctx, "local")[history.baseline_name(ctx.config)]
    residual = local["outcome"].to_numpy(dtype="float64") - baseline
    spread = np.concatenate([(hour + d) % 24 for d in HOUR_SPREAD])
    rows = np.tile(np.arange(len(local)), len(HOUR_SPREAD))
    return {
        "slot_own_lift_hour": _own_slot(ctx, rows, spread, residual, query_hour, 24),
        "slot_own_lift_weekday": _own_slot(ctx, np.arange(len(local)), weekday, residual,
                                           query_weekday, 7),
    }


def _own_slot(ctx: Context, rows: np.ndarray, slot: np.ndarray, residual: np.ndarray,
              query_slot: np.ndarray, n_slots: int) -> np.ndarray:
    """Per query: the creator's shrunk mean residual of earlier posts in the same slot."""
    slot_of_row = np.asarray(slot, dtype="float64")  # aligned with ``rows``
    value = residual[rows]
    ok = np.isfinite(value) & np.isfinite(slot_of_row)
    key = ctx.local["ckey"].to_numpy()[rows][ok] * n_slots + slot_of_row[ok].astype("int64")
    t = ctx.local["t"].to_numpy()[rows][ok]
    order = key_time_order(key, t)
    state = pd.DataFrame({"key": key[order], "t": t[order], "r": value[ok][order]})
    group = state.groupby("key", sort=False)
    state["sum"] = group["r"].cumsum()
    state["uses"] = np.arange(len(state)) - group_starts(state["key"].to_numpy()) + 1.0
    q_slot = np.nan_to_num(query_slot, nan=0.0).astype("int64")
    q_key = ctx.queries["ckey"].to_numpy() * n_slots + q_slot
    found = asof_before(q_key, ctx.queries["t"].to_numpy(),
                        State.of(state, np.arange(len(state))), ["sum", "uses"])
    shrunk = found["sum"] / (found["uses"] + ctx.config.hashtag_prior_strength)
    return np.nan_to_num(shrunk, nan=0.0)
