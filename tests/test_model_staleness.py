"""Stale training rows (``model.staleness``): a frozen track record, never a later one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.datasets import make_posts
from recommender.features import preprocess
from recommender.features.history import DISTANCE
from recommender.model import EngagementModel
from recommender.model.staleness import outcome_columns, stale_copy

_TABLE = preprocess(make_posts(3, 30, seed=2).as_store_data())


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 15), st.integers(0, 1_000))
def test_a_stale_row_knows_what_an_earlier_post_of_its_creator_knew(shift: int,
                                                                     seed: int) -> None:
    table = _TABLE
    stale = stale_copy(table, shift, seed)
    assert len(stale) > 0 and stale.index.isin(table.index).all()
    columns = [c for c in outcome_columns(table) if c not in ("level", "level_slope",
                                                             "level_sd", "days_since_known")]
    own = table.loc[stale.index]
    # Everything but the outcome-fed columns is the row's own, outcome included.
    others = [c for c in table.columns if c not in outcome_columns(table) and c != DISTANCE]
    pd.testing.assert_frame_equal(stale[others], own[others])
    frozen = (stale[DISTANCE] - own[DISTANCE]).to_numpy()
    assert ((frozen >= 1) & (frozen <= shift)).all()
    earlier_rows = []
    for i, k in zip(stale.index, frozen.astype(int)):
        mine = table[table["creator"] == table.at[i, "creator"]]
        earlier = mine.index[mine.index.get_loc(i) - k]
        assert table.at[earlier, "posted_at"] <= table.at[i, "posted_at"]
        np.testing.assert_array_equal(stale.loc[i, columns].to_numpy(dtype="float64"),
                                      table.loc[earlier, columns].to_numpy(dtype="float64"))
        earlier_rows.append(earlier)
    # The level is the earlier state carried forward: it knows no more (its sd no less).
    earlier_sd = table.loc[earlier_rows, "level_sd"].to_numpy()
    ok = np.isfinite(earlier_sd)
    assert (stale["level_sd"].to_numpy()[ok] >= earlier_sd[ok] - 1e-12).all()
    assert (stale["days_since_known"].dropna() >= own.loc[
        stale["days_since_known"].notna(), "days_since_known"] - 1e-9).all()


def test_stale_rows_off_train_on_the_table_alone() -> None:
    assert stale_copy(_TABLE, 0).empty
    a = EngagementModel(n_estimators=5, stale_shift=0).fit_table(_TABLE)
    b = EngagementModel(n_estimators=5, stale_shift=12).fit_table(_TABLE)
    assert a.get_params()["stale_shift"] == 0 and b.get_params()["stale_shift"] == 12
    assert not np.allclose(a.tree_part(_TABLE), b.tree_part(_TABLE))
