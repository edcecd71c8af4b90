"""Stage 6b, verdict: from the rules' conclusions to a decision with its legal justification.

The outcome itself is chosen by :func:`spstotte.verdict.precedence.decide` (docs/outcomes.md),
from the statuses of the requirements. This module gathers everything else a caseworker and a
decision letter need: the reasons with their kind of condition (statute, service level or the
caseworker's assessment), the trail, the missing facts, the assessments the decision rests on
and whether any is still missing, obligations with dates, guidance, and appeal guidance, and
fills in the output models of :mod:`spstotte.verdict.model`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from ..engine.reference import Results
from ..errors import Span
from ..facts import LEAP_DAY_CONVENTION, FactValue, fact_json, fact_spec
from ..lang.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    ConditionKind,
    ConditionVisitor,
    Guidance,
    Inform,
    Not,
    Obligation,
    Refer,
    Require,
    RuleRef,
    holds,
)
from ..lang.describe import describe, law_citation
from ..lang.ruleformat import LegalBasis, Text
from ..municipalities import MUNICIPALITY_NAMES
from ..profile import Assessment
from ..ruleset.resolve import ResolvedRule, ResolvedRuleSet
from ..texts import text as catalogue_text
from .model import (
    AppealGuidance,
    AssessmentOut,
    AssessmentStatus,
    DatedPart,
    DecisionRecord,
    FactReading,
    ForwardingOut,
    InformationOut,
    LawCitation,
    LegalBasisOut,
    MissingFact,
    ObligationOut,
    OverrideNote,
    PathResult,
    Position,
    Reason,
    ReferralOut,
    Requirement,
    RuleReading,
    SourceCitation,
    SupportAreaOut,
    TrailStep,
    Verdict,
)
from .precedence import (
    Decision,
    Outcome,
    PathState,
    ReasonKind,
    RequirementState,
    Status,
    decide,
    rests_on,
)

_T = TypeVar("_T")

#: The most entries a memo table of the verdict builder holds (per rule set): the oldest
#: go first. Small enough that memory stays flat over millions of varied evaluations
#: (benchmarks/bench_memory.py: at 4,000 the tables were still filling after 100,000
#: evaluations, +5.3 MiB to 1,000,000; at 1,000, +0.5 MiB from 100,000 to 400,000), large
#: enough for the repeats real caseloads have (no difference in speed measured between the two).
MEMO_LIMIT = 1_000
#: Trail steps are the largest entries (about 2 KB each, with their fact readings and legal
#: bases): 4,000 of them per rule set grew a process by 12 MB between 100,000 and 1,000,000
#: varied evaluations, after the other tables had filled.
STEP_MEMO_LIMIT = 1_000


def _make_room(table: dict[Any, Any], limit: int | None = None) -> None:
    """Drop the oldest entries of a full memo table: first in, first out, so that the table
    stays at its size and memory is reused rather than emptied and grown again."""
    limit = MEMO_LIMIT if limit is None else limit
    while len(table) >= limit:
        try:
            del table[next(iter(table))]
        except (RuntimeError, KeyError, StopIteration):  # another thread changed it meanwhile
            return


def _memoised(table: dict[Any, _T], key: Any, make: Callable[[], _T]) -> _T:
    """``table[key]``, made by ``make()`` (and the oldest entry dropped if the table is
    full) when it is not there yet."""
    found = table.get(key)
    if found is None:
        _make_room(table)
        found = table[key] = make()
    return found


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


#: What a rule is to the verdict builder (see :class:`_Plan`).
_GUIDANCE, _OBLIGATION, _INFORM, _OTHER = range(4)
_STATUS_OF_CODE = {"m": Status.MET, "n": Status.NOT_MET, "u": Status.UNDETERMINED}


class _Plan:
    """What the builder needs of a rule set on every call, computed once per rule set."""

    def __init__(self, ruleset: ResolvedRuleSet) -> None:
        offered = frozenset(ruleset.offered_paths)
        #: The requirements and referral tests: (rule, whether it is a requirement, whether it
        #: belongs to an offered path).
        self.requirements = tuple(
            (rule, isinstance(rule.conclusion, Require), bool(set(rule.paths) & offered))
            for rule in ruleset.rules if isinstance(rule.conclusion, (Require, Refer)))
        #: Every rule with what it is to the trail, and the facts and rules it reads.
        self.trail = tuple((rule, _GUIDANCE if isinstance(rule.conclusion, Guidance)
                            else _OBLIGATION if isinstance(rule.conclusion, Obligation)
                            else _INFORM if isinstance(rule.conclusion, Inform) else _OTHER,
                            rule.id, rule.facts, rule.reads)
                           for rule in ruleset.rules)
        #: The offered paths: (id, the rule of its acceptance, the rule of its order).
        self.paths = tuple((path_id, ruleset.paths[path_id].instead_of_entitlement,
                            ruleset.paths[path_id].by_order)
                           for path_id in ruleset.offered_paths)


def _plan_of(ruleset: ResolvedRuleSet) -> _Plan:
    """The rule set's plan, made once and kept in its memo."""
    plan: _Plan | None = ruleset.memo.get("plan")
    if plan is None:
        plan = ruleset.memo["plan"] = _Plan(ruleset)
    return plan


