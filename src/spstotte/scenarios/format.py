"""Legal test scenarios: a case described the way a caseworker would, and what the law says.

A scenario file (``*.scenarios.yaml``) holds many scenarios::

    municipality: 101                 # default for the file (code, name or rule-set name)
    on: 2026-11-23                    # default decision date
    scenarios:
      - name: Moderat støttebehov giver bevilling
        profile: {birth_date: 2000-05-01, ...}
        expect:
          outcome: granted_85
          reasons: [grant_p85]                       # exactly these reason codes
          rules: {minimum_support_need: met}         # rule results
          legal_basis: ["serviceloven § 85, stk. 1"] # cited by the reasons
          missing_facts: [support_need]
          referrals: [open_offers]
          obligations: {follow_up: [2027-02-23, 2027-05-23, 2027-11-23]}
          end_date: 2027-05-23
          appeal: {p85: appealable}

Only what is written under ``expect`` is checked; lists are compared as sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._paths import display_path
from ..errors import (
    Diagnostic,
    MessageError,
    ProfileError,
    RuleSetError,
    ScenarioError,
    Span,
    SpstotteError,
    value_words,
)
from ..library import RuleLibrary
from ..loader import LoadedYaml, load_yaml_file
from ..municipalities import MunicipalityLookupError, municipality_code
from ..profile import CitizenProfile
from ..ruleset.diagnose import diagnostics_from
from ..texts import text as catalogue_text
from ..verdict.model import Verdict
from ..verdict.precedence import Outcome

#: Scenario files are recognised by this suffix (by the pytest plugin and ``spstotte test``).
SCENARIO_SUFFIX = ".scenarios.yaml"

RuleExpectation = Literal["true", "false", "met", "not_met", "undetermined", "fired",
                          "not_fired"]


def _iso(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise MessageError.of("S104", "date", value=value[:40]) from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expectation(_Model):
    """What the verdict must say. Everything is optional; only what is given is checked."""

    outcome: Outcome | None = None
    reasons: list[str] | None = None
    rules: dict[str, RuleExpectation | bool] | None = None
    legal_basis: list[str] | None = None
    missing_facts: list[str] | None = None
    referrals: list[str] | None = None
    obligations: dict[str, list[date]] | None = None
    end_date: date | None = None
    appeal: dict[str, Literal["appealable", "not_appealable", "none"]] | None = None
    #: The municipality an application is forwarded to (code or name).
    forward_to: int | str | None = None
    #: The caseworker's assessments the verdict lists, by point: recorded,
    #: considerations_missing, required (or "departs" for a recorded departure).
    assessments: dict[str, Literal["recorded", "considerations_missing", "required",
                                   "departs"]] | None = None
    #: Whether the draft decision can be sent as it stands.
    final: bool | None = None
    #: The guidance rules that apply (exactly these).
    guidance: list[str] | None = None

    @field_validator("end_date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _iso(value)

    @field_validator("forward_to")
    @classmethod
    def _municipality(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return municipality_code(value)
        except MunicipalityLookupError as exc:
            raise MessageError(exc.message, exc.hint) from None

    @field_validator("obligations", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [_iso(d) for d in v] if isinstance(v, list) else v
                    for k, v in value.items()}
        return value


class ScenarioModel(_Model):
    """One scenario as written in the file."""

    name: str = Field(min_length=1)
    description: str | None = None
    municipality: str | int | None = None
    on: date | None = None
    profile: dict[str, Any]
    expect: Expectation

    @field_validator("on", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _iso(value)


class ScenarioFileModel(_Model):
    """The top level of a scenario file."""

    schema_: str | None = Field(default=None, alias="$schema")
    municipality: str | int | None = None
    on: date | None = None
    scenarios: list[ScenarioModel] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("on", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return _iso(value)


@dataclass(frozen=True)
class Scenario:
    """A scenario ready to run, with where it is written."""

    name: str
    municipality: str | int
    on: date
    profile: dict[str, Any]
    expect: Expectation
    span: Span
    loaded: LoadedYaml = field(repr=False, compare=False)
    index: int = 0

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.span.file}:{self.span.line}"


@dataclass
class ScenarioResult:
    """The outcome of running one scenario."""

    scenario: Scenario
    #: The expectations not met, one line each in English (``mismatches`` for other languages).
    failures: list[str]
    verdict: Verdict | None
    error: str | None = None
    mismatches: tuple[Mismatch, ...] = ()

    def failure_lines(self, lang: str = "en") -> list[str]:
        """The expectations not met, one line each, in ``lang``."""
        if self.mismatches:
            return [m.text(lang) for m in self.mismatches]
        return list(self.failures)

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures and self.error is None


def load_scenarios(path: str | Path, display_name: str | None = None) -> list[Scenario]:
    """Read and validate a scenario file.

    Raises:
        ScenarioError: the file is malformed (every problem, with file:line:col).
    """
    try:
        loaded = load_yaml_file(path, display_name)
    except RuleSetError as exc:
        raise ScenarioError(exc.diagnostics) from None
    if not isinstance(loaded.data, dict):
        raise ScenarioError([Diagnostic.of("S101", "file", loaded.span(()),
                                           got=value_words(loaded.data))])
    try:
        model = ScenarioFileModel.model_validate(loaded.data)
    except ValidationError as exc:
        raise ScenarioError(diagnostics_from(exc, loaded, ScenarioFileModel, prefix="S")) from None
    problems: list[Diagnostic] = []
    scenarios: list[Scenario] = []
    for i, item in enumerate(model.scenarios):
        span = loaded.span(("scenarios", i))
        municipality = item.municipality if item.municipality is not None else model.municipality
        on = item.on or model.on
        if municipality is None:
            problems.append(Diagnostic.of("S101", "municipality", span, name=item.name))
            continue
        if on is None:
            problems.append(Diagnostic.of("S101", "date", span, name=item.name))
            continue
        try:
            CitizenProfile.parse(item.profile, spans=_Shifted(loaded, ("scenarios", i,
                                                                        "profile")))
        except ProfileError as exc:
            problems.extend(Diagnostic.of("S105", None, p.span, name=item.name, path=p.path,
                                          problem=p.words or p.message,
                                          hint=p.hint_words or p.hint or "")
                            for p in exc.problems)
            continue
        scenarios.append(Scenario(item.name, municipality, on, item.profile, item.expect, span,
                                  loaded, i))
    if problems:
        raise ScenarioError(problems)
    return scenarios


class _Shifted:
    """Positions of a profile nested inside a scenario file."""

    def __init__(self, loaded: LoadedYaml, base: tuple[str | int, ...]) -> None:
        self.loaded, self.base = loaded, base

    def span(self, path: tuple[str | int, ...], key: bool = False) -> Span:
        return self.loaded.span((*self.base, *path), key=key)


@dataclass(frozen=True)
class Mismatch:
    """One expectation of a scenario that the verdict does not meet: what was looked at (a
    YAML key, ``rule <id>``, ...), and the words and values of the message (the text catalogue's
    ``scenario_report.<key>``). Values that are themselves words (``fired``, ``absent``) are
    given as ``("word", key, values)`` and said in the report's language too."""

    key: str
    values: tuple[tuple[str, Any], ...]

    def text(self, lang: str = "en") -> str:
        """The mismatch as one line, in ``lang``."""
        return catalogue_text(f"scenario_report.{self.key}", lang, **{
            name: (catalogue_text(f"scenario_report.{value[1]}", lang, **dict(value[2]))
                   if isinstance(value, tuple) and value and value[0] == "word" else value)
            for name, value in self.values})

    def __str__(self) -> str:
        return self.text("en")


