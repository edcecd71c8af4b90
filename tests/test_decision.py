"""The decision text: golden texts per outcome per municipality, and what § 24 and § 25 ask."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from spstotte import Outcome, RuleLibrary, Verdict
from spstotte.render.decision import decision_text, letter_kind, long_date, provisions_relied_on

GOLDEN = Path(__file__).resolve().parent / "golden" / "decision"
UPDATE = os.environ.get("SPSTOTTE_UPDATE_GOLDEN") == "1"
ON = "2026-11-23"

BASE: dict[str, object] = {
    "cpr": "010500-4322", "living_situation": {"kind": "own_home"},
    "mental_impairment": "severe", "physical_impairment": "none", "social_problems": [],
    "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
    "covered_by_provision": [], "specialist_treatment_sought": False,
    "improvement_expected": False, "at_risk": False, "applicant": "self",
    "requested_support_areas": ["practical_tasks", "social_life"],
}

CONSIDERATIONS = ("Borgeren har brug for støtte til at strukturere hverdagen efter en lang "
                  "indlæggelse; behovet er større, end VUM-niveauet viser.")

#: One profile per outcome per municipality (changes to BASE); "outcome:variant" for more.
CASES: dict[str, dict[str, dict[str, object]]] = {
    "roskilde": {
        "granted_85": {},
        "granted_85:departure": {"support_need": "light", "assessments": {
            "minimum_support_need": {"finding": True, "considerations": CONSIDERATIONS}}},
        "refused": {"support_need": "light"},
        "referred": {"met_by_open_offers": True, "assessments": {
            "met_by_open_offers": {"considerations": "Værestedet i Byens Hus dækker behovet for "
                                                     "samvær og struktur."}}},
        "needs_information": {"support_need": "not_assessed", "applicant": "relative",
                              "consent": None},
        "forwarded": {"residence_municipality": 630},
        "closed": {"applicant": "relative", "consent": "refused"},
    },
    "vejle": {
        "granted_85": {"mental_impairment": "none",
                       "social_problems": ["psychologically_vulnerable"],
                       "particular_social_problems": True,
                       "assessments": {"particular_social_problems": {
                           "considerations": "Borgeren kan ikke selv fastholde aftaler med "
                                             "læge, jobcenter og bank."}},
                       "able_to_attend_groups": True, "motivated": True},
        "refused": {"cpr": "010510-4322", "mental_impairment": "light"},
        "referred": {"covered_by_provision": ["section_97"]},
        "needs_information": {"mental_impairment": None, "social_problems": None,
                              "physical_impairment": "light"},
    },
    "soenderborg": {
        "granted_82b": {"improvement_expected": True, "urgent": True,
                        "accepts_straksforloeb": True},
        "granted_82b:pending": {"improvement_expected": True, "urgent": True,
                                "support_need": None},
        "granted_85": {},
        "refused": {"mental_impairment": "none", "support_need": "none"},
        "referred": {"covered_by_provision": ["health_care"], "met_by_advice": True},
        "needs_information": {"support_need": "not_assessed", "improvement_expected": None},
    },
}
CODES = {"roskilde": 265, "vejle": 630, "soenderborg": 540}


def verdict_for(library: RuleLibrary, municipality: str, outcome: str) -> Verdict:
    data = {**BASE, "residence_municipality": CODES[municipality]}
    for key, value in CASES[municipality][outcome].items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    verdict = library.evaluate(data, municipality=municipality, on=ON)
    expected = Outcome(outcome.split(":")[0])
    assert verdict.outcome is expected, (municipality, outcome, verdict.reasons)
    return verdict


CASE_IDS = [(m, o) for m, outcomes in CASES.items() for o in outcomes]


@pytest.mark.parametrize(("municipality", "outcome"), CASE_IDS,
                         ids=[f"{m}-{o}" for m, o in CASE_IDS])
def test_golden_decision_texts(library: RuleLibrary, municipality: str, outcome: str) -> None:
    text = decision_text(verdict_for(library, municipality, outcome))
    # The version and the content hash change with every release and rule edit.
    text = re.sub(r"spstotte \S+ med", "spstotte <version> med", text)
    text = re.sub(r"sha256:[0-9a-f]{64}", "sha256:<hash>", text)
    path = GOLDEN / f"{municipality}-{outcome.replace(':', '-')}.da.txt"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote a new golden file {path.name}; check it and run again")
    assert text == path.read_text(encoding="utf-8")


def rules_listed(text: str) -> list[str]:
    """The citations in the letter's list of the rules it rests on (under "Regler, som
    afgørelsen bygger på", "Regler" or, for a full grant, "Hjemmel")."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line in (
        "Regler, som afgørelsen bygger på:", "Regler:", "Hjemmel"))
    listed = []
    for line in lines[start + 1:]:
        if line.startswith("- "):
            listed.append(line[2:].split(":")[0])
        elif listed:
            break
    return listed


