"""Impact analysis: a caseload under two rule sets gives exactly the transitions that deciding
each case under each rule set gives, each attributed to what changed; the reports (JSON, text,
self-contained HTML with a deterministic chart); the synthetic caseload is deterministic and
reads back; errors are typed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from spstotte import (
    InputError,
    ProfileError,
    RuleLibrary,
    RuleSetError,
    UnknownMunicipalityError,
    generate_cases,
    impact,
)
from spstotte.batch.cases import write_cases
from spstotte.batch.impact import ImpactReport
from spstotte.batch.impact_report import impact_data, impact_html, impact_text, transition_chart
from spstotte.batch.rows import read_rows
from spstotte.cli.main import main
from spstotte.profile import CitizenProfile

ON = "2026-11-23"
N = 300


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Roskilde's rule file with its minimum support need raised to ``high``."""
    text = (ROOT / "municipalities" / "roskilde.yaml").read_text(encoding="utf-8")
    raised, n = re.subn(r"(  min_support_need:\n    type: support_need\n    value: )moderate",
                        r"\1high", text)
    assert n == 1
    path = tmp_path_factory.mktemp("draft") / "roskilde.yaml"
    path.write_text(raised, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return list(generate_cases(N, seed=11, municipality=265, on=date.fromisoformat(ON)))


@pytest.fixture(scope="module")
def report(library: RuleLibrary, draft: Path, cases: list[dict[str, Any]]) -> ImpactReport:
    return impact(cases, before="roskilde", after=str(draft), on=ON, library=library)


def test_the_draft_gives_exactly_the_transitions_of_deciding_each_case_twice(
        library: RuleLibrary, draft: Path, cases: list[dict[str, Any]],
        report: ImpactReport) -> None:
    drafted = library.load_ruleset(str(draft), ON)
    expected: dict[tuple[str, str], list[str]] = defaultdict(list)
    same: dict[str, int] = defaultdict(int)
    for case in cases:
        profile = {k: v for k, v in case.items() if k != "id"}
        before = library.evaluate(profile, municipality="roskilde", on=ON).outcome.value
        after = library.evaluate_ruleset(drafted, profile, on=ON).outcome.value
        if before == after:
            same[before] += 1
        else:
            expected[(before, after)].append(case["id"])
    found = {(t.before, t.after): t.ids for t in report.transitions}
    assert found == dict(expected)
    assert report.unchanged == same
    assert report.cases == N and not report.errors
    # The draft moves cases towards a refusal, and only there; several kinds of case do.
    assert {after for _, after in found} == {"refused"} and len(found) >= 2
    for transition in report.transitions:
        assert transition.causes == {"parameter:min_support_need": transition.count}
        assert report.cause("parameter:min_support_need") == {
            "kind": "parameter", "name": "min_support_need", "before": "moderate",
            "after": "high", "rules": ["minimum_support_need"]}
        assert 1 <= len(transition.samples) <= 3
        for sample in transition.samples:
            assert (sample.before.outcome.value, sample.after.outcome.value) == (
                transition.before, transition.after)
            assert sample.differing_rules()[0][0] == "minimum_support_need"


@pytest.mark.parametrize("backend", ["rete", "reference"])
def test_conclusions_of_the_decision_alone_decide_as_all_of_them(
        library: RuleLibrary, draft: Path, cases: list[dict[str, Any]], backend: str) -> None:
    fewer = 0
    for ruleset in (library.ruleset("roskilde", ON), library.load_ruleset(str(draft), ON)):
        for case in cases[:120]:
            citizen = CitizenProfile.parse({k: v for k, v in case.items() if k != "id"})
            whole = library.conclusions(ruleset, citizen, date.fromisoformat(ON),
                                        backend)  # type: ignore[arg-type]
            alone = library.conclusions(ruleset, citizen, date.fromisoformat(ON),
                                        backend, decision_only=True)  # type: ignore[arg-type]
            assert (alone.outcome, alone.reasons) == (whole.outcome, whole.reasons)
            assert alone.results == {k: v for k, v in whole.results.items()
                                     if k in alone.results}
            fewer += len(alone.results) < len(whole.results)  # information never concludes
    assert fewer > 100


def test_worker_processes_give_the_same_report(
        library: RuleLibrary, draft: Path, cases: list[dict[str, Any]],
        report: ImpactReport) -> None:
    together = impact(cases, before="roskilde", after=str(draft), on=ON, library=library,
                      workers=2)
    assert [(t.before, t.after, t.ids, t.causes) for t in together.transitions] == [
        (t.before, t.after, t.ids, t.causes) for t in report.transitions]
    assert together.unchanged == report.unchanged


#: A guard against a hang, never a timing: generous on a loaded machine.
HANG_TIMEOUT = 300

#: Loaded at start-up by every process of the run (PYTHONPATH): a worker that meets the case
#: with id CRASH ends at once, as a crash in the engine's C code would end it.
CRASH_ON_CASE = """
import os
import spstotte.batch.impact as impact

_decide_many = impact.Sides.decide_many


def decide_many(self, rows):
    if any(row.id == "CRASH" for row in rows):
        os._exit(139)
    return _decide_many(self, rows)


impact.Sides.decide_many = decide_many
"""


def test_a_case_that_kills_its_worker_is_counted_as_an_error_and_the_analysis_goes_on(
        tmp_path: Path, draft: Path, cases: list[dict[str, Any]], report: ImpactReport) -> None:
    (tmp_path / "sitecustomize.py").write_text(CRASH_ON_CASE, encoding="utf-8")
    rows = [*cases[:150], {"id": "CRASH", "birth_date": "2000-01-01"}, *cases[150:]]
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(
        [sys.executable, "-m", "spstotte", "impact", str(source), "--before", "roskilde",
         "--after", str(draft), "--on", ON, "--workers", "2", "--format", "json",
         "--lang", "en"], capture_output=True, timeout=HANG_TIMEOUT, check=False, env=env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["cases"] == len(rows)
    assert [(e["row"], e["id"]) for e in found["errors"]] == [(151, "CRASH")]
    assert "the rule engine stopped its process" in found["errors"][0]["message"]
    # Every other case is decided as without the crash.
    assert [(t["from"], t["to"], t["count"], t["ids"]) for t in found["transitions"]] == [
        (t.before, t.after, t.count, t.ids) for t in report.transitions]


def test_two_dates_of_one_rule_set_attribute_coming_of_age_to_the_date(
        library: RuleLibrary, cases: list[dict[str, Any]]) -> None:
    later = impact(cases, before="roskilde", on="2024-06-01", after_on=ON, library=library)
    became_adults = [t for t in later.transitions if t.before == "refused"]
    assert became_adults
    assert all("date" in t.causes for t in became_adults)
    assert later.before.on == date(2024, 6, 1) and later.after.on == date(2026, 11, 23)


def test_rows_that_cannot_be_decided_are_counted_not_lost(library: RuleLibrary,
                                                          draft: Path) -> None:
    rows = [{"id": "ok", "birth_date": "2010-01-01"}, {"id": "bad", "support_need": "extreme"}]
    found = impact(rows, before="roskilde", after=str(draft), on=ON, library=library)
    assert found.cases == 2 and found.decided == 1
    assert [(e.row, e.id) for e in found.errors] == [(2, "bad")]
    assert "support_need" in found.errors[0].message[1]


def test_bad_rows_among_many_keep_their_places_in_a_stream_of_cases(
        library: RuleLibrary, draft: Path, cases: list[dict[str, Any]],
        report: ImpactReport) -> None:
    # Cases are decided in streams of 64 under one rule set, then the other: rows that fail
    # at each step (read, parsed, decided) keep their own row number, and every other case
    # is decided as without them.
    bad: dict[int, Any] = {
        3: "not a mapping",
        64: {"id": "unknown-need", "support_need": "extreme"},
        65: {"id": "unborn", "birth_date": "2030-01-01"},
        130: {"id": "no-such-point", "birth_date": "2000-01-01",
              "assessments": {"no_such_point": {"met": True, "reason": "x"}}},
    }
    rows: list[Any] = list(cases)
    for number in sorted(bad):
        rows.insert(number - 1, bad[number])
    found = impact(rows, before="roskilde", after=str(draft), on=ON, library=library)
    assert found.cases == len(rows) and found.decided == len(cases)
    assert [e.row for e in found.errors] == sorted(bad)
    assert "birth" in found.errors[2].message[1].lower()
    assert "no_such_point" in found.errors[3].message[1]
    assert [(t.before, t.after, t.ids, t.causes) for t in found.transitions] == [
        (t.before, t.after, t.ids, t.causes) for t in report.transitions]
    assert found.unchanged == report.unchanged


def test_json_report_lists_every_id_with_the_causes_and_samples(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], draft: Path,
        cases: list[dict[str, Any]], report: ImpactReport) -> None:
    source = tmp_path / "cases.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        write_cases(iter(cases), handle, "jsonl")
    code = main(["impact", str(source), "--before", "roskilde", "--after", str(draft),
                 "--on", ON, "--format", "json", "--workers", "1", "--lang", "en"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {"before", "after", "cases", "decided", "changed", "changes", "transitions",
            "unchanged", "reasons_changed", "outcomes", "errors"} <= set(data)
    assert data["before"]["ruleset_hash"] != data["after"]["ruleset_hash"]
    assert data["changes"] == [{"kind": "parameter", "name": "min_support_need",
                                "before": "moderate", "after": "high", "detail": ""}]
    assert data["changed"] == sum(t["count"] for t in data["transitions"])
    for found, transition in zip(data["transitions"], report.transitions, strict=True):
        assert (found["from"], found["to"], found["count"]) == (
            transition.before, transition.after, transition.count)
        assert found["ids"] == transition.ids and len(found["ids"]) == found["count"]
        (cause,) = found["causes"]
        assert (cause["kind"], cause["name"], cause["cases"]) == (
            "parameter", "min_support_need", found["count"])
        assert "min_support_need" in cause["text"]
        for sample in found["samples"]:
            assert sample["before"]["outcome"] == found["from"]
            assert sample["after"]["outcome"] == found["to"]
            assert sample["after"]["reasons"][0]["code"] == "minimum_support_need"


def test_text_report_is_danish_by_default_and_truncates_the_ids(report: ImpactReport) -> None:
    shown = impact_text(report, show_ids=2)
    assert shown.startswith("Konsekvensanalyse: roskilde → ")
    assert "parameteren min_support_need (moderate → high)" in shown
    biggest = report.transitions[0]
    listed = next(line for line in shown.splitlines() if line.strip().startswith("borgere:"))
    assert ", ".join(biggest.ids[:2]) in listed and biggest.ids[2] not in listed
    assert f"og {biggest.count - 2} flere" in listed
    hidden = impact_text(report, "en", show_ids=0)
    assert not any(i in hidden for t in report.transitions for i in t.ids)
    assert "Impact analysis" in hidden


def test_html_report_is_one_self_contained_file(report: ImpactReport) -> None:
    page = impact_html(report)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="da">' in page
    assert "<svg" in page and "</svg>" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert "Konsekvensanalyse" in page and "Afslag" in page


def test_html_report_escapes_what_it_shows(library: RuleLibrary, draft: Path) -> None:
    hostile = '<script>alert("x")</script>'
    rows = [{"id": hostile, "birth_date": "2000-05-01", "residence_municipality": 265,
             "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
             "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
             "covered_by_provision": [], "specialist_treatment_sought": False,
             "applicant": "self"}]
    found = impact(rows, before="roskilde", after=str(draft), on=ON, library=library)
    assert [(t.before, t.after) for t in found.transitions] == [("granted_85", "refused")]
    page = impact_html(found, "en")
    assert "<script" not in page and "&lt;script&gt;" in page


def test_the_chart_is_deterministic_svg(report: ImpactReport) -> None:
    first, second = transition_chart(report), transition_chart(report)
    assert first == second
    assert first.startswith("<svg") and "<dc:date>" not in first
    assert "Afslag" in first  # text stays text (svg.fonttype none)


def test_without_matplotlib_the_html_report_says_what_to_install(
        report: ImpactReport, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(InputError, match=r"spstotte\[report\]"):
        impact_html(report)


def test_the_command_writes_html_and_says_what_is_wrong(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], draft: Path,
        cases: list[dict[str, Any]]) -> None:
    source = tmp_path / "cases.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        write_cases(iter(cases[:40]), handle, "csv")
    out = tmp_path / "report.html"
    assert main(["impact", str(source), "--before", "roskilde", "--after", str(draft),
                 "--on", ON, "-o", str(out), "--workers", "1"]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["impact", str(source), "--before", "nowhere", "--after", str(draft)]) == 3
    assert "nowhere" in capsys.readouterr().err
    assert main(["impact", str(source), "--before", "roskilde", "--lang", "da"]) == 3
    assert "--after-on" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("layer: municipality\nid: [\n", encoding="utf-8")
    assert main(["impact", str(source), "--before", "roskilde", "--after", str(broken)]) == 1
    assert "broken.yaml" in capsys.readouterr().err


def test_the_api_raises_typed_errors(library: RuleLibrary, tmp_path: Path) -> None:
    with pytest.raises(UnknownMunicipalityError):
        impact([], before="nowhere", after="roskilde", library=library)
    broken = tmp_path / "broken.yaml"
    broken.write_text("layer: municipality\nid: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError):
        impact([], before="roskilde", after=str(broken), library=library)
    ruleset = library.load_ruleset("roskilde", ON)
    with pytest.raises(ProfileError):  # before the rule set's version began
        library.evaluate_ruleset(ruleset, {"birth_date": "2000-01-01"}, on="2020-01-01")


# -- the synthetic caseload -----------------------------------------------------------------


def _generate(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["cases", *args]) == 0
    return capsys.readouterr().out


def test_the_same_seed_gives_the_same_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    first = _generate(capsys, "--generate", "200", "--seed", "5", "-m", "roskilde", "--on", ON)
    again = _generate(capsys, "--generate", "200", "--seed", "5", "-m", "265", "--on", ON)
    other = _generate(capsys, "--generate", "200", "--seed", "6", "-m", "265", "--on", ON)
    assert first == again and first != other
    assert first.count("\n") == 200
    assert json.loads(first.splitlines()[0])["id"] == "syn-000001"


def test_generated_rows_all_parse_in_both_formats(capsys: pytest.CaptureFixture[str]) -> None:
    jsonl = _generate(capsys, "--generate", "250", "--seed", "9", "-m", "vejle", "--on", ON)
    table = _generate(capsys, "--generate", "250", "--seed", "9", "-m", "vejle", "--on", ON,
                      "--format", "csv")
    from_jsonl = list(read_rows(io.StringIO(jsonl), "jsonl"))
    from_csv = list(read_rows(io.StringIO(table), "csv"))
    assert len(from_jsonl) == len(from_csv) == 250
    for a, b in zip(from_jsonl, from_csv, strict=True):
        assert not a.problems and not b.problems and a.id == b.id
        assert CitizenProfile.parse(a.profile) == CitizenProfile.parse(b.profile)
    assert "cpr" not in jsonl
    header = next(csv.reader(io.StringIO(table)))
    assert header[:3] == ["id", "birth_date", "residence_municipality"]
    # Most live in the municipality asked for, and every outcome the § 85 path has occurs.
    lives = [r.profile.get("residence_municipality") for r in from_jsonl]
    assert lives.count(630) > 200


def test_the_generator_gives_every_outcome(library: RuleLibrary,
                                           cases: list[dict[str, Any]]) -> None:
    from spstotte import evaluate_many

    outcomes = {r["outcome"] for r in evaluate_many(cases, municipality=265, on=ON,
                                                     library=library)}
    assert {"granted_85", "refused", "referred", "needs_information", "forwarded"} <= outcomes


def test_a_bad_count_or_municipality_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "--generate", "0"]) == 3
    assert "--generate" in capsys.readouterr().err
    assert main(["cases", "--generate", "5", "-m", "nowhere"]) == 3
    assert "nowhere" in capsys.readouterr().err


def test_impact_json_data_round_trips(report: ImpactReport) -> None:
    data = impact_data(report, "en")
    assert json.loads(json.dumps(data)) == data
