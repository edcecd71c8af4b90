"""spstotte: rules as code for socialpædagogisk støtte (serviceloven § 85) and straksforløb
(§ 82 b), per Danish municipality.

>>> import spstotte
>>> verdict = spstotte.evaluate({"birth_date": "2010-01-01"}, municipality=265, on="2026-11-23")
>>> verdict.outcome.value, [r.code for r in verdict.reasons]
('refused', ['adult'])

The public names are imported on first use (PEP 562), so that ``import spstotte`` is cheap and
the command line can start, and be interrupted, before the engine and the models load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch import evaluate_many, generate_cases
    from .batch.impact import impact
    from .cli.validate import validate_paths
    from .errors import (
        Diagnostic,
        DiagnosticsError,
        EngineError,
        InputError,
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
    from .render.decision import decision_text
    from .render.diff import diff_rulesets
    from .render.rulebooks import rulebook
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

#: Where each public name lives.
_HOME = {
    "decision_text": "render.decision", "diff_rulesets": "render.diff",
    "evaluate_many": "batch", "impact": "batch.impact", "generate_cases": "batch",
    **dict.fromkeys(("Diagnostic", "DiagnosticsError", "EngineError", "InputError",
                     "ProfileError", "ProfileProblem", "RuleSetError", "ScenarioError",
                     "Severity", "Span", "SpstotteError", "UnknownMunicipalityError"), "errors"),
    **dict.fromkeys(("MunicipalityInfo", "RuleLibrary", "evaluate", "library_version"),
                    "library"),
    "CitizenProfile": "profile", "LivingSituation": "profile",
    "rulebook": "render.rulebooks", "validate_paths": "cli.validate",
    "Outcome": "verdict", "Status": "verdict", "Verdict": "verdict",
    **dict.fromkeys(("Applicant", "HousingKind", "Impairment", "Provision", "SocialProblem",
                     "SupportArea", "SupportNeed"), "vocabulary"),
}

__all__ = [
    "Applicant",
    "CitizenProfile",
    "Diagnostic",
    "DiagnosticsError",
    "EngineError",
    "HousingKind",
    "Impairment",
    "InputError",
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
    "evaluate_many",
    "generate_cases",
    "impact",
    "library_version",
    "rulebook",
    "validate_paths",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'spstotte' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
