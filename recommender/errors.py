"""The one exception family of the project.

Library code raises these; only the CLI layer turns them into a one-line message and an
exit code (see ``recommender.cli``). Messages are complete sentences that name the file,
row and field where relevant and say how to fix the problem.
"""

from __future__ import annotations


class RecommenderError(Exception):
    """Base class: a problem the user can fix. Exit code 1."""

    exit_code = 1


class InputError(RecommenderError):
    """An input file is unreadable, unrecognised or has no usable rows."""


class StoreError(RecommenderError):
    """The data directory is missing, empty or damaged."""


class ModelError(RecommenderError):
    """A model directory is missing, corrupted, foreign or from an incompatible version."""


class TrainingError(RecommenderError):
    """Training could not produce a model (too little data, degenerate target...)."""


class UsageError(RecommenderError):
    """The command line itself is wrong (bad option value or combination). Exit code 2."""

    exit_code = 2


class ClusterError(RecommenderError):
    """The Dask scheduler is unreachable, or the cluster lost the work (workers died)."""
