"""Conditions and legal references in words, in Danish and English.

Used for "what would have to be true" in verdicts, for decision texts and for the rulebook, so
that no text is written by hand per outcome or per municipality.
"""

from __future__ import annotations

from collections.abc import Callable

from .conditions import All, AnyOf, Compare, Condition, Not, Op, RuleRef
from .facts import fact_spec
from .ruleformat import Act, LawRef

_OPS = {
    Op.EQ: ("er", "is"), Op.NE: ("er ikke", "is not"),
    Op.LT: ("er under", "is below"), Op.LTE: ("er højst", "is at most"),
    Op.GT: ("er over", "is above"), Op.GTE: ("er mindst", "is at least"),
    Op.IN: ("er en af", "is one of"), Op.NOT_IN: ("er ikke en af", "is not one of"),
    Op.CONTAINS: ("omfatter", "includes"), Op.CONTAINS_ANY: ("omfatter mindst én af",
                                                             "includes at least one of"),
    Op.CONTAINS_ALL: ("omfatter alle af", "includes all of"),
}

RuleTitle = Callable[[str, str], str]


def describe(condition: Condition, lang: str, rule_title: RuleTitle,
             negate: bool = False) -> str:
    """The condition in words. ``rule_title(rule_id, lang)`` names referenced rules."""
    da = lang == "da"
    if isinstance(condition, Not):
        return describe(condition.item, lang, rule_title, not negate)
    if isinstance(condition, Compare):
        return _compare(condition, lang, negate)
    if isinstance(condition, RuleRef):
        title = rule_title(condition.rule, lang)
        if condition.via_path is not None:
            title += " er bevilget" if da else " is granted"
        positive = condition.expect != negate
        if positive:
            return title[:1].lower() + title[1:] if title else condition.rule
        return (f"ikke: {title[:1].lower() + title[1:]}" if da
                else f"not: {title[:1].lower() + title[1:]}")
    assert isinstance(condition, (All, AnyOf))
    if not condition.items:  # an empty 'all' is true, an empty 'any' false
        truth = isinstance(condition, All) != negate
        return ("altid" if truth else "aldrig") if da else ("always" if truth else "never")
    conjunctive = isinstance(condition, All) != negate
    joiner = (" og " if da else " and ") if conjunctive else (" eller " if da else " or ")
    parts = []
    for item in condition.items:
        text = describe(item, lang, rule_title, negate)
        inner = item.item if isinstance(item, Not) else item
        if len(condition.items) > 1 and isinstance(inner, (All, AnyOf)) and len(inner.items) > 1:
            text = f"({text})"  # a nested group: keep its grouping visible
        parts.append(text)
    return joiner.join(parts)


def _compare(node: Compare, lang: str, negate: bool) -> str:
    spec = fact_spec(node.fact)
    da = lang == "da"
    name = spec.da if da else spec.en
    op = node.op
    if op is Op.KNOWN:
        known = bool(node.value) != negate
        if da:
            return f"{name} er oplyst" if known else f"{name} er ikke oplyst"
        return f"{name} is known" if known else f"{name} is not known"
    if negate:
        op = {Op.EQ: Op.NE, Op.NE: Op.EQ, Op.LT: Op.GTE, Op.GTE: Op.LT, Op.LTE: Op.GT,
              Op.GT: Op.LTE, Op.IN: Op.NOT_IN, Op.NOT_IN: Op.IN}.get(op, op)
        if op in (Op.CONTAINS, Op.CONTAINS_ANY, Op.CONTAINS_ALL):
            prefix = "det er ikke sådan, at " if da else "it is not the case that "
            return prefix + _compare(node, lang, False)
    value = node.value
    if isinstance(value, tuple):
        # Labels may contain 'eller'/'or' themselves: list them after a colon, with semicolons.
        shown = "; ".join(spec.value_label(v, lang) for v in value)
        verb = _OPS[op][0 if da else 1]
        return f"{name} {verb}: {shown}"
    else:
        shown = spec.value_label(value, lang)
    verb = _OPS[op][0 if da else 1]
    if spec.kind.value == "bool" and op in (Op.EQ, Op.NE):
        positive = (value is True) == (op is Op.EQ)
        if positive:
            return name
        return f"ikke: {name}" if da else f"not: {name}"
    return f"{name} {verb} {shown}"


def law_citation(ref: LawRef, act: Act | None) -> str:
    """``serviceloven § 85, stk. 1`` (Danish citation form)."""
    short = act.short if act else ref.act
    text = f"{short} § {ref.section}"
    if ref.stk is not None:
        text += f", stk. {ref.stk}"
    if ref.nr is not None:
        text += f", nr. {ref.nr}"
    return text
