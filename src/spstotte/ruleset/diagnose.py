"""Turn pydantic validation errors on YAML data into diagnostics with file:line:col and hints.

pydantic says what went wrong in its own words ("String should match pattern
'^[a-z][a-z0-9_]*$'"); policy staff read these messages, so each kind of error is said again in
plain words, in Danish and English, with the values it is about: a list where one value is
expected, an id with æ, ø or å, a section written "§ 85", a value that is not one of the allowed
ones (and which one was probably meant).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import (
    Diagnostic,
    Message,
    MessageError,
    Span,
    diagnostic_words,
    suggestion,
    value_words,
)
from ..loader import LoadedYaml
from ..vocabulary import closest_value

#: pydantic's type errors: the type expected, in words (``problems.types``).
_TYPE_WORDS = {
    "string_type": "text", "int_type": "int", "int_parsing": "int", "int_from_float": "int",
    "bool_type": "bool", "bool_parsing": "bool", "dict_type": "mapping", "model_type": "mapping",
    "model_attributes_type": "mapping", "tuple_type": "list", "list_type": "list",
    "float_type": "number", "float_parsing": "number", "date_type": "date",
    "date_parsing": "date", "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date", "frozen_set_type": "list", "set_type": "list",
}
_SCALARS = {"text", "int", "bool", "number", "date"}
_IDENTIFIER = "^[a-z][a-z0-9_]*$"
_SECTION = re.compile(r"^\s*(?:§+|s\.|ss\.)\s*(\d+(?: ?[a-z])?)\s*$", re.IGNORECASE)
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def diagnostics_from(exc: ValidationError, loaded: LoadedYaml, model: type[BaseModel],
                     prefix: str = "R", base: tuple[str | int, ...] = ()) -> list[Diagnostic]:
    """Diagnostics for every error of ``exc``, positioned in ``loaded``."""
    out: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        raw_loc = error["loc"]
        on_key = bool(raw_loc) and raw_loc[-1] == "[key]"
        loc = tuple(p for p in raw_loc if not (isinstance(p, str) and "[" in p))
        path = (*base, *loc)
        kind = error["type"]
        # The key the problem is about: for a key itself, the mapping it is in.
        named = [str(part) for part in (loc[:-1] if on_key else loc) if isinstance(part, str)]
        name = named[-1] if named else "<file>"
        value = error.get("input")
        ctx = error.get("ctx") or {}
        span = loaded.span(path, key=on_key or kind == "extra_forbidden")
        if kind == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            outer = _outer_level(model, loc, name)
            if outer is not None:
                # A key indented one level too far: say which key to line it up with.
                sibling = loaded.span((*base, *loc[:outer + 1]), key=True)
                out.append(_of(f"{prefix}101", "key_outer", span, key=name,
                               parent=str(loc[-2]), sibling=str(loc[outer]), col=sibling.col))
            elif allowed:
                out.append(_of(f"{prefix}101", "key", span, key=name,
                                         allowed=tuple(allowed),
                                         suggestion=suggestion(_close(name, allowed))))
            else:
                out.append(_of(f"{prefix}101", "key_bare", span, key=name))
        elif kind == "missing":
            out.append(_of(f"{prefix}102", "key", loaded.span(path[:-1]), key=name))
        elif kind in _TYPE_WORDS:
            out.append(_wrong_type(f"{prefix}103", span, name, kind, value, ctx))
        else:
            out.append(_invalid(f"{prefix}104", span, name, kind, value, ctx, error["msg"]))
    return out


def _of(code: str, variant: str, span: Span, /, **values: Any) -> Diagnostic:
    """The diagnostic ``code`` in the words of the rule files' code of the same number: a
    scenario file's S103 says what a rule file's R103 says."""
    return Diagnostic.from_words(code, span, *diagnostic_words(f"R{code[1:]}", variant, **values))


def _wrong_type(code: str, span: Span, name: str, kind: str, value: object,
                ctx: dict[str, Any]) -> Diagnostic:
    """A value of the wrong type, in plain words: a list where one value is expected, one
    value where a list is expected, text where a mapping is expected."""
    expected = _TYPE_WORDS[kind]
    got = value_words(value)
    expected_words = Message.of(f"problems.types.{expected}")
    if expected in _SCALARS and isinstance(value, (list, tuple)):
        return _of(code, "one_value", span, name=name, expected=expected_words)
    if expected == "list":
        return _of(code, "list_expected", span, name=name, got=got)
    if expected == "mapping" and ctx.get("class_name") == "Text":
        return _of(code, "text_expected", span, name=name, got=got)
    if expected == "mapping":
        return _of(code, "mapping_expected", span, name=name, got=got)
    if expected == "bool" and isinstance(value, str):
        return _of(code, "bool_text", span, name=name, got=got)
    return _of(code, "type", span, name=name, expected=expected_words, got=got)


def _invalid(code: str, span: Span, name: str, kind: str, value: object, ctx: dict[str, Any],
             detail: str) -> Diagnostic:
    """A value of the right type that is not allowed, in plain words."""
    shown = value[:60] if isinstance(value, str) else value
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern == _IDENTIFIER and isinstance(value, str):
            fixed = re.sub(r"[^a-z0-9_]", "_", value.lower().translate(_DANISH))
            if any(ch in value.lower() for ch in "æøå"):
                return _of(code, "id_danish", span, name=name, value=shown,
                                     fixed=fixed[:64])
            return _of(code, "id", span, name=name, value=shown)
        if name == "section" and isinstance(value, str):
            section = _SECTION.match(value)
            if section:
                return _of(code, "section", span, name=name, value=shown,
                                     fixed=section.group(1))
            return _of(code, "section_other", span, name=name, value=shown)
        if name == "file":
            return _of(code, "file_name", span, name=name, value=shown)
        return _of(code, "pattern", span, name=name, value=shown, pattern=pattern)
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return _of(code, "choice", span, name=name, value=shown,
                             allowed=tuple(allowed),
                             suggestion=suggestion(closest_value(value, allowed)))
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        variant = {"string_too_short": "too_short", "string_too_long": "too_long",
                   "too_short": "too_few", "too_long": "too_many"}[kind]
        limit = ctx.get("min_length", ctx.get("max_length", 0))
        return _of(code, variant, span, name=name, n=limit)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        limit = next((f"{op} {ctx[key]}" for key, op in (("gt", ">"), ("ge", ">="), ("lt", "<"),
                                                         ("le", "<=")) if key in ctx), "")
        return _of(code, "range", span, name=name, value=shown, limit=limit)
    error = ctx.get("error")
    if isinstance(error, MessageError):
        if error.hint is not None:
            return _of(code, "problem_hint", span, name=name, problem=error.message,
                                 hint=error.hint)
        return _of(code, "problem", span, name=name, problem=error.message)
    return _of(code, "other", span, name=name,
                         detail=detail.removeprefix("Value error, ")[:300])


def _outer_level(model: type[BaseModel], loc: tuple[Any, ...], name: str) -> int | None:
    """Where an unknown key belongs when it is a key of a mapping further out: the index in
    ``loc`` of the key it should line up with (a key, not a list item), else None."""
    for depth in range(len(loc) - 2, 0, -1):
        if not isinstance(loc[depth], str):  # inside a list item: not further out than it
            return None
        if name in allowed_keys(model, loc[:depth]):
            return depth
    if len(loc) >= 2 and isinstance(loc[0], str) and name in allowed_keys(model, ()):
        return 0
    return None


def _close(name: str, options: Sequence[str]) -> str | None:
    matches = difflib.get_close_matches(name, options, n=1, cutoff=0.7)
    return matches[0] if matches else None


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a mapping at ``loc`` inside ``model`` may have (for hints)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (tuple, list, frozenset, set) and args:
        return args[0]
    return None
