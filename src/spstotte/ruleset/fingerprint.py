"""Fingerprints of rule sets: what "the same rules" means, for the decision record's hash and
for the diff.

Two rule sets have the same :func:`content_hash` when they say the same thing, whatever the
file layout, the order of keys and rules, the positions or the quotes' whereabouts. The diff
compares rules by the same :func:`canonical` form, so the two never disagree about whether
something changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import Span

if TYPE_CHECKING:
    from .resolve import ResolvedRuleSet


def canonical(value: Any) -> Any:
    """A rule set, rule, condition or any part of one as plain JSON data without positions,
    sources or memo tables: equal for equal content, whatever the file layout or order."""
    kind: type = type(value)
    if kind in _PLAIN:
        return value
    form = _FORMS.get(kind)
    if form is None:
        form = _FORMS[kind] = _form_of(kind)
    return form(value)


def _form_of(kind: type) -> Callable[[Any], Any]:
    """How :func:`canonical` reads a value of this type (a rule set has thousands of values,
    of a few dozen types: each type is looked at once)."""
    if kind is Span:
        return _nothing
    if issubclass(kind, BaseModel):
        return _model_form
    if issubclass(kind, Enum):
        return _enum_form
    if issubclass(kind, date):
        return _date_form
    if issubclass(kind, Mapping):
        return _mapping_form
    if issubclass(kind, (list, tuple)):
        return _list_form
    if issubclass(kind, (set, frozenset)):
        return _set_form
    if is_dataclass(kind) and not issubclass(kind, type):
        names = _content_fields(kind)
        type_name = kind.__name__

        def dataclass_form(value: Any) -> Any:
            out = {"__type__": type_name}
            for name in names:
                out[name] = canonical(getattr(value, name))
            return out

        return dataclass_form
    return _itself


def _date_form(value: date) -> str:
    return value.isoformat()


def _nothing(value: Any) -> None:
    return None


def _itself(value: Any) -> Any:
    return value


def _model_form(value: BaseModel) -> Any:
    # JSON data as the model dumps it, keys in field order: equal data compare equal in any
    # order, and the hashed text sorts its keys (_HASH_JSON).
    return value.model_dump(mode="json", by_alias=True)


def _enum_form(value: Enum) -> Any:
    return value.value


def _mapping_form(value: Mapping[Any, Any]) -> Any:
    return {str(k): canonical(v) for k, v in sorted(value.items(), key=_key_text)}


def _key_text(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _list_form(value: list[Any] | tuple[Any, ...]) -> Any:
    return [canonical(v) for v in value]


def _set_form(value: set[Any] | frozenset[Any]) -> Any:
    return sorted(canonical(v) for v in value)


#: How each type of value is read, as :func:`_form_of` found.
_FORMS: dict[type, Callable[[Any], Any]] = {}


#: Values that are their own canonical form (checked by exact type, the commonest case).
_PLAIN = frozenset({str, int, float, bool, type(None)})


#: Fields that say where something is or what was derived from it, not what it says.
_NOT_CONTENT = frozenset({"span", "_index", "_hash", "_whole", "files", "quote_spans", "citations",
                          "memo", "parameters_used"})


@functools.cache
def _content_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind) if f.name not in _NOT_CONTENT)


def content_hash(ruleset: ResolvedRuleSet) -> str:
    """A SHA-256 of the rule set's content: the same rules give the same hash, whatever the file
    layout, order or positions."""
    payload = _HASH_JSON(canonical(ruleset))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


#: The JSON text that is hashed: keys sorted, raw UTF-8, no spaces.
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
