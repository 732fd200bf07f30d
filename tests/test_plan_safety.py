"""Spreadsheet safety of written plans: header cells and disguised formula starts too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender.recommend import plan_io


def test_headers_and_disguised_formula_starts_are_neutralised(tmp_path: Path) -> None:
    cells = ["\n=1+1", "\uff1dSUM(A1:A9)", "\u200b=HYPERLINK(\"http://x\")", "\ufeff@cmd",
             "plain", "-4", "3.5"]
    frame = pd.DataFrame({"=1+1": cells, '=HYPERLINK("http://x","y")': range(len(cells)),
                          "campaign": cells})
    out = tmp_path / "o.csv"
    plan_io.write_plan(frame, out)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(back.columns) == ["'=1+1", "'=HYPERLINK(\"http://x\",\"y\")", "campaign"]
    assert back["campaign"].tolist()[:4] == ["'" + c for c in cells[:4]]
    assert back["campaign"].tolist()[4:] == ["plain", "-4", "3.5"]  # text and numbers kept
