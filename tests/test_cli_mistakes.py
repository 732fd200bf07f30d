"""Ordinary mistakes and odd text end in one line (exit 1) or work, never in a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from test_recommend_support import trained
from typer.testing import CliRunner

from recommender import __version__
from recommender.cli import app
from recommender.store import Store

runner = CliRunner()
ODD = "x[/]y"  # rich markup's closing tag, as a creator name
MATH = "$a^$"  # matplotlib mathtext that does not parse, as a hashtag


def _one_line_error(args: list[str], match: str) -> str:
    result = runner.invoke(app, args)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, (args, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    assert re.search(match, lines[0]), lines[0]
    return lines[0]


def _env_args() -> list[str]:
    env = trained()
    return ["--data", str(env.data_dir), "--models", str(env.models_dir)]


def test_demo_workdir_on_a_file_or_an_unwritable_place(tmp_path: Path) -> None:
    file = tmp_path / "file.txt"
    file.write_text("x")
    _one_line_error(["demo", "--workdir", str(file)], r"--workdir .*: is a file, not a folder")
    _one_line_error(["demo", "--workdir", str(file / "sub")],
                    r"file.txt is a file, not a folder")
    _one_line_error(["demo", "--workdir", "/proc/no-such-place/demo"],
                    r"cannot create the folder .*; choose a writable place")


def test_ingest_data_and_train_models_on_an_existing_file(tmp_path: Path) -> None:
    env = trained()
    file = tmp_path / "file.txt"
    file.write_text("x")
    export = tmp_path / "posts.csv"
    env.data.posts.head(5)[["creator", "post_id", "posted_at", "likes", "views"]].to_csv(
        export, index=False)
    _one_line_error(["ingest", str(export), "--data", str(file)],
                    r"is a file, not a store directory")
    _one_line_error(["train", "--data", str(env.data_dir), "--models", str(file)],
                    r"is a file, not a models directory")


@pytest.mark.parametrize(("name", "match"), [
    ("eval.txt", r"'\.txt' is not one of \.png, \.svg, \.pdf"),
    ("", r"is a folder; give a file name inside it"),
    ("eval", r"no extension; it must be one of \.png"),
])
def test_evaluate_plot_paths(tmp_path: Path, name: str, match: str) -> None:
    _one_line_error(["evaluate", *_env_args(), "--plot", str(tmp_path / name)], match)


def test_report_out_on_a_folder_or_a_pdf(tmp_path: Path) -> None:
    creator = str(trained().data.posts["creator"].iloc[0])
    _one_line_error(["report", creator, *_env_args(), "--out", str(tmp_path)],
                    r"is a folder; give a file name inside it, e.g. .*out\.html")
    _one_line_error(["report", creator, *_env_args(), "--out", str(tmp_path / "r.pdf")],
                    r"'\.pdf' is not one of \.html, \.htm")
    assert not (tmp_path / "r.pdf").exists()


def test_score_out_into_a_new_folder_creates_it(tmp_path: Path) -> None:
    env = trained()
    plan = tmp_path / "plan.csv"
    creator = str(env.data.posts["creator"].iloc[0])
    plan.write_text(f"creator,planned_at\n{creator},2025-06-10T12:00\n")
    out = tmp_path / "newdir" / "deeper" / "o.csv"
    result = runner.invoke(app, ["score", str(plan), *_env_args(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 1


def _stored_handle() -> str:
    names = trained().data.posts["creator"].astype(str)
    return str(names.iloc[0])


def test_handles_are_normalised_and_typos_refused_with_the_near_match() -> None:
    env = trained()
    stored = _stored_handle()
    now = ["--now", str(env.synthetic.collected_at), "--json"]
    for typed in (f"@{stored}", stored.upper(), f" @{stored.title()} "):
        result = runner.invoke(app, ["suggest", typed, *_env_args(), *now])
        assert result.exit_code == 0, result.output
        assert f'"creator": "{stored}"' in result.stdout
        assert f"read as the stored handle {stored!r}" in result.stderr
    typo = stored[:-1]
    line = _one_line_error(["suggest", typo, *_env_args(), *now], r"is not in the store")
    assert f"did you mean {stored}?" in line
    forced = runner.invoke(app, ["suggest", typo, "--new-creator", *_env_args(), *now])
    assert forced.exit_code == 0 and "planned as a brand-new creator" in forced.stderr
    new = runner.invoke(app, ["suggest", "zz_nobody_like_this", *_env_args(), *now])
    assert new.exit_code == 0 and "is not in the store" in new.stderr
    assert "planned as a brand-new creator" in new.stderr


def test_now_years_past_the_data_warns() -> None:
    env = trained()
    later = env.synthetic.collected_at + pd.Timedelta(days=4 * 365)
    result = runner.invoke(app, ["suggest", _stored_handle(), *_env_args(), "--now",
                                 str(later), "--json"])
    assert result.exit_code == 0, result.output
    assert re.search(r"warning: --now .* is 4\.0 years after the newest data", result.stderr)
    near = runner.invoke(app, ["suggest", _stored_handle(), *_env_args(), "--now",
                               str(env.synthetic.collected_at), "--json"])
    assert "warning" not in near.stderr


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith(f"recommender {__version__} ")


@pytest.fixture(scope="module")
def odd_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained environment's posts with one creator renamed ODD, its sounds named
    "[/]s" and a hashtag MATH on every post."""
    env = trained()
    posts = env.data.posts.copy()
    chosen = posts["creator"] == _stored_handle()
    posts.loc[chosen, "creator"] = ODD
    posts.loc[chosen, "sound_name"] = "[/]s [bold]"
    posts.loc[chosen, "sound_is_original"] = False
    posts.loc[chosen, "sound_id"] = "odd-sound"
    posts["hashtags"] = [list(t) + [MATH] if odd else list(t)
                         for t, odd in zip(posts["hashtags"], chosen)]
    root = tmp_path_factory.mktemp("odd") / "store"
    store = Store(root)
    with store.transaction():
        store.upsert("posts", posts)
        store.upsert("trends", env.data.trends)
    return root


