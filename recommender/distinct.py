"""Work once per distinct value: plans and candidate grids repeat a few values many times.

``pd.factorize`` numbers the distinct values; these helpers find where each first occurs
and map a lookup over the distinct values only (hash-based, no sort of a million rows).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def map_distinct(values: pd.Series, mapping: Mapping) -> pd.Series:
    """``values.map(mapping)`` (NaN where unmapped), looked up once per distinct value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    mapped = pd.Series(distinct).map(mapping).to_numpy(dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)
