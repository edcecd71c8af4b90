"""Outcomes, their precedence, reasons, dates and the decision record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from spstotte import Outcome, RuleLibrary, Status, Verdict
from spstotte.verdict import add_months

ON = "2026-11-23"
Profile = Callable[..., dict[str, object]]


def decide(library: RuleLibrary, data: dict[str, object], municipality: int | str = 265,
           on: str = ON) -> Verdict:
    return library.evaluate(data, municipality=municipality, on=on)


def test_a_complete_eligible_profile_is_granted_with_its_trail(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile())
    assert verdict.outcome is Outcome.GRANTED_85
    assert verdict.reasons[0].code == "grant_p85"
    assert verdict.reasons[0].legal_basis.law[0].citation == "serviceloven § 85, stk. 1"
    steps = {s.rule_id: s for s in verdict.trail}
    assert steps["adult"].result is True
    assert steps["adult"].facts_read[0].fact == "age" and steps["adult"].facts_read[0].value == 26
    assert steps["minimum_support_need"].service_level is True
    assert steps["adult"].source is not None and steps["adult"].source.file.endswith(
        "age_and_residence.yaml")
    # every step comes after the steps it reads
    position = {s.rule_id: i for i, s in enumerate(verdict.trail)}
    for step in verdict.trail:
        for read in step.rules_read:
            if read.rule_id in position:
                assert position[read.rule_id] < position[step.rule_id]


def test_every_reason_cites_a_legal_basis(library: RuleLibrary, profile: Profile) -> None:
    for data in (profile(), profile(support_need="light"), profile(met_by_advice=True),
                 profile(support_need=None)):
        verdict = decide(library, data)
        assert verdict.reasons
        for reason in verdict.reasons:
            assert reason.legal_basis.law or reason.legal_basis.sources


def test_age_is_a_refusal_ground_whatever_else_is_missing(library: RuleLibrary) -> None:
    verdict = decide(library, {"birth_date": "2010-01-01"})
    assert verdict.outcome is Outcome.REFUSED
    assert [r.code for r in verdict.reasons] == ["adult"]
    assert verdict.missing_facts == ()


def test_the_18th_birthday_counts_but_the_day_before_does_not(
        library: RuleLibrary, profile: Profile) -> None:
    data = profile(birth_date="2008-11-23")
    assert decide(library, data, on="2026-11-22").outcome is Outcome.REFUSED
    assert decide(library, data, on="2026-11-23").outcome is Outcome.GRANTED_85


def test_leap_day_birthdays_are_reached_on_1_march(library: RuleLibrary, profile: Profile) -> None:
    data = profile(birth_date="2008-02-29")
    assert decide(library, data, on="2026-02-28").outcome is Outcome.REFUSED
    assert decide(library, data, on="2026-03-01").outcome is Outcome.GRANTED_85
    record = decide(library, data, on="2026-03-01").record
    assert any("1 March" in c for c in record.conventions)


def test_every_refusal_ground_is_listed(library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(support_need="light", mental_impairment="light",
                                      met_by_advice=True))
    assert verdict.outcome is Outcome.REFUSED
    assert [(r.code, r.kind.value, r.condition_kind.value) for r in verdict.reasons] == [
        ("in_target_group_85", "refusal", "statute"),
        ("minimum_support_need", "refusal", "service_level"),
        ("met_by_advice", "referral", "assessment")]
    assert {q.rule_id for q in verdict.unmet_requirements} == {
        "minimum_support_need", "in_target_group_85", "met_by_advice"}
    # The statutory ground decides: the service level needs no assessment of its own here, but
    # the finding on advice, a ground too, must come with its main considerations.
    assert [(a.point, a.status.value, a.blocking) for a in verdict.assessments] == [
        ("met_by_advice", "considerations_missing", True)]
    assert verdict.final is False


def test_another_handlekommune_means_forwarding_not_refusal(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(residence_municipality=630, support_need="light"))
    assert verdict.outcome is Outcome.FORWARDED
    assert verdict.forward_to is not None
    assert (verdict.forward_to.municipality, verdict.forward_to.municipality_name) == (
        630, "Vejle")
    assert [(r.code, r.kind.value) for r in verdict.reasons] == [
        ("handlekommune_residence", "forwarding")]
    assert [c.citation for c in verdict.reasons[0].legal_basis.law] == [
        "retssikkerhedsloven § 9, stk. 1", "forvaltningsloven § 7, stk. 2"]
    assert verdict.appeal == () and verdict.final is False


def test_a_municipal_service_level_refusal_says_so(library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(support_need="light"))
    assert verdict.outcome is Outcome.REFUSED
    (reason,) = verdict.reasons
    assert reason.code == "minimum_support_need" and reason.service_level is True
    step = next(s for s in verdict.trail if s.rule_id == "minimum_support_need")
    assert step.note is not None and "individuel" in step.note.da


@pytest.mark.parametrize(("change", "target"), [
    ({"met_by_advice": True}, "advice"),
    ({"met_by_open_offers": True}, "open_offers"),
    ({"covered_by_provision": ["section_83"]}, "section_83"),
    ({"covered_by_provision": ["section_97"]}, "section_97"),
    ({"specialist_treatment_sought": True}, "health_care"),
    ({"covered_by_provision": ["health_care"]}, "health_care"),
    ({"covered_by_provision": ["section_85a"]}, "section_85a"),
    ({"covered_by_provision": ["aeldreloven"]}, "aeldreloven"),
])
def test_referrals_say_where(library: RuleLibrary, profile: Profile,
                             change: dict[str, object], target: str) -> None:
    verdict = decide(library, profile(**change))
    assert verdict.outcome is Outcome.REFERRED
    assert [r.to for r in verdict.referrals] == [target]
    assert verdict.reasons[0].kind.value == "referral"


def test_a_refusal_ground_beats_a_referral(library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(birth_date="2010-01-01", met_by_advice=True))
    assert verdict.outcome is Outcome.REFUSED


def test_missing_facts_give_needs_information_with_what_to_ask(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(support_need="not_assessed", met_by_open_offers=None))
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    assert {m.fact for m in verdict.missing_facts} == {"support_need", "met_by_open_offers"}
    assert any("VUM" in m.ask.da for m in verdict.missing_facts)
    assert {q.rule_id for q in verdict.undetermined_requirements} >= {
        "minimum_support_need", "met_by_open_offers"}
    assert verdict.appeal == ()


def test_missing_consent_asks_for_it_and_is_not_a_refusal(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(applicant="relative", consent="not_yet_given"))
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    assert [(r.code, r.kind.value) for r in verdict.reasons] == [("consent", "guidance")]
    assert verdict.missing_facts == ()
    unknown = decide(library, profile(applicant="relative"))
    assert [(r.code, r.kind.value) for r in unknown.reasons] == [
        ("consent", "missing_information")]
    assert [m.fact for m in unknown.missing_facts] == ["consent"]
    assert decide(library, profile(applicant="relative", consent="given")).outcome is \
        Outcome.GRANTED_85
    # Older profiles wrote true/false: read as given / not yet given.
    assert decide(library, profile(applicant="relative", consent=True)).outcome is \
        Outcome.GRANTED_85


def test_a_refused_consent_closes_the_application(library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(applicant="other", consent="refused"))
    assert verdict.outcome is Outcome.CLOSED
    assert [(r.code, r.kind.value) for r in verdict.reasons] == [("consent_refused", "closure")]
    assert verdict.appeal == () and verdict.missing_facts == ()


def test_a_citizen_who_cannot_consent_needs_a_guardian(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(applicant="relative", consent="unable_to_consent"))
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    assert ("guardian_needed", "guidance") in [(r.code, r.kind.value) for r in verdict.reasons]
    assert "værge" in verdict.reasons[-1].text.da
    assert decide(library, profile(applicant="guardian")).outcome is Outcome.GRANTED_85


def test_handlekommune_follows_placement(library: RuleLibrary, profile: Profile) -> None:
    placed_here = profile(residence_municipality=630, living_situation={
        "kind": "supported_housing", "placed_by_municipality": 265})
    assert decide(library, placed_here).outcome is Outcome.GRANTED_85
    placed_elsewhere = profile(living_situation={
        "kind": "supported_housing", "placed_by_municipality": "Vejle"})
    forwarded = decide(library, placed_elsewhere)
    assert forwarded.outcome is Outcome.FORWARDED
    assert forwarded.forward_to is not None and forwarded.forward_to.municipality == 630
    assert forwarded.reasons[0].legal_basis.law[0].citation == \
        "retssikkerhedsloven § 9, stk. 3"
    own_choice = profile(living_situation={"kind": "shelter", "placed_by_municipality": "none"})
    assert decide(library, own_choice).outcome is Outcome.GRANTED_85
    unknown_placement = profile(living_situation={"kind": "supported_housing"})
    verdict = decide(library, unknown_placement)
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    assert [m.fact for m in verdict.missing_facts] == ["living_situation.placed_by_municipality"]


def test_grants_carry_obligations_dates_and_appeal_guidance(
        library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile())
    follow_up = next(o for o in verdict.obligations if o.rule_id == "follow_up")
    assert follow_up.dates == (date(2027, 2, 23), date(2027, 5, 23), date(2027, 11, 23))
    assert {o.rule_id for o in verdict.obligations} >= {"handleplan_offer", "follow_up"}
    assert "handleplan_consider" not in {o.rule_id for o in verdict.obligations}
    (appeal,) = verdict.appeal
    assert appeal.appealable and appeal.weeks == 4
    assert appeal.deadline_if_received_on_decision_date == date(2026, 12, 21)
    assert "Ankestyrelsen" in appeal.text.da
    assert verdict.end_date is None


def test_85_is_not_replaced_by_82b_by_order_alone(
        testby: RuleLibrary, profile: Profile) -> None:
    verdict = decide(testby, profile(residence_municipality=101), 101)
    assert verdict.outcome is Outcome.GRANTED_85
    assert {p.path: p.status for p in verdict.paths} == {"p82b": Status.MET, "p85": Status.MET}
    assert verdict.replaced_paths == () and verdict.end_date is None


def test_82b_replaces_85_only_when_accepted_and_cannot_be_appealed(
        testby: RuleLibrary, profile: Profile) -> None:
    verdict = decide(testby, profile(residence_municipality=101, accepts_straksforloeb=True),
                     101)
    assert verdict.outcome is Outcome.GRANTED_82B
    assert verdict.replaced_paths == ("p85",)
    assert verdict.end_date == date(2027, 5, 23)
    # No decision on § 85 was made (the citizen set it aside): appeal guidance for § 82 b only.
    (first,) = verdict.appeal
    assert (first.path, first.appealable) == ("p82b", False)
    assert "anden administrativ myndighed" in first.text.da
    assert {p.path: p.decided for p in verdict.paths} == {"p82b": True, "p85": False}
    contact = next(o for o in verdict.obligations if o.rule_id == "contact_within_a_week")
    assert contact.dates == (date(2026, 11, 30),)
    assert {p.path: p.status for p in verdict.paths} == {"p82b": Status.MET, "p85": Status.MET}


def test_82b_reaches_people_at_risk_whom_85_does_not(testby: RuleLibrary, profile: Profile) -> None:
    at_risk = profile(residence_municipality=101, mental_impairment="none", at_risk=True,
                      support_need="light")
    verdict = decide(testby, at_risk, 101)
    assert verdict.outcome is Outcome.GRANTED_82B
    assert {p.path: p.status for p in verdict.paths}["p85"] is Status.NOT_MET
    assert any(o.rule_id == "handleplan_consider" for o in verdict.obligations)
    no_improvement = dict(at_risk, improvement_expected=False)
    assert decide(testby, no_improvement, 101).outcome is Outcome.REFUSED


def test_82b_undetermined_does_not_block_a_certain_85_grant(
        testby: RuleLibrary, profile: Profile) -> None:
    verdict = decide(testby, profile(residence_municipality=101, improvement_expected=None), 101)
    assert verdict.outcome is Outcome.GRANTED_85


def test_the_decision_record(library: RuleLibrary, profile: Profile) -> None:
    verdict = decide(library, profile(cpr="010500-4322", birth_date=None))
    record = verdict.record
    assert record.ruleset_id == "roskilde"
    assert record.ruleset_hash == library.ruleset(265).content_hash
    assert record.decision_date == date(2026, 11, 23)
    assert record.inputs["cpr"] == "010500-****"
    assert "4322" not in verdict.model_dump_json()


def test_verdicts_round_trip_through_json_unchanged(
        library: RuleLibrary, testby: RuleLibrary, profile: Profile) -> None:
    for verdict in (decide(library, profile()), decide(library, profile(support_need=None)),
                    decide(testby, profile(residence_municipality=101), 101)):
        text = verdict.model_dump_json()
        again = Verdict.model_validate_json(text)
        assert again == verdict
        assert again.model_dump_json() == text


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 23), 12) == date(2027, 11, 23)


def test_the_builders_memo_tables_stay_within_their_limits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Memory stays flat over millions of varied verdicts because every memo table is bounded
    # (benchmarks/bench_memory.py measures it); here with small limits, so that a few hundred
    # varied profiles (120) fill every table, and verdicts stay the same once entries are dropped.
    import random

    from spstotte.verdict import build as verdict_module

    monkeypatch.setattr(verdict_module, "MEMO_LIMIT", 12)
    monkeypatch.setattr(verdict_module, "STEP_MEMO_LIMIT", 6)
    library = RuleLibrary()
    rnd = random.Random(11)
    levels = ["none", "light", "moderate", "severe"]
    profiles = [{"birth_date": date(rnd.randint(1940, 2010), rnd.randint(1, 12),
                                    rnd.randint(1, 28)).isoformat(),
                 "residence_municipality": rnd.choice([265, 101]),
                 "living_situation": {"kind": "own_home"},
                 "mental_impairment": rnd.choice(levels),
                 "physical_impairment": rnd.choice(levels),
                 "support_need": rnd.choice(["none", "light", "moderate", "high"]),
                 "met_by_open_offers": rnd.random() < 0.3, "met_by_advice": rnd.random() < 0.3,
                 "covered_by_provision": [], "specialist_treatment_sought": False,
                 "applicant": rnd.choice(["self", "relative"])} for _ in range(120)]
    first = [library.evaluate(p, municipality=265, on="2026-11-23") for p in profiles]
    memo = library.ruleset(265).memo
    tables = {name: len(table) for name, table in memo.items() if isinstance(table, dict)}
    assert tables["steps"] == 6 and tables["decided"] == 12  # full: bounded, not emptied
    by_input = ("steps", "decided", "parts", "requirement_states", "points", "assessments",
                "fact_readings", "rule_readings")
    assert all(tables[name] <= 12 for name in by_input), tables
    # The others hold at most a few entries per rule: bounded by the rule set itself.
    rules = len(library.ruleset(265).rules)
    assert all(size <= 2 * rules for size in tables.values()), tables
    again = [library.evaluate(p, municipality=265, on="2026-11-23") for p in profiles]
    assert again == first
    # And the same as verdicts written from nothing: every table emptied before each one.
    fresh = []
    for p in profiles:
        for table in memo.values():
            if isinstance(table, dict):
                table.clear()
        fresh.append(library.evaluate(p, municipality=265, on="2026-11-23"))
    assert fresh == first
