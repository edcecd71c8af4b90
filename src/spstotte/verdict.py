"""Stage 6, verdict: from the rules' conclusions to a decision with its legal justification.

The outcome follows a fixed precedence (docs/outcomes.md):

1. a requirement of every offered path is not met, and it is a refusal ground (age,
   handlekommune, ...) → ``refused``;
2. every offered path is blocked because the need is covered elsewhere → ``referred``;
3. a path has every requirement met → ``granted_85`` or ``granted_82b`` (the first in the
   municipality's ``path_order``);
4. a path could still be met but facts are missing, or a procedural step (consent) is
   outstanding → ``needs_information``;
5. otherwise → ``referred`` if a referral blocks some path, else ``refused``, with every
   failed requirement of every path.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from .conditions import Compare, Condition, Inform, Obligation, Refer, Require, RuleRef, walk
from .describe import describe, law_citation
from .errors import Span
from .facts import FACTS, LEAP_DAY_CONVENTION, FactValue, fact_json
from .reference import Results, truth
from .resolve import ResolvedRule, ResolvedRuleSet
from .ruleformat import LegalBasis, Text


class Outcome(StrEnum):
    """The five outcomes of an evaluation."""

    GRANTED_85 = "granted_85"
    GRANTED_82B = "granted_82b"
    REFERRED = "referred"
    REFUSED = "refused"
    NEEDS_INFORMATION = "needs_information"


class Status(StrEnum):
    """The status of a requirement or a path."""

    MET = "met"
    NOT_MET = "not_met"
    UNDETERMINED = "undetermined"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LawCitation(_Out):
    """A provision of an act, as cited: ``serviceloven § 85, stk. 1``."""

    act: str
    section: str
    stk: int | None = None
    nr: int | None = None
    citation: str
    act_title: Text
    consolidation: str


class SourceCitation(_Out):
    """A passage of a municipal or national text, by its real identity and file name."""

    source: str
    publisher: str
    municipality: int | None
    title: str
    date: str
    file: str
    section: str
    quote: str


class Basis(_Out):
    """The legal basis of a step: law and sources."""

    law: tuple[LawCitation, ...] = ()
    sources: tuple[SourceCitation, ...] = ()


class Position(_Out):
    """Where a rule is written: file, line and column."""

    file: str
    line: int
    col: int


class FactReading(_Out):
    """A fact a rule read, with its value (``None`` when unknown)."""

    fact: str
    value: Any
    known: bool
    label: Text
    value_label: Text


class RuleReading(_Out):
    """Another rule's conclusion a rule read (``None`` when undetermined)."""

    rule_id: str
    value: bool | None


class OverrideNote(_Out):
    """The law-layer rule a municipal rule replaces, and why."""

    rule_id: str
    reason: Text
    replaced_title: Text


class TrailStep(_Out):
    """One rule that reached a conclusion, in evaluation order."""

    rule_id: str
    title: Text
    kind: str
    layer: str
    service_level: bool
    result: bool
    conclusion: Text
    legal_basis: Basis
    facts_read: tuple[FactReading, ...]
    rules_read: tuple[RuleReading, ...]
    source: Position | None
    overrides: OverrideNote | None = None
    note: Text | None = None


class Requirement(_Out):
    """A requirement (or referral test) of one or more paths, and whether it is met."""

    rule_id: str
    title: Text
    paths: tuple[str, ...]
    status: Status
    on_fail: str
    refer_to: str | None
    expected: Text
    missing_facts: tuple[str, ...]
    service_level: bool
    legal_basis: Basis


class MissingFact(_Out):
    """A fact that would decide an undetermined requirement."""

    fact: str
    label: Text
    ask: Text
    needed_by: tuple[str, ...]


class ReasonKind(StrEnum):
    """What a reason is: the ground of a grant, a refusal, a referral, or missing information."""

    GRANT = "grant"
    REFUSAL = "refusal"
    REFERRAL = "referral"
    MISSING_INFORMATION = "missing_information"
    GUIDANCE = "guidance"


class Reason(_Out):
    """A reason for the outcome, with its legal basis."""

    code: str
    kind: ReasonKind
    text: Text
    service_level: bool
    legal_basis: Basis


class ReferralOut(_Out):
    """Where the need is referred to."""

    to: str
    title: Text
    rule_id: str
    legal_basis: Basis


class ObligationOut(_Out):
    """Something the municipality must do, with its dates."""

    rule_id: str
    title: Text
    text: Text
    dates: tuple[date, ...]
    service_level: bool
    legal_basis: Basis


