"""The rulebook, and diffs between municipalities and between versions of a rule set."""

from __future__ import annotations

from pathlib import Path

import pytest

from spstotte import RuleLibrary
from spstotte.cli import main
from spstotte.diff import diff_rulesets
from spstotte.rulebook import rulebook

ROOT = Path(__file__).resolve().parents[1]


def test_the_rulebook_writes_out_every_rule(library: RuleLibrary) -> None:
    ruleset = library.ruleset("roskilde")
    book = rulebook(ruleset)
    assert book.startswith("# Roskilde Kommunes serviceniveau")
    for rule in ruleset.rules:
        assert f"`{rule.id}`" in book
    assert "| `min_support_need` | moderate |" in book
    assert "**Når:** støttebehov (VUM) er mindst moderat støttebehov" in book
    assert "»har et moderat, svært eller fuldstændigt støttebehov«" in book
    assert "~~Straksforløb efter serviceloven § 82 b~~ (tilbydes ikke)" in book


def test_the_rulebook_shows_overrides_and_why(library: RuleLibrary) -> None:
    book = rulebook(library.ruleset("vejle"), lang="en")
    assert ("**Replaces the law-layer rule** »The municipality must consider whether an action "
            "plan is appropriate") in book
    assert "(e.g. psychologically vulnerable and socially marginalised citizens)" in book


def test_the_rulebook_says_which_kind_of_condition_each_rule_is(library: RuleLibrary) -> None:
    book = rulebook(library.ruleset("roskilde"), lang="da")
    section = book[book.index("#### Støttebehovet er mindst moderat (VUM)"):]
    assert section.splitlines()[2].startswith(
        "`minimum_support_need` · kommunalt serviceniveau · serviceniveau (vejledende; en "
        "konkret vurdering kan fravige det)")
    target = book[book.index("#### Borgeren er i målgruppen for § 85"):]
    assert "lovens betingelse" in target.splitlines()[2]
    advice = book[book.index("#### Behovet kan afhjælpes med rådgivning og vejledning"):]
    assert "sagsbehandlerens vurdering" in advice.splitlines()[2]


def test_the_rulebook_in_html(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rulebook", "soenderborg", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and "<h4>" in page


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_diff_of_two_versions_reports_exactly_the_changes_made(tmp_path: Path) -> None:
    original = (ROOT / "municipalities" / "roskilde.yaml").read_text(encoding="utf-8")
    changed = edit(original, "    value: [3, 6, 12]", "    value: [3, 12]")          # parameter
    changed = edit(changed, "    when: {fact: specialist_treatment_sought, eq: true}",
                   "    when: {fact: specialist_treatment_sought, ne: false}")        # condition
    start = changed.index("  - id: no_debt_counselling")                             # removal
    end = changed.index("  - id: free_of_charge")
    changed = changed[:start] + changed[end:]
    changed += """
  - id: bring_your_own_coffee
    title: {da: Tag selv kaffe med, en: Bring your own coffee}
    legal_basis:
      sources:
        - source: roskilde_kvalitetsstandard
          section: Udgifter for dig
          quote: Du skal ikke betale for socialpædagogisk støtte
    then:
      inform: {paths: [p85], text: {da: Kaffe, en: Coffee}}
"""
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "roskilde.yaml").write_text(original, encoding="utf-8")
    (tmp_path / "new" / "roskilde.yaml").write_text(changed, encoding="utf-8")
    old = RuleLibrary(municipality_dirs=[tmp_path / "old"]).ruleset(265)
    new = RuleLibrary(municipality_dirs=[tmp_path / "new"]).ruleset(265)
    changes = {(c.kind, c.name, c.before, c.after) if c.kind == "parameter" else (c.kind, c.name)
               for c in diff_rulesets(old, new).changes}
    assert changes == {
        ("parameter", "follow_up_months", "[3, 6, 12]", "[3, 12]"),
        ("rule changed", "specialist_treatment"),
        ("rule removed", "no_debt_counselling"),
        ("rule added", "bring_your_own_coffee"),
    }
    detail = next(c for c in diff_rulesets(old, new).changes if c.name == "specialist_treatment")
    assert detail.detail == "condition"
    assert diff_rulesets(old, old).changes == []


def test_diff_between_municipalities(library: RuleLibrary) -> None:
    diff = diff_rulesets(library.ruleset("roskilde"), library.ruleset("soenderborg"))
    kinds = {c.kind for c in diff.changes}
    assert {"paths", "parameter", "rule added", "rule removed"} <= kinds
    assert ("parameter", "offers_82b", "false", "true") in {
        (c.kind, c.name, c.before, c.after) for c in diff.changes}


def test_the_checked_in_comparison_is_what_the_command_generates(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "roskilde", "vejle", "soenderborg"]) == 0
    generated = capsys.readouterr().out
    kept = (ROOT / "docs" / "comparison.md").read_text(encoding="utf-8")
    assert kept == generated, "regenerate with: spstotte diff roskilde vejle soenderborg " \
                              "-o docs/comparison.md"
    assert "| `target_group_85` " in kept and "**O**" in kept


def test_diff_needs_two_rule_sets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "roskilde"]) == 2


def test_diff_against_a_git_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    original = (ROOT / "municipalities" / "vejle.yaml").read_text(encoding="utf-8")
    path = tmp_path / "vejle.yaml"
    path.write_text(original, encoding="utf-8")
    shutil.copytree(ROOT / "municipalities" / "letters", tmp_path / "letters")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "vejle.yaml"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], cwd=tmp_path, check=True)
    path.write_text(edit(original, "every_months: 12", "every_months: 6"), encoding="utf-8")
    assert main(["diff", f"{path}@HEAD", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 difference(s)." in out
    assert "| rule changed | `yearly_follow_up` |" in out and "conclusion" in out
    assert main(["diff", f"{path}@no-such-revision", str(path)]) == 3
    assert "git could not show" in capsys.readouterr().err
