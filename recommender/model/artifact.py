"""Model directories: plain files only, safe to load from anywhere.

Layout::

    model.txt                  LightGBM native text model
    manifest.json              format version, library versions, features, target, window,
                               data fingerprint, intervals, backtest metrics vs baselines
    lookups/intervals.parquet  conformal residual quantiles per history bucket
    lookups/importance.parquet feature importance (gain)
    lookups/timing.parquet     the per-creator timing profile (coefficients, check, summary)

Nothing is unpickled: loading reads JSON, Parquet and LightGBM's own text format, and checks
each against the manifest before use.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from recommender import __version__
from recommender.errors import ModelError
from recommender.features import FeatureConfig
from recommender.model import _lgb
from recommender.model.estimator import EngagementModel
from recommender.model.timing import TimingProfile

FORMAT = "tiktok-recommender-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BOOSTER = "model.txt"


def library_versions() -> dict[str, str]:
    import numpy
    import pandas

    return {"recommender": __version__, "lightgbm": _lgb.version(),
            "pandas": pandas.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def save_model(model: EngagementModel, directory: str | Path,
               extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` into ``directory`` (created; must be empty or absent)."""
    path = Path(directory)
    (path / "lookups").mkdir(parents=True, exist_ok=True)
    model.booster_.save_model(str(path / BOOSTER))
    model.intervals_.to_parquet(path / "lookups" / "intervals.parquet", index=False)
    model.importance().to_parquet(path / "lookups" / "importance.parquet", index=False)
    timing = getattr(model, "timing_", None)
    if timing is not None:
        timing.to_frame().to_parquet(path / "lookups" / "timing.parquet", index=False)
    start, end = model.training_window_
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": library_versions(),
        **model.describe(),
        "features": model.feature_names_,
        "categorical_features": {name: model.categories_.get(name, [])
                                 for name in model.categorical_features_},
        "conformal_quantiles": model.intervals_.to_dict(orient="records"),
        "population_baseline": model.population_baseline_,
        "timing_profile": None if timing is None else timing.state(),
        "training_window": {"first_post": start.isoformat(), "last_post": end.isoformat()},
        "n_rows": model.n_rows_,
        "data_fingerprint": getattr(model, "data_fingerprint_", None),
        **(extra or {}),
    }
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    model.manifest = manifest
    return path


def load_model(directory: str | Path) -> EngagementModel:
    """Load a model directory, explaining in one line why it cannot be used."""
    path = Path(directory)
    manifest = read_manifest(path)
    _check_versions(path, manifest)
    booster = _read_booster(path, manifest)
    model = _model_from_manifest(manifest)
    try:
        _restore_state(model, path, manifest)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{path / MANIFEST}: incomplete manifest (bad or missing {exc}); "
                         "retrain with `recommender train`") from exc
    model.booster_ = booster
    model.manifest = manifest
    model.name = path.name
    return model


def _restore_state(model: EngagementModel, path: Path, manifest: dict[str, Any]) -> None:
    model.feature_names_ = list(manifest["features"])
    model.categorical_features_ = list(manifest["categorical_features"])
    model.categories_ = {k: list(v) for k, v in manifest["categorical_features"].items()}
    model.population_baseline_ = float(manifest["population_baseline"])
    model.intervals_ = _read_lookup(path, "intervals")
    state = manifest.get("timing_profile")
    model.timing_ = (None if state is None
                     else TimingProfile.from_frame(_read_lookup(path, "timing"), state))
    window = manifest["training_window"]
    model.training_window_ = (pd.Timestamp(window["first_post"]), pd.Timestamp(window["last_post"]))
    model.n_rows_ = int(manifest["n_rows"])


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise ModelError(f"{path}: no model directory here; train one with `recommender train`")
    file = path / MANIFEST
    if not file.exists():
        raise ModelError(f"{path}: not a model directory (no {MANIFEST}); "
                         "point --models at a directory written by `recommender train`")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{file}: corrupted manifest ({exc.__class__.__name__}); "
                         "retrain with `recommender train`") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{file}: not a tiktok-recommender model (foreign manifest); "
                         "retrain with `recommender train`")
    return manifest


def _check_versions(path: Path, manifest: dict[str, Any]) -> None:
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(f"{path}: model format version {version} but this program reads "
                         f"version {FORMAT_VERSION}; retrain with `recommender train`")
    saved, installed = str(manifest.get("versions", {}).get("lightgbm", "?")), _lgb.version()
    if saved.split(".")[0] != installed.split(".")[0]:
        raise ModelError(f"{path}: trained with LightGBM {saved}, this is {installed} "
                         "(different major version); retrain with `recommender train`")


def _read_booster(path: Path, manifest: dict[str, Any]):  # type: ignore[no-untyped-def]
    file = path / BOOSTER
    if not file.is_file():
        raise ModelError(f"{file}: missing LightGBM model; retrain with `recommender train`")
    try:
        booster = _lgb.load_booster(file)
        names = list(booster.feature_name())
    except (_lgb.BoosterError, OSError) as exc:
        raise ModelError(f"{file}: unreadable LightGBM model ({str(exc).splitlines()[0]}); "
                         "retrain with `recommender train`") from exc
    if names != list(manifest.get("features", [])):
        raise ModelError(f"{file}: its features do not match {MANIFEST} (mixed-up or edited "
                         "files); retrain with `recommender train`")
    return booster


def _read_lookup(path: Path, name: str) -> pd.DataFrame:
    file = path / "lookups" / f"{name}.parquet"
    try:
        return pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ModelError(f"{file}: missing or damaged lookup table; "
                         "retrain with `recommender train`") from exc


def params_from_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The estimator's constructor arguments recorded in a manifest."""
    params = dict(manifest.get("params", {}))
    config = dict(manifest.get("feature_config", {}))
    for key, value in config.items():
        if isinstance(value, list):
            config[key] = tuple(value)
    try:
        params["feature_config"] = FeatureConfig(**config)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"manifest feature configuration is not understood ({exc}); "
                         "retrain with `recommender train`") from exc
    return params


def _model_from_manifest(manifest: dict[str, Any]) -> EngagementModel:
    try:
        return EngagementModel(**params_from_manifest(manifest))
    except TypeError as exc:
        raise ModelError(f"manifest parameters are not understood ({exc}); "
                         "retrain with `recommender train`") from exc
