"""Letters as a municipal lawyer reads them: whose texts they cite, what they disclose, what a
request for information asks, the appeal guidance, the municipality's own letterhead, and
documents whose titles hold | < & and Danish letters."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import ROOT
from spstotte import Outcome, RuleLibrary, RuleSetError, Verdict
from spstotte.render.decision import decision_text, letter_kind, provisions_relied_on
from spstotte.render.documents import Document, markdown_escape, render
from spstotte.scenarios.format import find_scenario_files, load_scenarios

ON = "2026-11-23"

#: The publishers of every bundled municipality's texts, as they would appear in a letter.
PUBLISHERS = {265: "Roskilde Kommune, Voksenservice", 540: "Sønderborg Kommune",
              630: "Vejle Kommune, Myndighedsafdelingen"}


def all_scenario_verdicts(library: RuleLibrary) -> list[tuple[str, Verdict]]:
    out = []
    for path in find_scenario_files([ROOT / "municipalities" / "scenarios"]):
        for scenario in load_scenarios(path):
            verdict = library.evaluate(scenario.profile, municipality=scenario.municipality,
                                       on=scenario.on)
            out.append((scenario.location, verdict))
    return out


@pytest.fixture(scope="module")
def scenario_verdicts(library: RuleLibrary) -> list[tuple[str, Verdict]]:
    return all_scenario_verdicts(library)


# ------------------------------------------------------------------------------- citations

def test_every_letter_cites_only_its_own_municipality_and_the_statutes(
        scenario_verdicts: list[tuple[str, Verdict]]) -> None:
    outcomes = set()
    for where, verdict in scenario_verdicts:
        outcomes.add((verdict.municipality, verdict.outcome))
        text = decision_text(verdict)
        for code, publisher in PUBLISHERS.items():
            if code != verdict.municipality:
                assert publisher not in text, (where, publisher)
        assert "borger.dk" not in text, where
        for basis_line in re.findall(r"\[Hjemmel: ([^\]]*)\]", text):
            for part in basis_line.split("; "):
                assert part.startswith(("serviceloven", "retssikkerhedsloven",
                                        "forvaltningsloven", "barnets lov", "ældreloven",
                                        "lov om social pension", PUBLISHERS[verdict.municipality])
                                       ), (where, part)
    # Every outcome of every bundled municipality was seen.
    for code in PUBLISHERS:
        for outcome in (Outcome.GRANTED_85, Outcome.REFUSED, Outcome.REFERRED,
                        Outcome.NEEDS_INFORMATION, Outcome.FORWARDED):
            assert (code, outcome) in outcomes, (code, outcome)
    assert (540, Outcome.GRANTED_82B) in outcomes


def test_every_decision_lists_exactly_the_provisions_its_reasons_rest_on(
        scenario_verdicts: list[tuple[str, Verdict]]) -> None:
    for where, verdict in scenario_verdicts:
        if letter_kind(verdict) == "request":
            continue
        cited = [law.citation for law in provisions_relied_on(verdict)]
        expected = {law.citation for r in verdict.reasons for law in r.legal_basis.law}
        expected |= {law.citation for p in verdict.paths if p.decided
                     for law in p.legal_basis.law}
        if verdict.outcome is Outcome.REFERRED:
            expected |= {law.citation for r in verdict.referrals for law in r.legal_basis.law}
        if verdict.granted:
            expected |= {law.citation for o in verdict.obligations
                         for law in o.legal_basis.law}
        if verdict.forward_to is not None:
            expected |= {law.citation for law in verdict.forward_to.legal_basis.law}
        assert set(cited) == expected, where
        assert len(cited) == len(set(cited)), where


def test_a_refusal_for_age_cites_the_age_limit_not_the_handleplan(library: RuleLibrary) -> None:
    verdict = library.evaluate({"birth_date": "2010-01-01", "residence_municipality": 265},
                               municipality=265, on=ON)
    cited = [law.citation for law in provisions_relied_on(verdict)]
    assert "serviceloven § 2, stk. 1" in cited
    assert not any(c.startswith(("serviceloven § 141", "serviceloven § 83", "serviceloven § 97",
                                 "retssikkerhedsloven § 9", "forvaltningsloven § 7",
                                 "forvaltningsloven § 8")) for c in cited), cited


# ------------------------------------------------------------------------- what is disclosed

THIRD_PARTY = {"birth_date": "1980-02-02", "residence_municipality": 265,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "physical_impairment": "none", "social_problems": ["substance_abuse"],
               "support_need": "high", "applicant": "relative"}


@pytest.mark.parametrize("consent", ["not_yet_given", "refused"])
def test_a_letter_to_someone_applying_without_consent_discloses_nothing_about_the_citizen(
        library: RuleLibrary, consent: str) -> None:
    verdict = library.evaluate({**THIRD_PARTY, "consent": consent}, municipality=265, on=ON)
    assert verdict.outcome in (Outcome.NEEDS_INFORMATION, Outcome.CLOSED)
    text = decision_text(verdict)
    sent = text.split("Til sagsbehandleren – sendes ikke")[0]
    for private in ("funktionsevne", "misbrug", "Støttebehov", "støttebehov", "VUM",
                    "Oplysninger, som afgørelsen bygger på", "psykisk"):
        assert private not in sent, private
    assert "forvaltningsloven § 27" in sent
    assert "Brevet sendes til den pårørende" in sent


def test_with_consent_the_applicant_gets_the_full_reasons(library: RuleLibrary) -> None:
    verdict = library.evaluate({**THIRD_PARTY, "consent": "given", "met_by_advice": False,
                                "met_by_open_offers": False, "covered_by_provision": [],
                                "specialist_treatment_sought": False},
                               municipality=265, on=ON)
    assert verdict.outcome is Outcome.GRANTED_85
    text = decision_text(verdict)
    assert "forvaltningsloven § 27" not in text


# ------------------------------------------------------------------ requests for information

def test_a_request_asks_the_citizen_only_what_the_citizen_can_answer(
        library: RuleLibrary) -> None:
    verdict = library.evaluate({"birth_date": "1990-01-01", "residence_municipality": 540,
                                "applicant": "self"}, municipality=540, on=ON)
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    text = decision_text(verdict)
    assert text.splitlines()[2].startswith("Anmodning om oplysninger: din ansøgning om")
    citizen, internal = text.split("Til sagsbehandleren – sendes ikke")
    assert "Vurdér" not in citizen and "VUM" not in citizen
    assert "Vurdér borgerens støttebehov efter VUM." in internal
    assert "- Hvordan du bor, fx i egen bolig" in citizen
    # Asked once the housing is known, not before.
    assert "anvist dig det botilbud" not in citizen
    assert "[UDFYLDES: frist for svar" in citizen
    assert "retssikkerhedsloven § 10" in citizen and "retssikkerhedsloven § 11" in citizen
    assert "Klagevejledning" not in text and "Afgørelse\n" not in text


def test_a_request_with_nothing_for_the_citizen_to_do_says_so(library: RuleLibrary) -> None:
    profile = {"birth_date": "1990-01-01", "residence_municipality": 265, "applicant": "self",
               "living_situation": {"kind": "own_home"}, "current_help": [],
               "specialist_treatment_sought": False, "mental_impairment": "severe"}
    verdict = library.evaluate(profile, municipality=265, on=ON)
    assert verdict.outcome is Outcome.NEEDS_INFORMATION
    text = decision_text(verdict)
    assert "Du skal ikke gøre noget nu." in text and "Send os disse oplysninger" not in text


# ---------------------------------------------------------------------------- what is granted

def test_a_grant_states_what_is_granted(library: RuleLibrary) -> None:
    profile = {"birth_date": "1990-05-01", "residence_municipality": 265,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "physical_impairment": "none", "social_problems": [], "support_need": "moderate",
               "met_by_advice": False, "met_by_open_offers": False, "covered_by_provision": [],
               "specialist_treatment_sought": False, "applicant": "self",
               "requested_support_areas": ["practical_tasks"]}
    verdict = library.evaluate(profile, municipality=265, on=ON)
    text = decision_text(verdict)
    granted = text.split("Det får du\n----------\n", 1)[1].split("\n\n\n")[0]
    assert "- Støtte: socialpædagogisk støtte efter serviceloven § 85." in granted
    assert "- Støtten omfatter: " in granted
    assert "[UDFYLDES: støttens omfang" in granted
    assert "Varighed: støtten er ikke tidsbegrænset" in granted
    # Roskilde's follow-up after 3, 6 and 12 months, with dates.
    assert "23. februar 2027" in granted and "23. november 2027" in granted


def test_vejles_grant_keeps_its_promise_of_reasons_in_the_letter_itself(
        library: RuleLibrary) -> None:
    profile = {"birth_date": "1990-05-01", "residence_municipality": 630,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "physical_impairment": "none", "social_problems": [], "support_need": "moderate",
               "met_by_advice": False, "met_by_open_offers": False, "covered_by_provision": [],
               "applicant": "self"}
    verdict = library.evaluate(profile, municipality=630, on=ON)
    assert verdict.outcome is Outcome.GRANTED_85
    text = decision_text(verdict)
    assert "Begrundelse\n" in text
    assert "brev med afgørelsen" not in text and "Brevet begrunder" not in text
    # Roskilde promises no reasons for a full grant: forvaltningsloven § 22.
    roskilde = decision_text(library.evaluate({**profile, "residence_municipality": 265,
                                               "specialist_treatment_sought": False},
                                              municipality=265, on=ON))
    assert "Begrundelse\n" not in roskilde and "forvaltningsloven § 22" in roskilde


# ------------------------------------------------------------------------------------ appeal

def test_a_straksforloeb_cannot_be_appealed_but_the_section_85_part_can(
        library: RuleLibrary) -> None:
    profile = {"birth_date": "1990-05-01", "residence_municipality": 540,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "light",
               "physical_impairment": "none", "social_problems": [], "support_need": "light",
               "met_by_advice": False, "met_by_open_offers": False, "covered_by_provision": [],
               "improvement_expected": True, "applicant": "self"}
    verdict = library.evaluate(profile, municipality=540, on=ON)
    assert verdict.outcome is Outcome.GRANTED_82B
    assert {(g.path, g.appealable) for g in verdict.appeal} == {("p82b", False), ("p85", True)}
    appeal = decision_text(verdict).split("Klagevejledning\n---------------\n", 1)[1]
    assert "kan ikke indbringes for anden administrativ myndighed" in appeal
    assert "Du kan derimod klage over afgørelsen om socialpædagogisk støtte efter " \
           "serviceloven § 85" in appeal
    assert "skriftligt eller mundtligt" in appeal and "Ankestyrelsen" in appeal
    assert "senest den 21. december 2026" in appeal


# ------------------------------------------------------------------ the municipality's letter

def test_vejles_letterhead_comes_from_its_own_template_and_text(library: RuleLibrary) -> None:
    verdict = library.evaluate({"birth_date": "2010-01-01", "residence_municipality": 630},
                               municipality=630, on=ON)
    text = decision_text(verdict)
    assert text.splitlines()[:3] == [
        "VEJLE KOMMUNE", "Myndighedsafdelingen – handicap og socialpædagogisk team",
        "Vestre Engvej 51B, 4. sal, Sundhedshuset, 7100 Vejle"]
    assert "Tlf. 76 81 80 98" in text
    page = decision_text(verdict, fmt="html")
    assert 'style="font-size: 1.4em; font-weight: bold; color: #00576b;">Vejle Kommune' in page
    # Without a template of its own, a municipality gets the bundled letterhead.
    roskilde = decision_text(library.evaluate({"birth_date": "2010-01-01",
                                               "residence_municipality": 265},
                                              municipality=265, on=ON))
    assert roskilde.splitlines()[0] == "Roskilde Kommune"


TESTBY = """\
layer: municipality
id: testby
title: {da: Testby, en: Testby}
municipality: {code: 101, name: København}
letter:
  sender: [Testby Kommune, Rådhuset]
  templates: @TEMPLATES@
