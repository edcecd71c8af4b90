"""The verdict: from the rules' conclusions to a decision with its legal justification (stage 6).

Takes a resolved rule set, the facts and the rules' conclusions (from either engine, the same).
Gives a frozen :class:`~.model.Verdict` that serialises to JSON and back unchanged.

* :mod:`.precedence` (6a, the outcome): one pure, table-tested function,
  :func:`~.precedence.decide`, from the statuses of the requirements to the outcome;
* :mod:`.build` (6b): everything else a caseworker and a letter need, the reasons with their
  kind of condition, the trail, the missing facts, the assessments, obligations with dates,
  guidance and appeal guidance;
* :mod:`.model`: the output models (data only).

Invariants: a missing fact is unknown, never false; there are no partial verdicts; the verdict
is the same whichever engine concluded. The verdict imports the rule language, rule sets and
the engine's results, never documents, scenarios or the command line.
"""

from .build import CONVENTIONS, add_months, build_verdict
from .model import (
    AppealGuidance,
    AssessmentOut,
    AssessmentStatus,
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
from .precedence import Outcome, ReasonKind, Status

__all__ = [
    "CONVENTIONS",
    "AppealGuidance",
    "AssessmentOut",
    "AssessmentStatus",
    "DecisionRecord",
    "FactReading",
    "ForwardingOut",
    "InformationOut",
    "LawCitation",
    "LegalBasisOut",
    "MissingFact",
    "ObligationOut",
    "Outcome",
    "OverrideNote",
    "PathResult",
    "Position",
    "Reason",
    "ReasonKind",
    "ReferralOut",
    "Requirement",
    "RuleReading",
    "SourceCitation",
    "Status",
    "SupportAreaOut",
    "TrailStep",
    "Verdict",
    "add_months",
    "build_verdict",
]
