"""The facts rules can read, and how a profile becomes facts on a decision date.

Python derives only generic facts here: age in whole years and in whole months on the decision
date (with the 29 February convention), whether the folkepensionsalder of the statutory table
(``pension_age.json``, data) is reached, ordinal ranks of scales and normalised municipality
codes. Every legal judgement is in the YAML rules.

Besides the profile's facts there is one fact per point of a municipality's service level that
a caseworker can assess (``assessment.<rule id>``, see :func:`assessment_fact`): the finding of
the concrete, individual assessment, unknown while none is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

from .errors import ProfileError, ProfileProblem
from .profile import DISCRETIONARY_POINTS, CitizenProfile
from .texts import catalogue, text
from .vocabulary import (
    LABELS,
    RANKS,
    Applicant,
    Consent,
    HousingKind,
    Impairment,
    Provision,
    SocialProblem,
    SupportArea,
    SupportNeed,
    Vocabulary,
)


class FactKind(StrEnum):
    """The type of a fact, which decides the operators a condition may use on it."""

    BOOL = "bool"
    INT = "int"
    ORDINAL = "ordinal"
    ENUM = "enum"
    SET = "set"
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class FactSpec:
    """A fact the rules can read: its name, type, values and labels."""

    name: str
    kind: FactKind
    da: str
    en: str
    vocabulary: type[Vocabulary] | None = None
    #: What a caseworker must find out when the fact is missing.
    ask_da: str = ""
    ask_en: str = ""
    #: A discretionary point: a finding the caseworker makes and states considerations for.
    discretionary: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed values of an enum, ordinal or set fact."""
        return tuple(v.value for v in self.vocabulary) if self.vocabulary else ()

    def value_label(self, value: object, lang: str = "da") -> str:
        """A readable label of one value of this fact."""
        if value is None:
            return text("values.unknown", lang)
        if isinstance(value, bool):
            return text("values.yes" if value else "values.no", lang)
        if self.kind is FactKind.MUNICIPALITY and isinstance(value, int):
            from .municipalities import MUNICIPALITY_NAMES
            name = MUNICIPALITY_NAMES.get(value)
            return f"{name} ({value})" if name else str(value)
        if self.kind is FactKind.MUNICIPALITY and value == "none":
            return text("values.no_municipality", lang)
        if isinstance(value, (list, tuple, frozenset, set)):
            if not value:
                return text("values.none", lang)
            return ", ".join(self.value_label(v, lang) for v in sorted(value, key=str))
        if self.vocabulary is not None and isinstance(value, str):
            labels = LABELS[self.vocabulary].get(value)
            if labels:
                return labels[0] if lang == "da" else labels[1]
        if self.kind is FactKind.INT and self.name == "age":
            return text("values.years", lang, n=value)
        return str(value)


def _spec(name: str, kind: FactKind, vocabulary: type[Vocabulary] | None = None) -> FactSpec:
    # The names of the facts, and what to ask when one is missing, are in texts.yaml.
    words = catalogue()["facts"][name]
    return FactSpec(name, kind, words["label"]["da"], words["label"]["en"], vocabulary,
                    words["ask"]["da"], words["ask"]["en"], name in DISCRETIONARY_POINTS)


