"""A municipality's own rule repository: `spstotte init`, finding the project, validating
against its own texts, its scenarios and coverage, and the CI files it ships."""

from __future__ import annotations

import shlex
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from conftest import ROOT
from spstotte.cli.main import main
from spstotte.errors import InputError, RuleSetError
from spstotte.project import find_project, language


def uncommented(template: str, quote: str) -> str:
    """The rule file from init with its example (parameter and rule) switched on."""
    head, example = template.split("# Fjern '# ' foran linjerne", 1)
    lines = example.splitlines()[1:]
    body = "\n".join(line[2:] for line in lines if line.startswith("# "))
    sources = """sources:
  kvalitetsstandard:
    file: kvalitetsstandard.txt
    publisher: Aarhus Kommune
    title: Kvalitetsstandard for socialpædagogisk støtte
    date: 2026-01-01
    kind: kvalitetsstandard
    municipality: 751
"""
    quoted = "quote: har et moderat, svært eller fuldstændigt støttebehov"
    return head + sources + body.replace(quoted, f"quote: {quote}") + "\n"


STANDARD = ("Hvem kan få støtte?\nDu kan få socialpædagogisk støtte, hvis du har et moderat,\n"
            "svært eller fuldstændigt støttebehov.\n")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


@pytest.fixture
def aarhus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh repository from `spstotte init aarhus --code 751`, as the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPSTOTTE_SOURCES", raising=False)
    code, out, _ = run(capsys, "init", "aarhus", "--code", "751", "--lang", "da")
    assert code == 0, out
    assert out.splitlines()[0] == "Aarhus Kommune (751): ny regelmappe i aarhus"
    assert out.splitlines()[-1] == ("Næste skridt: se aarhus/README.md. Prøv: cd aarhus && "
                                    "spstotte validate --strict && spstotte test")
    root = tmp_path / "aarhus"
    monkeypatch.chdir(root)
    return root


