"""Stage 6, verdict: the output models, frozen pydantic models that serialise to JSON and back.

A :class:`Verdict` holds the outcome with its reasons (each with the kind of condition it rests
on: statute, service level or the caseworker's assessment), the trail, the requirements and
their missing facts, the assessments the decision rests on, obligations with dates, guidance,
appeal guidance and the record needed to reproduce the decision. The models hold data only;
:mod:`spstotte.verdict.build` fills them in. Their names follow docs/conventions.md ("one
concept, one name"): a model ends in ``Out`` where a rule-file model or a conclusion has the
same concept.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..lang.conditions import ConditionKind
from ..lang.ruleformat import Text
from .precedence import Outcome, ReasonKind, Status


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Kinded(_Out):
    """Something that rests on a condition of one of the three kinds."""

    condition_kind: ConditionKind

    @property
    def service_level(self) -> bool:
        """Whether it is the municipality's service level (a guideline, not the law)."""
        return self.condition_kind is ConditionKind.SERVICE_LEVEL


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


class LegalBasisOut(_Out):
    """The legal basis of a step: law and sources (a rule file's ``LegalBasis``, with each
    citation spelled out)."""

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


class TrailStep(_Kinded):
    """One rule that reached a conclusion, in evaluation order."""

    rule_id: str
    title: Text
    kind: str
    #: For a requirement: what it means when not met (refuse, refer, guide, forward, close,
    #: investigate).
    on_fail: str | None = None
    layer: str
    result: bool
    conclusion: Text
    legal_basis: LegalBasisOut
    facts_read: tuple[FactReading, ...]
    rules_read: tuple[RuleReading, ...]
    source: Position | None
    overrides: OverrideNote | None = None
    note: Text | None = None


class Requirement(_Kinded):
    """A requirement (or referral test) of one or more paths, and whether it is met."""

    rule_id: str
    title: Text
    paths: tuple[str, ...]
    status: Status
    on_fail: str
    refer_to: str | None
    expected: Text
    missing_facts: tuple[str, ...]
    legal_basis: LegalBasisOut


class MissingFact(_Out):
    """A fact that would decide an undetermined requirement."""

    fact: str
    label: Text
    ask: Text
    needed_by: tuple[str, ...]


class Reason(_Kinded):
    """A reason for the outcome, with its legal basis and the kind of condition it rests on."""

    code: str
    kind: ReasonKind
    text: Text
    legal_basis: LegalBasisOut


class ReferralOut(_Out):
    """Where the need is referred to."""

    to: str
    title: Text
    rule_id: str
    legal_basis: LegalBasisOut


class ObligationOut(_Kinded):
    """Something the municipality must do, with its dates."""

    rule_id: str
    title: Text
    text: Text
    dates: tuple[date, ...]
    legal_basis: LegalBasisOut


class InformationOut(_Kinded):
    """Information for the citizen (conditions of delivery, cost, provider); guidance
    (the duty to guide, forvaltningsloven § 7) whatever the outcome."""

    rule_id: str
    title: Text
    text: Text
    legal_basis: LegalBasisOut


class AssessmentStatus(StrEnum):
    """Where the caseworker's assessment of a point stands."""

    #: A finding and its main considerations are recorded.
    RECORDED = "recorded"
    #: A finding is recorded without the main considerations a justification must state.
    CONSIDERATIONS_MISSING = "considerations_missing"
    #: A service level decides against the citizen and no concrete, individual assessment is
    #: recorded: required before the decision is final.
    REQUIRED = "required"


class AssessmentOut(_Kinded):
    """A point the decision rests on that a person must assess: a discretionary point of the law
    (``condition_kind: assessment``) or a service-level condition (``service_level``)."""

    point: str
    title: Text
    status: AssessmentStatus
    finding: Any
    finding_label: Text
    considerations: str | None
    #: For a service-level point: what the service level alone concludes, and whether the
    #: recorded assessment departs from it (the verdict follows the assessment).
    service_level_result: bool | None = None
    departs_from_service_level: bool = False
    #: Whether it keeps the decision from being final (see :attr:`Verdict.final`).
    blocking: bool
    text: Text
    rules: tuple[str, ...]
    legal_basis: LegalBasisOut


class ForwardingOut(_Out):
    """The municipality an application is forwarded to, and why."""

    municipality: int
    municipality_name: str
    rule_id: str
    title: Text
    legal_basis: LegalBasisOut


class AppealGuidance(_Out):
    """How the decision on one path can be appealed, or that it cannot."""

    path: str
    appealable: bool
    weeks: int | None
    deadline_if_received_on_decision_date: date | None
    text: Text
    legal_basis: LegalBasisOut


class PathResult(_Out):
    """The result of one grant path."""

    path: str
    title: Text
    status: Status
    legal_basis: LegalBasisOut
    #: Whether the verdict decides on this path (and gives appeal guidance for it). Not when
    #: nothing is decided, when an entitlement is granted (the other paths are moot), when the
    #: path is still pending, or when the citizen accepted another path in its place.
    decided: bool = True


class SupportAreaOut(_Out):
    """One of the municipality's support areas, and which requested areas it covers."""

    id: str
    title: Text
    requested: tuple[str, ...]


class DatedPart(_Out):
    """A rule or parameter value of the rule set that is in force for a period only."""

    kind: Literal["rule", "parameter"]
    id: str
    valid_from: date | None
    valid_to: date | None


class DecisionRecord(_Out):
    """What is needed to reproduce the decision: the rule set's version and the inputs.

    ``spstotte replay`` decides ``inputs`` again under the rules in force on
    ``decision_date`` and compares the outcome and reasons.
    """

    ruleset_id: str
    #: The content hash of the resolved rule set in force on the decision date: the version.
    ruleset_hash: str
    #: The period in which exactly this rule set is in force (both days included; ``None`` is
    #: an open end): every decision date in it gets the same rules.
    ruleset_valid_from: date | None = None
    ruleset_valid_to: date | None = None
    #: The dated rules and parameter values in force on the decision date, with their periods.
    dated: tuple[DatedPart, ...] = ()
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
    #: Whether the draft can be sent as it stands: a decision (not ``needs_information``), and no
    #: concrete assessment or statement of considerations missing (see ``assessments``).
    final: bool
    reasons: tuple[Reason, ...]
    paths: tuple[PathResult, ...]
    trail: tuple[TrailStep, ...]
    unmet_requirements: tuple[Requirement, ...]
    undetermined_requirements: tuple[Requirement, ...]
    missing_facts: tuple[MissingFact, ...]
    referrals: tuple[ReferralOut, ...]
    obligations: tuple[ObligationOut, ...]
    information: tuple[InformationOut, ...]
    guidance: tuple[InformationOut, ...]
    assessments: tuple[AssessmentOut, ...]
    forward_to: ForwardingOut | None
    #: Entitlement paths (§ 85) still undetermined when a straksforløb was granted by order, and
    #: those met but replaced by the straksforløb the citizen accepted.
    pending_paths: tuple[str, ...]
    replaced_paths: tuple[str, ...]
    support_areas: tuple[SupportAreaOut, ...]
    end_date: date | None
    appeal: tuple[AppealGuidance, ...]
    record: DecisionRecord

    @property
    def granted(self) -> bool:
        """Whether a path was granted."""
        return self.outcome in (Outcome.GRANTED_85, Outcome.GRANTED_82B)
