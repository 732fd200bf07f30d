"""Model directories: plain files only, safe to load from anywhere.

Layout::

    model.txt                  LightGBM native text model
    manifest.json              format version, library versions, features, target, window,
                               data fingerprint, intervals, backtest metrics vs baselines
    lookups/intervals.parquet  conformal residual quantiles per history bucket
    lookups/importance.parquet feature importance (gain)
    lookups/timing.parquet     the per-creator timing profile (coefficients, check, summary)

Nothing is unpickled: loading reads JSON, Parquet and LightGBM's own text format, and checks
each against the manifest before use. The manifest records each file's SHA-256 and size
(``files``) and its own (``checksum``, over every other field): a truncated or edited
``model.txt`` is refused before LightGBM's C code ever parses it (which can crash on such a
file), and an edited manifest is refused too. Values are validated as well (target and
horizon agreeing with the parameters, finite baselines, sane interval quantiles), each
failure one line naming the field and the fix.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from recommender import __version__
from recommender.engagement import TARGETS
from recommender.errors import ModelError
from recommender.features import FeatureConfig
from recommender.model import _lgb
from recommender.model.estimator import EngagementModel
from recommender.model.timing import TimingProfile

FORMAT = "tiktok-recommender-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BOOSTER = "model.txt"
CHECKED_FILES = (BOOSTER, "lookups/intervals.parquet", "lookups/importance.parquet")
TIMING_FILE = "lookups/timing.parquet"


def checked_files(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The files a model directory must hold, checksummed (the timing profile if it has one)."""
    timing = (TIMING_FILE,) if manifest.get("timing_profile") is not None else ()
    return CHECKED_FILES + timing
_RETRAIN = "retrain with `recommender train`"


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
        "n_rounds": model.rounds(),  # early stopping's choice, <= n_estimators
        "tree_scale": model.trees_scale(),  # the factor the trees are read at
        "follower_elasticity": model.elasticity(),  # the level's move with followers
        "profile_after_post_rows": getattr(model, "profile_after_post_rows_", None),
        "data_fingerprint": getattr(model, "data_fingerprint_", None),
        **(extra or {}),
    }
    manifest["files"] = {name: file_digest(path / name) for name in checked_files(manifest)}
    manifest["checksum"] = manifest_checksum(manifest)
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    model.manifest = manifest
    return path


def load_model(directory: str | Path) -> EngagementModel:
    """Load a model directory, explaining in one line why it cannot be used."""
    path = Path(directory)
    manifest = read_manifest(path)
    _check_versions(path, manifest)
    verify_files(path, manifest)
    model = _model_from_manifest(manifest)
    _check_values(path, manifest, model)
    booster = _read_booster(path, manifest)
    try:
        _restore_state(model, path, manifest)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"{path / MANIFEST}: incomplete manifest (bad or missing {exc}); "
                         "retrain with `recommender train`") from exc
    _check_intervals(path, manifest, model.intervals_)
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise ModelError(f"{path / MANIFEST}: edited after training (its checksum does not "
                         f"match its content); {_RETRAIN}")
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
    model.n_rounds_ = manifest.get("n_rounds")  # absent in models saved before early stopping
    model.tree_scale_ = float(manifest.get("tree_scale", 1.0))  # absent before scale_trees
    # Absent before follower_level: those models' levels were the trailing median alone.
    model.follower_elasticity_ = float(manifest.get("follower_elasticity", 0.0))
    model.profile_after_post_rows_ = manifest.get("profile_after_post_rows")


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


