"""The rulebook: a municipality's resolved rule set written out for people.

Parameters with their values and legal basis; each rule in plain words (its condition, what
follows, its legal basis and verbatim quotes, and what it overrides in the law layer and why);
support areas, delivery forms, referral targets and recorded differences between texts.
Built as a :class:`~spstotte.render.documents.Document` and rendered from the document templates as
Markdown, HTML or text, in Danish or English; every word comes from the text catalogue, and
values (support-need levels, social problems, paths, yes/no) are shown with their labels.
"""

from __future__ import annotations

from typing import Any

from ..facts import FactSpec
from ..lang.conditions import Derive, Grant, Guidance, Inform, Obligation, Refer, Require
from ..lang.describe import describe, law_citation
from ..lang.ruleformat import LegalBasis
from ..ruleset.resolve import _PARAM_KIND, ResolvedParameter, ResolvedRule, ResolvedRuleSet
from ..texts import text
from ..vocabulary import LABELS, SupportArea
from .documents import Code, Document, Format, Inline, Strong, fill, join, render, runs

#: The order of the rule kinds in the rulebook.
_KINDS = ("derive", "require", "refer", "grant", "obligation", "inform", "guidance")


def parameter_value(ruleset: ResolvedRuleSet, param: ResolvedParameter, lang: str) -> str:
    """A parameter's value in words: labels for scales, social problems and municipalities,
    path titles for paths, yes/no for a yes/no parameter.

    >>> from spstotte import RuleLibrary
    >>> ruleset = RuleLibrary().ruleset(265)
    >>> parameter_value(ruleset, ruleset.parameters["min_support_need"], "da")
    'moderat støttebehov'
    >>> parameter_value(ruleset, ruleset.parameters["offers_82b"], "en")
    'no'
    """
    def one(value: Any) -> str:
        if param.type == "path_list" and value in ruleset.paths:
            return ruleset.paths[value].title.get(lang)
        kind, vocabulary = _PARAM_KIND.get(param.type, (None, None))
        if kind is None:
            return str(value)
        return FactSpec(param.name, kind, "", "", vocabulary).value_label(value, lang)

    value = param.value
    if value is None:
        return "—"
    if isinstance(value, (tuple, list)):
        # Labels may contain commas themselves ("administration, post og økonomi").
        separator = ", " if param.type == "int_list" else "; "
        return separator.join(one(v) for v in value) or text("values.none", lang)
    return one(value)


