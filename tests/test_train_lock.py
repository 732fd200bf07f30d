"""Two `train --force` at once: one trains and promotes, the other waits and finds it done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from recommender import locking
from recommender.datasets import make_posts
from recommender.model.registry import CHAMPION
from recommender.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_two_forced_trains_at_once_promote_once(tmp_path: Path) -> None:
    data, models = tmp_path / "store", tmp_path / "models"
    Store(data).upsert_all(make_posts(n_creators=6, days=90, seed=3).as_store_data())
    command = [sys.executable, "-m", "recommender", "train", "--force", "--json",
               "--data", str(data), "--models", str(models)]
    # Held until both wait for it (their first line on stderr): then they certainly race.
    with locking.exclusive(models, "models directory"):
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=ROOT, env=dict(os.environ))
                for _ in range(2)]
        first_lines = [run.stderr.readline() for run in runs]  # type: ignore[union-attr]
    assert all(line.startswith("waiting for the models directory") for line in first_lines)
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-500:]
    reports = [json.loads(out) for out, _ in outputs]
    assert sorted(r["status"] for r in reports) == ["promoted", "up to date"]
    promoted = next(r for r in reports if r["status"] == "promoted")
    assert json.loads((models / CHAMPION).read_text())["version"] == promoted["version"]
    assert [p.name for p in models.iterdir() if p.is_dir()] == [promoted["version"]]
