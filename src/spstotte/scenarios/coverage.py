"""Rule coverage: which rules the scenarios fired, which outcomes each reached, which none did.

A rule counts as covered when it reached a conclusion (true or false, met or not met, or, for
obligations and information, applied) in at least one scenario. Requirements also record how
often they were met, not met and undetermined, so a suite that only ever grants is visible.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from ..errors import Span
from ..library import RuleLibrary
from ..render.documents import Code, Document, Format, fill, join, render
from ..ruleset.resolve import ResolvedRule
from ..texts import text
from ..verdict.model import Verdict
from .format import ScenarioResult, rule_results


@dataclass
class RuleCoverage:
    """How one rule was exercised."""

    rule_id: str
    kind: str
    layer: str
    outcomes: Counter[str] = field(default_factory=Counter)
    #: Where the rule is written (for the generated grant rules: the path they are built for).
    span: Span | None = None

    @property
    def hits(self) -> int:
        """In how many scenarios the rule concluded."""
        return sum(n for k, n in self.outcomes.items() if k != "undetermined")

    @property
    def covered(self) -> bool:
        """Whether some scenario made the rule conclude."""
        return any(k != "undetermined" for k in self.outcomes)


#: Which rules a coverage figure counts: the municipality's own rules (its rule file), the law
#: layer's (with the grant rules generated from it), or all of them.
Scope = Literal["own", "law", "all"]
SCOPES: tuple[Scope, ...] = ("own", "law", "all")


def _in_scope(rule: RuleCoverage, scope: Scope) -> bool:
    return scope == "all" or (rule.layer == "municipality") == (scope == "own")


@dataclass(frozen=True)
class Tally:
    """Covered rules out of a number of rules."""

    covered: int
    total: int

    @property
    def percent(self) -> float:
        """Covered rules as a percentage (100 when there are no rules to cover)."""
        return 100.0 if not self.total else 100.0 * self.covered / self.total


@dataclass
class CoverageReport:
    """Coverage of every rule set the scenarios used."""

    rulesets: dict[str, list[RuleCoverage]]

    def tally(self, scope: Scope = "all") -> Tally:
        """Covered rules out of the rules in ``scope``, across the rule sets."""
        rules = [r for table in self.rulesets.values() for r in table if _in_scope(r, scope)]
        return Tally(sum(r.covered for r in rules), len(rules))

    @property
    def total(self) -> int:
        """Number of rules across the rule sets."""
        return self.tally().total

    @property
    def covered(self) -> int:
        """Number of covered rules."""
        return self.tally().covered

    @property
    def percent(self) -> float:
        """Covered rules as a percentage (100 when there are no rules)."""
        return self.tally().percent

    def below(self, limit: float, scope: Scope, lang: str = "en") -> str | None:
        """Why the run fails a ``--fail-under`` of ``limit`` percent on ``scope``, or ``None``;
        in ``lang``."""
        tally = self.tally(scope)
        if tally.percent >= limit:
            return None
        missing = []
        for name, rules in self.rulesets.items():
            ids = [r.rule_id for r in rules if not r.covered and _in_scope(r, scope)]
            if ids:
                missing.append(f"{name}: {', '.join(ids)}")
        return text("coverage.below", lang, scope=text(f"coverage.scope.{scope}", lang),
                    percent=f"{tally.percent:.1f}", limit=f"{limit:g}",
                    missing="; ".join(missing))

    def uncovered(self, scope: Scope = "all") -> dict[str, list[str]]:
        """Rule ids in ``scope`` no scenario exercised, per rule set."""
        return {name: [r.rule_id for r in rules if not r.covered and _in_scope(r, scope)]
                for name, rules in self.rulesets.items()}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "percent": round(self.percent, 2), "covered": self.covered, "total": self.total,
            **{scope: {"percent": round(tally.percent, 2), "covered": tally.covered,
                       "total": tally.total}
               for scope in ("own", "law") for tally in (self.tally(scope),)},
            "rulesets": {
                name: {
                    "uncovered": [r.rule_id for r in rules if not r.covered],
                    # Outcomes sorted: the same run gives the same file, in parallel too.
                    "rules": {r.rule_id: {"kind": r.kind, "layer": r.layer,
                                          "covered": r.covered,
                                          "outcomes": dict(sorted(r.outcomes.items()))}
                              for r in rules},
                } for name, rules in self.rulesets.items()},
        }


#: What coverage needs of one scenario's verdict: its municipality and each rule's outcome.
#: Plain data, so that test processes running in parallel can send it to the one that reports:
#: the municipality, the decision date (YYYY-MM-DD) and what each rule concluded.
CoverageRecord = tuple[str | int, str, dict[str, str]]


def coverage_record(municipality: str | int, verdict: Verdict) -> CoverageRecord:
    """The coverage record of one verdict."""
    return (municipality, verdict.decision_date.isoformat(), rule_results(verdict))


def coverage_records(results: Sequence[ScenarioResult]) -> list[CoverageRecord]:
    """The coverage records of scenario results (those that reached a verdict)."""
    return [coverage_record(result.scenario.municipality, result.verdict)
            for result in results if result.verdict is not None]


def rule_versions(library: RuleLibrary, municipality: str | int
                  ) -> dict[str, tuple[ResolvedRule, date]]:
    """Every rule of every version of a rule set, by its name in coverage, with a decision
    date on which that version is in force. A rule in force only in the past is still a rule
    the scenarios must exercise (on a date in its period)."""
    seen: dict[tuple[str, Any], tuple[ResolvedRule, date]] = {}
    for ruleset in library.versions(municipality):
        day = ruleset.period.valid_from or ruleset.period.valid_to or date.today()
        for r in ruleset.rules:
            seen.setdefault((r.id, r.period), (r, day))
    count = Counter(rule_id for rule_id, _ in seen)
    return {coverage_name(r, count[r.id]): (r, day) for r, day in seen.values()}


def coverage_name(rule: ResolvedRule, versions: int) -> str:
    """How a rule is named in coverage: its id, and for a rule with several versions, the
    version's period (each version is a rule that scenarios must exercise)."""
    return rule.id if versions == 1 else f"{rule.id} [{rule.period.words()}]"


