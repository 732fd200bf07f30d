"""``ingest --scheduler``: the files parsed in parallel on the workers, the store written
on the client.

Each recognised file is one task (its adapter and the guard, as on one machine: parsing
is the costly part of an ingest). The client takes the results in the call's file order
and upserts each into the one transaction, exactly as ``ingest_paths`` does alone, so the
store, the quarantine file and the report are the same; a file that fails to read stops
the call at that file, as alone (the files after it are cancelled, nothing of them is
stored). The workers read the files by absolute path: on a real cluster, give paths
every worker sees (a shared file system).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Generator, Iterator
from typing import Any

from recommender.distributed import cluster
from recommender.errors import RecommenderError
from recommender.ingest import Job, read_file
from recommender.ingest.archives import ZipLimits, opened
from recommender.ingest.base import AdapterResult, IngestContext, Source


@contextlib.contextmanager
def dask_reader(address: str, limits: ZipLimits | None = None) -> Iterator[Any]:
    """A ``Reader`` for ``ingest_paths`` running on the cluster at ``address``."""
    with cluster.connect(address) as client:
        def read(jobs: list[Job], progress: Callable[[str, float], None] | None
                 ) -> Generator[AdapterResult | RecommenderError, None, None]:
            return _read_on(client, jobs, progress, limits or ZipLimits.from_env())
        yield read


def _absolute(source: Source) -> Source:
    return dataclasses.replace(
        source, path=source.path.resolve() if source.path else None,
        zip_path=source.zip_path.resolve() if source.zip_path else None)


def _read_on(client: Any, jobs: list[Job], progress: Callable[[str, float], None] | None,
             limits: ZipLimits) -> Generator[AdapterResult | RecommenderError, None, None]:
    siblings = tuple(_absolute(ctx_source) for ctx_source, _, _ in jobs)
    futures = []
    for index, (_, adapter, ctx) in enumerate(jobs):
        moved = dataclasses.replace(ctx, siblings=siblings, column_map=dict(ctx.column_map))
        futures.append(client.submit(_read_task, siblings[index], adapter.name, moved, limits,
                                     pure=False))
    try:
        for index, ((source, _, _), future) in enumerate(zip(jobs, futures)):
            if progress:
                progress(source.name, index / len(jobs))
            outcome = cluster.gather(client, future, f"ingest {source.name}")
            if isinstance(outcome, AdapterResult):
                # The user's name for the file, as one machine reports it.
                outcome.source = source
            yield outcome
    finally:
        client.cancel(futures)


def _read_task(source: Source, adapter_name: str, ctx: IngestContext, limits: ZipLimits
               ) -> AdapterResult | RecommenderError:
    """On a worker: one file read as ``ingest_paths`` reads it alone."""
    from recommender.ingest import adapters

    adapter = {a.name: a for a in adapters()}[adapter_name]
    with opened(limits):
        return read_file(source, adapter, ctx)
