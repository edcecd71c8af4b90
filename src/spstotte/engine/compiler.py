"""Stage 4, compile: a resolved rule set to a durable_rules ruleset (JSON) plus an action table.

Three-valued logic in a network that only knows "matches": every rule is compiled twice, once
for *true* and once for *false*, each as a disjunction of conjunctions of patterns (DNF). A
derived fact is asserted as ``{"@d<bucket>": 1, "@r<rule>": 1}`` or ``0``; when
neither variant matches, the rule is undetermined. Kleene logic falls out of this: ``all`` is
false as soon as one part is false, ``any`` true as soon as one part is true.

Conditions are first expanded on per-field atoms (``("f:<fact>", test)``); the profile is then
asserted as a few group facts (``{"@p0": 1, "age": 26, "consent?": 1, ...}``), each packed
only as far as the engine's per-fact limits allow (it hangs at 512 children of one alpha node
and fails at 65 matching children; see docs/engine.md), and the atoms become one pattern per
group. Small rules are read in place by the rules that read them (``_Dnf``), so that fewer
derived facts are asserted. Only the whitelisted operators are ever emitted, every
pattern starts with a positive discriminator (``"@p0": 1``; none can match the engine's state fact),
and static guards reject rule sets that would hit the engine's limits before ``create_ruleset``
is called, so a bad rule set never hangs the process or leaks a handle.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from ..errors import Diagnostic, RuleSetError
from ..facts import FactKind, FactSpec, fact_spec
from ..lang.conditions import All, AnyOf, Compare, Condition, ConditionVisitor, Not, RuleRef
from ..lang.operators import OPERATORS, Encoding, Operand, Operator
from ..lang.satisfiable import fields_satisfiable
from ..ruleset.resolve import ResolvedRuleSet
from ..vocabulary import RANKS

# Engine limits (durable_rules 2.0.28, measured in research/durable_rules.md), with margins.
MAX_PATTERNS_PER_RULE: Final = 16       # MAX_MESSAGE_FRAMES: 17 fails at assert time
MAX_ALTERNATIVES_PER_RULE: Final = 64   # our own bound on the DNF blow-up
# Reading a rule's conditions in place of its derived fact (see _Dnf): only for rules this
# small, and only where the reader stays this small. Measured in benchmarks/bench_evaluate.py.
MAX_INLINE_ATOMS: Final = 6
MAX_INLINE_ALTERNATIVES: Final = 4
MAX_INLINED_ALTERNATIVES: Final = 8
MAX_INLINED_JOINS: Final = 48  # joins on derived facts over a rule's alternatives
MAX_GROUPS_PER_PATTERN: Final = 14      # MAX_SEQUENCE_EXPRESSIONS 32: 2 per $and/$or, and 1
                                        # for the join on the evaluation (_same_evaluation)
MAX_ENGINE_RULES: Final = 4000          # MAX_ACTIONS 4096
MAX_CHILDREN_PER_NODE: Final = 450      # NEXT_BUCKET_LENGTH 512: 512 children hang the process
MAX_SIMULTANEOUS_MATCHES: Final = 56    # MAX_STACK_SIZE 64: 65 matching children of one node
                                        # fail (error 303)
MAX_RULES_PER_PATTERN: Final = 240      # BETA_LIST_LENGTH 256
#: Engine rules per partition (see :class:`Partition`; measured in bench_scaling.py).
PARTITION_RULES: Final = 400

SENTINEL: Final = "__done__"
#: The property that tells apart the facts of the evaluations one engine state serves
#: (network.py keeps a state for several): every pattern after a rule's first is joined to
#: the first on it (:func:`_same_evaluation`, docs/engine.md).
EVALUATION: Final = "@ev"
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
    #: The derived fact to assert, pre-serialised up to its id's label (``..., "id": "r52.``;
    #: the network adds the label, the evaluation property and the sid).
    derived: str | None
    #: The partitions (:class:`Partition`) whose rules read the derived fact.
    read_in: tuple[int, ...] = ()
    #: The partition of the engine rule itself.
    partition: int = 0


@dataclass(frozen=True)
class ProfileFactGroup:
    """Profile fields asserted together as one engine fact (type and id ``p<n>``)."""

    type: str
    #: The fields, each with whether some rule tests whether it is ``known``.
    fields: tuple[tuple[str, bool], ...]
    #: The properties (each 1) that tell the fact apart (:func:`group_path`).
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partition:
    """A run of rules (in dependency order) loaded into the engine as a rule set of its own.

    durable_rules looks for the next action to run by scanning every rule of a rule set from
    the first, so one action costs time in proportion to the rule set, and an evaluation in
    proportion to its square. A large rule set is split into partitions of at most
    PARTITION_RULES engine rules, evaluated one after another (docs/engine.md)."""

    #: The engine definition (JSON), with a sentinel of its own.
    definition: str
    #: The profile groups its rules read (indices into :attr:`CompiledRules.groups`).
    groups: tuple[int, ...]


@dataclass(frozen=True)
class CompiledRules:
    """The engine definition of a rule set."""

    #: Every engine rule, as one definition (one partition's, if there is only one).
    definition: str
    actions: dict[str, Action]
    #: For each profile fact that some rule reads: whether a rule tests ``known``.
    fields: dict[str, bool]
    #: How the profile is asserted: the fields of each engine fact.
    groups: tuple[ProfileFactGroup, ...]
    engine_rule_count: int
    #: The rule sets the network loads into the engine, in the order they are evaluated.
    partitions: tuple[Partition, ...] = ()
    #: The profile properties some engine rule tests (:func:`property_name`): the network
    #: gives the engine no others.
    tested_properties: frozenset[str] = frozenset()
    #: Whether every pattern after a rule's first is joined to the first on the evaluation's
    #: label (:func:`_same_evaluation`): only then may one engine state serve several
    #: evaluations (network.py). A network of several partitions keeps a state per
    #: evaluation, and its rules have no such joins.
    joined_on_evaluation: bool = False


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash durable_rules uses for sids, fact ids and property names."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


#: :func:`fnv1a_32` of the names a compile checks for collisions: the same few hundred
#: property names and fact ids in every rule set.
_name_hash: Final = functools.lru_cache(maxsize=16_384)(fnv1a_32)


#: JSON text as the engine reads it, for the compiler and the network alike: raw UTF-8 (the
#: engine compares raw bytes: "æ" never matches "\u00e6"). One encoder for every call:
#: ``json.dumps`` with options builds a new one each time, and a compile writes hundreds of
#: small texts.
engine_json: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False,
                                                separators=(", ", ": ")).encode


def fact_type(fact: str) -> str:
    """The discriminator of a profile fact."""
    return f"f:{fact}"


def rule_type(rule_id: str) -> str:
    """The kind of a rule's derived fact in the compiler's atoms (see :func:`_derived_head`
    for how the engine tells derived facts apart)."""
    return f"r:{rule_id}"


#: How the engine tells facts apart. durable_rules keeps an alpha node's children in a table
#: whose probes all start in its first 32 slots (``HASH_MASK`` 0x1F) and run to the first empty
#: slot, and at every node a fact reaches it probes that table once for each of the fact's
#: properties: a node with many children is scanned whole, once per property. With one type per
#: bucket of derived facts under the root, every assert scanned every bucket and profile group,
#: so each cost more the larger the rule set (docs/performance.md, "Growth with the size of a
#: rule set"). So every node a fact passes has at most 16 children: a fact is told apart by a
#: path of properties set to 1, and a derived fact by a 16-way tree over its rule's number:
#:
#: * a profile group: ``{"@p0": 1, "age": 26, ...}``, or ``{"@p": 1, "@p13": 1, ...}`` when
#:   there are more than GROUPS_AT_ROOT groups;
#: * rule 52's derived fact: ``{"@d": 1, "@b1_3": 1, "@r52": 1}`` (``0`` when false), with
#:   one ``@b<level>_<n>`` per 16-way level the rule set's size needs;
#: * the sentinel: ``{"@__done__": 1}``.
#:
#: ``@`` keeps these names apart from profile fields; none matches the engine's state fact.
FANOUT: Final = 16


def tree_levels(rules: int) -> int:
    """The 16-way levels above the rules' own numbers that keep every node within FANOUT."""
    levels = 0
    while FANOUT ** (levels + 1) < rules:
        levels += 1
    return levels