class _Decided:
    """What follows from the statuses of the requirements alone (and the paths' acceptance and
    order rules): the decision and who its grounds are for or against. Memoised by those."""

    __slots__ = ("adverse", "decision", "favourable", "rests", "statute_decides")

    def __init__(self, ruleset: ResolvedRuleSet, paths: list[PathState],
                 states: list[RequirementState], requirements: list[Requirement]) -> None:
        decision = self.decision = decide(paths, states)
        outcome, chosen = decision.outcome, decision.chosen
        reasons = [code for code, _ in decision.reasons if ruleset.has_rule(code)]
        # What goes against the citizen owes a justification (forvaltningsloven § 22): the
        # grounds of a refusal or referral, and for a grant the unmet requirements of a path the
        # citizen does not get (unless the citizen accepted the granted path in its place).
        adverse: list[str] = []
        favourable: list[str] = []
        if outcome in (Outcome.REFUSED, Outcome.REFERRED):
            adverse = reasons
        elif chosen is not None:
            favourable = [q.rule_id for q in requirements if chosen in q.paths]
            if not decision.replaced and not ruleset.paths[chosen].entitlement:
                adverse = [q.rule_id for q in requirements if q.status is Status.NOT_MET
                           and chosen not in q.paths
                           and set(q.paths) & set(ruleset.offered_paths)]
        else:
            favourable = reasons
        self.adverse = adverse
        self.favourable = favourable
        # Whether a statutory refusal ground of every path decides on its own.
        offered = set(ruleset.offered_paths)
        self.statute_decides = any(
            q.status is Status.NOT_MET and q.on_fail == "refuse"
            and q.condition_kind is ConditionKind.STATUTE and offered <= set(q.paths)
            for q in requirements)
        #: :func:`rests_on` by the service-level points asked about.
        self.rests: dict[tuple[str, ...], bool] = {}


class _Missing(ConditionVisitor[set[str], list[str]]):
    """Unknown facts that keep a condition undetermined, through the rules it reads too
    (``seen``: the rules already followed)."""

    def __init__(self, builder: _Builder) -> None:
        self.facts = builder.facts
        self.results = builder.results
        self.ruleset = builder.ruleset

    def of(self, node: Condition, seen: set[str]) -> list[str]:
        if holds(node, self.facts, self.results) is not None:
            return []
        return self.visit(node, seen)

    def visit_compare(self, node: Compare, seen: set[str], /) -> list[str]:
        # Unknown, or known but not comparable (a support need that is 'not_assessed').
        return [node.fact]

    def visit_rule_ref(self, node: RuleRef, seen: set[str], /) -> list[str]:
        if node.rule in seen or not self.ruleset.has_rule(node.rule):
            return []
        seen.add(node.rule)
        return self.of(self.ruleset.rule(node.rule).condition, seen)

    def visit_not(self, node: Not, seen: set[str], /) -> list[str]:
        return self._union((node.item,), seen)

    def visit_all(self, node: All | AnyOf, seen: set[str], /) -> list[str]:
        return self._union(node.items, seen)

    visit_any = visit_all

    def _union(self, items: tuple[Condition, ...], seen: set[str]) -> list[str]:
        out: list[str] = []
        for item in items:
            for fact in self.of(item, seen):
                if fact not in out:
                    out.append(fact)
        return out


