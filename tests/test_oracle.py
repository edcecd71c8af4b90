"""The reference interpreter is the oracle of the compiled network, so it must not share its
reading of conditions with the verdict builder: each has its own (reference.truth and
conditions.holds). Here the two are held to the same answers on every part of every condition
of the bundled rule sets."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import scaled
from spstotte import CitizenProfile, ProfileError, RuleLibrary
from spstotte.engine.reference import evaluate_reference, truth
from spstotte.facts import assessment_facts, profile_facts
from spstotte.lang.conditions import holds, walk
from spstotte.testing import decision_dates, profile_data


def test_the_verdict_builder_does_not_use_the_oracles_reading() -> None:
    import spstotte.verdict.build

    assert not hasattr(spstotte.verdict.build, "truth")


@settings(max_examples=scaled(150))
@given(data=profile_data(), on=decision_dates(date(2024, 1, 1), date(2028, 12, 31)),
       code=st.sampled_from([265, 540, 630]), draw=st.data())
def test_the_builder_and_the_oracle_read_every_condition_alike(
        library: RuleLibrary, data: dict[str, object], on: date, code: int,
        draw: st.DataObject) -> None:
    try:
        citizen = CitizenProfile.parse(data)
        facts = profile_facts(citizen, on)
    except ProfileError:
        assume(False)
        raise AssertionError from None  # pragma: no cover - assume() stops the example
    ruleset = library.ruleset(code)
    facts = {**facts, **assessment_facts(citizen, ruleset.assessment_points)}
    results = evaluate_reference(ruleset, facts)
    # Some rule results left undetermined too, so that 'unknown' reaches every connective.
    forgotten = draw.draw(st.sets(st.sampled_from(sorted(results) or [""])), label="forgotten")
    results = {k: v for k, v in results.items() if k not in forgotten}
    for rule in ruleset.rules:
        for part in walk(rule.condition):
            assert holds(part, facts, results) == truth(part, facts, results), (rule.id, part)


@pytest.mark.parametrize("code", [265, 540, 630])
def test_both_readings_agree_with_nothing_known(library: RuleLibrary, code: int) -> None:
    ruleset = library.ruleset(code)
    facts = profile_facts(CitizenProfile.parse({}), date(2026, 11, 23))
    for rule in ruleset.rules:
        for part in walk(rule.condition):
            assert holds(part, facts, {}) == truth(part, facts, {}), (rule.id, part)
