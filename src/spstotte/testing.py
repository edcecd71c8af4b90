"""Hypothesis strategies for property-testing rule sets (needs ``hypothesis`` installed).

>>> from hypothesis import given
>>> from spstotte.testing import profiles, decision_dates
>>> @given(profiles(municipality=265), decision_dates())
... def test_never_crashes(profile, on):
...     spstotte.evaluate(profile, municipality=265, on=on)

Profiles are always valid (:class:`~spstotte.CitizenProfile` accepts them). Each field is
known with probability ``known`` (default 0.8) and left out otherwise, so the unknown-fact
paths are exercised too; ``known=1`` gives complete profiles.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from .municipalities import MUNICIPALITY_NAMES, municipality_code
from .profile import DISCRETIONARY_POINTS, CitizenProfile
from .vocabulary import (
    Applicant,
    Consent,
    HousingKind,
    Impairment,
    Provision,
    SocialProblem,
    SupportArea,
    SupportNeed,
)

__all__ = ["decision_dates", "profile_data", "profiles", "wide_municipality"]

_FIRST_DAY = date(2024, 1, 1)
_LAST_DAY = date(2030, 12, 31)


def decision_dates(start: date = _FIRST_DAY, end: date = _LAST_DAY) -> st.SearchStrategy[date]:
    """Decision dates, including 28 February, 29 February and 1 March often."""
    special = [d for year in range(start.year, end.year + 1)
               for d in (date(year, 2, 28), date(year, 3, 1))]
    special += [date(y, 2, 29) for y in range(start.year, end.year + 1) if y % 4 == 0]
    return st.one_of(st.dates(start, end), st.sampled_from([d for d in special
                                                            if start <= d <= end]))


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[Any], known: float) -> Any:
    """A value about ``known`` of the time, else ``None`` (unknown). Shrinks towards known
    (the chance shrinks towards 0)."""
    return draw(strategy) if draw(_CHANCE) < known else None


def _values(enum: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([v.value for v in enum])


def _sets(enum: Any) -> st.SearchStrategy[list[str]]:
    return st.lists(_values(enum), max_size=3, unique=True)


def _birth_date(near: date) -> st.SearchStrategy[date]:
    # Around the 18th birthday often, and across a whole life otherwise.
    adult_edge = st.integers(-3, 3).map(
        lambda d: date(near.year - 18, near.month, min(near.day, 28)) + timedelta(days=d))
    return st.one_of(st.dates(date(1920, 1, 1), date(2012, 12, 31)), adult_edge,
                     st.just(date(2008, 2, 29)))


def _cpr(born: date) -> st.SearchStrategy[str]:
    """A CPR number for a birth date (century digit chosen to match), any serial."""
    yy = born.year % 100
    if 1900 <= born.year <= 1999:
        digits = [0, 1, 2, 3] + ([4, 9] if yy >= 37 else []) + ([9] if yy >= 37 else [])
    elif 2000 <= born.year <= 2036:
        digits = [4, 9, 5, 6, 7, 8]
    elif 2037 <= born.year <= 2057:
        digits = [5, 6, 7, 8]
    else:
        digits = [5, 6, 7, 8]
    return st.tuples(st.sampled_from(sorted(set(digits))), st.integers(0, 999)).map(
        lambda t: f"{born:%d%m}{yy:02d}-{t[0]}{t[1]:03d}")


#: The simple fields of a profile: each a value of its vocabulary, a set of them, or a bool.
_SIMPLE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "physical_impairment": _values(Impairment),
    "mental_impairment": _values(Impairment),
    "social_problems": _sets(SocialProblem),
    "support_need": _values(SupportNeed),
    "met_by_open_offers": st.booleans(),
    "met_by_advice": st.booleans(),
    "covered_by_provision": _sets(Provision),
    "specialist_treatment_sought": st.booleans(),
    "improvement_expected": st.booleans(),
    "at_risk": st.booleans(),
    "particular_social_problems": st.booleans(),
    "current_help": _sets(Provision),
    "applicant": _values(Applicant),
    "consent": _values(Consent),
    "accepts_straksforloeb": st.booleans(),
    "urgent": st.booleans(),
    "requested_support_areas": _sets(SupportArea),
    "motivated": st.booleans(),
    "able_to_attend_groups": st.booleans(),
}


@dataclass(frozen=True)
class _ProfileStrategies:
    """The strategies of one (municipality, known) choice, built once: building them on
    every draw cost more than drawing from them."""

    birth: st.SearchStrategy[date]
    how: st.SearchStrategy[str]
    residence: st.SearchStrategy[Any]
    housing: st.SearchStrategy[str]
    placed: st.SearchStrategy[Any]
    stay: st.SearchStrategy[Any]
    simple: tuple[tuple[str, st.SearchStrategy[Any]], ...]


#: A chance in [0, 1): drawn to decide whether a field is known.
_CHANCE = st.floats(0, 1, exclude_max=True)


@functools.cache
def _strategies(home: int | None, known: float) -> _ProfileStrategies:
    favourites = [265, 540, 630] + ([home] if home else [])
    return _ProfileStrategies(
        birth=_birth_date(date(2026, 11, 23)),
        how=st.sampled_from(["birth_date", "cpr", "both", "none"]),
        residence=st.one_of(st.sampled_from(favourites),
                            st.sampled_from(sorted(MUNICIPALITY_NAMES))),
        housing=_values(HousingKind),
        placed=st.one_of(st.sampled_from(favourites), st.just("none")),
        stay=st.sampled_from(favourites),
        simple=tuple(_SIMPLE_FIELDS.items()),
    )


_ONE_IN_TEN = st.integers(0, 9)


@st.composite
def profile_data(draw: st.DrawFn, municipality: int | str | None = None,
                 known: float = 0.8) -> dict[str, Any]:
    """Raw profile data (a dict, as a form or a JSON API would send it)."""
    home = municipality_code(municipality) if municipality is not None else None
    strategies = _strategies(home, known)
    data: dict[str, Any] = {}
    born = draw(strategies.birth)
    how = draw(strategies.how)
    if how in ("birth_date", "both"):
        data["birth_date"] = born.isoformat()
    if how in ("cpr", "both") and born.year >= 1858:
        data["cpr"] = draw(_cpr(born))
    residence = _maybe(draw, strategies.residence, known)
    if residence is not None:
        data["residence_municipality"] = residence
    if draw(_CHANCE) < known:
        kind = draw(strategies.housing)
        living: dict[str, Any] = {"kind": kind}
        placed = _maybe(draw, strategies.placed, known)
        if placed is not None:
            living["placed_by_municipality"] = placed
        if kind == "homeless" or draw(_ONE_IN_TEN) == 0:
            stay = _maybe(draw, strategies.stay, known)
            if stay is not None:
                living["usual_stay_municipality"] = stay
        data["living_situation"] = living
    for name, strategy in strategies.simple:
        value = _maybe(draw, strategy, known)
        if value is not None:
            data[name] = value
    # Sometimes the caseworker's considerations on the discretionary points that are given.
    given = [p for p in DISCRETIONARY_POINTS if p in data]
    if given and draw(st.integers(0, 3)) == 0:
        chosen = draw(st.lists(st.sampled_from(given), unique=True, min_size=1, max_size=3))
        data["assessments"] = {p: {"considerations": f"Hovedhensyn ved vurderingen af {p}."}
                               for p in chosen}
    return data


def profiles(municipality: int | str | None = None,
             known: float = 0.8) -> st.SearchStrategy[CitizenProfile]:
    """Valid :class:`CitizenProfile` s; with ``municipality``, most live there."""
    return profile_data(municipality, known).map(CitizenProfile.parse)


def wide_municipality(count: int, code: int = 265) -> str:
    """A synthetic municipal rule file (YAML text) whose § 85 path has ``count`` requirements
    of its own, for tests and benchmarks of large rule sets. Each requirement reads one of ten
    derived facts, "at least 18 + k years old" (k = 0..9), so that no fact's tests exceed the
    engine's other limits: all are met at 28; at 21, those that read ``age_22`` or above
    (``requirement_4`` to ``_9``, ``_14`` to ``_19``, ...) are not.
    Its quotes cite a source file ``t`` that does not exist: it is for the engine, not for
    ``validate``."""
    name = MUNICIPALITY_NAMES[code]
    basis = "legal_basis: {sources: [{source: own, section: S, quote: ordret citat}]}"
    derived = "".join(f"""\
  - id: age_{18 + k}
    title: {{da: Mindst {18 + k} år, en: At least {18 + k}}}
    {basis}
    when: {{fact: age, gte: {18 + k}}}
    then: derive
""" for k in range(10))
    required = "".join(f"""\
  - id: requirement_{i}
    title: {{da: Krav {i}, en: Requirement {i}}}
    {basis}
    when: {{rule: age_{18 + i % 10}, is: true}}
    then: {{require: {{paths: [p85]}}}}
""" for i in range(count))
    return f"""\
layer: municipality
id: bred
title: {{da: Bred, en: Wide}}
municipality: {{code: {code}, name: {name}}}
sources: {{own: {{file: t, publisher: {name} Kommune, title: T, date: x, kind: t,
                 municipality: {code}}}}}
rules:
{derived}{required}"""
