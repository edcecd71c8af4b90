"""Provenance: every rule cites its legal basis, and every quote is in its source text.

The quotes are checked against the texts shipped in sources/, and those against the project's
source collection in ../shared/sources, which CI always has (outside CI, without it, only that
one comparison is skipped, and says why).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import RuleLibrary
from spstotte.ruleset.resolve import ResolvedRuleSet
from spstotte.ruleset.sources import check_quotes

SOURCES = ROOT / "sources"  # the texts shipped with spstotte (sources/README.md)


def rulesets(library: RuleLibrary) -> list[ResolvedRuleSet]:
    return [library.ruleset(m.code) for m in library.municipalities()]


def test_there_are_three_municipal_rule_sets(library: RuleLibrary) -> None:
    assert sorted((m.slug, m.code) for m in library.municipalities()) == [
        ("roskilde", 265), ("soenderborg", 540), ("vejle", 630)]


def test_every_quote_occurs_in_its_source(library: RuleLibrary) -> None:
    problems = []
    for ruleset in rulesets(library):
        assert ruleset.citations, ruleset.id
        problems += [f"{ruleset.id}: {d}" for d in check_quotes(ruleset, SOURCES)]
    assert not problems, "\n".join(problems)


def test_the_quote_check_names_the_rule_and_the_quote(library: RuleLibrary) -> None:
    ruleset = library.ruleset(265)
    citation = next(c for c in ruleset.citations if c.cited_by == "rule minimum_support_need")
    from dataclasses import replace
    broken = replace(ruleset, citations=(replace(citation, quote="et helt andet citat"),))
    (problem,) = check_quotes(broken, SOURCES)
    assert problem.code == "R212"
    assert "rule minimum_support_need" in problem.message
    assert "'et helt andet citat'" in problem.message
    assert problem.span == citation.span


SHARED = ROOT.parent / "shared" / "sources"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the source collection is not at {SHARED} "
                    "(CI has it); the shipped copies cannot be compared with it here")
def test_the_shipped_texts_are_the_source_collection_byte_for_byte() -> None:
    shipped = {path.name: path.read_bytes() for path in SOURCES.glob("*.txt")}
    collection = {path.name: path.read_bytes() for path in SHARED.glob("*.txt")}
    assert shipped == collection


def test_validation_needs_nothing_outside_the_package(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """From a folder with no ../shared beside it, every bundled quote is still checked."""
    from spstotte.cli.validate import validate_paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPSTOTTE_SOURCES", raising=False)
    diagnostics, checked = validate_paths([])
    assert [Path(name).name for name in checked] == [
        "law", "roskilde.yaml", "soenderborg.yaml", "vejle.yaml"]
    assert [d for d in diagnostics if d.code in ("L405", "R211", "R212")] == []


def test_every_law_layer_rule_cites_law_paragraph_and_stk(library: RuleLibrary) -> None:
    for ruleset in rulesets(library):
        for rule in ruleset.rules:
            if rule.layer != "law":
                continue
            assert rule.legal_basis.law, rule.id
            for ref in rule.legal_basis.law:
                assert ref.act in ruleset.acts and ref.section and ref.stk, (rule.id, ref)


def test_every_municipal_rule_cites_its_own_municipality(library: RuleLibrary) -> None:
    for ruleset in rulesets(library):
        for rule in ruleset.rules:
            if rule.layer != "municipality":
                continue
            cited = {ruleset.sources[s.source].municipality for s in rule.legal_basis.sources}
            assert ruleset.municipality_code in cited, (ruleset.id, rule.id)
            for source in rule.legal_basis.sources:
                assert source.section.strip() and len(source.quote) >= 8


def test_sources_are_cited_by_their_real_identity(library: RuleLibrary) -> None:
    for ruleset in rulesets(library):
        for name, doc in ruleset.sources.items():
            assert doc.publisher and doc.title and doc.date and doc.file.endswith(".txt"), name


def test_texts_are_in_danish_and_english(library: RuleLibrary) -> None:
    for ruleset in rulesets(library):
        for rule in ruleset.rules:
            assert rule.title.da.strip() and rule.title.en.strip(), rule.id
            assert rule.title.da != rule.title.en or rule.layer == "generated", rule.id