def test_init_lays_out_a_repository_that_validates_and_passes_as_it_is(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {str(p.relative_to(aarhus)) for p in aarhus.rglob("*") if p.is_file()}
    assert files == {
        "spstotte.toml", "README.md", "municipalities/aarhus.yaml",
        "scenarios/aarhus.scenarios.yaml", "sources/README.md", ".github/workflows/spstotte.yml",
        ".pre-commit-config.yaml", ".gitignore", "schemas/rules.schema.json",
        "schemas/profile.schema.json", "schemas/scenarios.schema.json"}
    rule_file = (aarhus / "municipalities" / "aarhus.yaml").read_text(encoding="utf-8")
    assert rule_file.startswith("# yaml-language-server: $schema=../schemas/rules.schema.json")
    assert "municipality: {code: 751, name: Aarhus}" in rule_file
    readme = (aarhus / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Aarhus Kommunes regler for socialpædagogisk støtte")
    assert "spstotte validate --strict" in readme and "## Sådan kommer I videre" in readme

    assert run(capsys, "validate", "--strict")[0] == 0
    code, out, err = run(capsys, "test")
    assert code == 0, out + err
    # The project's own scenarios, named relative to the repository: not the bundled ones.
    assert out.splitlines()[:2] == [
        "ok   scenarios/aarhus.scenarios.yaml:8: Bevilling ved moderat støttebehov",
        "ok   scenarios/aarhus.scenarios.yaml:24: Afslag, når borgeren er under 18 år"]
    assert out.splitlines()[-1].startswith("2 bestået, 0 fejlet på ")
    assert run(capsys, "test", "--lang", "en")[1].splitlines()[-1].startswith(
        "2 passed, 0 failed in ")
    code, out, _ = run(capsys, "municipalities")
    assert (code, out) == (0, "751\tAarhus\taarhus\tmunicipalities/aarhus.yaml\n")
    # Its rule set, found by name, and the bundled ones still there to compare with.
    code, out, _ = run(capsys, "rulebook", "aarhus")
    assert code == 0 and "Aarhus" in out
    code, out, _ = run(capsys, "diff", "aarhus", "roskilde")
    assert code == 0 and "min_support_need" in out


def test_init_overwrites_nothing_and_says_what_is_wrong(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "init", "aarhus")[0] == 0  # the code from the name
    before = (tmp_path / "aarhus" / "README.md").read_text(encoding="utf-8")
    code, _, err = run(capsys, "init", "aarhus", "--code", "751")
    assert code == 3
    assert "aarhus already has" in err and "README.md" in err and "overwrites nothing" in err
    assert (tmp_path / "aarhus" / "README.md").read_text(encoding="utf-8") == before
    code, _, err = run(capsys, "init", "atlantis")
    assert code == 3 and "'atlantis' is not the name of a Danish municipality" in err
    code, _, err = run(capsys, "init", "Århus", "--code", "751")
    assert code == 3 and "write oe for ø, ae for æ, aa for å" in err
    code, _, err = run(capsys, "init", "atlantis", "--lang", "da")
    assert (code, err.strip()) == (3, "fejl: 'atlantis' er ikke navnet på en dansk kommune; "
                                      "angiv kommunens kode med --code")
    code, _, err = run(capsys, "init", "aarhus", "--dir", "")
    assert code == 3 and "name a folder with --dir" in err
    with pytest.raises(InputError, match="not one of the 98"):
        from spstotte.cli.init import init_project
        init_project(None, tmp_path / "x", code=999)
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_validate_checks_the_repository_quotes_against_its_own_sources(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The example in the new rule file, switched on, is a correct rule: validate --strict
    passes once the quoted text is in sources/, and finds a misquote at its line."""
    rule_file = aarhus / "municipalities" / "aarhus.yaml"
    template = rule_file.read_text(encoding="utf-8")
    right = uncommented(template, "har et moderat, svært eller fuldstændigt støttebehov")
    rule_file.write_text(right, encoding="utf-8")
    first_quote = right[:right.index("quote: har et")].count("\n") + 1
    column = right.splitlines()[first_quote - 1].index("har et") + 1
    code, out, err = run(capsys, "validate", "--strict")
    assert code == 1
    # In Danish: the repository's spstotte.toml says lang = "da".
    assert (f"municipalities/aarhus.yaml:{first_quote}:{column}: fejl[R211] kildefilen "
            "kvalitetsstandard.txt til 'kvalitetsstandard' findes ikke i nogen af") in err
    assert ("  tip: læg teksten i mappen sources/ som en UTF-8-tekstfil, eller tjek filnavnet "
            "under 'sources:'") in err.splitlines()
    assert run(capsys, "validate", "--strict", "--lang", "en")[2].startswith(
        f"municipalities/aarhus.yaml:{first_quote}:{column}: error[R211] source file "
        "kvalitetsstandard.txt of 'kvalitetsstandard' is in none of")
    (aarhus / "sources" / "kvalitetsstandard.txt").write_text(STANDARD, encoding="utf-8")
    code, out, err = run(capsys, "validate", "--strict")
    assert code == 0, err
    assert out.splitlines()[-1] == "ok: 1 regelsæt kontrolleret, 0 fejl, 0 advarsel(er)"
    # The grant scenario now names Aarhus's own requirement among its reasons.
    code, out, _ = run(capsys, "test")
    assert code == 1
    assert ("  reasons: forventet ['grant_p85'], fik ['grant_p85', 'minimum_support_need']"
            in out.splitlines())
    scenarios = aarhus / "scenarios" / "aarhus.scenarios.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8").replace(
        "reasons: [grant_p85]", "reasons: [grant_p85, minimum_support_need]"), encoding="utf-8")
    assert run(capsys, "test")[0] == 0

    rule_file.write_text(uncommented(template, "har et højt støttebehov"), encoding="utf-8")
    code, out, err = run(capsys, "validate", "--format", "github", "--lang", "en")
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::error")]
    assert annotations[0] == (
        f"::error file=municipalities/aarhus.yaml,line={first_quote},col={column},title=R212::"
        "parameters min_support_need: quote not found in kvalitetsstandard.txt (Aarhus Kommune, "
        "Kvalitetsstandard for socialpædagogisk støtte): 'har et højt støttebehov' (hint: "
        "copy the words exactly from the source; white space may differ)")
    assert len(annotations) == 2  # the parameter's quote and the rule's
    assert f"municipalities/aarhus.yaml:{first_quote}:{column}: error[R212]" in err


def test_coverage_counts_the_municipality_own_rules_and_reports_for_ci(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule_file = aarhus / "municipalities" / "aarhus.yaml"
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + """\
sources:
  kvalitetsstandard:
    file: kvalitetsstandard.txt
    publisher: Aarhus Kommune
    title: Kvalitetsstandard
    date: 2026-01-01
    kind: kvalitetsstandard
    municipality: 751
rules:
  - id: contact_within_a_week
    title: {da: Leverandøren kontakter dig inden for en uge, en: The provider calls within a week}
    legal_basis:
      sources:
        - {source: kvalitetsstandard, section: Kontakt, quote: kontakter dig inden for en uge}
    when: {fact: support_need, in: [moderate, high, complete]}
    then:
      obligation:
        paths: [p85]
        within_days: 7
        text: {da: Leverandøren kontakter dig inden for en uge., en: The provider calls in a week.}
""", encoding="utf-8")
    (aarhus / "sources" / "kvalitetsstandard.txt").write_text(
        "Kontakt\nLeverandøren kontakter dig inden for en uge.\n", encoding="utf-8")
    assert run(capsys, "validate", "--strict")[0] == 0
    code, out, _ = run(capsys, "test", "--quiet", "--junit", "junit.xml",
                       "--coverage-xml", "coverage.xml", "--format", "github")
    # The grant scenario (a moderate need) reaches the new rule: covered, 1 of 1.
    assert code == 0, out
    cobertura = ElementTree.parse(aarhus / "coverage.xml").getroot()
    classes = {c.get("filename"): c for c in cobertura.iter("class")}
    own = classes["municipalities/aarhus.yaml"]
    assert own.get("line-rate") == "1.0000"
    rule_line = rule_file.read_text(encoding="utf-8").splitlines().index(
        "  - id: contact_within_a_week") + 1
    assert [(line.get("number"), line.get("hits"))
            for line in own.iter("line")] == [(str(rule_line), "1")]
    assert int(cobertura.get("lines-valid") or 0) > 30  # the law layer's rules are there too

    # Now the scenario that reached it is gone: own coverage 0 %, below the project's 100.
    scenarios = aarhus / "scenarios" / "aarhus.scenarios.yaml"
    text = scenarios.read_text(encoding="utf-8")
    scenarios.write_text(text[:text.index("  - name: Bevilling")], encoding="utf-8")
    scenarios.write_text(text[:text.index("  - name: Bevilling")] + text[text.index(
        "  - name: Afslag"):], encoding="utf-8")
    code, out, _ = run(capsys, "test", "--quiet", "--junit", "junit.xml", "--format", "github",
                       "--lang", "en")
    assert code == 1
    shortfall = ("rule coverage of the municipality's own rules 0.0% is below 100%; not "
                 "exercised: aarhus: contact_within_a_week")
    assert shortfall in out.splitlines()
    # The repository's own language (lang = "da" in spstotte.toml):
    danish = run(capsys, "test", "--quiet")[1].splitlines()
    assert ("regeldækningen af kommunens egne regler er 0.0%, under 100%; ikke afprøvet: "
            "aarhus: contact_within_a_week") in danish
    # In a workflow command '%' is written %25 (GitHub's escaping), so 100% stays 100%.
    assert "::error title=rule coverage::" + shortfall.replace("%", "%25") in out.splitlines()
    junit = ElementTree.parse(aarhus / "junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures")) == ("2", "1")
    (failure,) = junit.iter("failure")
    assert failure.get("message") == shortfall
    # Counting the law layer as well is a choice.
    assert run(capsys, "test", "--quiet", "--fail-under", "0", "--coverage-of", "all")[0] == 0


def test_the_ci_workflow_and_pre_commit_hooks_run_in_a_new_repository(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every spstotte command the shipped CI files run passes in a repository from init."""
    workflow = yaml.safe_load((aarhus / ".github" / "workflows" / "spstotte.yml")
                              .read_text(encoding="utf-8"))
    steps = workflow["jobs"]["regler"]["steps"]
    commands = [step["run"] for step in steps if step.get("run", "").startswith("spstotte ")]
    assert len(commands) == 2
    install = next(step["run"] for step in steps if "pip install" in step.get("run", ""))
    assert "spstotte==" in install and "$" not in install  # the version is filled in
    hooks = yaml.safe_load((aarhus / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    commands += [hook["entry"] for repo in hooks["repos"] for hook in repo["hooks"]]
    shipped = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in shipped] == ["spstotte-validate", "spstotte-test"]
    commands += [hook["entry"] for hook in shipped]
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "spstotte"
        code, out, err = run(capsys, *argv[1:])
        assert code == 0, (command, out, err)
    assert (aarhus / "junit.xml").is_file() and (aarhus / "coverage.xml").is_file()


def test_find_project_reads_settings_upwards_and_stops_at_the_repository(
        tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "regler").mkdir()
    (root / "tekster").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "aarhus-regler"\n[tool.spstotte]\nmunicipalities = "regler"\n'
        'sources = "tekster"\nfail_under = 90\nlang = "en"\n', encoding="utf-8")
    deep = root / "regler" / "a" / "b"
    deep.mkdir(parents=True)
    project = find_project(deep)
    assert project is not None
    assert (project.root, project.config) == (root, root / "pyproject.toml")
    assert project.municipalities == (root / "regler",)
    # No scenarios folder: the rule folder, where init puts them beside the rules.
    assert project.scenarios == (root / "regler",)
    assert (project.sources, project.fail_under, project.lang) == (root / "tekster", 90.0, "en")
    # Above the repository's root nothing is looked for.
    (tmp_path / "spstotte.toml").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_project(deep) is None
    # A municipalities/ folder in the working directory is a project with the defaults.
    (root / "municipalities").mkdir()
    implicit = find_project(root)
    assert implicit is not None and implicit.config is None
    assert implicit.municipalities == (root / "municipalities",)


@pytest.mark.parametrize(("text", "expected"), [
    ('municipalities = "regler"\nfail_undr = 100\n',
     "spstotte.toml:2:1: error[C002] unknown setting 'fail_undr'; hint: did you mean "
     "'fail_under'? the settings are municipalities, scenarios, sources, rules, fail_under, "
     "lang"),
    ('municipalities = "mangler"\n',
     "spstotte.toml:1:1: error[C002] the municipalities folder mangler does not exist; hint: "
     "create it, or name the folder that holds the rule files"),
    ('municipalities = "regler"\nfail_under = 120\n',
     "spstotte.toml:2:1: error[C002] fail_under must be a number from 0 to 100, not 120; "
     "hint: write fail_under = 100"),
    ('municipalities = "regler"\n  lang = "de"\n',
     "spstotte.toml:2:3: error[C002] lang must be 'da' or 'en', not 'de'; hint: write "
     'lang = "da"'),
    ('municipalities = regler\n',
     "spstotte.toml:1:18: error[C001] spstotte.toml is not valid TOML: Invalid value; hint: "
     "check the quoting and the '=' at this position (https://toml.io)"),
])
def test_a_malformed_settings_file_is_reported_at_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        text: str, expected: str) -> None:
    (tmp_path / "regler").mkdir()
    (tmp_path / "spstotte.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(RuleSetError) as caught:
        find_project()
    assert caught.value.report_lines() == [expected]
    # The command shows the line of the file with a caret under the column, then the hint.
    code, _, err = run(capsys, "validate")
    headline, hint = expected.split("; hint: ")
    line, col = (int(n) for n in headline.split(":")[1:3])
    lines = err.splitlines()
    assert code == 1 and lines[0] == headline and lines[-1] == f"  hint: {hint}"
    assert lines[1].endswith(text.splitlines()[line - 1])
    assert lines[2].index("^") - lines[2].index("|") - 1 == col


def test_outside_any_project_test_says_it_runs_the_bundled_scenarios(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "test", "--quiet")
    assert code == 0
    assert err.startswith("note: no spstotte project here")
    passed = int(out.splitlines()[-1].split()[0])
    assert passed > 100  # the bundled scenarios


def test_the_version_names_the_library_and_the_engine(
        capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.splitlines()[:2] == [f"spstotte {metadata.version('spstotte')}",
                                    f"durable_rules {metadata.version('durable_rules')}"]
    assert run(capsys)[0] == 2  # no command: usage


@pytest.mark.parametrize(("environment", "expected"), [
    ({}, "en"), ({"LANG": "da_DK.UTF-8"}, "da"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "da_DK.UTF-8"}, "en"),
    ({"LC_MESSAGES": "da_DK", "LANG": "en_US"}, "da"),
])
def test_the_language_follows_the_locale_unless_chosen(
        monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str) -> None:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert language() == expected
    assert language("da") == "da" and language("en") == "en"


def test_coverage_suggests_the_facts_of_a_scenario_that_reaches_an_uncovered_rule(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", "--coverage")
    assert code == 0
    lines = out.splitlines()
    start = lines.index("sådan når et scenarie de regler, ingen scenarier afprøver:")
    suggestions = {line.split(":")[0].strip(): line.strip() for line in lines[start + 1:]
                   if line.startswith("  ")}
    # 17 years and 7 months on the decision date: the transition to adulthood (§ 85 guidance).
    assert suggestions["transition_to_adulthood"] == (
        "transition_to_adulthood: tag scenariet »Bevilling ved moderat støttebehov« "
        "(scenarios/aarhus.scenarios.yaml:8) og sæt birth_date: 2009-04-23")
    # Where no change of one or two facts reaches a rule, it says what the rule reads.
    assert suggestions["handleplan_consider"].startswith(
        "handleplan_consider: ingen ændring af et eller to af scenariernes fakta når reglen; "
        "den læser reached_pension_age, ")

    # Following the suggestions covers the rules: a scenario with those facts reaches them.
    scenarios = aarhus / "scenarios" / "aarhus.scenarios.yaml"
    text = scenarios.read_text(encoding="utf-8")
    grant = text[text.index("  - name: Bevilling"):text.index("  - name: Afslag")]
    young = grant.replace("Bevilling ved moderat støttebehov", "Snart voksen").replace(
        "birth_date: 2000-05-01", "birth_date: 2009-04-23").replace(
        "expect:\n      outcome: granted_85\n      reasons: [grant_p85]",
        "expect:\n      outcome: refused\n      rules: {transition_to_adulthood: true}")
    scenarios.write_text(text + "\n" + young, encoding="utf-8")
    code, out, _ = run(capsys, "test", "--coverage")
    assert code == 0, out
    assert "transition_to_adulthood:" not in out.split("afprøver:")[-1]


def test_a_rule_set_no_scenario_names_counts_as_uncovered(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second rule file in the repository, without scenarios, must not slip past
    fail_under: its own rules count as not exercised."""
    roskilde = (ROOT / "municipalities" / "roskilde.yaml").read_text(encoding="utf-8")
    (aarhus / "municipalities" / "roskilde.yaml").write_text(roskilde, encoding="utf-8")
    (aarhus / "sources" / "002_9028d485a185e1a5.txt").write_bytes(
        (ROOT / "sources" / "002_9028d485a185e1a5.txt").read_bytes())
    code, out, _ = run(capsys, "test", "--quiet", "--lang", "en", "--coverage-xml", "c.xml")
    assert code == 1
    assert "rule coverage of the municipality's own rules 0.0% is below 100%; not exercised: " \
           "roskilde: minimum_support_need" in out
    packages = {p.get("name") for p in ElementTree.parse(aarhus / "c.xml").getroot()
                .iter("package")}
    assert packages == {"aarhus", "roskilde"}


def test_junit_reports_unreadable_scenario_files_and_an_empty_run(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = aarhus / "scenarios" / "broken.scenarios.yaml"
    broken.write_text("municipality: 751\nscenarios:\n  - name: x\n    profile: {}\n"
                      "    expect: {outcomee: refused}\n", encoding="utf-8")
    assert run(capsys, "test", "--junit", "j.xml")[0] == 1
    suite = ElementTree.parse(aarhus / "j.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "0", "1")
    (error,) = suite.iter("error")
    assert "outcomee" in (error.get("message") or "")
    broken.unlink()
    for scenarios in (aarhus / "scenarios").glob("*.yaml"):
        scenarios.unlink()
    assert run(capsys, "test", "--junit", "j.xml")[0] == 1
    suite = ElementTree.parse(aarhus / "j.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")


def test_a_scenario_name_cannot_start_a_line_of_its_own(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CI runner reads a line starting with '::' as a command: a line break in a scenario
    name is printed as an escape."""
    scenarios = aarhus / "scenarios" / "aarhus.scenarios.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8").replace(
        "name: Bevilling ved moderat støttebehov",
        'name: "Bevilling\\n::warning file=x.yaml,line=1::injected"'), encoding="utf-8")
    code, out, _ = run(capsys, "test")
    assert code == 0
    assert not any(line.startswith("::") for line in out.splitlines())
    assert "Bevilling\\n::warning" in out


def test_a_source_text_that_is_not_utf8_is_reported_at_the_citation(
        aarhus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule_file = aarhus / "municipalities" / "aarhus.yaml"
    right = uncommented(rule_file.read_text(encoding="utf-8"),
                        "har et moderat, svært eller fuldstændigt støttebehov")
    rule_file.write_text(right, encoding="utf-8")
    (aarhus / "sources" / "kvalitetsstandard.txt").write_bytes(
        STANDARD.encode("latin-1"))
    code, _, err = run(capsys, "validate", "--lang", "en")
    assert code == 1
    first_quote = right[:right.index("quote: har et")].count("\n") + 1
    assert (f"municipalities/aarhus.yaml:{first_quote}:" in err
            and "error[Y003] the source text kvalitetsstandard.txt cannot be read as UTF-8 "
                "text" in err)


def test_odd_settings_and_names_are_refused_with_their_position(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "municipalities").mkdir()
    (tmp_path / "spstotte.toml").write_text('municipalities = "a\\u0000b"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleSetError) as caught:
        find_project()
    (line,) = caught.value.report_lines()
    assert line.startswith("spstotte.toml:1:1: error[C002]")
    code, _, err = run(capsys, "validate")
    assert code == 1 and err.startswith("spstotte.toml:1:1: error[C002]")
    # A slug with a line break at its end is not an id.
    code, _, err = run(capsys, "init", "kbh\n", "--code", "101", "--dir", str(tmp_path / "nl"))
    assert code == 3 and "cannot be a rule-set id" in err
    assert not (tmp_path / "nl").exists()
