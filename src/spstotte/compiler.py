"""Stage 4, compile: a resolved rule set to a durable_rules ruleset (JSON) plus an action table.

Three-valued logic in a network that only knows "matches": every rule is compiled twice, once
for *true* and once for *false*, each as a disjunction of conjunctions of patterns (DNF). A
derived fact is asserted as ``{"t": "r:<rule>", "v": 1}`` or ``"v": 0``; when neither variant
matches, the rule is undetermined. Kleene logic falls out of this: ``all`` is false as soon as
one part is false, ``any`` true as soon as one part is true.

Each profile field is its own fact (``{"t": "f:<fact>", "k": 1, "v": ...}``), which keeps every
alpha node small (the engine hangs at 512 children per node and fails at 64 simultaneous
matches on one fact; see docs/engine.md). Only the whitelisted operators are ever emitted, every
pattern starts with a positive ``t`` discriminator (so none can match the engine's state fact),
and static guards reject rule sets that would hit the engine's limits before ``create_ruleset``
is called, so a bad rule set never hangs the process or leaks a handle.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .conditions import All, AnyOf, Compare, Condition, Not, Op, RuleRef
from .errors import Diagnostic, RuleSetError
from .facts import FACTS, FactKind, fact_spec
from .resolve import ResolvedRule, ResolvedRuleSet
from .satisfiable import fields_satisfiable
from .vocabulary import RANKS

# Engine limits (durable_rules 2.0.28, measured in research/durable_rules.md), with margins.
MAX_PATTERNS_PER_RULE: Final = 16       # MAX_MESSAGE_FRAMES: 17 fails at assert time
MAX_ALTERNATIVES_PER_RULE: Final = 64   # our own bound on the DNF blow-up
MAX_GROUPS_PER_PATTERN: Final = 14      # MAX_SEQUENCE_EXPRESSIONS 32, 2 per $and/$or
MAX_ENGINE_RULES: Final = 4000          # MAX_ACTIONS 4096
MAX_CHILDREN_PER_NODE: Final = 450      # NEXT_BUCKET_LENGTH 512 hangs the process
MAX_PATTERNS_PER_FACT_TYPE: Final = 60  # MAX_STACK_SIZE 64 simultaneous alpha matches
MAX_RULES_PER_PATTERN: Final = 240      # BETA_LIST_LENGTH 256

SENTINEL: Final = "__done__"
#: The operators the compiler may emit. Anything else is a compiler bug, caught in tests.
WHITELIST: Final = frozenset({"$and", "$or", "$neq", "$lt", "$lte", "$gt", "$gte"})

Test = dict[str, Any]
Atom = tuple[str, str]  # (fact type, JSON of one test) - hashable
Conjunction = frozenset[Atom]


@dataclass(frozen=True)
class Action:
    """What an engine rule means: rule ``index`` concluded ``value``."""

    index: int
    value: bool
    #: The derived fact to assert, pre-serialised without its closing brace and sid.
    derived: str | None


@dataclass(frozen=True)
class CompiledRules:
    """The engine definition of a rule set."""

    definition: str
    actions: dict[str, Action]
    #: For each profile fact that some rule reads: whether a rule tests ``known``.
    fields: dict[str, bool]
    fact_ids: dict[str, str]
    engine_rule_count: int


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules uses for sids, fact ids and property names."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def _dumps(value: Any) -> str:
    # Raw UTF-8 (the engine compares raw bytes: "æ" never matches "\u00e6").
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def fact_type(fact: str) -> str:
    """The discriminator of a profile fact."""
    return f"f:{fact}"


def rule_type(rule_id: str) -> str:
    """The discriminator of a rule's derived fact."""
    return f"r:{rule_id}"


def _engine_value(value: Any) -> Any:
    if isinstance(value, bool):
        return 1 if value else 0
    if value == "none":
        return 0  # "no municipality placed the citizen"
    return value


def _compare_tests(node: Compare, positive: bool) -> Test:
    spec = fact_spec(node.fact)
    op, value = node.op, node.value
    if op is Op.KNOWN:
        want = bool(value) == positive
        return {"k": 1 if want else 0}
    if op in (Op.NE, Op.NOT_IN):
        positive = not positive
        op = Op.EQ if op is Op.NE else Op.IN
    if spec.kind is FactKind.SET:
        members = [str(value)] if op is Op.CONTAINS else [str(m) for m in value]  # type: ignore[union-attr]
        if op is Op.CONTAINS_ALL:
            # all members present  /  some member absent
            return (_and([{m: 1} for m in members]) if positive
                    else _or([{m: 0} for m in members]))
        return (_or([{m: 1} for m in members]) if positive
                else _and([{m: 0} for m in members]))
    if op in (Op.LT, Op.LTE, Op.GT, Op.GTE):
        key, bound = "v", value
        if spec.kind is FactKind.ORDINAL:
            assert spec.vocabulary is not None
            key, bound = "r", RANKS[spec.vocabulary][str(value)]
        if not positive:
            op = {Op.LT: Op.GTE, Op.LTE: Op.GT, Op.GT: Op.LTE, Op.GTE: Op.LT}[op]
        return {f"${op.value}": {key: bound}}
    items = [value] if op is Op.EQ else list(value)  # type: ignore[arg-type]
    engine_items = [_engine_value(v) for v in items]
    if positive:
        return _or([{"v": v} for v in engine_items])
    return _and([{"$neq": {"v": v}} for v in engine_items])


