"""``recommender evaluate``: a chronological backtest beside simple baselines."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, emit_json, fail
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
    render_metrics(report.result.to_dict(), console)
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
