from __future__ import annotations

from datetime import date

import pytest

from spstotte import CitizenProfile, ProfileError
from spstotte.facts import FACTS, age_on, profile_facts


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2008, 11, 23), date(2026, 11, 22), 17),   # the day before the 18th birthday
    (date(2008, 11, 23), date(2026, 11, 23), 18),   # the birthday itself
    (date(2008, 2, 29), date(2026, 2, 28), 17),     # leap-day birthday, common year: not yet
    (date(2008, 2, 29), date(2026, 3, 1), 18),      # ... reached on 1 March
    (date(2008, 2, 29), date(2028, 2, 29), 20),     # ... and on 29 February in a leap year
    (date(1950, 6, 1), date(2026, 6, 1), 76),       # no upper age limit for § 85
])
def test_age_in_whole_years_with_the_leap_day_convention(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_a_decision_before_birth_is_an_error() -> None:
    with pytest.raises(ProfileError) as info:
        profile_facts(CitizenProfile.parse({"birth_date": "2030-01-01"}), date(2026, 1, 1))
    assert info.value.problems[0].path == "birth_date"
    with pytest.raises(ProfileError) as info:
        profile_facts(CitizenProfile.parse({"cpr": "010130-4000"}), date(2026, 1, 1))
    assert info.value.problems[0].path == "cpr"


def test_every_fact_is_derived_and_unknown_facts_are_none() -> None:
    facts = profile_facts(CitizenProfile.parse({"cpr": "010190-1234"}), date(2026, 1, 1))
    assert set(facts) == set(FACTS)
    assert facts["age"] == 36
    assert facts["support_need"] is None
    assert facts["living_situation.kind"] is None
