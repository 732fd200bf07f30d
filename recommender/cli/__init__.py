"""Typer CLI: parses arguments, calls one library function, renders the result.

Each command lives in its own module under ``recommender.cli`` and registers itself on
``app``. Heavy imports happen inside the command functions so ``--help`` and ``suggest``
start fast. Errors from the library (``RecommenderError``) are mapped to a one-line message
and an exit code here, in one place: user error 1, usage error 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import typer

from recommender.errors import RecommenderError, UsageError

app = typer.Typer(
    name="recommender",
    help="Turn TikTok exports into concrete, honest next steps: what and when to post.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_DATA = os.environ.get("RECOMMENDER_DATA", "data/store")
DEFAULT_MODELS = os.environ.get("RECOMMENDER_MODELS", "models")
FAR_FROM_DATA_DAYS = 365  # --now further than this from the newest data gets a warning


def fail(error: RecommenderError) -> None:
    """Print the one-line error to stderr and exit with its code."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=error.exit_code)


def warn(message: str, level: str = "note") -> None:
    """A remark about the request itself (not an error), on stderr so --json stays clean."""
    typer.echo(f"{level}: {message}", err=True)


def resolve_request(data: Any, creator: str, now: str | None, allow_new: bool = False
                    ) -> str:
    """The stored spelling of ``creator`` (see ``recommender.handles``), with a note when
    the handle was adjusted or is new, and a warning when ``--now`` is far from the data."""
    from recommender.handles import resolve_creator
    from recommender.recommend.suggest import resolve_now

    resolved = resolve_creator(creator, data.posts["creator"].astype(str).unique(), allow_new)
    if resolved.note:
        warn(resolved.note)
    if now is not None:
        try:
            asked = resolve_now(data, now)
        except ValueError as exc:
            raise UsageError(f"--now {now!r} is not an ISO 8601 date-time ({exc})") from exc
        newest = resolve_now(data, None)
        gap_days = abs((asked - newest).total_seconds()) / 86400
        if gap_days > FAR_FROM_DATA_DAYS and not data.posts.empty:
            side = "after" if asked > newest else "before"
            warn(f"--now {asked:%Y-%m-%d} is {gap_days / 365.25:.1f} years {side} the newest "
                 f"data in the store ({newest:%Y-%m-%d}): the plan assumes the patterns of "
                 "then still hold; ingest fresher exports for a plan you can trust", "warning")
    return resolved.handle


def emit_json(payload: Any) -> None:
    """Write a JSON document to stdout (numbers, ISO dates; no NaN)."""
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str, allow_nan=False))


def run_and_show(job: Callable[[], Any], as_json: bool, render: Callable[[Any], None]
                 ) -> None:
    """Run a command's job; print its result's JSON document (``--json``) or ``render`` it,
    or fail in one line on a user error."""
    try:
        result = job()
    except RecommenderError as error:
        fail(error)
        return
    if as_json:
        emit_json(result.to_dict())
    else:
        render(result)


def dashboard_notice(address: str | None, as_json: bool):  # type: ignore[no-untyped-def]
    """A context in which connecting to a Dask cluster prints its dashboard link on stderr
    (a terminal, no --json, a scheduler given); nothing otherwise."""
    import contextlib

    if address is None:
        return contextlib.nullcontext()
    from recommender.distributed.cluster import announcing

    return announcing(warn if interactive() and not as_json else None)


def console(stderr: bool = False):  # type: ignore[no-untyped-def]
    """A rich console that prints text as text: no markup or emoji codes are interpreted,
    so a creator, sound or file name like ``a[/]b`` or ``:x:`` shows as written (and cannot
    crash the output after the work is done). Styles are passed with ``style=``."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False)


def interactive() -> bool:
    """True when progress bars make sense: a terminal on stderr, not CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _notify_waiting(message: str) -> None:
    typer.echo(message, err=True)


def _register() -> None:
    from recommender import locking

    locking.set_notifier(_notify_waiting)
    # Imported for their side effect of adding commands to ``app``.
    from recommender.cli import commands  # noqa: F401


def main() -> None:
    _register()
    try:
        app()
    except RecommenderError as error:  # pragma: no cover - commands catch their own
        fail(error)


_register()
