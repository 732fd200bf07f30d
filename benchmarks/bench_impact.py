"""How often ``impact`` recovers planted strategy changes, per seed and overall.

Each seed draws ``make_impact_posts`` (by default 36 creators x 240 days, a third of them
changing by +20% or -20% per post on one date, the rest not at all) and runs the analysis
for every creator at that date (one counterfactual model per seed). Printed per seed and
method: for planted changes, the share with the right sign and the truth inside the 80%
interval ("recovered"), the share detected; for nulls, the share whose interval covers 0
and the share not detected; the verdict counts of the recommended estimate. Usage:

    .venv/bin/python benchmarks/bench_impact.py [--seeds 0 1 2 3 4] [--swing 0.3]
        [--cadence] [--creators 36] [--days 240]

``--swing 0.3``: a platform-wide +30% from 40 days before the change date (what the
difference-in-differences must absorb); ``--cadence``: the weekly cadence knee is planted too.

``--advice``: instead, the cadence advice: per seed, 40 creators x 365 days with the weekly
knee planted; the share of creators with enough history whose advised rate is within +/-1
post a week of their knee, and the share whose 80% interval covers it; then the same by
planted knee, with the median width of the 80% interval (how precisely the data pin it).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd


def run_seed(seed: int, args: argparse.Namespace) -> pd.DataFrame:
    from recommender.datasets import make_impact_posts
    from recommender.impact.analysis import impact_many

    probe = make_impact_posts(1, args.days, seed=seed)
    change = probe.effects.creators["change_at"].iloc[0]
    swing_at = str(change - pd.Timedelta(days=40)) if args.swing else None
    data = make_impact_posts(args.creators, args.days, seed=seed, cadence=args.cadence,
                             swing_at=swing_at, swing_pct=args.swing)
    truth = data.effects.creators.set_index("creator")
    results = impact_many(data.as_store_data(), list(truth.index), change,
                          model_params={"n_estimators": args.trees})
    rows = []
    for creator, result in results.items():
        true = float(truth.loc[creator, "change_pct"]) * 100
        kind = result.verdict.split(" (")[0].split(":")[0]
        rows.append({"seed": seed, "creator": creator, "true": true, "method": "effect",
                     "verdict": kind, **_row(result.effect, true)})
        for e in result.estimates:
            rows.append({"seed": seed, "creator": creator, "true": true, "method": e.method,
                         **_row(e, true)})
    return pd.DataFrame(rows)


def _row(estimate, true: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    if estimate is None:
        return {"recovered": False, "covers": False, "detected": False}
    d = estimate.to_dict()
    covers = d["low"] <= true <= d["high"]
    right_sign = np.sign(d["effect_pct"]) == np.sign(true)
    return {"recovered": bool(covers and right_sign), "covers": bool(covers),
            "detected": estimate.detectable}


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    changed, null = frame[frame["true"] != 0], frame[frame["true"] == 0]
    out = pd.DataFrame({
        "changes_recovered": changed.groupby("method")["recovered"].mean(),
        "changes_detected": changed.groupby("method")["detected"].mean(),
        "nulls_cover_0": null.groupby("method")["covers"].mean(),
        "nulls_not_detected": 1 - null.groupby("method")["detected"].mean(),
    })
    return out.round(2)


def bench_advice(seeds: list[int]) -> None:
    from recommender.datasets import make_impact_posts
    from recommender.impact.cadence import advise_all

    within_all, times, rows = [], [], []
    for seed in seeds:
        data = make_impact_posts(40, 365, seed=seed, change_sizes=(0.0,))
        truth = data.effects.creators.set_index("creator")["cadence_knee"]
        t0 = time.perf_counter()
        advice = {c: a for c, a in advise_all(data.as_store_data()).items() if a.enough_history}
        times.append(time.perf_counter() - t0)
        within = [abs(a.knee - truth[c]) <= 1 for c, a in advice.items()]
        covered = [a.knee_low <= truth[c] <= a.knee_high for c, a in advice.items()]
        within_all += within
        rows += [{"knee": truth[c], "within": w, "covered": v,
                  "width": a.knee_high - a.knee_low} for (c, a), w, v in
                 zip(advice.items(), within, covered)]
        print(f"seed {seed}: {len(advice)} creators with enough history; advised within +/-1 "
              f"post/week of the knee {np.mean(within):.2f}; 80% interval covers it "
              f"{np.mean(covered):.2f} ({times[-1]:.1f} s)")
    print(f"all seeds: within +/-1 {np.mean(within_all):.2f} of {len(within_all)} creators; "
          f"median {statistics.median(times):.1f} s per 40 creators")
    frame = pd.DataFrame(rows)
    frame["planted knee"] = pd.cut(frame["knee"], [0, 3, 6, 10, np.inf])
    print(frame.groupby("planted knee", observed=True).agg(
        creators=("within", "size"), within_1=("within", "mean"), covered=("covered", "mean"),
        median_80pct_width=("width", "median")).round(2).to_string())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--creators", type=int, default=36)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--swing", type=float, default=0.0)
    parser.add_argument("--cadence", action="store_true")
    parser.add_argument("--trees", type=int, default=60)
    parser.add_argument("--advice", action="store_true")
    args = parser.parse_args()
    if args.advice:
        bench_advice(args.seeds)
        return
    frames, times = [], []
    for seed in args.seeds:
        t0 = time.perf_counter()
        frame = run_seed(seed, args)
        times.append(time.perf_counter() - t0)
        frames.append(frame)
        print(f"\nseed {seed} ({times[-1]:.1f} s)")
        print(summarise(frame).to_string())
        effect = frame[frame["method"] == "effect"]
        print("verdicts:", pd.crosstab(effect["true"], effect["verdict"]).to_dict("index"))
    all_rows = pd.concat(frames, ignore_index=True)
    print(f"\nall seeds ({len(args.seeds)}), median {statistics.median(times):.1f} s per seed")
    print(summarise(all_rows).to_string())
    effect = all_rows[all_rows["method"] == "effect"]
    nulls = effect[effect["true"] == 0]
    verdicts = nulls["verdict"]
    no_effect = verdicts.str.startswith("no detectable effect").mean()
    yet = (verdicts == "no detectable effect yet").mean()
    too_few = verdicts.str.startswith("too few").mean()
    print(f"nulls: verdict 'no detectable effect...' {no_effect:.2f} (of which '... yet: too "
          f"few posts to tell' {yet:.2f}); 'too few posts after the change' {too_few:.2f}")


if __name__ == "__main__":
    main()
