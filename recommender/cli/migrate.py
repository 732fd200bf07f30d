"""``recommender migrate``: move a store's posts into the partitioned (by creator) layout."""

from __future__ import annotations

from pathlib import Path

import typer

from recommender.cli import DEFAULT_DATA, app, emit_json, fail
from recommender.errors import RecommenderError


@app.command()
def migrate(
    data: Path = typer.Option(Path(DEFAULT_DATA), "--data", help="Store directory."),
    buckets: int = typer.Option(16, "--buckets", help="Creator buckets (partitions) to use."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report."),
) -> None:
    """Move the posts table into a dataset partitioned by creator (ingests then rewrite
    only the buckets they touch; Dask reads one partition per bucket)."""
    from recommender.store_migrate import migrate_store

    try:
        report = migrate_store(data, buckets)
    except RecommenderError as error:
        fail(error)
        return
    if as_json:
        emit_json(report.to_dict())
    elif report.before == "partitioned":
        typer.echo(f"{report.data_dir}: already partitioned by creator; nothing to do")
    else:
        typer.echo(f"{report.data_dir}: {report.posts_moved:,} posts moved from one file into "
                   f"{report.buckets_written} creator buckets (posts/bucket=NNNN/)")