@pytest.mark.parametrize(("municipality", "outcome"), CASE_IDS,
                         ids=[f"{m}-{o}" for m, o in CASE_IDS])
def test_the_letter_names_exactly_the_rules_the_outcome_rests_on_and_every_ground(
        library: RuleLibrary, municipality: str, outcome: str) -> None:
    verdict = verdict_for(library, municipality, outcome)
    text = decision_text(verdict)
    kind = letter_kind(verdict)
    if kind == "request":
        # Not a decision: no provisions applied, every missing fact asked or left to the
        # caseworker (in the section that is not sent).
        assert "Regler, som afgørelsen bygger på" not in text and "Klagevejledning" not in text
        citizen, internal = text.split("Til sagsbehandleren – sendes ikke")
        for missing in verdict.missing_facts:
            assert missing.ask.da in internal or "Send os disse oplysninger" in citizen
        return
    # The legal rules the outcome rests on, and only those (not every rule of the trail).
    assert rules_listed(text) == [law.citation for law in provisions_relied_on(verdict)]
    rested_on = {law.citation for r in verdict.reasons for law in r.legal_basis.law}
    for basis in [*(r.legal_basis for r in verdict.reasons),
                  *(o.legal_basis for o in verdict.obligations)]:
        for law in basis.law:
            assert law.citation in text, law.citation
    assert ("serviceloven § 83 a, stk. 1" in text) == any(
        "§ 83 a" in c for c in rested_on | {law.citation for ref in verdict.referrals
                                             for law in ref.legal_basis.law})
    restricted = verdict.record.inputs.get("applicant") in ("relative", "other") and \
        verdict.record.inputs.get("consent") != "given"
    for reason in verdict.reasons:
        if reason.kind.value in ("refusal", "referral", "guidance", "closure", "forwarding",
                                 "investigation") and not restricted:
            assert reason.text.da in text, reason.text.da
    decided = {p.path for p in verdict.paths if p.decided}
    for requirement in verdict.unmet_requirements:
        if requirement.on_fail == "refuse" and set(requirement.paths) & decided:
            assert requirement.title.da in text, requirement.title.da
    # The caseworker's considerations are quoted; where one is missing, the draft says so.
    for assessment in verdict.assessments:
        if assessment.considerations:
            assert assessment.considerations in text
        if assessment.blocking:
            assert "[MANGLER:" in text and "IKKE ENDELIG" in text
    assert ("IKKE ENDELIG" in text) == any(a.blocking for a in verdict.assessments)


def test_service_levels_are_said_to_be_service_levels(library: RuleLibrary) -> None:
    text = decision_text(verdict_for(library, "roskilde", "refused"))
    assert "Et serviceniveau er ikke en lovregel" in text
    assert "kan fravige serviceniveauet" in text
    assert "(kommunalt serviceniveau)" in text


def test_a_refusal_on_the_service_level_alone_is_not_final(library: RuleLibrary) -> None:
    verdict = verdict_for(library, "roskilde", "refused")
    assert not verdict.final
    (assessment,) = verdict.assessments
    assert (assessment.point, assessment.status.value, assessment.condition_kind.value) == (
        "minimum_support_need", "required", "service_level")
    text = decision_text(verdict)
    assert text.index("IKKE ENDELIG") < text.index("Afgørelse\n")
    assert "[MANGLER: en konkret og individuel vurdering af »Støttebehovet er mindst moderat " \
           "(VUM)«" in text
    english = decision_text(verdict, "en")
    assert "NOT FINAL" in english and "[MISSING: a concrete, individual assessment" in english


