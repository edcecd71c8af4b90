"""Stage 7, render: verdicts as JSON and as plain text for people (Danish or English).

Rendering is presentation only: every sentence comes from the verdict and its trail.
"""

from __future__ import annotations

from ..texts import text
from ..verdict.model import LegalBasisOut, TrailStep, Verdict
from ..verdict.precedence import Outcome


def outcome_text(outcome: Outcome, lang: str) -> str:
    """The outcome as a heading: ``Afslag``, ``Bevilget: ...``."""
    return text(f"verdict.outcome.{outcome.value}", lang)


def _l(key: str, lang: str) -> str:
    return text(f"verdict.{key}", lang)


def basis_text(basis: LegalBasisOut, lang: str) -> str:
    """The legal basis on one line: law citations, then sources with their quotes."""
    parts = [c.citation for c in basis.law]
    for source in basis.sources:
        parts.append(f"{source.publisher}, »{source.title}« ({source.date}), "
                     f"{source.section}: »{source.quote}«")
    return "; ".join(parts) or "—"


def _step(number: int, step: TrailStep, lang: str) -> list[str]:
    flags = []
    if step.condition_kind.value != "statute":
        flags.append(_l(f"kinds.{step.condition_kind.value}", lang))
    if step.overrides is not None:
        flags.append(f"{_l('overrides', lang)} {step.overrides.rule_id}: "
                     f"{step.overrides.reason.get(lang)}")
    head = f"{number:>3}. {step.rule_id}: {step.conclusion.get(lang)}"
    lines = [head]
    if flags:
        lines.append("       (" + "; ".join(flags) + ")")
    if step.facts_read:
        read = ", ".join(f"{f.label.get(lang)} = {f.value_label.get(lang)}"
                         for f in step.facts_read)
        lines.append(f"       {_l('read', lang)}: {read}")
    lines.append(f"       {_l('basis', lang)}: {basis_text(step.legal_basis, lang)}")
    if step.source is not None:
        lines.append(f"       {_l('source', lang)}: {step.source.file}:{step.source.line}")
    return lines


def verdict_text(verdict: Verdict, lang: str = "da") -> str:
    """A verdict as plain text, with its trail."""
    out = [outcome_text(verdict.outcome, lang) + f"  [{verdict.outcome.value}]",
           f"{_l('municipality', lang)}: {verdict.municipality_name} ({verdict.municipality})   "
           f"{_l('date', lang)}: {verdict.decision_date.isoformat()}", ""]
    if not verdict.final and any(a.blocking for a in verdict.assessments):
        out.extend([_l("not_final", lang), ""])
    if verdict.forward_to is not None:
        out.extend([f"{_l('forward_to', lang)}: {verdict.forward_to.municipality_name} "
                    f"({verdict.forward_to.municipality})", ""])
    out.append(_l("reasons", lang) + ":")
    for reason in verdict.reasons:
        kind = _l(f"kinds.{reason.condition_kind.value}", lang)
        out.append(f"  - {reason.text.get(lang)} ({kind})")
        out.append(f"    {_l('basis', lang)}: {basis_text(reason.legal_basis, lang)}")

    def section(key: str, items: list[str]) -> None:
        if items:
            out.extend(["", _l(key, lang) + ":", *items])

    assessments = []
    for assessment in verdict.assessments:
        line = f"  - [{assessment.status.value}] {assessment.text.get(lang)}"
        if assessment.considerations:
            line += f" {_l('considerations', lang)}: {assessment.considerations}"
        assessments.append(line)
    section("assessments", assessments)
    section("referrals", [f"  - {r.title.get(lang)}" for r in verdict.referrals])
    section("missing", [f"  - {m.ask.get(lang)} ({m.fact})" for m in verdict.missing_facts])
    obligations = []
    for obligation in verdict.obligations:
        dates = ", ".join(d.isoformat() for d in obligation.dates)
        obligations.append(f"  - {obligation.text.get(lang)}" + (f" [{dates}]" if dates else ""))
    if verdict.end_date:
        obligations.append(f"  - {_l('end', lang)} {verdict.end_date.isoformat()}")
    section("obligations", obligations)
    section("information", [f"  - {i.text.get(lang)}" for i in verdict.information])
    section("guidance", [f"  - {g.text.get(lang)}" for g in verdict.guidance])
    appeals = []
    for appeal in verdict.appeal:
        appeals.append(f"  - [{appeal.path}] {appeal.text.get(lang)}")
        if appeal.deadline_if_received_on_decision_date:
            appeals.append(f"    {_l('deadline', lang)}: "
                           f"{appeal.deadline_if_received_on_decision_date.isoformat()}")
    section("appeal", appeals)
    out.append("")
    out.append(_l("trail", lang) + ":")
    for number, step in enumerate(verdict.trail, 1):
        out.extend(_step(number, step, lang))
    record = verdict.record
    out.append("")
    out.append(f"{_l('record', lang)}: {record.ruleset_id} {record.ruleset_hash}, "
               f"spstotte {record.library_version}, {record.engine}")
    return "\n".join(out) + "\n"


def verdict_json(verdict: Verdict) -> str:
    """A verdict as indented JSON (UTF-8, æøå unescaped)."""
    return verdict.model_dump_json(indent=2) + "\n"