def _word(key: str, **values: Any) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
    return ("word", key, tuple(values.items()))


def check(scenario: Scenario, verdict: Verdict, library: RuleLibrary) -> list[Mismatch]:
    """Compare a verdict with a scenario's expectations; one mismatch per expectation not met."""
    expect = scenario.expect
    failures: list[Mismatch] = []

    def differ(what: str, expected: object, actual: object) -> None:
        failures.append(Mismatch("expected_got", (("what", what), ("expected", expected),
                                                  ("actual", actual))))

    if expect.outcome is not None and verdict.outcome is not expect.outcome:
        differ("outcome", expect.outcome.value, verdict.outcome.value)
    if expect.reasons is not None:
        actual = sorted(r.code for r in verdict.reasons)
        if sorted(set(expect.reasons)) != sorted(set(actual)):
            differ("reasons", sorted(set(expect.reasons)), actual)
    if expect.rules is not None:
        results = rule_results(verdict)
        ruleset = library.ruleset(scenario.municipality)
        for rule_id, wanted in expect.rules.items():
            if not ruleset.has_rule(rule_id):
                failures.append(Mismatch("not_a_rule", (("rule", rule_id),
                                                        ("ruleset", ruleset.id))))
                continue
            want = str(wanted).lower() if isinstance(wanted, bool) else wanted
            got = results.get(rule_id, "not_fired" if want in ("fired", "not_fired")
                              else "undetermined")
            if want == "not_fired":
                if got not in ("not_fired", "undetermined"):
                    differ(f"rule {rule_id}", _word("not_fired"), got)
            elif want == "fired":
                if got in ("not_fired", "undetermined"):
                    differ(f"rule {rule_id}", _word("fired"), _word("not_fired"))
            elif got != want and not (want in ("true", "false") and got == "fired"):
                differ(f"rule {rule_id}", want, got)
    if expect.legal_basis is not None:
        cited = {c.citation for r in verdict.reasons for c in r.legal_basis.law}
        cited |= {c.citation for s in verdict.trail for c in s.legal_basis.law}
        for citation in expect.legal_basis:
            if citation not in cited:
                failures.append(Mismatch("not_cited", (("citation", citation),
                                                       ("cited", sorted(cited)))))
    if expect.missing_facts is not None:
        actual_missing = sorted(m.fact for m in verdict.missing_facts)
        if sorted(set(expect.missing_facts)) != actual_missing:
            differ("missing_facts", sorted(set(expect.missing_facts)), actual_missing)
    if expect.referrals is not None:
        actual_referrals = sorted({r.to for r in verdict.referrals})
        if sorted(set(expect.referrals)) != actual_referrals:
            differ("referrals", sorted(set(expect.referrals)), actual_referrals)
    if expect.obligations is not None:
        by_rule = {o.rule_id: o for o in verdict.obligations}
        for rule_id, dates in expect.obligations.items():
            obligation = by_rule.get(rule_id)
            if obligation is None:
                differ(f"obligation {rule_id}", _word("present"),
                       _word("absent", present=sorted(by_rule)))
            elif sorted(dates) != list(obligation.dates):
                differ(f"obligation {rule_id} dates", [d.isoformat() for d in sorted(dates)],
                       [d.isoformat() for d in obligation.dates])
    if expect.end_date is not None and verdict.end_date != expect.end_date:
        differ("end_date", expect.end_date.isoformat(),
               verdict.end_date.isoformat() if verdict.end_date else None)
    if expect.appeal is not None:
        actual_appeal = {a.path: "appealable" if a.appealable else "not_appealable"
                         for a in verdict.appeal}
        for path, wanted_appeal in expect.appeal.items():
            if actual_appeal.get(path, "none") != wanted_appeal:
                differ(f"appeal {path}", wanted_appeal, actual_appeal.get(path, "none"))
    if expect.forward_to is not None:
        wanted_code = municipality_code(expect.forward_to)
        forwarded_to = verdict.forward_to.municipality if verdict.forward_to else None
        if forwarded_to != wanted_code:
            differ("forward_to", wanted_code, forwarded_to)
    if expect.assessments is not None:
        actual_assessments = {
            a.point: "departs" if a.departs_from_service_level else a.status.value
            for a in verdict.assessments}
        for point, wanted_status in expect.assessments.items():
            if actual_assessments.get(point) != wanted_status:
                differ(f"assessment {point}", wanted_status,
                       actual_assessments.get(point, "absent"))
    if expect.final is not None and verdict.final is not expect.final:
        differ("final", expect.final, verdict.final)
    if expect.guidance is not None:
        actual_guidance = sorted(g.rule_id for g in verdict.guidance)
        if sorted(set(expect.guidance)) != actual_guidance:
            differ("guidance", sorted(set(expect.guidance)), actual_guidance)
    return failures


