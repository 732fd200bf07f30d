"""The report's cadence chart: per-post and weekly engagement vs posts per week, with bands."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from recommender.impact.cadence import for_suggest_advice
from recommender.store import StoreData


def cadence_chart(data: StoreData, creator: str, now: pd.Timestamp,
                  target: str = "weighted") -> bytes | None:
    """A PNG, or None when the creator's history is too thin for a cadence estimate."""
    advice = for_suggest_advice(data, creator, now, target)
    if not advice.enough_history or advice.curve is None:
        return None
    import matplotlib.pyplot as plt

    c = advice.curve
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    _band(left, c, "per_post", "each post vs your usual post (x)")
    _band(right, c, "week", "the week's total, in usual posts")
    measured = advice.drop_range is not None and advice.drop_range[1] < 0
    for ax in (left, right):
        if measured:  # no knee to mark when no drop is measured
            ax.axvline(advice.knee or 0, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("posts in the week")
    fig.suptitle(f"{creator}: cadence (80% bands; dotted: where each post starts to earn less)",
                 fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _band(ax: Any, c: pd.DataFrame, column: str, title: str) -> None:
    ax.fill_between(c["posts_per_week"], c[f"{column}_low"], c[f"{column}_high"], alpha=0.3)
    ax.plot(c["posts_per_week"], c[column])
    ax.set_title(title, fontsize=9)