#: Up to this many profile groups hang from the root directly; more hang from ``"@p"``.
GROUPS_AT_ROOT: Final = 8


def group_path(group: str, groups: int) -> tuple[str, ...]:
    """The properties (each 1) that tell a profile group's fact apart, of ``groups``."""
    return (f"@{group}",) if groups <= GROUPS_AT_ROOT else ("@p", f"@{group}")


SENTINEL_PATH: Final = (f"@{SENTINEL}",)


@functools.lru_cache(maxsize=16_384)
def derived_path(index: int, levels: int) -> tuple[tuple[str, ...], str]:
    """The properties (each 1) that lead to rule ``index``'s derived fact, and the property that
    holds its value (1 true, 0 false)."""
    path = ["@d"] + [f"@b{level}_{index // FANOUT ** level}" for level in range(levels, 0, -1)]
    return tuple(path), f"@r{index}"


@functools.lru_cache(maxsize=16_384)
def _path_tests(path: tuple[str, ...]) -> str:
    """A path's tests, each followed by a comma, as they open a pattern."""
    return "".join(f"{{{engine_json(name)}: 1}}, " for name in path)


@functools.lru_cache(maxsize=16_384)
def _derived_test(prop: str, test: str) -> str:
    """A derived fact's test (``{"v": 1}``) on its value property (``{"@r52": 1}``)."""
    return engine_json({prop: json.loads(test)["v"]})


def labelled_id(fact_id: str, label: int) -> str:
    """A fact's id in the evaluation with this label: unique among the facts of the
    evaluations one engine state serves."""
    return f"{fact_id}.{label}"


def id_up_to_label(fact_id: str) -> str:
    """A fact's ``id`` member as JSON text, open before its label (:func:`labelled_id`): the
    network ends every fact with the label, the evaluation property and the sid."""
    return f'"id": "{labelled_id(fact_id, 0)[:-1]}'