"""


def test_a_municipality_supplies_its_own_template(tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    (folder / "brevskabeloner").mkdir(parents=True)
    (folder / "testby.yaml").write_text(TESTBY.replace("@TEMPLATES@", "brevskabeloner"),
                                        encoding="utf-8")
    (folder / "brevskabeloner" / "letter.text.j2").write_text(
        '{% extends "spstotte/letter.text.j2" %}\n'
        "{% block signature %}Venlig hilsen fra {{ meta.sender[1] }}\n\n{% endblock %}\n",
        encoding="utf-8")
    library = RuleLibrary(municipality_dirs=[folder])
    verdict = library.evaluate({"birth_date": "2010-01-01"}, municipality=101, on=ON)
    text = decision_text(verdict, library=library)
    assert text.startswith("Testby Kommune\nRådhuset\n")
    assert "Venlig hilsen fra Rådhuset" in text and "Med venlig hilsen" not in text
    # The formats it has no template for use the bundled ones.
    assert "<h2>Afgørelse</h2>" in decision_text(verdict, fmt="html", library=library)


def test_a_missing_template_folder_is_an_error_at_its_position(tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "testby.yaml").write_text(TESTBY.replace("@TEMPLATES@", "mangler"),
                                        encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        RuleLibrary(municipality_dirs=[folder]).ruleset(101)
    (found,) = info.value.diagnostics
    assert found.code == "R228" and found.span is not None
    assert (found.span.line, found.span.col) == (7, 14)


# ----------------------------------------------------------------------- wording, escaping

def test_no_letter_leaves_a_placeholder_or_a_python_value(
        scenario_verdicts: list[tuple[str, Verdict]]) -> None:
    for where, verdict in scenario_verdicts:
        for lang in ("da", "en"):
            text = decision_text(verdict, lang)
            assert not re.search(r"\{[a-z_]+\}|\bNone\b|\bTrue\b|\bFalse\b", text), where
            if lang == "da":
                assert "Det kræver, at i " not in text and "Mangler: Borgeren" not in text
                assert "Ikke opfyldt: Borgeren" not in text


def test_every_requirement_reads_as_a_clause_after_det_kraever_at(
        library: RuleLibrary) -> None:
    for municipality in library.municipalities():
        verdict = library.evaluate({"birth_date": "2010-01-01"},
                                   municipality=municipality.code, on=ON)
        for requirement in (*verdict.unmet_requirements, *verdict.undetermined_requirements):
            clause = requirement.expected.da
            assert clause[:1].islower() or clause[:2].isupper(), clause
            assert not clause.startswith(("i ", "ikke:", "det er ikke sådan")), clause


MARKUP = 'Støtte | "hjælp" <b>fed</b> & *stjerne* _streg_ æøå'


def test_markup_characters_render_as_text_in_markdown_and_html() -> None:
    doc = Document(title=MARKUP, lang="da")
    doc.h(1, MARKUP)
    doc.p(MARKUP)
    doc.ul([MARKUP])
    doc.table(["regel | titel", "<kolonne>"], [[MARKUP, "a & b"]])
    markdown = render(doc, "markdown")
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    # Rendered, every text is back exactly as written: no tags, no split table cells.
    assert "<b>" not in html and "<em>" not in html and "<strong>" not in html
    assert html.count("Støtte | &quot;hjælp&quot; &lt;b&gt;fed&lt;/b&gt; &amp; *stjerne* "
                      "_streg_ æøå") == 4
    assert "<th>regel | titel</th>" in html and "<th>&lt;kolonne&gt;</th>" in html
    page = render(doc, "html")
    assert "<b>fed</b>" not in page
    assert "Støtte | &#34;hjælp&#34; &lt;b&gt;fed&lt;/b&gt; &amp; *stjerne* _streg_ æøå" in page
    assert "<title>Støtte | &#34;hjælp&#34; &lt;b&gt;fed" in page
    assert render(doc, "text").startswith(MARKUP + "\n" + "=" * len(MARKUP))


def test_markdown_escape_is_reversible_by_a_commonmark_renderer() -> None:
    for text in ("a|b", "[link](x)", "# not a heading", "`code`", "a\\b", "x < y & z"):
        rendered = MarkdownIt("commonmark").renderInline(markdown_escape(text))
        assert rendered == text.replace("&", "&amp;").replace("<", "&lt;"), text


def test_a_rule_title_with_markup_is_text_in_the_html_letter(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    library = rules_dir("markup.yaml", """\
layer: municipality
id: markup
title: {da: M, en: M}
municipality: {code: 101, name: København}
sources:
  own: {file: t, publisher: Københavns Kommune, title: T, date: x, kind: t, municipality: 101}
rules:
  - id: markup_rule
    title: {da: "Behov <script>alert(1)</script> & | mere", en: "Need <script> & |"}
    legal_basis:
      sources: [{source: own, section: S, quote: ordret citat}]
    when: {fact: support_need, gte: high}
    then: {require: {paths: [p85], on_fail: refuse}}
""")
    verdict = library.evaluate({"birth_date": "1990-01-01", "residence_municipality": 101,
                                "support_need": "moderate"}, municipality=101, on=ON)
    page = decision_text(verdict, fmt="html", library=library)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; |" in page
