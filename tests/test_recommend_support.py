"""Shared, cached set-up for the recommendation tests: one synthetic store, one small
trained champion (trained once per test process; no tests in this module)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from recommender.datasets import SyntheticData, make_posts
from recommender.store import Store, StoreData

# Enough creators and history for the recovery tests; every 4th creator has ~0 timing.
PARAMS = {"n_creators": 16, "days": 150, "seed": 7, "start": "2025-01-06"}


@dataclass
class Trained:
    synthetic: SyntheticData
    data: StoreData
    model: Any
    data_dir: Path
    models_dir: Path


@lru_cache(maxsize=1)
def trained() -> Trained:
    pytest.importorskip("recommender.model.train", reason="the model package has not landed")
    from recommender.model.registry import load_champion
    from recommender.model.train import train_job

    root = Path(tempfile.mkdtemp(prefix="recommend-tests-"))
    synthetic = make_posts(**PARAMS)
    data_dir, models_dir = root / "store", root / "models"
    Store(data_dir).upsert_all(synthetic.as_store_data())
    train_job(data_dir, models_dir, "weighted", True, None)
    return Trained(synthetic, Store(data_dir).load(), load_champion(models_dir), data_dir,
                   models_dir)
