"""Import every command module so it registers on ``recommender.cli.app``.

One line per command module; keep them in the order they appear in ``--help``.
"""

# ruff: noqa: F401
from recommender.cli import ingest