class _Builder:
    def __init__(self, ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue],
                 results: Results, on: date) -> None:
        self.ruleset = ruleset
        self.facts = facts
        self.results = results
        self.on = on
        self.plan = _plan_of(ruleset)
        # Rendered legal bases and requirement texts depend only on the rule set: memoised.
        self._bases: dict[int, LegalBasisOut] = ruleset.memo.setdefault("bases", {})
        self._expected: dict[str, Text] = ruleset.memo.setdefault("expected", {})
        self._steps: dict[Any, TrailStep] = ruleset.memo.setdefault("steps", {})
        self._requirements: dict[Any, tuple[Requirement, RequirementState]] = \
            ruleset.memo.setdefault("requirement_states", {})
        self._decided: dict[Any, _Decided] = ruleset.memo.setdefault("decided", {})
        self._compacts: dict[Any, Any] = ruleset.memo.setdefault("compacts", {})
        # Parts of a verdict that depend on a few inputs only (a rule, a path, the date).
        self._parts: dict[Any, Any] = ruleset.memo.setdefault("parts", {})
        # Reasons, assessments and the discretionary points behind a set of grounds repeat too.
        self._reasons: dict[Any, tuple[Requirement | None, Reason]] = ruleset.memo.setdefault(
            "reason_of", {})
        self._assessments: dict[Any, AssessmentOut] = ruleset.memo.setdefault("assessments", {})
        self._points: dict[Any, dict[str, tuple[str, ...]]] = ruleset.memo.setdefault(
            "points", {})
        # The parts of a trail step: what a fact read and a rule read look like, and the
        # words of a rule's conclusion. A step that is new (its inputs not seen together
        # before) is assembled from these instead of written afresh.
        self._fact_readings: dict[Any, FactReading] = ruleset.memo.setdefault(
            "fact_readings", {})
        self._rule_readings: dict[Any, RuleReading] = ruleset.memo.setdefault(
            "rule_readings", {})
        self._conclusions: dict[Any, Text] = ruleset.memo.setdefault("conclusion_texts", {})

    # -- legal basis ------------------------------------------------------------------------

    def basis(self, legal_basis: LegalBasis) -> LegalBasisOut:
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
                if not self.ruleset.cites(ref.source):
                    continue  # a municipal text adopted after this version began
                doc = self.ruleset.sources[ref.source]
                sources.append(SourceCitation(
                    source=ref.source, publisher=doc.publisher, municipality=doc.municipality,
                    title=doc.title, date=doc.date, file=doc.file, section=ref.section,
                    quote=" ".join(ref.quote.split()),
                ))
            self._bases[key] = LegalBasisOut(law=law, sources=tuple(sources))
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
        return _Missing(self).of(condition, set() if seen is None else seen)

    def requirement(self, rule: ResolvedRule, is_require: bool
                    ) -> tuple[Requirement, RequirementState, str]:
        """The requirement (as :meth:`status` and :meth:`missing` find it), its state for
        :func:`decide` and a one-letter code of its status; memoised by rule, status and
        missing facts."""
        value = self.results.get(rule.id)
        if value is None:
            code = "u"
            missing = tuple(self.missing(rule.condition))
        else:
            code = "m" if (value if is_require else not value) else "n"
            missing = ()
        key = (rule.id, code, missing)
        found = self._requirements.get(key)
        if found is None:
            _make_room(self._requirements)
            requirement = self._requirement(rule, _STATUS_OF_CODE[code], missing)
            found = self._requirements[key] = (requirement, RequirementState(
                requirement.rule_id, frozenset(requirement.paths), requirement.on_fail,
                requirement.status, requirement.condition_kind))
        return found[0], found[1], code

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
            condition_kind=rule.condition_kind, legal_basis=self.basis(rule.legal_basis),
        )

    def expected_text(self, rule: ResolvedRule) -> Text:
        """What would have to be true for the requirement to be met, in words."""
        conclusion = rule.conclusion
        if isinstance(conclusion, (Require, Refer)) and conclusion.expected is not None:
            return conclusion.expected
        negate = isinstance(conclusion, Refer)
        condition = rule.stated_condition
        return Text(da=_clause(describe(condition, "da", self.rule_title, negate)),
                    en=_clause(describe(condition, "en", self.rule_title, negate)))

    # -- trail ------------------------------------------------------------------------------

    def trail_step(self, rule: ResolvedRule, value: bool) -> TrailStep:
        # Steps repeat across evaluations (same rule, conclusion and inputs): memoised. The
        # rule fixes how many facts and rules it reads, so one flat key is unambiguous.
        key = (rule.id, value, *map(self.facts.get, rule.facts),
               *map(self.results.get, rule.reads))
        step = self._steps.get(key)
        if step is None:
            _make_room(self._steps, STEP_MEMO_LIMIT)
            step = self._steps[key] = self._trail_step(rule, value)
        return step

    def _trail_step(self, rule: ResolvedRule, value: bool) -> TrailStep:
        readings = tuple(self.fact_reading(name) for name in rule.facts)
        rules_read = tuple(self.rule_reading(r) for r in rule.reads)
        override = None
        if rule.override is not None:
            override = OverrideNote(rule_id=rule.override.rule, reason=rule.override.reason,
                                    replaced_title=rule.override.replaced_title)
        span: Span = rule.span
        on_fail = (rule.conclusion.on_fail if isinstance(rule.conclusion, Require)
                   else "refer" if isinstance(rule.conclusion, Refer) else None)
        return TrailStep(
            rule_id=rule.id, title=rule.title, kind=rule.kind, on_fail=on_fail, layer=rule.layer,
            condition_kind=rule.condition_kind, result=value,
            conclusion=self.conclusion(rule, value), legal_basis=self.basis(rule.legal_basis),
            facts_read=readings, rules_read=rules_read,
            source=Position(file=span.file, line=span.line, col=span.col),
            overrides=override, note=rule.note,
        )

    def fact_reading(self, name: str) -> FactReading:
        """A fact as a trail step shows it read (memoised by the fact and its value; by the
        value's type too, since True and 1 are equal keys and read differently)."""
        value = self.facts.get(name)

        def make() -> FactReading:
            spec = fact_spec(name)
            return FactReading(fact=name, value=fact_json(value), known=value is not None,
                               label=Text(da=spec.da, en=spec.en),
                               value_label=Text(da=spec.value_label(value, "da"),
                                                en=spec.value_label(value, "en")))

        return _memoised(self._fact_readings, (name, type(value), value), make)

    def rule_reading(self, rule_id: str) -> RuleReading:
        """Another rule's conclusion as a trail step shows it read (memoised)."""
        value = self.results.get(rule_id)
        return _memoised(self._rule_readings, (rule_id, value),
                         lambda: RuleReading(rule_id=rule_id, value=value))

    def conclusion(self, rule: ResolvedRule, value: bool) -> Text:
        """:meth:`conclusion_text`, memoised: it depends on the rule and its value only."""
        return _memoised(self._conclusions, (rule.id, value),
                         lambda: self.conclusion_text(rule, value))

    def conclusion_text(self, rule: ResolvedRule, value: bool) -> Text:
        conclusion = rule.conclusion
        title = rule.title
        if isinstance(conclusion, (Obligation, Inform, Guidance)):
            return conclusion.text
        if isinstance(conclusion, Refer):
            target = self.ruleset.referrals[conclusion.to].title
            key = "referred" if value else "not_referred"
            return self.words(f"trail.{key}", target=target)
        if isinstance(conclusion, Require):
            return self.words("trail.met" if value else "trail.not_met", title=title)
        if rule.kind == "grant":
            return self.words("trail.grant" if value else "trail.no_grant",
                              title=_lowered(title))
        return self.words("trail.yes" if value else "trail.no", title=title)

    def words(self, key: str, **values: Text | str) -> Text:
        """A sentence of the catalogue in both languages, filled in with texts or strings."""
        def fill(lang: str) -> str:
            return catalogue_text(key, lang, **{
                k: (v.get(lang) if isinstance(v, Text) else v) for k, v in values.items()})
        return Text(da=fill("da"), en=fill("en"))

    # -- the verdict ------------------------------------------------------------------------

    def decide(self) -> _Decision:
        """The decision alone: the requirements' statuses and what follows from them."""
        rs = self.ruleset
        plan = self.plan
        offered = list(rs.offered_paths)
        requirements: list[Requirement] = []
        states: list[RequirementState] = []
        codes: list[str] = []
        undetermined_list: list[Requirement] = []
        unmet_list: list[Requirement] = []
        by_id: dict[str, Requirement] = {}
        for rule, is_require, on_offered in plan.requirements:
            requirement, state, code = self.requirement(rule, is_require)
            by_id[requirement.rule_id] = requirement
            requirements.append(requirement)
            states.append(state)
            codes.append(code)
            if on_offered:
                if code == "u":
                    undetermined_list.append(requirement)
                elif code == "n":
                    unmet_list.append(requirement)
        # The decision follows from the statuses and the paths' acceptance and order rules.
        key = ("".join(codes), self._acceptances())
        settled = self._decided.get(key)
        if settled is None:
            _make_room(self._decided)
            settled = self._decided[key] = _Decided(
                rs, [self.path_state(p) for p in offered], states, requirements)
        return _Decision(settled, requirements, states, by_id, undetermined_list, unmet_list)

    def _acceptances(self) -> tuple[tuple[bool | None, bool | None], ...]:
        """What each path's acceptance and by-order rules concluded (part of every decision's
        memo key)."""
        results = self.results
        return tuple((None if accepted is None else results.get(accepted),
                      None if by_order is None else results.get(by_order))
                     for _, accepted, by_order in self.plan.paths)

    def compact(self) -> dict[str, Any]:
        """The compact record of the verdict (see :func:`spstotte.batch.compact`) without
        building the verdict: what a caseload run needs, at a fraction of the cost.

        The decision follows from the requirements' statuses and the paths' acceptance rules
        alone: memoised by those, which a caseload has few combinations of. Which facts are
        missing is then found case by case, for the requirements that ask for them only."""
        results = self.results
        parts: list[bool | None] = []
        for rule, is_require, _ in self.plan.requirements:
            value = results.get(rule.id)
            parts.append(None if value is None else value is is_require)  # met
        key = (tuple(parts), self._acceptances())
        found = self._compacts.get(key)
        if found is None:
            _make_room(self._compacts)
            found = self._compacts[key] = self._compact()
        outcome, reasons, asking, paths, months = found
        missing: dict[str, None] = {}
        for rule in asking:
            for fact in self.missing(rule.condition):
                missing.setdefault(fact)
        rs = self.ruleset
        return {
            "outcome": outcome, "municipality": rs.municipality_code,
            "decision_date": self.on.isoformat(),
            "reasons": [{"code": code, "kind": kind} for code, kind in reasons],
            "missing_facts": list(missing), "paths": dict(paths),
            "end_date": add_months(self.on, months).isoformat() if months else None,
            "ruleset": rs.id, "ruleset_hash": rs.content_hash,
        }

    def _compact(self) -> tuple[str, tuple[tuple[str, str], ...], tuple[ResolvedRule, ...],
                                tuple[tuple[str, str], ...], int | None]:
        """What a compact record takes from the decision: the outcome, the reasons, the
        requirements whose missing facts it asks for, the paths' statuses and the months
        of the chosen path."""
        found = self.decide()
        decision = found.settled.decision
        rs = self.ruleset
        chosen = decision.chosen
        asking = tuple(rs.rule(q.rule_id) for q in self.asking(decision, found.requirements)
                       if q.status is Status.UNDETERMINED)
        return (decision.outcome.value,
                tuple((code, kind.value) for code, kind in decision.reasons),
                asking,
                tuple((p, decision.path_status[p].value) for p in rs.offered_paths),
                rs.paths[chosen].max_months if chosen is not None else None)

    def build(self, inputs: dict[str, Any], library_version: str, engine: str,
              assessments: Mapping[str, Assessment]) -> Verdict:
        rs = self.ruleset
        plan = self.plan
        offered = list(rs.offered_paths)
        results = self.results
        found = self.decide()
        settled, requirements, states, by_id = (found.settled, found.requirements, found.states,
                                                found.by_id)
        undetermined_list, unmet_list = found.undetermined, found.unmet
        decision = settled.decision
        outcome, chosen = decision.outcome, decision.chosen

        reasons = tuple(self.reason(code, kind, by_id) for code, kind in decision.reasons)
        undetermined = tuple(undetermined_list)
        unmet = tuple(unmet_list)
        missing = self.missing_facts(decision, requirements)
        assessed = self.assessments(settled, states, by_id, assessments)

        trail = []
        obligations, information, guidance = [], [], []
        facts_get, results_get = self.facts.get, results.get
        steps = self._steps
        for rule, what, rule_id, facts_read, rules_read in plan.trail:
            value = results_get(rule_id)
            if value is None:
                continue
            if what == _GUIDANCE:
                assert isinstance(rule.conclusion, Guidance)
                guidance.append(self.information(rule, rule.conclusion.text))
            elif what != _OTHER:
                if chosen is None or chosen not in rule.paths:
                    continue
                if isinstance(rule.conclusion, Obligation):
                    obligations.append(self.obligation(rule, rule.conclusion))
                else:
                    assert isinstance(rule.conclusion, Inform)
                    information.append(self.information(rule, rule.conclusion.text))
            # Steps repeat across evaluations (same rule, conclusion and inputs): memoised.
            step = steps.get((rule_id, value, *map(facts_get, facts_read),
                              *map(results_get, rules_read)))
            if step is None:
                step = self.trail_step(rule, value)
            trail.append(step)

        referral_out = tuple(self.referral(q) for q in unmet if q.on_fail == "refer")
        end_date = None
        if chosen is not None and rs.paths[chosen].max_months:
            end_date = add_months(self.on, rs.paths[chosen].max_months or 0)
        decided = outcome not in (Outcome.NEEDS_INFORMATION, Outcome.FORWARDED, Outcome.CLOSED)
        # Appeal guidance for every path decided: not for an entitlement still pending, nor for
        # one the citizen set aside by accepting a straksforløb (no decision was made on it),
        # nor for the other paths when the entitlement itself is granted (they are moot).
        undecided = set(offered) if not decided else {*decision.pending, *decision.replaced}
        if chosen is not None and rs.paths[chosen].entitlement:
            undecided |= set(offered) - {chosen}
        appeal = tuple(self.appeal(p) for p in ([chosen] if chosen else []) + [
            p for p in offered if p != chosen and p not in undecided])
        final = decided and not any(a.blocking for a in assessed)
        return Verdict(
            outcome=outcome, municipality=rs.municipality_code,
            municipality_name=rs.municipality_name, decision_date=self.on, final=final,
            reasons=reasons,
            paths=tuple(self.path_result(p, decision.path_status[p], p not in undecided)
                        for p in offered),
            trail=tuple(trail), unmet_requirements=unmet, undetermined_requirements=undetermined,
            missing_facts=missing, referrals=referral_out, obligations=tuple(obligations),
            information=tuple(information), guidance=tuple(guidance), assessments=assessed,
            forward_to=self.forwarding(decision, by_id), pending_paths=decision.pending,
            replaced_paths=decision.replaced,
            support_areas=self.support_areas() if chosen else (),
            end_date=end_date, appeal=appeal,
            record=DecisionRecord(
                ruleset_id=rs.id, ruleset_hash=rs.content_hash,
                ruleset_valid_from=rs.period.valid_from, ruleset_valid_to=rs.period.valid_to,
                dated=self.dated_parts(), municipality=rs.municipality_code,
                library_version=library_version, engine=engine,
                decision_date=self.on, conventions=CONVENTIONS, inputs=inputs,
            ),
        )

    def dated_parts(self) -> tuple[DatedPart, ...]:
        parts = self._parts.get("dated")
        if parts is None:
            rs = self.ruleset
            parts = self._parts["dated"] = tuple(
                [DatedPart(kind="rule", id=r.id, valid_from=r.period.valid_from,
                           valid_to=r.period.valid_to) for r in rs.rules if r.period.dated]
                + [DatedPart(kind="parameter", id=p.name, valid_from=p.period.valid_from,
                             valid_to=p.period.valid_to)
                   for p in rs.parameters.values() if p.period.dated])
        return parts

    def path_state(self, path_id: str) -> PathState:
        path = self.ruleset.paths[path_id]
        return PathState(
            path_id, Outcome(path.outcome), path.entitlement,
            None if path.instead_of_entitlement is None
            else self.results.get(path.instead_of_entitlement),
            None if path.by_order is None else self.results.get(path.by_order))

    def part(self, key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
        """A part of the verdict that depends only on ``key``, memoised."""
        found: _T = _memoised(self._parts, key, make)
        return found

    def information(self, rule: ResolvedRule, text: Text) -> InformationOut:
        return self.part(("information", rule.id, id(text)), lambda: InformationOut(
            rule_id=rule.id, title=rule.title, text=text, condition_kind=rule.condition_kind,
            legal_basis=self.basis(rule.legal_basis)))

    def path_result(self, path: str, status: Status, decided: bool) -> PathResult:
        rs = self.ruleset
        return self.part(("path", path, status, decided), lambda: PathResult(
            path=path, title=rs.paths[path].title, status=status,
            legal_basis=self.basis(rs.paths[path].legal_basis), decided=decided))

    def referral(self, requirement: Requirement) -> ReferralOut:
        rs = self.ruleset
        return self.part(("referral", requirement.rule_id, requirement.refer_to,
                          id(requirement.legal_basis)), lambda: ReferralOut(
            to=requirement.refer_to or "", title=rs.referrals[requirement.refer_to or ""].title,
            rule_id=requirement.rule_id, legal_basis=self.referral_basis(requirement)))

    def referral_basis(self, requirement: Requirement) -> LegalBasisOut:
        target = self.ruleset.referrals.get(requirement.refer_to or "")
        if target is not None and target.legal_basis is not None:
            return self.basis(target.legal_basis)
        return requirement.legal_basis

    def forwarding(self, decision: Decision, by_id: Mapping[str, Requirement]
                   ) -> ForwardingOut | None:
        if decision.outcome is not Outcome.FORWARDED:
            return None
        for code, kind in decision.reasons:
            if kind is not ReasonKind.FORWARDING:
                continue
            conclusion = self.ruleset.rule(code).conclusion
            assert isinstance(conclusion, Require) and conclusion.forward_to is not None
            target = self.facts.get(conclusion.forward_to)
            if isinstance(target, int) and not isinstance(target, bool):
                requirement = by_id[code]
                return ForwardingOut(municipality=target,
                                     municipality_name=MUNICIPALITY_NAMES.get(target, ""),
                                     rule_id=code, title=requirement.title,
                                     legal_basis=requirement.legal_basis)
        return None  # pragma: no cover - a forward requirement fails only on a known municipality

    # -- reasons ----------------------------------------------------------------------------

    def reason(self, code: str, kind: ReasonKind, by_id: Mapping[str, Requirement]) -> Reason:
        requirement = by_id.get(code)
        key = (code, kind, id(requirement),
               self.forward_target(code) if requirement is not None else None)
        found = self._reasons.get(key)
        # The requirement is kept with its reason: an id is only unique while its object lives.
        if found is None or found[0] is not requirement:
            _make_room(self._reasons)
            found = self._reasons[key] = (requirement, self._reason(code, kind, by_id))
        return found[1]

    def forward_target(self, code: str) -> FactValue:
        conclusion = self.ruleset.rule(code).conclusion
        if isinstance(conclusion, Require) and conclusion.forward_to is not None:
            return self.facts.get(conclusion.forward_to)
        return None

    def _reason(self, code: str, kind: ReasonKind, by_id: Mapping[str, Requirement]) -> Reason:
        rs = self.ruleset
        if code.startswith("grant_") and code not in by_id:
            path = rs.paths[code.removeprefix("grant_")]
            return Reason(code=code, kind=kind,
                          text=self.words("reason.grant", title=_lowered(path.title)),
                          condition_kind=ConditionKind.STATUTE,
                          legal_basis=self.basis(path.legal_basis))
        requirement = by_id[code]
        expected = Text(da=_lower(requirement.expected.da), en=_lower(requirement.expected.en))
        if kind is ReasonKind.REFERRAL:
            target = rs.referrals[requirement.refer_to or ""].title
            text = self.words("reason.referral", title=requirement.title, target=target)
        elif kind is ReasonKind.GRANT:
            text = self.words("reason.met", title=requirement.title)
        elif kind is ReasonKind.MISSING_INFORMATION:
            missing = requirement.missing_facts
            text = Text(
                da=catalogue_text("reason.missing", "da", title=requirement.title.da,
                                  facts=", ".join(fact_spec(f).da for f in missing) or "—"),
                en=catalogue_text("reason.missing", "en", title=requirement.title.en,
                                  facts=", ".join(fact_spec(f).en for f in missing) or "—"))
        elif kind is ReasonKind.FORWARDING:
            rule = rs.rule(code)
            assert isinstance(rule.conclusion, Require) and rule.conclusion.forward_to
            target_code = self.facts.get(rule.conclusion.forward_to)
            name = (MUNICIPALITY_NAMES.get(target_code, str(target_code))
                    if isinstance(target_code, int) else str(target_code))
            text = self.words("reason.forwarding", title=requirement.title, expected=expected,
                              municipality=name)
        else:
            text = self.words(f"reason.{kind.value}", title=requirement.title, expected=expected)
        return Reason(code=requirement.rule_id, kind=kind, text=text,
                      condition_kind=requirement.condition_kind,
                      legal_basis=requirement.legal_basis)

    @staticmethod
    def asking(decision: Decision, requirements: list[Requirement]) -> list[Requirement]:
        """The requirements whose missing facts the verdict asks for, in order: every path's
        when more information is needed, the pending entitlement's when a straksforløb was
        granted by order."""
        if decision.outcome is Outcome.NEEDS_INFORMATION:
            wanted = {code for code, kind in decision.reasons
                      if kind is ReasonKind.MISSING_INFORMATION}
        elif decision.pending:
            pending = set(decision.pending)
            wanted = {q.rule_id for q in requirements
                      if q.status is Status.UNDETERMINED and set(q.paths) & pending}
        else:
            return []
        return [q for q in requirements if q.rule_id in wanted]

    def missing_facts(self, decision: Decision,
                      requirements: list[Requirement]) -> tuple[MissingFact, ...]:
        """The facts that would decide what is still open (see :meth:`asking`)."""
        needed: dict[str, list[str]] = {}
        for requirement in self.asking(decision, requirements):
            for fact in requirement.missing_facts:
                needed.setdefault(fact, []).append(requirement.rule_id)
        return tuple(
            MissingFact(fact=f, label=Text(da=fact_spec(f).da, en=fact_spec(f).en),
                        ask=Text(da=fact_spec(f).ask_da, en=fact_spec(f).ask_en),
                        needed_by=tuple(dict.fromkeys(rules)))
            for f, rules in needed.items())

    # -- assessments ------------------------------------------------------------------------

    def assessments(self, decided: _Decided, states: list[RequirementState],
                    by_id: Mapping[str, Requirement],
                    recorded: Mapping[str, Assessment]) -> tuple[AssessmentOut, ...]:
        """The points a person must assess that the decision rests on (see AssessmentOut)."""
        rs = self.ruleset
        # What goes against the citizen owes a justification (forvaltningsloven § 22), see
        # _Decided.
        adverse, favourable = decided.adverse, decided.favourable
        out: list[AssessmentOut] = []
        # 1. The discretionary points of the law the grounds read (through derived rules too).
        against = self.discretionary_points(adverse)
        points = {**self.discretionary_points(favourable), **against}
        for fact, rule_ids in points.items():
            value = self.facts.get(fact)
            if value is None:
                continue
            considerations = recorded[fact].considerations if fact in recorded else None
            out.append(self.assessment_out(
                fact, ConditionKind.ASSESSMENT, Text(da=fact_spec(fact).da, en=fact_spec(fact).en),
                value, considerations, fact in against, rule_ids,
                rs.rule(rule_ids[0]).legal_basis))
        # 2. The service-level points: recorded assessments, and those a refusal rests on.
        unassessed = [rule_id for rule_id in rs.assessment_points
                      if rule_id in by_id and by_id[rule_id].status is Status.NOT_MET
                      and (rule_id not in recorded or recorded[rule_id].finding is None)]
        asked = tuple(unassessed)
        rests = decided.rests.get(asked)
        if rests is None:
            paths = [self.path_state(p) for p in self.ruleset.offered_paths]
            rests = decided.rests[asked] = rests_on(paths, states, unassessed)
        required = set(unassessed) if rests else set()
        # A service-level ground the decision states against the citizen needs the concrete
        # assessment too, even where another ground carries the outcome: every ground stated
        # must hold (forvaltningsloven § 24), and a service level alone never establishes one.
        # Not where a statutory refusal ground of every path decides on its own.
        if not decided.statute_decides:
            required |= {rule_id for rule_id in unassessed if rule_id in adverse}
        for rule_id in rs.assessment_points:
            rule = rs.rule(rule_id)
            entry = recorded.get(rule_id)
            finding = None if entry is None else entry.finding
            if finding is None and rule_id not in required:
                continue
            mechanical = holds(rule.stated_condition, self.facts, self.results)
            out.append(self.assessment_out(
                rule_id, ConditionKind.SERVICE_LEVEL, rule.title, finding,
                None if entry is None else entry.considerations, rule_id in adverse,
                (rule_id,), rule.legal_basis, mechanical))
        return tuple(out)

    def discretionary_points(self, rule_ids: list[str]) -> dict[str, tuple[str, ...]]:
        """Discretionary facts read by these rules or the rules they read: fact -> rules."""
        key = tuple(rule_ids)
        found = self._points.get(key)
        if found is None:
            _make_room(self._points)
            found = self._points[key] = self._discretionary_points(rule_ids)
        return found

    def _discretionary_points(self, rule_ids: list[str]) -> dict[str, tuple[str, ...]]:
        rs = self.ruleset
        found: dict[str, list[str]] = {}
        seen: set[str] = set()
        stack = [r for r in rule_ids if rs.has_rule(r)]
        while stack:
            rule_id = stack.pop(0)
            if rule_id in seen:
                continue
            seen.add(rule_id)
            rule = rs.rule(rule_id)
            for fact in rule.facts:
                if fact_spec(fact).discretionary and rule.assessment_fact != fact:
                    found.setdefault(fact, []).append(rule_id)
            stack.extend(r for r in rule.reads if rs.has_rule(r) and not r.startswith("grant_"))
        return {fact: tuple(rules) for fact, rules in found.items()}

    def assessment_out(self, point: str, kind: ConditionKind, title: Text, finding: Any,
                       considerations: str | None, justified: bool, rules: tuple[str, ...],
                       basis: LegalBasis, mechanical: bool | None = None) -> AssessmentOut:
        key = (point, kind, finding, considerations, justified, rules, mechanical)
        found = self._assessments.get(key)
        if found is None:
            _make_room(self._assessments)
            found = self._assessments[key] = self._assessment_out(
                point, kind, title, finding, considerations, justified, rules, basis, mechanical)
        return found

    def _assessment_out(self, point: str, kind: ConditionKind, title: Text, finding: Any,
                        considerations: str | None, justified: bool, rules: tuple[str, ...],
                        basis: LegalBasis, mechanical: bool | None) -> AssessmentOut:
        service_level = kind is ConditionKind.SERVICE_LEVEL
        departs = service_level and finding is not None and mechanical is not None \
            and finding != mechanical
        if finding is None:
            status = AssessmentStatus.REQUIRED
        elif considerations is None:
            status = AssessmentStatus.CONSIDERATIONS_MISSING
        else:
            status = AssessmentStatus.RECORDED
        # A departure from the service level must always be reasoned; a finding only where the
        # decision owes a justification.
        blocking = status is AssessmentStatus.REQUIRED or (
            status is AssessmentStatus.CONSIDERATIONS_MISSING and (justified or departs))
        if status is AssessmentStatus.REQUIRED:
            explanation = self.words("assessment.required", title=title)
        elif departs:
            explanation = self.words("assessment.departs", title=title)
        elif status is AssessmentStatus.CONSIDERATIONS_MISSING and blocking:
            explanation = self.words("assessment.considerations_missing", title=title)
        elif status is AssessmentStatus.CONSIDERATIONS_MISSING:
            explanation = self.words("assessment.no_justification_needed", title=title)
        else:
            explanation = self.words("assessment.recorded", title=title)
        fact = fact_spec(point) if not service_level else None
        label = Text(da=fact.value_label(finding, "da") if fact else _yes_no(finding, "da"),
                     en=fact.value_label(finding, "en") if fact else _yes_no(finding, "en"))
        return AssessmentOut(
            point=point, condition_kind=kind, title=title, status=status,
            finding=fact_json(finding),
            finding_label=label, considerations=considerations,
            service_level_result=mechanical if service_level else None,
            departs_from_service_level=departs, blocking=blocking, text=explanation,
            rules=rules, legal_basis=self.basis(basis))

    # -- obligations, appeal, support areas ---------------------------------------------------

    def obligation(self, rule: ResolvedRule, conclusion: Obligation) -> ObligationOut:
        return self.part(("obligation", rule.id, self.on),
                         lambda: self._obligation(rule, conclusion))

    def _obligation(self, rule: ResolvedRule, conclusion: Obligation) -> ObligationOut:
        dates: list[date] = []
        if isinstance(conclusion.after_months, tuple):
            dates.extend(add_months(self.on, m) for m in conclusion.after_months)
        if conclusion.every_months:
            dates.append(add_months(self.on, conclusion.every_months))
        if conclusion.within_days:
            dates.append(self.on + timedelta(days=conclusion.within_days))
        return ObligationOut(rule_id=rule.id, title=rule.title, text=conclusion.text,
                             dates=tuple(sorted(dates)), condition_kind=rule.condition_kind,
                             legal_basis=self.basis(rule.legal_basis))

    def appeal(self, path: str) -> AppealGuidance:
        return self.part(("appeal", path, self.on), lambda: self._appeal(path))

    def _appeal(self, path: str) -> AppealGuidance:
        scheme = self.ruleset.appeal[self.ruleset.paths[path].appeal]
        deadline = self.on + timedelta(weeks=scheme.weeks) if scheme.weeks else None
        return AppealGuidance(path=path, appealable=scheme.appealable, weeks=scheme.weeks,
                              deadline_if_received_on_decision_date=deadline, text=scheme.text,
                              legal_basis=self.basis(scheme.legal_basis))

    def support_areas(self) -> tuple[SupportAreaOut, ...]:
        requested = self.facts.get("requested_support_areas")
        wanted = requested if isinstance(requested, frozenset) else frozenset()
        return self.part(("support_areas", wanted), lambda: self._support_areas(wanted))

    def _support_areas(self, wanted: frozenset[str]) -> tuple[SupportAreaOut, ...]:
        return tuple(
            SupportAreaOut(id=area_id, title=area.title,
                           requested=tuple(sorted(set(area.covers) & wanted)))
            for area_id, area in self.ruleset.support_areas.items())


def _clause(text: str) -> str:
    """A clause that follows "Det kræver, at ...": lower case first (not an acronym), ending in
    a full stop."""
    text = text.strip()
    if not text:
        return text
    if not (len(text) > 1 and text[1].isupper()):
        text = text[0].lower() + text[1:]
    return text if text.endswith(".") else text + "."


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _lowered(title: Text) -> Text:
    return Text(da=_lower(title.da), en=_lower(title.en))


def _yes_no(value: object, lang: str) -> str:
    if value is None:
        return catalogue_text("values.unknown", lang)
    return catalogue_text("values.yes" if value else "values.no", lang)


ENGINES = {"rete": "durable_rules 2.0.28", "reference": "spstotte reference interpreter"}


@dataclass
class _Decision:
    """What :meth:`_Builder.decide` finds: the settled decision and the requirements."""

    settled: _Decided
    requirements: list[Requirement]
    states: list[RequirementState]
    by_id: dict[str, Requirement]
    undetermined: list[Requirement]
    unmet: list[Requirement]


def decision_rules(ruleset: ResolvedRuleSet) -> frozenset[str]:
    """The rules whose conclusions the decision reads (:func:`decide_only`,
    :func:`compact_verdict`): the requirements and referral tests, and the offered paths'
    acceptance and by-order rules. With the rules these read, they are all a network needs
    for a decision without its trail (``ResolvedRuleSet.narrowed_to``); the trail's
    information, obligations and guidance are left out. Kept in the rule set's memo."""
    found = ruleset.memo.get("decision_rules")
    if found is None:
        plan = _plan_of(ruleset)
        found = ruleset.memo["decision_rules"] = frozenset(
            {rule.id for rule, _, _ in plan.requirements}
            | {rule_id for _, accepted, by_order in plan.paths
               for rule_id in (accepted, by_order) if rule_id is not None})
    return found


def compact_verdict(ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue], results: Results,
                    on: date) -> dict[str, Any]:
    """The compact record of the verdict these conclusions give (the same as
    ``spstotte.batch.compact(build_verdict(...))``, without building the verdict). Only the
    conclusions of :func:`decision_rules`, and of the rules they read, are looked at."""
    return _Builder(ruleset, facts, results, on).compact()


def build_verdict(ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue], results: Results,
                  on: date, inputs: dict[str, Any], library_version: str,
                  backend: str = "rete",
                  assessments: Mapping[str, Assessment] | None = None) -> Verdict:
    """Build the verdict from the rules' conclusions (the same for both engines)."""
    return _Builder(ruleset, facts, results, on).build(inputs, library_version, ENGINES[backend],
                                                       assessments or {})


def decide_only(ruleset: ResolvedRuleSet, facts: Mapping[str, FactValue], results: Results,
                on: date) -> Decision:
    """The decision a verdict would state (its outcome, chosen path and reasons' codes and
    kinds), without the verdict's texts, trail and legal bases: what comparing many cases
    needs, at a fraction of the cost of :func:`build_verdict`. The same code decides both."""
    return _Builder(ruleset, facts, results, on).decide().settled.decision
