"""A synthetic caseload: made-up citizens to try a batch run or an impact analysis on, so that a
report can be shown without real citizens' data (docs/impact.md, "A synthetic caseload").

The cases are drawn by a seeded random source (:class:`random.Random`) from the profile's own
vocabularies (:mod:`spstotte.vocabulary`), the ones :func:`spstotte.testing.profile_data` draws
from, with the weights of :data:`DISTRIBUTION`: roughly what a municipality's applications for
§ 85 look like, so that every outcome occurs. The same seed, size, municipality and decision
date give the same file, byte for byte, on every machine and Python version (only
``Random.random`` is used: its sequence is fixed across versions). No case has a CPR number:
an invented one could be a real person's.

Hypothesis itself is not used: its strategies are meant for a test runner that searches and
shrinks, and drawing from them outside one is neither seeded nor stable across its versions.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import IO, Any, Final, Literal

from ..municipalities import MUNICIPALITY_NAMES
from ..vocabulary import (
    Applicant,
    Consent,
    HousingKind,
    Impairment,
    Provision,
    SocialProblem,
    SupportArea,
    SupportNeed,
)

CaseFormat = Literal["jsonl", "csv"]

#: The weights of each choice (they need not add up to 1), and the chance of each yes/no
#: field being yes. docs/impact.md lists them in words.
DISTRIBUTION: Final[dict[str, Any]] = {
    # Age on the decision date: under 18 (10-17 years), within two years of the 18th
    # birthday either way, or an adult of 18-80.
    "age": {"minor": 0.07, "near_18": 0.08, "adult": 0.85},
    # Lives in the municipality analysed (the rest in another of the 98, at random).
    "lives_here": 0.92,
    "housing": {HousingKind.OWN_HOME: 0.55, HousingKind.WITH_FAMILY: 0.12,
                HousingKind.SUPPORTED_HOUSING: 0.12, HousingKind.SHELTER: 0.05,
                HousingKind.HOMELESS: 0.04, HousingKind.INSTITUTION: 0.07,
                HousingKind.OTHER: 0.05},
    # Placed in supported housing, a shelter or an institution by: this municipality,
    # another, or none.
    "placed_by": {"here": 0.7, "other": 0.2, "none": 0.1},
    "physical_impairment": {Impairment.NONE: 0.45, Impairment.LIGHT: 0.20,
                            Impairment.MODERATE: 0.15, Impairment.SEVERE: 0.15,
                            Impairment.COMPLETE: 0.05},
    "mental_impairment": {Impairment.NONE: 0.20, Impairment.LIGHT: 0.15,
                          Impairment.MODERATE: 0.25, Impairment.SEVERE: 0.32,
                          Impairment.COMPLETE: 0.08},
    "support_need": {SupportNeed.NONE: 0.06, SupportNeed.LIGHT: 0.16,
                     SupportNeed.MODERATE: 0.30, SupportNeed.HIGH: 0.30,
                     SupportNeed.COMPLETE: 0.11, SupportNeed.NOT_ASSESSED: 0.07},
    "applicant": {Applicant.SELF: 0.80, Applicant.RELATIVE: 0.10, Applicant.GUARDIAN: 0.06,
                  Applicant.OTHER: 0.04},
    # Consent, when someone else applies.
    "consent": {Consent.GIVEN: 0.80, Consent.NOT_YET_GIVEN: 0.10, Consent.REFUSED: 0.05,
                Consent.UNABLE_TO_CONSENT: 0.05},
    # Yes/no fields: the chance of yes.
    "yes": {"met_by_open_offers": 0.12, "met_by_advice": 0.10,
            "specialist_treatment_sought": 0.08, "improvement_expected": 0.70,
            "at_risk": 0.30, "particular_social_problems": 0.20,
            "accepts_straksforloeb": 0.50, "urgent": 0.15, "motivated": 0.80,
            "able_to_attend_groups": 0.60},
    # Lists: the chance the list is empty (known to be none), else 1 to ``most`` items.
    "lists": {"social_problems": (0.50, 2), "covered_by_provision": (0.85, 1),
              "current_help": (0.70, 2), "requested_support_areas": (0.05, 4)},
    # Any field but the birth date is unknown (left out) with this chance.
    "unknown": 0.04,
}

_LIST_VALUES: Final = {"social_problems": SocialProblem, "covered_by_provision": Provision,
                       "current_help": Provision, "requested_support_areas": SupportArea}

#: Fields in the order they are drawn (and written as CSV columns).
FIELDS: Final = ("id", "birth_date", "residence_municipality", "living_situation.kind",
                 "living_situation.placed_by_municipality",
                 "living_situation.usual_stay_municipality", "physical_impairment",
                 "mental_impairment", "social_problems", "support_need", "met_by_open_offers",
                 "met_by_advice", "covered_by_provision", "specialist_treatment_sought",
                 "improvement_expected", "at_risk", "applicant", "consent",
                 "accepts_straksforloeb", "particular_social_problems", "current_help",
                 "urgent", "requested_support_areas", "motivated", "able_to_attend_groups")

_YEAR: Final = 365.2425


class _Draw:
    """Choices from one seeded random source; only ``random()`` is used (stable across
    Python versions)."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self._random.random() < p

    def weighted(self, weights: dict[Any, float]) -> Any:
        total = sum(weights.values())
        point = self._random.random() * total
        for value, weight in weights.items():
            point -= weight
            if point < 0:
                return value
        return next(reversed(weights))

    def integer(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + min(int(self._random.random() * (high - low + 1)), high - low)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.integer(0, len(items) - 1)]

    def some(self, items: Sequence[Any], most: int) -> list[Any]:
        """1 to ``most`` different items, in the vocabulary's order."""
        chosen: set[int] = set()
        for _ in range(self.integer(1, most)):
            chosen.add(self.integer(0, len(items) - 1))
        return [items[i] for i in sorted(chosen)]


