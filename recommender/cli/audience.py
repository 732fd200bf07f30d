"""``recommender audience``: audience health of one creator, or a table of every creator."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, app, emit_json, fail
from recommender.errors import RecommenderError, UsageError


@app.command()
def audience(
    creator: str | None = typer.Argument(None, help="Creator handle as stored."),
    all_creators: bool = typer.Option(False, "--all", help="Every creator: one row each."),
    out: Path | None = typer.Option(None, "--out", help="--all: write this .csv/.parquet."),
    window: int = typer.Option(90, "--window", help="Trailing days analysed."),
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON document."),
) -> None:
    """Followers beyond vanity: growth, genuineness signals, quality score, follow-back."""
    from recommender.audience import audience_table, creator_report, write_table
    from recommender.audience.load import load_for_audience

    try:
        if all_creators == (creator is not None):
            raise UsageError("give either a CREATOR or --all")
        if out is not None and not all_creators:
            raise UsageError("--out goes with --all (one row per creator)")
        loaded = load_for_audience(data)
        if all_creators:
            table = audience_table(loaded, window)
            written = write_table(table, out) if out is not None else None
        else:
            result = creator_report(loaded, creator or "", window)
    except RecommenderError as error:
        fail(error)
        return
    if all_creators:
        if as_json:
            emit_json({"creators": len(table), "out": str(written) if written else None,
                       "rows": [] if written else _json_rows(table)})
        else:
            typer.echo(f"{len(table)} creators" + (f": wrote {written}" if written else ""))
            if written is None:
                typer.echo(table[["creator", "quality_score", "followers_end", "growth_pct",
                                  "suspicious_days", "missing"]].to_string(index=False))
        return
    if as_json:
        emit_json(result.to_dict())
    else:
        render(result)


def _json_rows(table) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    import json

    frame = table.copy()
    for col in ("first_day", "last_day"):
        frame[col] = frame[col].dt.strftime("%Y-%m-%d")
    return json.loads(frame.to_json(orient="records"))


def render(result) -> None:  # type: ignore[no-untyped-def]
    score = "not enough data" if result.quality_score is None else f"{result.quality_score:.0f}"
    typer.echo(f"Audience of {result.creator}: quality score {score} / 100 "
               f"(last {result.window_days} days)")
    g = result.growth
    typer.echo(f"\nGrowth {g['first_day']}..{g['last_day']}: {g['followers_start']:,.0f} -> "
               f"{g['followers_end']:,.0f} followers" if g["followers_end"] is not None
               else "\nGrowth: not enough data (no follower counts)")
    wk = g["weekly_gain"]
    if wk["mean"] is not None:
        typer.echo(f"  weekly net gain {wk['mean']:,.1f} (90% interval {wk['low']:,.1f} to "
                   f"{wk['high']:,.1f}, {wk['weeks']} weeks)")
    for key, label in (("gain_per_post", "per post"), ("gain_per_1k_views", "per 1,000 views")):
        if g[key] is not None:
            typer.echo(f"  followers gained {label}: {g[key]:,.2f}")
    typer.echo(f"  {g['snowball']}")
    typer.echo("\nComponents (value vs benchmark -> verdict):")
    for c in result.components:
        shown = "-" if c["score"] is None else str(c["score"])
        typer.echo(f"  [{shown:>3}] {c['name']}: {c['verdict']}")
    if result.anomalies:
        typer.echo("\nFollower jumps:")
        for a in result.anomalies:
            mark = "SUSPICIOUS" if a["suspicious"] else "organic"
            typer.echo(f"  {a['date']} {mark}: {a['reason']}")
    for period in result.follow_for_follow:
        typer.echo(f"\n{period['name']}")
    typer.echo("\nVanity vs value:")
    for line in result.vanity_vs_value:
        typer.echo(f"  {line}")
    fb = result.follow_back
    if fb:
        typer.echo(f"\nFollow-back (personal export lists): {fb['mutual']:,} mutual of "
                   f"{fb['listed_followers']:,} followers and {fb['listed_following']:,} "
                   "following")
        for key, label in (("followers_followed_back_share", "followers you follow back"),
                           ("following_not_following_back_share",
                            "accounts you follow who do not follow you"),
                           ("follow_backs_within_1d_share", "your follow-backs within 24 h")):
            if fb[key] is not None:
                typer.echo(f"  {label}: {100 * fb[key]:.1f}%")
        ba = fb["before_after"] or {}
        gain = ba.get("daily_follower_gain") or {}
        if gain.get("difference") is not None:
            typer.echo(f"  busiest 28 days of follow-backs {ba['period'][0]}..{ba['period'][1]}: "
                       f"daily follower gain {gain['during']:,.1f} vs {gain['before']:,.1f} "
                       f"the 28 days before ({gain['difference']:+,.1f}, 90% interval "
                       f"{gain['low']:+,.1f} to {gain['high']:+,.1f}; a plain comparison, "
                       "not a causal estimate)")
        elif ba.get("note"):
            typer.echo(f"  before/after: {ba['note']}")
    else:
        typer.echo("\nFollow-back: not enough data (no personal export Follower/Following "
                   "lists ingested)")
    if result.missing:
        typer.echo(f"\nMissing inputs: {', '.join(result.missing)}")
    for note in result.notes:
        typer.echo(f"note: {note}")
