"""Turn pydantic validation errors on YAML data into diagnostics with file:line:col and hints."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import Diagnostic
from ..loader import LoadedYaml

_TYPE_WORDS = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)", "tuple_type": "a list", "list_type": "a list",
    "float_type": "a number", "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date",
    "frozen_set_type": "a list", "set_type": "a list",
}


def diagnostics_from(exc: ValidationError, loaded: LoadedYaml, model: type[BaseModel],
                     prefix: str = "R", base: tuple[str | int, ...] = ()) -> list[Diagnostic]:
    """Diagnostics for every error of ``exc``, positioned in ``loaded``."""
    out: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        path = (*base, *loc)
        kind = error["type"]
        name = str(loc[-1]) if loc else "<file>"
        if kind == "extra_forbidden":
            allowed = allowed_keys(model, loc[:-1])
            hint = "allowed keys here: " + ", ".join(allowed) if allowed else None
            close = _close(name, allowed)
            if close:
                hint = f"did you mean {close!r}? " + (hint or "")
            out.append(Diagnostic(f"{prefix}101", f"unknown key {name!r}",
                                  loaded.span(path, key=True), hint))
        elif kind == "missing":
            out.append(Diagnostic(f"{prefix}102", f"missing key {name!r}",
                                  loaded.span(path[:-1]), f"add '{name}:' here"))
        elif kind in _TYPE_WORDS:
            got = _describe(error.get("input"))
            hint = None
            if kind == "bool_type" and isinstance(error.get("input"), str):
                hint = "write true or false (yes/no are text in these files)"
            out.append(Diagnostic(f"{prefix}103", f"{name}: expected {_TYPE_WORDS[kind]}, "
                                  f"got {got}", loaded.span(path), hint))
        else:
            message = error["msg"].removeprefix("Value error, ")
            hint = None
            if kind == "string_pattern_mismatch" and "a-z" in str(error.get("ctx", {})):
                hint = "identifiers are lower-case letters, digits and '_', starting with a letter"
            out.append(Diagnostic(f"{prefix}104", f"{name}: {message}", loaded.span(path), hint))
    return out


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return type(value).__name__


def _close(name: str, options: Sequence[str]) -> str | None:
    import difflib

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
