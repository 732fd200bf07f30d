"""Does a plan total's 80% interval hold? A fixed-origin check on generated worlds.

For each seed: a world (``make_posts``, 40 creators x 180 days), the model's fixed-origin
hold-out (``backtest.holdout_table``: each creator's latest 20% of posts, predicted from what
was known at the creator's cut, as a plan's posts are). Each creator's hold-out posts are
treated as a schedule: its total's interval (``plan.totals.total_intervals``) against the
realised total: as the planner computes it (RHO_CREATOR, Student t tails with TAIL_DF), with
a normal shape instead, with independent posts (rho 0), and the sums of the posts' interval
ends (rho 1, what the totals showed before). Also printed: the
within-creator correlation of the hold-out's log residuals (one-way ANOVA intraclass
estimate), the figure RHO_CREATOR stands for.

    .venv/bin/python scripts/plan_intervals.py [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--creators", type=int, default=40)
    args = parser.parse_args()

    from recommender.datasets import make_posts
    from recommender.features import FeatureConfig
    from recommender.model.backtest import holdout_table, run_backtest
    from recommender.plan.totals import RHO_CREATOR, TAIL_DF, total_intervals

    variants = {"planner": (RHO_CREATOR, TAIL_DF), "normal shape": (RHO_CREATOR, None),
                "rho 0": (0.0, TAIL_DF), "sum of ends": (1.0, None)}
    for seed in args.seeds:
        data = make_posts(n_creators=args.creators, days=180, seed=seed).as_store_data()
        table = holdout_table(data, FeatureConfig(), "weighted")
        p = run_backtest(table, {"n_estimators": 60}, protocol="holdout").predictions
        p = p[p.groupby("creator")["y"].transform("size") >= 3]
        realised = np.expm1(p["y"].to_numpy()).clip(0)
        total = pd.Series(realised).groupby(p["creator"].to_numpy()).sum()
        line = []
        for name, (rho, df) in variants.items():
            per, _ = total_intervals(p["model"].to_numpy(), p["low"].to_numpy(),
                                     p["high"].to_numpy(), p["creator"].to_numpy(), rho=rho,
                                     tail_df=df)
            below = np.mean([total[c] < per[c].low for c in total.index])
            above = np.mean([total[c] > per[c].high for c in total.index])
            width = np.median([(per[c].high - per[c].low) / per[c].expected
                               for c in total.index])
            line.append(f"{name}: covered {1 - below - above:.0%} (below {below:.0%}, above "
                        f"{above:.0%}; median width {width:.2f} x expected)")
        r = p["y"] - p["model"]
        print(f"seed {seed}: {total.size} creators, {len(p)} hold-out posts; within-creator "
              f"correlation of residuals {_icc(r, p['creator']):.2f}")
        for text in line:
            print("  " + text)


def _icc(values: pd.Series, group: pd.Series) -> float:
    """One-way ANOVA intraclass correlation (unbalanced groups)."""
    g = values.groupby(group.to_numpy())
    n, k = len(values), g.ngroups
    sizes = g.size().to_numpy(dtype="float64")
    msb = float((sizes * (g.mean() - values.mean()) ** 2).sum()) / (k - 1)
    msw = float(((values - g.transform("mean")) ** 2).sum()) / (n - k)
    n0 = (n - (sizes**2).sum() / n) / (k - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw)


if __name__ == "__main__":
    main()