def rule_results(verdict: Verdict) -> dict[str, str]:
    """Each rule's result in a verdict: true/false, met/not_met/undetermined, fired."""
    results: dict[str, str] = {}
    for step in verdict.trail:
        if step.kind in ("obligation", "inform"):
            results[step.rule_id] = "fired"
        elif step.kind in ("require", "refer"):
            met = step.result if step.kind == "require" else not step.result
            results[step.rule_id] = "met" if met else "not_met"
        else:
            results[step.rule_id] = "true" if step.result else "false"
    for q in (*verdict.unmet_requirements, *verdict.undetermined_requirements):
        results.setdefault(q.rule_id, q.status.value)
    return results


def run_scenario(scenario: Scenario, library: RuleLibrary) -> ScenarioResult:
    """Evaluate a scenario and check its expectations."""
    try:
        verdict = library.evaluate(scenario.profile, municipality=scenario.municipality,
                                   on=scenario.on)
    except SpstotteError as exc:
        return ScenarioResult(scenario, [], None, f"{type(exc).__name__}: {exc}")
    mismatches = check(scenario, verdict, library)
    return ScenarioResult(scenario, [m.text("en") for m in mismatches], verdict,
                          mismatches=tuple(mismatches))


def find_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files named by ``paths`` (files, or folders searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{SCENARIO_SUFFIX}") if p.is_file()))
        else:
            found.append(path)
    return found


def run_paths(paths: Sequence[Path], library: RuleLibrary) -> tuple[list[ScenarioResult],
                                                                   list[Diagnostic]]:
    """Run every scenario in the given files or folders."""
    results: list[ScenarioResult] = []
    problems: list[Diagnostic] = []
    for path in find_scenario_files(paths):
        try:
            scenarios = load_scenarios(path, display_path(path))
        except ScenarioError as exc:
            problems.extend(exc.diagnostics)
            continue
        results.extend(run_scenario(s, library) for s in scenarios)
    return results, problems


__all__ = [
    "SCENARIO_SUFFIX",
    "Expectation",
    "Mismatch",
    "Scenario",
    "ScenarioResult",
    "check",
    "find_scenario_files",
    "load_scenarios",
    "rule_results",
    "run_paths",
    "run_scenario",
]
