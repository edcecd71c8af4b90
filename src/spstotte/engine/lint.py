"""Lint: warnings about rule sets that are valid but probably not what the author meant.

* L401 a rule that can never fire (its condition contradicts itself, or it reads a rule that
  never concludes the value it needs);
* L402 a parameter no rule reads;
* L403 a derived fact no rule reads;
* L404 a missing Danish or English text.

Quotes not found in their sources (R212) and overrides without a reason (R208) are errors and
come from validation itself. ``spstotte validate --strict`` turns these warnings into errors.

L401 reads each condition the way the compiler does (its disjunctive normal form,
``compiler._alternatives``), which is why the lint is part of the engine package.
"""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic, Localized, Message, Severity
from ..lang.conditions import Derive, Inform, Obligation
from ..lang.ruleformat import Text
from ..lang.satisfiable import fields_satisfiable
from ..ruleset.resolve import ResolvedRuleSet
from .compiler import _alternatives


def _warn(code: str, variant: str | None, span: object, **values: Any) -> Diagnostic:
    from ..errors import Span

    return Diagnostic.of(code, variant, span if isinstance(span, Span) else None,
                         severity=Severity.WARNING, **values)


def lint(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    """Warnings for one resolved rule set."""
    out: list[Diagnostic] = []
    out.extend(_never_fires(ruleset))
    out.extend(_unused_parameters(ruleset))
    out.extend(_unused_derived(ruleset))
    out.extend(_missing_texts(ruleset))
    out.extend(_overrides(ruleset))
    return out


def _overrides(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    """A note for every law-layer rule the municipality replaces, with its reason."""
    return [Diagnostic.of("L406", None, rule.span, severity=Severity.NOTE, rule=rule.id,
                          target=rule.override.rule, reason=Localized(
                              rule.override.reason.da, rule.override.reason.en))
            for rule in ruleset.rules if rule.override is not None]


def _never_fires(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    out = []
    # A rule can conclude true (false) when its true (false) alternatives are not all
    # contradictory; a reference to such a value is then possible. Iterate to a fixed point.
    possible: dict[str, set[bool]] = {}
    for rule in ruleset.rules:
        values = set()
        for value in ((True, False) if rule.two_valued else (True,)):
            alternatives, _ = _alternatives(rule.condition, value, ())
            if any(_satisfiable(conj, possible) for conj in alternatives):
                values.add(value)
        possible[rule.id] = values
        if not values or (rule.two_valued and values == {False} and rule.kind != "grant"):
            out.append(_warn("L401", "never" if not values else "never_true", rule.span,
                             rule=rule.id))
    return out


def _satisfiable(conjunction: frozenset[tuple[str, str]], possible: dict[str, set[bool]]) -> bool:
    for kind, test in conjunction:
        if kind.startswith("r:"):
            wanted = '"v": 1' in test
            if wanted not in possible.get(kind[2:], {True, False}):
                return False
    # Profile facts: is there one value of each fact that passes every test at once?
    return fields_satisfiable(conjunction)


def _unused_parameters(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    return [_warn("L402", None, param.span, name=name)
            for name, param in ruleset.parameters.items()
            if name not in ruleset.parameters_used]


def _unused_derived(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    read = {r for rule in ruleset.rules for r in rule.reads}
    for path_id in ruleset.offered_paths:
        path = ruleset.paths[path_id]
        read |= {r for r in (path.instead_of_entitlement, path.by_order) if r is not None}
    return [_warn("L403", None, rule.span, rule=rule.id)
            for rule in ruleset.rules
            if isinstance(rule.conclusion, Derive) and rule.id not in read]


def _missing_texts(ruleset: ResolvedRuleSet) -> list[Diagnostic]:
    out = []

    def check(text: Text | None, what: str, name: str, span: object) -> None:
        if text is None:
            return
        for lang, value in (("da", text.da), ("en", text.en)):
            if not value.strip():
                out.append(_warn("L404", "danish" if lang == "da" else "english", span,
                                 what=Message.of(f"problems.texts.{what}", name=name)))

    for rule in ruleset.rules:
        check(rule.title, "title", rule.id, rule.span)
        check(rule.note, "note", rule.id, rule.span)
        if rule.override is not None:
            check(rule.override.reason, "reason", rule.id, rule.span)
        if isinstance(rule.conclusion, (Obligation, Inform)):
            check(rule.conclusion.text, "text", rule.id, rule.span)
    for name, param in ruleset.parameters.items():
        check(param.title, "parameter_title", name, param.span)
    return out