def test_markup_and_mathtext_in_names_print_as_written(odd_store: Path,
                                                       tmp_path: Path) -> None:
    env = trained()
    args = ["--data", str(odd_store), "--models", str(env.models_dir), "--now",
            str(env.synthetic.collected_at)]
    result = runner.invoke(app, ["suggest", ODD, *args, "--hashtags", f"{MATH},fyp",
                                 "--sound", "[/]s [bold]"])
    assert result.exit_code == 0, result.output
    assert f"Next posts for {ODD}" in result.stdout.replace("\n", "")
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", ODD, *args, "--out", str(out)])
    assert result.exit_code == 0, repr(result.exception)
    assert "x[/]y" in out.read_text()
    plan = tmp_path / "plan.csv"
    pd.DataFrame({"creator": [ODD], "planned_at": ["2025-06-10T12:00"],
                  "hashtags": [MATH], "sound": ["[/]s [bold]"]}).to_csv(plan, index=False)
    result = runner.invoke(app, ["score", str(plan), "--data", str(odd_store),
                                 "--models", str(env.models_dir)])
    assert result.exit_code == 0, repr(result.exception)
    assert ODD in result.stdout


def test_ingest_of_a_file_whose_path_and_creator_hold_markup(tmp_path: Path) -> None:
    folder = tmp_path / "a["
    folder.mkdir()
    export = folder / "]b.csv"  # printed as .../a[/]b.csv
    posts = trained().data.posts.head(3)[["creator", "post_id", "posted_at", "likes", "views"]]
    posts.assign(creator=ODD).to_csv(export, index=False)
    result = runner.invoke(app, ["ingest", str(export), "--data", str(tmp_path / "store")])
    assert result.exit_code == 0, repr(result.exception)
    assert "]b.csv" in result.stdout
    assert set(Store(tmp_path / "store").load().posts["creator"]) == {ODD}
