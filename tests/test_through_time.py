"""Rules through time: the rules in force on the decision date, dated versions checked with
file:line:col, a stored verdict replayed, and one compiled network per version."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from spstotte import ProfileError, RuleLibrary, RuleSetError
from spstotte.cli.main import main
from spstotte.render.formats import verdict_json
from spstotte.scenarios.format import load_scenarios

HEADER = """\
layer: municipality
id: dated
title: {da: D, en: D}
municipality: {code: 101, name: København}
valid_from: 2020-01-01
sources:
  old_text: {file: t, publisher: K, title: T, date: "2020-01-01", kind: t, municipality: 101}
  new_text: {file: t, publisher: K, title: T, date: "2023-01-01", kind: t, municipality: 101}
"""


def dated_rule(valid: str, source: str = "old_text") -> str:
    return f"""\
  - id: note_rule
{valid}    title: {{da: T, en: T}}
    legal_basis:
      sources:
        - {{source: {source}, section: S, quote: "Målgruppen for støtten"}}
    then: {{inform: {{paths: [p85], text: {{da: Tekst, en: Text}}}}}}
"""


def problems(rules_dir: Callable[[str, str], RuleLibrary], body: str,
             on: str = "2024-01-01") -> list[tuple[str, str, str]]:
    library = rules_dir("dated.yaml", HEADER + body)
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101, on)
    return [(d.code, f"{d.span.line}:{d.span.col}" if d.span else "", d.message)
            for d in info.value.diagnostics]


# ------------------------------------------------------------------- validation of periods


def test_versions_of_a_rule_that_overlap_are_reported_at_the_later_valid_from(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + dated_rule("    valid_to: 2022-12-31\n") + dated_rule(
        "    valid_from: 2022-06-01\n")
    found = problems(rules_dir, body)
    assert [(c, at) for c, at, _ in found] == [("R231", "18:17")]
    assert "rule 'note_rule' has two versions in force on the same day" in found[0][2]


def test_a_gap_between_versions_names_the_missing_days(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + dated_rule("    valid_to: 2022-12-31\n") + dated_rule(
        "    valid_from: 2023-02-01\n")
    [(code, at, message)] = problems(rules_dir, body)
    assert (code, at) == ("R231", "18:17")
    assert message == "rule 'note_rule' has no version in force from 2023-01-01 until 2023-02-01"


def test_a_period_that_ends_before_it_starts_or_lies_outside_the_file_is_refused(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + dated_rule("    valid_from: 2023-05-01\n    valid_to: 2023-04-30\n")
    assert [(c, at) for c, at, _ in problems(rules_dir, body)] == [("R231", "12:15")]
    early = "rules:\n" + dated_rule("    valid_to: 2019-12-31\n")
    [(code, at, message)] = problems(rules_dir, early)
    assert (code, at) == ("R231", "11:15")
    assert "lies outside the file's period (from 2020-01-01)" in message


def test_a_rule_cannot_rest_on_a_municipal_text_adopted_after_it_applies(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + dated_rule("", source="new_text")
    [(code, at, message)] = problems(rules_dir, body)
    assert (code, at) == ("R231", "14:20")
    assert message == ("source 'new_text' is dated 2023-01-01, but what cites it applies from "
                       "2020-01-01")
    # Dated from the text's date, it is fine, and it is not in force before.
    library = rules_dir("dated.yaml", HEADER + "rules:\n" + dated_rule(
        "    valid_from: 2023-01-01\n", source="new_text"))
    assert library.ruleset(101, "2023-01-01").has_rule("note_rule")
    assert not library.ruleset(101, "2022-12-31").has_rule("note_rule")


def test_parameter_versions_give_the_value_in_force(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = """\
parameters:
  offers_82b:
    versions:
      - {valid_to: 2022-12-31, value: false}
      - valid_from: 2023-01-01
        value: true
        legal_basis: {sources: [{source: new_text, section: S, quote: "Målgruppen for støtten"}]}
