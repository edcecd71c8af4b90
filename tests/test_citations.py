"""Citations: statutes are cited as statutes, from a catalogue that says what may be cited and
holds the wording; a rule set cites only its own municipality's texts; titles match their basis.

The catalogue's wording is checked against the statute text in ../shared/sources (CI always has
it; elsewhere that one test is skipped and says why).
"""

from __future__ import annotations

from collections.abc import Callable
from textwrap import dedent

import pytest

from conftest import ROOT
from spstotte import RuleLibrary, RuleSetError
from spstotte.lang.ruleformat import LawRef
from spstotte.loader import load_yaml_text
from spstotte.ruleset.resolve import resolve_loaded
from spstotte.ruleset.sources import fold, source_part
from spstotte.ruleset.statutes import check_reference, sections_named, statutes

SOURCES = ROOT / "sources"  # the texts shipped with spstotte (sources/README.md)

HEADER = """\
layer: municipality
id: bad
title: {da: Bad, en: Bad}
municipality: {code: 101, name: København}
sources:
  own: {file: t, publisher: Københavns Kommune, title: T, date: x, kind: t, municipality: 101}
  other: {file: u, publisher: Roskilde Kommune, title: U, date: x, kind: u, municipality: 265}
rules:
  - id: x
    title: @TITLE@
    legal_basis:
@BASIS@
    when: {fact: age, gte: 18}
    then: {inform: {paths: [p85], text: {da: T, en: T}}}
"""

OWN = "      sources: [{source: own, section: S, quote: ordret citat}]"


def diagnostics(rules_dir: Callable[[str, str], RuleLibrary], basis: str,
                title: str = "{da: T, en: T}") -> list[tuple[str, int, int, str, str]]:
    library = rules_dir("bad.yaml", HEADER.replace("@BASIS@", basis).replace("@TITLE@", title))
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101)
    return [(d.code, d.span.line if d.span else 0, d.span.col if d.span else 0, d.message,
             d.hint or "") for d in info.value.diagnostics]


# ------------------------------------------------------------------------ the statute catalogue

