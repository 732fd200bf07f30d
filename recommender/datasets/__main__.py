"""Command-line entry for the generator.

``python -m recommender.datasets [DIRECTORY]`` regenerates the bundled sample (default: the
repository's data/sample). Files this generator wrote before are removed first (only those:
the README and anything else stay), so the folder holds exactly one sample from
``SAMPLE_PARAMS``.

``python -m recommender.datasets calibrate [REAL_CSV]`` prints the calibration table
(generator vs the real creator histories; see ``recommender.datasets.calibrate``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from recommender.datasets import SAMPLE_PARAMS, make_posts, write_sample

REPO_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
GENERATED = ("dataset_tiktok-scraper_*.json", "trends.csv", "creators.csv")


def regenerate(target: Path) -> str:
    for pattern in GENERATED:
        for old in target.glob(pattern):
            old.unlink()
    if (target / "studio").is_dir():
        shutil.rmtree(target / "studio")
    written = write_sample(make_posts(**SAMPLE_PARAMS), target)  # type: ignore[arg-type]
    size = sum(path.stat().st_size for path in written)
    return f"wrote {len(written)} files ({size / 1e6:.2f} MB) to {target}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["calibrate"]:
        from recommender.datasets.calibrate import DEFAULT_REAL, compare

        print(compare(argv[1] if len(argv) > 1 else DEFAULT_REAL).round(3).to_string())
        return 0
    print(regenerate(Path(argv[0]) if argv else REPO_SAMPLE))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
