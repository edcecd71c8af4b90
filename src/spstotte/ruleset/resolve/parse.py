"""One rule file validated against the format, its conditions and conclusions parsed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import ValidationError

from ...errors import Diagnostic, value_words
from ...lang.conditions import All, Conclusion, Condition, ConditionParser, Inform, Obligation
from ...lang.ruleformat import RuleFile
from ...loader import LoadedYaml
from ..diagnose import diagnostics_from
from .periods import check_periods, hidden_on


@dataclass
class ParsedFile:
    """A rule file that passed the format: its model and its rules' parsed conditions and
    conclusions, by the rule's index in the file."""

    loaded: LoadedYaml
    model: RuleFile
    rules: list[tuple[int, Condition, Conclusion]]
    #: The paths of what is not in force on the date this view is for (see :meth:`at`).
    hidden: frozenset[tuple[str | int, ...]] = frozenset()

    def at(self, day: date) -> ParsedFile:
        """The file as it stood on ``day``: rules, restatements, support areas, delivery forms
        and parameter versions not in force then are hidden (their positions are kept)."""
        return replace(self, hidden=hidden_on(self.model, day))

    def shows(self, *path: str | int) -> bool:
        """Whether the thing at ``path`` (e.g. ``("rules", 3)``) is in force in this view."""
        return path not in self.hidden

    @property
    def broken_ids(self) -> set[str]:
        """Ids of rules whose condition or conclusion had errors (already reported)."""
        parsed = {i for i, _, _ in self.rules}
        return {r.id for i, r in enumerate(self.model.rules) if i not in parsed}


def parse_file(loaded: LoadedYaml, diagnostics: list[Diagnostic]) -> ParsedFile | None:
    """Validate one loaded file against the format and parse its conditions."""
    data = loaded.data
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic.of("R103", "file", loaded.span(()),
                                         got=value_words(data)))
        return None
    try:
        model = RuleFile.model_validate(data)
    except ValidationError as exc:
        diagnostics.extend(diagnostics_from(exc, loaded, RuleFile))
        # Conditions are checked even when the rest has errors, so all errors come at once.
        _parse_conditions_only(loaded, data, diagnostics)
        return None
    check_periods(loaded, model, diagnostics)
    parser = ConditionParser(loaded)
    rules: list[tuple[int, Condition, Conclusion]] = []
    for i, rule in enumerate(model.rules):
        conclusion = parser.conclusion(rule.then, ("rules", i, "then"))
        condition: Condition | None
        if rule.when is None and isinstance(conclusion, (Obligation, Inform)):
            # No condition: it applies whenever one of its paths is granted.
            condition = All((), loaded.span(("rules", i)))
        elif rule.when is None:
            diagnostics.append(Diagnostic.of("R102", "when", loaded.span(("rules", i))))
            condition = None
        else:
            condition = parser.condition(rule.when, ("rules", i, "when"))
        if condition is not None and conclusion is not None:
            rules.append((i, condition, conclusion))
    diagnostics.extend(parser.diagnostics)
    return ParsedFile(loaded, model, rules)


def _parse_conditions_only(loaded: LoadedYaml, data: dict[str, Any],
                           diagnostics: list[Diagnostic]) -> None:
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        return
    parser = ConditionParser(loaded)
    for i, raw in enumerate(raw_rules):
        if isinstance(raw, dict):
            if "when" in raw:
                parser.condition(raw["when"], ("rules", i, "when"))
            if "then" in raw:
                parser.conclusion(raw["then"], ("rules", i, "then"))
    diagnostics.extend(parser.diagnostics)