def fact_head(path: tuple[str, ...]) -> str:
    """The start of a fact's JSON text: its path's properties, each 1."""
    return "{" + "".join(f"{engine_json(name)}: 1, " for name in path)


def _engine_value(value: Any) -> Any:
    if isinstance(value, bool):
        return 1 if value else 0
    if value == "none":
        return 0  # "no municipality placed the citizen"
    return value


def _compare_tests(node: Compare, positive: bool) -> Test:
    entry = OPERATORS[node.op]
    return _ENCODERS[entry.encoding](entry, fact_spec(node.fact), node.value, positive)


def _known(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    want = bool(value) == positive
    return {"k": 1 if want else 0}


def _equals(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    items = list(value) if entry.operand is Operand.LIST else [value]
    engine_items = [_engine_value(v) for v in items]
    if positive:
        return _or([{"v": v} for v in engine_items])
    return _and([{"$neq": {"v": v}} for v in engine_items])


def _differs(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    return _equals(entry, spec, value, not positive)


def _order(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    key, bound = "v", value
    if spec.kind is FactKind.ORDINAL:
        assert spec.vocabulary is not None
        key, bound = "r", RANKS[spec.vocabulary][str(value)]
    if not positive:
        assert entry.negation is not None
        entry = OPERATORS[entry.negation]
    assert entry.engine is not None
    return {entry.engine: {key: bound}}


def _members(entry: Operator, value: Any) -> list[str]:
    if entry.operand is Operand.LIST:
        return [str(m) for m in value]
    return [str(value)]


def _any_member(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    members = _members(entry, value)
    return (_or([{m: 1} for m in members]) if positive
            else _and([{m: 0} for m in members]))


def _all_members(entry: Operator, spec: FactSpec, value: Any, positive: bool) -> Test:
    # all members present  /  some member absent
    members = _members(entry, value)
    return (_and([{m: 1} for m in members]) if positive
            else _or([{m: 0} for m in members]))


#: The engine test of each shape of operator (operators.Encoding), true or false.
_ENCODERS: Final[dict[Encoding, Callable[[Operator, FactSpec, Any, bool], Test]]] = {
    Encoding.KNOWN: _known,
    Encoding.EQUALS: _equals,
    Encoding.DIFFERS: _differs,
    Encoding.ORDER: _order,
    Encoding.ANY_MEMBER: _any_member,
    Encoding.ALL_MEMBERS: _all_members,
}


def _and(tests: list[Test]) -> Test:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def _or(tests: list[Test]) -> Test:
    return tests[0] if len(tests) == 1 else {"$or": tests}


#: A condition's alternatives, as :class:`_Dnf` gives them.
Alternatives = tuple[Conjunction, ...]


@functools.lru_cache(maxsize=4_096)
def _alternatives(condition: Condition, positive: bool,
                  in_place: tuple[tuple[tuple[str, bool], Alternatives], ...]
                  ) -> tuple[Alternatives, bool]:
    """The alternatives under which ``condition`` is ``positive``, reading in place the
    rules of ``in_place`` (``(rule id, value read)`` and its alternatives), and whether
    there were too many to expand. Kept between rule sets: most of the law layer's rules
    read the same in every municipality (a third of the bundled rule sets' compile time).
    The answers depend on the MAX_INLINE* and MAX_ALTERNATIVES_PER_RULE limits too: a test
    that changes those must call ``_alternatives.cache_clear()``."""
    dnf = _Dnf(dict(in_place))
    conjunctions = dnf.of(condition, positive)
    return tuple(conjunctions), dnf.too_big


class _Dnf(ConditionVisitor[bool, list[Conjunction]]):
    """Truth conditions of a condition tree as a disjunction of conjunctions of atoms.

    A reference to another rule reads that rule's derived fact, unless the other rule's
    conditions for the value read are small (``inlined``): then they are read in its place, so
    the engine matches them on the profile directly instead of waiting for a derived fact."""

    def __init__(self, inlined: dict[tuple[str, bool], Alternatives] | None = None) -> None:
        self.too_big = False
        self.inlined = inlined if inlined is not None else {}

    def of(self, node: Condition, positive: bool) -> list[Conjunction]:
        """The alternatives under which ``node`` is ``positive`` (true, or false)."""
        return self.visit(node, positive)

    def visit_compare(self, node: Compare, positive: bool, /) -> list[Conjunction]:
        test = _compare_tests(node, positive)
        return [frozenset({(fact_type(node.fact), engine_json(test))})]

    def visit_rule_ref(self, node: RuleRef, positive: bool, /) -> list[Conjunction]:
        return [self._atom(node, positive)]

    def visit_not(self, node: Not, positive: bool, /) -> list[Conjunction]:
        return self.visit(node.item, not positive)

    def visit_all(self, node: All | AnyOf, positive: bool, /) -> list[Conjunction]:
        conjunctive = isinstance(node, All) == positive

        def combine(result: list[Conjunction], part: Iterable[Conjunction]) -> list[Conjunction]:
            if conjunctive:
                return _dedupe(a | b for a in result for b in part)
            return _dedupe([*result, *part])

        def inline_candidate(item: Condition) -> Alternatives | None:
            return (self.inlined.get((item.rule, item.expect == positive))
                    if isinstance(item, RuleRef) else None)

        read_in_place = False

        def alternatives(may_read_in_place: bool) -> list[Conjunction]:
            nonlocal read_in_place
            result: list[Conjunction] = [frozenset()] if conjunctive else []
            for item in node.items:
                part = self.visit(item, positive)
                inlined = inline_candidate(item) if may_read_in_place else None
                combined = combine(result, part if inlined is None else inlined)
                if inlined is not None:
                    if len(combined) > MAX_INLINED_ALTERNATIVES:
                        # Read in place, the other rule's conditions make this one too
                        # large: read its derived fact instead.
                        combined = combine(result, part)
                    else:
                        read_in_place = True
                result = combined
                if len(result) > MAX_ALTERNATIVES_PER_RULE * 4:
                    self.too_big = True
                    return result[:1]
            return result

        result = alternatives(may_read_in_place=True)
        if self.too_big or not read_in_place or _joins(result) <= MAX_INLINED_JOINS:
            return result
        # Each alternative is an engine rule that joins every derived fact it reads, and each
        # join has its own block of the engine's per-state memory. Reading some parts in place
        # multiplies the alternatives, and with them the joins on the derived facts still read
        # (a grant that requires twelve rules became eight rules of nine joins each): beyond
        # MAX_INLINED_JOINS, read every part as a derived fact instead, unless that joins more.
        plain = alternatives(may_read_in_place=False)
        return plain if _joins(result) > _joins(plain) else result

    visit_any = visit_all

    def _atom(self, node: RuleRef, positive: bool) -> Conjunction:
        return frozenset({(rule_type(node.rule), _VALUE_TESTS[node.expect == positive])})


#: A derived fact's value tests in the compiler's atoms, by the value read.
_VALUE_TESTS: Final = {True: engine_json({"v": 1}), False: engine_json({"v": 0})}


def _joins(alternatives: list[Conjunction]) -> int:
    """The derived facts the alternatives read, counted once in each: what their engine rules
    join."""
    return sum(1 for conj in alternatives for kind, _ in conj if kind.startswith("r:"))


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


@functools.lru_cache(maxsize=16_384)
def _contradictory(conj: Conjunction) -> bool:
    derived: dict[str, str] = {}
    for kind, test in conj:
        if kind.startswith("r:"):
            if derived.setdefault(kind, test) != test:
                return True
    # e.g. 'kind in [botilbud, ...]' and 'kind not in [botilbud, ...]' from two branches
    return not fields_satisfiable(conj)


def _groups(test: Any) -> int:
    if isinstance(test, dict):
        own = 1 if any(k in ("$and", "$or") for k in test) else 0
        return own + sum(_groups(v) for v in test.values())
    if isinstance(test, list):
        return sum(_groups(v) for v in test)
    return 0


def _same_evaluation(head: str, tests: list[str], values: list[Any]) -> str:
    """A rule's later pattern, joined to its first on the evaluation its fact belongs to, as
    JSON text (``head`` opens the pattern with its path tests; ``values`` are the parsed
    ``tests``).

    Only in a rule set of one partition: a network of several deletes each partition's
    state after every evaluation (network.py). The join test goes after the pattern's plain
    tests and before its ``$or``/``$and`` groups. The engine files the partial matches of a
    join under a hash of the equality joins that come before the pattern's first group
    (``getFrameHash`` in its events.c), so matches of another evaluation, whose ``@ev`` hashes
    differently (network.py checks its labels), are never even compared; nor is the engine's
    short-circuit scan ever reached on a join that fails, which reads out of bounds when that
    join is the last test of its group (research/durable_rules.md, P6)."""
    plain = [test for test, value in zip(tests, values, strict=True) if not _is_group(value)]
    grouped = [test for test, value in zip(tests, values, strict=True) if _is_group(value)]
    return head + ", ".join([*plain, _EVALUATION_JOIN, *grouped]) + "]}"


#: The test that joins a later pattern to a rule's first on the evaluation's label.
_EVALUATION_JOIN: Final = engine_json({EVALUATION: {"m0": EVALUATION}})


def _is_group(test: dict[str, Any]) -> bool:
    """Whether a test is an ``$and``/``$or`` group (a comparison never holds one)."""
    return "$or" in test or "$and" in test


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
    fields: dict[str, bool] = {}
    # The engine's alpha network, counted as the engine builds it (docs/engine.md, "Limits"):
    # every distinct test on a fact is a node, a node's children are distinct tests (the engine
    # shares them), so the distinct tests on one profile field bound the children of any node;
    # tests that can hold at once (ranges, "not equal", set members) bound how many children
    # one fact matches at once. The first rule that crosses a limit is named.
    tests_per_type: dict[str, set[str]] = {}
    crossed: dict[tuple[str, str], int] = {}

    def note(check: str, subject: str, over: bool, index: int) -> None:
        if over:
            crossed.setdefault((check, subject), index)

    # Pass 1: each rule's true and false conditions as alternatives of per-field atoms.
    variants: list[tuple[int, bool, Alternatives]] = []
    inlined: dict[tuple[str, bool], Alternatives] = {}
    for index, rule in enumerate(ruleset.rules):
        # What the rules this one reads would put in its place (see _Dnf): with its
        # condition, all that its alternatives depend on.
        in_place = tuple((key, inlined[key]) for read in rule.reads
                         for key in ((read, True), (read, False)) if key in inlined)
        for node_fact in rule.facts:
            fields.setdefault(node_fact, False)
        for node in _walk_compares(rule.condition):
            if OPERATORS[node.op].encoding is Encoding.KNOWN:  # reads the field's 'k'
                fields[node.fact] = True
        polarities = (True, False) if rule.two_valued else (True,)
        for positive in polarities:
            conjunctions, too_big = _alternatives(rule.condition, positive, in_place)
            if rule.two_valued and len(conjunctions) <= MAX_INLINE_ALTERNATIVES and all(
                    len(conj) <= MAX_INLINE_ATOMS for conj in conjunctions):
                inlined[(rule.id, positive)] = conjunctions
            if too_big or len(conjunctions) > MAX_ALTERNATIVES_PER_RULE:
                problems.append(Diagnostic.of("E301", "alternatives", rule.span, rule=rule.id,
                                              limit=MAX_ALTERNATIVES_PER_RULE))
                break
            for conj in conjunctions:
                for kind, test in conj:
                    seen = tests_per_type.setdefault(kind, set())
                    before = len(seen)
                    seen.update(_leaf_texts(test))
                    if kind.startswith("f:") and len(seen) > before:
                        note("children", kind, len(seen) > MAX_CHILDREN_PER_NODE, index)
                        note("simultaneous", kind,
                             _simultaneous(seen) > MAX_SIMULTANEOUS_MATCHES, index)
            variants.append((index, positive, conjunctions))

    # The profile is asserted as a few facts, not one per field: each assert costs the engine
    # about as much whatever its size. Fields are packed in the order rules first read them,
    # as long as the packed fact stays within the per-fact limits counted above.
    groups = _pack_fields(fields, tests_per_type)
    group_of = {name: group.path for group in groups for name, _ in group.fields}

    # A derived fact is asserted only where some engine rule still reads it.
    read = {atom for _, _, conjunctions in variants for conj in conjunctions
            for atom in conj if atom[0].startswith("r:")}

    # Rules in dependency order, cut into partitions of at most PARTITION_RULES engine rules:
    # a rule reads only rules before it, so a derived fact is read in its own partition or a
    # later one.
    per_rule: Counter[int] = Counter()
    for index, _, conjunctions in variants:
        per_rule[index] += len(conjunctions)
    partition_of: dict[int, int] = {}
    part = size = 0
    for index in sorted(per_rule):
        if size and size + per_rule[index] > PARTITION_RULES:
            part, size = part + 1, 0
        partition_of[index] = part
        size += per_rule[index]
    group_number = {group.path: n for n, group in enumerate(groups)}
    part_definitions: list[dict[str, str]] = [{} for _ in range(part + 1)]
    # Only a network of one partition keeps its engine state for several evaluations, whose
    # facts the joins must then keep apart (CompiledRules.joined_on_evaluation).
    one_partition = len(part_definitions) == 1
    part_groups: list[set[int]] = [set() for _ in range(part + 1)]
    read_in: dict[tuple[int, int], set[int]] = {}

    # Pass 2: one engine rule per alternative; a profile group's tests form one pattern.
    definition: dict[str, str] = {}
    actions: dict[str, Action] = {}
    pattern_use: Counter[str] = Counter()
    too_wide: set[str] = set()
    engine_types: set[tuple[str, ...]] = set()
    levels = tree_levels(len(ruleset.rules))
    # Engine rule names of one length ("R07T00": rule 7, true, alternative 0), so that the
    # adapter reads a fired rule's name from its action by position (network.py).
    index_digits = len(str(max(len(ruleset.rules) - 1, 0)))
    rule_index = {rule.id: index for index, rule in enumerate(ruleset.rules)}
    for index, positive, conjunctions in variants:
        rule = ruleset.rules[index]
        derived = None
        if (rule_type(rule.id), _VALUE_TESTS[positive]) in read:
            path, prop = derived_path(index, levels)
            derived = (f'{fact_head(path)}{engine_json(prop)}: {1 if positive else 0}, '
                       + id_up_to_label(f"r{index}"))
        alternatives: list[dict[tuple[bool, tuple[str, ...]], list[str]]] = []
        for conj in conjunctions:
            # The tests on each engine fact, by (whether it is derived, its path).
            by_type: dict[tuple[bool, tuple[str, ...]], list[str]] = {}
            for kind, test in conj:
                if kind.startswith("f:"):
                    by_type.setdefault((False, group_of[kind[2:]]), []).append(
                        _renamed(test, kind[2:]))
                else:
                    read_index = rule_index[kind[2:]]
                    path, prop = derived_path(read_index, levels)
                    by_type.setdefault((True, (*path, prop)), []).append(
                        _derived_test(prop, test))
                    read_in.setdefault((read_index, int(test == _VALUE_TESTS[True])),
                                       set()).add(partition_of[index])
            alternatives.append(by_type)
        for k, (by_type, disjuncts) in enumerate(_merged(alternatives)):
            patterns: list[str] = []
            shared_fact = False
            # The profile's patterns first: its facts are asserted first, so an alternative
            # whose profile test fails never builds partial matches of the derived facts it
            # joins (the engine joins a rule's patterns left to right).
            part = partition_of[index]
            for (is_derived, path), tests in sorted(by_type.items()):
                if is_derived:
                    path = path[:-1]  # the last is the property its test reads
                else:
                    part_groups[part].add(group_number[path])
                chunks = _chunks(path, tests)
                shared_fact = shared_fact or len(chunks) > 1
                # The engine ends a pattern's alpha chain in one node per disjunct of an `$or`,
                # and lists the rule at each: counted as the alternatives were before merging.
                ends = ([end for own in disjuncts for end, _, _ in _chunks(path, own)]
                        if disjuncts is not None and not is_derived else
                        [key for key, _, _ in chunks])
                for end in ends:
                    pattern_use[end] += 1
                    note("shared", end, pattern_use[end] > MAX_RULES_PER_PATTERN, index)
                for key, joined, groups_used in chunks:
                    if groups_used > MAX_GROUPS_PER_PATTERN and key not in too_wide:
                        too_wide.add(key)
                        problems.append(Diagnostic.of("E301", "groups", rule.span,
                                                      rule=rule.id))
                    engine_types.add(path)
                    note("types", "", len(engine_types) + 1 > MAX_CHILDREN_PER_NODE, index)
                    patterns.append(f'{{"m{len(patterns)}": '
                                    f'{joined if patterns and one_partition else key}}}')
            if len(patterns) > MAX_PATTERNS_PER_RULE:
                problems.append(Diagnostic.of("E301", "patterns", rule.span, rule=rule.id,
                                              n=len(patterns), limit=MAX_PATTERNS_PER_RULE))
                continue
            name = f"R{index:0{index_digits}d}{'T' if positive else 'F'}{k:02d}"
            # Several patterns on one profile fact (a condition with more and/or groups than
            # one pattern may hold) need "dist": 0, so that one fact may match them all.
            definition[name] = part_definitions[part][name] = (
                '{"all": [' + ", ".join(patterns) + ('], "dist": 0}' if shared_fact else ']}'))
            actions[name] = Action(index, positive, derived, partition=part)
            note("rules", "", len(definition) + 1 > MAX_ENGINE_RULES, index)
    sentinel = engine_json({"pri": 65000, "all": [{"m": {SENTINEL_PATH[0]: 1}}]})
    definition[SENTINEL] = sentinel
    for part_definition in part_definitions:
        part_definition[SENTINEL] = sentinel
    # Each derived fact goes to the partitions that read it.
    actions = {name: Action(action.index, action.value, action.derived,
                            tuple(sorted(read_in.get((action.index, int(action.value)), ()))),
                            action.partition)
               for name, action in actions.items()}
    assert all(min(action.read_in, default=action.partition) >= action.partition
               for action in actions.values()), "a rule reads a rule after it"
    text = _definition_text(definition)
    partitions = tuple(Partition(text if len(part_definitions) == 1
                                 else _definition_text(part_definition),
                                 tuple(sorted(groups_read)))
                       for part_definition, groups_read in zip(part_definitions, part_groups,
                                                               strict=True))

    problems += _limit_problems(ruleset, crossed, len(definition), tests_per_type, pattern_use)
    # The engine's own property names: each kind's discriminator and each derived fact's value.
    engine_names = {name for path in engine_types | {SENTINEL_PATH} for name in path}
    engine_names.add(EVALUATION)
    engine_names |= {derived_path(action.index, levels)[1] for action in actions.values()
                     if action.derived is not None}
    _check_identities(ruleset, groups, engine_names, problems)
    if problems:
        raise RuleSetError(problems)
    tested = frozenset(property_name(kind[2:], _leaf_property(leaf))
                       for kind, leaves in tests_per_type.items() if kind.startswith("f:")
                       for leaf in leaves)
    return CompiledRules(text, actions, fields, groups,
                         len(definition) + len(partitions) - 1, partitions, tested,
                         joined_on_evaluation=one_partition)


def _definition_text(rules: dict[str, str]) -> str:
    """An engine rule set's JSON text, from its rules' texts by name (as ``engine_json`` of the
    parsed rules would write it)."""
    return "{" + ", ".join(f"{engine_json(name)}: {rule}" for name, rule in rules.items()) + "}"


_Alternative = dict[tuple[bool, tuple[str, ...]], list[str]]


def _merged(alternatives: list[_Alternative]
            ) -> list[tuple[_Alternative, list[list[str]] | None]]:
    """Alternatives that differ only in their tests on one profile fact, as one alternative
    whose test on that fact is the disjunction of theirs: (a and r) or (b and r) is
    ((a or b) and r). durable_rules looks for the next action by scanning every engine rule,
    so fewer engine rules make every action cheaper. A disjunction is kept within the and/or
    groups one pattern may hold. Each comes with the merged alternatives' tests on that fact
    (``None`` if it is one alternative as it was)."""
    buckets: dict[Any, list[_Alternative]] = {}
    order: list[_Alternative | list[_Alternative]] = []
    for by_type in alternatives:
        profile = [key for key in by_type if not key[0]]
        if len(profile) != 1:
            order.append(by_type)
            continue
        rest = tuple(sorted((key, tuple(sorted(tests))) for key, tests in by_type.items()
                            if key[0]))
        bucket = buckets.get((profile[0], rest))
        if bucket is None:
            buckets[(profile[0], rest)] = bucket = []
            order.append(bucket)
        bucket.append(by_type)
    result: list[tuple[_Alternative, list[list[str]] | None]] = []
    for item in order:
        if isinstance(item, dict) or len(item) == 1:
            result.append((item if isinstance(item, dict) else item[0], None))
            continue
        (key,) = [key for key in item[0] if not key[0]]
        disjuncts: list[Test] = []
        groups = 0  # the and/or groups of the disjuncts (_groups), from their tests' counts
        for by_type in item:
            infos = [_test_info(t) for t in sorted(set(by_type[key]))]
            if len(infos) > 1:
                disjuncts.append({"$and": [value for value, _ in infos]})
                groups += 1 + sum(own for _, own in infos)
            elif list(infos[0][0]) == ["$or"]:
                # (a or b) or c is a or b or c: one and/or group fewer
                disjuncts += infos[0][0]["$or"]
                groups += infos[0][1] - 1
            else:
                disjuncts.append(infos[0][0])
                groups += infos[0][1]
        disjunction = _or(disjuncts)
        if groups + (len(disjuncts) > 1) + 1 > MAX_GROUPS_PER_PATTERN:
            result.extend((by_type, None) for by_type in item)
            continue
        result.append(({**item[0], key: [engine_json(disjunction)]},
                       [by_type[key] for by_type in item]))
    return result


def _pack_fields(fields: dict[str, bool],
                 tests_per_type: dict[str, set[str]]) -> tuple[ProfileFactGroup, ...]:
    """The profile fields packed into as few engine facts as the per-fact limits allow."""
    packed: list[list[tuple[str, bool]]] = [[]]
    children = simultaneous = 0
    for name, tests_known in fields.items():
        tests = tests_per_type.get(fact_type(name), set())
        own_children, own_simultaneous = len(tests), _simultaneous(tests)
        if packed[-1] and (children + own_children > MAX_CHILDREN_PER_NODE
                           or simultaneous + own_simultaneous > MAX_SIMULTANEOUS_MATCHES):
            packed.append([])
            children = simultaneous = 0
        packed[-1].append((name, tests_known))
        children += own_children
        simultaneous += own_simultaneous
    packed = [members for members in packed if members]
    return tuple(ProfileFactGroup(f"p{n}", tuple(members), group_path(f"p{n}", len(packed)))
                 for n, members in enumerate(packed))


def property_name(field: str, key: str) -> str:
    """The engine property of a profile field's value (``v``), whether it is known (``k``),
    its rank on an ordinal scale (``r``) or one member of a list (the member's name)."""
    if key == "v":
        return field
    if key == "k":
        return f"{field}?"
    if key == "r":
        return f"{field}#"
    return f"{field}[{key}]"


@functools.lru_cache(maxsize=16_384)
def _renamed(test: str, field: str) -> str:
    """A test on one field's own fact, rewritten for the field's properties in a group fact."""
    return engine_json(_rename(json.loads(test), field))


def _rename(test: Any, field: str) -> Any:
    if isinstance(test, dict):
        return {(key if key.startswith("$") else property_name(field, key)):
                _rename(value, field) for key, value in test.items()}
    if isinstance(test, list):
        return [_rename(item, field) for item in test]
    return test


def _chunks(path: tuple[str, ...], tests: list[str]) -> tuple[_Chunk, ...]:
    """The tests on one fact as patterns, each within the engine's and/or groups per pattern:
    (the pattern as JSON text, the same joined on the evaluation (:func:`_same_evaluation`),
    its and/or groups). Each pattern starts with the fact's path (each property 1), then the
    tests in order. Kept: the law layer's rules give the same patterns in every municipality."""
    return _chunks_of(path, tuple(sorted(set(tests))))


#: A pattern as :func:`_chunks` gives it.
_Chunk = tuple[str, str, int]


@functools.lru_cache(maxsize=16_384)
def _chunks_of(path: tuple[str, ...], tests: tuple[str, ...]) -> tuple[_Chunk, ...]:
    chunks: list[_Chunk] = []
    texts: list[str] = []
    values: list[Any] = []
    used = 1  # the pattern's own "$and"
    head = "{\"$and\": [" + _path_tests(path)

    def close() -> None:
        chunks.append((head + ", ".join(texts) + "]}", _same_evaluation(head, texts, values),
                       used))

    for test in tests:
        value, cost = _test_info(test)
        if texts and used + cost > MAX_GROUPS_PER_PATTERN:
            close()
            texts, values, used = [], [], 1
        texts.append(test)
        values.append(value)
        used += cost
    close()
    return tuple(chunks)


@functools.lru_cache(maxsize=16_384)
def _test_info(test: str) -> tuple[Any, int]:
    """A test parsed, with its and/or groups; checked against the operator whitelist."""
    value = json.loads(test)
    unknown_ops = _operators(value) - WHITELIST
    if unknown_ops:  # pragma: no cover - a compiler bug, not a user error
        raise AssertionError(f"compiler emitted {unknown_ops}")
    return value, _groups(value)


def _fact_name(kind: str) -> str:
    return kind[2:] if kind.startswith(("f:", "r:")) else kind


def _limit_problems(ruleset: ResolvedRuleSet, crossed: dict[tuple[str, str], int],
                    engine_rules: int, tests_per_type: dict[str, set[str]],
                    pattern_use: Counter[str]) -> list[Diagnostic]:
    """E302 for each engine limit the rule set crosses, at the rule that crosses it."""
    out: list[Diagnostic] = []
    for (check, subject), index in sorted(crossed.items(), key=lambda kv: kv[1]):
        rule = ruleset.rules[index]
        fact = _fact_name(subject)
        if check == "children":
            out.append(Diagnostic.of("E302", "children", rule.span, rule=rule.id, fact=fact,
                                     n=len(tests_per_type[subject]),
                                     limit=MAX_CHILDREN_PER_NODE))
        elif check == "simultaneous":
            out.append(Diagnostic.of("E302", "simultaneous", rule.span, rule=rule.id, fact=fact,
                                     n=_simultaneous(tests_per_type[subject]),
                                     limit=MAX_SIMULTANEOUS_MATCHES))
        elif check == "shared":
            out.append(Diagnostic.of("E302", "shared", rule.span, rule=rule.id,
                                     n=pattern_use[subject], limit=MAX_RULES_PER_PATTERN))
        elif check == "types":
            out.append(Diagnostic.of("E302", "types", rule.span, rule=rule.id,
                                     limit=MAX_CHILDREN_PER_NODE))
        else:
            out.append(Diagnostic.of("E302", "rules", rule.span, rule=rule.id, n=engine_rules,
                                     limit=MAX_ENGINE_RULES))
    return out


def _leaves(test: Any) -> list[dict[str, Any]]:
    """The single tests of a test: what becomes one node of the engine's alpha network."""
    if isinstance(test, dict) and len(test) == 1:
        ((key, value),) = test.items()
        if key in ("$and", "$or"):
            return [leaf for item in value for leaf in _leaves(item)]
    return [test]


def _simultaneous(tests: set[str]) -> int:
    """How many of these tests one fact can match at once: every range, 'not equal' and set
    member test, and one equality test per property."""
    count, properties = 0, set()
    for text in tests:
        key = _leaf_key(text)
        if key.startswith("$"):
            count += 1
        elif key in ("v", "k", "r", "t"):
            properties.add(key)
        else:
            count += 1  # a member of a set fact: several can hold at once
    return count + len(properties)


@functools.lru_cache(maxsize=16_384)
def _leaf_key(text: str) -> str:
    """The one key of a single test, as JSON text (compiles read it thousands of times)."""
    (key,) = json.loads(text)
    return str(key)


@functools.lru_cache(maxsize=16_384)
def _leaf_property(text: str) -> str:
    """The key of the field property a single test reads (``v``, ``k``, ``r`` or a member),
    under its operator if it has one."""
    ((key, value),) = json.loads(text).items()
    if key.startswith("$"):
        (key,) = value
    return str(key)


@functools.lru_cache(maxsize=16_384)
def _leaf_texts(test: str) -> tuple[str, ...]:
    """The single tests of a test given as JSON text, each as JSON text."""
    return tuple(engine_json(leaf) for leaf in _leaves(json.loads(test)))


def _walk_compares(condition: Condition) -> Iterable[Compare]:
    from ..lang.conditions import walk

    return (n for n in walk(condition) if isinstance(n, Compare))


def _check_identities(ruleset: ResolvedRuleSet, groups: tuple[ProfileFactGroup, ...],
                      engine_names: set[str], problems: list[Diagnostic]) -> None:
    """The engine knows fact ids and property names by their 32-bit hashes only: check that
    no two collide (fixed, small name spaces: a collision is a bug, not a user error)."""
    ids = [group.type for group in groups] + [f"r{k}" for k in range(len(ruleset.rules))]
    ids.append("done")
    # As a fresh state's first evaluation gives them (network.py, labelled_id); in a state
    # that served others, a collision with an earlier evaluation's id is retried afresh.
    ids = [labelled_id(fact_id, 0) for fact_id in ids]
    if len(set(map(_name_hash, ids))) != len(ids):  # pragma: no cover - fixed small id space
        raise AssertionError("fact id hash collision")
    names = {"id", "sid"} | engine_names
    for group in groups:
        for field, _ in group.fields:
            spec = fact_spec(field)
            names |= {property_name(field, key) for key in ("v", "k", "r")}
            if spec.kind is FactKind.SET:
                names |= {property_name(field, member) for member in spec.values}
    if len(set(map(_name_hash, names))) != len(names):  # pragma: no cover - fixed vocabulary
        problems.append(Diagnostic.of("E302", "hash", None))
