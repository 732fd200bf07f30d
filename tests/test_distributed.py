"""The Dask engine against a real LocalCluster (2 worker processes, one thread each).

Scoring equals the single-machine path row for row; Dask-trained trees predict within the
stated tolerance of single-machine ones; a worker killed mid-scoring is retried; a task
whose workers keep dying, and a scheduler that does not answer, fail in one line.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from recommender.cli import app  # noqa: E402
from recommender.datasets import make_posts  # noqa: E402
from recommender.distributed import cluster  # noqa: E402
from recommender.distributed.score import champion_bundle, score_plan_dask  # noqa: E402
from recommender.errors import ClusterError  # noqa: E402
from recommender.model.registry import load_champion  # noqa: E402
from recommender.model.train import train_job  # noqa: E402
from recommender.recommend.score import score_plan  # noqa: E402
from recommender.store import Store  # noqa: E402

runner = CliRunner()
PARAMS = {"n_estimators": 20}


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    import dask
    from distributed import Client, LocalCluster

    # One death per task is retried; the second fails the run (KilledWorker).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=50) as local, Client(local) as connected:
        yield connected


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    root = Path(tempfile.mkdtemp(prefix="dask-tests-"))
    synthetic = make_posts(n_creators=8, days=90, seed=3)
    Store(root / "store").upsert_all(synthetic.as_store_data())
    train_job(root / "store", root / "models", "weighted", True, None, params=PARAMS, folds=2)
    return synthetic, root


def _plan(synthetic, root: Path, n: int, seed: int = 0) -> Path:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    creators = [*synthetic.posts["creator"].unique(), "newcomer"]
    start = synthetic.collected_at + pd.Timedelta(days=1)
    hours = rng.integers(0, 240, n)
    plan = pd.DataFrame({
        "creator": rng.choice(creators, n),
        "planned_at": [(start + pd.Timedelta(hours=int(h))).strftime("%Y-%m-%dT%H:%M")
                       for h in hours],
        "caption": rng.choice(["hello", "what do you think?", ""], n),
        "hashtags": rng.choice(["#fyp", "#recipe #food", ""], n),
        "sound": rng.choice(["", "original"], n),
        "duration_s": rng.choice(["15", "30", "x"], n),  # some rows rejected
    })
    path = root / f"plan_{n}_{seed}.csv"
    plan.to_csv(path, index=False)
    return path


def test_scoring_on_the_cluster_equals_one_machine(client, world) -> None:  # type: ignore[no-untyped-def]
    # 2,500 rows: the hour-of-week table and typical-post reasons (the exact better slots
    # and SHAP reasons of small plans: the CLI test and the worker-kill test below).
    rows = 2_500
    synthetic, root = world
    plan = _plan(synthetic, root, rows)
    data = Store(root / "store").load()
    alone = score_plan(plan, data, load_champion(root / "models"))
    spread = score_plan_dask(plan, data, champion_bundle(root / "models"), client)
    assert spread.better_slot_method == alone.better_slot_method
    pd.testing.assert_frame_equal(spread.rows, alone.rows)
    pd.testing.assert_frame_equal(spread.rejected, alone.rejected)
    assert spread.notes == alone.notes and spread.summary == alone.summary
    assert spread.summary["scored"] > rows // 2


def test_score_cli_with_a_scheduler_address_writes_csv_and_a_dataset(client, world,  # type: ignore[no-untyped-def]
                                                                     tmp_path: Path) -> None:
    synthetic, root = world
    plan = _plan(synthetic, root, 200, seed=1)
    args = ["--data", str(root / "store"), "--models", str(root / "models")]
    alone = runner.invoke(app, ["score", str(plan), "--out", str(tmp_path / "a.csv"), *args])
    assert alone.exit_code == 0, alone.output
    address = client.scheduler.address
    spread = runner.invoke(app, ["score", str(plan), "--out", str(tmp_path / "b.csv"),
                                 "--scheduler", address, *args])
    assert spread.exit_code == 0, spread.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    dataset = runner.invoke(app, ["score", str(plan), "--out", str(tmp_path / "rows"), *args],
                            env={"RECOMMENDER_DASK_SCHEDULER": address})
    assert dataset.exit_code == 0, dataset.output
    assert len(list((tmp_path / "rows").glob("*.parquet"))) >= 1
    back = pd.read_parquet(tmp_path / "rows")
    expected = pd.read_csv(tmp_path / "a.csv", keep_default_na=False)
    assert len(back) == len(expected)
    assert np.allclose(back["predicted"].to_numpy(dtype=float),
                       pd.to_numeric(expected["predicted"]).to_numpy(dtype=float),
                       equal_nan=True)


def test_each_connection_announces_the_dashboard_to_whoever_asked(client, world,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    heard: list[str] = []
    address = client.scheduler.address
    with cluster.announcing(heard.append), cluster.connect(address):
        pass
    with cluster.connect(address):  # nobody asked: nothing said
        pass
    assert heard == [f"Dask dashboard: {client.dashboard_link}"]
    # On a terminal the CLI asks, every command the same way (score, evaluate; train and
    # ingest share the code), on stderr.
    import recommender.cli as cli

    monkeypatch.setattr(cli, "interactive", lambda: True)
    synthetic, root = world
    done = runner.invoke(app, ["evaluate", "--scheduler", address, "--data", str(root / "store"),
                               "--folds", "2"])
    assert done.exit_code == 0, done.output
    assert f"Dask dashboard: {client.dashboard_link}" in done.stderr
    scored = runner.invoke(app, ["score", str(_plan(synthetic, root, 20, seed=4)), "--scheduler",
                                 address, "--data", str(root / "store"), "--models",
                                 str(root / "models")])
    assert scored.exit_code == 0, scored.output
    assert f"Dask dashboard: {client.dashboard_link}" in scored.stderr


def test_an_unreachable_scheduler_fails_in_one_line(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    synthetic, root = world
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    done = runner.invoke(app, ["score", str(_plan(synthetic, root, 20, seed=2)), "--scheduler",
                               "tcp://127.0.0.1:9", "--data", str(root / "store"),
                               "--models", str(root / "models")])
    assert done.exit_code == 1
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.output
    assert "no Dask scheduler answered within 1 s" in lines[0]
    bad = runner.invoke(app, ["score", str(_plan(synthetic, root, 20, seed=2)), "--scheduler",
                              "nonsense", "--data", str(root / "store")])
    assert bad.exit_code == 2 and "give a scheduler address" in bad.output


def test_dask_trained_trees_predict_within_the_stated_tolerance(client, world) -> None:  # type: ignore[no-untyped-def]
    from recommender.distributed.train import (
        TOLERANCE_SHARE_OF_MAE,
        DaskTrees,
        prediction_gap,
    )
    from recommender.features import preprocess
    from recommender.model.estimator import EngagementModel

    synthetic, _ = world
    data = synthetic.as_store_data()
    alone = EngagementModel(**PARAMS)
    table = preprocess(data, alone.config, "weighted")
    alone.fit_table(table)
    # The same level, profile and intervals; only the trees trained on the cluster (one
    # distributed fit; ``fit_table`` runs two, both through this ``_train``).
    spread = DaskTrees(client, **PARAMS)
    spread.__dict__.update({k: v for k, v in alone.__dict__.items() if k != "_client"})
    spread.booster_ = spread._train(table)
    assert spread.booster_.num_trees() == alone.rounds()
    a = alone.predict_features(table)["predicted"].to_numpy()
    b = spread.predict_features(table)["predicted"].to_numpy()
    own_error = float(np.mean(np.abs(a - table["y"].to_numpy(dtype=float))))
    gap = prediction_gap(a, b)
    assert 0 < gap <= TOLERANCE_SHARE_OF_MAE * own_error, (gap, own_error)
    assert np.corrcoef(a, b)[0, 1] > 0.99


def test_train_cli_on_the_cluster_saves_a_plain_model_directory(client, world,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    from recommender.model.artifact import load_model

    _, root = world
    done = runner.invoke(app, ["train", "--data", str(root / "store"), "--models",
                               str(tmp_path / "m"), "--scheduler", client.scheduler.address,
                               "--json"])
    assert done.exit_code == 0, done.output
    model = load_champion(tmp_path / "m")
    assert load_model(tmp_path / "m" / model.version).manifest == model.manifest
    assert sorted(p.name for p in (tmp_path / "m" / model.version).iterdir()) == sorted(
        p.name for p in (root / "models" / load_champion(root / "models").version).iterdir())


def _worker_pids(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return client.run(os.getpid)


def test_a_worker_killed_while_scoring_is_retried_elsewhere(client, world) -> None:  # type: ignore[no-untyped-def]
    synthetic, root = world
    plan = _plan(synthetic, root, 600, seed=3)
    data = Store(root / "store").load()
    alone = score_plan(plan, data, load_champion(root / "models"))
    before = _worker_pids(client)
    killed: list[int] = []

    def kill_one_busy_worker() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy and busy[0] in before:
                os.kill(before[busy[0]], signal.SIGKILL)
                killed.append(before[busy[0]])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_busy_worker)
    killer.start()
    spread = score_plan_dask(plan, data, champion_bundle(root / "models"), client)
    killer.join()
    assert killed, "no worker was busy long enough to be killed"
    pd.testing.assert_frame_equal(spread.rows, alone.rows)
    client.wait_for_workers(2, timeout=60)
    assert set(_worker_pids(client).values()) != set(before.values())


def test_a_task_whose_workers_keep_dying_fails_in_one_line(client) -> None:  # type: ignore[no-untyped-def]
    import dask

    def die(_: int) -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0

    with pytest.raises(ClusterError, match=r"^work: a task's worker died 2 times"):
        cluster.compute(client, dask.delayed(die)(1), "work")


def test_evaluate_on_the_cluster_reports_the_same_backtest(client, world) -> None:  # type: ignore[no-untyped-def]
    import json

    _, root = world
    args = ["evaluate", "--data", str(root / "store"), "--models", str(root / "models"),
            "--folds", "2", "--json"]
    alone = runner.invoke(app, args)
    spread = runner.invoke(app, [*args, "--scheduler", client.scheduler.address])
    assert alone.exit_code == 0 and spread.exit_code == 0, spread.output
    assert json.loads(spread.output) == json.loads(alone.output)


def test_without_a_scheduler_dask_is_never_imported(world) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    synthetic, root = world
    plan = _plan(synthetic, root, 50, seed=4)
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import recommender.cli.commands\n"
        "from recommender.cli import app\n"
        f"done = CliRunner().invoke(app, ['score', {str(plan)!r}, '--data', "
        f"{str(root / 'store')!r}, '--models', {str(root / 'models')!r}])\n"
        "assert done.exit_code == 0, done.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RECOMMENDER_DASK_SCHEDULER"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
