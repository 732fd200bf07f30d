"""Compare the generator's marginals with real creator histories.

``python -m recommender.datasets calibrate [creator_histories_2020.csv.gz]`` prints the
table; ``compare(path)`` returns it. Statistics, computed the same way on both sides on each
creator's 25 most recent posts (the real file holds about that many per creator), creators
with >= 20 of them, y = log1p(likes + comments + shares):
per-post median and IQR of y; quartiles and SD of the creator medians; the median
within-creator IQR and the 5/95/99 % quantiles of y minus the creator median; medians of
comments/likes, shares/likes, likes/views; posts per week = (n - 1) / span of the posts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recommender.datasets import SAMPLE_PARAMS, make_posts

LAST_POSTS = 25
DEFAULT_REAL = Path(__file__).resolve().parents[3] / "shared/data/creator_histories_2020.csv.gz"


def compare(real_path: str | Path = DEFAULT_REAL, n_creators: int = 200) -> pd.DataFrame:
    """Rows: statistics; columns: real data, the generator's defaults, the bundled sample."""
    real = marginals(pd.read_csv(real_path), "author_id", "created_at_utc")
    synthetic = marginals(make_posts(n_creators, 180, seed=0).posts, "creator", "posted_at")
    sample = make_posts(**SAMPLE_PARAMS).posts  # type: ignore[arg-type]
    return pd.DataFrame({"real 2020": real, f"generator {n_creators}x180 seed 0": synthetic,
                         "sample": marginals(sample, "creator", "posted_at")})


def marginals(posts: pd.DataFrame, creator: str, time: str) -> dict[str, float]:
    frame = posts.copy()
    for col in ("likes", "comments", "shares", "views"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["y"] = np.log1p(frame["likes"] + frame["comments"] + frame["shares"])
    frame[time] = pd.to_datetime(frame[time], utc=True)
    frame = frame.sort_values(time).groupby(creator).tail(LAST_POSTS)
    sizes = frame.groupby(creator).size()
    frame = frame[frame[creator].isin(sizes[sizes >= 20].index)]
    groups = frame.groupby(creator)
    medians = groups["y"].median()
    resid = frame["y"] - groups["y"].transform("median")
    liked = frame[frame["likes"] > 0]
    span_days = groups[time].agg(lambda t: (t.max() - t.min()).total_seconds()) / 86400
    ppw = (groups.size() - 1) / (span_days / 7).clip(lower=1)
    y = frame["y"]
    return {
        "creators": float(len(medians)), "posts": float(len(frame)),
        "y median": y.median(), "y IQR": y.quantile(0.75) - y.quantile(0.25),
        "creator median q25": medians.quantile(0.25),
        "creator median q75": medians.quantile(0.75),
        "creator median SD": medians.std(),
        "within-creator IQR (median)": (groups["y"].quantile(0.75)
                                        - groups["y"].quantile(0.25)).median(),
        "resid q05": resid.quantile(0.05), "resid q95": resid.quantile(0.95),
        "resid q99": resid.quantile(0.99),
        "comments/likes": (liked["comments"] / liked["likes"]).median(),
        "shares/likes": (liked["shares"] / liked["likes"]).median(),
        "likes/views": (liked["likes"] / liked["views"].where(liked["views"] > 0)).median(),
        "posts/week q25": ppw.quantile(0.25), "posts/week median": ppw.median(),
        "posts/week q75": ppw.quantile(0.75),
    }
