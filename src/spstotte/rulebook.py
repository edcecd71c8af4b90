"""The rulebook: a municipality's resolved rule set written out for people.

Parameters with their values and legal basis; each rule in plain words (its condition, what
follows, its legal basis and verbatim quotes, and what it overrides in the law layer and why);
support areas, delivery forms, referral targets and recorded differences between texts.
Markdown or HTML, Danish or English.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

from .conditions import Derive, Grant, Guidance, Inform, Obligation, Refer, Require
from .describe import describe, law_citation
from .resolve import ResolvedRule, ResolvedRuleSet
from .ruleformat import LegalBasis
from .texts import text

Format = Literal["markdown", "html"]

def _value(value: Any) -> str:
    if isinstance(value, bool):
        return f"{text('values.yes', 'da')} / {text('values.yes', 'en')}" if value else \
            f"{text('values.no', 'da')} / {text('values.no', 'en')}"
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


class _Book:
    def __init__(self, ruleset: ResolvedRuleSet, lang: str) -> None:
        self.rs = ruleset
        self.lang = lang
        self.lines: list[str] = []

    def t(self, key: str, **values: object) -> str:
        return text(f"rulebook.{key}", self.lang, **values)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def title(self, rule_id: str, lang: str) -> str:
        return self.rs.rule(rule_id).title.get(lang) if self.rs.has_rule(rule_id) else rule_id

    def basis(self, basis: LegalBasis | None) -> list[str]:
        if basis is None:
            return []
        out = [law_citation(ref, self.rs.acts.get(ref.act)) for ref in basis.law]
        for ref in basis.sources:
            doc = self.rs.sources[ref.source]
            quote = " ".join(ref.quote.split())
            out.append(f"{doc.publisher}, »{doc.title}« ({doc.date}, `{doc.file}`), "
                       f"{ref.section}: »{quote}«")
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
        text = c.text.get(self.lang)
        if isinstance(c, Obligation):
            when = []
            if isinstance(c.after_months, tuple) and c.after_months:
                when.append(self.t("after_months", months=", ".join(map(str, c.after_months))))
            if c.every_months:
                when.append(self.t("every_months", n=c.every_months))
            if c.within_days:
                when.append(self.t("within_days", n=c.within_days))
            if when:
                text += " (" + "; ".join(when) + ")"
        return text

    def write(self) -> str:
        rs = self.rs
        self.add(f"# {rs.title.get(self.lang)}", "")
        self.add(self.t("header", name=rs.municipality_name, code=rs.municipality_code,
                        ruleset=rs.id, hash=rs.content_hash), "")
        self.add(self.t("files") + ", ".join(f"`{f}`" for f in rs.files), "")
        self.add("## " + self.t("paths"), "")
        for path_id in rs.offered_paths:
            path = rs.paths[path_id]
            self.add(f"- **{path.title.get(self.lang)}** (`{path_id}`)"
                     + (self.t("at_most_months", n=path.max_months) if path.max_months else ""))
        missing = [p for p in rs.paths if p not in rs.offered_paths]
        for path_id in missing:
            self.add(f"- ~~{rs.paths[path_id].title.get(self.lang)}~~ "
                     + self.t("not_offered"))
        self.add("")
        self.add("## " + self.t("parameters"), "")
        self.add(self.t("parameter_table"), "|---|---|---|---|---|")
        for name, param in rs.parameters.items():
            title = param.title.get(self.lang) if param.title else ""
            basis = "; ".join(self.basis(param.legal_basis)) or "—"
            self.add(f"| `{name}` | {_value(param.value)} | {title} | "
                     f"{self.t(f'layers.{param.set_by}')} | {basis} |")
        self.add("")
        self.add("## " + self.t("rules"), "")
        self.add(self.t("rules_intro"), "")
        for kind in ("derive", "require", "refer", "grant", "obligation", "inform", "guidance"):
            rules = [r for r in rs.rules if r.kind == kind]
            if not rules:
                continue
            self.add(f"### {self.t(f'kinds.{kind}')}", "")
            for rule in rules:
                self.rule(rule)
        if rs.referrals:
            self.add("## " + self.t("referral_targets"), "")
            for name, referral in rs.referrals.items():
                self.add(f"- `{name}`: {referral.title.get(self.lang)}")
            self.add("")
        if rs.support_areas:
            self.add("## " + self.t("support_areas"), "")
            for name, area in rs.support_areas.items():
                self.add(f"- **{area.title.get(self.lang)}** (`{name}`; "
                         + self.t("covers") + f" {', '.join(area.covers)})")
                for example in area.examples:
                    self.add(f"  - {example}")
                for excluded in area.not_included:
                    self.add(f"  - {self.t('not_included')} {excluded}")
            self.add("")
        if rs.delivery_forms:
            self.add("## " + self.t("delivery_forms"), "")
            self.add(*(f"- {form.title.get(self.lang)}" for form in rs.delivery_forms.values()))
            self.add("")
        if rs.differences:
            self.add("## " + self.t("differences"), "")
            for diff in rs.differences:
                self.add(f"- **{diff.topic.get(self.lang)}** ({', '.join(diff.sources)}): "
                         f"{diff.choice.get(self.lang)}")
            self.add("")
        self.add("## " + self.t("sources"), "")
        for name, doc in rs.sources.items():
            note = f" {doc.note.get(self.lang)}" if doc.note else ""
            self.add(f"- `{name}`: {doc.publisher}, »{doc.title}«, {doc.date}, {doc.kind}, "
                     f"`{doc.file}`.{note}")
        return "\n".join(self.lines).rstrip() + "\n"

    def rule(self, rule: ResolvedRule) -> None:
        layer = self.t(f"layers.{rule.layer}")
        self.add(f"#### {rule.title.get(self.lang)}", "")
        kind = self.t(f"condition_kinds.{rule.condition_kind.value}")
        self.add(f"`{rule.id}` · {layer} · {kind} · `{rule.span.file}:{rule.span.line}`", "")
        condition = describe(rule.stated_condition, self.lang, self.title)
        self.add(f"- **{self.t('when')}:** {condition}")
        self.add(f"- **{self.t('then')}:** {self.conclusion(rule)}")
        for line in self.basis(rule.legal_basis):
            self.add(f"- **{self.t('legal_basis')}:** {line}")
        if rule.override is not None:
            self.add(f"- **{self.t('replaces')}"
                     f"** »{rule.override.replaced_title.get(self.lang)}« "
                     f"(`{rule.override.replaced_span.file}:{rule.override.replaced_span.line}`)"
                     f": {rule.override.reason.get(self.lang)}")
        if rule.note is not None:
            self.add(f"- **{self.t('note')}:** {rule.note.get(self.lang)}")
        self.add("")


def _markdown_to_html(markdown: str, lang: str) -> str:
    """Just enough Markdown for the rulebook: headings, lists, tables, bold, code."""
    def inline(text: str) -> str:
        text = html.escape(text)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        text = re.sub(r"~~(.+?)~~", r"<del>\1</del>", text)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", text)

    out: list[str] = []
    title = ""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            text = line[level:].strip()
            title = title or text
            out.append(f"<h{level}>{inline(text)}</h{level}>")
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                if not set(lines[i]) <= {"|", "-"}:
                    rows.append([c.strip() for c in lines[i].strip("|").split(" | ")])
                i += 1
            head, *body = rows
            out.append("<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in head)
                       + "</tr></thead><tbody>" + "".join(
                           "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>"
                           for row in body) + "</tbody></table>")
            continue
        elif line.lstrip().startswith("- "):
            items = []
            while i < len(lines) and lines[i].lstrip().startswith("- "):
                items.append(f"<li>{inline(lines[i].lstrip()[2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
        i += 1
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n<body>\n" + "\n".join(out)
            + "\n</body>\n</html>\n")


def rulebook(ruleset: ResolvedRuleSet, fmt: Format = "markdown", lang: str = "da") -> str:
    """A municipality's resolved rule set as a readable document (Markdown or HTML)."""
    markdown = _Book(ruleset, lang).write()
    return _markdown_to_html(markdown, lang) if fmt == "html" else markdown
