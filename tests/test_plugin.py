"""The pytest plugin, tested with pytester: collection, failure reports, coverage."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


PROFILE = """\
    profile:
      birth_date: 2000-05-01
      residence_municipality: 265
      living_situation: {kind: own_home}
      mental_impairment: severe
      support_need: moderate
      met_by_open_offers: false
      met_by_advice: false
      covered_by_provision: []
      specialist_treatment_sought: false
      applicant: self
"""


def scenario_file(*scenarios: tuple[str, str]) -> str:
    body = "".join(f"  - name: {name}\n{PROFILE}    expect: {expect}\n"
                   for name, expect in scenarios)
    return "municipality: roskilde\non: 2026-11-23\nscenarios:\n" + body


@pytest.fixture(autouse=True)
def _opted_in(pytester: pytest.Pytester) -> None:
    """These projects collect scenarios: they opt in, as a project using the plugin must."""
    pytester.makeini("[pytest]\nspstotte = true\n")


def test_scenarios_are_collected_and_pass(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", cases=scenario_file(
        ("Bevilling", "{outcome: granted_85}"),
        ("Opfølgning", "{obligations: {follow_up: [2027-02-23, 2027-05-23, 2027-11-23]}}")))
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*cases.scenarios.yaml::Bevilling PASSED*"])


def test_a_broken_scenario_fails_with_file_line_diff_and_trail(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", cases=scenario_file(
        ("Bevilling", "{outcome: granted_85}"),
        ("Forkert forventning", "{outcome: refused, reasons: [adult]}")))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*cases.scenarios.yaml:17: scenarie 'Forkert forventning' (roskilde, 2026-11-23)",
        "*outcome: forventet refused, fik granted_85",
        "*den faktiske afgørelse:",
        "*Regelspor:",
        "*adult: Opfyldt: Borgeren er fyldt 18 år på afgørelsesdatoen.",
    ])
    output = result.stdout.str()
    reasons = next(line for line in output.splitlines() if "reasons: forventet" in line)
    assert "forventet ['adult'], fik [" in reasons and "'grant_p85'" in reasons
    assert "Traceback" not in output
    # In English, the whole report: the expectations and the trail.
    english = pytester.runpytest("--spstotte-lang=en")
    english.stdout.fnmatch_lines([
        "*cases.scenarios.yaml:17: scenario 'Forkert forventning' (roskilde, 2026-11-23)",
        "*outcome: expected refused, got granted_85",
        "*actual verdict:",
        "*Rule trail:",
    ])


def test_a_malformed_scenario_file_is_a_collection_error_with_position(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", cases="municipality: roskilde\nscenarios:\n"
                      "  - name: x\n    profile: {cpr: 320190-1234}\n    expect: {}\n"
                      "    colour: blue\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert "cases.scenarios.yaml:6:5: error[S101] unknown key 'colour'; hint: allowed keys here: " \
        "name, description" in result.stdout.str()


def test_coverage_is_reported_and_enforced(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", cases=scenario_file(("Bevilling",
                                                              "{outcome: granted_85}")))
    result = pytester.runpytest("--spstotte-coverage", "--spstotte-fail-under=100")
    result.stdout.fnmatch_lines(["*rule coverage: roskilde*",
                                 "*not exercised: *special_social_problems*",
                                 "*rule coverage * is below 100%*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    json_path = pytester.path / "coverage.json"
    result = pytester.runpytest("--spstotte-fail-under=50",
                                f"--spstotte-coverage-json={json_path}")
    assert result.ret == pytest.ExitCode.OK
    assert '"special_social_problems"' in json_path.read_text(encoding="utf-8")


def test_coverage_is_not_enforced_when_scenarios_are_deselected(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", cases=scenario_file(
        ("Bevilling", "{outcome: granted_85}"), ("Anden", "{outcome: granted_85}")))
    result = pytester.runpytest("--spstotte-fail-under=100", "-k", "Anden")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*deselected; rule coverage is not enforced*"])


def test_options_come_from_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nspstotte = true\nspstotte_fail_under = 100\n")
    pytester.makefile(".scenarios.yaml", cases=scenario_file(("Bevilling",
                                                              "{outcome: granted_85}")))
    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED


REFUSAL = scenario_file(("Afslag", "{outcome: granted_85}")).replace(
    "support_need: moderate", "support_need: light").replace(
    "{outcome: granted_85}", "{outcome: refused}")


def test_parallel_workers_report_the_same_coverage_as_one_process(
        pytester: pytest.Pytester) -> None:
    # Four files, so that each of the two workers runs only some of the scenarios.
    for name in ("a", "b"):
        pytester.makefile(".scenarios.yaml", **{name: scenario_file(("Bevilling",
                                                                     "{outcome: granted_85}"))})
    for name in ("c", "d"):
        pytester.makefile(".scenarios.yaml", **{name: REFUSAL})
    alone, parallel = pytester.path / "alone.json", pytester.path / "parallel.json"
    one = pytester.runpytest(f"--spstotte-coverage-json={alone}", "--spstotte-fail-under=100")
    two = pytester.runpytest_subprocess("-n", "2", f"--spstotte-coverage-json={parallel}",
                                        "--spstotte-fail-under=100")
    assert one.ret == two.ret == pytest.ExitCode.TESTS_FAILED  # below 100 % either way
    two.stdout.fnmatch_lines(["*rule coverage * is below 100%*"])
    assert alone.read_text(encoding="utf-8") == parallel.read_text(encoding="utf-8")
    assert '"met": 2' in parallel.read_text(encoding="utf-8")


def test_parallel_workers_do_not_enforce_coverage_when_scenarios_are_deselected(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenarios.yaml", a=scenario_file(("Bevilling", "{outcome: granted_85}")),
                      b=REFUSAL)
    result = pytester.runpytest_subprocess("-n", "2", "--spstotte-fail-under=100",
                                           "-k", "Bevilling")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*deselected; rule coverage is not enforced*"])


def test_a_project_that_did_not_opt_in_collects_no_scenarios(pytester: pytest.Pytester) -> None:
    """Having spstotte installed must not turn every *.scenarios.yaml into tests."""
    pytester.makeini("[pytest]\n")
    pytester.makefile(".scenarios.yaml", cases=scenario_file(("Bevilling",
                                                              "{outcome: refused}")))
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "spstotte: rule coverage" not in result.stdout.str()
    # One run can opt in on the command line.
    result = pytester.runpytest("--spstotte")
    result.assert_outcomes(failed=1)


def test_a_municipality_repository_opts_in_and_is_read_from_its_settings(
        pytester: pytest.Pytester) -> None:
    """A spstotte.toml at the root: its rule files, and its fail_under for its own rules."""
    pytester.makeini("[pytest]\n")
    (pytester.path / "regler").mkdir()
    (pytester.path / "regler" / "aarhus.yaml").write_text(
        "layer: municipality\nid: aarhus\ntitle: {da: Aarhus, en: Aarhus}\n"
        "municipality: {code: 751, name: Aarhus}\nextends: law\n", encoding="utf-8")
    (pytester.path / "spstotte.toml").write_text(
        'municipalities = "regler"\nfail_under = 100\n', encoding="utf-8")
    pytester.makefile(".scenarios.yaml", cases=scenario_file(("Bevilling",
                                                              "{outcome: granted_85}"))
                      .replace("roskilde", "aarhus").replace("265", "751"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    # Aarhus has no rules of its own yet: 100 % of them, whatever the law layer's coverage.
    result.stdout.fnmatch_lines(["*spstotte: rule coverage 100.0% (required 100%, rules "
                                 "counted: own)*"])
    assert result.ret == pytest.ExitCode.OK
    result = pytester.runpytest("--spstotte-coverage-of=all")
    result.stdout.fnmatch_lines(["*rule coverage of all rules * is below 100%; not exercised: "
                                 "aarhus: *"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_malformed_project_settings_file_is_a_usage_error_with_position(
        pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    (pytester.path / "spstotte.toml").write_text('municipalities = "regler"\nfail_undr = 1\n',
                                                 encoding="utf-8")
    (pytester.path / "regler").mkdir()
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ("spstotte.toml:2:1: error[C002] unknown setting 'fail_undr'; hint: did you mean "
            "'fail_under'?") in result.stderr.str()


def test_settings_in_a_folder_above_the_project_neither_opt_in_nor_break_it(
        pytester: pytest.Pytester) -> None:
    """Only pytest's root folder can opt a project in: a spstotte.toml above it (another
    project's, or a broken one) changes nothing."""
    pytester.makeini("[pytest]\n")
    inner = pytester.path / "inner"
    inner.mkdir()
    (pytester.path / "spstotte.toml").write_text("municipalities = [\n", encoding="utf-8")
    (inner / "test_plain.py").write_text("def test_a():\n    assert 1 + 1 == 2\n",
                                         encoding="utf-8")
    (inner / "cases.scenarios.yaml").write_text(
        scenario_file(("Bevilling", "{outcome: refused}")), encoding="utf-8")
    (inner / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = pytester.runpytest(str(inner), "--rootdir", str(inner))
    result.assert_outcomes(passed=1)
