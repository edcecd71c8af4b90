"""The command line: outputs, one-line errors, exit codes, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import Verdict
from spstotte.cli.main import main

EXAMPLE = str(ROOT / "examples" / "citizen.yaml")
SOURCES = ROOT / "sources"  # the texts shipped with spstotte (sources/README.md)

#: Only a hang reaches it (see test_suite_hygiene).
HANG_TIMEOUT = 300


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_evaluate_prints_the_verdict_and_its_trail(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", EXAMPLE, "-m", "roskilde", "--on", "2026-11-23")
    assert code == 0
    assert out.startswith("Bevilget: socialpædagogisk støtte efter serviceloven § 85")
    assert "Regelspor:" in out and "minimum_support_need" in out
    assert "010500-4322" not in out


def test_evaluate_json_is_a_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", EXAMPLE, "-m", "265", "--on", "2026-11-23",
                       "--format", "json")
    assert code == 0
    verdict = Verdict.model_validate_json(out)
    assert verdict.outcome.value == "granted_85"
    assert json.loads(out)["record"]["inputs"]["cpr"] == "010500-****"


def test_evaluate_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", EXAMPLE, "-m", "Roskilde", "--on", "2026-11-23",
                       "--lang", "en")
    assert code == 0 and out.startswith("Granted: socio-pedagogical support")


@pytest.mark.parametrize(("profile", "expected", "hint"), [
    ("support_need: moderate\ncpr: [\n", "p.yaml:3:1: error[Y001] ", "hint: "),
    ("support_need: lots\n", "p.yaml:1:15: error[P100] support_need: 'lots' is not one of the "
                            "allowed values", "hint: one of: none, light, moderate"),
    ("support_need: moderat\n", "p.yaml:1:15: error[P100] support_need: 'moderat' is not one",
     "hint: did you mean 'moderate'? one of: none, light, moderate"),
    ("cpr: 320190-1234\n", "p.yaml:1:6: error[P100] cpr: the date part 320190 is not a real "
                           "date", "hint: write the CPR number as DDMMYY-SSSS"),
    ("urgent: yes\n", "p.yaml:1:9: error[P100] urgent: expected true or false, got the text "
                      "'yes'", "hint: write true or false"),
    ("colour: blue\n", "p.yaml:1:1: error[P100] colour: unknown field", "hint: known fields:"),
    ("birth_date: 2030-01-01\n", "error[P100] birth_date: the decision date 2026-11-23 is "
                                 "before the birth date 2030-01-01", "hint: check the birth date"),
    (b"support_need: h\xf8j\n", "p.yaml:1:16: error[Y003] byte 0xf8 is not UTF-8",
     "hint: save the file as UTF-8"),
    ("- a\n- b\n", "error[P100] <profile>: a profile is a mapping of fields, not a list",
     "hint: write the profile as 'field: value' lines"),
])
def test_bad_profiles_give_an_error_at_the_line_of_the_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, profile: str | bytes, expected: str,
        hint: str) -> None:
    path = write(tmp_path, "p.yaml", profile)
    code, out, err = run(capsys, "evaluate", path, "-m", "265", "--on", "2026-11-23")
    assert code == 3 and out == ""
    lines = err.strip().splitlines()
    headline = lines[0].replace(str(tmp_path) + "/", "")
    assert expected in headline
    assert lines[-1].startswith("  " + hint), lines
    if headline.startswith("p.yaml:") and isinstance(profile, str):
        # The line of the file, and a caret under the column the problem is at.
        _, line, col = headline.split(":")[:3]
        number, text = lines[1].split(" |", 1)
        assert number.strip() == line
        assert text.removeprefix(" ") == [*profile.splitlines(), ""][int(line) - 1]
        assert lines[2].index("^") - lines[2].index("|") - 2 == int(col) - 1
    elif isinstance(profile, bytes):  # a byte that is not UTF-8 is shown as U+FFFD
        assert lines[1:3] == ["    1 | support_need: h\ufffdj", "      |                ^"]
    else:
        assert len(lines) == 2, lines  # no file, or no line to show: the error and its hint


def test_unknown_municipality_lists_those_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", EXAMPLE, "-m", "Gotham", "--on", "2026-11-23")
    assert code == 3
    assert "'Gotham' is not the name of a Danish municipality" in err
    assert "roskilde (265 Roskilde)" in err
    code, _, err = run(capsys, "evaluate", EXAMPLE, "-m", "101", "--on", "2026-11-23")
    assert code == 3 and "København has no rule set" in err and "roskilde (265" in err


def test_bad_decision_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", EXAMPLE, "-m", "265", "--on", "2026-02-30")
    assert code == 3 and "on: the decision date '2026-02-30' is not a date" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "evaluate", EXAMPLE)[0] == 2
    assert run(capsys, "frobnicate")[0] == 2


def test_validate_the_bundled_rule_sets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--sources", str(SOURCES))
    assert code == 0, out
    assert out.splitlines()[-1].startswith("ok: ") and "0 error(s)" in out


def test_validate_reports_every_error_with_its_position(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", """\
layer: municipality
id: bad
title: {da: B, en: B}
municipality: {code: 101, name: København}
sources:
  own: {file: t.txt, publisher: Københavns Kommune, title: T, date: udateret, kind: t,
        municipality: 101}
