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


def models_root(models_dir: str | Path) -> Path:
    """``models_dir`` as a directory path; a one-line error when it cannot be one."""
    root = Path(models_dir)
    if root.exists() and not root.is_dir():
        raise ModelError(f"{root}: is a file, not a models directory; pass --models a folder "
                         "(it is created if missing)")
    return root


def champion_info(models_dir: str | Path) -> dict[str, Any] | None:
    pointer = models_root(models_dir) / CHAMPION
    if not pointer.exists():
        return None
    try:
        info = json.loads(pointer.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{pointer}: corrupted champion pointer; delete it and run "
                         "`recommender train --force`") from exc
    except OSError as exc:
        raise ModelError(f"{pointer}: cannot read the champion pointer "
                         f"({exc.strerror or exc})") from exc
    if not isinstance(info, dict) or not isinstance(info.get("version"), str):
        raise ModelError(f"{pointer}: not a champion pointer; delete it and run "
                         "`recommender train --force`")
    champion_path(models_dir, info["version"])  # refuses a pointer leading elsewhere
    return info


def champion_path(models_dir: str | Path, version: str) -> Path:
    """The version directory ``version`` names, strictly inside ``models_dir``: a pointer
    naming ``../elsewhere``, an absolute path or a link out of the directory is refused,
    so a planted pointer cannot make us load a model from somewhere else."""
    root = models_root(models_dir)
    pointer = root / CHAMPION
    if (not version or version in (".", "..") or Path(version).name != version
            or "/" in version or "\\" in version or version.startswith(".")):
        raise ModelError(f"{pointer}: names {version!r}, not a version directory inside "
                         f"{root}; delete it and run `recommender train --force`")
    path = root / version
    try:
        inside = path.resolve().parent == root.resolve()
    except OSError:
        inside = False
    if not inside:
        raise ModelError(f"{pointer}: {version!r} leads outside {root} (a link?); delete "
                         "the pointer and run `recommender train --force`")
    return path


def load_champion(models_dir: str | Path) -> EngagementModel:
    info = champion_info(models_dir)
    if info is None:
        raise ModelError(f"{models_dir}: no trained model yet; train one with "
                         f"`recommender train --models {models_dir}`")
    model = load_model(champion_path(models_dir, info["version"]))
    model.version = str(info["version"])
    return model


def clear_debris(models_dir: str | Path) -> None:
    """Remove what killed trains left (``.incoming-*`` directories, pointer temp files);
    call with the models directory's lock held, when no other train can be writing."""
    root = models_root(models_dir)
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name.startswith(".incoming-") and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".champion.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def write_version(model: EngagementModel, models_dir: str | Path, fingerprint: str,
                  extra: dict[str, Any]) -> Path:
    """Save ``model`` as a new version directory, atomically; return its path."""
    root = models_root(models_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{root}: cannot create the models directory "
                         f"({exc.strerror or exc}); choose a writable --models") from exc
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
