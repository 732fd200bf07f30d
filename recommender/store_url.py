"""``--data`` as an fsspec URL: ``file://`` is a local folder; ``s3://``, ``gs://`` and any
other fsspec file system are read through a local mirror.

A plain path never reaches this module's fsspec import (``split`` is a regular expression
on the text), so local stores cost nothing more. ``file:///srv/store`` is the folder
``/srv/store``: every command reads and writes it as it would the path.

A remote store is read-only here: its pointer (``store.json``) and the files it names are
copied into a cache folder (``$RECOMMENDER_CACHE``, default ``~/.cache/recommender``,
then ``stores/<hash of the URL>``), and the commands read that copy. Stored files are
named per generation and never rewritten, so a file already in the cache is not fetched
again; the pointer is fetched on every run (a newer generation is picked up). Writing
(``ingest``, ``migrate``) needs an atomic rename and a lock, which object stores lack:
ingest into a local folder and copy it up. The file system's package must be installed
(``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``, ``adlfs`` for ``az://``); a missing one
is a one-line error naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from recommender.errors import StoreError

CACHE_ENV = "RECOMMENDER_CACHE"
# Typer's Path options collapse "s3://b/k" to "s3:/b/k": both spellings are URLs. Two
# letters at least, so a Windows drive ("C:/...") stays a path.
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]+):/+(?P<rest>.*)$")
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs",
            "abfs": "adlfs", "abfss": "adlfs", "hf": "huggingface_hub", "sftp": "paramiko"}
_LEGACY = ("posts.parquet", "trends.parquet", "follower_activity.parquet",
           "creators.parquet", "account_daily.parquet", "rejected.csv")


def split(root: str | os.PathLike[str]) -> tuple[str, str] | None:
    """(scheme, URL spelled with ``//``) for a URL, None for a plain path."""
    match = _URL.match(os.fspath(root))
    if match is None:
        return None
    scheme, rest = match.group("scheme").lower(), match.group("rest")
    if scheme == "file":
        return scheme, "file:///" + rest.lstrip("/")
    return scheme, f"{scheme}://{rest}"


def local_root(root: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """The folder a ``Store`` works in, and the remote URL it mirrors (None: local)."""
    found = split(root)
    if found is None:
        return Path(root), None
    scheme, url = found
    if scheme == "file":
        return Path("/" + url[len("file:///"):]), None
    return mirror(url, scheme), url


def refuse_remote(root: str | os.PathLike[str]) -> None:
    """For the writing commands: a remote URL fails at once (before any copy is made)."""
    found = split(root)
    if found is not None and found[0] != "file":
        raise read_only(found[1])


def read_only(url: str) -> StoreError:
    return StoreError(f"--data {url}: writing to a remote store is not supported (it needs "
                      "an atomic rename and a lock); write to a local folder or file:// "
                      "URL and copy it there")


def _filesystem(url: str, scheme: str) -> Any:
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec comes with dask and pandas' extras
        raise StoreError(f"--data {url}: URLs need the fsspec package; install fsspec "
                         "(pip install fsspec)") from exc
    try:
        return fsspec.filesystem(scheme)
    except ImportError as exc:
        package = PACKAGES.get(scheme, str(exc).splitlines()[0] if str(exc) else "its package")
        raise StoreError(f"--data {url}: the {scheme}:// file system needs the {package} "
                         f"package; install {package} (pip install {package})") from exc
    except ValueError as exc:
        raise StoreError(f"--data {url}: {scheme}:// is not a file system fsspec knows; "
                         "give a local folder or an s3://, gs:// or file:// URL") from exc


def cache_dir(url: str) -> Path:
    base = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "recommender")
    return base / "stores" / hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


def mirror(url: str, scheme: str) -> Path:
    """The remote store's current generation, copied into its cache folder (returned)."""
    fs = _filesystem(url, scheme)
    remote = url.rstrip("/")
    local = cache_dir(url)
    try:
        local.mkdir(parents=True, exist_ok=True)
        try:
            pointer = fs.cat_file(f"{remote}/store.json")
        except FileNotFoundError:
            pointer = None
        names = _named(pointer) if pointer is not None else [
            n for n in _LEGACY if fs.exists(f"{remote}/{n}")]
        for name in names:
            target = local / name
            # Named per generation (never rewritten), except a store without a pointer's.
            if pointer is None or not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".download")
                fs.get_file(f"{remote}/{name}", str(partial))
                partial.replace(target)
        state = local / "store.json"
        if pointer is not None:
            partial = state.with_name("store.json.download")
            partial.write_bytes(pointer)
            partial.replace(state)  # last: the copy names only files already here
        elif state.exists():
            state.unlink()
        for old in [p for p in local.rglob("*") if p.is_file()]:
            if old.relative_to(local).as_posix() not in {*names, "store.json"}:
                old.unlink()  # a generation the remote store has removed
    except StoreError:
        raise
    except (OSError, ValueError) as exc:
        raise StoreError(f"--data {url}: cannot read the store ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); check "
                         "the URL and the credentials") from exc
    return local


def _named(pointer: bytes) -> list[str]:
    """Every file a pointer names, relative to the store root."""
    from recommender import store_parts

    try:
        state = json.loads(pointer)
        tables = state["tables"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError("store.json: not a recommender store pointer; point --data at a "
                         "directory written by `recommender ingest`") from exc
    names: list[str] = []
    for entry in [*tables.values(), state.get("rejected")]:
        if store_parts.is_partitioned(entry):
            store_parts.check_entry(entry, Path("store.json"))
            names.extend(store_parts.relative_parts(entry))
        elif isinstance(entry, str) and Path(entry).name == entry:
            names.append(entry)
    return names
