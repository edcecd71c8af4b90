"""How rules read each other: every reference checked, and the rules ordered so that each comes
after the rules it reads (a cycle is an error)."""

from __future__ import annotations

from dataclasses import replace

from ...lang.conditions import Condition, RuleRef
from .model import ResolvedRule
from .state import Resolver


def order_rules(resolver: Resolver, rules: list[ResolvedRule]) -> list[ResolvedRule]:
    """Order rules by dependency depth, then id: independent of the order in the files."""
    by_id = {r.id: r for r in rules}
    depth: dict[str, int] = {}
    state: dict[str, int] = {}

    def visit(rule_id: str, chain: tuple[str, ...]) -> int:
        if rule_id in depth:
            return depth[rule_id]
        if state.get(rule_id) == 1:
            cycle = " -> ".join((*chain[chain.index(rule_id):], rule_id))
            resolver.fail("R209", None, by_id[rule_id].span, cycle=cycle)
            return 0
        state[rule_id] = 1
        best = 0
        rule = by_id[rule_id]
        for read in rule.reads:
            if read not in by_id:
                continue
            best = max(best, visit(read, (*chain, rule_id)) + 1)
        state[rule_id] = 2
        depth[rule_id] = best
        return best

    for rule_id in sorted(by_id):
        visit(rule_id, ())
    return sorted((r if r.depth == depth[r.id] else replace(r, depth=depth[r.id])
                   for r in rules), key=lambda r: (r.depth, r.id))


def check_refs(resolver: Resolver, rules: list[ResolvedRule], all_ids: set[str],
               offered: set[str]) -> None:
    """Every rule a condition reads exists and concludes true or false; every path it reads
    the grant of is declared."""
    by_id = {r.id: r for r in rules}
    for rule in rules:
        for node in _refs(rule.condition):
            if node.via_path is not None:
                if node.via_path not in resolver.paths:
                    resolver.fail("R210", "unknown", node.span, path=node.via_path,
                                  paths=tuple(resolver.paths))
                continue
            target = by_id.get(node.rule)
            if target is None:
                if node.rule not in all_ids and node.rule not in resolver.broken_ids:
                    import difflib
                    close = difflib.get_close_matches(node.rule, list(all_ids), n=1)
                    if close:
                        resolver.fail("R204", "unknown_close", node.span, rule=node.rule,
                                      suggestion=close[0])
                    else:
                        resolver.fail("R204", "unknown", node.span, rule=node.rule)
            elif not target.two_valued:
                resolver.fail("R204", "not_readable", node.span, rule=node.rule,
                              kind=target.kind)


def _refs(condition: Condition) -> list[RuleRef]:
    from ...lang.conditions import walk

    return [n for n in walk(condition) if isinstance(n, RuleRef)]
