"""Reading, validating and writing agency content plans (CSV / Parquet / JSON).

Plan columns: ``creator``, ``planned_at`` (required), ``caption``, ``hashtags``, ``sound``,
``duration_s`` (optional); any other column is passed through unchanged. CSV cells are read
as text so pass-through columns keep their exact spelling ("007" stays "007").

Bad rows (missing creator, unparseable ``planned_at``, negative or non-numeric duration) are
reported as (file, row, field, reason, value) and kept out of scoring; row numbers count
records from 1, header not counted. Everything is vectorised: 1M rows in a few seconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.distinct import first_positions, pair_codes
from recommender.errors import InputError

REQUIRED = ("creator", "planned_at")
OPTIONAL = ("caption", "hashtags", "sound", "duration_s")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
           ".jsonl": "json"}
# A cell starting with one of these is a formula to Excel / LibreOffice / Sheets, or can
# become one: a newline, fullwidth signs (normalised to ASCII by some), invisible characters
# (stripped by some before the formula check).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                 "\uff20", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_OFFSET = r"(?:[zZ]|[+-]\d\d:?\d\d)$"


def plan_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown plan format {path.suffix!r}; use .csv, .parquet "
                         "or .json")
    return fmt


def read_plan(path: str | Path, required: tuple[str, ...] = REQUIRED) -> pd.DataFrame:
    """The plan's rows, columns stripped; ``required`` columns must be present (a draft
    pool for ``plan`` needs only ``creator``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such plan file")
    fmt = plan_format(path)
    try:
        frame = _read(path, fmt)
    except InputError:
        raise
    except Exception as exc:  # parsers raise many types for a malformed file
        raise InputError(f"{path}: cannot read this {fmt} plan ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:120]}); check the file format") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: the plan has no {missing[0]!r} column; required columns: "
                         f"{', '.join(required)} (optional: {', '.join(OPTIONAL)})")
    return frame.reset_index(drop=True)


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "json":
        lines = path.suffix.lower() == ".jsonl"
        frame = pd.read_json(path, lines=lines, orient=None if lines else "records",
                             dtype=False)
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"{path}: a JSON plan must be a list of row objects")
        return frame
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8-sig", errors="replace")
    if not header.strip():
        raise InputError(f"{path}: the plan file is empty")
    columns = list(pd.read_csv(io.StringIO(header), dtype=str).columns)
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False),
    )
    return table.to_pandas()


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text ('' where missing), or '' everywhere if absent."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="string")
    values = frame[column]
    if values.dtype == object and len(values) and isinstance(values.iloc[0], (list, np.ndarray)):
        values = values.map(lambda v: ",".join(map(str, v)) if v is not None else "")
    return values.astype("string").fillna("").str.strip()


def parse_hashtags(values: pd.Series) -> np.ndarray:
    """'#booktok #fyp', 'booktok,fyp', "['booktok', 'fyp']" -> ['booktok', 'fyp'], as an
    object array of lists. Plans repeat tag strings: each distinct one is parsed once and
    its rows share that list (read-only)."""
    codes, distinct = pd.factorize(values)
    cleaned = pd.Series(distinct, dtype="string").str.lower().str.replace(
        r"[#\[\]'\"]", " ", regex=True)
    parsed = np.empty(len(distinct) + 1, dtype=object)  # code -1 (missing): the last, []
    for i, tags in enumerate(cleaned.str.split(r"[\s,;]+", regex=True).tolist() + [[]]):
        parsed[i] = [t for t in tags if t]
    return parsed[codes]


def parse_planned(values: pd.Series, zones: pd.Series) -> pd.Series:
    """ISO 8601 times to UTC. Times without an offset are the creator's local time.
    Plans repeat (time, zone) pairs: each distinct pair is parsed once."""
    pair = pair_codes(values, zones)
    first = first_positions(pair)
    distinct = _parse_planned(values.iloc[first].reset_index(drop=True),
                              zones.iloc[first].reset_index(drop=True))
    utc = distinct.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(utc[pair]).tz_localize("UTC"), index=values.index)


def _parse_planned(values: pd.Series, zones: pd.Series) -> pd.Series:
    has_offset = values.str.contains(_OFFSET, regex=True)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    aware = pd.to_datetime(values.where(has_offset), errors="coerce", utc=True, format="ISO8601")
    out[has_offset] = aware[has_offset]
    naive = pd.to_datetime(values.where(~has_offset), errors="coerce", format="ISO8601")
    for zone in zones[~has_offset].unique():
        rows = (~has_offset & (zones == zone)).to_numpy()
        local = pd.DatetimeIndex(naive[rows]).tz_localize(
            str(zone), ambiguous="NaT", nonexistent="shift_forward")
        out[rows] = local.tz_convert("UTC").as_unit("ns")
    return out


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Only text columns are touched; numbers (including negative ones) stay numbers.
    """
    out = frame.copy()
    # Header cells too: extra plan columns named "=1+1" are passed through to the output.
    names = pd.Series([str(c) for c in out.columns], dtype="string")
    headers = _formulas(names)
    if headers.any():
        out.columns = ["'" + str(c) if bad else c for c, bad in zip(out.columns, headers)]
    texts = [c for c in out.columns
             if pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object]
    if len(out) < 100_000:
        risky = [_formulas(out[c]) for c in texts]
    else:  # Arrow's string kernels release the GIL: two columns at a time
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            risky = list(pool.map(_formulas, (out[c] for c in texts)))
    for column, rows in zip(texts, risky):
        if rows.any():
            as_text = out[column].astype("string")
            out[column] = as_text.where(~rows, "'" + as_text)
    return out


def _formulas(values: pd.Series) -> np.ndarray:
    """Rows of a text column that start like a formula and are not numbers ("-4")."""
    as_text = values.astype("string")
    risky = as_text.str.slice(0, 1).isin(FORMULA_START).to_numpy(dtype=bool, copy=True)
    if risky.any():
        number = pd.to_numeric(as_text[risky], errors="coerce").notna().to_numpy()
        risky[np.flatnonzero(risky)[number]] = False
    return risky


def write_plan(frame: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    fmt = plan_format(path)
    safe = neutralise(frame)
    if fmt == "csv":
        _write_csv(safe, path)
    elif fmt == "parquet":
        safe.to_parquet(path, index=False)
    else:
        safe.to_json(path, orient="records", lines=path.suffix.lower() == ".jsonl",
                     date_format="iso", force_ascii=False)


def _write_csv(frame: pd.DataFrame, path: Path, chunk_rows: int = 250_000) -> None:
    """Arrow's CSV writer formats on one core; chunks of rows are formatted on two threads
    (it releases the GIL) and written in order, the header once."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    starts = range(0, max(table.num_rows, 1), chunk_rows)

    def formatted(start: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table.slice(start, chunk_rows), sink,
                        write_options=pacsv.WriteOptions(include_header=start == 0))
        return sink.getvalue()

    if len(starts) == 1:
        pacsv.write_csv(table, path)
        return
    from concurrent.futures import ThreadPoolExecutor  # only large plans pay its import

    with ThreadPoolExecutor(max_workers=2) as pool, path.open("wb") as out:
        for chunk in pool.map(formatted, starts):
            out.write(chunk)


def to_number(values: pd.Series) -> pd.Series:
    """Text to float64 (NaN for '' and non-numbers), each distinct text converted once."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    numbers = pd.to_numeric(pd.Series(distinct, dtype="string").replace("", pd.NA),
                            errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(numbers[codes], index=values.index)
