"""One writer at a time: an exclusive lock on a store or models directory.

The lock is an OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on
``<dir>/.lock``: the kernel releases it when its holder dies, however it dies (kill -9
included), so a lock can never be left stale by a crashed run. Beside it, ``.lock.owner``
names the holder (pid, command, since when) for the waiting message; an owner file whose
pid is gone is stale and is said to be.

A contended lock is waited for (``RECOMMENDER_LOCK_TIMEOUT`` seconds, default 600; 0 fails
at once) with one message through ``notify``, then fails in one line naming the holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from recommender.errors import RecommenderError

LOCK_FILE = ".lock"
OWNER_FILE = ".lock.owner"
DEFAULT_TIMEOUT_S = 600.0
_POLL_S = 0.1

# Where "waiting for ..." goes; the CLI points it at stderr, library callers may too.
_notify: Callable[[str], None] | None = None
_held: dict[str, int] = {}  # directories this process has locked (the lock is re-entrant)


def set_notifier(notify: Callable[[str], None] | None) -> None:
    global _notify
    _notify = notify


class LockError(RecommenderError):
    """The directory cannot be created or locked (a file there, no permission...)."""


class LockTimeout(LockError):
    """Another run held the lock for longer than the wait allowed."""


def timeout_s() -> float:
    raw = os.environ.get("RECOMMENDER_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


@contextlib.contextmanager
def exclusive(directory: Path, what: str, timeout: float | None = None) -> Iterator[bool]:
    """Hold ``directory``'s lock inside the block; yields True if another run had it first.

    ``what`` names the directory in messages ("store", "models directory").
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LockError(f"{directory}: cannot create the {what} ({exc.strerror or exc}); "
                        "choose a writable place") from exc
    key = str(directory.resolve())
    if _held.get(key):  # this process holds it already (a job calling another job)
        _held[key] += 1
        try:
            yield False
        finally:
            _held[key] -= 1
        return
    limit = timeout_s() if timeout is None else timeout
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"{directory / LOCK_FILE}: cannot open the {what}'s lock file "
                        f"({exc.strerror or exc}); choose a writable place") from exc
    waited = False
    try:
        start = time.monotonic()
        while not _try_lock(fd):
            if not waited:
                waited = True
                if limit > 0 and _notify is not None:
                    _notify(f"waiting for the {what} {directory}, locked by "
                            f"{describe_owner(directory)} (up to {limit:.0f} s; "
                            "RECOMMENDER_LOCK_TIMEOUT changes this)")
            if time.monotonic() - start >= limit:
                raise LockTimeout(
                    f"{directory}: the {what} is locked by {describe_owner(directory)}; "
                    f"gave up after {limit:.0f} s: wait for it to finish and retry "
                    "(or raise RECOMMENDER_LOCK_TIMEOUT)")
            time.sleep(_POLL_S)
        _write_owner(directory)
        _held[key] = 1
        try:
            yield waited
        finally:
            _held.pop(key, None)
            with contextlib.suppress(OSError):
                (directory / OWNER_FILE).unlink()
            _unlock(fd)
    finally:
        os.close(fd)


def describe_owner(directory: Path) -> str:
    try:
        owner = json.loads((directory / OWNER_FILE).read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another run (owner unknown)"
    since = str(owner.get("since", "?"))
    command = str(owner.get("command", "recommender"))
    if not pid_alive(pid):
        return f"a run whose owner record is stale (pid {pid} is gone; {command}, since {since})"
    return f"pid {pid} ({command}, since {since})"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else (or not checkable here)
    return True


def _write_owner(directory: Path) -> None:
    owner = {"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "command": " ".join(["recommender", *sys.argv[1:2]])}
    temp = directory / f"{OWNER_FILE}.{os.getpid()}.tmp"
    try:
        temp.write_text(json.dumps(owner), encoding="utf-8")
        os.replace(temp, directory / OWNER_FILE)
    except OSError:  # the owner record is a courtesy for messages, never a reason to fail
        with contextlib.suppress(OSError):
            temp.unlink()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
