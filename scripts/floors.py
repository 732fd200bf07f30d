"""Print a pip constraints file pinning every dependency to the floor pyproject.toml declares
(its release series: ``pandas>=2.2`` -> ``pandas==2.2.*``).

CI installs the project twice: once as a newcomer gets it (the newest releases the ranges
allow) and once with these pins (`pip install -c <(python scripts/floors.py) -e ".[test]"`),
so both ends of every declared range are tested. Test tools (pytest, hypothesis, ruff) are
left free: they are not the product's dependencies.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

FLOOR = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*[^;]*?>=\s*([0-9][^,;\s]*)")


def floors(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    pins = []
    # The product's optional extras too (dask); the test extra's tools stay free (it repeats
    # the dask requirements, which the extra's pins then constrain).
    extras = [r for name, reqs in project.get("optional-dependencies", {}).items()
              if name != "test" for r in reqs]
    for requirement in [*project["dependencies"], *extras]:
        match = FLOOR.match(requirement)
        if match:
            # The floor's release series: "ortools>=9.10" has no 9.10.0, only 9.10.4067.
            pins.append(f"{match.group(1)}=={match.group(2)}.*")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.stdout.write("".join(f"{pin}\n" for pin in floors(root / "pyproject.toml")))
