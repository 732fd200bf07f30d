"""One vectorised model call for a batch of hypothetical posts: predictions + contributions.

The only place in ``recommend/`` that touches the model's interface, so an interface change
is fixed here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, row_codes
from recommender.errors import ModelError
from recommender.recommend.candidates import QUERY_COLUMNS
from recommender.recommend.explain import ACTIONABLE, GROUPS, feature_group, group_contributions
from recommender.store import StoreData

if TYPE_CHECKING:
    from concurrent.futures import Future

@dataclass
class Scored:
    """Log-scale predictions (``predicted, low, high, baseline, lift``) for every row; the
    per-group contributions only for the rows that get explained (SHAP values cost ~100x a
    prediction, and most candidates of a suggestion grid are never shown)."""

    pred: pd.DataFrame
    table: pd.DataFrame  # model features, same row order as ``pred``
    model: Any
    creator: np.ndarray  # per row: its creator

    def one_change_groups(self, rows: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
        """GROUPS columns for ``rows`` (positions): each actionable decision's exact worth,
        the row's ``reference`` post (positions, e.g. the creator's usual post) with only that
        decision's features taken from the row, minus the reference; ``history`` is what the
        decisions leave of row minus reference (interactions, the date). A variant depends
        only on (reference, the decision's feature values), so each distinct one is
        predicted once: a plan of a million rows repeats its choices."""
        rows, reference = np.asarray(rows), np.asarray(reference)
        predicted = self.pred["predicted"].to_numpy()
        out = pd.DataFrame(0.0, index=rows, columns=list(GROUPS))
        try:
            for group in ACTIONABLE:
                columns = [c for c in self.table.columns if feature_group(str(c)) == group
                           and c != "creator"]
                if not columns:
                    continue
                combo = row_codes([self.table[c].to_numpy(dtype="float64")[rows]
                                   for c in columns] + [reference.astype("float64")])
                first = first_positions(combo)
                variant = self.table.iloc[reference[first]].reset_index(drop=True)
                variant[columns] = self.table[columns].iloc[rows[first]].to_numpy()
                # One thread: another may be predicting the next part meanwhile.
                effect = self.model.predict_table(variant, 1) - predicted[reference[first]]
                out[group] = effect[combo]
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc
        full = predicted[rows] - predicted[reference]
        out["history"] = full - out[list(ACTIONABLE)].sum(axis=1).to_numpy()
        return out

    def groups_for(self, rows: np.ndarray | list[int] | slice) -> pd.DataFrame:
        """explain.GROUPS columns for ``rows`` (positions), indexed by those positions:
        LightGBM's exact per-feature contributions (SHAP), summed per group. SHAP costs
        ~100x a prediction, so it is for a few hundred rows (a creator's past posts);
        plans use ``one_change_groups``."""
        part = self.table.iloc[rows]
        index = np.arange(len(self.table))[rows]
        try:
            contrib = self.model.contributions(part)
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc
        return group_contributions(contrib.set_axis(index))

    def only_group_varies(self, group: str, base: int, rows: np.ndarray) -> np.ndarray:
        """Log predictions of row ``base`` with just ``group``'s features taken from each
        of ``rows`` (positions): what changing only that decision is worth, one cheap
        prediction per row where SHAP would cost ~100x."""
        columns = [c for c in self.table.columns if feature_group(str(c)) == group]
        variant = self.table.iloc[np.repeat(base, len(rows))].reset_index(drop=True)
        if columns:
            variant[columns] = self.table[columns].iloc[rows].to_numpy()
        try:
            return self.model.predict_features(variant)["predicted"].to_numpy()
        except (KeyError, ValueError) as exc:
            raise _model_error(exc) from exc


def score_batch(model: Any, queries: pd.DataFrame, data: StoreData) -> Scored:
    """Score ``queries`` (QUERY_COLUMNS, extra columns ignored) in one batch."""
    frame, table = _features(model, queries, data)
    try:
        pred = model.predict_features(table)
    except (KeyError, ValueError) as exc:
        raise _model_error(exc) from exc
    return _scored(model, frame, table, pred)


def score_batches(model: Any, batches: Iterable[pd.DataFrame], data: StoreData,
                  creators: list[str]) -> Iterator[Scored]:
    """``score_batch`` for each of ``batches`` (whose creators are all in ``creators``), in
    order, with the two cores both busy: while one batch is predicted in a background
    thread (one LightGBM thread, its own handle; LightGBM releases the GIL), the next is
    featurised here and the caller works on the one before. On 2 cores this hides most of
    the prediction of a large plan. The store's side of the features is built once."""
    from concurrent.futures import ThreadPoolExecutor  # only large plans pay its import

    from recommender.features.store_side import store_side

    try:
        side = store_side(data, model.config, creators=creators)
    except (KeyError, ValueError) as exc:
        raise _model_error(exc) from exc
    worker = model.with_own_booster()
    batches = iter(batches)
    queries = next(batches, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict") as pool:
        pending: tuple[pd.DataFrame, pd.DataFrame, Future] | None = None
        while queries is not None:
            frame, table = _features(model, queries, data, side)
            queries = next(batches, None)
            # The last batch gets every core: nothing is left to featurise meanwhile.
            threads = 1 if queries is not None else 0
            future = pool.submit(worker.predict_features, table, threads)
            if pending is not None:
                yield _collect(model, *pending)
            pending = (frame, table, future)
        if pending is not None:
            yield _collect(model, *pending)


def _features(model: Any, queries: pd.DataFrame, data: StoreData, side: Any = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from recommender.features import featurize

    frame = queries[QUERY_COLUMNS].reset_index(drop=True)
    try:
        return frame, featurize(data, frame, model.config, side).reset_index(drop=True)
    except (KeyError, ValueError) as exc:
        raise _model_error(exc) from exc


def _collect(model: Any, frame: pd.DataFrame, table: pd.DataFrame, future: Future) -> Scored:
    try:
        pred = future.result()
    except (KeyError, ValueError) as exc:
        raise _model_error(exc) from exc
    return _scored(model, frame, table, pred)


def _scored(model: Any, frame: pd.DataFrame, table: pd.DataFrame, pred: pd.DataFrame
            ) -> Scored:
    return Scored(pred=pred.reset_index(drop=True), table=table, model=model,
                  creator=frame["creator"].astype(str).to_numpy())


def _model_error(exc: Exception) -> ModelError:
    return ModelError(f"the model could not score these posts ({exc}); retrain it with "
                      "`recommender train` on this store")


def to_count(log_values: np.ndarray | pd.Series) -> np.ndarray:
    """Log-scale prediction back on the count scale for display: never below 0 (counts
    are log1p-transformed, so a log value under 0 is an interval reaching below nothing)."""
    return np.maximum(np.expm1(np.asarray(log_values, dtype="float64")), 0.0)
