"""The decision text: a verdict rendered as a draft decision letter (afgørelse).

The justification follows forvaltningsloven § 24 (the legal rules applied, the main facts, and
for a municipal service level that it is one, since an individual assessment can depart from
it; every refusal ground, not just the first), and the appeal guidance § 25 (4 weeks, complaint
to the municipality, which reconsiders and forwards it to Ankestyrelsen; for § 82 b, that the
decision cannot be brought before another administrative authority).

Every sentence is built from the verdict and its trail: rule titles, requirement texts, legal
bases, facts and dates. There are no texts per outcome per municipality. Danish is the default;
English on request. Output as plain text, Markdown or HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .render import basis_text
from .texts import text
from .verdict import (
    AssessmentOut,
    AssessmentStatus,
    Basis,
    Outcome,
    ReasonKind,
    Status,
    TrailStep,
    Verdict,
)

Format = Literal["text", "markdown", "html"]

_MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
              "september", "oktober", "november", "december")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def long_date(day: date, lang: str) -> str:
    """``23. november 2026`` or ``23 November 2026``."""
    if lang == "da":
        return f"{day.day}. {_MONTHS_DA[day.month - 1]} {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


@dataclass
class _Doc:
    """A tiny document model: headings, paragraphs and bullet lists."""

    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append((f"h{level}", text))

    def p(self, text: str) -> None:
        if text:
            self.blocks.append(("p", text))

    def ul(self, items: Iterable[str]) -> None:
        listed = [i for i in items if i]
        if listed:
            self.blocks.append(("ul", listed))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _join(items: list[str], lang: str) -> str:
    word = text("decision.and", lang)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + word + items[-1]


class _Writer:
    def __init__(self, verdict: Verdict, lang: str) -> None:
        self.v = verdict
        self.lang = lang
        self.doc = _Doc()

    def t(self, key: str, **values: object) -> str:
        return text(f"decision.{key}", self.lang, **values)

    @property
    def municipality(self) -> str:
        return self.t("municipality", name=self.v.municipality_name)

    def path_titles(self, paths: Iterable[str] | None = None) -> list[str]:
        wanted = set(paths) if paths is not None else None
        return [_lower_first(p.title.get(self.lang)) for p in self.v.paths
                if wanted is None or p.path in wanted]

    # -- sections ---------------------------------------------------------------------------

    def write(self) -> _Doc:
        v, d = self.v, self.doc
        decided = [p.path for p in v.paths if p.decided]
        d.h(1, self.t("title", paths=_join(self.path_titles(decided or None), self.lang)))
        d.p(self.t("draft"))
        gaps = [a for a in v.assessments if a.blocking]
        if gaps:
            # The draft cannot be sent as it stands: say so before anything else.
            d.p(self.t("not_final", n=len(gaps)))
        d.p(f"{self.municipality} · {self.t('decision_date')}: "
            f"{long_date(v.decision_date, self.lang)}"
            + (f" · CPR {v.record.inputs['cpr']}" if "cpr" in v.record.inputs else ""))
        self.decision()
        self.justification()
        self.missing()
        self.guidance()
        self.next_steps()
        self.appeal()
        d.h(2, self.t("basis_heading"))
        d.p(self.t("basis", version=v.record.library_version, ruleset=v.record.ruleset_id,
                   hash=v.record.ruleset_hash))
        return d

    def decision(self) -> None:
        v, d = self.v, self.doc
        d.h(2, self.t("decision_heading"))
        if v.outcome in (Outcome.GRANTED_85, Outcome.GRANTED_82B):
            chosen = "p85" if v.outcome is Outcome.GRANTED_85 else "p82b"
            title = self.path_titles([chosen])[0]
            d.p(self.t("granted", municipality=self.municipality, title=title))
            if v.end_date:
                d.p(self.t("ends", date=long_date(v.end_date, self.lang)))
            for other in (p for p in v.paths if p.path != chosen):
                name = _lower_first(other.title.get(self.lang))
                if other.path in v.replaced_paths:
                    d.p(self.t("replaced", name=name, title=title))
                elif other.path in v.pending_paths:
                    d.p(self.t("entitlement_pending", name=name))
                elif other.decided and other.status is Status.NOT_MET:
                    d.p(self.t("other_refused", name=name))
            return
        paths = _join(self.path_titles(), self.lang)
        if v.outcome is Outcome.FORWARDED and v.forward_to is not None:
            target = self.t("municipality", name=v.forward_to.municipality_name)
            d.p(self.t("forwarded", municipality=self.municipality, target=target, paths=paths))
        elif v.outcome is Outcome.CLOSED:
            d.p(self.t("closed", municipality=self.municipality, paths=paths))
        elif v.outcome is Outcome.REFUSED:
            d.p(self.t("refused", municipality=self.municipality, paths=paths))
        elif v.outcome is Outcome.REFERRED:
            # Referral titles are written in running-text case ("kommunens åbne tilbud",
            # "Roskilde Kommunes åbne tilbud"): used as they are.
            targets = _join(list(dict.fromkeys(r.title.get(self.lang) for r in v.referrals)),
                            self.lang)
            d.p(self.t("referred", municipality=self.municipality, paths=paths,
                       targets=targets))
        else:
            d.p(self.t("pending", municipality=self.municipality, paths=paths))

    def justification(self) -> None:
        v, d = self.v, self.doc
        d.h(2, self.t("reasons_heading"))
        # The legal rules the outcome rests on: the paths, the grounds and what follows from them.
        d.h(3, self.t("rules_heading"))
        bases: list[Basis] = [p.legal_basis for p in v.paths]
        bases += [r.legal_basis for r in v.reasons]
        bases += [r.legal_basis for r in v.referrals]
        bases += [o.legal_basis for o in v.obligations]
        bases += [g.legal_basis for g in v.guidance]
        if v.forward_to is not None:
            bases.append(v.forward_to.legal_basis)
        cited = {law.citation: law for basis in bases for law in basis.law}
        ordered = sorted(cited.values(), key=lambda law: (
            law.act, int("".join(ch for ch in law.section if ch.isdigit()) or 0), law.section,
            law.stk or 0, law.nr or 0))
        acts_named: set[str] = set()
        items = []
        for law in ordered:
            first = law.act not in acts_named
            acts_named.add(law.act)
            items.append(law.citation + (
                f" ({law.act_title.get(self.lang)}, {law.consolidation})" if first else ""))
        d.ul(items)
        steps = self.grounds()
        # The municipal service level, said to be one (it is not the law).
        municipal = [s for s in steps if s.service_level]
        if municipal:
            d.h(3, self.t("service_level_heading"))
            docs: dict[str, str] = {}
            for step in municipal:
                for s in step.legal_basis.sources:
                    if s.municipality == v.municipality:
                        docs.setdefault(s.source, f"{s.publisher}: »{s.title}« ({s.date})")
            d.p(self.t("service_level", municipality=self.municipality,
                       documents="; ".join(docs.values())))
            d.p(self.t("service_level_not_law"))
        # The main facts: those the grounds read.
        d.h(3, self.t("facts_heading"))
        facts: dict[str, str] = {}
        for step in steps:
            for reading in step.facts_read:
                if reading.known and reading.fact not in facts and not reading.fact.startswith(
                        "assessment."):
                    facts[reading.fact] = (f"{reading.label.get(self.lang)}: "
                                           f"{reading.value_label.get(self.lang)}")
        d.ul(facts.values() or [self.t("no_facts")])
        # The assessment: every ground.
        d.h(3, self.t("assessment_heading"))
        self.assessment()
        # The caseworker's own assessment of the points the decision rests on, with the main
        # considerations (forvaltningsloven § 24, stk. 1, 2. pkt.); the library never writes
        # them, it marks where they are missing.
        if v.assessments:
            d.h(3, self.t("caseworker_heading"))
            d.ul(self.assessment_item(a) for a in v.assessments)

    def grounds(self) -> list[TrailStep]:
        """The trail steps the outcome rests on: the reasons' rules and the rules they read
        (for a grant, every requirement of the granted path), in trail order."""
        v = self.v
        by_id = {s.rule_id: s for s in v.trail}
        wanted = [r.code for r in v.reasons]
        if v.granted:
            chosen = "p85" if v.outcome is Outcome.GRANTED_85 else "p82b"
            wanted += [f"grant_{chosen}"]
        seen: set[str] = set()
        while wanted:
            rule_id = wanted.pop()
            if rule_id in seen or rule_id not in by_id:
                continue
            seen.add(rule_id)
            wanted.extend(r.rule_id for r in by_id[rule_id].rules_read)
        return [s for s in v.trail if s.rule_id in seen]

    def assessment_item(self, a: AssessmentOut) -> str:
        title = a.title.get(self.lang)
        if a.status is AssessmentStatus.REQUIRED:
            source = "; ".join(dict.fromkeys(f"{s.publisher}: »{s.title}«"
                                              for s in a.legal_basis.sources))
            return self.t("gap_assessment", title=title, source=source or self.municipality)
        line = f"{title[:1].upper()}{title[1:]}: {a.finding_label.get(self.lang)}."
        if a.departs_from_service_level:
            line += " " + a.text.get(self.lang)
        if a.considerations:
            line += " " + self.t("considerations", text=a.considerations)
        elif a.blocking:
            line += " " + self.t("gap_considerations")
        return line

    def assessment(self) -> None:
        v, d = self.v, self.doc
        items: list[str] = []
        for reason in v.reasons:
            flag = self.t("service_level_flag") if reason.service_level else ""
            basis = basis_text(reason.legal_basis, self.lang)
            if reason.kind is ReasonKind.GRANT and reason.code.startswith("grant_"):
                # The conditions of the grant; the other help considered, in one sentence.
                grounds = self.grounds()
                departed = {a.point for a in v.assessments if a.departs_from_service_level}
                met = [s.title.get(self.lang) + (self.t("by_assessment")
                                                 if s.rule_id in departed else "")
                       for s in grounds
                       if s.kind == "require" and s.on_fail == "refuse" and s.result]
                if any(s.on_fail == "forward" and s.result for s in grounds):
                    met.insert(0, self.t("acting_municipality"))
                items.append(reason.text.get(self.lang) + " " + self.t(
                    "conditions_met", conditions="; ".join(_lower_first(m) for m in met)))
                other = list(dict.fromkeys(
                    s.conclusion.get(self.lang).rstrip(".") for s in grounds
                    if s.kind == "refer" and not s.result))
                if other:
                    items.append(self.t("other_help_considered", help="; ".join(
                        _lower_first(o) for o in other)))
                continue
            if reason.kind is ReasonKind.GRANT:
                continue  # service-level requirements met: already listed above
            items.append(f"{reason.text.get(self.lang)}{flag} "
                         f"[{self.t('legal_basis')}: {basis}]")
        if v.outcome in (Outcome.GRANTED_82B, Outcome.GRANTED_85):
            chosen = "p85" if v.outcome is Outcome.GRANTED_85 else "p82b"
            refused = {p.path for p in v.paths if p.decided and p.path != chosen}
            for q in v.unmet_requirements:
                if chosen not in q.paths and set(q.paths) & refused and q.on_fail == "refuse":
                    items.append(self.t("not_met", title=q.title.get(self.lang),
                                        expected=_lower_first(q.expected.get(self.lang)))
                                 + f" [{self.t('legal_basis')}: "
                                   f"{basis_text(q.legal_basis, self.lang)}]")
        d.ul(items)

    def missing(self) -> None:
        v, d = self.v, self.doc
        if v.outcome is not Outcome.NEEDS_INFORMATION and not v.pending_paths:
            return
        d.h(2, self.t("missing_heading"))
        d.ul(m.ask.get(self.lang) for m in v.missing_facts)
        d.p(self.t("guidance"))

    def guidance(self) -> None:
        v, d = self.v, self.doc
        if not v.guidance:
            return
        d.h(2, self.t("guidance_heading"))
        d.ul(g.text.get(self.lang) for g in v.guidance)

    def next_steps(self) -> None:
        v, d = self.v, self.doc
        if not (v.obligations or v.information):
            return
        d.h(2, self.t("next_heading"))
        items = []
        for o in v.obligations:
            dates = _join([long_date(x, self.lang) for x in o.dates], self.lang)
            items.append(o.text.get(self.lang) + (f" ({dates})" if dates else ""))
        d.ul(items)
        if v.information:
            d.h(3, self.t("practical_heading"))
            d.ul(i.text.get(self.lang) for i in v.information)
        requested = [a.title.get(self.lang) for a in v.support_areas if a.requested]
        if requested:
            d.p(self.t("support_areas", areas="; ".join(requested)))

    def appeal(self) -> None:
        v, d = self.v, self.doc
        d.h(2, self.t("appeal_heading"))
        if not v.appeal:
            d.p(self.t("nothing_to_appeal"))
            return
        for guidance in v.appeal:
            title = next(p.title.get(self.lang) for p in v.paths if p.path == guidance.path)
            line = f"{title}: {guidance.text.get(self.lang)}"
            if guidance.deadline_if_received_on_decision_date:
                deadline = long_date(guidance.deadline_if_received_on_decision_date, self.lang)
                line += " " + self.t("deadline", deadline=deadline,
                                     received=long_date(v.decision_date, self.lang))
            line += f" [{self.t('legal_basis')}: {basis_text(guidance.legal_basis, self.lang)}]"
            d.p(line)


def _render_plain(doc: _Doc, markdown: bool) -> str:
    """Plain text (underlined headings) or Markdown (``#`` headings)."""
    out: list[str] = []
    for kind, content in doc.blocks:
        if kind.startswith("h"):
            text, level = str(content), int(kind[1])
            if markdown:
                out += ["#" * level + " " + text, ""]
            elif level < 3:
                out += [text, ("=" if level == 1 else "-") * len(text), ""]
            else:
                out += [text + ":", ""]
        elif kind == "p":
            out += [str(content), ""]
        else:
            out += [f"- {item}" for item in content]  # type: ignore[attr-defined]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _render_html(doc: _Doc, lang: str) -> str:
    body: list[str] = []
    title = ""
    for kind, content in doc.blocks:
        if kind.startswith("h"):
            title = title or str(content)
            body.append(f"<{kind}>{html.escape(str(content))}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(str(content))}</p>")
        else:
            items = "".join(f"<li>{html.escape(str(i))}</li>" for i in content)  # type: ignore[attr-defined]
            body.append(f"<ul>{items}</ul>")
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def decision_text(verdict: Verdict, lang: str = "da", fmt: Format = "text") -> str:
    """A verdict as a draft decision letter.

    Args:
        verdict: the verdict to render.
        lang: ``"da"`` (default) or ``"en"``.
        fmt: ``"text"``, ``"markdown"`` or ``"html"``.

    Example:
        >>> import spstotte
        >>> verdict = spstotte.evaluate({"birth_date": "2010-01-01"}, municipality=265,
        ...                             on="2026-11-23")
        >>> print(decision_text(verdict).splitlines()[0])
        Afgørelse om socialpædagogisk støtte efter serviceloven § 85
    """
    if lang not in ("da", "en"):
        raise ValueError("lang is 'da' or 'en'")
    doc = _Writer(verdict, lang).write()
    if fmt == "html":
        return _render_html(doc, lang)
    return _render_plain(doc, markdown=fmt == "markdown")
