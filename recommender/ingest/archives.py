"""ZIP archives read safely: limits, one index read per archive, one-line errors.

A ZIP is refused before anything is unpacked when it holds more than ``max_members``
files, more than ``max_bytes`` once unpacked (the sizes its index declares; Python's
zipfile never returns more bytes than a member declares, so the cap holds while reading),
or a member over 64 MiB that unpacks to more than ``max_ratio`` times its packed size
(real CSV and JSON exports pack 5-20:1; a bomb of one repeated byte, 1000:1).
Defaults: 10,000 members, 1 GiB, 200:1; override them with the environment variables
``RECOMMENDER_ZIP_MAX_MEMBERS``, ``RECOMMENDER_ZIP_MAX_MB`` and ``RECOMMENDER_ZIP_MAX_RATIO``
(or ``ZipLimits`` in code).

Each archive's index is read once per ingest call (``opened``): a 10k-member ZIP used to
re-read it for every member. Members whose path climbs out of the archive (``../x``,
``/etc/x``) are dropped with a note; encrypted or damaged members end in an ``InputError``.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO

from recommender.errors import InputError

DEFAULT_MAX_MEMBERS = 10_000
DEFAULT_MAX_MB = 1024
DEFAULT_MAX_RATIO = 200
RATIO_FROM_BYTES = 64 * 2**20  # small members may pack better than that; they cost nothing


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = DEFAULT_MAX_MEMBERS
    max_bytes: int = DEFAULT_MAX_MB * 2**20
    max_ratio: int = DEFAULT_MAX_RATIO

    @classmethod
    def from_env(cls) -> ZipLimits:
        return cls(max_members=_env_int("RECOMMENDER_ZIP_MAX_MEMBERS", DEFAULT_MAX_MEMBERS),
                   max_bytes=_env_int("RECOMMENDER_ZIP_MAX_MB", DEFAULT_MAX_MB) * 2**20,
                   max_ratio=_env_int("RECOMMENDER_ZIP_MAX_RATIO", DEFAULT_MAX_RATIO))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(f"{name}={raw!r} is not a whole number; unset it or give one") from exc
    if value <= 0:
        raise InputError(f"{name}={raw!r} must be positive")
    return value


@dataclass
class Archive:
    path: Path
    handle: zipfile.ZipFile
    infos: dict[str, zipfile.ZipInfo]
    unsafe: list[str] = field(default_factory=list)  # members dropped: path leaves the archive

    def members(self) -> list[str]:
        return list(self.infos)

    def info(self, member: str) -> zipfile.ZipInfo:
        try:
            return self.infos[member]
        except KeyError as exc:
            raise InputError(f"{self.path}:{member}: no such member in the archive") from exc

    def read(self, member: str, size: int = -1) -> bytes:
        info = self.info(member)
        name = f"{self.path}:{member}"
        if info.flag_bits & 0x1:
            raise InputError(f"{name}: the member is encrypted (password-protected); "
                             "extract it yourself and ingest the file")
        try:
            with self.handle.open(info) as stream:
                return stream.read(size) if size >= 0 else stream.read()
        except NotImplementedError as exc:
            raise InputError(f"{name}: compressed with a method Python cannot read ({exc}); "
                             "re-pack it as a standard ZIP") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                ValueError) as exc:
            raise InputError(f"{name}: damaged ZIP member ({_first_line(exc)}); "
                             "re-download the archive") from exc


_OPEN: dict[Path, Archive] = {}
_LIMITS: list[ZipLimits] = []


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


@contextmanager
def opened(limits: ZipLimits | None = None) -> Iterator[None]:
    """Keep every archive opened inside the block open (index read once), then close."""
    _LIMITS.append(limits or ZipLimits.from_env())
    try:
        yield
    finally:
        _LIMITS.pop()
        if not _LIMITS:
            for archive in _OPEN.values():
                archive.handle.close()
            _OPEN.clear()


def archive(path: Path) -> Archive:
    """The archive at ``path``, checked against the limits; cached inside ``opened``."""
    key = Path(path).resolve()
    if key in _OPEN:
        return _OPEN[key]
    limits = _LIMITS[-1] if _LIMITS else ZipLimits.from_env()
    try:
        handle = zipfile.ZipFile(path)
        infos = [i for i in handle.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise InputError(f"{path}: not a readable ZIP archive ({_first_line(exc)}); "
                         "re-download it") from exc
    try:
        _check(path, infos, limits)
    except InputError:
        handle.close()
        raise
    found = Archive(path=Path(path), handle=handle, infos={})
    for info in infos:
        if _unsafe(info.filename):
            found.unsafe.append(info.filename)
        else:
            found.infos.setdefault(info.filename, info)
    if _LIMITS:
        _OPEN[key] = found
    return found


def _check(path: Path, infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(infos) > limits.max_members:
        raise InputError(
            f"{path}: holds {len(infos):,} files, over the limit of {limits.max_members:,} "
            "members; unpack it yourself or raise RECOMMENDER_ZIP_MAX_MEMBERS")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_bytes:
        raise InputError(
            f"{path}: unpacks to {unpacked / 2**20:,.0f} MiB, over the limit of "
            f"{limits.max_bytes / 2**20:,.0f} MiB; unpack it yourself or raise "
            "RECOMMENDER_ZIP_MAX_MB")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM_BYTES and ratio > limits.max_ratio:
            raise InputError(
                f"{path}:{info.filename}: unpacks {ratio:,.0f} times its packed size "
                f"({info.file_size / 2**20:,.0f} MiB), over the limit of {limits.max_ratio}:1 "
                "for a real export; unpack it yourself or raise RECOMMENDER_ZIP_MAX_RATIO")


def _unsafe(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":")


def open_member(path: Path, member: str) -> IO[bytes]:
    return io.BytesIO(archive(path).read(member))


def head_of(path: Path, member: str, size: int) -> bytes:
    return archive(path).read(member, size)


def member_time(path: Path, member: str) -> datetime:
    stamp = archive(path).info(member).date_time
    try:
        return datetime(*stamp, tzinfo=timezone.utc)
    except ValueError:  # a damaged entry time (day 0): the archive file's own time
        return datetime.fromtimestamp(Path(path).stat().st_mtime, tz=timezone.utc)
