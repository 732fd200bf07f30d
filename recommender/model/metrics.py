"""Evaluation metrics on the log target: error, ranking and interval quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

# Within-creator rank correlation needs a few posts to mean anything; 3 keeps short histories
# (20 posts, a 20% hold-out: 4 test posts) in the figure, and the count of creators it
# covers is reported beside it.
MIN_POSTS_PER_CREATOR = 3


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(y) & np.isfinite(pred)
    return float(np.mean(np.abs(y[ok] - pred[ok]))) if ok.any() else float("nan")


def spearman(y: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(y) & np.isfinite(pred)
    if ok.sum() < 3 or np.ptp(pred[ok]) == 0 or np.ptp(y[ok]) == 0:
        return float("nan")
    return float(spearmanr(y[ok], pred[ok]).statistic)


def within_creator_spearman(creators: np.ndarray, y: np.ndarray, pred: np.ndarray) -> float:
    """Mean over creators (with >= MIN_POSTS_PER_CREATOR test posts) of the rank correlation
    inside each creator.

    A constant prediction inside a creator (the creator-median baseline) has no ranking:
    it counts as 0, not as missing, so baselines are not flattered by dropping creators.
    """
    frame = pd.DataFrame({"c": creators, "y": y, "p": pred}).dropna()
    scores = []
    for _, group in frame.groupby("c", sort=False):
        if len(group) < MIN_POSTS_PER_CREATOR:
            continue
        value = spearman(group["y"].to_numpy(), group["p"].to_numpy())
        scores.append(0.0 if np.isnan(value) else value)
    return float(np.mean(scores)) if scores else float("nan")


def within_creator_count(creators: np.ndarray, y: np.ndarray, pred: np.ndarray) -> int:
    """How many creators the within-creator figure averages over."""
    frame = pd.DataFrame({"c": creators, "y": y, "p": pred}).dropna()
    return int((frame.groupby("c", sort=False).size() >= MIN_POSTS_PER_CREATOR).sum())


def mean_residual(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean of outcome - prediction: > 0 under-predicts on average (systematic bias)."""
    ok = np.isfinite(y) & np.isfinite(pred)
    return float(np.mean(y[ok] - pred[ok])) if ok.any() else float("nan")


def coverage(y: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    ok = np.isfinite(y) & np.isfinite(low) & np.isfinite(high)
    return float(np.mean((y[ok] >= low[ok]) & (y[ok] <= high[ok]))) if ok.any() else float("nan")


def score_all(
    creators: np.ndarray,
    y: np.ndarray,
    pred: np.ndarray,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
) -> dict[str, float]:
    row = {
        "mae": mae(y, pred),
        "mean_residual": mean_residual(y, pred),
        "spearman": spearman(y, pred),
        "within_creator_spearman": within_creator_spearman(creators, y, pred),
        "within_creators": float(within_creator_count(creators, y, pred)),
        "n": float(np.isfinite(y).sum()),
    }
    if low is not None and high is not None:
        row["coverage"] = coverage(y, low, high)
        row["mean_width"] = float(np.nanmean(high - low))
    return row