def _and(tests: list[Test]) -> Test:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def _or(tests: list[Test]) -> Test:
    return tests[0] if len(tests) == 1 else {"$or": tests}


class _Dnf:
    """Truth conditions of a condition tree as a disjunction of conjunctions of atoms."""

    def __init__(self, rule: ResolvedRule) -> None:
        self.rule = rule
        self.too_big = False

    def of(self, node: Condition, positive: bool) -> list[Conjunction]:
        if isinstance(node, Compare):
            test = _compare_tests(node, positive)
            return [frozenset({(fact_type(node.fact), _dumps(test))})]
        if isinstance(node, RuleRef):
            value = 1 if node.expect == positive else 0
            return [frozenset({(rule_type(node.rule), _dumps({"v": value}))})]
        if isinstance(node, Not):
            return self.of(node.item, not positive)
        conjunctive = isinstance(node, All) == positive
        assert isinstance(node, (All, AnyOf))
        parts = [self.of(item, positive) for item in node.items]
        if not conjunctive:
            return _dedupe(c for part in parts for c in part)
        result: list[Conjunction] = [frozenset()]
        for part in parts:
            result = _dedupe(a | b for a in result for b in part)
            if len(result) > MAX_ALTERNATIVES_PER_RULE * 4:
                self.too_big = True
                return result[:1]
        return result


def _dedupe(conjunctions: Iterable[Conjunction]) -> list[Conjunction]:
    seen: dict[Conjunction, None] = {}
    for conj in conjunctions:
        if not _contradictory(conj):
            seen.setdefault(conj)
    # Drop conjunctions subsumed by a smaller one: (a) or (a and b) is (a).
    ordered = sorted(seen, key=lambda c: (len(c), sorted(c)))
    kept: list[Conjunction] = []
    for conj in ordered:
        if not any(k <= conj for k in kept):
            kept.append(conj)
    return kept


def _contradictory(conj: Conjunction) -> bool:
    derived: dict[str, str] = {}
    for kind, test in conj:
        if kind.startswith("r:"):
            if derived.setdefault(kind, test) != test:
                return True
    # e.g. 'kind in [botilbud, ...]' and 'kind not in [botilbud, ...]' from two branches
    return not fields_satisfiable(conj)


def _pattern(kind: str, tests: list[str]) -> dict[str, Any]:
    parsed = [json.loads(t) for t in sorted(tests)]
    return {"$and": [{"t": kind}, *parsed]}


def _groups(test: Any) -> int:
    if isinstance(test, dict):
        own = 1 if any(k in ("$and", "$or") for k in test) else 0
        return own + sum(_groups(v) for v in test.values())
    if isinstance(test, list):
        return sum(_groups(v) for v in test)
    return 0


def _operators(test: Any) -> set[str]:
    if isinstance(test, dict):
        ops = {k for k in test if k.startswith("$")}
        for value in test.values():
            ops |= _operators(value)
        return ops
    if isinstance(test, list):
        return set().union(*(_operators(v) for v in test)) if test else set()
    return set()