class InformationOut(_Out):
    """Information for the citizen (conditions of delivery, cost, provider)."""

    rule_id: str
    title: Text
    text: Text
    service_level: bool
    legal_basis: Basis


class AppealGuidance(_Out):
    """How the decision on one path can be appealed, or that it cannot."""

    path: str
    appealable: bool
    weeks: int | None
    deadline_if_received_on_decision_date: date | None
    text: Text
    legal_basis: Basis


class PathResult(_Out):
    """The result of one grant path."""

    path: str
    title: Text
    status: Status
    legal_basis: Basis


class SupportAreaOut(_Out):
    """One of the municipality's support areas, and which requested areas it covers."""

    id: str
    title: Text
    requested: tuple[str, ...]


class DecisionRecord(_Out):
    """What is needed to reproduce the decision."""

    ruleset_id: str
    ruleset_hash: str
    municipality: int
    library_version: str
    engine: str
    decision_date: date
    conventions: tuple[str, ...]
    inputs: dict[str, Any]


class Verdict(_Out):
    """The result of evaluating a citizen profile against a municipality's rule set.

    Serialises to JSON and back unchanged:
    ``Verdict.model_validate_json(v.model_dump_json()) == v``.
    """

    outcome: Outcome
    municipality: int
    municipality_name: str
    decision_date: date
    reasons: tuple[Reason, ...]
    paths: tuple[PathResult, ...]
    trail: tuple[TrailStep, ...]
    unmet_requirements: tuple[Requirement, ...]
    undetermined_requirements: tuple[Requirement, ...]
    missing_facts: tuple[MissingFact, ...]
    referrals: tuple[ReferralOut, ...]
    obligations: tuple[ObligationOut, ...]
    information: tuple[InformationOut, ...]
    support_areas: tuple[SupportAreaOut, ...]
    end_date: date | None
    appeal: tuple[AppealGuidance, ...]
    record: DecisionRecord

    @property
    def granted(self) -> bool:
        """Whether a path was granted."""
        return self.outcome in (Outcome.GRANTED_85, Outcome.GRANTED_82B)


# ------------------------------------------------------------------------------------ helpers

