"""Import every command module so it registers on ``recommender.cli.app``.

One line per command module; keep them in the order they appear in ``--help``.
"""

# ruff: noqa: F401, I001
from recommender.cli import version
from recommender.cli import demo
from recommender.cli import ingest
from recommender.cli import migrate
from recommender.cli import train
from recommender.cli import evaluate
from recommender.cli import suggest
from recommender.cli import score
from recommender.cli import plan
from recommender.cli import report
from recommender.cli import audience
from recommender.cli import impact