def test_a_typo_in_the_section_is_caught_with_the_nearest_provision(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    (found,) = diagnostics(rules_dir, "      law: [{act: serviceloven, section: 58, stk: 1}]\n"
                           + OWN)
    code, line, col, message, hint = found
    assert (code, line, col) == ("R225", 12, 42)
    assert message == "serviceloven § 58 is not in the statute catalogue"
    assert hint.startswith("did you mean serviceloven § 85?")


def test_a_subsection_the_section_does_not_have_is_caught(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    (found,) = diagnostics(rules_dir, "      law: [{act: serviceloven, section: 85, stk: 7}]\n"
                           + OWN)
    assert found[:4] == ("R225", 12, 51,
                         "serviceloven § 85 has no stk. 7 in the statute catalogue")
    assert "serviceloven § 85, stk. 1" in found[4]


def test_a_number_and_an_act_that_do_not_exist_are_caught(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    found = diagnostics(rules_dir, "      law:\n"
                        "        - {act: serviceloven, section: 141, stk: 2, nr: 9}\n"
                        "        - {act: servicelove, section: 85, stk: 1}\n" + OWN)
    assert [(c, m) for c, _, _, m, _ in found] == [
        ("R225", "serviceloven § 141, stk. 2 has no nr. 9 in the statute catalogue"),
        ("R216", "unknown act 'servicelove'")]
    assert found[1][4].startswith("did you mean serviceloven?")


def test_a_law_quote_must_be_in_the_provisions_wording(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    found = diagnostics(rules_dir, dedent("""\
              law:
                - {act: serviceloven, section: 85, stk: 1, quote: "skal tilbyde hjælp, omsorg"}
                - {act: serviceloven, section: 85, stk: 1, quote: "skal ikke tilbyde noget"}
                - {act: serviceloven, section: 97, stk: 1, quote: "ledsagelse til personer"}
        """).rstrip().replace("\n", "\n      ").join(["      ", "\n"]) + OWN)
    assert [(c, line) for c, line, _, _, _ in found] == [("R224", 14), ("R224", 15)]
    assert found[0][3] == ("quote is not in the wording of serviceloven § 85, stk. 1: "
                           "'skal ikke tilbyde noget'")
    assert "the wording of serviceloven § 97, stk. 1 is not in the statute catalogue" in \
        found[1][3]


def test_check_reference_accepts_what_the_catalogue_lists() -> None:
    assert check_reference(LawRef(act="serviceloven", section="82b", stk=2, quote=(
        "kan ikke indbringes for anden administrativ myndighed"))) is None
    assert check_reference(LawRef(act="barnets_lov", section="32", stk=1, nr=2)) is None


def test_every_provision_has_a_title_and_every_wording_its_transcription() -> None:
    catalogue = statutes()
    assert set(catalogue.acts) == {"serviceloven", "retssikkerhedsloven",
                                   "retssikkerhedsloven_2022", "forvaltningsloven",
                                   "barnets_lov", "aeldreloven", "pensionsloven"}
    for act in catalogue.acts.values():
        assert act.consolidation.startswith(("LBK nr.", "LOV nr.")), act.short
        for number, section in act.sections.items():
            assert section.title.da and section.title.en, number
            for stk in section.stk.values():
                assert stk.title.da and stk.title.en and stk.title.da != stk.title.en, number
                if stk.wording is not None:
                    assert stk.transcribed_from in catalogue.transcriptions, number


def test_the_catalogues_wording_is_the_statute_text_in_the_sources() -> None:
    catalogue = statutes()
    checked = 0
    for act in catalogue.acts.values():
        for number, section in act.sections.items():
            for stk_number, stk in section.stk.items():
                if stk.wording is None:
                    continue
                doc = catalogue.transcriptions[stk.transcribed_from or ""]
                text = fold((SOURCES / doc.file).read_text(encoding="utf-8"))
                # Page footers (web addresses) fall mid-text in the extraction.
                text = " ".join(w for w in text.split() if not w.startswith("http"))
                assert fold(stk.wording) in text, f"{act.short} § {number}, stk. {stk_number}"
                checked += 1
    assert checked >= 5


def test_every_law_quote_of_the_bundled_rules_is_checked_against_the_catalogue(
        library: RuleLibrary) -> None:
    quotes = 0
    for municipality in library.municipalities():
        ruleset = library.ruleset(municipality.code)
        bases = [r.legal_basis for r in ruleset.rules] + [p.legal_basis for p in
                                                          ruleset.paths.values()]
        for basis in bases:
            for ref in basis.law:
                assert check_reference(ref) is None, ref
                quotes += ref.quote is not None
    assert quotes >= 10


def test_the_age_limit_cites_the_provision_that_sets_it(library: RuleLibrary) -> None:
    rule = library.ruleset(265).rule("adult")
    cited = [(r.act, r.section, r.stk, r.nr) for r in rule.legal_basis.law]
    assert cited[0] == ("serviceloven", "2", 1, None)
    assert ("serviceloven", "81", 1, None) not in cited


def test_a_handlekommune_forwarding_cites_the_stk_that_applies(library: RuleLibrary) -> None:
    ruleset = library.ruleset(265)
    placement = [(r.act, r.section, r.stk) for r in
                 ruleset.rule("handlekommune_placement").legal_basis.law]
    residence = [(r.act, r.section, r.stk) for r in
                 ruleset.rule("handlekommune_residence").legal_basis.law]
    assert ("retssikkerhedsloven", "9", 3) in placement
    assert ("retssikkerhedsloven", "9", 1) not in placement
    assert ("retssikkerhedsloven", "9", 1) in residence


# -------------------------------------------------------------------------- whose texts

def test_a_municipality_cannot_cite_another_municipalitys_text(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    (found,) = diagnostics(rules_dir, "      sources: [{source: other, section: S, quote: "
                                      "ordret citat}]")
    assert found[:3] == ("R226", 12, 26)
    assert "'other', municipality 265 (Roskilde Kommune)" in found[3]


def test_a_municipality_cannot_cite_a_national_text_as_its_service_level(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    (found,) = diagnostics(rules_dir, "      sources: [{source: national_borgerdk_2021, "
                                      "section: S, quote: ordret citat}]")
    assert found[0] == "R226" and "a national text (borger.dk" in found[3]


def test_the_law_layer_cannot_cite_a_municipalitys_text(library: RuleLibrary) -> None:
    extra = load_yaml_text(dedent("""\
        layer: law
        id: extra
        title: {da: E, en: E}
        sources:
          kommune: {file: k.txt, publisher: Roskilde Kommune, title: K, date: udateret,
                    kind: k, municipality: 265}
        rules:
          - id: extra_rule
            title: {da: E, en: E}
            legal_basis:
              law: [{act: serviceloven, section: 85, stk: 1}]
              sources: [{source: kommune, section: S, quote: ordret citat}]
            when: {fact: age, gte: 30}
            then: derive
        """), "rules/extra.yaml")
    with pytest.raises(RuleSetError) as info:
        resolve_loaded([*library._law_files(), extra], None)
    (found,) = info.value.diagnostics
    assert found.code == "R226" and found.span is not None and found.span.line == 12
    assert "the law layer cites 'kommune', a text of municipality 265" in found.message


def test_no_bundled_rule_set_cites_another_publishers_text(library: RuleLibrary) -> None:
    for municipality in library.municipalities():
        ruleset = library.ruleset(municipality.code)
        for rule in ruleset.rules:
            for ref in rule.legal_basis.sources:
                owner = ruleset.sources[ref.source].municipality
                assert owner in (None, municipality.code), (ruleset.id, rule.id, ref.source)
                if owner is None:
                    assert rule.layer == "law", (ruleset.id, rule.id)


def test_vejles_page_is_split_between_vejle_and_the_ministry(library: RuleLibrary) -> None:
    doc = library.ruleset(630).sources["vejle_paedagogisk_stoette"]
    text = fold((SOURCES / doc.file).read_text(encoding="utf-8"))
    parts = [source_part(text, p.starts, p.ends) for p in doc.parts]
    assert all(parts)
    ministry = "Socialpædagogisk bistand er støtte til opgaver, du ikke selv er i stand til"
    assert ministry in text and not any(ministry in (p or "") for p in parts)
    assert any("Du kan søge pædagogisk støtte, hvis du over 18 år" in (p or "") for p in parts)


# ------------------------------------------------------------------------ titles and bases

def test_a_title_that_names_a_provision_must_cite_it(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    (found,) = diagnostics(rules_dir, "      law: [{act: serviceloven, section: 12, stk: 1}]\n"
                           + OWN, title="{da: Rådgivning (§§ 10 og 12), en: Advice (ss. 10 "
                                        "and 12)}")
    assert found[:3] == ("R227", 10, 12)
    assert found[3].startswith("the title names § 10, which its legal basis does not cite")


def test_sections_named_reads_danish_and_english_citations() -> None:
    assert sections_named("rådgivning og vejledning (serviceloven §§ 10 og 12)") == ["10", "12"]
    assert sections_named("handleplan (§ 141, stk. 2) og § 85 a") == ["141", "85 a"]
    assert sections_named("the Children's Act ss. 122 and 123(3)") == ["122", "123"]
    assert sections_named("a course under s. 82 b") == ["82 b"]
    assert sections_named("Kommunen skal tilbyde en handleplan") == []