def coverage_of(results: Sequence[ScenarioResult], library: RuleLibrary,
                every_ruleset: bool = False) -> CoverageReport:
    """Rule coverage of a scenario run; with ``every_ruleset``, also of the library's rule
    sets no scenario used (a municipality repository's file without scenarios counts as
    0 %, not as nothing)."""
    return coverage_of_records(coverage_records(results), library, every_ruleset)


def coverage_of_records(records: Sequence[CoverageRecord], library: RuleLibrary,
                        every_ruleset: bool = False) -> CoverageReport:
    """Rule coverage from coverage records, as gathered from one or several processes."""
    tables: dict[str, dict[str, RuleCoverage]] = {}
    #: Per rule set: the number of versions of each rule id, across every version of the set.
    counts: dict[str, Counter[str]] = {}

    def table_of(municipality: str | int) -> tuple[str, dict[str, RuleCoverage]]:
        info = library.find(municipality)
        table = tables.get(info.slug)
        if table is None:
            versions = rule_versions(library, info.code)
            counts[info.slug] = Counter(rule.id for rule, _ in versions.values())
            table = tables[info.slug] = {
                name: RuleCoverage(name, r.kind, r.layer, span=r.span)
                for name, (r, _) in versions.items()}
        return info.slug, table

    if every_ruleset:
        for info in library.municipalities():
            table_of(info.code)
    for municipality, on, outcomes in records:
        slug, table = table_of(municipality)
        ruleset = library.ruleset(municipality, on)
        for rule_id, outcome in outcomes.items():
            if not ruleset.has_rule(rule_id):
                continue
            name = coverage_name(ruleset.rule(rule_id), counts[slug][rule_id])
            if name in table:
                table[name].outcomes[outcome] += 1
    return CoverageReport({name: list(table.values()) for name, table in sorted(tables.items())})


