"""Compare rule sets: two municipalities, or two versions of one rule set.

"What does this municipality do differently?" gets a mechanical answer: parameters changed,
rules added, removed, overridden or changed, paths offered, support areas and referral
targets. With more than two rule sets the result is a side-by-side comparison table.

The kinds of change (:attr:`Change.kind`) are stable identifiers; the documents
(:func:`diff_document`, :func:`comparison_document`) show them, and every heading, in Danish or
English from the text catalogue, rendered as Markdown, HTML or text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..lang.describe import describe
from ..ruleset.fingerprint import canonical
from ..ruleset.resolve import ResolvedRule, ResolvedRuleSet
from ..texts import text
from .documents import Code, Document, Format, Inline, Strong, fill, join, render, runs


def _unparametrised(value: Any) -> Any:
    """Canonical content with parameter values replaced by the parameter's name: a changed
    parameter is reported once, as a parameter, not again for every rule that reads it."""
    if isinstance(value, dict):
        if value.get("__type__") == "Compare" and value.get("param"):
            value = {**value, "value": {"param": value["param"]}}
        if value.get("__type__") == "Obligation" and value.get("after_months_param"):
            value = {**value, "after_months": {"param": value["after_months_param"]}}
        return {k: _unparametrised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unparametrised(v) for v in value]
    return value


def _rule_content(rule: ResolvedRule) -> str:
    data = _unparametrised(canonical(rule))
    for key in ("depth", "quote_spans"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "—" if value is None else str(value)


@dataclass
class Change:
    """One difference between two rule sets."""

    #: What changed, a stable identifier: ``municipality``, ``paths``, ``parameter``,
    #: ``rule added``/``removed``/``changed``/``overridden``, ``override removed``,
    #: ``support area``/``referral``/``delivery form`` ``added``/``removed``.
    kind: str
    name: str
    #: The values and texts, in the language the diff was made in.
    before: str = ""
    after: str = ""
    detail: str = ""


@dataclass
class RuleSetDiff:
    """The differences between rule set ``a`` and rule set ``b``."""

    a: str
    b: str
    changes: list[Change] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Change]:
        """The changes of one kind."""
        return [c for c in self.changes if c.kind == kind]


def _what_changed(old: ResolvedRule, new: ResolvedRule) -> list[str]:
    parts = []
    if _unparametrised(canonical(old.condition)) != _unparametrised(canonical(new.condition)):
        parts.append("condition")
    if (_unparametrised(canonical(old.conclusion)) != _unparametrised(canonical(new.conclusion))
            or old.paths != new.paths):
        parts.append("conclusion")
    if old.legal_basis != new.legal_basis:
        parts.append("legal_basis")
    if old.title != new.title or old.note != new.note:
        parts.append("text")
    if old.layer != new.layer:
        parts.append("layer")
    return parts or ["content"]


def _aspects(parts: list[str], old: ResolvedRule, new: ResolvedRule, lang: str) -> str:
    """What changed in a rule, in words: ``condition, legal basis``."""
    return ", ".join(
        text("diff.aspects.layer", lang, before=text(f"rulebook.layers.{old.layer}", lang),
             after=text(f"rulebook.layers.{new.layer}", lang)) if part == "layer"
        else text(f"diff.aspects.{part}", lang) for part in parts)


def diff_rulesets(a: ResolvedRuleSet, b: ResolvedRuleSet, lang: str = "en") -> RuleSetDiff:
    """Every difference between two resolved rule sets."""
    # One rule set on two dates: each side is named by its version's period.
    same = a.id == b.id and a.period != b.period
    result = RuleSetDiff(f"{a.id} ({a.period.words(lang)})" if same else a.id,
                         f"{b.id} ({b.period.words(lang)})" if same else b.id)
    add = result.changes.append
    if a.municipality_code != b.municipality_code:
        add(Change("municipality", "municipality", f"{a.municipality_name} "
                   f"({a.municipality_code})", f"{b.municipality_name} ({b.municipality_code})"))
    if a.offered_paths != b.offered_paths:
        add(Change("paths", "offered paths", _show(a.offered_paths), _show(b.offered_paths)))
    for name in sorted(set(a.parameters) | set(b.parameters)):
        pa, pb = a.parameters.get(name), b.parameters.get(name)
        if name == "municipality_code":
            continue
        va = None if pa is None else pa.value
        vb = None if pb is None else pb.value
        if va != vb:
            add(Change("parameter", name, _show(va), _show(vb)))

    def title(rs: ResolvedRuleSet) -> Any:
        return lambda rid, lg: rs.rule(rid).title.get(lg) if rs.has_rule(rid) else rid

    ids_a = {r.id for r in a.rules}
    ids_b = {r.id for r in b.rules}
    for rule in b.rules:
        if rule.id not in ids_a:
            add(Change("rule added", rule.id, after=rule.title.get(lang),
                       detail=describe(rule.condition, lang, title(b))))
    for rule in a.rules:
        if rule.id not in ids_b:
            add(Change("rule removed", rule.id, before=rule.title.get(lang),
                       detail=describe(rule.condition, lang, title(a))))
    for rule in b.rules:
        if rule.id not in ids_a:
            continue
        old = a.rule(rule.id)
        if _rule_content(old) == _rule_content(rule):
            continue
        if rule.override is not None and old.override is None:
            add(Change("rule overridden", rule.id, before=describe(old.condition, lang, title(a)),
                       after=describe(rule.condition, lang, title(b)),
                       detail=rule.override.reason.get(lang)))
        elif old.override is not None and rule.override is None:
            add(Change("override removed", rule.id, before=describe(old.condition, lang,
                                                                    title(a)),
                       after=describe(rule.condition, lang, title(b))))
        else:
            parts = _what_changed(old, rule)
            before = after = ""
            if "condition" in parts:
                before = describe(old.condition, lang, title(a))
                after = describe(rule.condition, lang, title(b))
            add(Change("rule changed", rule.id, before=before, after=after,
                       detail=_aspects(parts, old, rule, lang)))
    for kind, ta, tb in (("support area", a.support_areas, b.support_areas),
                         ("referral", a.referrals, b.referrals),
                         ("delivery form", a.delivery_forms, b.delivery_forms)):
        for name in sorted(set(ta) | set(tb)):
            if name not in ta:
                add(Change(f"{kind} added", name, after=tb[name].title.get(lang)))
            elif name not in tb:
                add(Change(f"{kind} removed", name, before=ta[name].title.get(lang)))
    return result


def _kind(kind: str, lang: str) -> str:
    """A change kind in words: ``rule removed`` → ``regel fjernet``."""
    return text(f"diff.kinds.{kind.replace(' ', '_')}", lang)


def _name(change: Change, lang: str) -> Inline:
    if change.kind in ("municipality", "paths"):
        return text(f"diff.names.{change.kind}", lang)
    return Code(change.name)


def _value(change: Change, value: str) -> Inline:
    """Values of parameters and paths are identifiers, shown as code."""
    if change.kind in ("parameter", "paths") and value and value != "—":
        return Code(value)
    return value


def diff_document(diff: RuleSetDiff, lang: str = "en") -> Document:
    """A two-way diff as a :class:`~spstotte.render.documents.Document`: a table of the changes."""
    title = fill(text("diff.title", lang), a=Code(diff.a), b=Code(diff.b))
    doc = Document(title="".join(title), lang=lang)
    doc.h(1, title)
    if not diff.changes:
        doc.p(text("diff.none", lang))
        return doc
    doc.p(text("diff.count", lang, n=len(diff.changes)))
    doc.table([text(f"diff.columns.{c}", lang)
               for c in ("change", "name", "before", "after", "detail")],
              [[_kind(c.kind, lang), _name(c, lang), _value(c, c.before), _value(c, c.after),
                c.detail]
               for c in diff.changes])
    return doc


def diff_markdown(diff: RuleSetDiff, lang: str = "en", fmt: Format = "markdown") -> str:
    """A two-way diff as a table: Markdown (or ``fmt`` ``"html"``, ``"text"``), with headings
    and change kinds in ``lang``. The diff's own texts are in the language it was made in
    (:func:`diff_rulesets`)."""
    return render(diff_document(diff, lang), fmt)


def comparison_document(rulesets: Sequence[ResolvedRuleSet], lang: str = "en") -> Document:
    """Several rule sets side by side as a :class:`~spstotte.render.documents.Document`: paths,
    parameters, which rules each has, the overrides, and the support areas."""
    def t(key: str, **values: object) -> str:
        return text(f"diff.comparison.{key}", lang, **values)

    names = [rs.id for rs in rulesets]
    doc = Document(title=t("title", names=", ".join(names)), lang=lang)
    doc.h(1, doc.title)
    doc.p(fill(t("generated"), command=Code("spstotte diff " + " ".join(names))))
    header: list[Inline] = ["", *(Code(n) for n in names)]
    doc.h(2, t("municipalities"))
    doc.table(header, [
        [t("municipality"), *(f"{rs.municipality_name} ({rs.municipality_code})"
                              for rs in rulesets)],
        [t("paths_offered"), *(join(Code(p) for p in rs.offered_paths) or "—"
                               for rs in rulesets)],
        [t("rule_count"), *(str(len(rs.rules)) for rs in rulesets)],
    ])
    doc.h(2, t("parameters"))
    params = sorted({p for rs in rulesets for p in rs.parameters} - {"municipality_code"})
    doc.table(header, [
        [Code(name), *(Code(_show(rs.parameters[name].value)) if name in rs.parameters
                       else "—" for rs in rulesets)] for name in params])
    doc.h(2, t("rules"))
    doc.p(fill(t("legend"), m=Strong("M"), o=Strong("O")))
    ids: dict[str, str] = {}
    for rs in rulesets:
        for rule in rs.rules:
            ids.setdefault(rule.id, rule.title.get(lang))

    def mark(rs: ResolvedRuleSet, rule_id: str) -> Inline:
        if not rs.has_rule(rule_id):
            return "—"
        rule = rs.rule(rule_id)
        if rule.override is not None:
            return Strong("O")
        return Strong("M") if rule.layer == "municipality" else "✓"

    doc.table([t("rule"), *header[1:]], [
        [runs(Code(rule_id), " ", rule_title), *(mark(rs, rule_id) for rs in rulesets)]
        for rule_id, rule_title in sorted(ids.items())])
    overrides = [(rs.id, r) for rs in rulesets for r in rs.rules if r.override is not None]
    if overrides:
        doc.h(2, t("overrides"))
        doc.ul(fill(t("override"), ruleset=Code(name), rule=Code(rule.id),
                    reason=rule.override.reason.get(lang))
               for name, rule in overrides if rule.override is not None)
    doc.h(2, t("support_areas"))
    vocabulary = sorted({c for rs in rulesets for a in rs.support_areas.values() for c in a.covers})
    doc.table(header, [
        [Code(area), *(join(Code(name) for name, a in rs.support_areas.items()
                            if area in a.covers) or "—" for rs in rulesets)]
        for area in vocabulary])
    return doc


def comparison_markdown(rulesets: Sequence[ResolvedRuleSet], lang: str = "en",
                        fmt: Format = "markdown") -> str:
    """Several rule sets side by side: Markdown (or ``fmt`` ``"html"``, ``"text"``), in
    ``lang``."""
    return render(comparison_document(rulesets, lang), fmt)
