"""Model directories are checked before use: checksums, manifest values, the champion pointer.

A damaged or doctored model must end in one line and exit 1, never in a LightGBM crash
(SIGSEGV/SIGABRT) or a prediction printed from edited values.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_recommend_support import trained

from recommender.errors import ModelError
from recommender.model.artifact import MANIFEST, load_model, manifest_checksum
from recommender.model.registry import CHAMPION, champion_info, load_champion


def _models_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the trained models directory and its champion's version directory."""
    models = Path(shutil.copytree(trained().models_dir, tmp_path / "models"))
    version = json.loads((models / CHAMPION).read_text())["version"]
    return models, models / version


def _edit(version_dir: Path, rehash: bool = False, **changes: object) -> None:
    manifest = json.loads((version_dir / MANIFEST).read_text())
    manifest.update(changes)
    if rehash:  # a careful forger: the manifest's own checksum recomputed
        manifest["checksum"] = manifest_checksum(manifest)
    (version_dir / MANIFEST).write_text(json.dumps(manifest))


def test_truncated_and_edited_model_files_are_refused_before_lightgbm(tmp_path: Path) -> None:
    models, version = _models_copy(tmp_path)
    booster = version / "model.txt"
    original = booster.read_bytes()
    booster.write_bytes(original[: len(original) // 2])
    with pytest.raises(ModelError, match=r"model.txt: truncated or extended since training"):
        load_champion(models)
    edited = original.replace(b"leaf_value=", b"leaf_value=9", 1)
    booster.write_bytes(edited[: len(original)])  # same size, different bytes
    with pytest.raises(ModelError, match=r"model.txt: edited since training"):
        load_champion(models)


def test_a_model_file_from_another_version_is_refused(tmp_path: Path) -> None:
    """A views model dropped into a weighted model's directory (the manifest says weighted)."""
    models, version = _models_copy(tmp_path)
    other = Path(shutil.copytree(version, models / "other"))
    text = (other / "model.txt").read_text()
    (other / "model.txt").write_text(text.replace("objective=huber", "objective=regression"))
    shutil.copy(other / "model.txt", version / "model.txt")
    with pytest.raises(ModelError, match="model.txt: .* since training"):
        load_champion(models)


@pytest.mark.parametrize(("changes", "message"), [
    ({"target": "views"}, r"target 'views' disagrees with the model's parameters"),
    ({"target": "no-such"}, r"target 'no-such' is not a known engagement target"),
    ({"horizon_days": 30.0}, r"horizon_days 30.0 is not a positive number agreeing"),
    ({"population_baseline": math.nan}, r"population_baseline nan is not a finite number"),
    ({"interval": 1.5}, r"interval 1.5 is not a coverage in \(0, 1\)"),
])
def test_manifest_values_are_validated(tmp_path: Path, changes: dict[str, object],
                                       message: str) -> None:
    _, version = _models_copy(tmp_path)
    _edit(version, rehash=True, **changes)
    with pytest.raises(ModelError, match=message):
        load_model(version)


def test_edited_parameters_or_quantiles_are_refused(tmp_path: Path) -> None:
    _, version = _models_copy(tmp_path)
    manifest = json.loads((version / MANIFEST).read_text())
    params = {**manifest["params"], "target": "views", "horizon_days": 1.0}
    _edit(version, params=params, target="views", horizon_days=1.0)  # all consistent
    with pytest.raises(ModelError, match="edited after training"):
        load_model(version)

    _, version = _models_copy(tmp_path / "q")
    quantiles = [{**q, "low": -abs(q["high"]) - 5, "high": -abs(q["high"]) - 4}
                 for q in manifest["conformal_quantiles"]]
    _edit(version, rehash=True, conformal_quantiles=quantiles)
    with pytest.raises(ModelError, match="conformal_quantiles disagree with"):
        load_model(version)

    _, version = _models_copy(tmp_path / "n")
    _edit(version, n_rows=manifest["n_rows"] + 1)  # the checksum is not recomputed
    with pytest.raises(ModelError, match="edited after training"):
        load_model(version)


@pytest.mark.parametrize("pointer", ["../../outside_model", "/tmp", "..", ".incoming-x",
                                     "a/b"])
def test_champion_pointer_stays_inside_the_models_directory(tmp_path: Path,
                                                            pointer: str) -> None:
    models, _ = _models_copy(tmp_path)
    (models / CHAMPION).write_text(json.dumps({"version": pointer}))
    with pytest.raises(ModelError, match=r"champion.json: names .* not a version directory"):
        load_champion(models)


def test_champion_pointer_through_a_link_out_is_refused(tmp_path: Path) -> None:
    models, version = _models_copy(tmp_path)
    outside = Path(shutil.copytree(version, tmp_path / "outside_model"))
    os.symlink(outside, models / "linked")
    (models / CHAMPION).write_text(json.dumps({"version": "linked"}))
    with pytest.raises(ModelError, match="leads outside"):
        champion_info(models)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recommender", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.mark.parametrize("damage", ["truncate", "edit"])
def test_suggest_and_score_exit_1_in_one_line_on_a_damaged_model(tmp_path: Path,
                                                                 damage: str) -> None:
    env = trained()
    models, version = _models_copy(tmp_path)
    booster = version / "model.txt"
    text = booster.read_bytes()
    if damage == "truncate":
        booster.write_bytes(text[: len(text) // 3])
    else:  # the ~136-warnings-then-SIGABRT kind: numbers in the trees made nonsense
        booster.write_bytes(text.replace(b"threshold=", b"threshold=x"))
    creator = str(env.data.posts["creator"].iloc[0])
    plan = tmp_path / "plan.csv"
    plan.write_text(f"creator,planned_at\n{creator},2025-06-10T12:00\n")
    for args in (["suggest", creator], ["score", str(plan)]):
        done = _cli(*args, "--data", str(env.data_dir), "--models", str(models))
        assert done.returncode == 1, (args, done.returncode, done.stderr[-500:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-500:]
        assert "model.txt" in lines[0] and "since training" in lines[0]


def test_debris_of_killed_trains_is_cleared(tmp_path: Path) -> None:
    from recommender.model.registry import clear_debris

    models, version = _models_copy(tmp_path)
    shutil.copytree(version, models / ".incoming-killed")
    (models / ".champion.x.tmp").write_text("{")
    clear_debris(models)
    left = sorted(p.name for p in models.iterdir() if p.name != ".lock")
    assert left == sorted([CHAMPION, version.name])
    load_champion(models)
