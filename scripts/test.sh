#!/usr/bin/env bash
# Install the project with its test extras into the active Python and run the whole suite.
# This is the README's test command (`bash scripts/test.sh`) and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[test]"
python -m ruff check recommender tests benchmarks scripts
python -m pytest -p no:cacheprovider "$@"
