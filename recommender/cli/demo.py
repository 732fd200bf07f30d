"""``recommender demo``: ingest the bundled sample, train, suggest, write the report."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import app, interactive, run_and_show


@app.command()
def demo(
    workdir: Path = typer.Option(
        Path("demo-output"), "--workdir", help="Where the demo store, models and report go."
    ),
    creator: str | None = typer.Option(
        None, "--creator", help="Sample creator to suggest for (default: the busiest)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
) -> None:
    """Run everything on the bundled sample: ingest, train, suggest, report."""
    from recommender.demo import run_demo

    show = interactive() and not as_json
    run_and_show(lambda: run_demo(workdir, creator, progress=_progress() if show else None),
                 as_json, _render)


def _progress():  # type: ignore[no-untyped-def]
    from recommender.cli import console as make_console

    out = make_console(stderr=True)
    return lambda message, fraction: out.print(f"{fraction:4.0%} {message}", style="dim")


def _render(result) -> None:  # type: ignore[no-untyped-def]
    from recommender.cli import console as make_console
    from recommender.cli.suggest import render_suggestions
    from recommender.cli.train import render_train_report

    console = make_console()
    totals = result.ingest.totals
    console.rule("1. Ingest")
    console.print(
        f"Read the bundled sample ({result.sample_dir}): {totals['read']} records, "
        f"{totals['added']} added, {totals['rejected']} rejected, into {result.data_dir}."
    )
    console.rule("2. Train")
    render_train_report(result.train, console)
    console.rule(f"3. Suggestions for {result.creator}")
    render_suggestions(result.suggestions, console)
    console.rule("4. Report")
    console.print(f"Open {result.report_path} in a browser.")
