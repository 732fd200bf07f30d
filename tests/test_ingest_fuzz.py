"""Property: whatever a real extract of any format is mutated into, ingest ends in a stored,
valid, fully accounted result or one line of InputError; never a traceback.

Mutations are the faults seen in the wild and in hostile probes: truncation, byte damage,
a copied or dropped line, extra fields, doubled BOM, UTF-16/32, binary content, CR-only
line ends, NUL bytes, a 128 KiB field; byte damage to Parquet, XLSX and ZIP shapes of the
extracts; and for JSON, hostile leaf values (lone surrogate escapes, infinities, 1e12-second
durations, 1970 / 2100 times, 100,000-character names, deep nesting).
"""

from __future__ import annotations

import atexit
import json
import math
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.errors import RecommenderError
from recommender.ingest import cells, ingest_paths
from recommender.store import Store

EXTRACTS = Path(__file__).parent / "extracts"


def _binary_variants() -> list[Path]:
    """The extracts' Parquet, XLSX and ZIP shapes, written once for this module."""
    from openpyxl import Workbook

    folder = Path(tempfile.mkdtemp(prefix="fuzz-variants-"))
    atexit.register(shutil.rmtree, folder, True)
    generic = pd.read_csv(EXTRACTS / "generic" / "creator_histories_2020.csv", dtype=str)
    generic.to_parquet(folder / "creator_histories.parquet", index=False)
    book = Workbook()
    sheet = book.active
    overview = (EXTRACTS / "studio" / "htupy-english" / "Overview.csv").read_text("utf-8-sig")
    for line in overview.splitlines():
        sheet.append([c.strip('"') for c in line.split(",")])
    book.save(folder / "Overview.xlsx")
    with zipfile.ZipFile(folder / "export.zip", "w") as archive:
        archive.write(EXTRACTS / "personal" / "user_data_posts_section.json",
                      "user_data_tiktok.json")
        archive.write(EXTRACTS / "trends" / "trend_lists_2022.csv", "trends/archive.csv")
    return sorted(folder.iterdir())


FILES = sorted(p for p in EXTRACTS.rglob("*") if p.is_file()) + _binary_variants()
HOSTILE = [None, -1, -2147483000, 2**63, 1e308, "inf", "NaN", 1e12, 0, "", "\x00", "a\x00b",
           "\\ud800", "x" * 100_000, 4102444800, 0.5, "2100-01-01", "1970-01-01", [], {},
           "[not json", "Share", "00:15", True, [[[[[[[[[[1]]]]]]]]]]]
EARLIEST = pd.Timestamp("2008-01-01", tz="UTC")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _mutate_bytes(data: bytes, kind: str, at: float, blob: bytes) -> bytes:
    cut = int(len(data) * at)
    lines = _lines(data)
    line = min(int(len(lines) * at), len(lines) - 1)
    if kind == "truncate":
        return data[:cut]
    if kind == "damage":
        return data[:cut] + blob + data[cut + len(blob):]
    if kind == "insert":
        return data[:cut] + blob + data[cut:]
    if kind == "copy_line":
        return b"\n".join([*lines[:line + 1], lines[line], *lines[line + 1:]])
    if kind == "drop_line":
        return b"\n".join(lines[:line] + lines[line + 1:])
    if kind == "extra_fields":
        return b"\n".join([*lines[:line], lines[line] + b',x,"y"', *lines[line + 1:]])
    if kind == "bom2":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data
    if kind == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if kind == "utf32":
        return data.decode("utf-8", "replace").encode("utf-32")
    if kind == "binary":
        return bytes((i * 7919 + at_byte) % 256 for i in range(4096) for at_byte in blob[:1])
    if kind == "cr_only":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if kind == "nul":
        return data[:cut] + b"\x00" + data[cut:]
    if kind == "huge_field":
        return data[:cut] + b"z" * (128 * 1024) + data[cut:]
    raise AssertionError(kind)


