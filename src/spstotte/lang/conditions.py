"""Stage 2b, conditions and conclusions: a closed tree parsed from YAML with positions.

Condition syntax (every node is a mapping with exactly one of these shapes)::

    {all: [c, ...]}           every condition holds
    {any: [c, ...]}           at least one holds
    {not: c}                  the condition does not hold
    {fact: age, gte: 18}      compare a fact: eq ne lt lte gt gte in not_in
                              contains contains_any contains_all known (operators.py)
    {rule: adult}             another rule's conclusion holds ({rule: x, is: false}: it does not)
    {granted: p85}            every requirement of a grant path is met

A value may be a parameter: ``{fact: support_need, gte: {param: min_support_need}}``.

Logic is three-valued (Kleene): a comparison with an unknown fact is *unknown*; ``all`` is false
as soon as one part is false, ``any`` is true as soon as one part is true, and otherwise unknown
parts make the whole unknown. Nothing unknown is ever read as false.
"""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar

from ..errors import Diagnostic, Message, MessageError, Span, suggestion, value_words
from ..facts import FACTS, FactKind, FactSpec, fact_spec, rank
from ..loader import DataPath, LoadedYaml
from ..municipalities import MunicipalityLookupError, municipality_code
from ..vocabulary import closest_value
from .operators import ALLOWED_OPS, OPERATORS, Op, Operand
from .ruleformat import Text

Scalar = bool | int | str
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class ParamRef:
    """A reference to a parameter, replaced by its value when the rule set is resolved."""

    name: str
    span: Span


@dataclass(frozen=True)
class Compare:
    """``fact op value``."""

    fact: str
    op: Op
    value: Value | ParamRef
    span: Span
    #: The parameter the value came from, once resolved (for diffs and the rulebook).
    param: str | None = None


@dataclass(frozen=True)
class RuleRef:
    """The conclusion of another rule (``expect`` true or false)."""

    rule: str
    expect: bool
    span: Span
    via_path: str | None = None


@dataclass(frozen=True)
class All:
    """Every item holds."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True)
class AnyOf:
    """At least one item holds."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True)
class Not:
    """The item does not hold."""

    item: Condition
    span: Span


Condition = Compare | RuleRef | All | AnyOf | Not

A = TypeVar("A")
R = TypeVar("R")


