"""``recommender suggest`` through the CLI: JSON schema, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from test_recommend_support import trained
from typer.testing import CliRunner

from recommender.cli import app

runner = CliRunner()
KEYS = {"creator", "model", "target", "horizon_days", "baseline", "usual_post", "level",
        "timing_effect", "suggestions", "notes"}
SUGGESTION_KEYS = {"post_at", "hashtags", "sound", "duration_s", "predicted", "low", "high",
                   "lift", "vs_baseline", "reasons"}


def _args(env, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return ["suggest", *extra, "--data", str(env.data_dir), "--models", str(env.models_dir),
            "--now", str(env.synthetic.collected_at)]


def test_suggest_json_schema() -> None:
    env = trained()
    creator = env.data.posts["creator"].value_counts().index[0]
    result = runner.invoke(app, _args(env, creator, "--json", "--top", "3", "--hashtags",
                                      "fyp,foryou", "--duration", "45"))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= KEYS and "what_ifs" in doc
    # The draft gets its own prediction with interval (never only its what-ifs).
    draft = doc["draft"]
    assert 0 <= draft["low"] <= draft["predicted"] <= draft["high"]
    assert set(doc["timing_effect"]) == {"lift", "low", "high"}
    assert len(doc["suggestions"]) == 3
    for s in doc["suggestions"]:
        assert set(s) == SUGGESTION_KEYS
        assert s["sound"] is None or set(s["sound"]) == {"id", "name", "trending"}


def test_suggest_table_for_an_unknown_creator_says_cold_start() -> None:
    env = trained()
    result = runner.invoke(app, _args(env, "nobody_here"))
    assert result.exit_code == 0, result.output
    assert "using similar creators" in result.stdout


def test_missing_store_is_a_one_line_error(tmp_path: Path) -> None:
    env = trained()
    result = runner.invoke(app, ["suggest", "ana", "--data", str(tmp_path / "none"),
                                 "--models", str(env.models_dir)])
    assert result.exit_code == 1
    assert "no post store" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_options_are_usage_errors() -> None:
    env = trained()
    creator = env.data.posts["creator"].iloc[0]
    for extra in (["--exclude-weekdays", "funday"], ["--not-before", "25"], ["--days", "0"]):
        result = runner.invoke(app, _args(env, creator, *extra))
        assert result.exit_code == 2, (extra, result.output)
