"""``recommender demo``: the whole product on the bundled sample, in one command.

Ingests the sample exports (data/sample, written by ``recommender.datasets.write_sample``),
trains a model, suggests posts for one creator and writes the HTML report. When the package
is installed without the repository's data/ folder, the same sample is regenerated from its
fixed seed first, so the demo always runs on a fresh install.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recommender.errors import InputError
from recommender.outputs import output_folder

REPO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@dataclass
class DemoResult:
    sample_dir: str
    data_dir: str
    models_dir: str
    creator: str
    ingest: object  # IngestReport
    train: object  # TrainReport
    suggestions: object  # SuggestResult
    report_path: str

    def to_dict(self) -> dict[str, object]:
        return {
            "sample_dir": self.sample_dir,
            "data_dir": self.data_dir,
            "models_dir": self.models_dir,
            "creator": self.creator,
            "ingest": self.ingest.to_dict(),  # type: ignore[attr-defined]
            "train": self.train.to_dict(),  # type: ignore[attr-defined]
            "suggestions": self.suggestions.to_dict(),  # type: ignore[attr-defined]
            "report": self.report_path,
        }


def sample_directory(workdir: Path) -> Path:
    """The bundled sample, or a regenerated identical one when data/ is not installed."""
    if (REPO_SAMPLE / "README.md").exists() and any(REPO_SAMPLE.glob("*.json")):
        return REPO_SAMPLE
    from recommender.datasets import SAMPLE_PARAMS, make_posts, write_sample

    target = workdir / "sample"
    if not any(target.glob("*.json")):
        write_sample(make_posts(**SAMPLE_PARAMS), target)
    return target


def run_demo(
    workdir: str | Path = "demo-output",
    creator: str | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> DemoResult:
    from recommender.ingest import ingest_paths
    from recommender.model.registry import load_champion
    from recommender.model.train import train_job
    from recommender.recommend.report import write_report
    from recommender.recommend.suggest import suggest
    from recommender.store import Store

    workdir = output_folder(workdir, "--workdir")
    data_dir, models_dir = workdir / "store", workdir / "models"
    sample = sample_directory(workdir)
    _step(progress, "ingesting the bundled sample", 0.05)
    ingested = ingest_paths([sample], data_dir)
    _step(progress, "training the engagement model", 0.25)
    trained = train_job(data_dir, models_dir)
    data = Store(data_dir).load()
    chosen = creator or _busiest_creator(data)
    if chosen not in set(data.posts["creator"].astype(str)):
        known = ", ".join(ingested.creators)
        raise InputError(f"creator {chosen!r} is not in the sample; pick one of: {known}")
    _step(progress, f"suggesting posts for {chosen}", 0.8)
    model = load_champion(models_dir)
    result = suggest(data, model, chosen)
    _step(progress, "writing the report", 0.9)
    report = write_report(data, model, chosen, workdir / f"report-{chosen}.html",
                          suggested=result)
    return DemoResult(
        sample_dir=str(sample),
        data_dir=str(data_dir),
        models_dir=str(models_dir),
        creator=chosen,
        ingest=ingested,
        train=trained,
        suggestions=result,
        report_path=str(report.html),
    )


def _busiest_creator(data) -> str:  # type: ignore[no-untyped-def]
    counts = data.posts["creator"].astype(str).value_counts()
    return str(counts.index[0])


def _step(progress: Callable[[str, float], None] | None, message: str, fraction: float) -> None:
    if progress:
        progress(message, fraction)