"""
    library = rules_dir("dated.yaml", HEADER + body)
    assert library.ruleset(101, "2022-12-31").offered_paths == ("p85",)
    later = library.ruleset(101, "2023-01-01")
    assert later.offered_paths == ("p85", "p82b")
    assert later.parameters["offers_82b"].period.valid_from == date(2023, 1, 1)
    both = body.replace("    versions:", "    value: true\n    versions:")
    assert [c for c, _, _ in problems(rules_dir, both)] == ["R231"]


def test_a_decision_date_before_the_rule_file_applies_is_a_profile_error(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    with pytest.raises(ProfileError) as info:
        library.evaluate(profile(residence_municipality=540), municipality=540, on="2020-02-18")
    [problem] = info.value.problems
    assert problem.path == "on"
    assert str(problem.message) == ("rule set soenderborg is not in force on 2020-02-18; it "
                                    "applies from 2020-02-19")


# ------------------------------------------------------------------------ the law through time


def test_the_stay_a_municipality_arranged_cites_the_provision_in_force(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    placed = profile(living_situation={"kind": "supported_housing",
                                       "placed_by_municipality": 101})

    def citation(on: str) -> tuple[str, str]:
        verdict = library.evaluate(placed, municipality=265, on=on)
        [reason] = [r for r in verdict.reasons if r.code == "handlekommune_placement"]
        return reason.legal_basis.law[0].citation, reason.legal_basis.law[0].consolidation

    assert citation("2023-12-31") == ("retssikkerhedsloven § 9, stk. 7",
                                      "LBK nr. 265 af 22. februar 2022")
    assert citation("2024-01-01") == ("retssikkerhedsloven § 9, stk. 3",
                                      "LBK nr. 261 af 13. marts 2024")


def test_soenderborg_does_not_cite_its_2022_standard_before_it_was_adopted(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    citizen = profile(residence_municipality=540, requested_support_areas=["administration"])
    for on, cited in (("2021-06-01", False), ("2022-03-03", True)):
        verdict = library.evaluate(citizen, municipality=540, on=on)
        sources = {s.source for area in verdict.support_areas
                   for s in area_sources(library, on, area.id)} | {
            s.source for r in verdict.reasons for s in r.legal_basis.sources}
        assert ("soenderborg_kvalitetsstandard_2022" in sources) is cited, on
    record = library.evaluate(citizen, municipality=540, on="2021-06-01").record
    assert (record.ruleset_valid_from, record.ruleset_valid_to) == (date(2020, 2, 19),
                                                                    date(2022, 3, 2))


def area_sources(library: RuleLibrary, on: str, area: str) -> list[object]:
    ruleset = library.ruleset(540, on)
    return [ref for ref in ruleset.support_areas[area].legal_basis.sources
            if ruleset.cites(ref.source)]


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2032, 12, 31)),
       st.sampled_from(["roskilde", "vejle", "soenderborg"]))
def test_on_any_date_exactly_one_version_of_each_rule_is_in_force(
        day: date, municipality: str) -> None:
    library = shared_library()
    if municipality == "soenderborg" and day < date(2020, 2, 19):
        with pytest.raises(ProfileError):
            library.ruleset(municipality, day)
        return
    ruleset = library.ruleset(municipality, day)
    assert ruleset.period.contains(day)
    ids = [r.id for r in ruleset.rules]
    assert len(ids) == len(set(ids))
    in_force: dict[str, int] = {}
    for version in library.versions(municipality):
        for rule in version.rules:
            if rule.period.contains(day) and version.period.contains(day):
                in_force[rule.id] = in_force.get(rule.id, 0) + 1
    assert in_force == dict.fromkeys(ids, 1)
    assert all(r.period.contains(day) for r in ruleset.rules)


_SHARED: list[RuleLibrary] = []


def shared_library() -> RuleLibrary:
    if not _SHARED:
        _SHARED.append(RuleLibrary())
    return _SHARED[0]


def test_each_version_is_compiled_once_whatever_the_number_of_decision_dates(
        profile: Callable[..., dict[str, object]]) -> None:
    library = RuleLibrary()
    first = date(2021, 1, 1)
    for i in range(20):
        library.evaluate(profile(residence_municipality=540), municipality=540,
                         on=first + timedelta(days=i * 120))
    versions = library.versions(540)
    assert [str(v.period) for v in versions] == [
        "from 2020-02-19 to 2022-03-02", "from 2022-03-03 to 2023-12-31",
        "from 2024-01-01 to 2025-06-30", "from 2025-07-01"]
    assert len(library._entries) == 4
    assert len({v.content_hash for v in versions}) == 4


# ---------------------------------------------------------------------------------- replay


def bundled_scenarios() -> list[object]:
    return [s for path in sorted((ROOT / "municipalities" / "scenarios").glob("*.yaml"))
            for s in load_scenarios(path)]


def test_every_bundled_scenario_verdict_replays_exactly(library: RuleLibrary) -> None:
    replayed = 0
    for scenario in bundled_scenarios():
        try:
            verdict = library.evaluate(scenario.profile, municipality=scenario.municipality,
                                       on=scenario.on)
        except ProfileError:
            continue  # scenarios of bad profiles: there is no verdict to store
        stored = verdict_json(verdict)
        replay = library.replay(stored)
        assert replay.identical and replay.same_rules, scenario.name
        again = json.loads(verdict_json(replay.again))
        before = json.loads(stored)
        for record in (again["record"], before["record"]):
            record["inputs"].pop("cpr", None)  # stored masked; its birth date is recorded
        assert again == before, scenario.name
        replayed += 1
    assert replayed > 180


def test_replay_reports_a_difference_and_what_the_profile_gets_today(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "verdict.json"
    citizen = tmp_path / "citizen.yaml"
    citizen.write_text((ROOT / "examples" / "citizen.yaml").read_text(encoding="utf-8").replace(
        "residence_municipality: Roskilde", "residence_municipality: Sønderborg"),
        encoding="utf-8")
    assert main(["evaluate", str(citizen), "-m", "soenderborg",
                 "--on", "2021-06-01", "--format", "json"]) == 0
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["replay", str(path), "--today", "2026-11-30"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  outcome:   granted_85 -> granted_85 (same)"
    assert out[3].endswith("in force from 2020-02-19 to 2022-03-02 (same)")
    assert out[4] == "the same profile on 2026-11-30: granted_85 (grant_p85)"
    assert out[-1] == "ok: the same outcome and the same reasons"
    tampered = json.loads(path.read_text(encoding="utf-8"))
    tampered["outcome"] = "refused"
    path.write_text(json.dumps(tampered), encoding="utf-8")
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  outcome:   refused -> granted_85 (differs)"
    assert out[-1] == "DIFFERENT: the outcome or the reasons are not the ones stored"


def test_replay_of_a_file_that_is_not_a_verdict_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "profile.json"
    path.write_text('{"birth_date": "2000-01-01"}', encoding="utf-8")
    assert main(["replay", str(path)]) == 3
    assert "the file is not a stored verdict" in capsys.readouterr().err


# ------------------------------------------------------------------ rulebook and diff by date


def test_rulebook_on_a_date_and_diff_between_two_dates(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rulebook", "soenderborg", "--on", "2021-06-01", "--lang", "en"]) == 0
    old = capsys.readouterr().out
    assert main(["rulebook", "soenderborg", "--on", "2022-03-03", "--lang", "en"]) == 0
    new = capsys.readouterr().out
    assert "straksforloeb_offered_first" not in old and "straksforloeb_offered_first" in new
    assert main(["diff", "soenderborg", "--between", "2022-03-02", "2022-03-03"]) == 0
    diff = capsys.readouterr().out
    assert diff.startswith("# Differences: `soenderborg (from 2020-02-19 to 2022-03-02)` → "
                           "`soenderborg (from 2022-03-03 to 2023-12-31)`")
    assert "| parameter | `offers_82b` | `false` | `true` |  |" in diff
    assert main(["diff", "soenderborg", "vejle", "--between", "2022-03-02", "2022-03-03"]) == 2


def test_coverage_names_a_past_version_and_suggests_a_date_in_its_period(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = ROOT / "municipalities" / "scenarios" / "roskilde.scenarios.yaml"
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["test", str(tmp_path), "--coverage", "-q"]) == 0
    out = capsys.readouterr().out
    assert ("not exercised: covered_by_section_83 [until 2025-06-30], handlekommune_placement "
            "[until 2023-12-31], handlekommune_residence [until 2023-12-31], "
            "handlekommune_usual_stay [until 2023-12-31]") in out
    assert ("handlekommune_placement [until 2023-12-31]: start from scenario 'Typisk bevilling "
            "ved moderat støttebehov'") in out
    assert out.count("and set on: 2023-12-31\n") == 4
