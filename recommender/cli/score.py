"""``recommender score``: score an agency content plan."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, fail, run_and_show
from recommender.errors import RecommenderError

SCREEN_ROWS = 15


@app.command()
def score(
    plan: Path = typer.Argument(..., help="Plan file: .csv, .parquet or .json."),
    out: Path | None = typer.Option(None, "--out", help="Write scored rows (.csv/.parquet/.json)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(Path(DEFAULT_MODELS), "--models", help="Models directory."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Score on Dask: a scheduler address (tcp://HOST:8786) or "
        "'local'; default $RECOMMENDER_DASK_SCHEDULER, else this machine alone."),
) -> None:
    """Score every row of a content plan: prediction, interval, rank, reasons, better slot."""
    from recommender.distributed import scheduler_address

    try:
        address = scheduler_address(scheduler)
    except RecommenderError as error:
        fail(error)
        return
    if address is not None:
        _score_on_dask(plan, out, as_json, data, models, address)
        return
    from recommender.model.registry import load_champion
    from recommender.outputs import output_file
    from recommender.recommend.plan_io import FORMATS, plan_format, write_plan
    from recommender.recommend.score import score_plan
    from recommender.store import Store

    def run():  # type: ignore[no-untyped-def]
        if out is not None:  # a bad place fails before the work; a missing folder is made
            plan_format(out)
            output_file(out, FORMATS, "--out")
        result = score_plan(plan, Store(data).load(), load_champion(models))
        if out is not None:
            write_plan(result.rows, out)
        return result

    run_and_show(run, as_json, lambda result: _render(result, out))


def _score_on_dask(plan: Path, out: Path | None, as_json: bool, data: Path, models: Path,
                   address: str) -> None:
    from recommender.cli import dashboard_notice, interactive
    from recommender.distributed.score import score_job
    from recommender.outputs import output_file
    from recommender.recommend.plan_io import FORMATS, plan_format

    show = interactive() and not as_json

    def run():  # type: ignore[no-untyped-def]
        if out is not None and out.suffix:  # no suffix: a folder for a Parquet dataset
            plan_format(out)
            output_file(out, FORMATS, "--out")
        with dashboard_notice(address, as_json):
            return score_job(plan, data, models, address, out, progress=show)

    run_and_show(run, as_json, lambda result: _render(result, out))


def _render(result, out: Path | None) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from recommender.cli import console as make_console

    console = make_console()
    if out is None:
        table = Table(title=f"{result.path}: first {SCREEN_ROWS} rows")
        for column in ("creator", "planned_at", "predicted", "lift_pct", "rank", "reasons",
                       "better_slot"):
            table.add_column(column)
        for _, row in result.rows.head(SCREEN_ROWS).iterrows():
            table.add_row(*(_cell(row.get(c)) for c in ("creator", "planned_at", "predicted",
                                                       "lift_pct", "rank", "reasons",
                                                       "better_slot")))
        console.print(table)
    else:
        console.print(f"Wrote {len(result.rows)} rows to {out}", soft_wrap=True)
    s = result.summary
    console.print(f"{s['scored']} scored, {s['rejected']} rejected, {s['unknown_creators']} "
                  f"unknown creator(s), {s['better_slots']} better slot(s) found.")
    for _, r in result.rejected.head(20).iterrows():
        # One whole line per bad row (no wrapping), so it can be grepped from a job's log.
        console.print(f"{r['file']} row {r['row']} {r['field']}: {r['reason']}", style="yellow",
                      soft_wrap=True)
    for note in result.notes:
        console.print(note, style="dim")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.1f}"
    return "" if value is None else str(value)
