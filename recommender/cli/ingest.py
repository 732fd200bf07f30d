"""``recommender ingest``: read exports into the local store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, app, emit_json, fail, interactive
from recommender.errors import RecommenderError, UsageError


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Export files, folders or ZIP archives."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    fmt: str = typer.Option(
        "auto", "--format", help="Force a format (see `recommender formats`); default: detect."
    ),
    creator: str | None = typer.Option(
        None, "--creator", help="Creator handle, for exports that do not name the account."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="The creator's IANA time zone (e.g. Europe/Athens)."
    ),
    collected_at: str | None = typer.Option(
        None, "--collected-at", help="When the counts were read (ISO 8601), if not in the file."
    ),
    column: list[str] = typer.Option(
        [], "--column", help="Generic CSV mapping THEIRS=OURS, e.g. --column vid=post_id."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report instead of a table."),
) -> None:
    """Ingest TikTok exports (data download, Studio, APIs, scrapers, CSV, trend lists)."""
    from recommender.ingest import ingest_paths

    try:
        report = ingest_paths(
            paths,
            data,
            fmt=fmt,
            creator=creator,
            timezone=timezone,
            collected_at=_parse_time(collected_at),
            column_map=_parse_mapping(column),
            progress=None if as_json or not interactive() else _progress(),
        )
    except RecommenderError as error:
        fail(error)
        return
    if as_json:
        emit_json(report.to_dict())
    else:
        _render(report)


@app.command()
def formats() -> None:
    """List the export formats `ingest` recognises."""
    from rich.console import Console
    from rich.table import Table

    from recommender.ingest import adapters

    table = Table("format", "what it reads")
    for adapter in adapters():
        table.add_row(adapter.name, adapter.description)
    Console().print(table)


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    from recommender.parsing import parse_utc

    try:
        return parse_utc(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date-time") from exc


def _parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        theirs, sep, ours = pair.partition("=")
        if not sep or not theirs or not ours:
            fail(UsageError(f"--column {pair!r}: write it as THEIRS=OURS, e.g. vid=post_id"))
        mapping[theirs.strip()] = ours.strip()
    return mapping


def _progress():  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(stderr=True)

    def update(name: str, fraction: float) -> None:
        if fraction < 1.0:
            console.print(f"[dim]{fraction:4.0%}[/dim] reading {name}")

    return update


def _render(report) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Ingested into {report.data_dir}")
    for col in ("file", "format", "read", "added", "updated", "unchanged", "rejected", "skipped"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for f in report.files:
        table.add_row(
            f.file, f.format, *(str(getattr(f, k)) for k in
                                ("read", "added", "updated", "unchanged", "rejected", "skipped"))
        )
    console.print(table)
    totals = report.totals
    console.print(
        f"{len(report.files)} file(s), {totals['read']} records read: {totals['added']} added, "
        f"{totals['updated']} updated, {totals['rejected']} rejected, {totals['skipped']} skipped."
    )
    for f in report.files:
        for note in f.notes:
            console.print(f"[dim]{Path(f.file).name}: {note}[/dim]")
    if report.ignored:
        console.print(f"[yellow]Not recognised, ignored:[/yellow] {', '.join(report.ignored)}")
    if totals["rejected"]:
        console.print(f"Rejected rows and their reasons: {report.quarantine}")
