from __future__ import annotations

from datetime import date

import pytest

from spstotte import CitizenProfile, ProfileError
from spstotte.loader import load_yaml_text
from spstotte.profile import cpr_birth_date, mask_cpr


@pytest.mark.parametrize(("cpr", "born"), [
    ("010190-1234", date(1990, 1, 1)),      # digit 7 = 1: 1900s
    ("010136-4000", date(2036, 1, 1)),      # digit 7 = 4, year <= 36: 2000s
    ("010137-4000", date(1937, 1, 1)),      # digit 7 = 4, year > 36: 1900s
    ("010157-5000", date(2057, 1, 1)),      # digit 7 = 5, year <= 57: 2000s
    ("010158-5000", date(1858, 1, 1)),      # digit 7 = 5, year >= 58: 1800s
    ("010199-9000", date(1999, 1, 1)),      # digit 7 = 9, year > 36: 1900s
    ("0101109123", date(2010, 1, 1)),       # no hyphen
    ("290200-4000", date(2000, 2, 29)),     # leap day in a leap year
])
def test_cpr_century_rule(cpr: str, born: date) -> None:
    assert cpr_birth_date(cpr) == born


def test_cpr_numbers_failing_modulus_11_are_accepted() -> None:
    # 010160-0000 fails the old modulus-11 check; such numbers are valid since 2007.
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    digits = [int(c) for c in "0101600000"]
    assert sum(w * d for w, d in zip(weights, digits, strict=True)) % 11 != 0
    assert CitizenProfile.parse({"cpr": "010160-0000"}).birth_date_known() == date(1960, 1, 1)


@pytest.mark.parametrize("bad", ["320190-1234", "290201-1234", "0101901", "abcdef-1234"])
def test_impossible_cpr_numbers_name_the_field(bad: str) -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({"cpr": bad})
    (problem,) = info.value.problems
    assert problem.path == "cpr"


def test_cpr_is_masked_in_every_output() -> None:
    profile = CitizenProfile.parse({"cpr": "010190-1234"})
    assert "1234" not in repr(profile)
    assert "1234" not in profile.model_dump_json()
    assert profile.masked()["cpr"] == "010190-****"
    assert profile.cpr == "010190-1234"  # the value itself is kept for the caller
    assert mask_cpr("010190-1234") == "010190-****"


def test_missing_fields_are_unknown_not_false() -> None:
    profile = CitizenProfile.parse({})
    assert profile.met_by_advice is None
    assert profile.social_problems is None
    assert CitizenProfile.parse({"social_problems": []}).social_problems == frozenset()


def test_profile_errors_list_every_problem_with_its_field_path() -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({"support_need": "lots", "urgent": "yes", "colour": "blue",
                              "consent": "maybe", "living_situation": {"kind": "castle"}})
    paths = sorted(p.path for p in info.value.problems)
    assert paths == ["colour", "consent", "living_situation.kind", "support_need", "urgent"]
    by_path = {p.path: p for p in info.value.problems}
    assert "true or false" in by_path["urgent"].message
    assert "unable_to_consent" in (by_path["consent"].hint or "")
    assert by_path["colour"].message == "unknown field"
    assert "moderate" in (by_path["support_need"].hint or "")


def test_profile_errors_carry_file_positions() -> None:
    loaded = load_yaml_text("support_need: moderate\ncpr: 320190-1234\n", "p.yaml")
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse(loaded.data, spans=loaded)
    (problem,) = info.value.problems
    assert str(problem.span) == "p.yaml:2:6"
    assert problem.format().startswith("p.yaml:2:6: error[P100] cpr: ")


def test_assessments_carry_findings_and_considerations() -> None:
    profile = CitizenProfile.parse({
        "improvement_expected": True,
        "assessments": {
            "improvement_expected": {"considerations": "Forløbet kan genetablere døgnrytmen."},
            "covered_by_provision": {"finding": ["section_83"]},
            "minimum_support_need": {"finding": True, "considerations": "Konkret behov."}}})
    assert profile.finding("improvement_expected") is True
    assert {p.value for p in profile.finding("covered_by_provision")} == {"section_83"}
    assert profile.masked()["assessments"]["covered_by_provision"] == {"finding": ["section_83"]}


@pytest.mark.parametrize(("assessments", "message"), [
    ({"improvement_expected": {"finding": ["section_83"]}}, "is true or false"),
    ({"covered_by_provision": {"finding": True}}, "is a list of provisions"),
    ({"Not An Id": {"finding": True}}, "is not a point id"),
    ({"minimum_support_need": {"finding": ["section_83"]}}, "is true or false"),
    ({"improvement_expected": {"considerations": ""}}, "at least 1 character"),
])
def test_malformed_assessments_name_the_point(assessments: dict[str, object],
                                              message: str) -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({"assessments": assessments})
    (problem,) = info.value.problems
    assert problem.path.startswith("assessments") and message in problem.message


def test_a_finding_must_agree_with_its_field() -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({"met_by_advice": False,
                              "assessments": {"met_by_advice": {"finding": True}}})
    (problem,) = info.value.problems
    assert problem.path == "assessments"
    assert problem.message == "met_by_advice: the finding True contradicts the field met_by_advice"


def test_cpr_and_birth_date_must_agree() -> None:
    with pytest.raises(ProfileError, match="does not match the CPR number"):
        CitizenProfile.parse({"cpr": "010190-1234", "birth_date": "1990-01-02"})


def test_municipality_names_are_normalised_and_checked() -> None:
    assert CitizenProfile.parse({"residence_municipality": "Sønderborg"}
                                ).residence_municipality == 540
    with pytest.raises(ProfileError, match="not one of the 98"):
        CitizenProfile.parse({"residence_municipality": 999})


def test_profiles_are_frozen() -> None:
    profile = CitizenProfile.parse({"urgent": True})
    with pytest.raises(ValueError, match="frozen"):
        profile.urgent = False  # type: ignore[misc]
