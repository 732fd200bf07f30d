"""``recommender report``: a self-contained HTML page that renders in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_recommend_support import trained
from typer.testing import CliRunner

from recommender.cli import app

runner = CliRunner()


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be installed here (not root / no apt)")
    install = subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True,
                             env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                             timeout=600)
    found = shutil.which("chromium")
    if install.returncode != 0 or not found:
        pytest.skip("apt-get install chromium failed: "
                    + install.stderr.decode(errors="replace")[-200:])
    return found


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = trained()
    creator = env.data.posts["creator"].value_counts().index[0]
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = runner.invoke(app, ["report", creator, "--out", str(out), "--data",
                                 str(env.data_dir), "--models", str(env.models_dir),
                                 "--now", str(env.synthetic.collected_at)])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained_with_pngs_beside_it(written: Path) -> None:
    page = written.read_text()
    assert page.count("data:image/png;base64,") == 4
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for name in ("heatmap", "engagement", "content", "cadence"):
        assert (written.parent / f"report-{name}.png").stat().st_size > 5_000
    assert "How far to trust this" in page and "Next suggestions" in page
    assert "<h2>Audience" in page  # recommender.audience.report.audience_html


def test_report_renders_in_headless_chromium(written: Path, tmp_path: Path) -> None:
    import numpy as np
    from matplotlib import image

    shot = tmp_path / "shot.png"
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1280,2000", written.resolve().as_uri()],
        capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 10_000
    pixels = image.imread(shot)[..., :3]
    # Not blank: many distinct colours and a real spread of brightness.
    assert len(np.unique((pixels * 255).astype(int).reshape(-1, 3), axis=0)) > 50
    assert pixels.std() > 0.05


def test_report_for_missing_store_fails(tmp_path: Path) -> None:
    env = trained()
    result = runner.invoke(app, ["report", "x", "--data", str(tmp_path / "none"), "--models",
                                 str(env.models_dir)])
    assert result.exit_code == 1 and "no post store" in result.stderr