class ConditionVisitor(ABC, Generic[A, R]):
    """A reading of a condition tree: one method per kind of node, which :meth:`visit` picks by
    the node's type (one dict lookup, no isinstance ladder). ``A`` is what each visit is given
    besides the node (a polarity, the facts, ...), ``R`` what it returns. A subclass that reads
    ``all`` and ``any`` alike may say ``visit_any = visit_all``."""

    #: The visit method of each kind of node, filled in for each subclass.
    _methods: ClassVar[dict[type[Any], Callable[..., Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {Compare: cls.visit_compare, RuleRef: cls.visit_rule_ref,
                        Not: cls.visit_not, All: cls.visit_all, AnyOf: cls.visit_any}

    def visit(self, node: Condition, arg: A, /) -> R:
        """Read ``node`` with the method for its kind."""
        method: Callable[[ConditionVisitor[A, R], Condition, A], R] = (
            self._methods[type(node)])
        return method(self, node, arg)

    @abstractmethod
    def visit_compare(self, node: Compare, arg: A, /) -> R: ...

    @abstractmethod
    def visit_rule_ref(self, node: RuleRef, arg: A, /) -> R: ...

    @abstractmethod
    def visit_not(self, node: Not, arg: A, /) -> R: ...

    @abstractmethod
    def visit_all(self, node: All, arg: A, /) -> R: ...

    @abstractmethod
    def visit_any(self, node: AnyOf, arg: A, /) -> R: ...


class ConditionKind(StrEnum):
    """The three kinds of condition Danish social law draws a line between.

    * ``statute``: a condition of the law itself (age, handlekommune, the target groups of
      § 85 and § 82 b, ...). Only the law layer writes them.
    * ``service_level``: a municipality's service level (kvalitetsstandard). It guides but never
      binds: a refusal resting on it is lawful only after a concrete, individual assessment,
      which the profile records under ``assessments.<rule id>``.
    * ``assessment``: a discretionary finding the caseworker makes (can a course improve
      functioning, can open offers meet the need, ...), whose main considerations the decision
      letter must state (forvaltningsloven § 24, stk. 1, 2. pkt.).
    """

    STATUTE = "statute"
    SERVICE_LEVEL = "service_level"
    ASSESSMENT = "assessment"


#: What a requirement that is not met means, in the order of precedence of docs/outcomes.md.
OnFail = Literal["refuse", "refer", "guide", "forward", "close", "investigate"]
ON_FAIL: tuple[str, ...] = ("refuse", "refer", "guide", "forward", "close", "investigate")

# ---------------------------------------------------------------------------------- conclusions

PathSelector = tuple[str, ...] | Literal["all"]


@dataclass(frozen=True)
class Derive:
    """The rule concludes a derived fact (named by the rule id), true or false."""


@dataclass(frozen=True)
class Require:
    """A requirement of one or more grant paths; met when the condition holds.

    ``on_fail`` says what a requirement that is not met means: ``refuse`` (a refusal ground),
    ``refer`` (the need is covered elsewhere; ``refer_to`` says where), ``guide`` (a procedural
    step the applicant can still take: the verdict asks for it, forvaltningsloven § 7),
    ``forward`` (another municipality is the handlekommune: the application is forwarded to the
    municipality in the fact ``forward_to``, forvaltningsloven § 7, stk. 2), ``close`` (the
    application cannot be processed, e.g. the citizen refused consent to someone else's
    application) or ``investigate`` (the facts contradict each other: the municipality must
    investigate before deciding, retssikkerhedsloven § 10).
    """

    paths: PathSelector
    on_fail: OnFail
    refer_to: str | None
    expected: Text | None
    span: Span
    forward_to: str | None = None


@dataclass(frozen=True)
class Refer:
    """A referral: when the condition holds the need is covered elsewhere (``to``).
    ``expected`` says in words what would have to be true for it not to be."""

    paths: PathSelector
    to: str
    span: Span
    expected: Text | None = None


@dataclass(frozen=True)
class Obligation:
    """Something the municipality must do when a path is granted, with its dates."""

    paths: PathSelector
    text: Text
    after_months: tuple[int, ...] | ParamRef
    every_months: int | None
    within_days: int | None
    span: Span
    after_months_param: str | None = None


@dataclass(frozen=True)
class Inform:
    """Information for the citizen when a path is granted (conditions of delivery, cost...)."""

    paths: PathSelector
    text: Text
    span: Span


@dataclass(frozen=True)
class Guidance:
    """Guidance for the citizen whenever the condition holds, whatever the outcome
    (forvaltningsloven § 7): the transition to adult support, the right act to apply under."""

    text: Text
    span: Span


@dataclass(frozen=True)
class Grant:
    """Generated per path: every requirement of the path is met."""

    path: str


Conclusion = Derive | Require | Refer | Obligation | Inform | Guidance | Grant


class ConditionParser:
    """Parses ``when`` and ``then`` of one rule, collecting diagnostics instead of stopping."""

    def __init__(self, loaded: LoadedYaml) -> None:
        self.loaded = loaded
        self.diagnostics: list[Diagnostic] = []

    def _fail(self, code: str, variant: str | None, path: DataPath, /, *, at_key: bool = False,
              **values: Any) -> None:
        self.diagnostics.append(Diagnostic.of(code, variant, self.loaded.span(path, key=at_key),
                                              **values))

    def span(self, path: DataPath) -> Span:
        """The position of the value at ``path``."""
        return self.loaded.span(path)

    # -- conditions -------------------------------------------------------------------------

    def condition(self, raw: Any, path: DataPath, depth: int = 0) -> Condition | None:
        """Parse a condition tree; ``None`` (with diagnostics) if it is malformed."""
        span = self.span(path)
        if depth > 12:
            self._fail("R103", "nested", path, depth=12)
            return None
        if not isinstance(raw, dict):
            self._fail("R103", "condition", path, got=value_words(raw))
            return None
        for combinator in ("all", "any"):
            if combinator in raw:
                if len(raw) != 1:
                    self._extra(raw, (combinator,), path)
                items = raw[combinator]
                if not isinstance(items, list) or not items:
                    self._fail("R103", "combinator", (*path, combinator), key=combinator)
                    return None
                parsed = [self.condition(item, (*path, combinator, i), depth + 1)
                          for i, item in enumerate(items)]
                if any(p is None for p in parsed):
                    return None
                children = tuple(p for p in parsed if p is not None)
                return All(children, span) if combinator == "all" else AnyOf(children, span)
        if "not" in raw:
            if len(raw) != 1:
                self._extra(raw, ("not",), path)
            inner = self.condition(raw["not"], (*path, "not"), depth + 1)
            return None if inner is None else Not(inner, span)
        if "rule" in raw or "granted" in raw:
            return self._rule_ref(raw, path, span)
        if "fact" in raw:
            return self._compare(raw, path, span)
        self._fail("R101", "condition", path, keys=tuple(repr(k)[:60] for k in raw))
        return None

    def _extra(self, raw: dict[str, Any], allowed: tuple[str, ...], path: DataPath) -> None:
        for key in raw:
            if key not in allowed:
                self._fail("R101", "condition_key", (*path, key), at_key=True, key=key,
                           allowed=allowed, suggestion=suggestion(_closest(key, allowed)))

    def _rule_ref(self, raw: dict[str, Any], path: DataPath, span: Span) -> RuleRef | None:
        if "granted" in raw:
            self._extra(raw, ("granted",), path)
            target = raw["granted"]
            if not isinstance(target, str):
                self._fail("R103", "granted", (*path, "granted"), got=value_words(target))
                return None
            return RuleRef(f"grant_{target}", True, span, via_path=target)
        self._extra(raw, ("rule", "is"), path)
        target = raw["rule"]
        expect = raw.get("is", True)
        if not isinstance(target, str):
            self._fail("R103", "rule", (*path, "rule"), got=value_words(target))
            return None
        if not isinstance(expect, bool):
            self._fail("R103", "is", (*path, "is"), got=value_words(expect))
            return None
        return RuleRef(target, expect, span)

    def _compare(self, raw: dict[str, Any], path: DataPath, span: Span) -> Compare | None:
        name = raw["fact"]
        if not isinstance(name, str):
            self._fail("R103", "fact", (*path, "fact"), got=value_words(name))
            return None
        spec = FACTS.get(name)
        if spec is None:
            close = _closest(name, list(FACTS), 0.6)
            if close:
                self._fail("R201", "close", (*path, "fact"), fact=name, suggestion=close)
            else:
                self._fail("R201", "list", (*path, "fact"), fact=name, facts=tuple(FACTS))
            return None
        ops = [k for k in raw if k != "fact"]
        if len(ops) != 1:
            self._fail("R103" if ops else "R102", "operators", path, n=len(ops), fact=name,
                       allowed=tuple(op.value for op in ALLOWED_OPS[spec.kind]))
            return None
        op_name = ops[0]
        try:
            op = Op(op_name)
        except ValueError:
            allowed_ops = sorted(o.value for o in ALLOWED_OPS[spec.kind])
            self._fail("R202", "unknown", (*path, op_name), at_key=True, op=op_name, fact=name,
                       allowed=tuple(allowed_ops),
                       suggestion=suggestion(_closest(op_name, [o.value for o in Op], 0.6)))
            return None
        if op not in ALLOWED_OPS[spec.kind]:
            self._fail("R202", "does_not_fit", (*path, op_name), at_key=True, op=op.value,
                       fact=name, kind=Message.of(f"problems.kinds.{spec.kind.value}"),
                       allowed=tuple(sorted(o.value for o in ALLOWED_OPS[spec.kind])))
            return None
        raw_value = raw[op_name]
        value_path = (*path, op_name)
        if isinstance(raw_value, dict):
            if set(raw_value) != {"param"} or not isinstance(raw_value["param"], str):
                self._fail("R103", "param", value_path)
                return None
            return Compare(name, op, ParamRef(raw_value["param"], self.span(value_path)), span)
        try:
            value = check_value(spec, op, raw_value)
        except InvalidValue as exc:
            self.diagnostics.append(Diagnostic.from_words(
                "R203", self.span(value_path), exc.message, exc.hint or value_hint(spec, op)))
            return None
        return Compare(name, op, value, span)

    # -- conclusions ------------------------------------------------------------------------

    def conclusion(self, raw: Any, path: DataPath) -> Conclusion | None:
        """Parse a ``then`` conclusion."""
        span = self.span(path)
        if raw == "derive":
            return Derive()
        if not isinstance(raw, dict) or len(raw) != 1:
            self._fail("R103", "conclusion", path, got=value_words(raw))
            return None
        kind, body = next(iter(raw.items()))
        body_path = (*path, kind)
        if kind == "derive":
            return Derive()
        if not isinstance(body, dict):
            self._fail("R103", "body", body_path, key=kind, got=value_words(body))
            return None
        if kind == "require":
            return self._require(body, body_path, span)
        if kind == "refer":
            self._keys(body, {"to", "paths", "expected"}, {"to"}, body_path)
            to = body.get("to")
            if not isinstance(to, str):
                self._fail("R103", "referral", (*body_path, "to"), key="to", got=value_words(to))
                return None
            expected = None
            if "expected" in body:
                expected = self._text(body["expected"], (*body_path, "expected"))
            return Refer(self._paths(body, body_path), to, span, expected)
        if kind == "obligation":
            return self._obligation(body, body_path, span)
        if kind == "inform":
            self._keys(body, {"text", "paths"}, {"text", "paths"}, body_path)
            text = self._text(body.get("text"), (*body_path, "text"))
            return None if text is None else Inform(self._paths(body, body_path), text, span)
        if kind == "guidance":
            self._keys(body, {"text"}, {"text"}, body_path)
            text = self._text(body.get("text"), (*body_path, "text"))
            return None if text is None else Guidance(text, span)
        self._fail("R101", "conclusion", path, kind=kind,
                   suggestion=suggestion(_closest(kind, _CONCLUSIONS)))
        return None

    def _require(self, body: dict[str, Any], path: DataPath, span: Span) -> Require | None:
        self._keys(body, {"paths", "on_fail", "refer_to", "forward_to", "expected"}, {"paths"},
                   path)
        on_fail = body.get("on_fail", "refuse")
        if on_fail not in ON_FAIL:
            self._fail("R104", "on_fail", (*path, "on_fail"), value=on_fail, allowed=ON_FAIL,
                       suggestion=suggestion(_closest(on_fail, ON_FAIL)))
            return None
        forward_to = body.get("forward_to")
        if (on_fail == "forward") != (forward_to is not None):
            self._fail("R102" if on_fail == "forward" else "R101", "forward_to", path)
            return None
        if forward_to is not None:
            spec = FACTS.get(forward_to) if isinstance(forward_to, str) else None
            if spec is None or spec.kind is not FactKind.MUNICIPALITY:
                self._fail("R104", "forward_to", (*path, "forward_to"), value=forward_to,
                           facts=tuple(n for n, f in FACTS.items()
                                       if f.kind is FactKind.MUNICIPALITY))
                return None
        refer_to = body.get("refer_to")
        if (on_fail == "refer") != (refer_to is not None):
            self._fail("R102" if on_fail == "refer" else "R101", "refer_to", path)
            return None
        if refer_to is not None and not isinstance(refer_to, str):
            self._fail("R103", "referral", (*path, "refer_to"), key="refer_to",
                       got=value_words(refer_to))
            return None
        expected = None
        if "expected" in body:
            expected = self._text(body["expected"], (*path, "expected"))
        return Require(self._paths(body, path), on_fail, refer_to, expected, span, forward_to)

    def _obligation(self, body: dict[str, Any], path: DataPath, span: Span) -> Obligation | None:
        self._keys(body, {"paths", "text", "after_months", "every_months", "within_days"},
                   {"paths", "text"}, path)
        text = self._text(body.get("text"), (*path, "text"))
        after: tuple[int, ...] | ParamRef = ()
        raw_after = body.get("after_months")
        if isinstance(raw_after, dict) and set(raw_after) == {"param"}:
            after = ParamRef(str(raw_after["param"]), self.span((*path, "after_months")))
        elif raw_after is not None:
            if not (isinstance(raw_after, list) and raw_after
                    and all(_is_int(m) and 0 < m <= 120 for m in raw_after)):
                self._fail("R103", "after_months", (*path, "after_months"))
                return None
            after = tuple(raw_after)
        every = body.get("every_months")
        within = body.get("within_days")
        for key, value in (("every_months", every), ("within_days", within)):
            if value is not None and not (_is_int(value) and 0 < value <= 366):
                self._fail("R103", "days", (*path, key), key=key)
                return None
        if text is None:
            return None
        return Obligation(self._paths(body, path), text, after, every, within, span)

    def _keys(self, body: dict[str, Any], allowed: set[str], required: set[str],
              path: DataPath) -> None:
        for key in body:
            if key not in allowed:
                self._fail("R101", "key", (*path, key), at_key=True, key=key,
                           allowed=tuple(sorted(allowed)),
                           suggestion=suggestion(_closest(key, allowed)))
        for key in sorted(required - set(body)):
            self._fail("R102", "key", path, key=key)

    def _paths(self, body: dict[str, Any], path: DataPath) -> PathSelector:
        raw = body.get("paths", "all")
        if raw == "all":
            return "all"
        if isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
            return tuple(raw)
        self._fail("R103", "paths", (*path, "paths"), got=value_words(raw))
        return "all"

    def _text(self, raw: Any, path: DataPath) -> Text | None:
        if (isinstance(raw, dict) and set(raw) == {"da", "en"}
                and all(isinstance(v, str) for v in raw.values())):
            return Text(da=raw["da"], en=raw["en"])
        self._fail("R103", "text", path, got=value_words(raw))
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: The conclusions a rule may draw (``then:``).
_CONCLUSIONS: Final = ("derive", "require", "refer", "obligation", "inform", "guidance")


def _closest(name: object, options: Iterable[str], cutoff: float = 0.7) -> str | None:
    """The option ``name`` is most likely a misspelling of, if any."""
    if not isinstance(name, str):
        return None
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=cutoff)
    return close[0] if close else None


#: What :func:`holds` reads: the facts and the rule results.
_FactsAndResults = tuple[Mapping[str, Any], Mapping[str, bool]]


class _Holds(ConditionVisitor[_FactsAndResults, "bool | None"]):
    """The verdict builder's reading of a condition (which parts hold, which facts are
    missing). The reference interpreter (reference.py) deliberately has its own reading of the
    tree: it is the test oracle of the compiled network, and a bug shared by both could not be
    seen by comparing them (tests/test_oracle.py). Only the meaning of each operator, one
    entry of the operator table, is common to both."""

    def visit_compare(self, node: Compare, known: _FactsAndResults, /) -> bool | None:
        value = known[0].get(node.fact)
        entry = OPERATORS[node.op]
        if value is None and not entry.reads_unknown:
            return None
        expected: Any = node.value
        if entry.ordered and fact_spec(node.fact).kind is FactKind.ORDINAL:
            spec = fact_spec(node.fact)
            value, expected = rank(spec, value), rank(spec, expected)
            if value is None or expected is None:
                return None  # 'not_assessed' has no rank
        return entry.meaning(value, expected)

    def visit_rule_ref(self, node: RuleRef, known: _FactsAndResults, /) -> bool | None:
        result = known[1].get(node.rule)
        return None if result is None else result is node.expect

    def visit_not(self, node: Not, known: _FactsAndResults, /) -> bool | None:
        inner = self.visit(node.item, known)
        return None if inner is None else not inner

    def visit_all(self, node: All, known: _FactsAndResults, /) -> bool | None:
        parts = [self.visit(item, known) for item in node.items]
        return False if False in parts else None if None in parts else True

    def visit_any(self, node: AnyOf, known: _FactsAndResults, /) -> bool | None:
        parts = [self.visit(item, known) for item in node.items]
        return True if True in parts else None if None in parts else False


_HOLDS: Final = _Holds()


def holds(condition: Condition, facts: Mapping[str, Any],
          results: Mapping[str, bool]) -> bool | None:
    """Whether a condition holds on these facts and rule results, in three-valued (Kleene)
    logic: ``None`` when unknown facts or undetermined rules leave it open."""
    return _HOLDS.visit(condition, (facts, results))


class InvalidValue(MessageError):
    """A constant in a condition does not fit its fact; the message says why (R203)."""


def check_value(spec: FactSpec, op: Op, raw: Any) -> Value:
    """Check a constant against a fact; return the normalised value.

    Raises:
        InvalidValue: the constant does not fit the fact or the operator.
    """
    operand = OPERATORS[op].operand
    if operand is Operand.FLAG:
        if not isinstance(raw, bool):
            raise InvalidValue.of("R203", "flag", op=op.value, got=value_words(raw))
        return raw
    if operand is Operand.LIST:
        if not isinstance(raw, list) or not raw:
            raise InvalidValue.of("R203", "list", op=op.value, got=value_words(raw))
        return tuple(sorted({check_scalar(spec, op, item) for item in raw}, key=str))
    if isinstance(raw, list):
        raise InvalidValue.of("R203", "single", op=op.value)
    return check_scalar(spec, op, raw)


def check_scalar(spec: FactSpec, op: Op, raw: Any) -> Scalar:
    """Check one scalar value against a fact (see :func:`check_value`)."""
    if spec.kind is FactKind.BOOL:
        if not isinstance(raw, bool):
            raise InvalidValue.of("R203", "bool", fact=spec.name, got=value_words(raw))
        return raw
    if spec.kind is FactKind.INT:
        if not _is_int(raw):
            raise InvalidValue.of("R203", "int", fact=spec.name, got=value_words(raw))
        return int(raw)
    if spec.kind is FactKind.MUNICIPALITY:
        if raw == "none" and spec.name.endswith("placed_by_municipality"):
            return "none"
        try:
            return municipality_code(raw)
        except MunicipalityLookupError as exc:
            raise InvalidValue(exc.message, exc.hint) from None
    if not isinstance(raw, str):
        raise InvalidValue.of("R203", "value_type", got=value_words(raw), fact=spec.name,
                              values=spec.values)
    if raw not in spec.values:
        raise InvalidValue.of("R203", "value", value=raw[:60], fact=spec.name,
                              values=spec.values,
                              suggestion=suggestion(closest_value(raw, spec.values)))
    if OPERATORS[op].ordered and raw == "not_assessed":
        raise InvalidValue.of("R203", "no_rank", value=raw, op=op.value)
    return raw


def value_hint(spec: FactSpec, op: Op) -> Message:
    """What values fit a fact."""
    if spec.kind is FactKind.BOOL or OPERATORS[op].operand is Operand.FLAG:
        return Message.of("problems.value_hints.bool")
    if spec.kind is FactKind.INT:
        return Message.of("problems.value_hints.int")
    if spec.kind is FactKind.MUNICIPALITY:
        return Message.of("problems.value_hints.municipality")
    return Message.of("problems.value_hints.values", fact=spec.name, values=spec.values)


class _Nodes(ConditionVisitor[None, Iterator[Condition]]):
    """Every node of a condition tree, depth first."""

    def visit_compare(self, node: Compare, _: None, /) -> Iterator[Condition]:
        yield node

    def visit_rule_ref(self, node: RuleRef, _: None, /) -> Iterator[Condition]:
        yield node

    def visit_not(self, node: Not, _: None, /) -> Iterator[Condition]:
        yield node
        yield from self.visit(node.item, None)

    def visit_all(self, node: All | AnyOf, _: None, /) -> Iterator[Condition]:
        yield node
        for item in node.items:
            yield from self.visit(item, None)

    visit_any = visit_all


_NODES: Final = _Nodes()


def walk(condition: Condition) -> Iterator[Condition]:
    """Every node of a condition tree, depth first."""
    return _NODES.visit(condition, None)


def facts_read(condition: Condition) -> tuple[str, ...]:
    """The facts a condition compares, in order of first appearance."""
    seen: dict[str, None] = {}
    for node in walk(condition):
        if isinstance(node, Compare):
            seen.setdefault(node.fact)
    return tuple(seen)


def rules_read(condition: Condition) -> tuple[str, ...]:
    """The rules whose conclusions a condition reads."""
    seen: dict[str, None] = {}
    for node in walk(condition):
        if isinstance(node, RuleRef):
            seen.setdefault(node.rule)
    return tuple(seen)