#: Characters XML 1.0 does not allow anywhere, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: str) -> str:
    """Text an XML 1.0 reader accepts: a forbidden character (a control character from a
    "\x01" escape in a scenario name or a file name) is written as its \\x escape."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def coverage_document(report: CoverageReport, lang: str = "en") -> Document:
    """Rule coverage as a :class:`~spstotte.render.documents.Document`: per rule set a table of its
    rules (``!`` marks a rule no scenario exercised) and the rules not exercised, then the
    total."""
    def t(key: str, **values: object) -> str:
        return text(f"coverage.{key}", lang, **values)

    doc = Document(title=t("title"), lang=lang)
    for name, rules in report.rulesets.items():
        doc.p(t("ruleset", name=name))
        doc.table(["", *(t(f"columns.{c}") for c in ("rule", "kind", "layer", "outcomes"))],
                  [[" " if r.covered else "!", Code(r.rule_id), r.kind, r.layer,
                    ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) or "—"]
                   for r in rules])
        missing = [r.rule_id for r in rules if not r.covered]
        if missing:
            doc.p(fill(t("not_exercised"),
                       rules=join(Code(rule_id) for rule_id in missing)))
    for scope in ("own", "law"):
        tally = report.tally(scope)
        doc.p(t(f"total_{scope}", covered=tally.covered, total=tally.total,
                percent=f"{tally.percent:.1f}"))
    doc.p(t("total", covered=report.covered, total=report.total,
            percent=f"{report.percent:.1f}"))
    return doc


def coverage_table(report: CoverageReport, lang: str = "en", fmt: Format = "text") -> str:
    """Rule coverage as a table per rule set (one line per rule), the rules not exercised and
    the total: plain text by default (``fmt`` ``"markdown"`` or ``"html"``), in ``lang``."""
    return render(coverage_document(report, lang), fmt)


def cobertura_xml(report: CoverageReport, version: str = "") -> str:
    """Rule coverage in the Cobertura XML format that CI dashboards read (GitLab, Jenkins,
    Azure DevOps, coverage badges): a *package* per rule set, a *class* per rule file, and a
    *line* per rule, at the line the rule is written on, with ``hits`` the number of scenarios
    in which it concluded. There are no branches; ``timestamp`` is 0, so that the same run
    gives the same file."""
    def rate(tally: Tally) -> str:
        return f"{tally.percent / 100:.4f}"

    whole = report.tally()
    root = ElementTree.Element(
        "coverage", {"line-rate": rate(whole), "branch-rate": "0",
                     "lines-covered": str(whole.covered), "lines-valid": str(whole.total),
                     "branches-covered": "0", "branches-valid": "0", "complexity": "0",
                     "version": f"spstotte {version}".strip(), "timestamp": "0"})
    ElementTree.SubElement(ElementTree.SubElement(root, "sources"), "source").text = "."
    packages = ElementTree.SubElement(root, "packages")
    for name, rules in report.rulesets.items():
        own = CoverageReport({name: rules}).tally()
        package = ElementTree.SubElement(packages, "package", {
            "name": xml_safe(name), "line-rate": rate(own), "branch-rate": "0", "complexity": "0"})
        classes = ElementTree.SubElement(package, "classes")
        by_file: dict[str, list[RuleCoverage]] = {}
        for rule in rules:
            by_file.setdefault(rule.span.file if rule.span else name, []).append(rule)
        for file, in_file in by_file.items():
            tally = Tally(sum(r.covered for r in in_file), len(in_file))
            cls = ElementTree.SubElement(classes, "class", {
                "name": xml_safe(f"{name}.{Path(file).stem}"), "filename": xml_safe(file),
                "line-rate": rate(tally), "branch-rate": "0", "complexity": "0"})
            ElementTree.SubElement(cls, "methods")
            lines = ElementTree.SubElement(cls, "lines")
            hits: dict[int, int] = {}
            for rule in in_file:
                line = rule.span.line if rule.span else 1
                # Two rules on one line (generated ones) count as covered only if both are.
                hits[line] = min(hits.get(line, rule.hits), rule.hits)
            for line, count in sorted(hits.items()):
                ElementTree.SubElement(lines, "line", {"number": str(line), "hits": str(count),
                                                       "branch": "false"})
    body = ElementTree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" ?>\n<!DOCTYPE coverage SYSTEM '
            '"http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n' + body + "\n")


def percent(text: str) -> float:
    """A coverage threshold: a number from 0 to 100 (``nan`` and ``inf`` would let every run
    pass or none)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:  # also false for nan
        raise ValueError(f"{text!r} is not a percentage from 0 to 100")
    return value
