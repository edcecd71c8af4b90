"""Paths: which ones the municipality offers and in what order, the rules that serve only paths
it does not offer, and the generated grant rule of each path (read in parts, so a path may have
any number of requirements)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ...lang.conditions import (
    All,
    AnyOf,
    Condition,
    Derive,
    Grant,
    Inform,
    Obligation,
    Refer,
    Require,
    RuleRef,
)
from ...lang.ruleformat import PathDef, Text
from .model import ResolvedRule
from .state import Resolver

#: How many requirements one generated grant rule reads at most (the engine's limit is 16
#: facts matched at once; see compiler.MAX_PATTERNS_PER_RULE).
GRANT_PART_SIZE = 12


def offered_paths(resolver: Resolver) -> list[str]:
    """The paths the municipality offers (its yes/no parameters), in its order of preference
    (``path_order``), then the law layer's order."""
    offered = []
    for path_id, (path, span) in resolver.paths.items():
        if path.offered_if is not None:
            resolver.used_parameters.add(path.offered_if)
            param = resolver.parameters.get(path.offered_if)
            if param is None or param.type != "bool":
                resolver.fail("R205", "offered_if", span, path=path_id,
                              param=path.offered_if)
                continue
            if param.value is not True:
                continue
        offered.append(path_id)
    order_param = resolver.parameters.get("path_order")
    if order_param is not None and order_param.value:
        preferred = [p for p in order_param.value if p in offered]
        for path_id in order_param.value:
            if path_id not in resolver.paths:
                resolver.fail("R210", "path_order", order_param.span, path=path_id,
                              paths=tuple(resolver.paths))
        offered = preferred + [p for p in offered if p not in preferred]
    return offered


def prune(rules: list[ResolvedRule], offered: set[str],
          paths: Mapping[str, PathDef]) -> list[ResolvedRule]:
    """Drop rules that serve only paths this municipality does not offer."""
    dropped = {r.id for r in rules if r.paths and not set(r.paths) & offered}
    dropped |= {f"grant_{p}" for p in paths if p not in offered}
    readers: dict[str, set[str]] = {}
    for rule in rules:
        for read in rule.reads:
            readers.setdefault(read, set()).add(rule.id)
    for path_id, path in paths.items():
        for read in _path_rules(path):
            readers.setdefault(read, set()).add(f"grant_{path_id}")
    changed = True
    while changed:
        changed = False
        for rule in rules:
            if rule.id in dropped or not isinstance(rule.conclusion, Derive):
                continue
            users = readers.get(rule.id, set())
            if users and users <= dropped:
                dropped.add(rule.id)
                changed = True
    return [r for r in rules if r.id not in dropped]


def _path_rules(path: PathDef) -> tuple[str, ...]:
    """The rules a path's choice reads (acceptance, order), besides its requirements."""
    return tuple(r for r in (path.instead_of_entitlement, path.by_order) if r is not None)


def generated_grants(resolver: Resolver, rules: list[ResolvedRule],
                     offered: Sequence[str]) -> list[ResolvedRule]:
    """One generated grant rule per offered path: it reads every requirement and referral
    on the path."""
    grants: list[ResolvedRule] = []
    for path_id in offered:
        path, span = resolver.paths[path_id]
        parts: list[Condition] = []
        for rule in sorted(rules, key=lambda r: r.id):  # by id: file order must not matter
            if path_id not in rule.paths:
                continue
            if isinstance(rule.conclusion, Require):
                parts.append(RuleRef(rule.id, True, rule.span))
            elif isinstance(rule.conclusion, Refer):
                parts.append(RuleRef(rule.id, False, rule.span))
        if not parts:
            resolver.fail("R102", "no_requirements", span, path=path_id)
            continue
        # The engine matches at most 16 facts in one rule: the grant reads its requirements
        # in parts, each a generated rule that derives "these requirements are met", and the
        # parts in parts again (a tree), so a path may have any number of requirements.
        level = 1
        while len(parts) > GRANT_PART_SIZE:
            chunks = [parts[i:i + GRANT_PART_SIZE] for i in range(0, len(parts), GRANT_PART_SIZE)]
            refs: list[Condition] = []
            for number, chunk in enumerate(chunks, 1):
                part_id = f"grant_{path_id}__{number}" if level == 1 else \
                    f"grant_{path_id}__{level}_{number}"
                title = Text(da=f"{path.title.da}: betingelser, del {number} af {len(chunks)}"
                             + (f" (niveau {level})" if level > 1 else ""),
                             en=f"{path.title.en}: conditions, part {number} of {len(chunks)}"
                             + (f" (level {level})" if level > 1 else ""))
                grants.append(ResolvedRule(
                    id=part_id, title=title, legal_basis=path.legal_basis,
                    condition=All(tuple(chunk), span), conclusion=Derive(), layer="generated",
                    span=span))
                refs.append(RuleRef(part_id, True, span))
            parts, level = refs, level + 1
        grants.append(ResolvedRule(
            id=f"grant_{path_id}", title=path.title, legal_basis=path.legal_basis,
            condition=All(tuple(parts), span), conclusion=Grant(path_id), layer="generated",
            span=span, paths=(path_id,),
        ))
    return grants


def only_when_granted(rule: ResolvedRule, offered: set[str]) -> ResolvedRule:
    """Obligations and information apply only when one of their paths is granted."""
    if not isinstance(rule.conclusion, (Obligation, Inform)):
        return rule
    grants: tuple[Condition, ...] = tuple(
        RuleRef(f"grant_{p}", True, rule.span, via_path=p) for p in rule.paths if p in offered)
    if not grants:
        return rule
    gate: Condition = grants[0] if len(grants) == 1 else AnyOf(grants, rule.span)
    if isinstance(rule.condition, All) and not rule.condition.items:
        return replace(rule, condition=gate)
    return replace(rule, condition=All((gate, rule.condition), rule.condition.span))


def check_path_rules(resolver: Resolver, rules: list[ResolvedRule], offered: set[str]) -> None:
    """The rules an offered path reads to be chosen (acceptance, order) exist and derive a
    fact; an entitlement reads none."""
    by_id = {r.id: r for r in rules}
    for path_id, (path, span) in resolver.paths.items():
        if path_id not in offered:
            continue
        for rule_id in _path_rules(path):
            target = by_id.get(rule_id)
            if target is None or not isinstance(target.conclusion, Derive):
                resolver.fail("R204", "path_rule", span, path=path_id, rule=rule_id)
        if path.entitlement and _path_rules(path):
            resolver.fail("R104", "entitlement", span, path=path_id)
