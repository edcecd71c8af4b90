"""The library's errors: one base class, errors as data (code, span, hint), text second.

Every error a user can cause is a :class:`SpstotteError`. Rule-file problems are collected per
file and raised together as one :class:`RuleSetError`, so policy staff fix a file in one pass.
The catalogue of codes is :data:`ERROR_CODES`; ``docs/errors.md`` is generated from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import ClassVar, Final


@dataclass(frozen=True, order=True)
class Span:
    """A position in a file: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Severity(StrEnum):
    """How serious a diagnostic is. ``--strict`` turns warnings into errors; a note only
    informs (an override of the law layer, listed so that a reviewer sees every one)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a rule file, scenario file or profile file."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        """``file:line:col: error[CODE] message`` and, on the next line, the hint."""
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity.value}[{self.code}] {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def one_line(self) -> str:
        """The diagnostic on a single line (hint after a semicolon)."""
        return self.format().replace("\n  hint: ", "; hint: ")

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for editors and CI annotations."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "col": self.span.col if self.span else None,
            "hint": self.hint,
        }


#: How many problems are reported at most; the rest are counted ("and N more").
MAX_REPORTED: int = 200


class Collector:
    """Diagnostics collected in order, without duplicates, in linear time, at most
    :data:`MAX_REPORTED` of them plus one that counts the rest."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_REPORTED if limit is None else limit
        self._items: dict[Diagnostic, None] = {}
        self.more = 0

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic in self._items:
            return
        if len(self._items) >= self.limit:
            self.more += 1
            return
        self._items[diagnostic] = None

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[Diagnostic]:
        """The diagnostics, and a last one saying how many more were found, if any."""
        out = list(self._items)
        if self.more:
            out.append(Diagnostic("X001", f"and {self.more} more problem(s) not shown", None,
                                  "fix the ones above and run again"))
        return out


class ExitCode(IntEnum):
    """The exit codes of the ``spstotte`` command (README, "Command line")."""

    OK = 0
    #: The rule files or the scenarios have errors, or a scenario failed.
    RULE_ERRORS = 1
    USAGE = 2
    #: Bad input: the profile, the municipality, the date, a path, a git revision.
    BAD_INPUT = 3
    INTERNAL = 70
    #: The output could not be written (closed standard output, disk full): EX_IOERR.
    OUTPUT = 74
    INTERRUPTED = 130


class SpstotteError(Exception):
    """Base class of every error the library raises on bad input.

    Each class says how the command line ends when it meets one (``exit_code``) and what it
    prints (``report_lines``), so that a new error class needs no change to the CLI."""

    exit_code: ClassVar[ExitCode] = ExitCode.BAD_INPUT

    def report_lines(self) -> list[str]:
        """What the command line prints for this error, a problem per line."""
        return [f"error: {self}"]


class DiagnosticsError(SpstotteError):
    """An error that carries diagnostics: every problem found, each with its position, code
    and hint."""

    exit_code: ClassVar[ExitCode] = ExitCode.RULE_ERRORS

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def report_lines(self) -> list[str]:
        """One line per diagnostic: ``file:line:col: error[CODE] message; hint: ...``."""
        return [d.one_line() for d in self.diagnostics]

    def __reduce__(self) -> tuple[type[DiagnosticsError], tuple[tuple[Diagnostic, ...]]]:
        return (type(self), (self.diagnostics,))


class RuleSetError(DiagnosticsError):
    """A rule file (or a set of them) is malformed or inconsistent."""


@dataclass(frozen=True)
class ProfileProblem:
    """One problem in a citizen profile, located by its field path (``living_situation.kind``)."""

    path: str
    message: str
    hint: str | None = None
    span: Span | None = None

    def format(self) -> str:
        """``[file:line:col: ]profile.<path>: message (hint)``."""
        where = f"{self.span}: " if self.span else ""
        text = f"{where}error[P100] {self.path or '<profile>'}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ProfileError(SpstotteError, ValueError):
    """A citizen profile has a wrong type, an unknown field or an impossible value."""

    def __init__(self, problems: Sequence[ProfileProblem]) -> None:
        listed = [_short_problem(p) for p in problems[:MAX_REPORTED]]
        if len(problems) > MAX_REPORTED:
            listed.append(ProfileProblem("", f"and {len(problems) - MAX_REPORTED} more "
                                         "problem(s) not shown", "fix the ones above and run "
                                         "again"))
        self.problems: tuple[ProfileProblem, ...] = tuple(listed)
        super().__init__("\n".join(p.format() for p in self.problems))

    def report_lines(self) -> list[str]:
        """One line per problem, with its field path (and file:line:col where known)."""
        return [p.format().replace("\n  hint: ", "; hint: ") for p in self.problems]

    def __reduce__(self) -> tuple[type[ProfileError], tuple[tuple[ProfileProblem, ...]]]:
        return (type(self), (self.problems,))


