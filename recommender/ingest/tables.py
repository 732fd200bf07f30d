"""Reading CSV tables whatever the encoding or damage, one bad row never the whole file.

Fast path: pyarrow on clean UTF-8 files. Anything it refuses goes through Python's csv
module, which reads the text as decoded here: UTF-8 with any number of BOMs, UTF-16/32
with a BOM (other bytes are refused in one line); CR-only, LF or CRLF line ends; fields of
any size. A record with more fields than the header is rejected on its own (row number,
field count) instead of shifting the columns of every row; a short record is padded with
empty cells, as spreadsheets write them. Each frame carries ``attrs["rows"]`` (the 1-based
record number of each row) and ``attrs["bad"]`` ((record, fields) of the rejected ones).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zlib

import numpy as np
import pandas as pd

from recommender.errors import InputError
from recommender.ingest.base import Rejects, Source

_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a 128 KiB caption is still one field


def decode(data: bytes, strict: bool = False) -> str:
    """Text of a file: BOM-declared UTF-16/32, else UTF-8 (BOMs stripped). Undecodable
    bytes raise ``UnicodeDecodeError`` when ``strict``, else become U+FFFD (sniffing)."""
    errors = "strict" if strict else "replace"
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                break
    return data.decode("utf-8", errors=errors).lstrip("\ufeff")


def first_line(head: bytes) -> str:
    text = decode(head)
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n", 1)[0]


def header_cells(head: bytes) -> list[str]:
    """The header row's cells, or [] for something that is not a text table."""
    line = first_line(head)
    if "\x00" in line:
        return []
    try:
        return [c.strip().lstrip("\ufeff") for c in next(csv.reader([line]), [])]
    except csv.Error:
        return []


def _raw(source: Source) -> bytes:
    data = source.read_bytes()
    if source.filename.lower().endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{source.name}: not a readable gzip file ({exc}); "
                             "re-download it") from exc
    return data


def _pyarrow_text(data: bytes) -> pd.DataFrame:
    """Every cell as text through pyarrow's CSV reader. The column types are given by name:
    older pyarrow infers first even under pandas' dtype=str ("00:15" came back as
    "00:15:00", a time of day)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    names = next(csv.reader([header]))
    if len(set(names)) != len(names):
        raise ValueError("repeated column names")
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=True))
    return table.to_pandas().astype("str")


def read_csv(source: Source) -> pd.DataFrame:
    """The whole table as text cells (ids stay exact); see the module docstring."""
    data = _raw(source)
    if not data.strip():
        raise InputError(f"{source.name}: the file is empty; export it again")
    if data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf"):
        data_fast = data[3:]
    else:
        data_fast = data
    if not data_fast.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00")):
        frame = _pyarrow(data_fast)
        if frame is not None:
            return frame
    try:
        text = decode(data, strict=True)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.name}: not a readable CSV (not UTF-8 text: {exc.reason} at "
                         f"byte {exc.start}); save it as UTF-8 CSV") from exc
    return _python(source, text)


def _pyarrow(data: bytes) -> pd.DataFrame | None:
    try:
        frame = _pyarrow_text(data)
    except Exception:  # noqa: BLE001 - any refusal sends the file down the careful path
        return None
    if any("\ufeff" in str(c) for c in frame.columns) or "\r" in "".join(map(str, frame.columns)):
        return None
    frame.attrs["rows"] = np.arange(1, len(frame) + 1)
    frame.attrs["bad"] = []
    return frame


def _python(source: Source, text: str) -> pd.DataFrame:
    if "\x00" in text[:4096] and text.count("\x00") > len(text) // 100:
        raise InputError(f"{source.name}: binary data, not a CSV; save it as UTF-8 CSV")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)
        if header is None:
            raise InputError(f"{source.name}: the file is empty; export it again")
        header = [c.strip().lstrip("\ufeff") for c in header]
        width = len(header)
        good: list[list[str]] = []
        rows: list[int] = []
        bad: list[tuple[int, int]] = []
        number = 0
        for record in reader:
            if not record or not any(c.strip() for c in record):
                continue  # blank lines are not records
            number += 1
            if len(record) > width:
                bad.append((number, len(record)))
                continue
            good.append(record + [""] * (width - len(record)))
            rows.append(number)
    except csv.Error as exc:
        raise InputError(f"{source.name}: not a readable CSV ({exc}); save it as UTF-8 CSV "
                         "with one header row") from exc
    names = _unique_names(header)
    frame = pd.DataFrame(good, columns=names, dtype=object)
    frame = frame.where(frame != "", np.nan)
    frame.attrs["rows"] = np.asarray(rows, dtype=np.int64)
    frame.attrs["bad"] = bad
    return frame


def _unique_names(header: list[str]) -> list[str]:
    """pandas' rule for repeated header names: ``a``, ``a.1``, ``a.2``."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return out


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    rows = frame.attrs.get("rows")
    if rows is None or len(rows) != len(frame):
        return np.arange(1, len(frame) + 1)
    return np.asarray(rows)


def reject_bad_rows(frame: pd.DataFrame, rejects: Rejects) -> int:
    """Quarantine the records with more fields than the header; how many there were."""
    bad = frame.attrs.get("bad") or []
    width = len(frame.columns)
    for number, fields in bad:
        rejects.add(int(number), "row", f"the record has {fields} fields, the header {width}; "
                    "a stray comma or an unquoted cell", None)
    return len(bad)
