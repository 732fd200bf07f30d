"""The training table built on a real LocalCluster (2 workers) equals ``preprocess``'s.

Per-creator state is built inside creator partitions and the cross-creator parts (tag
popularity and breadth, sound and tag momentum, creators seen) from the aggregated event
tables; the world below has trend lists naming sounds by id only (the id -> key map is a
cross-creator count), side tables (account readings, follower activity) and several
partition counts, down to one creator per partition.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from recommender.cli import app  # noqa: E402
from recommender.datasets import make_posts  # noqa: E402
from recommender.distributed import features as dask_features  # noqa: E402
from recommender.features import FeatureConfig, preprocess  # noqa: E402
from recommender.model.backtest import holdout_table  # noqa: E402
from recommender.store import Store, StoreData  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=50) as local, \
            Client(local) as connected:
        yield connected


def _world() -> StoreData:
    data = make_posts(n_creators=8, days=90, seed=3).as_store_data()
    posts, trends = data.posts.copy(), data.trends.copy()
    shared = posts[~posts["sound_is_original"].astype(bool)]
    sound_id = str(shared["sound_id"].iloc[0])
    # The same sound id under another name on two other creators' posts: the trend list's
    # id-only rows take the name most posts carry, counted across partitions.
    others = posts.index[posts["creator"] != shared["creator"].iloc[0]][:3]
    posts.loc[others, "sound_id"] = sound_id
    posts.loc[others, "sound_name"] = "Other Name - Someone"
    posts.loc[others, "sound_is_original"] = False
    sounds = trends.index[trends["kind"] == "sound"][:40]
    trends.loc[sounds, "entity_id"] = sound_id
    trends.loc[sounds, "name"] = pd.NA
    data.posts, data.trends = posts, trends
    return data


@pytest.fixture(scope="module")
def world() -> StoreData:
    return _world()


@pytest.mark.parametrize("per_worker", [1, 4])
@pytest.mark.parametrize("target", ["weighted", "lift"])
def test_the_cluster_table_equals_preprocess(client, world, monkeypatch, target: str,  # type: ignore[no-untyped-def]
                                             per_worker: int) -> None:
    monkeypatch.setattr(dask_features, "PARTITIONS_PER_WORKER", per_worker)
    alone = preprocess(world, FeatureConfig(), target)
    spread = dask_features.preprocess_dask(client, world, FeatureConfig(), target)
    # Sorted the same way on both sides: the order is part of the contract, check it too.
    pd.testing.assert_frame_equal(spread, alone)
    keys = ["posted_at", "creator", "post_id"]
    pd.testing.assert_frame_equal(spread.sort_values(keys).reset_index(drop=True),
                                  alone.sort_values(keys).reset_index(drop=True))
    # The cross-creator columns carry values (the equality is not over empty columns).
    popularity = [c for c in alone.columns if c.startswith("hashtag_global_uses_")]
    for name in ("hashtag_store_momentum", "sound_store_momentum", "hashtag_broad_share",
                 "sound_trend_rank", *popularity):
        values = alone[name].to_numpy(dtype=float, na_value=np.nan)
        assert np.isfinite(values).sum() > 20 and np.nanstd(values) > 0, name


def test_the_id_only_trend_rows_are_matched_through_the_cross_creator_id_map(client, world  # type: ignore[no-untyped-def]
                                                                            ) -> None:
    table = dask_features.preprocess_dask(client, world, FeatureConfig())
    assert np.isfinite(table["sound_trend_rank"].to_numpy(dtype=float)).any()
    pd.testing.assert_frame_equal(table, preprocess(world))


def test_the_holdout_table_on_the_cluster_equals_one_machine(client, world) -> None:  # type: ignore[no-untyped-def]
    config = FeatureConfig()
    alone = holdout_table(world, config, "weighted")
    spread = holdout_table(world, config, "weighted", dask_features.table_builder(client))
    assert alone["holdout_test"].any()
    pd.testing.assert_frame_equal(spread, alone)


def test_one_creator_per_partition_and_an_unknown_target(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(dask_features, "PARTITIONS_PER_WORKER", 50)
    data = make_posts(n_creators=3, days=40, seed=5).as_store_data()
    pd.testing.assert_frame_equal(dask_features.preprocess_dask(client, data), preprocess(data))
    from recommender.errors import InputError

    with pytest.raises(InputError, match="unknown target 'nope'"):
        dask_features.preprocess_dask(client, data, FeatureConfig(), "nope")


def test_evaluate_holdout_on_the_cluster_reports_the_same_backtest(client) -> None:  # type: ignore[no-untyped-def]
    root = Path(tempfile.mkdtemp(prefix="dask-features-"))
    Store(root / "store").upsert_all(make_posts(n_creators=6, days=80, seed=4)
                                     .as_store_data())
    args = ["evaluate", "--data", str(root / "store"), "--protocol", "holdout", "--json"]
    alone = runner.invoke(app, args)
    spread = runner.invoke(app, [*args, "--scheduler", client.scheduler.address])
    assert alone.exit_code == 0 and spread.exit_code == 0, spread.output
    assert spread.stdout == alone.stdout


def test_the_rows_come_back_in_preprocess_order_even_with_tied_times() -> None:
    rng = np.random.default_rng(0)
    n = 2_000
    table = pd.DataFrame({
        "creator": pd.array(rng.choice(["b", "a", "c"], n), dtype="string"),
        "post_id": pd.array(rng.integers(0, 10**6, n).astype(str), dtype="string"),
        "posted_at": pd.to_datetime(rng.integers(0, 50, n) * 10**9, utc=True),  # many ties
        "x": np.arange(n, dtype=float)})
    back = dask_features._in_table_order(table.sample(frac=1, random_state=1))
    expected = table.sort_values(["posted_at", "creator", "post_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
