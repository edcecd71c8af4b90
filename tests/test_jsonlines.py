"""Caseload JSON (spstotte.batch.jsonlines): read and written in Rust, with the standard
library's meaning for every line, and its errors for a bad one."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import scaled
from spstotte.batch.jsonlines import json_line, read_json

#: What a record holds: no fractions (see json_line).
RECORD_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


def _same(a: Any, b: Any) -> bool:
    """Equal, with types (1 is not 1.0 or True) and -0.0 told from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@settings(max_examples=scaled(300))
@given(JSON_VALUES, st.booleans())
def test_a_line_reads_as_the_standard_library_reads_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _same(read_json(text), json.loads(text))


@settings(max_examples=scaled(300))
@given(RECORD_VALUES)
def test_a_record_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    assert json_line(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("text", [
    '"\\ud800"',  # a lone surrogate: refused in Rust, read by json
    '"\\udc00\\ud800"',
    "[" * 300 + "]" * 300,  # deeper than the Rust parser goes
    '{"a": NaN, "b": -Infinity, "c": 1e400}',
    '{"big": 123456789012345678901234567890}',
    '{"a": 1, "a": 2}',
])
def test_text_the_rust_parser_refuses_or_reads_otherwise_means_what_json_says(
        text: str) -> None:
    assert repr(read_json(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ['{"a": 1,}', '{"a": 1', "\ufeff{}", '"tab\tin"', ""])
def test_a_bad_line_raises_the_standard_librarys_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as found:
        read_json(text)
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    assert (found.value.msg, found.value.colno) == (expected.value.msg, expected.value.colno)