class _Book:
    def __init__(self, ruleset: ResolvedRuleSet, lang: str) -> None:
        self.rs = ruleset
        self.lang = lang
        self.doc = Document(title=ruleset.title.get(lang), lang=lang)

    def t(self, key: str, **values: object) -> str:
        return text(f"rulebook.{key}", self.lang, **values)

    def title(self, rule_id: str, lang: str) -> str:
        return self.rs.rule(rule_id).title.get(lang) if self.rs.has_rule(rule_id) else rule_id

    def basis(self, basis: LegalBasis | None) -> list[Inline]:
        if basis is None:
            return []
        out: list[Inline] = [law_citation(ref, self.rs.acts.get(ref.act)) for ref in basis.law]
        for ref in basis.sources:
            if not self.rs.cites(ref.source):
                continue  # adopted after this version of the rule set began
            doc = self.rs.sources[ref.source]
            quote = " ".join(ref.quote.split())
            out.append(runs(f"{doc.publisher}, »{doc.title}« ({doc.date}, ", Code(doc.file),
                            f"), {ref.section}: »{quote}«"))
        return out

    def conclusion(self, rule: ResolvedRule) -> str:
        c = rule.conclusion
        rs = self.rs
        if isinstance(c, Derive):
            return self.t("derived")
        if isinstance(c, Require):
            paths = ", ".join(rs.paths[p].title.get(self.lang) for p in rule.paths)
            return self.t("requirement", paths=paths, effect=self.t(f"effects.{c.on_fail}"))
        if isinstance(c, Refer):
            return self.t("referral", target=rs.referrals[c.to].title.get(self.lang))
        if isinstance(c, Grant):
            return self.t("grant", path=rs.paths[c.path].title.get(self.lang))
        assert isinstance(c, (Obligation, Inform, Guidance))
        said = c.text.get(self.lang)
        if isinstance(c, Obligation):
            when = []
            if isinstance(c.after_months, tuple) and c.after_months:
                when.append(self.t("after_months", months=", ".join(map(str, c.after_months))))
            if c.every_months:
                when.append(self.t("every_months", n=c.every_months))
            if c.within_days:
                when.append(self.t("within_days", n=c.within_days))
            if when:
                said += " (" + "; ".join(when) + ")"
        return said

    def label(self, key: str) -> Strong:
        return Strong(self.t(key) + ":")

    def write(self) -> Document:
        rs, d, lang = self.rs, self.doc, self.lang
        d.h(1, d.title)
        d.p(fill(self.t("header"), name=rs.municipality_name, code=str(rs.municipality_code),
                 ruleset=Code(rs.id), hash=Code(rs.content_hash)))
        d.p(fill(self.t("files"), files=join(Code(f) for f in rs.files)))
        d.h(2, self.t("paths"))
        items: list[Inline] = []
        for path_id in rs.offered_paths:
            path = rs.paths[path_id]
            items.append(runs(Strong(path.title.get(lang)), " (", Code(path_id), ")",
                              self.t("at_most_months", n=path.max_months)
                              if path.max_months else ""))
        for path_id in (p for p in rs.paths if p not in rs.offered_paths):
            items.append(runs(rs.paths[path_id].title.get(lang), " (", Code(path_id), ") ",
                              self.t("not_offered")))
        d.ul(items)
        d.h(2, self.t("parameters"))
        d.table([self.t(f"parameter_columns.{c}")
                 for c in ("name", "value", "meaning", "set_by", "legal_basis")],
                [[Code(name), parameter_value(rs, param, lang),
                  param.title.get(lang) if param.title else "",
                  self.t(f"layers.{param.set_by}"),
                  join(self.basis(param.legal_basis), "; ") or "—"]
                 for name, param in rs.parameters.items()])
        d.h(2, self.t("rules"))
        d.p(self.t("rules_intro"))
        for kind in _KINDS:
            rules = [r for r in rs.rules if r.kind == kind]
            if rules:
                d.h(3, self.t(f"kinds.{kind}"))
                for rule in rules:
                    self.rule(rule)
        if rs.referrals:
            d.h(2, self.t("referral_targets"))
            d.ul(runs(Code(name), ": ", referral.title.get(lang))
                 for name, referral in rs.referrals.items())
        if rs.support_areas:
            d.h(2, self.t("support_areas"))
            for name, area in rs.support_areas.items():
                d.h(3, area.title.get(lang))
                covers = "; ".join(_area_label(c, lang) for c in area.covers)
                d.p(runs(Code(name), " · ", self.t("covers", areas=covers)))
                d.ul([*area.examples,
                      *(f"{self.t('not_included')} {excluded}" for excluded in area.not_included)])
        if rs.delivery_forms:
            d.h(2, self.t("delivery_forms"))
            d.ul(form.title.get(lang) for form in rs.delivery_forms.values())
        if rs.differences:
            d.h(2, self.t("differences"))
            d.ul(runs(Strong(diff.topic.get(lang)), f" ({', '.join(diff.sources)}): ",
                      diff.choice.get(lang)) for diff in rs.differences)
        d.h(2, self.t("sources"))
        d.ul(runs(Code(name), f": {doc.publisher}, »{doc.title}«, {doc.date}, {doc.kind}, ",
                  Code(doc.file), ".", f" {doc.note.get(lang)}" if doc.note else "")
             for name, doc in rs.sources.items())
        return d

    def rule(self, rule: ResolvedRule) -> None:
        d, lang = self.doc, self.lang
        d.h(4, rule.title.get(lang))
        d.p(runs(Code(rule.id), " · ", self.t(f"layers.{rule.layer}"), " · ",
                 self.t(f"condition_kinds.{rule.condition_kind.value}"), " · ",
                 Code(f"{rule.span.file}:{rule.span.line}")))
        items: list[Inline] = [
            runs(self.label("when"), " ", describe(rule.stated_condition, lang, self.title)),
            runs(self.label("then"), " ", self.conclusion(rule)),
        ]
        items += [runs(self.label("legal_basis"), " ", line)
                  for line in self.basis(rule.legal_basis)]
        if rule.override is not None:
            where = f"{rule.override.replaced_span.file}:{rule.override.replaced_span.line}"
            items.append(runs(Strong(self.t("replaces")), " »",
                              rule.override.replaced_title.get(lang), "« (", Code(where),
                              "): ", rule.override.reason.get(lang)))
        if rule.note is not None:
            items.append(runs(self.label("note"), " ", rule.note.get(lang)))
        d.ul(items)


def _area_label(area: str, lang: str) -> str:
    labels = LABELS[SupportArea].get(area)
    return (labels[0] if lang == "da" else labels[1]) if labels else area


def rulebook_document(ruleset: ResolvedRuleSet, lang: str = "da") -> Document:
    """A municipality's resolved rule set as a :class:`~spstotte.render.documents.Document`."""
    return _Book(ruleset, lang).write()


def rulebook(ruleset: ResolvedRuleSet, fmt: Format = "markdown", lang: str = "da") -> str:
    """A municipality's resolved rule set as a readable document: ``fmt`` is ``"markdown"``,
    ``"html"`` or ``"text"``, ``lang`` is ``"da"`` or ``"en"``."""
    return render(rulebook_document(ruleset, lang), fmt)
