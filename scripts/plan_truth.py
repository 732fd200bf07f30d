"""The planner against the generator's truth: schedule vs greedy vs row-by-row placement.

A world of 12 creators x 150 days (seed 11), a model of 60 trees, a pool of 30 drafts for
each of the 8 busiest creators; two rule sets over the two weeks after the data. Prints each
placement's true engagement (``datasets._drafts.true_engagement``: the planted effects,
noise excluded) against each baseline: over the total (which the largest creators dominate),
per creator (median), and how many creators the schedule is ahead for; then the model's
predicted gains.

    .venv/bin/python scripts/plan_truth.py [--seeds 11 12 13]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[11])
    args = parser.parse_args()

    from recommender.datasets import make_posts
    from recommender.datasets._drafts import make_drafts, true_engagement
    from recommender.model.estimator import EngagementModel
    from recommender.plan import Constraints, plan_drafts

    for seed in args.seeds:
        synthetic = make_posts(n_creators=12, days=150, seed=seed)
        data = synthetic.as_store_data()
        model = EngagementModel(n_estimators=60).fit(data)
        start = synthetic.collected_at + pd.Timedelta(days=1)
        pool = make_drafts(synthetic, f"{start:%Y-%m-%d}", n_per_creator=30, n_creators=8,
                           seed=seed)
        path = Path(tempfile.mkdtemp(prefix="plan-truth-")) / "pool.csv"
        pool.to_csv(path, index=False)
        for rules in ({"per_day": 2}, {"per_week": 7, "min_gap_h": 6.0}):
            constraints = Constraints(start=f"{start:%Y-%m-%d}",
                                      end=f"{start + pd.Timedelta(days=13):%Y-%m-%d}", **rules)
            result = plan_drafts(path, data, model, constraints, time_limit_s=20)
            truth = {name: true_engagement(synthetic, rows).groupby(rows["creator"]).sum()
                     for name, rows in (("schedule", result.rows),
                                        ("greedy", result.baselines["greedy"]),
                                        ("row_by_row", result.baselines["row_by_row"]))}
            s = result.summary
            ratio = {k: truth["schedule"] / truth[k] - 1 for k in ("greedy", "row_by_row")}
            total = {k: truth["schedule"].sum() / truth[k].sum() - 1 for k in ratio}
            print(f"seed {seed} {rules}: TRUE vs greedy: total {total['greedy']:+.2%}, median "
                  f"creator {ratio['greedy'].median():+.2%}, ahead for "
                  f"{int((ratio['greedy'] >= 0).sum())}/{len(ratio['greedy'])} creators; vs "
                  f"row-by-row: total {total['row_by_row']:+.2%}, median creator "
                  f"{ratio['row_by_row'].median():+.2%}. PREDICTED vs greedy "
                  f"{s['gain_vs_greedy_pct']:+.2f}%, vs row-by-row "
                  f"{s['gain_vs_row_by_row_pct']:+.2f}%; CP-SAT {result.solver['statuses']}")

if __name__ == "__main__":
    main()
