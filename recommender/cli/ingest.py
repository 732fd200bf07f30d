"""``recommender ingest``: read exports into the local store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, app, dashboard_notice, emit_json, fail, interactive
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
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Parse the files on Dask workers (the store is written "
        "here): a scheduler address or 'local'; default $RECOMMENDER_DASK_SCHEDULER."),
) -> None:
    """Ingest TikTok exports (data download, Studio, APIs, scrapers, CSV, trend lists)."""
    from recommender.distributed import scheduler_address
    from recommender.ingest import ingest_paths

    try:
        address = scheduler_address(scheduler)
        with dashboard_notice(address, as_json):
            report = ingest_paths(
                paths,
                data,
                fmt=fmt,
                creator=creator,
                timezone=timezone,
                collected_at=_parse_time(collected_at),
                column_map=_parse_mapping(column),
                progress=None if as_json or not interactive() else _progress(),
                scheduler=address,
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
    from rich.table import Table

    from recommender.cli import console as make_console
    from recommender.ingest import adapters

    table = Table("format", "what it reads")
    for adapter in adapters():
        table.add_row(adapter.name, adapter.description)
    make_console().print(table)


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
    from recommender.cli import console as make_console

    console = make_console(stderr=True)

    def update(name: str, fraction: float) -> None:
        if fraction < 1.0:
            console.print(f"{fraction:4.0%} reading {name}", style="dim")

    return update


def _short(name: str) -> str:
    """``dir/x.zip:member`` -> ``x.zip:member``; ``dir/file.csv`` -> ``file.csv``."""
    archive, sep, member = name.partition(".zip:")
    return f"{Path(archive).name}.zip:{member}" if sep else Path(name).name


def _grouped_notes(files) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The same remark on many files (a Studio set) is shown once with a file count."""
    grouped: dict[str, list[str]] = {}
    for f in files:
        for note in f.notes:
            grouped.setdefault(note, []).append(f.file)
    return grouped


def _render(report) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from recommender.cli import console as make_console

    console = make_console()
    table = Table(title=f"Ingested into {report.data_dir}")
    for col in ("file", "format", "read", "added", "updated", "unchanged", "rejected", "skipped"):
        if col == "file":
            table.add_column(col, overflow="fold", ratio=1)
        else:
            table.add_column(col, justify="left" if col == "format" else "right", no_wrap=True)
    for f in report.files:
        counts = (str(getattr(f, k)) for k in
                  ("read", "added", "updated", "unchanged", "rejected", "skipped"))
        table.add_row(_short(f.file), f.format, *counts)
    console.print(table)
    totals = report.totals
    console.print(
        f"{len(report.files)} file(s), {totals['read']} records read: {totals['added']} added, "
        f"{totals['updated']} updated, {totals['rejected']} rejected, {totals['skipped']} skipped"
        f", {totals['merged']} merged (repeats of a row in the same file), {totals['nulled']} "
        "unreadable cells left empty."
    )
    for f in report.files:
        for warning in f.warnings:
            console.print(f"warning: {_short(f.file)}: {warning}", style="yellow")
    for note in report.notes:
        console.print(note, style="dim")
    for note, files in _grouped_notes(report.files).items():
        where = _short(files[0]) if len(files) == 1 else f"{len(files)} files"
        console.print(f"{where}: {note}", style="dim")
    if report.ignored:
        console.print(f"Not recognised, ignored: {', '.join(report.ignored)}", style="yellow")
    if totals["rejected"] or totals["nulled"]:
        console.print(f"Rejected rows, emptied cells and their reasons: {report.quarantine}")
