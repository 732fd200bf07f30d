"""Work once per distinct value: plans and candidate grids repeat a few values many times.

``pd.factorize`` numbers the distinct values; these helpers find where each first occurs
and map a lookup over the distinct values only (hash-based, no sort of a million rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def first_positions(codes: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each code in ``codes`` (codes 0..k-1, every
    one present, as ``pd.factorize(..., use_na_sentinel=False)`` gives them)."""
    first = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first


def pair_codes(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> np.ndarray:
    """Codes 0..k-1 of the distinct (a, b) pairs (missing values are values too)."""
    a_code, _ = pd.factorize(a, use_na_sentinel=False)
    b_code, b_values = pd.factorize(b, use_na_sentinel=False)
    codes, _ = pd.factorize(a_code.astype(np.int64) * max(len(b_values), 1) + b_code)
    return codes


def object_codes(values: np.ndarray) -> np.ndarray:
    """Codes 0..k-1 of the distinct *objects* in an object array, by identity: parsed tag
    lists are shared by the rows that repeat them, and grouping by ``id`` costs one integer
    hash per row where comparing the lists would cost a Python comparison each."""
    ids = np.fromiter(map(id, values), dtype=np.uint64, count=len(values))
    codes, _ = pd.factorize(ids)  # all alive at once, so equal ids are the same object
    return codes


def row_codes(columns: list[np.ndarray]) -> np.ndarray:
    """Codes 0..k-1 of the distinct rows across ``columns`` (equal-length numeric arrays),
    numbered in order of first appearance; NaN equals NaN and -0.0 equals 0.0, as in
    ``groupby(..., dropna=False)``. Each row is hashed to one integer and the grouping is
    then checked value by value (exact: a hash collision falls back to pandas' groupby)."""
    canonical = [_canonical(c) for c in columns]
    codes, _ = pd.factorize(_row_hash(canonical))
    first = first_positions(codes)
    for values in canonical:
        seen = values[first][codes]
        if not ((seen == values) | (np.isnan(seen) & np.isnan(values))).all():
            frame = pd.DataFrame({i: v for i, v in enumerate(canonical)})
            return frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup(
                ).to_numpy()
    return codes


def _row_hash(columns: list[np.ndarray]) -> np.ndarray:
    mixed = np.zeros(len(columns[0]) if columns else 0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for values in columns:
            mixed = (mixed ^ values.view(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(31)
    return mixed


def _canonical(values: np.ndarray) -> np.ndarray:
    """float64 with one bit pattern per value: -0.0 as 0.0, every NaN as the same NaN."""
    out = np.asarray(values, dtype=np.float64) + 0.0  # a copy; -0.0 + 0.0 is 0.0
    out[np.isnan(out)] = np.nan
    return out


class Distinct:
    """A column's distinct values (``values``) and each row's position among them."""

    def __init__(self, column: pd.Series) -> None:
        self.codes, self.values = pd.factorize(column, use_na_sentinel=False)
        self.index = column.index

    def whole(self) -> pd.Series:
        """The column itself, as a categorical column."""
        return self.category(np.asarray(self.values, dtype=object))

    def category(self, per_value: np.ndarray) -> pd.Series:
        """A value per distinct value, spread over the rows as a categorical column (rows
        are cut into parts by integer codes, not by copying text)."""
        codes, categories = pd.factorize(per_value, use_na_sentinel=True)
        return pd.Series(pd.Categorical.from_codes(codes[self.codes], categories),
                         index=self.index)


class TextColumn:
    """A text column of ``n`` rows ("" until set) filled piece by piece as codes into its
    distinct texts: output columns repeat a few texts (reasons, slots), and turning a
    million Python strings into a pandas column one by one is what costs."""

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int64)
        self.texts: dict[str, int] = {"": 0}

    def put(self, rows: np.ndarray, codes: np.ndarray, texts: np.ndarray) -> None:
        """Row ``rows[i]`` gets ``texts[codes[i]]``."""
        known = np.array([self.texts.setdefault(str(t), len(self.texts)) for t in texts],
                         dtype=np.int64)
        self.codes[rows] = known[codes]

    def column(self) -> pd.api.extensions.ExtensionArray:
        return pd.array(np.array(list(self.texts), dtype=object), dtype="str").take(self.codes)