def _mutate_json(doc: object, choices: list[int], values: list[object]) -> object:
    """Replace a few leaves (picked by ``choices``) with hostile values."""
    leaves: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        items = node.items() if isinstance(node, dict) else (
            enumerate(node) if isinstance(node, list) else ())
        for key, value in items:
            if isinstance(value, (dict, list)) and value:
                walk(value)
            else:
                leaves.append((node, key))

    walk(doc)
    for pick, value in zip(choices, values):
        if leaves:
            parent, key = leaves[pick % len(leaves)]
            parent[key] = value  # type: ignore[index]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, bytes]:
    path = draw(st.sampled_from(FILES))
    data = path.read_bytes()
    if path.suffix == ".json" and draw(st.booleans()):
        doc = json.loads(data.decode("utf-8-sig"))
        n = draw(st.integers(1, 6))
        choices = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
        values = draw(st.lists(st.sampled_from(HOSTILE), min_size=n, max_size=n))
        text = json.dumps(_mutate_json(doc, choices, values), ensure_ascii=False)
        data = text.replace('"\\\\ud800"', '"\\ud800"').encode("utf-8")
        if draw(st.integers(0, 3)) == 0:
            data = b"[" * 100_000 + data  # deep nesting
    kinds = ["truncate", "damage", "insert", "copy_line", "drop_line", "extra_fields", "bom2",
             "utf16", "utf32", "binary", "cr_only", "nul", "huge_field"]
    if path.suffix in (".parquet", ".xlsx", ".zip"):
        kinds = ["truncate", "damage", "insert", "nul"]  # bytes, not lines
    for _ in range(draw(st.integers(0 if path.suffix == ".json" else 1, 2))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.floats(0, 1))
        blob = draw(st.binary(min_size=1, max_size=12))
        data = _mutate_bytes(data, kind, at, blob)
    return path, data


def _valid_text(values: pd.Series, limit: int) -> bool:
    text = values.dropna().astype(str)
    return not text.str.contains("\x00", regex=False).any() and bool(
        (text.str.len() <= limit).all())


def _check_store(root: Path) -> None:
    store = Store(root)
    if not store.exists():
        return
    latest = cells.latest_time()
    posts = store.read("posts")
    if not posts.empty:
        assert posts["posted_at"].notna().all()
        assert posts["posted_at"].between(EARLIEST, latest).all()
        assert posts["collected_at"].between(EARLIEST, latest).all()
        assert (posts["collected_at"] >= posts["posted_at"]).all()
        duration = posts["duration_s"].dropna().astype(float)
        assert duration.map(math.isfinite).all()
        assert duration.between(0, cells.MAX_DURATION_S).all()
        for name in ("views", "likes", "comments", "shares", "saves", "followers_at_post"):
            assert (posts[name].dropna() >= 0).all()
        assert _valid_text(posts["creator"], cells.MAX_NAME)
        assert _valid_text(posts["sound_name"], cells.MAX_SOUND_NAME)
        assert _valid_text(posts["caption"], cells.MAX_CAPTION)
        assert _valid_text(posts["post_id"], 200)
        assert posts["creator"].notna().all() and posts["post_id"].notna().all()
    trends = store.read("trends")
    if not trends.empty:
        assert trends["date"].between(EARLIEST, latest).all()
        assert _valid_text(trends["name"], cells.MAX_SOUND_NAME)
    daily = store.read("account_daily")
    if not daily.empty:
        assert (daily["value"].dropna() >= 0).all()
        assert daily["date"].dropna().between(EARLIEST, latest).all()


@settings(max_examples=160, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated())
def test_mutated_extracts_never_crash_and_always_balance(case: tuple[Path, bytes]) -> None:
    original, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in" / original.name
        path.parent.mkdir()
        path.write_bytes(data)
        # The personal export and Studio extracts do not name their account: as their users
        # do, say whose they are, so the fuzzing reaches their parsers.
        named = original.name == "export.zip" or original.parent.parent.name in (
            "personal", "studio") or original.parent.name == "personal"
        try:
            report = ingest_paths([path], Path(tmp) / "store",
                                  creator="fuzz_creator" if named else None)
        except RecommenderError as error:
            assert "\n" not in str(error) and str(error)
            _check_store(Path(tmp) / "store")
            return
        for f in report.files:
            assert f.read == f.stored + f.rejected + f.skipped + f.merged, f
            assert min(f.read, f.stored, f.rejected, f.skipped, f.merged) >= 0
        _check_store(Path(tmp) / "store")
