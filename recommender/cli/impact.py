"""``recommender impact``: did a strategy change help? Before/after a date, three ways."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, app, run_and_show
from recommender.cli import console as make_console
from recommender.errors import UsageError


@app.command()
def impact(
    creator: str = typer.Argument(..., help="Creator handle as stored."),
    since: str | None = typer.Option(None, "--since", help="Date of the change (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="End of the period after it."),
    label: str | None = typer.Option(None, "--label", help="What changed, in your words."),
    metric: str = typer.Option("engagement", "--metric",
                               help="engagement, views (per post); weekly, followers."),
    detect: bool = typer.Option(False, "--detect",
                                help="Find the dates your posting changed; analyse each."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document."),
) -> None:
    """Estimate whether a change on a date helped, with 80% intervals and a plain verdict."""
    run_and_show(lambda: _run(creator, since, until, label, metric, detect, data), as_json,
                 render_detect if detect else render)


def _run(creator, since, until, label, metric, detect, data):  # type: ignore[no-untyped-def]
    from recommender.store import Store

    if detect == (since is not None):
        raise UsageError("give either --since DATE (a change you made) or --detect (find the "
                         "dates your posting changed), not both or neither")
    store = Store(data).load()
    if detect:
        from recommender.impact.detect import detect as run_detect

        return run_detect(store, creator, until=until, metric=metric)
    from recommender.impact.analysis import impact as run_impact

    return run_impact(store, creator, since, until=until, label=label, metric=metric)


METHOD_NAMES = {"naive": "naive before/after", "counterfactual": "model's counterfactual",
                "did": "vs comparable creators (DiD)"}


def render(result, console=None) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    console = console or make_console()
    what = f" ({result.label})" if result.label else ""
    table = Table(title=f"{result.creator}: since {result.since:%Y-%m-%d}{what}")
    for column in ("method", "change", "80% interval", f"{result.metric.unit}s before/after",
                   "compared with"):
        table.add_column(column, overflow="fold")
    for e in result.estimates:
        d = e.to_dict()
        table.add_row(METHOD_NAMES.get(e.method, e.method), f"{d['effect_pct']:+.0f}%",
                      f"{d['low']:+.0f}% to {d['high']:+.0f}%",
                      f"{d['n_before']}/{d['n_after']}", e.compared_with)
    if result.estimates:
        console.print(table)
    console.print(f"verdict: {result.verdict}")
    for note in result.notes:
        console.print(note, style="dim")


def render_detect(result) -> None:  # type: ignore[no-untyped-def]
    console = make_console()
    if not result.changes:
        console.print(f"{result.creator}: no change in posting behaviour found")
    for change in result.changes:
        console.print(f"{change.date:%Y-%m-%d}: {change.describe()}", style="bold")
        render(change.impact, console)
    for note in result.notes:
        console.print(note, style="dim")
