"""Conditions and legal references in words, in Danish and English.

Used for "what would have to be true" in verdicts, for decision texts and for the rulebook, so
that no text is written by hand per outcome or per municipality.
"""

from __future__ import annotations

from collections.abc import Callable

from ..facts import fact_spec
from ..texts import text
from .conditions import All, AnyOf, Compare, Condition, ConditionVisitor, Not, RuleRef
from .operators import OPERATORS, Op, Operand
from .ruleformat import Act, LawRef

RuleTitle = Callable[[str, str], str]


def describe(condition: Condition, lang: str, rule_title: RuleTitle,
             negate: bool = False) -> str:
    """The condition in words. ``rule_title(rule_id, lang)`` names referenced rules."""
    return _Words(lang, rule_title).visit(condition, negate)


class _Words(ConditionVisitor[bool, str]):
    """A condition in words, or (``negate``) what it means that it does not hold."""

    def __init__(self, lang: str, rule_title: RuleTitle) -> None:
        self.lang = lang
        self.rule_title = rule_title

    def visit_not(self, node: Not, negate: bool, /) -> str:
        return self.visit(node.item, not negate)

    def visit_compare(self, node: Compare, negate: bool, /) -> str:
        return _compare(node, self.lang, negate)

    def visit_rule_ref(self, node: RuleRef, negate: bool, /) -> str:
        title = self.rule_title(node.rule, self.lang)
        if node.via_path is not None:
            title = text("conditions.granted", self.lang, title=title)
        if node.expect != negate:
            return title[:1].lower() + title[1:] if title else node.rule
        return text("conditions.not", self.lang, text=title[:1].lower() + title[1:])

    def visit_all(self, node: All | AnyOf, negate: bool, /) -> str:
        lang = self.lang
        if not node.items:  # an empty 'all' is true, an empty 'any' false
            truth = isinstance(node, All) != negate
            return text("conditions.always" if truth else "conditions.never", lang)
        conjunctive = isinstance(node, All) != negate
        joiner = f" {text('conditions.and' if conjunctive else 'conditions.or', lang)} "
        parts = []
        for item in node.items:
            words = self.visit(item, negate)
            inner = item.item if isinstance(item, Not) else item
            if len(node.items) > 1 and isinstance(inner, (All, AnyOf)) and len(inner.items) > 1:
                words = f"({words})"  # a nested group: keep its grouping visible
            parts.append(words)
        return joiner.join(parts)

    visit_any = visit_all


def _compare(node: Compare, lang: str, negate: bool) -> str:
    spec = fact_spec(node.fact)
    da = lang == "da"
    name = spec.da if da else spec.en
    op = node.op
    entry = OPERATORS[op]
    if entry.operand is Operand.FLAG:  # known: true / known: false
        flag = bool(node.value) != negate
        assert entry.words_false is not None
        return f"{name} {text(entry.words if flag else entry.words_false, lang)}"
    if negate:
        if entry.negation is None:  # no operator of its own: 'it is not the case that ...'
            return text("conditions.not_the_case", lang, text=_compare(node, lang, False))
        op = entry.negation
        entry = OPERATORS[op]
    value = node.value
    verb = text(entry.words, lang)
    if isinstance(value, tuple):
        # Labels may contain 'eller'/'or' themselves: list them after a colon, with semicolons.
        shown = "; ".join(spec.value_label(v, lang) for v in value)
        return f"{name} {verb}: {shown}"
    if spec.kind.value == "bool" and op in (Op.EQ, Op.NE):
        if (value is True) == (op is Op.EQ):
            return name
        return text("conditions.not", lang, text=name)
    return f"{name} {verb} {spec.value_label(value, lang)}"


def law_citation(ref: LawRef, act: Act | None) -> str:
    """``serviceloven § 85, stk. 1`` (Danish citation form)."""
    short = act.short if act else ref.act
    text = f"{short} § {ref.section}"
    if ref.stk is not None:
        text += f", stk. {ref.stk}"
    if ref.nr is not None:
        text += f", nr. {ref.nr}"
    return text