def file_digest(file: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"sha256": digest.hexdigest(), "bytes": size}


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's content without its ``checksum`` field (canonical JSON)."""
    content = {k: v for k, v in manifest.items() if k != "checksum"}
    text = json.dumps(content, sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def signature(model: EngagementModel, fingerprint: str) -> str:
    """Data + parameters: equal signatures mean the same training run (see train.py)."""
    described = json.dumps(model.describe(), sort_keys=True, default=str)
    return hashlib.sha256(f"{fingerprint}|{described}".encode()).hexdigest()[:16]


def verify_files(path: Path, manifest: dict[str, Any]) -> None:
    """Every file against the size and SHA-256 the manifest recorded at training time."""
    files = manifest.get("files")
    required = checked_files(manifest)
    if not isinstance(files, dict) or set(files) != set(required):
        raise ModelError(f"{path / MANIFEST}: no file checksums (written by an older version "
                         f"or edited); {_RETRAIN}")
    for name in required:
        file = path / name
        if not file.is_file():
            raise ModelError(f"{file}: missing model file; {_RETRAIN}")
        try:
            found = file_digest(file)
        except OSError as exc:
            raise ModelError(f"{file}: cannot read ({exc.strerror or exc}); {_RETRAIN}") from exc
        expected = files[name] if isinstance(files[name], dict) else {}
        if found != {"sha256": expected.get("sha256"), "bytes": expected.get("bytes")}:
            what = ("truncated or extended" if found["bytes"] != expected.get("bytes")
                    else "edited")
            raise ModelError(f"{file}: {what} since training (does not match its checksum in "
                             f"{MANIFEST}); {_RETRAIN}")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def _check_values(path: Path, manifest: dict[str, Any], model: EngagementModel) -> None:
    """Manifest values a prediction is printed with: present, sane and self-consistent."""
    file = path / MANIFEST

    def bad(field: str, why: str) -> ModelError:
        return ModelError(f"{file}: {field} {why}; {_RETRAIN}")

    target = manifest.get("target")
    if target not in TARGETS:
        raise bad("target", f"{target!r} is not a known engagement target")
    if target != model.target:
        raise bad("target", f"{target!r} disagrees with the model's parameters "
                  f"({model.target!r})")
    horizon = manifest.get("horizon_days")
    if not _finite(horizon) or horizon <= 0 or horizon != model.horizon_days:
        raise bad("horizon_days", f"{horizon!r} is not a positive number agreeing with the "
                  f"model's parameters ({model.horizon_days!r})")
    interval = manifest.get("interval")
    if not _finite(interval) or not 0 < interval < 1 or interval != model.interval:
        raise bad("interval", f"{interval!r} is not a coverage in (0, 1) agreeing with the "
                  "model's parameters")
    if not _finite(manifest.get("population_baseline")):
        raise bad("population_baseline", f"{manifest.get('population_baseline')!r} is not a "
                  "finite number")
    n_rows = manifest.get("n_rows")
    if n_rows is not None and (not isinstance(n_rows, int) or n_rows <= 0):
        raise bad("n_rows", f"{n_rows!r} is not a positive count")
    # (Not re-derived here: the training signature, which a new feature setting with a
    # default would change for every older model; the manifest checksum catches edits.)


def _check_intervals(path: Path, manifest: dict[str, Any], intervals: pd.DataFrame) -> None:
    file = path / "lookups" / "intervals.parquet"
    needed = {"min_prev_posts", "min_distance", "low", "high", "n"}
    if not needed <= set(intervals.columns) or intervals.empty:
        raise ModelError(f"{file}: not an interval table (columns {sorted(needed)}); "
                         f"{_RETRAIN}")
    values = intervals[["low", "high"]].to_numpy(dtype="float64")
    if (not pd.notna(values).all() or not (abs(values) < 1e6).all()
            or (values[:, 0] > values[:, 1]).any()):
        raise ModelError(f"{file}: interval quantiles are not finite with low <= high; "
                         f"{_RETRAIN}")
    if ((intervals["n"] < 0).any() or (intervals["min_prev_posts"] < 0).any()
            or (intervals["min_distance"] < 1).any()):
        raise ModelError(f"{file}: negative counts in the interval table; {_RETRAIN}")
    unit = intervals["unit"] if "unit" in intervals else pd.Series([1.0])
    if not (unit.notna() & (unit > 0) & (unit < 1e6)).all():
        raise ModelError(f"{file}: the interval scale unit is not a positive number; "
                         f"{_RETRAIN}")
    recorded = manifest.get("conformal_quantiles")
    if recorded != intervals.to_dict(orient="records"):
        raise ModelError(f"{path / MANIFEST}: conformal_quantiles disagree with "
                         f"lookups/intervals.parquet (edited?); {_RETRAIN}")


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
    # Models saved before the level filter learned their trees against the trailing median.
    params.setdefault("level_model", "median")
    params.setdefault("follower_level", False)
    params.setdefault("additive_sound", False)  # absent before it: unconstrained trees
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