def compile_ruleset(ruleset: ResolvedRuleSet) -> CompiledRules:
    """Compile a resolved rule set; raise :class:`RuleSetError` (E301/E302) if the engine's
    limits would be exceeded."""
    problems: list[Diagnostic] = []
    definition: dict[str, Any] = {}
    actions: dict[str, Action] = {}
    fields: dict[str, bool] = {}
    pattern_use: Counter[str] = Counter()
    patterns_per_type: dict[str, set[str]] = {}

    for index, rule in enumerate(ruleset.rules):
        dnf = _Dnf(rule)
        for node_fact in rule.facts:
            fields.setdefault(node_fact, False)
        for node in _walk_compares(rule.condition):
            if node.op is Op.KNOWN:
                fields[node.fact] = True
        polarities = (True, False) if rule.two_valued else (True,)
        for positive in polarities:
            conjunctions = dnf.of(rule.condition, positive)
            if dnf.too_big or len(conjunctions) > MAX_ALTERNATIVES_PER_RULE:
                problems.append(Diagnostic(
                    "E301", f"rule {rule.id!r} expands to more than "
                    f"{MAX_ALTERNATIVES_PER_RULE} alternatives", rule.span,
                    "move parts of the condition into rules that 'derive' a fact"))
                break
            derived = None
            if rule.two_valued:
                derived = (f'{{"t": {_dumps(rule_type(rule.id))}, "id": "r{index}", '
                           f'"v": {1 if positive else 0}')
            for k, conj in enumerate(conjunctions):
                by_type: dict[str, list[str]] = {}
                for kind, test in conj:
                    by_type.setdefault(kind, []).append(test)
                if len(by_type) > MAX_PATTERNS_PER_RULE:
                    problems.append(Diagnostic(
                        "E301", f"rule {rule.id!r} needs {len(by_type)} facts at once; the engine "
                        f"allows {MAX_PATTERNS_PER_RULE}", rule.span,
                        "move parts of the condition into rules that 'derive' a fact"))
                    continue
                patterns = []
                for j, (kind, tests) in enumerate(sorted(by_type.items())):
                    pattern = _pattern(kind, tests)
                    if _groups(pattern) > MAX_GROUPS_PER_PATTERN:
                        problems.append(Diagnostic(
                            "E301", f"rule {rule.id!r} has too many and/or groups on one fact",
                            rule.span, "split the condition into derived facts"))
                    unknown_ops = _operators(pattern) - WHITELIST
                    if unknown_ops:  # pragma: no cover - a compiler bug, not a user error
                        raise AssertionError(f"compiler emitted {unknown_ops}")
                    key = _dumps(pattern)
                    pattern_use[key] += 1
                    patterns_per_type.setdefault(kind, set()).add(key)
                    patterns.append({f"m{j}": pattern})
                name = f"R{index}{'T' if positive else 'F'}{k}"
                definition[name] = {"all": patterns}
                actions[name] = Action(index, positive, derived)
    definition[SENTINEL] = {"pri": 65000, "all": [{"m": {"t": SENTINEL}}]}

    if len(definition) > MAX_ENGINE_RULES:
        problems.append(Diagnostic("E302", f"the rule set compiles to {len(definition)} engine "
                                   f"rules; the limit is {MAX_ENGINE_RULES}", None, None))
    types = {t for t in patterns_per_type} | {SENTINEL}
    if len(types) > MAX_CHILDREN_PER_NODE:
        problems.append(Diagnostic("E302", f"{len(types)} kinds of fact; the engine handles "
                                   f"{MAX_CHILDREN_PER_NODE}", None, None))
    for kind, distinct in sorted(patterns_per_type.items()):
        if kind.startswith("f:") and len(distinct) > MAX_PATTERNS_PER_FACT_TYPE:
            problems.append(Diagnostic(
                "E302", f"{len(distinct)} different conditions on {kind[2:]}; the engine handles "
                f"{MAX_PATTERNS_PER_FACT_TYPE}", None,
                "derive an intermediate fact once and let the other rules read it"))
    for count in pattern_use.values():
        if count > MAX_RULES_PER_PATTERN:
            problems.append(Diagnostic("E302", f"{count} rules share one condition; the engine "
                                       f"handles {MAX_RULES_PER_PATTERN}", None,
                                       "derive the shared condition once"))
    fact_ids = _fact_ids(ruleset, fields)
    _check_property_names(problems)
    if problems:
        raise RuleSetError(problems)
    return CompiledRules(_dumps(definition), actions, fields, fact_ids, len(definition))


def _walk_compares(condition: Condition) -> Iterable[Compare]:
    from .conditions import walk

    return (n for n in walk(condition) if isinstance(n, Compare))


def _fact_ids(ruleset: ResolvedRuleSet, fields: dict[str, bool]) -> dict[str, str]:
    """Explicit fact ids, checked to have distinct 32-bit hashes (the engine's identity).
    Profile facts are ``f<n>``; the assessment facts of service-level rules ``a<n>``."""
    ids = {name: f"f{j}" for j, name in enumerate(FACTS)}
    ids.update({name: f"a{j}" for j, name in enumerate(sorted(set(fields) - set(FACTS)))})
    hashes = Counter(fnv1a_32(i) for i in [*ids.values(), *(f"r{k}" for k in
                                                             range(len(ruleset.rules))), "done"])
    if any(count > 1 for count in hashes.values()):  # pragma: no cover - fixed small id space
        raise AssertionError("fact id hash collision")
    return ids


def _check_property_names(problems: list[Diagnostic]) -> None:
    names = {"t", "id", "k", "v", "r", "sid"}
    for spec in FACTS.values():
        if spec.kind is FactKind.SET:
            names |= set(spec.values)
    hashes = Counter(fnv1a_32(n) for n in names)
    if any(count > 1 for count in hashes.values()):  # pragma: no cover - fixed vocabulary
        problems.append(Diagnostic("E302", "two property names share a hash", None, None))
