"""Model directories: identical round trip, no pickle, one-line errors for bad directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_model_support import FAST, queries, small

from recommender.errors import ModelError
from recommender.model import EngagementModel
from recommender.model.artifact import (
    MANIFEST,
    file_digest,
    load_model,
    manifest_checksum,
    save_model,
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[EngagementModel, Path]:
    data = small().as_store_data()
    model = EngagementModel(**FAST).fit(data)
    return model, save_model(model, tmp_path_factory.mktemp("m") / "model")


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    return Path(shutil.copytree(src, dst))


def test_round_trip_gives_identical_predictions(saved) -> None:  # type: ignore[no-untyped-def]
    model, path = saved
    data = small().as_store_data()
    q = queries(data, sorted(data.posts["creator"].unique()), small().collected_at)
    loaded = load_model(path)
    pd.testing.assert_frame_equal(model.predict(q, data), loaded.predict(q, data))
    assert loaded.feature_names_ == model.feature_names_


def test_loaded_models_predict_through_the_c_api_like_lightgbm(  # type: ignore[no-untyped-def]
        saved, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading skips LightGBM's Python package (its import costs ~0.25 s of every command)
    and calls its C library directly; predictions, contributions and importances are the
    ones the trained lightgbm.Booster gives, and without the library it falls back."""
    from recommender.model import _lgb

    model, path = saved
    data = small().as_store_data()
    q = queries(data, sorted(data.posts["creator"].unique()), small().collected_at)
    loaded = load_model(path)
    assert isinstance(loaded.booster_, _lgb.NativeBooster)
    from recommender.features import featurize

    table = featurize(data, q, model.config)
    pd.testing.assert_frame_equal(model.contributions(table), loaded.contributions(table))
    pd.testing.assert_frame_equal(model.importance(), loaded.importance())
    monkeypatch.setattr(_lgb, "_library", lambda: None)
    fallback = load_model(path)
    assert not isinstance(fallback.booster_, _lgb.NativeBooster)
    pd.testing.assert_frame_equal(loaded.predict(q, data), fallback.predict(q, data))


def test_directory_holds_plain_files_and_a_complete_manifest(saved) -> None:  # type: ignore[no-untyped-def]
    _, path = saved
    names = {p.name for p in path.rglob("*") if p.is_file()}
    assert names == {"model.txt", MANIFEST, "intervals.parquet", "importance.parquet",
                     "timing.parquet"}
    manifest = json.loads((path / MANIFEST).read_text())
    for key in ("files", "checksum", "format_version", "versions", "features",
                "categorical_features", "target", "target_label", "horizon_days", "interval",
                "conformal_quantiles", "training_window", "n_rows", "data_fingerprint"):
        assert manifest[key] is not None, key
    assert set(manifest["versions"]) >= {"lightgbm", "pandas", "numpy", "python", "recommender"}
    # Timing lives in the per-creator profile, not in the trees: no clock feature in them.
    assert not set(manifest["features"]) & {"local_hour", "local_weekday", "hour_of_week"}
    assert manifest["timing_profile"]["tau"] > 0


def test_a_loaded_model_has_the_same_timing_profile(saved) -> None:  # type: ignore[no-untyped-def]
    model, path = saved
    loaded = load_model(path)
    for creator in model.timing_.table_["creator"]:
        np.testing.assert_allclose(loaded.timing_.week(creator), model.timing_.week(creator))
        assert loaded.timing_.summary(creator) == model.timing_.summary(creator)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model directory here; train one"):
        load_model(tmp_path / "nope")


def test_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="not a model directory"):
        load_model(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ModelError, match="foreign manifest"):
        load_model(tmp_path)


def test_corrupted_manifest(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(saved[1], tmp_path / "m")
    (path / MANIFEST).write_text("{not json")
    with pytest.raises(ModelError, match="corrupted manifest.*retrain with `recommender train`"):
        load_model(path)


def _edit_manifest(path: Path, **changes: object) -> None:
    manifest = json.loads((path / MANIFEST).read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key)
        else:
            manifest[key] = value
    (path / MANIFEST).write_text(json.dumps(manifest))


def test_wrong_format_version(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(saved[1], tmp_path / "m")
    _edit_manifest(path, format_version=99)
    with pytest.raises(ModelError, match="format version 99"):
        load_model(path)


def test_lightgbm_major_version_mismatch(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(saved[1], tmp_path / "m")
    manifest = json.loads((path / MANIFEST).read_text())
    _edit_manifest(path, versions={**manifest["versions"], "lightgbm": "2.3.1"})
    with pytest.raises(ModelError, match="LightGBM 2.3.1.*different major version"):
        load_model(path)


def test_model_file_disagreeing_with_manifest(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _copy(saved[1], tmp_path / "m")
    manifest = json.loads((path / MANIFEST).read_text())
    _edit_manifest(path, features=list(reversed(manifest["features"])))
    with pytest.raises(ModelError, match="features do not match"):
        load_model(path)


def test_damaged_model_file_and_lookup(saved, tmp_path: Path,  # type: ignore[no-untyped-def]
                                       capfd: pytest.CaptureFixture[str]) -> None:
    path = _copy(saved[1], tmp_path / "m")
    (path / "model.txt").write_text("garbage")
    with pytest.raises(ModelError, match="model.txt: truncated or extended since training"):
        load_model(path)
    # The same garbage with the checksums doctored to match: LightGBM itself refuses it,
    # still in one line.
    _edit_manifest(path, files={**json.loads((path / MANIFEST).read_text())["files"],
                                "model.txt": file_digest(path / "model.txt")})
    _edit_manifest(path, checksum=manifest_checksum(json.loads((path / MANIFEST).read_text())))
    with pytest.raises(ModelError, match="unreadable LightGBM model"):
        load_model(path)
    assert "[LightGBM]" not in capfd.readouterr().err  # the one-line error says it all
    path = _copy(saved[1], tmp_path / "m2")
    (path / "lookups" / "intervals.parquet").write_bytes(b"nope")
    with pytest.raises(ModelError, match="intervals.parquet: truncated or extended"):
        load_model(path)
    path = _copy(saved[1], tmp_path / "m3")
    _edit_manifest(path, n_rows=None)
    with pytest.raises(ModelError, match="incomplete manifest"):
        load_model(path)