def _short_problem(problem: ProfileProblem) -> ProfileProblem:
    """A problem whose field path and message echo at most a short piece of the input."""
    if len(problem.path) <= 80 and len(problem.message) <= 300:
        return problem
    path = problem.path if len(problem.path) <= 80 else problem.path[:77] + "…"
    message = problem.message if len(problem.message) <= 300 else problem.message[:297] + "…"
    return replace(problem, path=path, message=message)


class UnknownMunicipalityError(SpstotteError, LookupError):
    """No rule set exists for the municipality asked for (or it is not a municipality)."""

    def __init__(self, requested: object, available: Sequence[str], reason: str = "") -> None:
        self.requested = requested
        self.available: tuple[str, ...] = tuple(available)
        self.reason = reason
        listing = ", ".join(self.available) or "none"
        why = f" ({reason})" if reason else ""
        shown = repr(requested)
        if len(shown) > 60:  # never echo a huge input back
            shown = shown[:56] + "…" + shown[-1]
        super().__init__(
            f"no rule set for municipality {shown}{why}; rule sets exist for: {listing}"
        )

    def __reduce__(self) -> tuple[type[UnknownMunicipalityError], tuple[object, ...]]:
        return (type(self), (self.requested, self.available, self.reason))


class InputError(SpstotteError, ValueError):
    """Bad input that is neither a profile nor a rule file: a git revision, a path to write
    to, a backend name. The message says what, where and how to fix it."""


class EngineError(SpstotteError):
    """The rule engine refused a fact or failed; the evaluation produced no verdict."""


class ScenarioError(DiagnosticsError):
    """A scenario file is malformed (see ``diagnostics``)."""


@dataclass(frozen=True)
class ErrorCode:
    """An entry of the error catalogue."""

    code: str
    title: str
    explanation: str
    fix: str
    examples: tuple[str, ...] = field(default=())


def _codes(*entries: ErrorCode) -> dict[str, ErrorCode]:
    return {entry.code: entry for entry in entries}


