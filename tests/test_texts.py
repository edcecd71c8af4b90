"""The text catalogue (texts.yaml): complete in both languages, with matching placeholders."""

from __future__ import annotations

import string

from spstotte.facts import FACTS
from spstotte.texts import catalogue, entry, keys, text


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_text_exists_in_danish_and_english_with_the_same_placeholders() -> None:
    found = keys()
    assert len(found) > 100
    for key in found:
        if key.startswith("facts."):
            continue  # fact names contain dots; checked below
        forms = entry(key)
        assert forms["da"].strip() and forms["en"].strip(), key
        assert placeholders(forms["da"]) == placeholders(forms["en"]), key


def test_every_fact_has_a_name_and_a_question_in_both_languages() -> None:
    facts = catalogue()["facts"]
    assert set(facts) == set(FACTS)
    for name, words in facts.items():
        for field in ("label", "ask"):
            assert words[field]["da"].strip() and words[field]["en"].strip(), (name, field)


def test_texts_are_filled_in() -> None:
    assert text("decision.granted", "da", municipality="Testby Kommune",
                title="socialpædagogisk støtte") == \
        "Testby Kommune bevilger dig socialpædagogisk støtte."
    assert text("values.years", "en", n=18) == "18 years"
