"""The rulebook, and diffs between municipalities and between versions of a rule set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import RuleLibrary
from spstotte.cli.main import main
from spstotte.render.diff import diff_rulesets
from spstotte.render.rulebooks import rulebook
from spstotte.ruleset.resolve import ResolvedRuleSet


def test_the_rulebook_writes_out_every_rule(library: RuleLibrary) -> None:
    ruleset = library.ruleset("roskilde")
    book = rulebook(ruleset)
    assert book.startswith("# Roskilde Kommunes serviceniveau")
    for rule in ruleset.rules:
        assert f"`{rule.id}`" in book
    assert "| `min_support_need` | moderat støttebehov |" in book
    assert "**Når:** støttebehov (VUM) er mindst moderat støttebehov" in book
    assert "»har et moderat, svært eller fuldstændigt støttebehov«" in book
    assert "- Straksforløb efter serviceloven § 82 b (`p82b`) (tilbydes ikke)" in book


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
    # The kind stays an identifier in every language; the words are in the diff's language.
    danish = next(c for c in diff_rulesets(old, new, "da").changes
                  if c.name == "specialist_treatment")
    assert (danish.kind, danish.detail) == ("rule changed", "betingelse")
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


# ------------------------------------------------------------------ Danish, labels, formats

def test_the_danish_rulebook_shows_danish_labels_and_the_english_one_english(
        library: RuleLibrary) -> None:
    roskilde = library.ruleset("roskilde")
    da = rulebook(roskilde, lang="da")
    en = rulebook(roskilde, lang="en")
    assert "| `min_support_need` | moderat støttebehov |" in da
    assert "| `min_support_need` | moderate support need |" in en
    assert "| `offers_82b` | nej |" in da and "| `offers_82b` | no |" in en
    assert "| `significant_impairment_level` | moderat nedsat funktionsevne |" in da
    assert "| `follow_up_months` | 3, 6, 12 |" in da
    assert ("| `special_social_problems` | hjemløshed; misbrug; selvskadende adfærd; "
            "kriminalitet; vold eller overgreb; prostitution |") in da
    assert ("| `path_order` | Socialpædagogisk støtte efter serviceloven § 85; Straksforløb "
            "efter serviceloven § 82 b |") in da
    # No identifier or English word is left where a value is shown in the Danish rulebook.
    parameters = da[da.index("## Parametre"):da.index("## Regler")]
    for word in ("moderate", "homelessness", "p85", "true", "false", " no ", "yes"):
        assert word not in parameters, word
    vejle = rulebook(library.ruleset("vejle"), lang="da")
    assert "`personal_skills` · dækker: praktiske opgaver i hjemmet; indkøb og kost; " \
        "administration, post og økonomi" in vejle


def test_the_rulebook_as_plain_text(library: RuleLibrary) -> None:
    ruleset = library.ruleset("roskilde")
    book = rulebook(ruleset, "text", "en")
    title = ruleset.title.get("en")
    assert book.startswith(f"{title}\n{'=' * len(title)}\n")
    assert "`" not in book and "**" not in book and "<" not in book
    rule = book[book.index("\nminimum_support_need · municipal service level · service level"):]
    assert rule.splitlines()[3] == "- When: support need (VUM) is at least moderate support need"
    assert "\nThe support need is at least moderate (VUM):\n" in book
    assert "Parameters\n----------" in book


def test_diff_in_danish_has_danish_headers_and_change_kinds(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "roskilde", "vejle", "--lang", "da"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Forskelle: `roskilde` → `vejle`\n")
    assert "| ændring | navn | før | efter | detalje |" in out
    assert "| regel fjernet | `minimum_support_need` | Støttebehovet er mindst moderat (VUM) |" \
        in out
    assert "| regel tilføjet | `bisidder` |" in out
    assert "| parameter | `min_support_need` | `moderate` | — |" in out
    assert "| regel ændret | `adult` |  |  | hjemmel, tekst |" in out
    for english in ("rule removed", "rule added", "before", "after", "Differences",
                    "difference(s)"):
        assert english not in out, english
    # English stays the default.
    assert main(["diff", "roskilde", "vejle"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Differences: `roskilde` → `vejle`\n")
    assert "| change | name | before | after | detail |" in out
    assert "| rule removed | `minimum_support_need` | The support need is at least moderate" in out
    assert "| rule changed | `adult` |  |  | legal basis, text |" in out
    assert "regel" not in out and "før" not in out


def test_a_comparison_in_danish(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "roskilde", "vejle", "soenderborg", "--lang", "da"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Sammenligning: roskilde, vejle, soenderborg\n")
    assert "Dannet af `spstotte diff roskilde vejle soenderborg`; ret ikke i filen." in out
    assert "## Erstatninger og hvorfor" in out and "`vejle` erstatter `handleplan_consider`:" in out
    assert "| tilbudte bevillingsveje (i rækkefølge) | `p85` | `p85` | `p82b`, `p85` |" in out
    assert "overrides" not in out and "Support areas" not in out


def test_diff_in_html_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "roskilde", "vejle", "--format", "html", "--lang", "da"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and '<html lang="da">' in page
    assert "<th>ændring</th>" in page
    assert "<td>regel fjernet</td><td><code>minimum_support_need</code></td>" in page
    assert main(["diff", "roskilde", "vejle", "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Differences: roskilde → vejle\n=============================\n")
    assert "`" not in text and "|" not in text
    assert main(["diff", "roskilde", "vejle", "soenderborg", "--format", "html"]) == 0
    assert "<td><strong>O</strong></td>" in capsys.readouterr().out


def test_the_rulebook_command_writes_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rulebook", "vejle", "--format", "text", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Vejle") and "Replaces the law-layer rule »" in out


# ------------------------------------------------------------ markup in titles is text

MARKUP = "Behov | <b>fed</b> & *stjerne* _streg_ `kode` æøå"
#: MARKUP as a CommonMark renderer writes it back: every character as written, escaped for HTML.
MARKUP_HTML = "Behov | &lt;b&gt;fed&lt;/b&gt; &amp; *stjerne* _streg_ `kode` æøå"

MARKUP_RULES = f"""\
layer: municipality
id: markup
title: {{da: "Regelsæt {MARKUP}", en: "Rule set {MARKUP}"}}
municipality: {{code: 101, name: København}}
sources:
  own: {{file: "fil_navn.txt", publisher: K, title: T, date: x, kind: t, municipality: 101}}
