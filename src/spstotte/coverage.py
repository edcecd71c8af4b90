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

from .library import RuleLibrary
from .scenarios import ScenarioResult, rule_results


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
                    "rules": {r.rule_id: {"kind": r.kind, "layer": r.layer,
                                          "covered": r.covered, "outcomes": dict(r.outcomes)}
                              for r in rules},
                } for name, rules in self.rulesets.items()},
        }


def coverage_of(results: Sequence[ScenarioResult], library: RuleLibrary) -> CoverageReport:
    """Rule coverage of a scenario run."""
    tables: dict[str, dict[str, RuleCoverage]] = {}
    for result in results:
        if result.verdict is None:
            continue
        ruleset = library.ruleset(result.scenario.municipality)
        table = tables.get(ruleset.id)
        if table is None:
            table = tables[ruleset.id] = {
                r.id: RuleCoverage(r.id, r.kind, r.layer) for r in ruleset.rules}
        for rule_id, outcome in rule_results(result.verdict).items():
            if rule_id in table:
                table[rule_id].outcomes[outcome] += 1
    return CoverageReport({name: list(table.values()) for name, table in sorted(tables.items())})


def coverage_table(report: CoverageReport) -> str:
    """A plain-text table: one line per rule, then the uncovered rules and the total."""
    lines: list[str] = []
    for name, rules in report.rulesets.items():
        lines.append(f"rule coverage: {name}")
        lines.append(f"  {'rule':<40} {'kind':<11} {'layer':<12} outcomes")
        for r in rules:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items())) or "—"
            mark = " " if r.covered else "!"
            lines.append(f"{mark} {r.rule_id:<40} {r.kind:<11} {r.layer:<12} {outcomes}")
        missing = [r.rule_id for r in rules if not r.covered]
        if missing:
            lines.append(f"  not exercised: {', '.join(missing)}")
    lines.append(f"rule coverage: {report.covered}/{report.total} rules "
                 f"({report.percent:.1f}%)")
    return "\n".join(lines) + "\n"
