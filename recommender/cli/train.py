"""``recommender train``: unattended retraining with champion/challenger promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from recommender.cli import (
    DEFAULT_DATA,
    DEFAULT_MODELS,
    app,
    dashboard_notice,
    emit_json,
    fail,
    interactive,
)
from recommender.errors import RecommenderError


@app.command()
def train(
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(Path(DEFAULT_MODELS), "--models", help="Models directory."),
    target: str = typer.Option("weighted", "--target", help="Engagement definition."),
    force: bool = typer.Option(False, "--force", help="Retrain and promote regardless."),
    as_json: bool = typer.Option(False, "--json", help="Print the model card as JSON."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Train the trees on Dask (LightGBM's distributed training): "
        "a scheduler address or 'local'; default $RECOMMENDER_DASK_SCHEDULER."),
) -> None:
    """Train, backtest by time, and promote the model if it is not worse than the champion."""
    from recommender.distributed import scheduler_address

    try:
        address = scheduler_address(scheduler)
    except RecommenderError as error:
        fail(error)
        return
    try:
        with dashboard_notice(address, as_json):
            report = _train(data, models, target, force, as_json, address)
    except RecommenderError as error:
        fail(error)
        return
    if as_json:
        emit_json(report.to_dict())
    else:
        from recommender.cli import console as make_console

        render_train_report(report, make_console())


def _train(data: Path, models: Path, target: str, force: bool, as_json: bool,
           address: str | None) -> Any:
    from recommender.model.train import train_job

    if interactive() and not as_json:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("training", total=1.0)
            return train_job(data, models, target, force, progress=lambda message, done:
                             bar.update(task, completed=done, description=message),
                             scheduler=address)
    return train_job(data, models, target, force, scheduler=address)


def render_train_report(report: Any, console: Any) -> None:
    from rich.text import Text

    console.print(Text.assemble((report.status, "bold"), f": {report.reason}"))
    console.print(f"champion: {report.champion}")
    console.print(f"target: {report.target_label}")
    window = report.training_window
    console.print(f"trained on {report.n_rows} posts from {window['first_post'][:10]} "
                  f"to {window['last_post'][:10]}")
    if report.backtest:
        render_metrics(report.backtest, console)


def render_metrics(backtest: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{backtest['protocol']} backtest by time ({len(backtest['folds'])} "
                        f"fold(s)), model beside baselines")
    for column in ("method", "MAE", "Spearman", "within-creator", "coverage", "n"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for row in backtest["methods"]:
        table.add_row(row["method"], _fmt(row["mae"]), _fmt(row["spearman"]),
                      _fmt(row["within_creator_spearman"]), _fmt(row.get("coverage")),
                      str(int(row["n"])))
    console.print(table)
    model = next((r for r in backtest["methods"] if r["method"] == "model"), None)
    if model is not None and model.get("within_creators") is not None:
        console.print(f"within-creator: mean rank correlation inside each of "
                      f"{int(model['within_creators'])} creators with 3+ test posts")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
