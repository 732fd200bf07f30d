"""``recommender evaluate``: a chronological backtest beside simple baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, dashboard_notice, emit_json, fail
from recommender.errors import RecommenderError


@app.command()
def evaluate(
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(
        Path(DEFAULT_MODELS), "--models",
        help="Models directory: its champion's settings are evaluated (defaults without one).",
    ),
    target: str = typer.Option("weighted", "--target", help="Engagement definition."),
    folds: int = typer.Option(3, "--folds", help="Expanding-window folds."),
    protocol: str = typer.Option(
        "expanding", "--protocol", help="expanding (global time folds) or holdout "
        "(each creator's latest 20% of posts, predicted from what was known before them)."
    ),
    plot: Path | None = typer.Option(None, "--plot", help="Also write a PNG chart here."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Run the folds on Dask: a scheduler address or 'local'; "
        "default $RECOMMENDER_DASK_SCHEDULER."),
) -> None:
    """Backtest the model by time on the store, beside simple baselines."""
    from recommender.distributed import scheduler_address
    from recommender.model.evaluate import evaluate_job
    from recommender.outputs import output_file

    try:
        address = scheduler_address(scheduler)
        if plot is not None:
            output_file(plot, (".png", ".svg", ".pdf"), "--plot")
        with dashboard_notice(address, as_json):
            report = evaluate_job(data, target, folds, protocol, plot, models_dir=models,
                                  scheduler=address)
    except RecommenderError as error:
        fail(error)
        return
    if as_json:
        emit_json(report.to_dict())
        return
    from recommender.cli import console as make_console
    from recommender.cli.train import render_metrics

    console = make_console()
    console.print(f"target: {report.target_label}  (settings: {report.params_from})")
    document = report.result.to_dict()
    render_metrics(document, console)
    _render_by_history(document["by_history"], console)
    console.print(f"verdict: {report.verdict()}")
    by_distance = report.result.coverage_by_distance()
    if by_distance:
        console.print("interval coverage by posts since the last known outcome (target "
                      f"{report.result_interval:.0%}): " + ", ".join(
                          f"{d['distance']}: {d['coverage']:.0%} (n {d['n']})"
                          for d in by_distance))
    slope = report.result.lift_calibration()
    if slope is not None:
        console.print(f"lift calibration: realised lift = {slope:.2f} x predicted, within "
                      "creators (1 = right in size; below 1 = overstated)")
    if report.plot:
        console.print(f"chart: {report.plot}")


def _render_by_history(buckets: list[dict[str, Any]], console: Any) -> None:
    """Every metric per history bucket (the creator's earlier posts at the test post)."""
    if not buckets:
        return
    from rich.table import Table

    console.print("by history (the creator's earlier posts at the test post); resid. = mean "
                  "residual, outcome - prediction (> 0: under-predicted)")
    for bucket in buckets:
        title = f"{bucket['history']}: {bucket['earlier_posts']} earlier posts"
        if not bucket["methods"]:
            console.print(f"{title}: not enough data (no test posts)")
            continue
        table = Table(title=title)
        for column in ("method", "MAE", "Spearman", "within-creator", "coverage", "resid.",
                       "n"):
            table.add_column(column, justify="left" if column == "method" else "right")
        for row in bucket["methods"]:
            table.add_row(row["method"], _fmt(row["mae"]), _fmt(row["spearman"]),
                          _fmt(row["within_creator_spearman"]), _fmt(row.get("coverage")),
                          _fmt(row.get("mean_residual"), signed=True), str(int(row["n"])))
        console.print(table)


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"
