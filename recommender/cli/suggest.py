"""``recommender suggest``: the best next posts for one creator."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, DEFAULT_MODELS, app, resolve_request, run_and_show
from recommender.errors import UsageError


@app.command()
def suggest(
    creator: str = typer.Argument(..., help="Creator handle as stored."),
    days: int = typer.Option(7, "--days", help="Plan this many days ahead."),
    top: int = typer.Option(5, "--top", help="Number of suggestions."),
    draft_caption: str | None = typer.Option(None, "--draft-caption", help="Draft caption."),
    hashtags: str | None = typer.Option(None, "--hashtags", help="Draft hashtags: a,b,c."),
    sound: str | None = typer.Option(None, "--sound", help="Draft sound name ('original')."),
    duration: float | None = typer.Option(None, "--duration", help="Draft length (seconds)."),
    not_before: int | None = typer.Option(None, "--not-before", help="Earliest local hour."),
    not_after: int | None = typer.Option(None, "--not-after", help="Latest local hour."),
    exclude_weekdays: str | None = typer.Option(
        None, "--exclude-weekdays", help="Days to skip, e.g. sat,sun."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    models: Path = typer.Option(Path(DEFAULT_MODELS), "--models", help="Models directory."),
    now: str | None = typer.Option(None, "--now", help="Plan from this time (ISO 8601)."),
    new_creator: bool = typer.Option(
        False, "--new-creator", help="Plan for a creator not in the store even when the "
        "handle is close to a stored one."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document."),
) -> None:
    """Suggest when and what to post next, with reasons and honest caveats."""
    run_and_show(lambda: _run(creator, days, top, draft_caption, hashtags, sound, duration,
                              not_before, not_after, exclude_weekdays, data, models, now,
                              new_creator), as_json, render)


def _run(creator, days, top, caption, hashtags, sound, duration, not_before,  # type: ignore[no-untyped-def]
         not_after, exclude, data, models, now, new_creator=False):
    import pandas as pd

    from recommender.model.registry import load_champion
    from recommender.recommend.candidates import Draft, parse_weekdays
    from recommender.recommend.suggest import suggest as run_suggest
    from recommender.store import Store

    try:
        weekdays = parse_weekdays(exclude)
        when = pd.Timestamp(now) if now else None
    except ValueError as exc:
        raise UsageError(f"--exclude-weekdays/--now: {exc}") from exc
    if duration is not None and duration <= 0:
        raise UsageError(f"--duration {duration}: give a positive number of seconds")
    draft = None
    if any(v is not None for v in (caption, hashtags, sound, duration)):
        tags = None if hashtags is None else tuple(
            t.strip().lstrip("#").lower() for t in hashtags.split(",") if t.strip())
        draft = Draft(caption=caption, hashtags=tags, sound=sound, duration_s=duration)
    store = Store(data).load()
    creator = resolve_request(store, creator, now, new_creator)
    model = load_champion(models)
    return run_suggest(store, model, creator, days=days, top=top, draft=draft, now=when,
                       not_before=not_before, not_after=not_after, exclude_weekdays=weekdays)


def pd_time(iso: str) -> str:
    from datetime import datetime

    return f"{datetime.fromisoformat(iso):%a %d %b %H:%M}"


def render(result) -> None:  # type: ignore[no-untyped-def]
    from recommender.cli import console as make_console

    render_suggestions(result, make_console())


def render_suggestions(result, console) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    if result.draft is not None:
        d = result.draft
        console.print(f"Your draft at {pd_time(d['post_at'])}: predicted {d['predicted']:,.0f} "
                      f"(80% interval {d['low']:,.0f}-{d['high']:,.0f}), {d['lift']:+.0f}% vs "
                      "your usual post")
    table = Table(title=f"Next posts for {result.creator} ({result.timezone})")
    for column in ("#", "when", "hashtags", "sound", "length", "predicted (80%)", "lift"):
        table.add_column(column, overflow="fold")
    for n, s in enumerate(result.suggestions, 1):
        table.add_row(
            str(n), f"{s.post_at:%a %d %b %H:%M}", " ".join(f"#{t}" for t in s.hashtags),
            s.sound.name + (" (trending)" if s.sound.trending else ""),
            f"{s.duration_s:.0f} s", f"{s.predicted:,.0f} ({s.low:,.0f}-{s.high:,.0f})",
            f"{s.lift:+.0f}%")
    console.print(table)
    # Reasons under the table, one line per suggestion: a narrow table column would break
    # every phrase over several lines.
    for n, s in enumerate(result.suggestions, 1):
        console.print(f"{n}. {'; '.join(s.reasons) or 'no single decision stands out'}")
    for what in result.what_ifs or []:
        console.print(f"what if: {what['what']}")
    if result.cadence is not None:
        console.print(f"cadence: {result.cadence['advice']}")
    for note in result.notes:
        console.print(note, style="dim")
