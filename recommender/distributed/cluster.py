"""Connecting to a Dask cluster, and the errors a user sees from one.

Retries (stated in the README): a task whose worker dies (killed, out of memory) is
rerun by the scheduler on another worker; the same task seeing
``distributed.scheduler.allowed-failures`` deaths (3 by default) fails the command with a
one-line ``ClusterError``. A scheduler that cannot be reached within ``CONNECT_TIMEOUT_S``
fails at once, before any work. Nothing is retried by this package itself: results are
written only after every partition succeeded, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from recommender.errors import ClusterError, UsageError

CONNECT_TIMEOUT_S = 10
LOCAL = "local"
WORKERS_ENV = "RECOMMENDER_DASK_WORKERS"
# Who hears the dashboard link when a command connects (the CLI, on a terminal); the jobs
# between the command and ``connect`` need not pass it along.
_ANNOUNCE: ContextVar[Callable[[str], None] | None] = ContextVar("announce", default=None)


@contextlib.contextmanager
def announcing(notify: Callable[[str], None] | None) -> Iterator[None]:
    """Within this block, each ``connect`` tells ``notify`` the cluster's dashboard link."""
    token = _ANNOUNCE.set(notify)
    try:
        yield
    finally:
        _ANNOUNCE.reset(token)


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address`` (``local``: a LocalCluster of one-thread
    worker processes, ``RECOMMENDER_DASK_WORKERS`` of them, default 2), closed on exit."""
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if address == LOCAL:
            workers = _workers()
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=50))
            target: Any = cluster
        else:
            target = address
        try:
            client = stack.enter_context(Client(target, timeout=f"{CONNECT_TIMEOUT_S}s"))
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--scheduler {address}: no Dask scheduler answered within "
                               f"{CONNECT_TIMEOUT_S} s ({type(exc).__name__}); check the "
                               "address and that `dask scheduler` runs there") from exc
        notify = _ANNOUNCE.get()
        if notify is not None:
            notify(f"Dask dashboard: {client.dashboard_link}")
        yield client


def _workers() -> int:
    text = os.environ.get(WORKERS_ENV, "2")
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise UsageError(f"{WORKERS_ENV}={text!r}: give a whole number of workers >= 1")
    return count


def compute(client: Any, collection: Any, what: str, progress: bool = False) -> Any:
    """``collection`` (one, or a list) computed on the cluster, its failures as one-line
    ClusterErrors."""
    with _one_line(what):
        future = client.compute(collection)
        if progress:
            from distributed import progress as show

            show(future)
        return client.gather(future)


def gather(client: Any, futures: Any, what: str) -> Any:
    """The results of submitted ``futures``, their failures as one-line ClusterErrors."""
    with _one_line(what):
        return client.gather(futures)


@contextlib.contextmanager
def _one_line(what: str) -> Iterator[None]:
    from distributed import KilledWorker
    from distributed.comm import CommClosedError

    try:
        yield
    except KilledWorker as exc:
        raise ClusterError(f"{what}: a task's worker died {_allowed()} times (killed or out of "
                           "memory), so Dask gave it up; give the workers more memory or "
                           "fewer threads and run again") from exc
    except (CommClosedError, OSError, TimeoutError) as exc:
        raise ClusterError(f"{what}: lost the connection to the Dask scheduler "
                           f"({type(exc).__name__}); check the cluster and run again") from exc


def _allowed() -> int:
    import dask

    return int(dask.config.get("distributed.scheduler.allowed-failures", 3)) + 1


@contextlib.contextmanager
def folds_on(address: str | None) -> Iterator[Any]:
    """Within: joblib's ``Parallel`` (the backtest's folds) runs its tasks on the cluster
    at ``address`` (nothing changes for None); yields its client (None for None). Each
    fold is one task: a single-machine LightGBM fit with one thread, so the results equal
    the single-machine backtest's."""
    if address is None:
        yield None
        return
    from joblib import parallel_config

    with connect(address) as client, parallel_config(backend="dask"):
        yield client