#: The catalogue of diagnostic codes. ``Y`` = YAML reading, ``R`` = rule files, ``E`` = engine
#: limits, ``S`` = scenario files, ``P`` = profiles, ``L`` = lint warnings.
ERROR_CODES: Final[dict[str, ErrorCode]] = _codes(
    ErrorCode("L406", "an override of the law layer", "A note, not a problem: the municipality "
              "replaces a law-layer obligation, information or guidance with its own, for the "
              "reason given. validate lists every override so that a reviewer sees them all.",
              "Nothing to fix; check that the reason holds."),
    ErrorCode("X001", "more problems not shown", f"More than {MAX_REPORTED} problems were "
              "found; the first ones are reported and the rest counted, so that a broken or "
              "hostile file cannot flood the output.", "Fix the problems shown and run again."),
    ErrorCode("Y001", "YAML syntax error", "The file is not valid YAML.",
              "Fix the indentation or quoting at the position shown."),
    ErrorCode("Y002", "duplicate key", "A mapping has the same key twice; YAML would silently keep "
              "only the last one.", "Remove or rename one of the two keys."),
    ErrorCode("Y003", "not UTF-8", "The file contains bytes that are not UTF-8.",
              "Save the file as UTF-8 (æ, ø and å must be UTF-8 encoded)."),
    ErrorCode("Y004", "file too large or too deeply nested", "The file exceeds the reader's "
              "limits (size, nesting depth or scalar length).", "Split the file or simplify it."),
    ErrorCode("Y005", "unsupported YAML feature", "Tags, anchors used as merge keys and other "
              "YAML features that change meaning silently are not accepted.",
              "Write the value out in plain YAML."),
    ErrorCode("Y006", "cannot read file", "The file does not exist or cannot be read.",
              "Check the path."),
    ErrorCode("R101", "unknown key", "A key that the rule-file format does not have.",
              "Check the spelling; the hint lists the keys allowed here."),
    ErrorCode("R102", "missing key", "A key that must be present is missing.",
              "Add the key."),
    ErrorCode("R103", "wrong type", "A value has the wrong type (e.g. text where a list is "
              "expected).", "Write the value in the type named in the message."),
    ErrorCode("R104", "invalid value", "A value is not one of the allowed values.",
              "Use one of the values listed in the hint."),
    ErrorCode("R201", "unknown fact", "A condition reads a fact the citizen profile does not have.",
              "Use one of the facts listed in docs/facts.md (the hint suggests the nearest)."),
    ErrorCode("R202", "operator does not fit the fact", "The comparison is not defined for this "
              "kind of fact (e.g. 'gte' on a yes/no fact).", "Use an operator listed in the hint."),
    ErrorCode("R203", "value does not fit the fact", "The value compared with is not a value "
              "the fact can take.", "Use one of the values listed in the hint."),
    ErrorCode("R204", "unknown rule", "A condition refers to a rule id that does not exist, or "
              "to a rule whose conclusion cannot be read (an obligation or information).",
              "Check the rule id."),
    ErrorCode("R205", "unknown parameter", "A reference to a parameter that is not declared.",
              "Declare the parameter in the law layer, or fix its name."),
    ErrorCode("R206", "duplicate id", "Two rules (or sources, paths, parameters) have the same id.",
              "Give each a unique id; to replace a law-layer rule, use 'overrides'."),
    ErrorCode("R207", "override target missing", "'overrides' names a rule that the extended "
              "layer does not have.", "Check the id of the law-layer rule."),
    ErrorCode("R208", "override without a reason", "Every override must say why, in Danish and "
              "English.", "Add 'reason: {da: ..., en: ...}'."),
    ErrorCode("R209", "circular rules", "Rules read each other's conclusions in a circle.",
              "Break the circle; a rule cannot depend on itself."),
    ErrorCode("R210", "unknown path", "A reference to a grant path that is not declared.",
              "Use one of the declared paths (p85, p82b)."),
    ErrorCode("R211", "unknown source", "A citation refers to a source document that no rule "
              "file declares.", "Declare the source under 'sources:' or fix its id."),
    ErrorCode("R212", "quote not found in source", "A verbatim quote does not occur in the cited "
              "source text (after folding white space).",
              "Copy the quote exactly from the source."),
    ErrorCode("R213", "unknown referral target", "A requirement refers people to a target that "
              "is not declared under 'referrals:'.", "Declare the target or fix its id."),
    ErrorCode("R214", "parameter value has the wrong type", "A parameter is set to a value of "
              "another type than declared.", "Use the declared type."),
    ErrorCode("R215", "same id as a law-layer rule", "A municipal rule has the id of a law-layer "
              "rule without 'overrides'.", "Add 'overrides: <id>' with a reason, or rename it."),
    ErrorCode("R216", "unknown act", "A legal reference names an act that is not in the statute "
              "catalogue (spstotte/statutes.yaml).",
              "Use a catalogued act (serviceloven, retssikkerhedsloven, forvaltningsloven, "
              "barnets_lov, aeldreloven, pensionsloven)."),
    ErrorCode("R217", "wrong layer", "A key that belongs to another layer (e.g. 'paths' in a "
              "municipality file), or a municipality file that extends an unknown layer.",
              "Move the key to the law layer or fix 'extends'."),
    ErrorCode("R218", "missing parameter value", "A parameter has no default in the law layer "
              "and the municipality does not set it.",
              "Set the parameter in the municipality file."),
    ErrorCode("R219", "missing legal basis", "A rule cites neither law nor source, or a "
              "municipal rule cites no municipal source.", "Add 'legal_basis'."),
    ErrorCode("R220", "unknown support area or delivery form", "A reference to a support area or "
              "delivery form that is not declared.", "Declare it or fix the id."),
    ErrorCode("R221", "wrong kind of condition", "A municipal rule is written as statute or "
              "assessment, or forwards or closes an application; or a law-layer rule is "
              "written as service level, or as an assessment that reads no discretionary point.",
              "A municipality writes service levels only (a caseworker can depart from them); "
              "statutory conditions and discretionary points belong in the law layer."),
    ErrorCode("R222", "a service level overrides a statutory condition", "A municipal rule "
              "overrides a law-layer condition (a requirement, referral or derived fact). A "
              "service level can neither narrow nor widen a statutory target group.",
              "Write a service-level rule of your own, which a caseworker's concrete assessment "
              "can depart from, or restate the law-layer rule with the municipality's text."),
    ErrorCode("R223", "a service level sets a statutory parameter", "A municipality sets a "
              "parameter the law layer declares statutory (what counts as 'betydelig', which "
              "social problems are 'særlige').",
              "Leave the statute to the law layer; write a service-level rule instead."),
    ErrorCode("R224", "law quote not in the provision's wording", "A law reference quotes words "
              "that are not in the provision's wording in the statute catalogue, or quotes a "
              "provision whose wording the catalogue does not have.",
              "Copy the words exactly from the provision, or leave out 'quote'."),
    ErrorCode("R225", "provision not in the statute catalogue", "A law reference cites a "
              "section, stk. or nr. that the statute catalogue does not list (a typo such as "
              "§ 58 for § 85, or a stk. the section does not have).",
              "Cite a catalogued provision (the hint names the nearest), or add the provision "
              "with its title to spstotte/statutes.yaml."),
    ErrorCode("R226", "a text of another publisher", "A municipality's rule set cites a text "
              "that is not its own municipality's (another municipality's, or a national text), "
              "or the law layer cites a municipality's text; every decision would then cite "
              "it as its basis.",
              "Cite the statute for the law, and the municipality's own texts for its service "
              "level."),
    ErrorCode("R227", "a title names a provision its legal basis does not cite", "A title "
              "(of a rule, path or referral) names a section, such as '§ 10', that is not in its "
              "legal basis.",
              "Cite the provision in 'legal_basis.law', or take it out of the title."),
    ErrorCode("R228", "letter templates folder not found", "A municipality's 'letter: "
              "templates:' names a folder that does not exist next to its rule file.",
              "Give a folder relative to the rule file, with letter.text.j2, "
              "letter.markdown.j2 or letter.html.j2 in it."),
    ErrorCode("R229", "two rule files for one municipality", "Two or more rule files claim the "
              "same municipality code; which one decides would depend on how the municipality "
              "is named, so neither is used.", "Keep one rule set per municipality."),
    ErrorCode("R230", "the id differs from the file name", "A rule file's 'id' is not its file "
              "name. Decisions record the id and municipalities are found by file name, so a "
              "decision could name another rule set than the one that made it.",
              "Rename the file or change the id so that they are the same."),
    ErrorCode("E301", "rule too complex for the engine", "The rule compiles to more patterns or "
              "alternatives than the engine handles safely.",
              "Split the condition into derived facts (rules that 'derive')."),
    ErrorCode("E302", "rule set exceeds an engine limit", "The rule set as a whole exceeds a "
              "limit of durable_rules (rules, fan-out, shared conditions).",
              "Split conditions into derived facts or reduce the number of rules."),
    ErrorCode("S101", "unknown key in a scenario file", "A key the scenario format does not "
              "have.", "See docs/scenarios.md; the hint lists the keys allowed here."),
    ErrorCode("S102", "missing key in a scenario file", "A required key (name, profile, "
              "expect, scenarios) is missing.", "Add the key."),
    ErrorCode("S103", "wrong type in a scenario file", "A value has the wrong type.",
              "Write the value in the type named in the message."),
    ErrorCode("S104", "invalid value in a scenario file", "A value is not allowed (an unknown "
              "outcome, a date that does not exist, ...).", "Use one of the allowed values."),
    ErrorCode("S105", "invalid profile in a scenario", "A scenario's profile is not a valid "
              "citizen profile.", "Fix the field named in the message."),
    ErrorCode("P100", "invalid profile", "A citizen profile has a wrong type, an unknown field or "
              "an impossible value.", "Fix the field named in the message."),
    ErrorCode("L401", "rule can never fire", "The rule's condition can never be true, or it "
              "reads a rule that can never conclude.", "Check the condition."),
    ErrorCode("L402", "parameter never used", "A declared parameter is read by no rule.",
              "Remove it or use it."),
    ErrorCode("L403", "derived fact never used", "A rule derives a fact no other rule reads.",
              "Remove it, read it, or make it a requirement."),
    ErrorCode("L404", "missing translation", "A Danish or English text is missing or empty.",
              "Write both 'da' and 'en'."),
    ErrorCode("L405", "quotes not checked", "The source texts were not found, so quotes could "
              "not be checked.", "Pass --sources DIR or set SPSTOTTE_SOURCES."),
)
