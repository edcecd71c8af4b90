"""The text catalogue (texts.yaml, diagnostics.yaml): complete in both languages, with matching
placeholders."""

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


#: For every placeholder the letters and verdicts use, values of each kind they take: short and
#: long, with and without a provision, a clause ending in a full stop, a list joined with "og".
SAMPLES: dict[str, list[str]] = {
    "municipality": ["Roskilde Kommune", "Sønderborg Kommune"],
    "target": ["Vejle Kommune"],
    "title": ["Borgeren er fyldt 18 år på afgørelsesdatoen",
              "socialpædagogisk støtte efter serviceloven § 85",
              "Støttebehovet er mindst moderat (VUM)"],
    "name": ["socialpædagogisk støtte efter serviceloven § 85",
             "straksforløb efter serviceloven § 82 b"],
    "paths": ["socialpædagogisk støtte efter serviceloven § 85",
              "straksforløb efter serviceloven § 82 b og socialpædagogisk støtte efter "
              "serviceloven § 85"],
    "targets": ["kommunens åbne tilbud", "ledsageordning efter serviceloven § 97 og "
                "behandling i sundhedsvæsenet"],
    "expected": ["borgeren er fyldt 18 år (serviceloven § 2, stk. 1).",
                 "behovet ikke kan dækkes af kommunens åbne tilbud."],
    "facts": ["støttebehov (VUM)", "boform, bopælskommune"],
    "applicant": ["den pårørende", "borgerens værge"],
    "date": ["23. maj 2027"], "start": ["23. november 2026"], "end": ["23. maj 2027"],
    "received": ["23. november 2026"], "deadline": ["21. december 2026"],
    "areas": ["praktiske opgaver i hjemmet", "kontakt og samvær og praktiske opgaver"],
    "form": ["individuel støtte i eget hjem"],
    "forms": ["individuelt og i grupper"],
    "conditions": ["borgeren er fyldt 18 år; kommunen er handlekommune"],
    "help": ["behovet dækkes ikke af ledsageordning efter serviceloven § 97"],
    "documents": ["Roskilde Kommune, Voksenservice: »Socialpædagogisk støtte« (udateret)"],
    "source": ["Roskilde Kommune, Voksenservice: »Socialpædagogisk støtte«"],
    "text": ["Borgeren har brug for struktur i hverdagen."],
    "n": ["1", "2"], "version": ["0.1.0"], "ruleset": ["roskilde"], "hash": ["sha256:ab"],
}


def test_every_letter_and_reason_template_reads_whole_with_each_kind_of_value() -> None:
    """Filled in with every kind of value, no sentence of a letter, reason or assessment has a
    doubled full stop, a space before punctuation, a doubled space or an unfilled placeholder,
    and each one that is a sentence starts with a capital letter."""
    import itertools

    checked = 0
    for key in keys():
        if not key.startswith(("decision.", "reason.", "assessment.")):
            continue
        for lang in ("da", "en"):
            template = entry(key)[lang]
            names = sorted(placeholders(template))
            for combination in itertools.product(*(SAMPLES[n] for n in names)):
                filled = template.format(**dict(zip(names, combination, strict=True)))
                checked += 1
                assert "{" not in filled and "}" not in filled, (key, filled)
                assert ".." not in filled.replace("...", ""), (key, filled)
                assert not any(p in filled for p in (" .", " ,", " ;", " :", "  ")), (key, filled)
                stripped = filled.strip()
                # A template that opens with a value (a rule title) starts as the value does.
                if len(stripped.split()) > 3 and not template.startswith("{") and \
                        not key.endswith(("and", "flag", "by_assessment", "acting_municipality")):
                    first = stripped.lstrip("[(»\"'")[:1]
                    assert first.isupper() or first.isdigit(), (key, filled)
    assert checked > 200


def test_threads_reading_the_catalogue_for_the_first_time_all_get_it() -> None:
    # A first read is guarded against a catalogue that cannot word its own problem; the guard
    # is per thread, so threads reading it at once wait for nothing but their own read.
    import threading

    from spstotte import texts

    texts.catalogue.cache_clear()
    texts.diagnostics_catalogue.cache_clear()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            assert texts.diagnostics_catalogue()["error_codes"]
            assert texts.catalogue()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
