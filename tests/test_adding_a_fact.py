"""Adding a fact touches several places (docs/architecture.md, "Adding a fact"). Each test here
fails, naming the fact, when one of them was missed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import ROOT
from spstotte.facts import FACTS, fact_spec
from spstotte.profile import CitizenProfile, _field_hint
from spstotte.testing import profile_data
from spstotte.texts import catalogue

#: Facts computed from other fields rather than given (the age from the birth date or CPR).
COMPUTED = {"age", "age_months", "reached_pension_age"}
#: Fields of a profile that are not facts of a rule: identity, and the caseworker's texts.
NOT_FACTS = {"birth_date", "cpr", "assessments"}
GIVEN = sorted({name.split(".")[0] for name in FACTS} - COMPUTED)


def test_every_given_fact_is_a_profile_field_and_every_field_a_fact() -> None:
    fields = set(CitizenProfile.model_fields)
    assert set(GIVEN) - fields == set()  # step 1: a field on CitizenProfile
    assert fields - set(GIVEN) - NOT_FACTS == set()  # ... and step 2: its fact in FACTS


@pytest.mark.parametrize("name", sorted(FACTS))
def test_every_fact_has_its_words_in_both_languages(name: str) -> None:
    words = catalogue()["facts"][name]  # step 3: texts.yaml
    for part in ("label", "ask"):
        assert words[part]["da"].strip() and words[part]["en"].strip(), (name, part)
    spec = fact_spec(name)
    assert (spec.da, spec.ask_en) == (words["label"]["da"], words["ask"]["en"])


@pytest.mark.parametrize("name", sorted(n for n, spec in FACTS.items() if spec.vocabulary))
def test_every_fact_with_a_vocabulary_has_a_hint_listing_it(name: str) -> None:
    vocabulary = FACTS[name].vocabulary
    assert vocabulary is not None
    words = _field_hint(name.split(".")[-1])  # step 4: profile.py's hints (_FIELD_VALUES)
    assert words is not None, name
    for lang in ("da", "en"):
        hint = words.render(lang)
        assert all(value.value in hint for value in vocabulary), (name, lang)


def test_the_test_strategies_generate_every_fact() -> None:
    # step 5: spstotte.testing.profile_data draws it (shipped to municipalities' own tests)
    seen: set[str] = set()

    @given(profile_data())
    @settings(database=None, derandomize=True, max_examples=200,
              suppress_health_check=[HealthCheck.too_slow])
    def draw(data: dict[str, object]) -> None:
        seen.update(data)

    draw()
    assert set(GIVEN) - seen == set()


def test_the_profile_schema_and_docs_name_every_field() -> None:
    schema = json.loads((ROOT / "schemas" / "profile.schema.json").read_text("utf-8"))
    fields = set(CitizenProfile.model_fields)
    assert fields - set(schema["properties"]) == set()  # step 6: spstotte schema --write
    documented = (ROOT / "docs" / "profile.md").read_text("utf-8")
    assert {f for f in fields if f"`{f}`" not in documented} == set()  # step 7: the docs
