"""The engagement model: LightGBM on the leakage-safe training table, with intervals.

Prediction (log scale) = the creator's level (``level_model="filter"``: the robust
local-level-with-trend filter of ``features.level``, extrapolated to the post; ``"median"``:
the trailing median; the population median without history) + the creator's timing
profile at the post's slot (``recommender.model.timing``: one smooth, partially pooled,
out-of-sample-checked estimate; 0 where timing barely matters) + the trees' part (content,
trends, cadence, momentum: every feature but the clock ones).

Intervals are split-conformal: ``fit`` first trains on all but each creator's latest 20% of
posts, measures the residuals on those (each creator's next posts, as real use and a
fixed-origin hold-out are), then refits on everything. The residual quantiles are kept per
history bucket and distance from the last known outcome (``intervals.conformal``), so a creator
with three earlier posts gets the wider interval that such rows earned in calibration. The
calibration model sees other creators' later posts (never the row's own creator's): the
intervals can be a little optimistic, which the fixed-origin coverage figures measure.

With ``early_stopping`` (opt-in; README, "Accuracy by kind of account") the early fit
also chooses the number of boosting rounds, at most ``n_estimators``, on those calibration
rows, their track record frozen at the cut (``staleness.frozen_at_first``), and the final
fit trains that many.

With ``scale_trees`` (the default; README, "Accuracy by kind of account") the trees' part
is read at one factor (``tree_scale``) fitted on those same frozen calibration rows, scored
by the early fit's trees: boosting leaves the trees' departures from the level timid on the
shared real file (factor 1.19 there) and overstated on small stores (0.5-0.6 on the tests'
12-creator world).

With ``additive_sound`` (opt-in; README, "How far to trust the advice") the sound features
sit in trees of their own (``sound_apart``): one sound's effect is the same for everyone.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from recommender.engagement import TARGETS
from recommender.errors import TrainingError, UsageError
from recommender.features import (
    FeatureConfig,
    categorical_features,
    clock_features,
    config_for_target,
    feature_names,
    featurize,
    level,
    preprocess,
)
from recommender.features.profile import AFTER_POST
from recommender.model import _lgb, follower_level, intervals, staleness, tree_scale
from recommender.model.timing import TimingProfile
from recommender.store import StoreData, fingerprint_posts

MIN_ROWS = 40
CALIBRATION_SHARE = 0.2
PATIENCE = 30  # rounds without a better calibration MAE before boosting stops
# Fewer calibration rows than this and early stopping is off: one round's change in their
# MAE is lost in the noise of so few rows (the sd of an MAE near 0.7 over 200 rows is ~0.04).
MIN_VALID_ROWS = 200
LEVEL_MODELS = ("filter", "median")
SOUND_PREFIX = "sound_"  # the trend family's sound features and ``sound_is_original``
_NO_MONOTONE = ("l1", "regression_l1", "mae", "quantile", "mape")  # LightGBM refuses these


class EngagementModel:
    """Predicts a post's engagement (log scale) at ``horizon_days`` after posting."""

    def __init__(
        self,
        target: str = "weighted",
        horizon_days: float = 7.0,
        interval: float = 0.8,
        n_estimators: int = 150,
        learning_rate: float = 0.075,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        random_state: int = 0,
        n_jobs: int = 2,
        objective: str = "huber",
        monotone_age: bool = True,
        feature_config: FeatureConfig | None = None,
        timing_profile: bool = True,
        level_model: str = "median",
        level_features: bool = False,
        stale_shift: int = 0,
        scaled_intervals: bool = True,
        early_stopping: bool = False,
        scale_trees: bool = True,
        follower_level: bool = False,
        additive_sound: bool = False,
    ) -> None:
        self.target = target
        self.horizon_days = horizon_days
        self.interval = interval
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.objective = objective
        self.monotone_age = monotone_age
        self.feature_config = feature_config
        self.timing_profile = timing_profile
        self.level_model = level_model
        self.level_features = level_features
        self.stale_shift = stale_shift
        self.scaled_intervals = scaled_intervals
        self.early_stopping = early_stopping
        self.scale_trees = scale_trees
        self.follower_level = follower_level
        self.additive_sound = additive_sound

    # -- parameters ------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        params = {k: getattr(self, k) for k in (
            "target", "horizon_days", "interval", "n_estimators", "learning_rate",
            "num_leaves", "min_child_samples", "random_state", "objective", "monotone_age",
            "timing_profile", "level_model", "level_features",
            "stale_shift", "scaled_intervals", "early_stopping", "scale_trees",
            "follower_level", "additive_sound")}
        return params

    @property
    def config(self) -> FeatureConfig:
        """The feature configuration, resolved for the target (what ``featurize`` needs)."""
        base = self.feature_config or FeatureConfig(horizon_days=self.horizon_days)
        return config_for_target(base, self.target)

    def _validate(self) -> None:
        if self.target not in TARGETS:
            raise UsageError(f"unknown target {self.target!r}; choose one of {', '.join(TARGETS)}")
        if not 0.5 <= self.interval < 1:
            raise UsageError(f"interval {self.interval} must be in [0.5, 1)")
        if self.n_estimators < 1 or self.learning_rate <= 0 or self.num_leaves < 2:
            raise UsageError("n_estimators >= 1, learning_rate > 0 and num_leaves >= 2 required")
        if self.level_model not in LEVEL_MODELS:
            raise UsageError(f"unknown level_model {self.level_model!r}; choose one of "
                             f"{', '.join(LEVEL_MODELS)}")

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, data: StoreData) -> EngagementModel:
        self._validate()
        self.fit_table(preprocess(data, self.config, self.target))
        self.data_fingerprint_ = fingerprint_posts(data.posts)
        return self

    def fit_table(self, table: pd.DataFrame) -> EngagementModel:
        """Fit on a table made by ``features.preprocess`` (time-ordered)."""
        self._validate()
        if len(table) < MIN_ROWS:
            raise TrainingError(
                f"only {len(table)} posts with a known outcome; at least {MIN_ROWS} are needed "
                "to train (ingest more history)"
            )
        left_out = set(clock_features(self.config)) if self.timing_profile else set()
        if not self.level_features:
            left_out |= set(level.names(self.config))
        self.feature_names_ = [n for n in feature_names(self.config) if n not in left_out]
        self.categorical_features_ = [n for n in categorical_features(self.config)
                                      if n in self.feature_names_]
        self.categories_ = {name: sorted(int(v) for v in table[name].dropna().unique())
                            for name in self.categorical_features_}
        table = table.sort_values("posted_at", kind="stable").reset_index(drop=True)
        self.population_baseline_ = float(np.nanmedian(table["y"]))
        calibration = intervals.latest_per_creator(table, CALIBRATION_SHARE, MIN_ROWS // 2)
        self.n_rounds_ = None
        self.tree_scale_ = 1.0
        # The frozen copy only when it is used: fit runs on every retrain (1M rows).
        frozen = (staleness.frozen_at_first(table, calibration)
                  if self.early_stopping or self.scale_trees else None)
        early = self._fit_parts(table[~calibration],
                                valid=frozen if self.early_stopping else None)
        if self.scale_trees:
            assert frozen is not None
            self.tree_scale_ = tree_scale.fit(
                self._label(frozen), self.tree_part(frozen, self.n_jobs, booster=early))
        self.intervals_ = intervals.conformal(self, table, calibration, early)
        self.booster_ = self._fit_parts(table)
        self.training_window_ = (table["posted_at"].min(), table["posted_at"].max())
        self.n_rows_ = len(table)
        # Rows whose profile reading is later than the post ("profile at prediction time").
        flag = table.get(AFTER_POST, pd.Series(dtype="float64"))
        self.profile_after_post_rows_ = int((flag == 1).sum())
        return self

    def _train(self, table: pd.DataFrame, valid: pd.DataFrame | None = None):  # type: ignore[no-untyped-def]
        """The trees for ``table``. With ``valid`` (the calibration rows: each creator's
        latest posts, which the early fit does not see) and ``early_stopping``, boosting
        stops once their MAE has not improved for PATIENCE rounds, and the number of rounds
        it reached (``n_rounds_``) is what the final fit on everything trains."""
        lgb = _lgb.lightgbm()

        # The trees learn the departure from the creator's usual level (trailing median):
        # across creators the level explains most variance, but within a creator what
        # matters is how this post differs, and a residual target keeps that visible.
        table = self._training_rows(table)
        dataset = lgb.Dataset(
            self._matrix(table), label=self._label(table),
            categorical_feature=self.categorical_features_, free_raw_data=True,
        )
        if not self._stops_early(valid):
            return _lgb.train(self.lgb_params(), dataset, num_boost_round=self.rounds())
        assert valid is not None
        held = lgb.Dataset(self._matrix(valid), reference=dataset, label=self._label(valid),
                           categorical_feature=self.categorical_features_)
        booster = _lgb.train({**self.lgb_params(), "metric": "l1"}, dataset,
                             num_boost_round=self.n_estimators, valid_sets=[held],
                             callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
        self.n_rounds_ = int(booster.best_iteration or self.n_estimators)
        return booster

    def _label(self, table: pd.DataFrame) -> np.ndarray:
        """What the trees learn: the outcome less the offset (level + timing profile)."""
        return table["y"].to_numpy(dtype="float64") - self._offset(table)

    def _stops_early(self, valid: pd.DataFrame | None) -> bool:
        """Whether this fit chooses its rounds on ``valid`` (see ``_train``)."""
        return valid is not None and self.early_stopping and len(valid) >= MIN_VALID_ROWS

    def rounds(self) -> int:
        """Boosting rounds of the final fit: what early stopping chose, else the cap."""
        return int(getattr(self, "n_rounds_", None) or self.n_estimators)

    def _training_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` and, with ``stale_shift``, each row again with its creator's track
        record frozen up to that many posts back (``staleness``), as every post after the
        last known outcome sees it."""
        stale = staleness.stale_copy(table, getattr(self, "stale_shift", 0), self.random_state)
        return pd.concat([table, stale], ignore_index=True) if len(stale) else table

    def lgb_params(self) -> dict[str, Any]:
        """LightGBM's parameters for the trees (also what ``recommender.distributed``
        trains with)."""
        params = {
            "objective": self.objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "feature_fraction": 0.85,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            # Hour / weekday categories: a category needs only as many rows as a leaf does
            # (LightGBM's default of 100 hides the hour of small creators' stores).
            "min_data_per_group": self.min_child_samples,
            "cat_smooth": 5.0,
            "seed": self.random_state,
            "deterministic": True,
            "num_threads": self.n_jobs,
            "verbose": -1,
        }
        if self.monotone_age and self.objective not in _NO_MONOTONE:
            # Counts are cumulative: an older post never has fewer interactions.
            params["monotone_constraints"] = [int(n == "age_days") for n in self.feature_names_]
            params["monotone_constraints_method"] = "advanced"
        if self.additive_sound:
            params["interaction_constraints"] = sound_apart(self.feature_names_)
        return params

    def _fit_parts(self, table: pd.DataFrame,  # type: ignore[no-untyped-def]
                   valid: pd.DataFrame | None = None):
        """Timing profile (``self.timing_``, from settled rows' residuals against the
        level) and then the trees for ``table``, which learn what the profile leaves.
        (Fitting the profile on the residuals of a first tree pass was tried: in-sample
        trees soak up part of the timing signal and the profile comes out at a third of
        its size on generated worlds.)"""
        self.timing_ = None
        settled = table[table["age_days"].fillna(np.inf) >= self.config.settled_days]
        self.follower_elasticity_ = (follower_level.fit_elasticity(settled)
                                     if self.follower_level and self.target != "lift" else 0.0)
        if self.timing_profile:
            residual = settled["y"].to_numpy(dtype="float64") - self.level(settled)
            self.timing_ = TimingProfile().fit(
                settled["creator"].to_numpy(), settled["local_hour"].to_numpy(),
                settled["local_weekday"].to_numpy(), residual,
                settled["hours_since_prev"].to_numpy(dtype="float64"))
        return self._train(table, valid)

    def level(self, table: pd.DataFrame) -> np.ndarray:
        """The creator's level, the offset the trees learn the departure from: the filter's
        level extrapolated to the post (``level_model="filter"``) or the trailing median,
        moved with the followers gained since (``follower_level``); the population median
        without history. 0 for the ``lift`` target."""
        if self.target == "lift":
            return np.zeros(len(table))
        column = "level" if getattr(self, "level_model", "median") == "filter" else "baseline"
        if column not in table:
            column = "baseline"
        base = table[column].astype("float64").fillna(self.population_baseline_).to_numpy()
        return base + self.elasticity() * follower_level.growth(table)

    def elasticity(self) -> float:
        """How the level moves with log follower growth (0 unless ``follower_level``)."""
        return float(getattr(self, "follower_elasticity_", 0.0))

    def baseline(self, table: pd.DataFrame) -> np.ndarray:
        """The usual post lifts are measured against: the trailing median (population median
        without history); 0 for ``lift``. Kept apart from ``level`` so "lift vs your usual
        post" means what it always did, whichever level the model predicts from."""
        if self.target == "lift":
            return np.zeros(len(table))
        return (table["baseline"].astype("float64").fillna(self.population_baseline_)
                .to_numpy())

    def timing_part(self, table: pd.DataFrame) -> np.ndarray:
        """The creator's timing profile at each row's local slot (log scale; 0 without one)."""
        timing = getattr(self, "timing_", None)
        if timing is None:
            return np.zeros(len(table))
        return timing.effect(table["creator"], table["local_hour"].to_numpy(dtype="float64"),
                             table["local_weekday"].to_numpy(dtype="float64"))

    def _offset(self, table: pd.DataFrame) -> np.ndarray:
        """Everything but the trees: level + timing profile."""
        return self.level(table) + self.timing_part(table)

    def _matrix(self, table: pd.DataFrame) -> pd.DataFrame:
        return table[self.feature_names_].astype("float64")

    # -- predicting ------------------------------------------------------------------------
    def predict_table(self, table: pd.DataFrame, n_threads: int = 0) -> np.ndarray:
        return self._offset(table) + self.tree_part(table, n_threads)

    def tree_part(self, table: pd.DataFrame, n_threads: int = 0,
                  booster: Any = None) -> np.ndarray:
        """The trees' part of the log prediction: all of it but the creator's offset (what
        the features decide; ``table`` needs ``feature_names_`` only), read at the scale
        ``scale_trees`` fitted (``tree_scale_``). ``n_threads`` 0: LightGBM's
        default (every core). ``booster``: other trees than ``booster_`` (the early fit
        the intervals are calibrated with)."""
        trees = self.booster_ if booster is None else booster
        return self.trees_scale() * _lgb.predict(trees, self._matrix(table), n_threads)

    def trees_scale(self) -> float:
        """The factor the trees' output is read at (1 unless ``scale_trees`` fitted one)."""
        return float(getattr(self, "tree_scale_", 1.0))

    def with_own_booster(self) -> EngagementModel:
        """The same fitted model with its own LightGBM handle, for predicting in another
        thread (concurrent predictions on one handle are not documented as safe)."""
        twin = copy.copy(self)
        twin.booster_ = _lgb.clone(self.booster_)
        return twin

    def interval_table(self, table: pd.DataFrame, pred: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """The interval (log scale) around ``pred`` for each row of ``table``."""
        return intervals.bounds(self, table, pred)

    def predict(self, queries: pd.DataFrame, data: StoreData) -> pd.DataFrame:
        """Predicted engagement of hypothetical posts with interval, baseline and lift."""
        table = featurize(data, queries, self.config)
        return self.predict_features(table)

    def predict_features(self, table: pd.DataFrame, n_threads: int = 0) -> pd.DataFrame:
        pred = self.predict_table(table, n_threads)
        low, high = self.interval_table(table, pred)
        baseline = self.baseline(table)
        out = pd.DataFrame(
            {"predicted": pred, "low": low, "high": high, "baseline": baseline,
             "lift": pred - baseline},
            index=table.index,
        )
        out.attrs.update(target=self.target, target_label=TARGETS[self.target].label,
                         horizon_days=self.horizon_days, interval=self.interval)
        return out

    def contributions(self, table: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions (LightGBM SHAP values) + ``bias``, one row per post."""
        values = self.trees_scale() * _lgb.predict(self.booster_, self._matrix(table),
                                                   pred_contrib=True)
        out = pd.DataFrame(values, columns=[*self.feature_names_, "bias"], index=table.index)
        # The timing profile is additive too: its value is this row's timing contribution.
        out.insert(len(self.feature_names_), "slot_profile", self.timing_part(table))
        return out

    def importance(self) -> pd.DataFrame:
        gain = self.booster_.feature_importance(importance_type="gain")
        return (pd.DataFrame({"feature": self.feature_names_, "gain": gain})
                .sort_values("gain", ascending=False, ignore_index=True))

    def describe(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "target_label": TARGETS[self.target].label,
            "horizon_days": self.horizon_days,
            "interval": self.interval,
            "params": self.get_params(),
            "feature_config": {k: list(v) if isinstance(v, tuple) else v
                               for k, v in asdict(self.config).items()},
        }


def sound_apart(names: list[str]) -> list[list[int]]:
    """LightGBM interaction constraints that keep the sound features (``sound_*``) in
    branches of their own: a sound's effect on the log scale is then the same whoever posts
    it and whatever else they choose, not a per-creator interaction. On generated worlds,
    where a trending sound's planted lift is the same for everyone, the unconstrained trees
    spread one sound's predicted lift from +15% to +150% across creators (README, "How far
    to trust the advice")."""
    sound = [i for i, name in enumerate(names) if name.startswith(SOUND_PREFIX)]
    taken = set(sound)
    rest = [i for i in range(len(names)) if i not in taken]
    return [group for group in (sound, rest) if group]


def stopping_round(curve: list[float] | np.ndarray, patience: int) -> int:
    """The round LightGBM's ``early_stopping`` callback keeps for this validation curve
    (1-based): the best so far, once ``patience`` rounds in a row have not beaten it."""
    best, best_at = np.inf, 0
    for i, value in enumerate(curve):
        if value < best:
            best, best_at = float(value), i
        elif i - best_at >= patience:
            break
    return best_at + 1
