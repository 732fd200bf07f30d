"""``recommender report``: a self-contained HTML report for one creator."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, resolve_request, run_and_show


@app.command()
def report(
    creator: str = typer.Argument(..., help="Creator handle as stored."),
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(Path(DEFAULT_MODELS), "--models", help="Models directory."),
    now: str | None = typer.Option(None, "--now", help="Plan from this time (ISO 8601)."),
    as_json: bool = typer.Option(False, "--json", help="Print what was written as JSON."),
) -> None:
    """Write an HTML report: best slots heatmap, engagement trend, hashtags, sounds, model card."""
    from recommender.model.registry import load_champion
    from recommender.outputs import output_file
    from recommender.recommend.report import write_report
    from recommender.store import Store

    def job():  # type: ignore[no-untyped-def]
        output_file(out, (".html", ".htm"), "--out")
        store = Store(data).load()
        handle = resolve_request(store, creator, now)
        return write_report(store, load_champion(models), handle, out, now=now)

    run_and_show(job, as_json, lambda result: typer.echo(
        f"Wrote {result.html} (+ {len(result.images)} PNG charts beside it)"))
