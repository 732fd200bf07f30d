"""Where commands write: checked up front, so a bad path is one line before any work.

A missing parent folder is created (what a user typing ``--out reports/x.html`` expects);
a folder where a file is wanted, a file where a folder is wanted, a wrong or missing
extension and an unwritable place are each refused with the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from recommender.errors import InputError


def output_file(path: str | Path, suffixes: Iterable[str], option: str) -> Path:
    """``path`` as a file to write, with one of ``suffixes`` (lower case, with the dot);
    its folder is created if missing."""
    path = Path(path)
    allowed = [s.lower() for s in suffixes]
    example = f"{path.name or 'out'}{allowed[0]}" if not path.suffix else f"{path.stem}{allowed[0]}"
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name inside it, e.g. "
                         f"{path / ('out' + allowed[0])}")
    if path.suffix.lower() not in allowed:
        what = f"'{path.suffix}' is not" if path.suffix else "no extension; it must be"
        raise InputError(f"{option} {path}: {what} one of {', '.join(allowed)}; give a name "
                         f"like {path.with_name(example)}")
    _make_folder(path.parent, option, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: the file is not writable; choose another name")
    return path


def output_folder(path: str | Path, option: str) -> Path:
    """``path`` as a folder to write into (created if missing)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, not a folder; choose a folder "
                         "(it is created if missing)")
    _make_folder(path, option, path)
    return path


def _make_folder(folder: Path, option: str, shown: Path) -> None:
    for parent in [folder, *folder.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{option} {shown}: {parent} is a file, not a folder; "
                                 "choose another place")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {shown}: cannot create the folder {folder} "
                         f"({exc.strerror or exc}); choose a writable place") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} {shown}: the folder {folder} is not writable; choose a "
                         "writable place")