def generate_cases(n: int, seed: int, municipality: int | None = None,
                   on: date | str | None = None) -> Iterator[dict[str, Any]]:
    """``n`` synthetic cases (profile data with an ``id``: ``syn-000001``, ...), drawn with
    :data:`DISTRIBUTION` from ``seed``; most live in ``municipality`` (a code; without one,
    anywhere in Denmark). Ages are counted to ``on`` (a date or YYYY-MM-DD; default: today), the
    decision date the caseload is meant for.

    >>> [c["id"] for c in generate_cases(2, seed=1, municipality=101, on=date(2026, 1, 1))]
    ['syn-000001', 'syn-000002']
    """
    day = date.fromisoformat(on) if isinstance(on, str) else (on or date.today())
    draw = _Draw(seed)
    codes = sorted(MUNICIPALITY_NAMES)
    others = [c for c in codes if c != municipality]
    width = max(6, len(str(n)))
    unknown = DISTRIBUTION["unknown"]

    def elsewhere() -> int:
        return int(draw.pick(others))

    def home() -> int:
        if municipality is None:
            return int(draw.pick(codes))
        return municipality if draw.chance(DISTRIBUTION["lives_here"]) else elsewhere()

    for number in range(1, n + 1):
        case: dict[str, Any] = {"id": f"syn-{number:0{width}d}"}
        age = draw.weighted(DISTRIBUTION["age"])
        low, high = {"minor": (10 * _YEAR, 18 * _YEAR - 2),
                     "near_18": (16 * _YEAR, 20 * _YEAR),
                     "adult": (18 * _YEAR + 1, 80 * _YEAR)}[age]
        case["birth_date"] = (day - timedelta(days=draw.integer(int(low), int(high)))
                              ).isoformat()
        lives = home()
        if not draw.chance(unknown):
            case["residence_municipality"] = lives
        if not draw.chance(unknown):
            kind = draw.weighted(DISTRIBUTION["housing"])
            living: dict[str, Any] = {"kind": kind.value}
            if kind in (HousingKind.SUPPORTED_HOUSING, HousingKind.SHELTER,
                        HousingKind.INSTITUTION):
                placed = draw.weighted(DISTRIBUTION["placed_by"])
                living["placed_by_municipality"] = (
                    lives if placed == "here" else elsewhere() if placed == "other" else "none")
            if kind is HousingKind.HOMELESS:
                living["usual_stay_municipality"] = lives
            case["living_situation"] = living
        for name in FIELDS[6:]:
            if name in DISTRIBUTION["yes"]:
                value: Any = draw.chance(DISTRIBUTION["yes"][name])
            elif name in DISTRIBUTION["lists"]:
                empty, most = DISTRIBUTION["lists"][name]
                members = [v.value for v in _LIST_VALUES[name]]
                value = [] if draw.chance(empty) else draw.some(members, most)
            elif name == "consent":
                if case.get("applicant", "self") == Applicant.SELF.value:
                    continue
                value = draw.weighted(DISTRIBUTION["consent"]).value
            else:
                value = draw.weighted(DISTRIBUTION[name]).value
            if not draw.chance(unknown):
                case[name] = value
        yield case


def write_cases(cases: Iterator[dict[str, Any]], stream: IO[str], fmt: CaseFormat) -> int:
    """Write cases as JSON Lines or CSV (the columns ``spstotte batch`` and ``spstotte impact``
    read: lists joined with ``;``, ``-`` for an empty list, an empty cell for unknown);
    returns how many."""
    written = 0
    if fmt == "jsonl":
        for case in cases:
            stream.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
        return written
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(FIELDS)
    for case in cases:
        writer.writerow([_cell(_get(case, name)) for name in FIELDS])
        written += 1
    return written


def _get(case: dict[str, Any], name: str) -> Any:
    outer, _, inner = name.partition(".")
    value = case.get(outer)
    return value.get(inner) if inner and isinstance(value, dict) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list):
        return ";".join(value) if value else "-"
    return str(value)
