"""A reference interpreter of a resolved rule set in plain Python.

It gives the same results as the compiled network and is the oracle of the differential tests
and the baseline of the benchmarks. It evaluates the rules in their resolved order (every rule
after the rules it reads) with three-valued Kleene logic.
"""

from __future__ import annotations

from collections.abc import Mapping

from .conditions import All, AnyOf, Compare, Condition, Not, Op, RuleRef
from .facts import FactKind, FactValue, fact_spec, rank
from .resolve import ResolvedRuleSet

#: Rule results: rule id -> concluded value. A rule that concluded nothing is absent.
Results = dict[str, bool]


def evaluate_reference(ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue]) -> Results:
    """Evaluate every rule; return the conclusions reached (undetermined rules are absent)."""
    results: Results = {}
    for rule in ruleset.rules:
        value = truth(rule.condition, facts, results)
        if value is None:
            continue
        if rule.two_valued:
            results[rule.id] = value
        elif value:
            results[rule.id] = True
    return results


def truth(node: Condition, facts: Mapping[str, FactValue], results: Mapping[str, bool]
          ) -> bool | None:
    """The three-valued truth of a condition: ``True``, ``False`` or ``None`` (unknown)."""
    if isinstance(node, Compare):
        return _compare(node, facts.get(node.fact))
    if isinstance(node, RuleRef):
        value = results.get(node.rule)
        return None if value is None else value == node.expect
    if isinstance(node, Not):
        inner = truth(node.item, facts, results)
        return None if inner is None else not inner
    # Kleene logic: one false part decides 'all', one true part decides 'any'.
    if isinstance(node, All):
        decisive = False
    else:
        assert isinstance(node, AnyOf)
        decisive = True
    unknown = False
    for item in node.items:
        value = truth(item, facts, results)
        if value is None:
            unknown = True
        elif value == decisive:
            return decisive
    return None if unknown else not decisive


def _compare(node: Compare, value: FactValue) -> bool | None:
    op = node.op
    if op is Op.KNOWN:
        return (value is not None) == node.value
    if value is None:
        return None
    spec = fact_spec(node.fact)
    expected = node.value
    if op in (Op.LT, Op.LTE, Op.GT, Op.GTE):
        left: int | None
        if spec.kind is FactKind.ORDINAL:
            left, right = rank(spec, value), rank(spec, expected)
        else:
            left, right = value, expected  # type: ignore[assignment]
        if left is None or right is None:
            return None  # e.g. support need 'not_assessed' has no rank
        if op is Op.LT:
            return left < right
        if op is Op.LTE:
            return left <= right
        return left > right if op is Op.GT else left >= right
    if op is Op.EQ:
        return value == expected
    if op is Op.NE:
        return value != expected
    if op is Op.IN:
        return value in expected  # type: ignore[operator]
    if op is Op.NOT_IN:
        return value not in expected  # type: ignore[operator]
    assert isinstance(value, frozenset)
    if op is Op.CONTAINS:
        return expected in value
    if op is Op.CONTAINS_ANY:
        return any(item in value for item in expected)  # type: ignore[union-attr]
    assert op is Op.CONTAINS_ALL
    return all(item in value for item in expected)  # type: ignore[union-attr]
