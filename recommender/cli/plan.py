"""``recommender plan``: place a pool of drafts into the best schedule per creator."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, run_and_show
from recommender.cli import console as make_console
from recommender.errors import InputError, UsageError

SCREEN_ROWS = 20


@app.command()
def plan(
    drafts: Path = typer.Argument(..., help="Draft pool: .csv, .parquet or .json (plan format; "
                                  "planned_at optional)."),
    date_from: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD, creator's local)."),
    date_to: str = typer.Option(..., "--to", help="Last day, inclusive."),
    per_week: int | None = typer.Option(None, "--per-week", help="At most N posts per week."),
    per_day: int | None = typer.Option(None, "--per-day", help="At most N posts per day."),
    min_gap: str = typer.Option("0", "--min-gap", help="Least time between posts: 6h, 90m."),
    not_before: int = typer.Option(0, "--not-before", help="Earliest local hour (0-23)."),
    not_after: int = typer.Option(23, "--not-after", help="Latest local hour, inclusive."),
    exclude_weekdays: str | None = typer.Option(None, "--exclude-weekdays",
                                                help="Days never to post: sat,sun or 5,6."),
    fixed: str | None = typer.Option(None, "--fixed", help="Column marking pinned rows "
                                     "(true/yes/1/x with a planned_at: the row stays put)."),
    out: Path | None = typer.Option(None, "--out", help="Write the schedule "
                                    "(.csv/.parquet/.json)."),
    ics: Path | None = typer.Option(None, "--ics", help="Write an iCalendar file (.ics)."),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds for solver + search."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(Path(DEFAULT_MODELS), "--models", help="Models directory."),
) -> None:
    """Choose which drafts each creator posts and when, to maximise predicted engagement."""
    from recommender.model.registry import load_champion
    from recommender.plan import Constraints, plan_drafts
    from recommender.plan.constraints import parse_gap, parse_weekdays
    from recommender.recommend.plan_io import plan_format, write_plan
    from recommender.store import Store

    def job():  # type: ignore[no-untyped-def]
        constraints = Constraints(
            start=date_from, end=date_to, per_week=per_week, per_day=per_day,
            min_gap_h=parse_gap(min_gap), not_before=not_before, not_after=not_after,
            exclude_weekdays=parse_weekdays(exclude_weekdays))
        if out is not None:
            plan_format(out)  # fail on a bad extension or folder before the work
            _writable(out, "--out")
        if ics is not None:
            if ics.suffix.lower() != ".ics":
                raise UsageError(f"--ics {ics}: the calendar file must end in .ics")
            _writable(ics, "--ics")
        result = plan_drafts(drafts, Store(data).load(), load_champion(models), constraints,
                             fixed=fixed, time_limit_s=time_limit)
        try:
            if out is not None:
                write_plan(result.rows, out)
            if ics is not None:
                from recommender.plan.ics import write_ics

                write_ics(result.rows, ics)
        except OSError as exc:
            raise InputError(f"cannot write {exc.filename or out}: {exc.strerror or exc}; "
                             "check the path and its permissions") from exc
        return result

    run_and_show(job, as_json, lambda result: _render(result, out, ics))


def _render(result, out: Path | None, ics: Path | None) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    console = make_console()
    if out is None:
        table = Table(title=f"{result.pool}: schedule (first {SCREEN_ROWS} posts)")
        for column in ("creator", "planned_at", "caption", "predicted", "slot_rank", "why_here"):
            table.add_column(column)
        for _, row in result.rows.head(SCREEN_ROWS).iterrows():
            table.add_row(*(_cell(row.get(c)) for c in ("creator", "planned_at", "caption",
                                                       "predicted", "slot_rank", "why_here")))
        console.print(table)
    else:
        console.print(f"Wrote {len(result.rows)} posts to {out}", soft_wrap=True)
    if ics is not None:
        console.print(f"Wrote {len(result.rows)} events to {ics}", soft_wrap=True)
    summary = Table(title="Expected engagement per creator (sum of the posts' predictions; "
                    "low-high: an 80% interval of the sum, see the notes)")
    for column in ("creator", "placed", "schedule", "greedy", "agency's slots", "vs greedy"):
        summary.add_column(column)
    for _, c in result.creators.iterrows():
        agency = ("not given" if c["agency"] is None or c["agency"] != c["agency"] else
                  _band(c["agency"], c["agency_low"], c["agency_high"])
                  + f", {c['agency_posts']} posts"
                  + ("" if c["agency_keeps_rules"] else ", breaks the rules"))
        summary.add_row(str(c["creator"]), f"{c['placed']}/{c['drafts']}",
                        _band(c["expected"], c["low"], c["high"]),
                        _band(c["greedy"], c["greedy_low"], c["greedy_high"]), agency,
                        f"{c['gain_vs_greedy_pct']:+.1f}%")
    console.print(summary)
    for _, r in result.unplaced.head(20).iterrows():
        console.print(f"row {r['row']} ({r['creator']}) not placed: {r['reason']}",
                      style="yellow", soft_wrap=True)
    if len(result.unplaced) > 20:
        console.print(f"... {len(result.unplaced) - 20} more unplaced rows (see --json)",
                      style="yellow")
    for note in result.notes:
        console.print(note, style="dim")


def _writable(path: Path, option: str) -> None:
    if not path.parent.is_dir():
        raise InputError(f"{option} {path}: the folder {path.parent} does not exist; create it "
                         "or write elsewhere")


def _band(value: float, low: float, high: float) -> str:
    return f"{value:,.0f} ({low:,.0f}-{high:,.0f})"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.1f}"
    import pandas as pd

    return "" if value is None or value is pd.NA else str(value)
