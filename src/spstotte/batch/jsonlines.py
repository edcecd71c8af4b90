"""JSON for caseloads: read a row, write a record, fast, with the standard library's meaning.

A caseload of a million rows spends about 10 µs a row in the standard library's ``json``:
parsing the row's line and writing its record. pydantic-core, which the profile models
already need, parses and writes JSON in Rust in about a third of that (``from_json``,
``to_json``). Its parser refuses some text ``json`` reads (lone surrogates in escapes, nesting
deeper than about 200 levels): such a line is read by ``json`` instead, so every line means
what it always meant and a bad one is reported as before, with ``json``'s message and column.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic_core import PydanticSerializationError, from_json, to_json

#: A value as one line of JSON: raw UTF-8, no spaces.
_STANDARD_LINE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def read_json(text: str) -> Any:
    """``json.loads(text)``, in Rust where it can be.

    Raises:
        json.JSONDecodeError: as ``json.loads`` does.
    """
    try:
        return from_json(text)
    except ValueError:
        return json.loads(text)


def json_line(value: Any) -> str:
    """The JSON text of a record (no line break), as ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))`` writes it. Records hold dicts, lists, strings, whole numbers,
    booleans and ``None``; a fraction would be the same number, perhaps spelt otherwise
    (``1e-7`` for ``1e-07``)."""
    try:
        return to_json(value).decode()
    except PydanticSerializationError:
        return _STANDARD_LINE(value)