def test_a_departure_from_the_service_level_is_followed_and_said(library: RuleLibrary) -> None:
    verdict = verdict_for(library, "roskilde", "granted_85:departure")
    assert verdict.final
    (assessment,) = [a for a in verdict.assessments if a.condition_kind.value == "service_level"]
    assert assessment.departs_from_service_level and assessment.service_level_result is False
    text = decision_text(verdict)
    assert "fraviger kommunens serviceniveau" in text and CONSIDERATIONS in text


def test_forwarding_and_closing_say_what_happens(library: RuleLibrary) -> None:
    forwarded = decision_text(verdict_for(library, "roskilde", "forwarded"))
    assert forwarded.splitlines()[2] == ("Din ansøgning om socialpædagogisk støtte efter "
                                         "serviceloven § 85 er sendt videre til Vejle Kommune")
    assert "Vi har sendt ansøgningen videre til Vejle Kommune" in forwarded
    assert "forvaltningsloven § 7, stk. 2" in forwarded and "Afgørelse\n" not in forwarded
    assert "Der er ikke truffet afgørelse om støtte. Vejle Kommune træffer afgørelsen" in forwarded
    closed = decision_text(verdict_for(library, "roskilde", "closed"))
    assert "lukker ansøgningen" in closed and "borgeren kan selv søge" in closed
    assert "Lukningen er ikke en afgørelse om støtte" in closed


def test_appeal_guidance_follows_section_25_and_82b_stk_2(library: RuleLibrary) -> None:
    refused = decision_text(verdict_for(library, "roskilde", "refused"))
    assert "4 uger" in refused and "genvurderer" in refused and "Ankestyrelsen" in refused
    assert "senest den 21. december 2026" in refused
    straks = decision_text(verdict_for(library, "soenderborg", "granted_82b"))
    assert "kan ikke indbringes for anden administrativ myndighed" in straks
    assert "serviceloven § 82 b, stk. 2" in straks
    assert "fra den 23. november 2026 til senest den 23. maj 2027" in straks
    # The citizen accepted the course instead of § 85: the letter says § 85 was assessed too
    # and that a decision on it, which can be appealed, can be asked for.
    assert "Du har takket ja til straksforløb" in straks
    assert "Du kan når som helst bede om en afgørelse om socialpædagogisk støtte" in straks
    pending = decision_text(verdict_for(library, "soenderborg", "granted_82b:pending"))
    assert "Der er endnu ikke truffet afgørelse om socialpædagogisk støtte" in pending
    assert "Vurdér borgerens støttebehov efter VUM." in pending
    request = decision_text(verdict_for(library, "soenderborg", "needs_information"))
    assert "Der er endnu ikke truffet en afgørelse, som du kan klage over." in request
    assert "retssikkerhedsloven § 10" in request and "retssikkerhedsloven § 11" in request


def test_english_markdown_and_html(library: RuleLibrary) -> None:
    verdict = verdict_for(library, "vejle", "refused")
    english = decision_text(verdict, "en")
    assert english.splitlines()[4].startswith("Decision on socio-pedagogical support")
    assert "Vejle Municipality refuses you" in english and "How to appeal" in english
    markdown = decision_text(verdict, "da", "markdown")
    assert "\n# Afgørelse om " in markdown and "\n## Begrundelse\n" in markdown
    page = decision_text(verdict, "da", "html")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="da">' in page
    assert "<h2>Klagevejledning</h2>" in page and "æ" in page
    assert "<script" not in page


def test_long_dates() -> None:
    from datetime import date
    assert long_date(date(2027, 2, 28), "da") == "28. februar 2027"
    assert long_date(date(2027, 2, 28), "en") == "28 February 2027"