#: Every fact a condition may read, by name. Nested profile fields use dotted names.
FACTS: Final[dict[str, FactSpec]] = {spec.name: spec for spec in (
    _spec("age", FactKind.INT),
    _spec("age_months", FactKind.INT),
    _spec("reached_pension_age", FactKind.BOOL),
    _spec("residence_municipality", FactKind.MUNICIPALITY),
    _spec("living_situation.kind", FactKind.ENUM, HousingKind),
    _spec("living_situation.placed_by_municipality", FactKind.MUNICIPALITY),
    _spec("living_situation.usual_stay_municipality", FactKind.MUNICIPALITY),
    _spec("physical_impairment", FactKind.ORDINAL, Impairment),
    _spec("mental_impairment", FactKind.ORDINAL, Impairment),
    _spec("social_problems", FactKind.SET, SocialProblem),
    _spec("support_need", FactKind.ORDINAL, SupportNeed),
    _spec("met_by_open_offers", FactKind.BOOL),
    _spec("met_by_advice", FactKind.BOOL),
    _spec("covered_by_provision", FactKind.SET, Provision),
    _spec("current_help", FactKind.SET, Provision),
    _spec("specialist_treatment_sought", FactKind.BOOL),
    _spec("improvement_expected", FactKind.BOOL),
    _spec("at_risk", FactKind.BOOL),
    _spec("particular_social_problems", FactKind.BOOL),
    _spec("applicant", FactKind.ENUM, Applicant),
    _spec("consent", FactKind.ENUM, Consent),
    _spec("accepts_straksforloeb", FactKind.BOOL),
    _spec("urgent", FactKind.BOOL),
    _spec("requested_support_areas", FactKind.SET, SupportArea),
    _spec("motivated", FactKind.BOOL),
    _spec("able_to_attend_groups", FactKind.BOOL),
)}

#: The prefix of the facts that carry a caseworker's assessment of a service-level rule.
ASSESSMENT_PREFIX: Final = "assessment."


def assessment_fact(rule_id: str) -> str:
    """The fact that carries the caseworker's assessment of the service-level rule ``rule_id``."""
    return ASSESSMENT_PREFIX + rule_id


@cache
def fact_spec(name: str) -> FactSpec:
    """The spec of a fact: a profile fact, or the assessment of a service-level rule.

    Raises:
        KeyError: there is no such fact.
    """
    spec = FACTS.get(name)
    if spec is not None:
        return spec
    if name.startswith(ASSESSMENT_PREFIX) and len(name) > len(ASSESSMENT_PREFIX):
        words = catalogue()["assessment_fact"]
        return FactSpec(name, FactKind.BOOL, words["label"]["da"], words["label"]["en"], None,
                        words["ask"]["da"], words["ask"]["en"], True)
    raise KeyError(name)


#: The 29 February convention: someone born on 29 February turns a year older on 1 March in a
#: common year (never before the true anniversary). Recorded in every decision record.
LEAP_DAY_CONVENTION: Final = "leap-day birthdays are reached on 1 March in common years"

FactValue = int | str | bool | frozenset[str] | None


def age_on(birth: date, on: date) -> int:
    """Age in whole years on ``on``; a 29 February birthday is reached on 1 March in common years.

    >>> age_on(date(2008, 2, 29), date(2026, 2, 28)), age_on(date(2008, 2, 29), date(2026, 3, 1))
    (17, 18)
    >>> birthday = date(2008, 11, 23)
    >>> age_on(birthday, date(2026, 11, 22)), age_on(birthday, date(2026, 11, 23))
    (17, 18)
    """
    years = on.year - birth.year
    # Comparing (month, day) pairs makes (2, 29) come after (2, 28): in a common year the
    # birthday is therefore only reached on 1 March.
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def months_on(birth: date, on: date) -> int:
    """Age in whole months on ``on``, counted as :func:`age_on` counts years.

    >>> born = date(2008, 11, 23)
    >>> months_on(born, date(2026, 5, 22)), months_on(born, date(2026, 5, 23))
    (209, 210)
    """
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - 1 if on.day < birth.day else months


@cache
def _pension_table() -> tuple[tuple[date | None, date | None, int], ...]:
    path = Path(__file__).with_name("pension_age.json")
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return tuple((date.fromisoformat(r["born_from"]) if "born_from" in r else None,
                  date.fromisoformat(r["born_to"]) if "born_to" in r else None,
                  int(r["months"])) for r in rows)


