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
from collections.abc import Mapping
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
    if kind is Span:
        return None
    if isinstance(value, BaseModel):
        return canonical(value.model_dump(mode="json", by_alias=True))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(canonical(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        out = {"__type__": kind.__name__}
        for name in _content_fields(kind):
            out[name] = canonical(getattr(value, name))
        return out
    return value


#: Values that are their own canonical form (checked by exact type, the commonest case).
_PLAIN = frozenset({str, int, float, bool, type(None)})


#: Fields that say where something is or what was derived from it, not what it says.
_NOT_CONTENT = frozenset({"span", "_index", "content_hash", "files", "quote_spans", "citations",
                          "memo", "parameters_used"})


@functools.cache
def _content_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind) if f.name not in _NOT_CONTENT)


def content_hash(ruleset: ResolvedRuleSet) -> str:
    """A SHA-256 of the rule set's content: the same rules give the same hash, whatever the file
    layout, order or positions."""
    payload = json.dumps(canonical(ruleset), sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()
