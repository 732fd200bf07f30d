"""Reading JSON exports: plain JSON, JSON-lines, and damaged files kept line by line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import numpy as np

from recommender.errors import InputError
from recommender.ingest.base import Rejects, Source

# A \uD800-\uDFFF escape without its partner decodes to a lone surrogate that no file
# format can store (Parquet and CSV writers raise UnicodeEncodeError): read it as U+FFFD.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class BadLine(str):
    """A JSON-lines record that did not parse (its text is the parser's reason)."""


def load_json(source: Source) -> list[object]:
    """The file's JSON documents: one for a plain file, one per line for JSON-lines.

    A damaged JSON-lines file (or an Apify list written one item per line and cut off)
    keeps its good lines; each damaged line comes back as a ``BadLine`` to be rejected.
    """
    try:
        raw = source.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source.name}: not UTF-8 text; save it as UTF-8 JSON") from exc
    if "\\u" in raw:
        raw = _LONE_SURROGATE.sub(r"\\ufffd", raw)
    try:
        return [json.loads(raw)]
    except RecursionError as exc:
        raise InputError(f"{source.name}: JSON nested too deeply to be an export; "
                         "re-export the file") from exc
    except ValueError as exc:
        first_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"  # type: ignore[attr-defined]
    lines = [line.strip().rstrip(",") for line in raw.splitlines()]
    lines = [line for line in lines if line not in ("", "[", "]")]
    if not lines or not all(line.startswith("{") for line in lines):
        raise InputError(f"{source.name}: not valid JSON ({first_error}); re-export the file")
    docs: list[object] = []
    for line in lines:
        try:
            docs.append(json.loads(line))
        except RecursionError:
            docs.append(BadLine("JSON nested too deeply; damaged line"))
        except ValueError as exc:
            docs.append(BadLine(f"not valid JSON ({exc.args[0].split(':')[0]}); damaged line"))
    if all(isinstance(d, BadLine) for d in docs):
        raise InputError(f"{source.name}: not valid JSON ({first_error}); re-export the file")
    return docs


def number_records(docs: list[object], expand: Callable[[object], list[object]],
                   rejects: Rejects) -> tuple[list[dict], np.ndarray, int]:
    """Expand documents into item dicts; number every record 1.. in file order.

    ``expand(doc)`` returns the records a document holds. Damaged lines and non-objects
    are rejected. Returns (good items, their record numbers, records read).
    """
    items: list[dict] = []
    rows: list[int] = []
    number = 0
    for doc in docs:
        for record in [doc] if isinstance(doc, BadLine) else expand(doc):
            number += 1
            if isinstance(record, BadLine):
                rejects.add(number, "record", str(record))
            elif not isinstance(record, dict):
                rejects.add(number, "record", "not a JSON object", record)
            else:
                items.append(record)
                rows.append(number)
    return items, np.asarray(rows, dtype=np.int64), number