rules:
  - id: first
    title: {da: T, en: T}
    legal_basis:
      sources: [{source: own, section: Målgruppe, quote: Målgruppen for}]
    when: {fact: agee, gte: 18}
    then: derive
  - id: second
    title: {da: T, en: T}
    legal_basis:
      sources: [{source: own, section: Målgruppe, quote: Målgruppen for}]
    when: {fact: age, gte: 18}
    then: {require: {paths: [p99]}}
""")
    code, out, err = run(capsys, "validate", path)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].endswith("bad.yaml:13:18: error[R201] unknown fact 'agee'")
    assert lines[1:4] == ["   13 |     when: {fact: agee, gte: 18}",
                          "      |                  ^",
                          "  hint: did you mean 'age'? Facts are listed in docs/facts.md"]
    assert "bad.yaml:20:11: error[R210] unknown path 'p99'" in lines[4]
    assert out.startswith("FAILED: ")
    # The same in Danish, and in JSON (no excerpt there, but the position).
    code, out, err = run(capsys, "validate", path, "--lang", "da")
    lines = err.strip().splitlines()
    assert lines[0].endswith("bad.yaml:13:18: fejl[R201] ukendt oplysning 'agee'")
    assert lines[3] == "  tip: mente du 'age'? Oplysningerne står i docs/facts.md"
    assert out.startswith("FEJL: 1 regelsæt kontrolleret, 2 fejl")
    code, out, _ = run(capsys, "validate", path, "--format", "json", "--lang", "da")
    first = json.loads(out)["diagnostics"][0]
    assert (first["code"], first["line"], first["col"]) == ("R201", 13, 18)
    assert first["message"] == "ukendt oplysning 'agee'" and "^" not in out


def test_validate_finds_a_quote_missing_from_its_source(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (ROOT / "municipalities" / "roskilde.yaml").read_text(encoding="utf-8")
    changed = text.replace("har et moderat, svært eller fuldstændigt støttebehov",
                           "har et moderat eller højt støttebehov", 1)
    assert changed != text
    path = write(tmp_path, "roskilde.yaml", changed)
    code, _, err = run(capsys, "validate", path, "--sources", str(SOURCES))
    assert code == 1
    (line,) = [x for x in err.splitlines() if "R212" in x]
    line_no = changed[:changed.index("har et moderat eller højt")].count("\n") + 1
    assert f"roskilde.yaml:{line_no}:" in line
    assert "quote not found in 002_9028d485a185e1a5.txt (Roskilde Kommune" in line


SCENARIOS = """\
municipality: roskilde
on: 2026-11-23
scenarios:
  - name: Bevilling
    profile: {birth_date: 2000-05-01, residence_municipality: 265,
              living_situation: {kind: own_home}, mental_impairment: severe,
              support_need: moderate, met_by_open_offers: false, met_by_advice: false,
              covered_by_provision: [], specialist_treatment_sought: false, applicant: self}
    expect: {outcome: granted_85}
  - name: Under 18
    profile: {birth_date: 2010-05-01}
    expect: {outcome: refused, reasons: [adult]}
"""


def test_scenarios_run_from_the_command_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = write(tmp_path, "good.scenarios.yaml", SCENARIOS)
    junit = tmp_path / "report.xml"
    code, out, _ = run(capsys, "test", good, "--junit", str(junit), "-q")
    assert code == 0
    assert "2 passed, 0 failed" in out
    report = junit.read_text(encoding="utf-8")
    assert 'tests="2" failures="0"' in report and 'name="Under 18"' in report
    broken = write(tmp_path, "broken.scenarios.yaml",
                   SCENARIOS.replace("outcome: granted_85", "outcome: refused", 1))
    code, out, _ = run(capsys, "test", broken, "-q", "--junit", str(junit))
    assert code == 1
    assert "1 passed, 1 failed" in out
    assert "broken.scenarios.yaml:4: scenario 'Bevilling'" in out
    assert "outcome: expected refused, got granted_85" in out
    assert '<failure message="outcome: expected refused, got granted_85">' in junit.read_text(
        encoding="utf-8")
    assert run(capsys, "test", str(tmp_path / "missing"))[0] == 3


def test_municipalities_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "municipalities")
    assert code == 0 and "265\tRoskilde\troskilde" in out


def test_every_command_has_its_function() -> None:
    import argparse

    from spstotte.cli.main import _COMMANDS, _parser

    (commands,) = [action.choices for action in _parser()._actions
                   if isinstance(action, argparse._SubParsersAction)]
    assert set(commands) == set(_COMMANDS)


def test_the_command_exits_with_its_code_after_freezing_what_it_allocated(
        tmp_path: Path) -> None:
    # The entry point freezes every object before the interpreter exits, so that Python's
    # last collection skips them (spstotte._entry): the exit code is the command's, and the
    # atexit handlers (logging's, multiprocessing's) still run, after the freeze.
    written = tmp_path / "at_exit.txt"
    script = f"""
import atexit, gc, spstotte.cli.main
def at_exit():
    with open({str(written)!r}, "w", encoding="utf-8") as handle:
        handle.write("frozen=%d" % (gc.get_freeze_count() > 0))
atexit.register(at_exit)
spstotte.cli.main.main = lambda: 3
from spstotte._entry import run
run()
"""
    process = subprocess.run([sys.executable, "-c", script], cwd=str(ROOT), capture_output=True,
                             text=True, timeout=HANG_TIMEOUT)
    assert process.returncode == 3, process.stderr
    assert written.read_text(encoding="utf-8") == "frozen=1"
