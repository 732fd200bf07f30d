"""``ingest --scheduler`` on a real LocalCluster (2 workers): the files parsed on the
workers, the store written on the client, the same store, quarantine and report as alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")

from recommender.cli import app  # noqa: E402
from recommender.datasets import make_posts, write_sample  # noqa: E402
from recommender.errors import InputError  # noqa: E402
from recommender.ingest import ingest_paths  # noqa: E402
from recommender.store import PARQUET_TABLES, Store  # noqa: E402

runner = CliRunner()
EXTRACTS = Path(__file__).parent / "extracts"


@pytest.fixture(scope="module")
def address():  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=50) as local:
        yield local.scheduler_address


def _same_store(a: Path, b: Path) -> None:
    left, right = Store(a).load(), Store(b).load()
    for table in PARQUET_TABLES:
        pd.testing.assert_frame_equal(getattr(left, table), getattr(right, table),
                                      obj=table)
    pd.testing.assert_frame_equal(Store(a).rejected(), Store(b).rejected())


def _report(output: str, root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(output.replace(str(root), "ROOT"))


def test_ingest_on_the_cluster_builds_the_same_store(address, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exports = tmp_path / "exports"
    write_sample(make_posts(n_creators=4, days=60, seed=2), exports)
    # A CSV with unreadable cells: the quarantine file must match too.
    good = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text()
    lines = good.splitlines()
    bad = lines[1].split(",")
    bad[0], bad[1], bad[11] = "123", "not a date", "lots"  # post_id, created_at, views
    (exports / "more.csv").write_text("\n".join([*lines, ",".join(bad)]))
    reports = {}
    for name, extra in (("alone", []), ("spread", ["--scheduler", address])):
        # Twice into each store: the second call updates (upserts in the same order).
        for _ in range(2):
            done = runner.invoke(app, ["ingest", str(exports), "--data",
                                       str(tmp_path / name), "--json", *extra])
            assert done.exit_code == 0, done.output
        reports[name] = _report(done.stdout, tmp_path / name)
    _same_store(tmp_path / "alone", tmp_path / "spread")
    assert not Store(tmp_path / "spread").rejected().empty
    assert reports["alone"] == reports["spread"]
    assert reports["alone"]["totals"]["unchanged"] > 0 and len(reports["alone"]["files"]) > 3


def test_a_failed_file_stops_the_call_at_that_file_as_alone(address, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    good = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_text()
    (folder / "a.csv").write_text(good)
    (folder / "b.csv").write_bytes(good.splitlines()[0].encode() + b"\n\xff\xfe\xfa,1\n")
    (folder / "c.csv").write_text(good.replace("2020", "2021"))
    messages = []
    for name, scheduler in (("alone", None), ("spread", address)):
        with pytest.raises(InputError, match=r"b\.csv: .*earlier files of this call were: "
                                             r"a\.csv \(5 stored") as caught:
            ingest_paths([folder], tmp_path / name, scheduler=scheduler)
        messages.append(str(caught.value).replace(str(tmp_path / name), "ROOT"))
    assert messages[0] == messages[1]
    assert len(Store(tmp_path / "spread").read("posts")) == 5  # c.csv not stored
    _same_store(tmp_path / "alone", tmp_path / "spread")


def test_ingest_without_a_scheduler_does_not_import_dask(tmp_path: Path) -> None:
    import subprocess

    code = ("import sys; from recommender.ingest import ingest_paths; "
            f"ingest_paths([{str(EXTRACTS / 'generic' / 'creator_histories_2020.csv')!r}], "
            f"{str(tmp_path / 's')!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