def add_months(start: date, months: int) -> date:
    """The same day ``months`` later; the last day of the month where that day does not exist.

    >>> add_months(date(2026, 8, 31), 6), add_months(date(2026, 11, 23), 3)
    (datetime.date(2027, 2, 28), datetime.date(2027, 2, 23))
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


CONVENTIONS: tuple[str, ...] = (
    LEAP_DAY_CONVENTION,
    "ages are whole years on the decision date; 18 is reached on the 18th birthday",
    "dates 'after N months' fall on the same day N months later, or the month's last day",
    "the appeal deadline of 4 weeks is 28 days from the day the decision is received",
    "a § 82 b course ends at the latest on the same day 6 months after the decision date",
    "a missing fact is unknown, never false (three-valued logic)",
)


class _Builder:
    def __init__(self, ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue],
                 results: Results, on: date) -> None:
        self.ruleset = ruleset
        self.facts = facts
        self.results = results
        self.on = on
        # Rendered legal bases and requirement texts depend only on the rule set: memoised.
        self._bases: dict[int, Basis] = ruleset.memo.setdefault("bases", {})
        self._expected: dict[str, Text] = ruleset.memo.setdefault("expected", {})
        self._steps: dict[Any, TrailStep] = ruleset.memo.setdefault("steps", {})
        self._requirements: dict[Any, Requirement] = ruleset.memo.setdefault("requirements", {})

    # -- legal basis ------------------------------------------------------------------------

    def basis(self, legal_basis: LegalBasis) -> Basis:
        key = id(legal_basis)
        if key not in self._bases:
            acts = self.ruleset.acts
            law = tuple(
                LawCitation(
                    act=ref.act, section=ref.section, stk=ref.stk, nr=ref.nr,
                    citation=law_citation(ref, acts.get(ref.act)),
                    act_title=acts[ref.act].title, consolidation=acts[ref.act].consolidation,
                ) for ref in legal_basis.law)
            sources = []
            for ref in legal_basis.sources:
                doc = self.ruleset.sources[ref.source]
                sources.append(SourceCitation(
                    source=ref.source, publisher=doc.publisher, municipality=doc.municipality,
                    title=doc.title, date=doc.date, file=doc.file, section=ref.section,
                    quote=" ".join(ref.quote.split()),
                ))
            self._bases[key] = Basis(law=law, sources=tuple(sources))
        return self._bases[key]

    def rule_title(self, rule_id: str, lang: str) -> str:
        if self.ruleset.has_rule(rule_id):
            return self.ruleset.rule(rule_id).title.get(lang)
        return rule_id

    # -- requirements -----------------------------------------------------------------------

    def status(self, rule: ResolvedRule) -> Status:
        value = self.results.get(rule.id)
        if value is None:
            return Status.UNDETERMINED
        met = value if isinstance(rule.conclusion, Require) else not value
        return Status.MET if met else Status.NOT_MET

    def missing(self, condition: Condition, seen: set[str] | None = None) -> list[str]:
        """Unknown facts that keep a condition undetermined (through derived rules too)."""
        seen = set() if seen is None else seen
        out: list[str] = []
        if truth(condition, self.facts, self.results) is not None:
            return out
        if isinstance(condition, Compare):
            # Unknown, or known but not comparable (a support need that is 'not_assessed').
            return [condition.fact]
        if isinstance(condition, RuleRef):
            if condition.rule in seen or not self.ruleset.has_rule(condition.rule):
                return out
            seen.add(condition.rule)
            return self.missing(self.ruleset.rule(condition.rule).condition, seen)
        children = ([condition.item] if hasattr(condition, "item")
                    else list(getattr(condition, "items", ())))
        for child in children:
            for fact in self.missing(child, seen):
                if fact not in out:
                    out.append(fact)
        return out

    def requirement(self, rule: ResolvedRule) -> Requirement:
        status = self.status(rule)
        missing = tuple(self.missing(rule.condition)) if status is Status.UNDETERMINED else ()
        key = (rule.id, status, missing)
        found = self._requirements.get(key)
        if found is None:
            found = self._requirements[key] = self._requirement(rule, status, missing)
        return found

    def _requirement(self, rule: ResolvedRule, status: Status,
                     missing: tuple[str, ...]) -> Requirement:
        conclusion = rule.conclusion
        if isinstance(conclusion, Require):
            on_fail, refer_to = conclusion.on_fail, conclusion.refer_to
        else:
            assert isinstance(conclusion, Refer)
            on_fail, refer_to = "refer", conclusion.to
        expected = self._expected.get(rule.id)
        if expected is None:
            expected = self._expected[rule.id] = self.expected_text(rule)
        return Requirement(
            rule_id=rule.id, title=rule.title, paths=rule.paths, status=status,
            on_fail=on_fail, refer_to=refer_to, expected=expected, missing_facts=missing,
            service_level=rule.layer == "municipality", legal_basis=self.basis(rule.legal_basis),
        )

    def expected_text(self, rule: ResolvedRule) -> Text:
        """What would have to be true for the requirement to be met, in words."""
        conclusion = rule.conclusion
        if isinstance(conclusion, Require) and conclusion.expected is not None:
            return conclusion.expected
        negate = isinstance(conclusion, Refer)
        return Text(da=_sentence(describe(rule.condition, "da", self.rule_title, negate)),
                    en=_sentence(describe(rule.condition, "en", self.rule_title, negate)))

    # -- trail ------------------------------------------------------------------------------

    def trail_step(self, rule: ResolvedRule, value: bool) -> TrailStep:
        # Steps repeat across evaluations (same rule, conclusion and inputs): memoised.
        key = (rule.id, value, tuple(self.facts.get(name) for name in rule.facts),
               tuple(self.results.get(r) for r in rule.reads))
        step = self._steps.get(key)
        if step is None:
            if len(self._steps) > 50_000:
                self._steps.clear()
            step = self._steps[key] = self._trail_step(rule, value)
        return step

    def _trail_step(self, rule: ResolvedRule, value: bool) -> TrailStep:
        readings = tuple(
            FactReading(
                fact=name, value=fact_json(self.facts.get(name)),
                known=self.facts.get(name) is not None,
                label=Text(da=FACTS[name].da, en=FACTS[name].en),
                value_label=Text(da=FACTS[name].value_label(self.facts.get(name), "da"),
                                 en=FACTS[name].value_label(self.facts.get(name), "en")),
            ) for name in rule.facts)
        rules_read = tuple(RuleReading(rule_id=r, value=self.results.get(r)) for r in rule.reads)
        override = None
        if rule.override is not None:
            override = OverrideNote(rule_id=rule.override.rule, reason=rule.override.reason,
                                    replaced_title=rule.override.replaced_title)
        span: Span = rule.span
        return TrailStep(
            rule_id=rule.id, title=rule.title, kind=rule.kind, layer=rule.layer,
            service_level=rule.layer == "municipality", result=value,
            conclusion=self.conclusion_text(rule, value), legal_basis=self.basis(rule.legal_basis),
            facts_read=readings, rules_read=rules_read,
            source=Position(file=span.file, line=span.line, col=span.col),
            overrides=override, note=rule.note,
        )

    def conclusion_text(self, rule: ResolvedRule, value: bool) -> Text:
        c = rule.conclusion
        title = rule.title
        if isinstance(c, (Obligation, Inform)):
            return c.text
        if isinstance(c, Refer):
            target = self.ruleset.referrals[c.to].title
            if value:
                return Text(da=f"Behovet henvises til {target.da}.",
                            en=f"The need is referred to {target.en}.")
            return Text(da=f"Behovet dækkes ikke af {target.da}.",
                        en=f"The need is not covered by {target.en}.")
        if isinstance(c, Require):
            return (Text(da=f"Opfyldt: {title.da}.", en=f"Met: {title.en}.") if value else
                    Text(da=f"Ikke opfyldt: {title.da}.", en=f"Not met: {title.en}."))
        if rule.kind == "grant":
            return (Text(da=f"Alle betingelser for {title.da[:1].lower() + title.da[1:]} er "
                            "opfyldt.",
                         en=f"Every condition of {title.en[:1].lower() + title.en[1:]} is met.")
                    if value else
                    Text(da=f"Betingelserne for {title.da[:1].lower() + title.da[1:]} er ikke "
                            "opfyldt.",
                         en=f"The conditions of {title.en[:1].lower() + title.en[1:]} are not "
                            "met."))
        return (Text(da=f"Ja: {title.da}.", en=f"Yes: {title.en}.") if value else
                Text(da=f"Nej: {title.da}.", en=f"No: {title.en}."))

    # -- the verdict ------------------------------------------------------------------------

    def build(self, inputs: dict[str, Any], library_version: str, engine: str) -> Verdict:
        rs = self.ruleset
        offered = list(rs.offered_paths)
        requirements = [self.requirement(r) for r in rs.rules
                        if isinstance(r.conclusion, (Require, Refer))]
        path_status: dict[str, Status] = {}
        for p in offered:
            value = self.results.get(f"grant_{p}")
            path_status[p] = (Status.UNDETERMINED if value is None
                              else Status.MET if value else Status.NOT_MET)

        def blocking(path: str, kind: str) -> list[Requirement]:
            return [q for q in requirements if path in q.paths and q.on_fail == kind
                    and q.status is Status.NOT_MET]

        refusals = {p: blocking(p, "refuse") for p in offered}
        referrals = {p: blocking(p, "refer") for p in offered}
        gate = [q for q in requirements if q.on_fail == "refuse" and q.status is Status.NOT_MET
                and set(offered) <= set(q.paths)]
        granted = [p for p in offered if path_status[p] is Status.MET]
        open_paths = [p for p in offered if not refusals[p] and not referrals[p]]

        if gate:
            outcome = Outcome.REFUSED
        elif offered and all(referrals[p] for p in offered):
            outcome = Outcome.REFERRED
        elif granted:
            outcome = Outcome(rs.paths[granted[0]].outcome)
        elif open_paths:
            outcome = Outcome.NEEDS_INFORMATION
        elif any(referrals[p] for p in offered):
            outcome = Outcome.REFERRED
        else:
            outcome = Outcome.REFUSED
        chosen = granted[0] if granted and outcome.value.startswith("granted") else None

        reasons = self.reasons(outcome, chosen, requirements, offered, open_paths)
        undetermined = tuple(q for q in requirements if q.status is Status.UNDETERMINED
                             and set(q.paths) & set(offered))
        unmet = tuple(q for q in requirements if q.status is Status.NOT_MET
                      and set(q.paths) & set(offered))
        missing = self.missing_facts(outcome, requirements, open_paths)

        trail = []
        obligations, information = [], []
        for rule in rs.rules:
            value = self.results.get(rule.id)
            if value is None:
                continue
            if isinstance(rule.conclusion, (Obligation, Inform)):
                if chosen is None or chosen not in rule.paths:
                    continue
                if isinstance(rule.conclusion, Obligation):
                    obligations.append(self.obligation(rule, rule.conclusion))
                else:
                    information.append(InformationOut(
                        rule_id=rule.id, title=rule.title, text=rule.conclusion.text,
                        service_level=rule.layer == "municipality",
                        legal_basis=self.basis(rule.legal_basis)))
            trail.append(self.trail_step(rule, value))

        referral_out = tuple(
            ReferralOut(to=q.refer_to or "", title=rs.referrals[q.refer_to or ""].title,
                        rule_id=q.rule_id, legal_basis=self.referral_basis(q))
            for q in requirements if q.on_fail == "refer" and q.status is Status.NOT_MET
            and set(q.paths) & set(offered))
        end_date = None
        if chosen is not None and rs.paths[chosen].max_months:
            end_date = add_months(self.on, rs.paths[chosen].max_months or 0)
        appeal = () if outcome is Outcome.NEEDS_INFORMATION else tuple(
            self.appeal(p) for p in ([chosen] if chosen else []) + [p for p in offered
                                                                     if p != chosen])
        return Verdict(
            outcome=outcome, municipality=rs.municipality_code,
            municipality_name=rs.municipality_name, decision_date=self.on, reasons=reasons,
            paths=tuple(PathResult(path=p, title=rs.paths[p].title, status=path_status[p],
                                   legal_basis=self.basis(rs.paths[p].legal_basis))
                        for p in offered),
            trail=tuple(trail), unmet_requirements=unmet, undetermined_requirements=undetermined,
            missing_facts=missing, referrals=referral_out, obligations=tuple(obligations),
            information=tuple(information),
            support_areas=self.support_areas() if chosen else (),
            end_date=end_date, appeal=appeal,
            record=DecisionRecord(
                ruleset_id=rs.id, ruleset_hash=rs.content_hash, municipality=rs.municipality_code,
                library_version=library_version, engine=engine,
                decision_date=self.on, conventions=CONVENTIONS, inputs=inputs,
            ),
        )

    def referral_basis(self, requirement: Requirement) -> Basis:
        target = self.ruleset.referrals.get(requirement.refer_to or "")
        if target is not None and target.legal_basis is not None:
            return self.basis(target.legal_basis)
        return requirement.legal_basis

    def reasons(self, outcome: Outcome, chosen: str | None, requirements: list[Requirement],
                offered: list[str], open_paths: list[str]) -> tuple[Reason, ...]:
        rs = self.ruleset
        out: list[Reason] = []
        if chosen is not None:
            path = rs.paths[chosen]
            out.append(Reason(
                code=f"grant_{chosen}", kind=ReasonKind.GRANT,
                text=Text(da=f"Alle betingelser for {path.title.da[:1].lower()}"
                             f"{path.title.da[1:]} er opfyldt.",
                          en=f"Every condition of {path.title.en[:1].lower()}"
                             f"{path.title.en[1:]} is met."),
                service_level=False, legal_basis=self.basis(path.legal_basis)))
            for q in requirements:
                if chosen in q.paths and q.status is Status.MET and q.service_level:
                    out.append(self._reason(q, ReasonKind.GRANT))
            return tuple(out)
        if outcome in (Outcome.REFUSED, Outcome.REFERRED):
            # Every ground found (forvaltningsloven § 24): referrals, refusal grounds, and any
            # procedural step still outstanding (such as the citizen's consent).
            kinds = ((("refer", ReasonKind.REFERRAL), ("refuse", ReasonKind.REFUSAL))
                     if outcome is Outcome.REFERRED else
                     (("refuse", ReasonKind.REFUSAL), ("refer", ReasonKind.REFERRAL)))
            for on_fail, kind in (*kinds, ("guide", ReasonKind.GUIDANCE)):
                for q in requirements:
                    if (q.on_fail == on_fail and q.status is Status.NOT_MET
                            and set(q.paths) & set(offered)):
                        out.append(self._reason(q, kind))
            return tuple(out)
        for q in requirements:
            if not set(q.paths) & set(open_paths):
                continue
            if q.status is Status.NOT_MET and q.on_fail == "guide":
                out.append(self._reason(q, ReasonKind.GUIDANCE))
            elif q.status is Status.UNDETERMINED:
                out.append(self._reason(q, ReasonKind.MISSING_INFORMATION))
        return tuple(out)

    def _reason(self, q: Requirement, kind: ReasonKind) -> Reason:
        if kind is ReasonKind.REFERRAL:
            target = self.ruleset.referrals[q.refer_to or ""].title
            text = Text(da=f"{q.title.da}. Behovet henvises til {target.da}.",
                        en=f"{q.title.en}. The need is referred to {target.en}.")
        elif kind is ReasonKind.REFUSAL:
            text = Text(da=f"Ikke opfyldt: {q.title.da}. Det kræver, at {_lower(q.expected.da)}",
                        en=f"Not met: {q.title.en}. It requires that {_lower(q.expected.en)}")
        elif kind is ReasonKind.GRANT and q.on_fail == "refer":
            target = self.ruleset.referrals[q.refer_to or ""].title
            text = Text(da=f"Behovet dækkes ikke af {target.da}.",
                        en=f"The need is not covered by {target.en}.")
        elif kind is ReasonKind.GRANT:
            text = Text(da=f"Opfyldt: {q.title.da}.", en=f"Met: {q.title.en}.")
        elif kind is ReasonKind.GUIDANCE:
            text = Text(da=f"Mangler: {q.title.da}. Det kræver, at {_lower(q.expected.da)}",
                        en=f"Outstanding: {q.title.en}. It requires that {_lower(q.expected.en)}")
        else:
            facts = ", ".join(FACTS[f].da for f in q.missing_facts) or "—"
            facts_en = ", ".join(FACTS[f].en for f in q.missing_facts) or "—"
            text = Text(da=f"Kan ikke afgøres: {q.title.da}. Mangler: {facts}.",
                        en=f"Cannot be decided: {q.title.en}. Missing: {facts_en}.")
        return Reason(code=q.rule_id, kind=kind, text=text, service_level=q.service_level,
                      legal_basis=q.legal_basis)

    def missing_facts(self, outcome: Outcome, requirements: list[Requirement],
                      open_paths: list[str]) -> tuple[MissingFact, ...]:
        if outcome is not Outcome.NEEDS_INFORMATION:
            return ()
        needed: dict[str, list[str]] = {}
        for q in requirements:
            if q.status is Status.UNDETERMINED and set(q.paths) & set(open_paths):
                for fact in q.missing_facts:
                    needed.setdefault(fact, []).append(q.rule_id)
            if (q.status is Status.NOT_MET and q.on_fail == "guide"
                    and set(q.paths) & set(open_paths)):
                for node in walk(self.ruleset.rule(q.rule_id).condition):
                    if isinstance(node, Compare) and node.fact == "consent":
                        needed.setdefault("consent", []).append(q.rule_id)
        return tuple(
            MissingFact(fact=f, label=Text(da=FACTS[f].da, en=FACTS[f].en),
                        ask=Text(da=FACTS[f].ask_da, en=FACTS[f].ask_en),
                        needed_by=tuple(dict.fromkeys(rules)))
            for f, rules in needed.items())

    def obligation(self, rule: ResolvedRule, c: Obligation) -> ObligationOut:
        dates: list[date] = []
        if isinstance(c.after_months, tuple):
            dates.extend(add_months(self.on, m) for m in c.after_months)
        if c.every_months:
            dates.append(add_months(self.on, c.every_months))
        if c.within_days:
            dates.append(self.on + timedelta(days=c.within_days))
        return ObligationOut(rule_id=rule.id, title=rule.title, text=c.text,
                             dates=tuple(sorted(dates)),
                             service_level=rule.layer == "municipality",
                             legal_basis=self.basis(rule.legal_basis))

    def appeal(self, path: str) -> AppealGuidance:
        scheme = self.ruleset.appeal[self.ruleset.paths[path].appeal]
        deadline = self.on + timedelta(weeks=scheme.weeks) if scheme.weeks else None
        return AppealGuidance(path=path, appealable=scheme.appealable, weeks=scheme.weeks,
                              deadline_if_received_on_decision_date=deadline, text=scheme.text,
                              legal_basis=self.basis(scheme.legal_basis))

    def support_areas(self) -> tuple[SupportAreaOut, ...]:
        requested = self.facts.get("requested_support_areas")
        wanted = requested if isinstance(requested, frozenset) else frozenset()
        return tuple(
            SupportAreaOut(id=area_id, title=area.title,
                           requested=tuple(sorted(set(area.covers) & wanted)))
            for area_id, area in self.ruleset.support_areas.items())


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


ENGINES = {"rete": "durable_rules 2.0.28", "reference": "spstotte reference interpreter"}


def build_verdict(ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue], results: Results,
                  on: date, inputs: dict[str, Any], library_version: str,
                  backend: str = "rete") -> Verdict:
    """Build the verdict from the rules' conclusions (the same for both engines)."""
    return _Builder(ruleset, facts, results, on).build(inputs, library_version, ENGINES[backend])
