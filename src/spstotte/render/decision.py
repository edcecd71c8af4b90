"""The draft letter: a verdict as the letter a caseworker reviews and sends.

What kind of letter it is follows from the outcome:

* a **decision** (afgørelse) for a grant, a refusal or a referral: what is decided, for a grant
  what the citizen gets (support, areas, form, extent, duration, follow-up, handleplan), the
  reasons (forvaltningsloven §§ 22 and 24: the provisions the outcome rests on, the main facts,
  the assessment, the caseworker's main considerations, and that a service level is one), and
  the appeal guidance (§ 25);
* a **request for information** (needs_information): not a decision. It asks the citizen only
  what the citizen can answer, says why (retssikkerhedsloven §§ 10 and 11), and keeps the
  caseworker's own tasks (a VUM assessment, a contradiction to investigate) in a section that is
  not sent;
* a **forwarding** notice (forvaltningsloven § 7, stk. 2) and a **closing** notice (refused
  consent): not decisions on support, with no appeal guidance of their own.

Where the draft lacks what only a person can supply (an assessment, its main considerations,
the extent of the support, a deadline), it shows a marked gap, never invented text. A letter to
someone who applies on the citizen's behalf without consent discloses no health or social facts
(tavshedspligt, forvaltningsloven § 27).

Every sentence comes from the verdict and the text catalogue (``texts.yaml``, key
``decision``); the layout from the templates (:mod:`spstotte.render.documents`). A municipality's
letterhead, contact details and own templates come from its rule file (``letter:``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpstotteError
from ..lang.ruleformat import LawRef, LetterSettings
from ..ruleset.statutes import provision, provision_title, statutes
from ..texts import text
from ..verdict.model import (
    AssessmentOut,
    AssessmentStatus,
    LawCitation,
    LegalBasisOut,
    TrailStep,
    Verdict,
)
from ..verdict.precedence import Outcome, ReasonKind, Status
from .documents import Document, Format, render
from .formats import basis_text

if TYPE_CHECKING:
    from ..library import RuleLibrary
    from ..ruleset.resolve import ResolvedRuleSet

__all__ = ["Format", "decision_document", "decision_text", "letter_kind", "long_date",
           "provisions_relied_on"]

_MONTHS_DA = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
              "september", "oktober", "november", "december")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

_GRANTED = (Outcome.GRANTED_85, Outcome.GRANTED_82B)

#: Questions that only make sense once another is answered: who placed the citizen, or where a
#: citizen without a fixed abode stays, once the citizen's housing is known; the consent once
#: it is known that someone else applies.
_ASK_AFTER = {"living_situation.placed_by_municipality": "living_situation.kind",
              "living_situation.usual_stay_municipality": "living_situation.kind",
              "consent": "applicant"}


def long_date(day: date, lang: str) -> str:
    """``23. november 2026`` or ``23 November 2026``."""
    if lang == "da":
        return f"{day.day}. {_MONTHS_DA[day.month - 1]} {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def letter_kind(verdict: Verdict) -> str:
    """``decision``, ``request`` (for information), ``forwarding`` or ``closing``."""
    if verdict.outcome is Outcome.NEEDS_INFORMATION:
        return "request"
    if verdict.outcome is Outcome.FORWARDED:
        return "forwarding"
    if verdict.outcome is Outcome.CLOSED:
        return "closing"
    return "decision"


def provisions_relied_on(verdict: Verdict) -> list[LawCitation]:
    """The provisions the outcome rests on, in citation order: the decided paths, the reasons,
    and what follows from them (the referral targets, the forwarding, and for a grant what the
    letter promises). A refusal for age cites the age limit, not the handleplan rules."""
    bases: list[LegalBasisOut] = [p.legal_basis for p in verdict.paths if p.decided]
    bases += [r.legal_basis for r in verdict.reasons]
    if verdict.outcome is Outcome.REFERRED:
        bases += [r.legal_basis for r in verdict.referrals]
    if verdict.outcome in _GRANTED:
        bases += [o.legal_basis for o in verdict.obligations]
    if verdict.outcome is Outcome.FORWARDED and verdict.forward_to is not None:
        bases.append(verdict.forward_to.legal_basis)
    cited = {law.citation: law for basis in bases for law in basis.law}
    # Acts in the catalogue's order (serviceloven first), then by section, stk. and nr.
    order = {name: i for i, name in enumerate(statutes().acts)}
    return sorted(cited.values(), key=lambda law: (
        order.get(law.act, len(order)), law.act,
        int("".join(ch for ch in law.section if ch.isdigit()) or 0), law.section,
        law.stk or 0, law.nr or 0))


def _lower_first(value: str) -> str:
    return value[:1].lower() + value[1:] if value else value


def _upper_first(value: str) -> str:
    return value[:1].upper() + value[1:] if value else value


@dataclass(frozen=True)
class _Context:
    """What the letter knows besides the verdict: the municipality's letter settings and, when
    the rule set the verdict was made with is at hand, its delivery forms."""

    settings: LetterSettings
    delivery_forms: tuple[str, ...] | None  # titles in the letter's language, or unknown
    template_dirs: tuple[Path, ...]


class _Writer:
    def __init__(self, verdict: Verdict, lang: str, context: _Context) -> None:
        self.verdict = verdict
        self.lang = lang
        self.context = context
        inputs = verdict.record.inputs
        self.applicant = str(inputs.get("applicant", "self"))
        consent = inputs.get("consent")
        consent_given = consent is True or consent == "given"
        # Someone else applies and the citizen has not consented: the letter goes to that
        # person and must not disclose the citizen's health or social circumstances.
        self.restricted = self.applicant in ("relative", "other") and not consent_given
        self.doc = Document(title="", lang=lang)

    # -- words ------------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return text(f"decision.{key}", self.lang, **values)

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + self.t("and") + items[-1]

    @property
    def municipality(self) -> str:
        return self.t("municipality", name=self.verdict.municipality_name)

    def basis_text(self, basis: LegalBasisOut) -> str:
        """A legal basis as the letter cites it: the statutes, and the municipality's own texts.
        National information pages that a rule also draws on stay in the trail and the
        rulebook; they are not a legal basis a decision cites."""
        own = LegalBasisOut(law=basis.law, sources=tuple(
            s for s in basis.sources if s.municipality == self.verdict.municipality))
        return basis_text(own, self.lang)

    def path_titles(self, paths: Iterable[str] | None = None) -> list[str]:
        wanted = set(paths) if paths is not None else None
        return [_lower_first(p.title.get(self.lang)) for p in self.verdict.paths
                if wanted is None or p.path in wanted]

    @property
    def chosen(self) -> str | None:
        if self.verdict.outcome is Outcome.GRANTED_85:
            return "p85"
        if self.verdict.outcome is Outcome.GRANTED_82B:
            return "p82b"
        return None

    # -- the letter -------------------------------------------------------------------------

    def write(self) -> Document:
        verdict, doc = self.verdict, self.doc
        kind = letter_kind(verdict)
        decided = [p.path for p in verdict.paths if p.decided]
        paths = self.join(self.path_titles(decided or None))
        if kind == "decision":
            doc.title = self.t("title", paths=paths)
        elif kind == "request":
            doc.title = self.t("title_request", paths=paths)
        elif kind == "forwarding" and verdict.forward_to is not None:
            target = self.t("municipality", name=verdict.forward_to.municipality_name)
            doc.title = self.t("title_forwarded", paths=paths, target=target)
        else:
            doc.title = self.t("title_closed", paths=paths)
        doc.h(1, doc.title)
        doc.p(self.t("draft"), "notice")
        gaps = [a for a in verdict.assessments if a.blocking]
        if gaps:
            # The draft cannot be sent as it stands: say so before anything else.
            doc.p(self.t("not_final", n=len(gaps)), "notice")
        doc.p(self.meta_line())
        if self.applicant != "self":
            doc.p(self.t("recipient", applicant=self.t(f"applicants.{self.applicant}")))
        if self.restricted:
            doc.p(self.t("confidential"), "notice")
        if kind == "decision":
            self.decision()
            if verdict.outcome in _GRANTED:
                self.granted_content()
            self.reasons()
            if verdict.pending_paths:
                self.request(pending=True)
        elif kind == "request":
            self.request(pending=False)
        elif kind == "forwarding":
            self.forwarding()
        else:
            self.closing()
        self.guidance()
        if kind == "decision":
            self.practical()
        if kind != "request":
            # A request for information is not a decision: it says so, and has nothing to
            # appeal and no provisions applied to quote.
            self.appeal(kind)
            self.wording()
        self.internal()
        doc.meta.update(self.letter_meta())
        return doc

    def meta_line(self) -> str:
        verdict = self.verdict
        line = f"{self.municipality} · {self.t('decision_date')}: " \
               f"{long_date(verdict.decision_date, self.lang)}"
        if "cpr" in verdict.record.inputs:
            line += f" · CPR {verdict.record.inputs['cpr']}"
        return line

    def letter_meta(self) -> dict[str, object]:
        settings = self.context.settings
        verdict = self.verdict
        sender = list(settings.sender) or [self.municipality]
        signature = [self.t("regards"), self.municipality, self.t("gap_signature")]
        record = verdict.record
        basis = self.t("basis", version=record.library_version, ruleset=record.ruleset_id,
                       hash=record.ruleset_hash)
        return {"sender": sender, "contact": list(settings.contact), "signature": signature,
                "basis": basis}

    # -- decisions --------------------------------------------------------------------------

    def decision(self) -> None:
        verdict, doc = self.verdict, self.doc
        doc.h(2, self.t("decision_heading"))
        chosen = self.chosen
        if chosen is not None:
            title = self.path_titles([chosen])[0]
            doc.p(self.t("granted", municipality=self.municipality, title=title))
            for other in (p for p in verdict.paths if p.path != chosen):
                name = _lower_first(other.title.get(self.lang))
                if other.path in verdict.replaced_paths:
                    doc.p(self.t("replaced", name=name, title=title))
                elif other.path in verdict.pending_paths:
                    doc.p(self.t("entitlement_pending", name=name))
                elif other.decided and other.status is Status.NOT_MET:
                    doc.p(self.t("other_refused", name=name))
            return
        paths = self.join(self.path_titles())
        if verdict.outcome is Outcome.REFUSED:
            doc.p(self.t("refused", municipality=self.municipality, paths=paths))
        else:
            # Referral titles are written in running-text case ("kommunens åbne tilbud").
            targets = self.join(list(dict.fromkeys(r.title.get(self.lang)
                                                   for r in verdict.referrals)))
            doc.p(self.t("referred", municipality=self.municipality, paths=paths,
                         targets=targets))

    def granted_content(self) -> None:
        """What the citizen gets: the support, its areas, form, extent and duration, and the
        follow-up and handleplan the municipality owes."""
        verdict, doc, chosen = self.verdict, self.doc, self.chosen
        assert chosen is not None
        doc.h(2, self.t("granted_heading"))
        items = [self.t("granted_support", title=self.path_titles([chosen])[0])]
        areas = [a.title.get(self.lang) for a in verdict.support_areas if a.requested]
        items.append(self.t("granted_areas", areas=self.join([_lower_first(a) for a in areas]))
                     if areas else self.t("gap_areas"))
        forms = self.context.delivery_forms
        if forms is not None and len(forms) == 1:
            items.append(self.t("granted_form", form=_lower_first(forms[0])))
        elif forms:
            items.append(self.t("gap_form_choice", forms=self.join(
                [_lower_first(f) for f in forms])))
        else:
            items.append(self.t("gap_form"))
        items.append(self.t("gap_extent"))
        if verdict.end_date is not None:
            items.append(self.t("granted_until", start=long_date(verdict.decision_date, self.lang),
                                end=long_date(verdict.end_date, self.lang)))
        else:
            items.append(self.t("granted_ongoing"))
        doc.ul(items)
        if verdict.obligations:
            doc.h(3, self.t("follow_up_heading"))
            lines = []
            for obligation in verdict.obligations:
                dates = self.join([long_date(x, self.lang) for x in obligation.dates])
                lines.append(obligation.text.get(self.lang) + (f" ({dates})" if dates else ""))
            doc.ul(lines)

    def reasons_needed(self) -> bool:
        """Forvaltningsloven § 22: reasons, unless the citizen gets everything applied for
        (a municipality may promise them anyway)."""
        verdict = self.verdict
        if verdict.outcome not in _GRANTED:
            return True
        partial = any(p.decided and p.status is Status.NOT_MET for p in verdict.paths) \
            or bool(verdict.pending_paths) or bool(verdict.replaced_paths)
        departs = any(a.departs_from_service_level for a in verdict.assessments)
        return partial or departs or self.context.settings.reasons_on_grant

    def reasons(self) -> None:
        verdict, doc = self.verdict, self.doc
        if not self.reasons_needed():
            doc.h(2, self.t("basis_only_heading"))
            doc.p(self.t("no_reasons_needed"))
            self.rules_list()
            return
        doc.h(2, self.t("reasons_heading"))
        doc.h(3, self.t("rules_heading"))
        self.rules_list()
        steps = self.grounds()
        municipal = [s for s in steps if s.service_level]
        if municipal:
            doc.h(3, self.t("service_level_heading"))
            documents: dict[str, str] = {}
            for step in municipal:
                for source in step.legal_basis.sources:
                    if source.municipality == verdict.municipality:
                        documents.setdefault(source.source, f"{source.publisher}: "
                                             f"»{source.title}« ({source.date})")
            doc.p(self.t("service_level", municipality=self.municipality,
                         documents="; ".join(documents.values())))
            doc.p(self.t("service_level_not_law"))
        if not self.restricted:
            doc.h(3, self.t("facts_heading"))
            doc.ul(self.facts(steps) or [self.t("no_facts")])
        doc.h(3, self.t("assessment_heading"))
        doc.ul(self.assessment_items())
        if verdict.assessments and not self.restricted:
            doc.h(3, self.t("caseworker_heading"))
            doc.ul(self.assessment_item(a) for a in verdict.assessments)

    def rules_list(self) -> None:
        acts_named: set[str] = set()
        items = []
        for law in provisions_relied_on(self.verdict):
            first = law.act not in acts_named
            acts_named.add(law.act)
            title = provision_title(LawRef(act=law.act, section=law.section, stk=law.stk,
                                           nr=law.nr))
            line = law.citation
            if title is not None:
                line += f": {_lower_first(title.get(self.lang))}"
            if first:
                line += f" ({law.act_title.get(self.lang)}, {law.consolidation})"
            items.append(line)
        self.doc.ul(items)

    def facts(self, steps: list[TrailStep]) -> list[str]:
        facts: dict[str, str] = {}
        for step in steps:
            for reading in step.facts_read:
                if reading.known and reading.fact not in facts and not reading.fact.startswith(
                        "assessment."):
                    facts[reading.fact] = (f"{_upper_first(reading.label.get(self.lang))}: "
                                           f"{reading.value_label.get(self.lang)}")
        return list(facts.values())

    def grounds(self) -> list[TrailStep]:
        """The trail steps the outcome rests on: the reasons' rules and the rules they read
        (for a grant, every requirement of the granted path), in trail order."""
        verdict = self.verdict
        by_id = {s.rule_id: s for s in verdict.trail}
        wanted = [r.code for r in verdict.reasons]
        if self.chosen is not None:
            wanted += [f"grant_{self.chosen}"]
        seen: set[str] = set()
        while wanted:
            rule_id = wanted.pop()
            if rule_id in seen or rule_id not in by_id:
                continue
            seen.add(rule_id)
            wanted.extend(r.rule_id for r in by_id[rule_id].rules_read)
        return [s for s in verdict.trail if s.rule_id in seen]

    def assessment_items(self) -> list[str]:
        verdict = self.verdict
        items: list[str] = []
        for reason in verdict.reasons:
            flag = self.t("service_level_flag") if reason.service_level else ""
            basis = self.basis_text(reason.legal_basis)
            if reason.kind is ReasonKind.GRANT and reason.code.startswith("grant_"):
                items += self.grant_assessment(reason.text.get(self.lang))
                continue
            if reason.kind is ReasonKind.GRANT:
                continue  # service-level requirements met: listed with the grant
            if self.restricted and reason.code not in ("consent", "guardian_needed",
                                                       "consent_refused"):
                continue
            items.append(f"{reason.text.get(self.lang)}{flag} "
                         f"[{self.t('legal_basis')}: {basis}]")
        chosen = self.chosen
        if chosen is not None:
            refused = {p.path for p in verdict.paths if p.decided and p.path != chosen}
            for requirement in verdict.unmet_requirements:
                if (chosen not in requirement.paths and set(requirement.paths) & refused
                        and requirement.on_fail == "refuse"):
                    items.append(self.t("not_met", title=requirement.title.get(self.lang),
                                        expected=requirement.expected.get(self.lang))
                                 + f" [{self.t('legal_basis')}: "
                                   f"{self.basis_text(requirement.legal_basis)}]")
        return items

    def grant_assessment(self, sentence: str) -> list[str]:
        verdict = self.verdict
        grounds = self.grounds()
        departed = {a.point for a in verdict.assessments if a.departs_from_service_level}
        met = [_lower_first(s.title.get(self.lang)) + (self.t("by_assessment")
                                                        if s.rule_id in departed else "")
               for s in grounds if s.kind == "require" and s.on_fail == "refuse" and s.result]
        if any(s.on_fail == "forward" and s.result for s in grounds):
            met.insert(0, self.t("acting_municipality"))
        items = [sentence + " " + self.t("conditions_met", conditions="; ".join(met))]
        other = list(dict.fromkeys(
            _lower_first(s.conclusion.get(self.lang).rstrip(".")) for s in grounds
            if s.kind == "refer" and not s.result))
        if other:
            items.append(self.t("other_help_considered", help="; ".join(other)))
        return items

    def assessment_item(self, assessment: AssessmentOut) -> str:
        title = assessment.title.get(self.lang)
        if assessment.status is AssessmentStatus.REQUIRED:
            source = "; ".join(dict.fromkeys(f"{s.publisher}: »{s.title}«"
                                              for s in assessment.legal_basis.sources))
            return self.t("gap_assessment", title=title, source=source or self.municipality)
        line = f"{_upper_first(title)}: {assessment.finding_label.get(self.lang)}."
        if assessment.departs_from_service_level:
            line += " " + assessment.text.get(self.lang)
        if assessment.considerations:
            line += " " + self.t("considerations", text=assessment.considerations)
        elif assessment.blocking:
            line += " " + self.t("gap_considerations")
        return line

    # -- requests, forwarding and closing --------------------------------------------------

    def questions(self) -> list[str]:
        """What the citizen (or the applicant) is asked: the missing facts the citizen can
        answer. Someone applying without consent is asked only for the consent."""
        missing = {m.fact for m in self.verdict.missing_facts}
        if self.restricted:
            wanted = "consent" in missing or any(r.code == "consent" for r in self.verdict.reasons)
            return [self.t("ask_consent_third_party")] if wanted else []
        asked: list[str] = []
        for missing_fact in self.verdict.missing_facts:
            question = _question(missing_fact.fact, self.lang)
            if (question is None or _ASK_AFTER.get(missing_fact.fact) in missing
                    or question in asked):
                continue
            asked.append(question)
        return asked

    def request(self, *, pending: bool) -> None:
        verdict, doc = self.verdict, self.doc
        questions = self.questions()
        if pending:
            names = self.join([_lower_first(p.title.get(self.lang)) for p in verdict.paths
                               if p.path in verdict.pending_paths])
            doc.h(2, self.t("pending_heading", name=names))
        else:
            doc.h(2, self.t("request_heading"))
            paths = self.join(self.path_titles())
            doc.p(self.t("request_intro", municipality=self.municipality, paths=paths))
        if questions:
            doc.p(self.t("request_questions"))
            doc.ul(questions)
            doc.p(self.t("gap_deadline"), "gap")
        else:
            doc.p(self.t("request_nothing_to_do"))
        if not pending:
            doc.h(2, self.t("request_why_heading"))
            doc.p(self.t("request_why"))
            doc.h(2, self.t("next_heading"))
            doc.p(self.t("request_next", paths=self.join(self.path_titles())))

    def forwarding(self) -> None:
        verdict, doc = self.verdict, self.doc
        assert verdict.forward_to is not None
        target = self.t("municipality", name=verdict.forward_to.municipality_name)
        doc.h(2, self.t("forwarded_heading"))
        doc.p(self.t("forwarded", municipality=self.municipality, target=target,
                     paths=self.join(self.path_titles())))
        doc.h(2, self.t("why_heading"))
        doc.ul(self.assessment_items())
        doc.h(3, self.t("rules_heading_notice"))
        self.rules_list()

    def closing(self) -> None:
        doc = self.doc
        doc.h(2, self.t("closed_heading"))
        doc.p(self.t("closed", municipality=self.municipality,
                     paths=self.join(self.path_titles())))
        doc.h(2, self.t("why_heading"))
        doc.ul(self.assessment_items())
        doc.h(3, self.t("rules_heading_notice"))
        self.rules_list()

    # -- the rest ---------------------------------------------------------------------------

    def guidance(self) -> None:
        verdict, doc = self.verdict, self.doc
        if not verdict.guidance or self.restricted:
            return
        doc.h(2, self.t("guidance_heading"))
        doc.ul(g.text.get(self.lang) for g in verdict.guidance)

    def practical(self) -> None:
        verdict, doc = self.verdict, self.doc
        if not verdict.information:
            return
        doc.h(2, self.t("practical_heading"))
        doc.ul(i.text.get(self.lang) for i in verdict.information)

    def appeal(self, kind: str) -> None:
        verdict, doc = self.verdict, self.doc
        doc.h(2, self.t("appeal_heading"))
        if kind == "forwarding" and verdict.forward_to is not None:
            doc.p(self.t("appeal_forwarded", target=self.t(
                "municipality", name=verdict.forward_to.municipality_name)))
            return
        if kind == "closing":
            doc.p(self.t("appeal_closed"))
            return
        if not verdict.appeal:
            doc.p(self.t("nothing_to_appeal"))
            return
        appealable = [g for g in verdict.appeal if g.appealable]
        for guidance in verdict.appeal:
            title = next(p.title.get(self.lang) for p in verdict.paths if p.path == guidance.path)
            line = f"{title}: {guidance.text.get(self.lang)}"
            if guidance.appealable:
                if guidance.deadline_if_received_on_decision_date:
                    deadline = long_date(guidance.deadline_if_received_on_decision_date,
                                         self.lang)
                    line += " " + self.t("deadline", deadline=deadline,
                                         received=long_date(verdict.decision_date, self.lang))
            elif appealable:
                # § 82 b cannot be appealed, but the § 85 part of the same letter can.
                others = self.join([_lower_first(next(
                    p.title.get(self.lang) for p in verdict.paths if p.path == g.path))
                    for g in appealable])
                line += " " + self.t("appeal_other_part", name=others)
            line += f" [{self.t('legal_basis')}: {self.basis_text(guidance.legal_basis)}]"
            doc.p(line)

    def wording(self) -> None:
        """An appendix with the wording of the provisions cited, where the statute catalogue
        has it."""
        items = []
        for law in provisions_relied_on(self.verdict):
            stk = provision(LawRef(act=law.act, section=law.section, stk=law.stk))
            if stk is not None and stk.wording and law.nr is None:
                items.append(f"{law.citation}: »{' '.join(stk.wording.split())}«")
        if items:
            self.doc.h(2, self.t("wording_heading"))
            self.doc.ul(items)

    def internal(self) -> None:
        """The caseworker's own tasks, kept apart from what the citizen is asked: facts only
        the municipality can establish, assessments and investigations. Not sent."""
        verdict, doc = self.verdict, self.doc
        tasks: list[str] = []
        for missing_fact in verdict.missing_facts:
            if _question(missing_fact.fact, self.lang) is None or (
                    self.restricted and missing_fact.fact not in ("consent", "applicant")):
                tasks.append(missing_fact.ask.get(self.lang))
        for reason in verdict.reasons:
            if reason.kind is ReasonKind.INVESTIGATION:
                tasks.append(reason.text.get(self.lang))
        tasks += [self.t("task_assessment", title=a.title.get(self.lang))
                  for a in verdict.assessments if a.status is AssessmentStatus.REQUIRED]
        tasks += [self.t("task_considerations", title=a.title.get(self.lang))
                  for a in verdict.assessments
                  if a.status is AssessmentStatus.CONSIDERATIONS_MISSING and a.blocking]
        if not tasks:
            return
        doc.h(2, self.t("internal_heading"))
        doc.p(self.t("internal_intro"), "internal")
        doc.ul(dict.fromkeys(tasks), "internal")


def _question(fact: str, lang: str) -> str | None:
    """What the citizen is asked for a missing fact, or ``None`` if it is the caseworker's to
    find out (an assessment, a VUM level)."""
    from ..texts import catalogue

    entry = catalogue()["facts"].get(fact, {})
    question = entry.get("question")
    if not question:
        return None
    return str(question["da" if lang == "da" else "en"])


def _context(verdict: Verdict, library: RuleLibrary | None, lang: str) -> _Context:
    """The municipality's letter settings and delivery forms, from the rule set the verdict
    was made with (matched by its content hash); the bundled defaults where it is not at hand."""
    from ..library import default_library

    lib = library if library is not None else default_library()
    try:
        ruleset: ResolvedRuleSet | None = lib.ruleset(verdict.municipality)
        info = lib.find(verdict.municipality)
    except SpstotteError:  # a municipality the library does not have only loses its letterhead
        ruleset, info = None, None
    if ruleset is None or info is None or ruleset.content_hash != verdict.record.ruleset_hash:
        return _Context(LetterSettings(), None, ())
    settings = ruleset.letter or LetterSettings()
    dirs: tuple[Path, ...] = ()
    if settings.templates:
        dirs = ((Path(info.file).parent / settings.templates).resolve(),)
    forms = tuple(f.title.get(lang) for f in ruleset.delivery_forms.values())
    return _Context(settings, forms or None, dirs)


def _build(verdict: Verdict, lang: str, library: RuleLibrary | None) -> tuple[Document,
                                                                               _Context]:
    if lang not in ("da", "en"):
        raise ValueError("lang is 'da' or 'en'")
    context = _context(verdict, library, lang)
    return _Writer(verdict, lang, context).write(), context


def decision_document(verdict: Verdict, lang: str = "da", *,
                      library: RuleLibrary | None = None) -> Document:
    """The draft letter as a :class:`~spstotte.render.documents.Document` (blocks, title, meta)."""
    return _build(verdict, lang, library)[0]


def decision_text(verdict: Verdict, lang: str = "da", fmt: Format = "text", *,
                  library: RuleLibrary | None = None) -> str:
    """A verdict as a draft letter: a decision, a request for information, or a forwarding or
    closing notice, depending on the outcome.

    Args:
        verdict: the verdict to render.
        lang: ``"da"`` (default) or ``"en"``.
        fmt: ``"text"``, ``"markdown"`` or ``"html"``.
        library: the rule library the verdict was made with, for the municipality's letterhead
            and own templates (default: the bundled one).

    Example:
        >>> import spstotte
        >>> verdict = spstotte.evaluate({"birth_date": "2010-01-01"}, municipality=265,
        ...                             on="2026-11-23")
        >>> print(decision_text(verdict).splitlines()[2])
        Afgørelse om socialpædagogisk støtte efter serviceloven § 85
    """
    document, context = _build(verdict, lang, library)
    return render(document, fmt, template="letter", template_dirs=context.template_dirs)
