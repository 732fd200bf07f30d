"""ZIP archives under hostile input (recommender/ingest/archives.py): limits, one index read,
unsafe member paths, encrypted and damaged members. Every archive is generated here."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from recommender.cli import app
from recommender.errors import InputError
from recommender.ingest import archives, ingest_paths
from recommender.store import Store

EXTRACTS = Path(__file__).parent / "extracts"
HISTORY = (EXTRACTS / "generic" / "creator_histories_2020.csv").read_bytes()
runner = CliRunner()


def _bomb(path: Path, mib: int) -> Path:
    header = HISTORY.splitlines()[0] + b"\n"
    block = b"0" * 2**20
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
            z.open("posts.csv", "w", force_zip64=True) as member:
        member.write(header)
        for _ in range(mib):
            member.write(block)
    return path


def _spy(monkeypatch, owner: object, attr: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The positional arguments of every call to ``owner.attr`` from now on (it still runs):
    ``zipfile.ZipFile`` counts archives opened, ``zipfile.ZipFile.open`` members unpacked."""
    calls: list[tuple] = []
    real = getattr(owner, attr)

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, attr, spy)
    return calls


def test_zip_bomb_is_refused_from_its_index_before_unpacking(tmp_path: Path,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bomb = _bomb(tmp_path / "bomb.zip", 64)
    assert bomb.stat().st_size < 2**20  # 64 MiB unpacked from well under 1 MiB
    opened = _spy(monkeypatch, zipfile.ZipFile, "open")
    with pytest.raises(InputError, match=r"bomb\.zip: unpacks to 64 MiB, over the limit of "
                                         r"16 MiB; .*RECOMMENDER_ZIP_MAX_MB"):
        ingest_paths([bomb], tmp_path / "s", zip_limits=archives.ZipLimits(max_bytes=16 * 2**20))
    # Refused on the sizes the index declares: not one byte of the member was unpacked (the
    # refusal's speed is a property of that, not of this machine's clock).
    assert opened == []
    assert not (tmp_path / "s" / "posts.parquet").exists()


def test_a_bomb_under_the_size_cap_is_refused_by_its_packing_ratio(tmp_path: Path,
                                                                  monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bomb = _bomb(tmp_path / "ratio.zip", 80)  # 80 MiB of one byte: ~1000:1
    opened = _spy(monkeypatch, zipfile.ZipFile, "open")
    with pytest.raises(InputError, match=r"ratio\.zip:posts\.csv: unpacks [\d,]+ times its "
                                         r"packed size \(80 MiB\), over the limit of 200:1"):
        ingest_paths([bomb], tmp_path / "s")  # default limits: 1 GiB, 200:1
    assert opened == []


def test_zip_limit_from_the_environment_and_the_cli_one_line(tmp_path: Path,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    bomb = _bomb(tmp_path / "bomb.zip", 24)
    monkeypatch.setenv("RECOMMENDER_ZIP_MAX_MB", "8")
    result = runner.invoke(app, ["ingest", str(bomb), "--data", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "over the limit of 8 MiB" in result.output
    assert "Traceback" not in result.output
    monkeypatch.setenv("RECOMMENDER_ZIP_MAX_MB", "64")  # raised: the file is read
    result = runner.invoke(app, ["ingest", str(bomb), "--data", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output


def test_member_count_cap_and_a_single_index_read(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(300):
            z.writestr(f"notes/n{i}.txt", "x")
        z.writestr("posts.csv", HISTORY)
    with pytest.raises(InputError, match=r"holds 301 files, over the limit of 100 members"):
        ingest_paths([many], tmp_path / "s", zip_limits=archives.ZipLimits(max_members=100))
    opened = _spy(monkeypatch, zipfile, "ZipFile")
    report = ingest_paths([many], tmp_path / "s")
    assert report.totals["stored"] == 5 and len(report.ignored) == 300
    assert len(opened) == 1  # the index is read once, not once per member


def test_members_leaving_the_archive_are_dropped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../outside.csv", HISTORY)
        z.writestr("/abs/posts.csv", HISTORY)
        z.writestr("ok/posts.csv", HISTORY)
    report = ingest_paths([path], tmp_path / "s")
    assert [Path(f.file).name for f in report.files] == ["posts.csv"]
    assert report.files[0].file.endswith("evil.zip:ok/posts.csv")
    assert any("2 member(s) with a path leaving the archive dropped" in n for n in report.notes)
    assert report.to_dict()["notes"] == report.notes


def test_encrypted_member_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("posts.csv", HISTORY)
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + flag_at  # mark it encrypted, as a password would
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"locked\.zip:posts\.csv: the member is encrypted"):
        ingest_paths([path], tmp_path / "s")


def test_damaged_member_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "crc.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("posts.csv", HISTORY)
    data = bytearray(path.read_bytes())
    at = data.index(b"brierson")
    data[at] = ord("X")  # the stored bytes no longer match their CRC
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"crc\.zip:posts\.csv: damaged ZIP member "
                                         r"\(Bad CRC-32.*re-download the archive") as caught:
        ingest_paths([path], tmp_path / "s")
    assert "\n" not in str(caught.value)
    assert not Store(tmp_path / "s").exists()
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match=r"junk\.zip: not a readable ZIP archive"):
        ingest_paths([junk], tmp_path / "s")
