"""The Dask engine adapter: the same pipeline on a Dask cluster (``--scheduler``).

Nothing here is imported unless ``--scheduler ADDRESS|local`` (or
``RECOMMENDER_DASK_SCHEDULER``) is given, so the single-machine commands never pay for
Dask's import. The single-machine core stays the one implementation: this package only
decides what runs where.

- ``cluster``: connecting (``local`` starts a ``distributed.LocalCluster``), the one-line
  errors for an unreachable scheduler or dead workers, and what is retried.
- ``score``: ``score_plan_dask``: plan rows partitioned by creator, ``map_partitions`` on
  the workers with the model and the store broadcast once per worker.
- ``train``: LightGBM's own distributed training (``lightgbm.dask.DaskLGBMRegressor``) for
  the trees of ``EngagementModel``; the artifact is the same model directory.
"""

from __future__ import annotations

import os

SCHEDULER_ENV = "RECOMMENDER_DASK_SCHEDULER"


def scheduler_address(option: str | None) -> str | None:
    """The ``--scheduler`` value, else the environment's; None: single machine."""
    value = option if option is not None else os.environ.get(SCHEDULER_ENV)
    value = (value or "").strip()
    if value and value != "local" and "://" not in value and ":" not in value:
        from recommender.errors import UsageError

        raise UsageError(f"--scheduler {value!r}: give a scheduler address "
                         "(tcp://HOST:8786) or 'local'")
    return value or None