parameters:
  markup_level:
    type: support_need
    value: high
    title: {{da: "Parameter {MARKUP}", en: "Parameter {MARKUP}"}}
    legal_basis:
      sources: [{{source: own, section: "S | 1", quote: ordret citat}}]
rules:
  - id: markup_rule
    title: {{da: "Regel {MARKUP}", en: "Rule {MARKUP}"}}
    legal_basis:
      sources: [{{source: own, section: S, quote: ordret citat}}]
    when: {{fact: support_need, gte: {{param: markup_level}}}}
    then: {{require: {{paths: [p85], on_fail: refuse}}}}
"""


def markdown_to_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def assert_tables_are_whole(html: str) -> None:
    """Every row of every table has as many cells as the table has columns."""
    import re

    tables = re.findall(r"<table>(.*?)</table>", html, re.DOTALL)
    assert tables
    for table in tables:
        widths = {len(re.findall(r"<t[hd][ >]", row))
                  for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)}
        assert len(widths) == 1, table


def assert_no_injected_tags(html: str) -> None:
    assert "<b>" not in html and "<em>" not in html and "<script" not in html
    assert "<strong>stjerne</strong>" not in html and "<code>kode</code>" not in html


@pytest.fixture
def markup(rules_dir: Callable[[str, str], RuleLibrary]) -> ResolvedRuleSet:
    return rules_dir("markup.yaml", MARKUP_RULES).ruleset(101)


def test_markup_in_titles_is_text_in_the_markdown_rulebook(markup: ResolvedRuleSet) -> None:
    for lang, rule in (("da", "Regel"), ("en", "Rule")):
        html = markdown_to_html(rulebook(markup, "markdown", lang))
        assert_no_injected_tags(html)
        assert_tables_are_whole(html)
        assert f"<h4>{rule} {MARKUP_HTML}</h4>" in html
        assert f"<td>Parameter {MARKUP_HTML}</td>" in html
        assert "<td><code>markup_level</code></td>" in html
        assert "<code>fil_navn.txt</code>), S | 1: »ordret citat«</td>" in html
        assert "<code>fil_navn.txt</code>), S: »ordret citat«</li>" in html
    html = markdown_to_html(rulebook(markup, "markdown", "da"))
    assert f"<h1>Regelsæt {MARKUP_HTML}</h1>" in html
    assert "<td>højt (svært, omfattende) støttebehov</td>" in html
    assert "støttebehov (VUM) er mindst højt (svært, omfattende) støttebehov" in html


def test_markup_in_titles_is_escaped_in_the_html_rulebook(markup: ResolvedRuleSet) -> None:
    page = rulebook(markup, "html", "da")
    assert "<b>fed</b>" not in page and "<code>kode</code>" not in page
    escaped = "Behov | &lt;b&gt;fed&lt;/b&gt; &amp; *stjerne* _streg_ `kode` æøå"
    assert f"<title>Regelsæt {escaped}</title>" in page
    assert f"<h4>Regel {escaped}</h4>" in page and f"<td>Parameter {escaped}</td>" in page
    assert_tables_are_whole(page)
    assert rulebook(markup, "text", "da").count(f"Regel {MARKUP}") == 1


def test_markup_in_titles_is_text_in_diffs_and_comparisons(
        library: RuleLibrary, markup: ResolvedRuleSet) -> None:
    from spstotte.render.diff import comparison_markdown, diff_markdown

    roskilde = library.ruleset("roskilde")
    for lang, rule in (("da", "Regel"), ("en", "Rule")):
        diff = diff_rulesets(roskilde, markup, lang)
        html = markdown_to_html(diff_markdown(diff, lang))
        assert_no_injected_tags(html)
        assert_tables_are_whole(html)
        assert f"<td><code>markup_rule</code></td>\n<td></td>\n<td>{rule} {MARKUP_HTML}</td>" \
            in html
        page = diff_markdown(diff, lang, "html")
        assert "<b>fed</b>" not in page
        assert f"<td>{rule} Behov | &lt;b&gt;fed&lt;/b&gt; &amp; *stjerne*" in page
        html = markdown_to_html(comparison_markdown([roskilde, markup], lang))
        assert_no_injected_tags(html)
        assert_tables_are_whole(html)
        assert f"<td><code>markup_rule</code> {rule} {MARKUP_HTML}</td>" in html
        page = comparison_markdown([roskilde, markup], lang, "html")
        assert f"<td><code>markup_rule</code> {rule} Behov | &lt;b&gt;" in page


# ------------------------------------------------------------------------- coverage

def test_the_coverage_table_in_english_danish_and_markdown() -> None:
    from collections import Counter

    from spstotte.scenarios.coverage import CoverageReport, RuleCoverage, coverage_table

    report = CoverageReport({"testby": [
        RuleCoverage("adult", "require", "law", Counter({"met": 2, "not_met": 1})),
        RuleCoverage("never|fired", "inform", "municipality"),
    ]})
    english = coverage_table(report)
    lines = english.splitlines()
    assert lines[0] == "rule coverage: testby"
    assert lines[-1] == "rule coverage: 1/2 rules (50.0%)"
    assert "not exercised: never|fired" in lines
    assert any(line.startswith("   adult") and line.endswith("met 2, not_met 1")
               for line in lines)
    assert any(line.startswith("!  never|fired") for line in lines)
    danish = coverage_table(report, "da")
    assert danish.splitlines()[-1] == "regeldækning: 1/2 regler (50.0%)"
    assert "ikke afprøvet: never|fired" in danish and "regel" in danish.splitlines()[2]
    html = markdown_to_html(coverage_table(report, fmt="markdown"))
    assert_tables_are_whole(html)
    assert "<td><code>never|fired</code></td>" in html
