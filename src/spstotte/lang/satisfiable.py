"""Can a set of engine tests on one profile fact ever match? Decided by trying every form the
fact can take. The compiler uses it to drop alternatives that can never match (so the engine
carries no dead rules), and the lint to find rules that can never fire.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

from ..facts import FactKind, fact_spec, rank
from ..municipalities import MUNICIPALITY_NAMES
from .operators import TABLE


def fields_satisfiable(tests: Iterable[tuple[str, str]]) -> bool:
    """Whether profile-fact tests (``("f:<fact>", json)`` pairs) can all hold at once."""
    by_fact: dict[str, set[str]] = {}
    for kind, test in tests:
        if kind.startswith("f:"):
            by_fact.setdefault(kind[2:], set()).add(test)
    return all(_field_satisfiable(name, frozenset(group)) for name, group in by_fact.items())


@functools.lru_cache(maxsize=8_192)
def _field_satisfiable(name: str, tests: frozenset[str]) -> bool:
    """Whether these tests on one field can all hold at once (compiles ask the same questions
    many times over, while expanding alternatives)."""
    group = [json.loads(test) for test in sorted(tests)]
    return any(all(_match(t, candidate) for t in group)
               for candidate in _candidates(name, group))


def _keys(test: Any) -> set[str]:
    if isinstance(test, dict):
        return {k for k in test if not k.startswith("$")}.union(
            *(_keys(v) for v in test.values()))
    if isinstance(test, list):
        return set().union(*(_keys(v) for v in test)) if test else set()
    return set()


def _numbers(test: Any) -> set[int]:
    if isinstance(test, dict):
        return set().union(*(_numbers(v) for v in test.values())) if test else set()
    if isinstance(test, list):
        return set().union(*(_numbers(v) for v in test)) if test else set()
    if isinstance(test, int) and not isinstance(test, bool):
        return {test}
    return set()


def _candidates(name: str, tests: list[Any]) -> Iterator[dict[str, Any]]:
    """Every engine form a profile fact can take (enough to decide satisfiability), made one
    at a time: the search stops at the first that passes every test."""
    spec = fact_spec(name)
    yield {"k": 0}  # unknown
    if spec.kind is FactKind.SET:
        # Only the members the tests mention matter; the others can take any value.
        members = sorted(_keys(tests) & set(spec.values))
        for bits in range(2 ** len(members)):
            fact: dict[str, Any] = {"k": 1}
            for i, member in enumerate(members):
                fact[member] = bits >> i & 1
            yield fact
    elif spec.kind is FactKind.BOOL:
        yield {"k": 1, "v": 0}
        yield {"k": 1, "v": 1}
    elif spec.kind is FactKind.INT:
        # Only the numbers the tests compare with matter: try each, its neighbours and 0.
        bounds = _numbers(tests)
        for v in sorted({0, *bounds, *(b - 1 for b in bounds), *(b + 1 for b in bounds)}):
            yield {"k": 1, "v": v}
    elif spec.kind is FactKind.MUNICIPALITY:
        for v in _municipality_values(tests):
            yield {"k": 1, "v": v}
    else:
        for value in spec.values:
            fact = {"k": 1, "v": value}
            r = rank(spec, value)
            if r is not None:
                fact["r"] = r
            yield fact


#: The values a municipality fact can take: 0 (no municipality) and the 98 codes.
_MUNICIPALITY_VALUES: Final = (0, *sorted(MUNICIPALITY_NAMES))


def _municipality_values(tests: list[Any]) -> list[int]:
    """Enough of the values a municipality fact can take to decide the tests: the tests compare
    it with numbers (equal, not equal, ranges), so two values that no number the tests name
    lies between (or on) pass the same tests. One value of each such stretch is enough: the
    first and last value, each value the tests name, and the values next to each."""
    values = _MUNICIPALITY_VALUES
    picked = {values[0], values[-1]}
    for bound in _bounds(tests):
        below = bisect.bisect_left(values, bound)
        above = bisect.bisect_right(values, bound)
        picked.update(values[i] for i in (below - 1, below, above) if 0 <= i < len(values))
    return sorted(picked)


def _bounds(test: Any) -> set[float]:
    """Every number a test compares with (booleans and fractions too)."""
    if isinstance(test, dict):
        return set().union(*(_bounds(v) for v in test.values()))
    if isinstance(test, list):
        return set().union(*(_bounds(v) for v in test))
    return {test} if isinstance(test, (int, float)) else set()


#: The engine's range tests, each with its operator's meaning (operators.py).
_ORDER = {entry.engine: entry.meaning for entry in TABLE if entry.engine is not None}


def _match(test: dict[str, Any], fact: dict[str, Any]) -> bool:
    """The compiler's test language, evaluated in Python (as the engine would)."""
    matched = True
    for key, value in test.items():
        if key == "$and":
            matched = matched and all(_match(t, fact) for t in value)
        elif key == "$or":
            matched = matched and any(_match(t, fact) for t in value)
        elif key == "$neq":
            ((field, expected),) = value.items()
            matched = matched and field in fact and fact[field] != expected
        elif key in _ORDER:
            ((field, bound),) = value.items()
            matched = matched and field in fact and _ORDER[key](fact[field], bound)
        else:
            matched = matched and fact.get(key) == value
    return matched
