"""spstotte: rules as code for socialpædagogisk støtte (serviceloven § 85) and straksforløb
(§ 82 b), per Danish municipality.

>>> import spstotte
>>> verdict = spstotte.evaluate({"birth_date": "2010-01-01"}, municipality=265, on="2026-11-23")
>>> verdict.outcome.value, [r.code for r in verdict.reasons]
('refused', ['adult'])
"""

from .decision import decision_text
from .diff import diff_rulesets
from .errors import (
    Diagnostic,
    DiagnosticsError,
    EngineError,
    ProfileError,
    ProfileProblem,
    RuleSetError,
    ScenarioError,
    Severity,
    Span,
    SpstotteError,
    UnknownMunicipalityError,
)
from .library import MunicipalityInfo, RuleLibrary, evaluate, library_version
from .profile import CitizenProfile, LivingSituation
from .rulebook import rulebook
from .validate import validate_paths
from .verdict import Outcome, Status, Verdict
from .vocabulary import (
    Applicant,
    HousingKind,
    Impairment,
    Provision,
    SocialProblem,
    SupportArea,
    SupportNeed,
)

__all__ = [
    "Applicant",
    "CitizenProfile",
    "Diagnostic",
    "DiagnosticsError",
    "EngineError",
    "HousingKind",
    "Impairment",
    "LivingSituation",
    "MunicipalityInfo",
    "Outcome",
    "ProfileError",
    "ProfileProblem",
    "Provision",
    "RuleLibrary",
    "RuleSetError",
    "ScenarioError",
    "Severity",
    "SocialProblem",
    "Span",
    "SpstotteError",
    "Status",
    "SupportArea",
    "SupportNeed",
    "UnknownMunicipalityError",
    "Verdict",
    "decision_text",
    "diff_rulesets",
    "evaluate",
    "library_version",
    "rulebook",
    "validate_paths",
]
