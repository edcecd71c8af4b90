"""A reference interpreter of a resolved rule set in plain Python.

It gives the same results as the compiled network and is the oracle of the differential tests
and the baseline of the benchmarks. It evaluates the rules in their resolved order (every rule
after the rules it reads) with three-valued Kleene logic.

As the oracle it reads condition trees with its own code: it does not use the condition visitor
the compiler and the verdict builder share (conditions.ConditionVisitor), so that a slip in that
dispatch cannot hide from the differential tests, nor the verdict builder's reading
(conditions.holds; tests/test_oracle.py holds the two to the same answers). From the operator
table it takes only what each operator means on a value (operators.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import FactKind, FactValue, fact_spec, rank
from ..lang.conditions import All, AnyOf, Compare, Condition, Not, RuleRef
from ..lang.operators import OPERATORS
from ..ruleset.resolve import ResolvedRuleSet

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
    # What each operator means is one entry of the operator table; how unknown values, ranks
    # and the connectives are read is this interpreter's own (see the module docstring).
    operator = OPERATORS[node.op]
    if value is None and not operator.reads_unknown:
        return None
    left: Any = value
    right: Any = node.value
    if operator.ordered and fact_spec(node.fact).kind is FactKind.ORDINAL:
        spec = fact_spec(node.fact)
        left, right = rank(spec, value), rank(spec, right)
        if left is None or right is None:
            return None  # e.g. support need 'not_assessed' has no rank
    return operator.meaning(left, right)
