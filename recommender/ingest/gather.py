"""Gathering raw values into canonical-named columns (see records.py for the checks).

``from_items`` follows a spec of ``/``-separated paths through JSON items; ``from_flat``
reads the same fields from a flattened table (Apify's ``authorMeta/fans`` or
``authorMeta.fans`` columns, ``hashtags/0/name``...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

Spec = dict[str, tuple[str, ...]]


def from_items(items: Sequence[dict], spec: Spec) -> pd.DataFrame:
    """One object column per spec field: the first non-null value along its paths."""
    split = {name: [tuple(p.split("/")) for p in paths] for name, paths in spec.items()}
    data = {name: [_first(item, paths) for item in items] for name, paths in split.items()}
    return pd.DataFrame(data, dtype=object, index=pd.RangeIndex(len(items)))


def _first(item: object, paths: list[tuple[str, ...]]) -> object:
    for path in paths:
        value = _walk(item, path)
        if value is not None:
            return value
    return None


def _walk(value: object, path: tuple[str, ...]) -> object:
    for i, key in enumerate(path):
        if key == "*":
            if not isinstance(value, list):
                return None
            found = [_walk(v, path[i + 1:]) for v in value]
            return [v for v in found if v is not None]
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def flat_key(column: str) -> str:
    """Apify CSV writes ``authorMeta/fans``, its overview and json2csv ``authorMeta.fans``."""
    return column.strip().replace(".", "/").lower()


def from_flat(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The same raw columns from a flattened table; ``*`` gathers ``hashtags/0/name``...."""
    keys = {flat_key(c): c for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    for name, paths in spec.items():
        for path in paths:
            column = _flat_column(frame, keys, path.lower())
            if column is not None:
                out[name] = column if name not in out else out[name].where(
                    out[name].notna(), column)
    return out


def _flat_column(frame: pd.DataFrame, keys: dict[str, str], path: str) -> pd.Series | None:
    if "*" not in path:
        return frame[keys[path]] if path in keys else None
    pattern = re.compile(re.escape(path).replace(r"\*", r"(\d+)"))
    found = sorted((int(m.group(1)), c) for k, c in keys.items() if (m := pattern.fullmatch(k)))
    if not found:
        return None
    cells = frame[[c for _, c in found]].to_numpy(dtype=object)
    lists = [[v for v in row if isinstance(v, str) and v] for row in cells]
    return pd.Series(lists, index=frame.index, dtype=object)


