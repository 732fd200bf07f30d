"""Versioned model directories and the champion pointer.

``models/<UTC time>-<data fingerprint>/`` holds one trained model; ``models/champion.json``
names the one in use. A new version is written into a temporary directory and renamed into
place; the pointer is replaced atomically (temp file, fsync, rename), so a crash never
leaves a half-written champion.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from recommender.errors import ModelError
from recommender.model.artifact import load_model, save_model
from recommender.model.estimator import EngagementModel

CHAMPION = "champion.json"


def champion_info(models_dir: str | Path) -> dict[str, Any] | None:
    pointer = Path(models_dir) / CHAMPION
    if not pointer.exists():
        return None
    try:
        info = json.loads(pointer.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{pointer}: corrupted champion pointer; delete it and run "
                         "`recommender train --force`") from exc
    if not isinstance(info, dict) or "version" not in info:
        raise ModelError(f"{pointer}: not a champion pointer; delete it and run "
                         "`recommender train --force`")
    return info


def load_champion(models_dir: str | Path) -> EngagementModel:
    info = champion_info(models_dir)
    if info is None:
        raise ModelError(f"{models_dir}: no trained model yet; train one with "
                         f"`recommender train --models {models_dir}`")
    model = load_model(Path(models_dir) / str(info["version"]))
    model.version = str(info["version"])
    return model


def write_version(model: EngagementModel, models_dir: str | Path, fingerprint: str,
                  extra: dict[str, Any]) -> Path:
    """Save ``model`` as a new version directory, atomically; return its path."""
    root = Path(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S%fZ")
    final = root / f"{stamp}-{fingerprint[:8]}"
    temp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        save_model(model, temp, extra)
        for file in temp.rglob("*"):
            if file.is_file():
                with open(file, "rb") as handle:
                    os.fsync(handle.fileno())
        os.replace(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def promote(models_dir: str | Path, version: str, reason: str, signature: str = "") -> None:
    """Point the champion at ``version``; ``signature`` (data + parameters) lets the next
    identical run answer "up to date"."""
    root = Path(models_dir)
    payload = {"version": version, "promoted_at": pd.Timestamp.now(tz="UTC").isoformat(),
               "reason": reason, "signature": signature}
    fd, temp = tempfile.mkstemp(prefix=".champion.", suffix=".tmp", dir=root)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, root / CHAMPION)
