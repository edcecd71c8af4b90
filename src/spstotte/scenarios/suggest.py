"""For a rule no scenario reaches: the facts of a scenario that would reach it.

Coverage says *which* rules no scenario exercised; a policy officer then needs to know *what
citizen* would. The rule's conditions say which facts matter: the facts it compares, and those
of the rules it reads, followed through. Starting from each scenario that already ran, the
search changes those facts (first one, then two at a time, over the values each fact can take)
and decides each changed profile with the reference interpreter, until the rule concludes. The
answer is the smallest change found: "start from scenario X and set these facts".

The search is deterministic (the same files give the same suggestion) and bounded
(:data:`MAX_TRIES` verdicts per rule), and it proposes only profiles that validate. A rule it
cannot reach within the bound is reported with the facts it reads instead.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from ..errors import SpstotteError
from ..facts import FACTS, FactKind, fact_spec
from ..lang.conditions import facts_read, rules_read
from ..library import RuleLibrary
from ..ruleset.resolve import ResolvedRuleSet
from ..texts import text
from ..verdict.build import add_months
from .coverage import rule_versions
from .format import Scenario, rule_results

#: Verdicts tried per rule at most (each about 0.1 ms with the reference interpreter, so at
#: most about two seconds for a rule no change of one or two facts reaches).
MAX_TRIES: Final = 20_000

#: Ages tried for ``birth_date``, in months: 16, 17 and a half (the transition to adulthood),
#: 18, 25, 45, and 70 (past the pension age).
_AGES_IN_MONTHS: Final = (16 * 12, 17 * 12 + 7, 18 * 12, 25 * 12, 45 * 12, 70 * 12)
#: A municipality other than the scenario's, for residence and placement.
_ELSEWHERE: Final = (101, 751)


@dataclass(frozen=True)
class Suggestion:
    """How to reach a rule: start from ``start`` and set ``changes`` (profile keys, in scenario
    YAML form; ``None`` means leave the key out: unknown)."""

    rule_id: str
    start: Scenario
    changes: Mapping[str, Any]

    def describe(self, lang: str = "en", name: str | None = None) -> str:
        """One line for the coverage report, in ``lang`` (``name``: the rule's name in
        coverage, where it differs from its id)."""
        changes = ", ".join(f"{key}: {_yaml(value, lang)}" for key, value in self.changes.items())
        return text("coverage.suggestion", lang, rule=name or self.rule_id,
                    scenario=self.start.name,
                    location=self.start.location, changes=changes)


def _yaml(value: Any, lang: str) -> str:
    if value is None:
        return text("coverage.leave_out", lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v, lang) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v, lang)}" for k, v in value.items()) + "}"
    return str(value)


def suggestion_lines(library: RuleLibrary, uncovered: Mapping[str, Sequence[str]],
                     scenarios: Sequence[Scenario], lang: str = "en") -> list[str]:
    """For each rule set's uncovered rules, a line saying how a scenario would reach it (or
    which facts it reads, where the search finds no change)."""
    by_ruleset: dict[str, list[Scenario]] = {}
    for scenario in scenarios:
        try:
            ruleset_id = library.ruleset(scenario.municipality).id
        except SpstotteError:
            continue
        by_ruleset.setdefault(ruleset_id, []).append(scenario)
    lines = []
    for ruleset_id, names in uncovered.items():
        starts = by_ruleset.get(ruleset_id, [])
        versions = rule_versions(library, ruleset_id) if starts else {}
        for name in names:
            rule, day = versions.get(name, (None, None))
            tried = starts
            if rule is not None and name != rule.id and day is not None:
                # A version of a rule: the scenarios are tried on a date in its period.
                tried = [replace(s, on=day) for s in starts if not rule.period.contains(s.on)]
                tried = tried or starts
            found = suggest(library, rule.id if rule is not None else name, tried)
            if found is not None:
                if tried is not starts:
                    found = replace(found, changes={"on": day, **found.changes})
                lines.append(found.describe(lang, name))
            elif tried:
                facts = facts_reaching(library.ruleset(tried[0].municipality, tried[0].on),
                                       rule.id if rule is not None else name)
                lines.append(text("coverage.no_suggestion", lang, rule=name,
                                  facts=", ".join(facts)))
    return lines


def facts_reaching(ruleset: ResolvedRuleSet, rule_id: str) -> tuple[str, ...]:
    """The facts a rule's conclusion depends on: its own first, then those of the rules it
    reads, nearest first (so the search tries the most direct changes first)."""
    rules = {rule.id: rule for rule in ruleset.rules}
    seen_rules: set[str] = set()
    facts: dict[str, None] = {}
    pending = deque([rule_id])
    while pending:
        current = rules.get(pending.popleft())
        if current is None or current.id in seen_rules:
            continue
        seen_rules.add(current.id)
        facts.update(dict.fromkeys(facts_read(current.condition)))
        pending.extend(rules_read(current.condition))
    return tuple(facts)


def _profile_key(fact: str) -> str | None:
    """The profile key that sets a fact (``None`` for the caseworker's assessments)."""
    if fact in ("age", "age_months", "reached_pension_age"):
        return "birth_date"
    if fact.startswith("living_situation."):
        return "living_situation"
    if fact not in FACTS:
        return None  # the caseworker's assessment of a service level: not searched
    return fact


def _candidates(key: str, scenario: Scenario, code: int) -> list[Any]:
    """Values a profile key may take in the search (``None``: left out)."""
    on = scenario.on
    if key == "birth_date":
        return [add_months(on, -months).isoformat() for months in _AGES_IN_MONTHS]
    if key == "living_situation":
        kinds = fact_spec("living_situation.kind").values
        out: list[Any] = [{"kind": kind} for kind in kinds]
        out += [{"kind": kind, "placed_by_municipality": other}
                for kind in kinds for other in _ELSEWHERE]
        out += [{"kind": kind, "usual_stay_municipality": where}
                for kind in kinds for where in (code, *_ELSEWHERE)]
        return [None, *out]
    spec = fact_spec(key)
    if spec.kind is FactKind.BOOL:
        return [None, True, False]
    if spec.kind is FactKind.SET:
        return [None, [], *([value] for value in spec.values)]
    if spec.kind is FactKind.MUNICIPALITY:
        return [None, code, *(c for c in _ELSEWHERE if c != code)]
    return [None, *spec.values]


def _changed(profile: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(profile)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _reached(library: RuleLibrary, scenario: Scenario, profile: Mapping[str, Any],
             rule_id: str) -> bool:
    try:
        verdict = library.evaluate(dict(profile), municipality=scenario.municipality,
                                   on=scenario.on, backend="reference")
    except SpstotteError:
        return False  # a profile that does not validate is no suggestion
    return rule_results(verdict).get(rule_id, "undetermined") != "undetermined"


def _change_sets(options: Mapping[str, list[Any]], base: Mapping[str, Any], size: int
                 ) -> Iterator[dict[str, Any]]:
    """Every change of ``size`` keys to values the base profile does not already have."""
    for chosen in itertools.combinations(list(options), size):
        for values in itertools.product(*(options[key] for key in chosen)):
            change = dict(zip(chosen, values, strict=True))
            if all(base.get(key) != value and not (value is None and key not in base)
                   for key, value in change.items()):
                yield change


def suggest(library: RuleLibrary, rule_id: str, scenarios: Sequence[Scenario]
            ) -> Suggestion | None:
    """The smallest change to one of ``scenarios`` (all of one rule set) that makes rule
    ``rule_id`` conclude, or ``None`` if none is found within :data:`MAX_TRIES` verdicts.
    Every scenario's one-fact changes are tried before anyone's two-fact changes."""
    if not scenarios:
        return None
    ruleset = library.ruleset(scenarios[0].municipality, scenarios[0].on)
    keys = list(dict.fromkeys(key for fact in facts_reaching(ruleset, rule_id)
                              if (key := _profile_key(fact)) is not None))
    options = [{key: _candidates(key, scenario, ruleset.municipality_code) for key in keys}
               for scenario in scenarios]
    tries = 0
    # Size 0: the scenario as it is (on another date, for a version of a rule).
    for size in (0, 1, 2):
        for scenario, choices in zip(scenarios, options, strict=True):
            for change in _change_sets(choices, scenario.profile, size):
                tries += 1
                if tries > MAX_TRIES:
                    return None
                if _reached(library, scenario, _changed(scenario.profile, change), rule_id):
                    return Suggestion(rule_id, scenario, change)
    return None
