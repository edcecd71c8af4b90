"""Rule coverage: which rules the scenarios fired, which outcomes each reached, which none did.

A rule counts as covered when it reached a conclusion (true or false, met or not met, or, for
obligations and information, applied) in at least one scenario. Requirements also record how
often they were met, not met and undetermined, so a suite that only ever grants is visible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..library import RuleLibrary
from ..render.documents import Code, Document, Format, fill, join, render
from ..texts import text
from .format import ScenarioResult, rule_results


@dataclass
class RuleCoverage:
    """How one rule was exercised."""

    rule_id: str
    kind: str
    layer: str
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def covered(self) -> bool:
        """Whether some scenario made the rule conclude."""
        return any(k != "undetermined" for k in self.outcomes)


@dataclass
class CoverageReport:
    """Coverage of every rule set the scenarios used."""

    rulesets: dict[str, list[RuleCoverage]]

    @property
    def total(self) -> int:
        """Number of rules across the rule sets."""
        return sum(len(rules) for rules in self.rulesets.values())

    @property
    def covered(self) -> int:
        """Number of covered rules."""
        return sum(r.covered for rules in self.rulesets.values() for r in rules)

    @property
    def percent(self) -> float:
        """Covered rules as a percentage (100 when there are no rules)."""
        return 100.0 if not self.total else 100.0 * self.covered / self.total

    def uncovered(self) -> dict[str, list[str]]:
        """Rule ids no scenario exercised, per rule set."""
        return {name: [r.rule_id for r in rules if not r.covered]
                for name, rules in self.rulesets.items()}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "percent": round(self.percent, 2), "covered": self.covered, "total": self.total,
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
#: Plain data, so that test processes running in parallel can send it to the one that reports.
CoverageRecord = tuple[str | int, dict[str, str]]


def coverage_records(results: Sequence[ScenarioResult]) -> list[CoverageRecord]:
    """The coverage records of scenario results (those that reached a verdict)."""
    return [(result.scenario.municipality, rule_results(result.verdict))
            for result in results if result.verdict is not None]


def coverage_of(results: Sequence[ScenarioResult], library: RuleLibrary) -> CoverageReport:
    """Rule coverage of a scenario run."""
    return coverage_of_records(coverage_records(results), library)


def coverage_of_records(records: Sequence[CoverageRecord],
                        library: RuleLibrary) -> CoverageReport:
    """Rule coverage from coverage records, as gathered from one or several processes."""
    tables: dict[str, dict[str, RuleCoverage]] = {}
    for municipality, outcomes in records:
        ruleset = library.ruleset(municipality)
        table = tables.get(ruleset.id)
        if table is None:
            table = tables[ruleset.id] = {
                r.id: RuleCoverage(r.id, r.kind, r.layer) for r in ruleset.rules}
        for rule_id, outcome in outcomes.items():
            if rule_id in table:
                table[rule_id].outcomes[outcome] += 1
    return CoverageReport({name: list(table.values()) for name, table in sorted(tables.items())})


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
    doc.p(t("total", covered=report.covered, total=report.total,
            percent=f"{report.percent:.1f}"))
    return doc


def coverage_table(report: CoverageReport, lang: str = "en", fmt: Format = "text") -> str:
    """Rule coverage as a table per rule set (one line per rule), the rules not exercised and
    the total: plain text by default (``fmt`` ``"markdown"`` or ``"html"``), in ``lang``."""
    return render(coverage_document(report, lang), fmt)


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
