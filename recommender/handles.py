"""Creator handles as users type them: ``@Finn.Jokes`` is the stored ``finn.jokes``.

TikTok handles are case-insensitive and shown with a leading ``@``; the store keeps them as
the exports wrote them. A handle that matches none is either a typo (close to a stored one:
refused with the near matches, since planning for it would silently plan for a stranger)
or a brand-new creator (planned from similar creators, and said so).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from recommender.errors import InputError

NEAR_CUTOFF = 0.8


@dataclass(frozen=True)
class Resolved:
    handle: str  # the stored spelling, or the normalised new handle
    known: bool  # in the store
    note: str | None = None  # what was done to the handle, for the user


def normalise(handle: str) -> str:
    return handle.strip().lstrip("@").strip().casefold()


def resolve_creator(handle: str, stored: Iterable[str], allow_new: bool = False) -> Resolved:
    names = sorted({str(s) for s in stored})
    if handle in names:
        return Resolved(handle, True)
    wanted = normalise(handle)
    if not wanted:
        raise InputError(f"creator {handle!r}: empty handle; give one like finn.jokes")
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(normalise(name), []).append(name)
    if len(by_key.get(wanted, [])) == 1:
        match = by_key[wanted][0]
        return Resolved(match, True, f"creator {handle!r} read as the stored handle {match!r}")
    if wanted in by_key:
        raise InputError(f"creator {handle!r} matches several stored handles "
                         f"({', '.join(by_key[wanted])}); give the exact one")
    near = difflib.get_close_matches(wanted, list(by_key), n=3, cutoff=NEAR_CUTOFF)
    if near and not allow_new:
        spelled = ", ".join(by_key[n][0] for n in near)
        raise InputError(f"creator {handle!r} is not in the store; did you mean {spelled}? "
                         "(--new-creator plans for a brand-new creator of that name)")
    return Resolved(wanted, False, f"creator {wanted!r} is not in the store "
                    f"({len(names)} creators are): planned as a brand-new creator from "
                    "similar creators")
