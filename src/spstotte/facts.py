"""The facts rules can read, and how a profile becomes facts on a decision date.

Python derives only generic facts here: age in whole years on the decision date (with the
29 February convention), ordinal ranks of scales and normalised municipality codes. Every legal
judgement is in the YAML rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from .errors import ProfileError, ProfileProblem
from .profile import CitizenProfile
from .texts import catalogue, text
from .vocabulary import (
    LABELS,
    RANKS,
    Applicant,
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
                    words["ask"]["da"], words["ask"]["en"])


#: Every fact a condition may read, by name. Nested profile fields use dotted names.
FACTS: Final[dict[str, FactSpec]] = {spec.name: spec for spec in (
    _spec("age", FactKind.INT),
    _spec("residence_municipality", FactKind.MUNICIPALITY),
    _spec("living_situation.kind", FactKind.ENUM, HousingKind),
    _spec("living_situation.placed_by_municipality", FactKind.MUNICIPALITY),
    _spec("physical_impairment", FactKind.ORDINAL, Impairment),
    _spec("mental_impairment", FactKind.ORDINAL, Impairment),
    _spec("social_problems", FactKind.SET, SocialProblem),
    _spec("support_need", FactKind.ORDINAL, SupportNeed),
    _spec("met_by_open_offers", FactKind.BOOL),
    _spec("met_by_advice", FactKind.BOOL),
    _spec("covered_by_provision", FactKind.SET, Provision),
    _spec("specialist_treatment_sought", FactKind.BOOL),
    _spec("improvement_expected", FactKind.BOOL),
    _spec("at_risk", FactKind.BOOL),
    _spec("applicant", FactKind.ENUM, Applicant),
    _spec("consent", FactKind.BOOL),
    _spec("urgent", FactKind.BOOL),
    _spec("requested_support_areas", FactKind.SET, SupportArea),
    _spec("motivated", FactKind.BOOL),
    _spec("able_to_attend_groups", FactKind.BOOL),
)}

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
            raise ProfileError([ProfileProblem(
                field, f"the decision date {on.isoformat()} is before the birth date "
                f"{birth.isoformat()}",
                "check the birth date, the CPR number and the decision date",
            )])
        age = age_on(birth, on)
    living = profile.living_situation
    facts: dict[str, FactValue] = {
        "age": age,
        "residence_municipality": profile.residence_municipality,
        "living_situation.kind": living.kind.value if living else None,
        "living_situation.placed_by_municipality": (
            living.placed_by_municipality if living else None),
        "physical_impairment": _enum(profile.physical_impairment),
        "mental_impairment": _enum(profile.mental_impairment),
        "social_problems": _set(profile.social_problems),
        "support_need": _enum(profile.support_need),
        "met_by_open_offers": profile.met_by_open_offers,
        "met_by_advice": profile.met_by_advice,
        "covered_by_provision": _set(profile.covered_by_provision),
        "specialist_treatment_sought": profile.specialist_treatment_sought,
        "improvement_expected": profile.improvement_expected,
        "at_risk": profile.at_risk,
        "applicant": _enum(profile.applicant),
        "consent": profile.consent,
        "urgent": profile.urgent,
        "requested_support_areas": _set(profile.requested_support_areas),
        "motivated": profile.motivated,
        "able_to_attend_groups": profile.able_to_attend_groups,
    }
    assert facts.keys() == FACTS.keys()
    return facts


def _enum(value: Vocabulary | None) -> str | None:
    return None if value is None else value.value


def _set(values: frozenset[Vocabulary] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(v.value for v in values)


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


def known_facts(facts: Mapping[str, FactValue]) -> dict[str, object]:
    """Only the known facts, JSON-ready."""
    return {name: fact_json(value) for name, value in facts.items() if value is not None}
