"""``recommender --version``: the program's version (and LightGBM's, which models depend on)."""

from __future__ import annotations

import typer

from recommender.cli import app


def _show_version(value: bool) -> None:
    if not value:
        return
    from recommender import __version__
    from recommender.model._lgb import version as lightgbm_version

    typer.echo(f"recommender {__version__} (LightGBM {lightgbm_version()})")
    raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Turn TikTok exports into concrete, honest next steps: what and when to post."""