def pension_age_months(birth: date) -> int:
    """The folkepensionsalder for someone born on ``birth``, in months (lov om social pension
    § 1 a, from the table in ``pension_age.json``).

    >>> pension_age_months(date(1953, 12, 31)), pension_age_months(date(1960, 5, 1))
    (780, 804)
    >>> pension_age_months(date(1966, 12, 31)), pension_age_months(date(1971, 1, 1))
    (816, 840)
    """
    for born_from, born_to, months in _pension_table():
        if (born_from is None or birth >= born_from) and (born_to is None or birth <= born_to):
            return months
    raise AssertionError(f"the pension-age table has no row for {birth}")  # pragma: no cover


def profile_facts(profile: CitizenProfile, on: date) -> dict[str, FactValue]:
    """The facts of a profile on a decision date; unknown facts are ``None``.

    Raises:
        ProfileError: the decision date is before the birth date.
    """
    birth = profile.birth_date_known()
    age: int | None = None
    if birth is not None:
        if on < birth:
            field = "birth_date" if profile.birth_date is not None else "cpr"
            raise ProfileError([ProfileProblem.of(field, "before_birth", date=on.isoformat(),
                                                  birth=birth.isoformat())])
        age = age_on(birth, on)
    months = None if birth is None else months_on(birth, on)
    living = profile.living_situation
    facts: dict[str, FactValue] = {
        "age": age,
        "age_months": months,
        "reached_pension_age": (None if birth is None or months is None
                                else months >= pension_age_months(birth)),
        "residence_municipality": profile.residence_municipality,
        "living_situation.kind": living.kind.value if living else None,
        "living_situation.placed_by_municipality": (
            living.placed_by_municipality if living else None),
        "living_situation.usual_stay_municipality": (
            living.usual_stay_municipality if living else None),
        "physical_impairment": _enum(profile.physical_impairment),
        "mental_impairment": _enum(profile.mental_impairment),
        "social_problems": _set(profile.social_problems),
        "support_need": _enum(profile.support_need),
        "met_by_open_offers": profile.finding("met_by_open_offers"),
        "met_by_advice": profile.finding("met_by_advice"),
        "covered_by_provision": _set(profile.finding("covered_by_provision")),
        "current_help": _set(profile.current_help),
        "specialist_treatment_sought": profile.specialist_treatment_sought,
        "improvement_expected": profile.finding("improvement_expected"),
        "at_risk": profile.finding("at_risk"),
        "particular_social_problems": profile.finding("particular_social_problems"),
        "applicant": _enum(profile.applicant),
        "consent": _enum(profile.consent),
        "accepts_straksforloeb": profile.accepts_straksforloeb,
        "urgent": profile.urgent,
        "requested_support_areas": _set(profile.requested_support_areas),
        "motivated": profile.motivated,
        "able_to_attend_groups": profile.able_to_attend_groups,
    }
    assert facts.keys() == FACTS.keys()
    return facts


# ``_value_`` is what an enum member's ``value`` property reads, without the property's own
# cost: these run for every field of every profile.
def _enum(value: Vocabulary | None) -> str | None:
    return None if value is None else value._value_


def _set(values: frozenset[Vocabulary] | None) -> frozenset[str] | None:
    return None if values is None else frozenset([v._value_ for v in values])


def assessment_facts(profile: CitizenProfile, points: Mapping[str, str]) -> dict[str, FactValue]:
    """The assessment facts of a rule set's service-level points (``points``: rule id -> fact),
    from the profile's ``assessments``; unknown (``None``) where none is recorded."""
    recorded = profile.assessments or {}
    out: dict[str, FactValue] = {}
    for rule_id, fact in points.items():
        assessment = recorded.get(rule_id)
        finding = None if assessment is None else assessment.finding
        out[fact] = finding if isinstance(finding, bool) else None
    return out


def rank(spec: FactSpec, value: object) -> int | None:
    """The ordinal rank of a value of an ordinal fact; ``None`` for ``not_assessed``/unknown."""
    if spec.vocabulary is None or not isinstance(value, str):
        return None
    return RANKS.get(spec.vocabulary, {}).get(value)


def fact_json(value: FactValue) -> object:
    """A JSON-ready form of a fact value (sets become sorted lists)."""
    if isinstance(value, frozenset):
        return sorted(value)
    return value
