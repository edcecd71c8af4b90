"""Diagnostics policy staff understand (issue 12): every problem in Danish and English from the
text catalogue, the parser's and pydantic's wording in plain words, a did-you-mean for values,
one error for a wrong municipality code, and the line of the file with a caret under the column.
"""

from __future__ import annotations

import ast
import json
import re
import string
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from spstotte import CitizenProfile, ProfileError, RuleLibrary, RuleSetError
from spstotte.cli.main import main
from spstotte.cli.validate import validate_paths
from spstotte.errors import (
    CODE_GROUPS,
    ERROR_CODES,
    CatalogueError,
    Diagnostic,
    Message,
    Severity,
    Span,
    source_excerpt,
)
from spstotte.loader import load_yaml_text
from spstotte.texts import diagnostics_catalogue as catalogue

SRC = ROOT / "src" / "spstotte"
LANGS = ("da", "en")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ------------------------------------------------------------------------- the catalogue

def test_every_code_has_a_title_explanation_and_fix_in_danish_and_english() -> None:
    entries = catalogue()["error_codes"]
    assert set(entries) - {"groups", "page"} == set(ERROR_CODES)
    assert set(entries["groups"]) == set(CODE_GROUPS) == {code[0] for code in ERROR_CODES}
    for code, entry in ERROR_CODES.items():
        for part in ("title", "explanation", "fix"):
            da, en = entry.words(part, "da"), entry.words(part, "en")
            assert da.strip() and en.strip() and not re.search(r"\{[a-z_]+\}", da + en)
            assert da != en, (code, part)  # translated, not copied
    assert ERROR_CODES["R203"].title == "value does not fit the fact"
    assert ERROR_CODES["R203"].words("title", "da") == "værdien passer ikke til oplysningen"


def _diagnostic_entries() -> dict[str, dict[str, Any]]:
    """Every message entry of ``diagnostics:`` by dotted key (``R103.nested``)."""
    found: dict[str, dict[str, Any]] = {}
    for code, node in catalogue()["diagnostics"].items():
        if "message" in node:
            found[code] = node
        else:
            found.update({f"{code}.{variant}": sub for variant, sub in node.items()})
    return found


def test_every_diagnostic_has_its_words_in_both_languages_with_the_same_values() -> None:
    entries = _diagnostic_entries()
    assert len(entries) > 150
    assert {key.split(".")[0] for key in entries} <= set(ERROR_CODES)
    for key, entry in entries.items():
        assert set(entry) <= {"message", "hint"}, key
        for part, forms in entry.items():
            assert set(forms) == set(LANGS) and all(forms[lang].strip() for lang in LANGS), key
            assert placeholders(forms["da"]) == placeholders(forms["en"]), (key, part)


#: Helpers whose code is not an argument of the call: (file, function) -> (code, index of the
#: variant argument).
IMPLIED = {("loader.py", "at"): ("Y001", 0), ("project.py", "fail"): ("C002", 1),
           ("errors.py", "ProfileProblem.of"): ("P100", 1),
           ("library.py", "ProfileProblem.of"): ("P100", 1),
           ("facts.py", "ProfileProblem.of"): ("P100", 1),
           ("profile.py", "ProfileProblem.of"): ("P100", 1)}
CODE = re.compile(r"^[A-Z]\d{3}$")


def _constant(node: ast.expr) -> list[str | None] | None:
    """The strings (or None) an argument can be: a constant, or either side of ``a if c else
    b``; None if it is computed."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return [node.value]
    if isinstance(node, ast.IfExp):
        sides = [_constant(node.body), _constant(node.orelse)]
        return None if None in sides else [*sides[0], *sides[1]]  # type: ignore[misc]
    return None


def _code(node: ast.expr) -> list[str] | None:
    """A code argument: "R103", ``"R103" if c else "R102"``, or f"{prefix}103" (read as R)."""
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[-1], ast.Constant):
        tail = str(node.values[-1].value)
        return [f"R{tail}"] if re.fullmatch(r"\d{3}", tail) else None
    values = _constant(node)
    if values and all(isinstance(v, str) and CODE.match(v) for v in values):
        return [str(v) for v in values]
    return None


def _call_sites() -> list[tuple[str, int, str, set[str], bool]]:
    """Every call that names a diagnostic's words: (file, line, catalogue key, the values it
    passes, whether it passes more with ``**``)."""
    sites = []
    for path in sorted(SRC.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            given = {k.arg for k in call.keywords if k.arg}
            spread = any(k.arg is None for k in call.keywords)
            function = ast.unparse(call.func).removeprefix("self.").removeprefix("cls.")
            keys: list[str] = []
            implied = IMPLIED.get((path.name, function))
            if implied is not None and len(call.args) > implied[1]:
                variants = _constant(call.args[implied[1]]) or []
                keys = [f"diagnostics.{implied[0]}.{v}" for v in variants if v]
            elif function == "Message.of" and call.args:
                keys = [str(v) for v in _constant(call.args[0]) or [] if v]
            else:
                for i, arg in enumerate(call.args[:-1]):
                    codes, variants = _code(arg), _constant(call.args[i + 1])
                    if codes and variants is not None:
                        keys = [f"diagnostics.{c}" + (f".{v}" if v else "")
                                for c in codes for v in variants]
                        break
            sites += [(path.name, call.lineno, key, given, spread) for key in keys]
    return sites


def _node(key: str) -> dict[str, Any]:
    from spstotte.texts import node

    found: dict[str, Any] = node(key)
    return found


def test_every_call_site_names_words_that_exist_and_fills_all_their_values() -> None:
    sites = _call_sites()
    assert len(sites) > 200  # the scan finds the call sites, not nothing
    problems = []
    for file, line, key, given, spread in sites:
        try:
            node = _node(key)
        except KeyError:
            problems.append(f"{file}:{line}: {key} is not in diagnostics.yaml")
            continue
        forms = [node] if set(node) == set(LANGS) else list(node.values())
        needed = set().union(*(placeholders(form[lang]) for form in forms for lang in LANGS))
        if not spread and needed - given:
            problems.append(f"{file}:{line}: {key} needs {sorted(needed - given)}")
    assert problems == []


def test_the_call_site_check_finds_a_missing_value(tmp_path: Path) -> None:
    # The scan reads the sources; a call that forgets a value is what it must catch.
    code = 'Diagnostic.of("R209", None, span)\nMessage.of("problems.did_you_mean")\n'
    calls = [c for c in ast.walk(ast.parse(code)) if isinstance(c, ast.Call)]
    assert [_code(calls[0].args[0]), _constant(calls[0].args[1])] == [["R209"], [None]]
    assert placeholders(_node("diagnostics.R209")["message"]["en"]) == {"cycle"}
    with pytest.raises(KeyError):
        Diagnostic.of("R209", None, None)  # the English words are filled in at once
    with pytest.raises(KeyError):
        Message.of("problems.did_you_mean").render("da")


#: Words that are written with æ, ø or å in Danish (a typist without them writes ae/oe/aa).
_IDENTIFIER = re.compile(r"\{[^}]*\}|'[^']*'|`[^`]*`|\"[^\"]*\"|\S*[_./\d]\S*")


def _ascii_spellings(text: str) -> list[str]:
    """Words of a Danish text spelt with ae, oe or aa, leaving out identifiers: values in
    {braces}, quotes or backticks, and names with _ . / or digits."""
    words = re.findall(r"[^\W\d_]+", _IDENTIFIER.sub(" ", text))
    return [w for w in words if re.search("ae|oe|aa", w, re.IGNORECASE)
            and w.lower() not in {"ae", "oe", "aa"} and not w.lower().endswith(_REAL_OE)]


#: Danish words whose "oe" is two letters, not ø: a date (dato) with its article.
_REAL_OE = ("datoen", "datoer", "datoerne")


def _danish_texts() -> list[tuple[str, str]]:
    out = []

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict) and set(node) == set(LANGS):
            out.append((key, node["da"]))
        elif isinstance(node, dict):
            for name, child in node.items():
                walk(child, f"{key}.{name}")

    for section in ("report", "errors", "problems", "error_codes", "diagnostics"):
        walk(catalogue()[section], section)
    return out


def test_the_danish_words_are_spelt_with_ae_oe_and_aa_letters() -> None:
    texts = _danish_texts()
    assert len(texts) > 400
    assert [(key, _ascii_spellings(da)) for key, da in texts if _ascii_spellings(da)] == []
    joined = " ".join(da for _, da in texts)
    for letter in "æøå":
        assert joined.count(letter) > 50, letter
    for word in ("fejl", "advarsel", "tip", "linje", "kolonne", "nøgle", "værdi"):
        assert re.search(rf"\b{word}", joined), word


def test_the_spelling_check_finds_ascii_danish_and_spares_identifiers() -> None:
    assert _ascii_spellings("noeglen {key!r} mangler en vaerdi paa linjen") == \
        ["noeglen", "vaerdi", "paa"]
    assert _ascii_spellings("skriv ae for æ: 'stoettebehov', aeldreloven_x, {aeldre}") == []
    assert _ascii_spellings("afgørelsesdatoen, `aeldreloven`") == []


def test_a_broken_catalogue_is_reported_with_its_position(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    import spstotte.texts as texts

    broken = tmp_path / "diagnostics.yaml"
    broken.write_text((SRC / "diagnostics.yaml").read_text(encoding="utf-8")
                      + "report:\n  x: 1\n", encoding="utf-8")
    monkeypatch.setattr(texts, "_DIAGNOSTICS", broken)
    with pytest.raises(CatalogueError, match=r"diagnostics.yaml:\d+:1: \[Y002\]"):
        texts.diagnostics_catalogue.__wrapped__()  # not the cached one the other tests read


# ------------------------------------------------------------------- rendering in a language

def test_a_diagnostic_renders_in_danish_and_english_from_its_values() -> None:
    d = Diagnostic.of("R201", "close", Span("m.yaml", 12, 7), fact="suport_need",
                      suggestion="support_need")
    assert d.message == "unknown fact 'suport_need'"  # English, as before
    assert d.format("en") == ("m.yaml:12:7: error[R201] unknown fact 'suport_need'\n"
                              "  hint: did you mean 'support_need'? Facts are listed in "
                              "docs/facts.md")
    assert d.one_line("da") == ("m.yaml:12:7: fejl[R201] ukendt oplysning 'suport_need'; tip: "
                                "mente du 'support_need'? Oplysningerne står i docs/facts.md")
    assert d.to_dict("da") == {"code": "R201", "severity": "error", "file": "m.yaml",
                               "line": 12, "col": 7,
                               "message": "ukendt oplysning 'suport_need'",
                               "hint": "mente du 'support_need'? Oplysningerne står i "
                                       "docs/facts.md"}
    warning = Diagnostic.of("L402", None, None, severity=Severity.WARNING, name="x")
    assert warning.format("da").startswith("advarsel[L402] parameteren 'x' bruges aldrig")
    # A diagnostic made from a message alone says it in every language.
    plain = Diagnostic("R104", "as written", None, "a hint")
    assert plain.format("da") == "fejl[R104] as written\n  tip: a hint"


def test_errors_with_words_render_in_danish_and_pickle_with_them() -> None:
    import pickle

    with pytest.raises(Exception) as info:
        RuleLibrary().find("Gotham")
    error = info.value
    assert str(error).startswith("no rule set for municipality 'Gotham' ('Gotham' is not the "
                                 "name of a Danish municipality)")
    (line,) = error.report_lines("da")  # type: ignore[attr-defined]
    assert line.startswith("fejl: der findes intet regelsæt for kommunen 'Gotham' ('Gotham' "
                           "er ikke navnet på en dansk kommune)")
    again = pickle.loads(pickle.dumps(error))
    assert again.report_lines("da") == [line]


def _rendered(diagnostics: Any) -> None:
    """Every diagnostic shows in both languages, in every form, without a missing value."""
    for d in diagnostics:
        for lang in LANGS:
            shown = d.format(lang, excerpt=True)
            assert d.one_line(lang) and json.dumps(d.to_dict(lang))
            word = {"error": ("fejl", "error"), "warning": ("advarsel", "warning"),
                    "note": ("bemærkning", "note")}[d.severity.value][lang == "en"]
            assert f"{word}[{d.code}]" in shown, shown


@pytest.mark.parametrize("text", [
    "examples: [&b x, *b]\n",                            # an alias
    "a: 1\n" + "a: 2\n" * 300,                          # more problems than are shown
    'title: {da: "a\\ud800b", en: x}\n',                # half a surrogate pair
    "a: !!python/object:os.system x\n",                 # a tag
    "<<: {a: 1}\n",                                     # a merge key
    "a:\n\tb: 1\n", "a: 'open\n", "a: {b: 1\n", "a: @x\n", "a: 1\n---\nb: 2\n",
    "a: 1\n- b\n", "a:\n  - x\n - y\n", "c\nd: 2\n", 'a: "\\q"\n', "x: " + "[" * 50,
    "n: 1234567890123456789012\n",
])
def test_hostile_yaml_gives_problems_that_render_in_both_languages(text: str) -> None:
    with pytest.raises(RuleSetError) as info:
        load_yaml_text(text, "hostile.yaml")
    _rendered(info.value.diagnostics)
    assert all(d.span is not None for d in info.value.diagnostics[:-1])


def test_bad_profiles_give_problems_that_render_in_both_languages() -> None:
    for data in ({"support_need": "moderat", "colour": "x", "urgent": "yes", "cpr": "1",
                  "birth_date": 5, "social_problems": ["crime"] * 101,
                  "living_situation": {"kind": "flat", "extra": 1},
                  "residence_municipality": 99999,
                  "assessments": {"Not An Id": {"finding": True}}},
                 ["a"], {"cpr": "320190-1234"}, {"consent": "maybe"}):
        with pytest.raises(ProfileError) as info:
            CitizenProfile.parse(data)  # type: ignore[arg-type]
        for problem in info.value.problems:
            assert problem.message_in("da") and problem.format("da").startswith("fejl[P100]")
            assert problem.format("en").startswith("error[P100]")


# ------------------------------------------------------------ the parser in plain words

def _check(tmp_path: Path, text: str, name: str = "testby.yaml") -> list[Diagnostic]:
    """Validate a municipality file as 'spstotte validate FILE' does."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    diagnostics, _ = validate_paths([path])
    return [d for d in diagnostics if d.severity is Severity.ERROR]


HEADER = """\
layer: municipality
id: testby
title: {da: Testby, en: Testby}
municipality: {code: 101, name: København}
"""


def _one(found: list[Diagnostic]) -> Diagnostic:
    assert len(found) == 1, [d.one_line() for d in found]
    return found[0]


def _at(d: Diagnostic) -> tuple[str, int, int]:
    assert d.span is not None
    return d.code, d.span.line, d.span.col


def test_a_tab_in_the_indentation_says_use_spaces(tmp_path: Path) -> None:
    d = _one(_check(tmp_path, "layer: municipality\nmunicipality:\n\tcode: 101\n"))
    assert _at(d) == ("Y001", 3, 1)
    assert d.message == "a tab character in the indentation"
    assert d.hint == "use spaces, not a tab"
    assert d.format("da").endswith("fejl[Y001] et tabulatortegn i indrykningen\n"
                                   "  tip: brug mellemrum, ikke tabulator")


@pytest.mark.parametrize(("text", "where", "key", "above", "line", "col"), [
    ("municipality:\n  code: 101\n   name: x\n", (3, 4), "name", "code", 2, 3),   # too far in
    ("municipality:\n    code: 101\n  name: x\nid: y\n", (3, 3), "name", "code", 2, 5),
    ("rules:\n  - id: a\n    title: x\n   when: y\n", (4, 4), "when", "title", 3, 5),
    ("rules:\n  - id: a\n     title: x\n", (3, 6), "title", "id", 2, 5),
    ("id: x\n title: y\n", (2, 2), "title", "id", 1, 1),
])
def test_a_key_out_of_line_says_which_key_to_line_up_with(
        tmp_path: Path, text: str, where: tuple[int, int], key: str, above: str, line: int,
        col: int) -> None:
    d = _one(_check(tmp_path, text))
    assert _at(d) == ("Y001", *where)
    assert d.message == (f"the key '{key}' does not line up with the key '{above}' above it "
                         f"(line {line}, column {col})")
    assert d.hint == f"move '{key}' to column {col}, straight under '{above}'"
    assert d.message_in("da") == (f"nøglen '{key}' står ikke på linje med nøglen '{above}' "
                                  f"over den (linje {line}, kolonne {col})")
    assert d.hint_in("da") == f"ryk '{key}' til kolonne {col}, så den står lige under '{above}'"


def test_a_list_item_out_of_line_says_the_column_of_the_items(tmp_path: Path) -> None:
    d = _one(_check(tmp_path, "rules:\n  - id: a\n   - id: b\n"))
    assert _at(d) == ("Y001", 3, 4)
    assert d.message == "a list item ('-') does not line up with the items above it"
    assert d.hint_in("da") == "sæt '-' i kolonne 3, ligesom punkterne over det"


@pytest.mark.parametrize(("text", "where", "key", "parent", "sibling", "col"), [
    ("layer: municipality\nid: testby\ntitle: {da: T, en: T}\nmunicipality:\n  code: 101\n"
     "  name: København\n  extends: law\n", (7, 3), "extends", "municipality", "municipality", 1),
    (HEADER + "rules:\n  - id: a\n    title: {da: T, en: T}\n    legal_basis:\n"
     "      law: [{act: serviceloven, section: 85, stk: 1}]\n      when: {fact: age, gte: 18}\n"
     "    then: derive\n", (10, 7), "when", "legal_basis", "legal_basis", 5),
])
def test_a_key_that_yaml_reads_under_the_wrong_key_says_where_it_belongs(
        tmp_path: Path, text: str, where: tuple[int, int], key: str, parent: str, sibling: str,
        col: int) -> None:
    """A key indented one step too far is valid YAML: it becomes a key of the mapping above
    it. It is an unknown key there, and the hint says where it belongs."""
    d = next(d for d in _check(tmp_path, text) if d.code == "R101")
    assert _at(d) == ("R101", *where)
    assert d.message == f"unknown key '{key}' under '{parent}'"
    assert d.hint == f"'{key}' belongs further out: move it to column {col}, straight under " \
                     f"'{sibling}'"
    assert d.hint_in("da") == f"'{key}' hører til længere ude: ryk den til kolonne {col}, så " \
                              f"den står lige under '{sibling}'"


def test_a_colon_inside_a_value_is_told_from_a_key_out_of_line(tmp_path: Path) -> None:
    d = _one(_check(tmp_path, "title: Mål: at klare sig selv\n"))
    assert _at(d) == ("Y001", 1, 11)
    assert d.message == "a colon (:) inside a value" and "quotes" in (d.hint or "")
    assert d.message_in("da") == "et kolon (:) inde i en værdi"


def test_an_alias_is_named_as_one_whatever_it_is_called(tmp_path: Path) -> None:
    # 'stable' has "tab" in it: the words are PyYAML's, the problem is the alias.
    d = _one(_check(tmp_path, "a: *stable\n"))
    assert _at(d) == ("Y001", 1, 4)
    assert d.message == "anchors (&name) and aliases (*name) are not allowed"


def test_a_quote_never_closed_is_shown_where_it_opens(tmp_path: Path) -> None:
    d = _one(_check(tmp_path, "a: 1\ntitle: 'Mål\nb: 2\n"))
    assert _at(d) == ("Y001", 2, 8)
    assert d.message == "the quote ' that starts here is never closed"


def test_an_id_with_danish_letters_says_write_oe_for_oe(tmp_path: Path) -> None:
    found = _check(tmp_path, HEADER + textwrap.dedent("""\
        rules:
          - id: støttebehov_højt
            title: {da: T, en: T}
            legal_basis: {law: [{act: serviceloven, section: 85, stk: 1}]}
            when: {fact: age, gte: 18}
            then: derive
        """))
    d = next(d for d in found if d.code == "R104")
    assert _at(d) == ("R104", 6, 9)
    assert d.message == ("id: 'støttebehov_højt' is not an identifier: æ, ø and å are not "
                         "allowed in one")
    assert d.hint == ("write ae for æ, oe for ø and aa for å: 'stoettebehov_hoejt'; an "
                      "identifier has only lower-case letters a-z, digits and '_'")
    assert d.hint_in("da") == ("skriv ae for æ, oe for ø og aa for å: 'stoettebehov_hoejt'; et "
                               "id har kun små bogstaver a-z, tal og '_'")


def test_an_id_that_is_not_one_says_which_characters_are_allowed(tmp_path: Path) -> None:
    found = _check(tmp_path, HEADER + "sources:\n  Min-Kilde: {file: a.txt, publisher: P, "
                   "title: T, date: udateret, kind: k, municipality: 101}\n")
    d = next(d for d in found if d.code == "R104")
    assert _at(d) == ("R104", 6, 3)  # at the key itself
    assert d.message == "sources: 'Min-Kilde' is not an identifier"
    assert d.hint_in("da") == "brug små bogstaver a-z, tal og '_', og begynd med et bogstav"


def test_a_section_written_with_the_paragraph_sign_says_write_the_number(
        tmp_path: Path) -> None:
    found = _check(tmp_path, HEADER + textwrap.dedent("""\
        rules:
          - id: voksen
            title: {da: T, en: T}
            legal_basis: {law: [{act: serviceloven, section: "§ 85", stk: 1}]}
            when: {fact: age, gte: 18}
            then: derive
        """))
    d = next(d for d in found if d.code == "R104")
    assert _at(d) == ("R104", 8, 54)
    assert d.message == "section: write the section's number only, without '§': '§ 85'"
    assert d.hint == "write section: 85"
    assert d.message_in("da") == "section: skriv kun paragraffens nummer, uden '§': '§ 85'"
    assert d.hint_in("da") == "skriv section: 85"


@pytest.mark.parametrize(("text", "where", "en", "da"), [
    (HEADER.replace("code: 101", "code: [101]"), (4, 22),
     "code: one value (a whole number) is expected here, but there is a list",
     "code: her skal stå én værdi (et helt tal), men der står en liste"),
    (HEADER + "restates: adult\n", (5, 11),
     "restates: a list is expected here, but there is the text 'adult'",
     "restates: her skal stå en liste, men der står teksten 'adult'"),
    (HEADER.replace("title: {da: Testby, en: Testby}", "title: Testby"), (3, 8),
     "title: a text in Danish and English is expected here, but there is the text 'Testby'",
     "title: her skal stå en tekst på dansk og engelsk, men der står teksten 'Testby'"),
    (HEADER + "letter: [a]\n", (5, 9),
     "letter: a mapping (key: value lines) is expected here, but there is a list",
     "letter: her skal stå en gruppe nøgler (nøgle: værdi), men der står en liste"),
])
def test_a_wrong_type_is_said_in_plain_words(tmp_path: Path, text: str,
                                             where: tuple[int, int], en: str, da: str) -> None:
    d = _one(_check(tmp_path, text))
    assert _at(d) == ("R103", *where)
    assert (d.message, d.message_in("da")) == (en, da)


# ------------------------------------------------------------------- did you mean, values

def test_a_misspelt_value_in_a_condition_gets_the_value_meant(tmp_path: Path) -> None:
    found = _check(tmp_path, HEADER + textwrap.dedent("""\
        sources: {own: {file: a.txt, publisher: K, title: T, date: udateret, kind: k,
                        municipality: 101}}
        rules:
          - id: behov
            title: {da: T, en: T}
            legal_basis: {sources: [{source: own, section: S, quote: et ordret citat}]}
            when: {all: [{fact: support_need, gte: moderat}, {fact: mental_impairment, eq: svær},
                         {fact: social_problems, contains: hjemløs}]}
            then: {require: {paths: [p85], on_fail: refuse}}
        """))
    by_value = {d.args[0][1]: d for d in found if d.code == "R203"}
    assert set(by_value) == {"moderat", "svær", "hjemløs"}
    assert by_value["moderat"].hint == ("did you mean 'moderate'? values of support_need: none, "
                                        "light, moderate, high, complete, not_assessed")
    assert by_value["svær"].hint_in("da").startswith("mente du 'severe'? værdierne for "
                                                     "mental_impairment er: none")
    assert by_value["hjemløs"].hint_in("en").startswith("did you mean 'homelessness'?")
    assert _at(by_value["moderat"]) == ("R203", 11, 44)


def test_a_misspelt_parameter_value_and_support_area_get_the_value_meant(
        tmp_path: Path) -> None:
    found = _check(tmp_path, HEADER + textwrap.dedent("""\
        parameters:
          min_need:
            type: support_need
            value: moderat
            title: {da: T, en: T}
        support_areas:
          ledsag:
            title: {da: T, en: T}
            covers: [ledsagelse]
            legal_basis: {}
        """))
    codes = {d.code: d for d in found}
    assert codes["R214"].hint == "did you mean 'moderate'?"
    assert _at(codes["R214"]) == ("R214", 8, 12)
    assert codes["R220"].hint_in("da").startswith("mente du 'accompaniment'? indsatsområderne")


@pytest.mark.parametrize(("kind", "value", "en", "da"), [
    ("bool", '"ja"', "expected true or false, got 'ja'", "her skal stå true eller false"),
    ("int", "[1]", "expected a whole number, got a list", "her skal stå et helt tal"),
    ("int_list", "3", "expected a list of whole numbers, got 3", "en liste med hele tal"),
    ("path_list", "p85", "expected a list of path ids, got 'p85'", "en liste med bevillingsveje"),
    ("social_problem_list", "[crim]", "expected a list of social problems", "sociale problemer"),
    ("impairment", "svær", "expected one of none, light, moderate, severe, complete, got 'svær'",
     "her skal stå én af none, light"),
    ("municipality", "Atlantis", "'Atlantis' is not the name of a Danish municipality",
     "er ikke navnet på en dansk kommune"),
])
def test_a_parameter_of_the_wrong_type_says_what_it_takes(tmp_path: Path, kind: str, value: str,
                                                          en: str, da: str) -> None:
    found = _check(tmp_path, HEADER + f"parameters:\n  mine:\n    type: {kind}\n"
                   f"    value: {value}\n    title: {{da: T, en: T}}\n")
    d = next(d for d in found if d.code == "R214")
    assert _at(d) == ("R214", 8, 12)
    assert en in d.message and da in d.message_in("da"), (d.message, d.message_in("da"))


def test_a_misspelt_value_in_a_scenario_file_gets_the_value_meant(tmp_path: Path) -> None:
    from spstotte.errors import ScenarioError
    from spstotte.scenarios.format import load_scenarios

    path = tmp_path / "x.scenarios.yaml"
    path.write_text(textwrap.dedent("""\
        municipality: roskilde
        on: 2026-11-23
        scenarios:
          - name: Afslag
            profile: {support_need: moderat}
            expect: {outcome: refusd}
        """), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    (d,) = info.value.diagnostics
    assert _at(d) == ("S104", 6, 23)
    assert d.message == "outcome: 'refusd' is not one of the allowed values"
    assert d.hint is not None and d.hint.startswith("did you mean 'refused'? allowed here: ")
    path.write_text(path.read_text("utf-8").replace("refusd", "refused"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    (d,) = info.value.diagnostics
    assert _at(d) == ("S105", 5, 29)
    assert d.message == "scenario 'Afslag': support_need: 'moderat' is not one of the allowed " \
                        "values"
    assert d.hint_in("da") == ("mente du 'moderate'? én af: none, light, moderate, high, "
                               "complete, not_assessed")


@pytest.mark.parametrize(("written", "meant"), [("afslag", "refused"), ("henvist", "referred"),
                                                ("lukket", "closed"), ("grantd_85", "granted_85")])
def test_an_outcome_written_in_danish_gets_the_outcome_meant(tmp_path: Path, written: str,
                                                             meant: str) -> None:
    from spstotte.errors import ScenarioError
    from spstotte.scenarios.format import load_scenarios

    path = tmp_path / "x.scenarios.yaml"
    path.write_text("municipality: roskilde\non: 2026-11-23\nscenarios:\n  - name: x\n"
                    f"    profile: {{}}\n    expect: {{outcome: {written}}}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    (d,) = info.value.diagnostics
    assert _at(d) == ("S104", 6, 23)
    assert (d.hint_in("da") or "").startswith(f"mente du '{meant}'? tilladt her: granted_85")


@pytest.mark.parametrize(("field", "written", "meant"), [
    ("support_need", "moderat", "moderate"), ("mental_impairment", "svær", "severe"),
    ("physical_impairment", "let", "light"), ("applicant", "pårørende", "relative"),
    ("social_problems", ["misbrug"], "substance_abuse"),
    ("requested_support_areas", ["ledsagelse"], "accompaniment"),
])
def test_a_misspelt_value_in_a_profile_gets_the_value_meant(field: str, written: object,
                                                             meant: str) -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({field: written})
    (problem,) = info.value.problems
    assert problem.hint is not None and problem.hint.startswith(f"did you mean '{meant}'?")
    assert (problem.hint_in("da") or "").startswith(f"mente du '{meant}'?")


def test_a_value_with_nothing_close_lists_the_values_without_a_guess() -> None:
    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({"support_need": "xyzzy"})
    (problem,) = info.value.problems
    assert problem.hint == "one of: none, light, moderate, high, complete, not_assessed"


# --------------------------------------------------------- a wrong municipality code, once

def test_a_municipality_code_that_does_not_exist_is_one_error_at_the_header(
        tmp_path: Path) -> None:
    d = _one(_check(tmp_path, HEADER.replace("code: 101, name: København",
                                              "code: 999, name: Aarhus")))
    assert _at(d) == ("R104", 4, 22)
    assert d.span is not None and d.span.file.endswith("testby.yaml")
    assert d.message == "999 is not a municipality code"
    assert d.hint == "Aarhus has the code 751: write code: 751"
    assert d.hint_in("da") == "Aarhus har koden 751: skriv code: 751"


def test_a_code_and_name_of_two_municipalities_is_one_error_at_the_name(tmp_path: Path) -> None:
    d = _one(_check(tmp_path, HEADER.replace("name: København", "name: Aarhus")))
    assert _at(d) == ("R104", 4, 33)
    assert d.message == "code 101 is København, not 'Aarhus'"
    assert d.hint_in("da") == ("skriv kode og navn på den samme kommune: code: 101 med name: "
                               "København, eller code: 751 med name: Aarhus")
    d = _one(_check(tmp_path, HEADER.replace("name: København", "name: Atlantis")))
    assert d.message == "'Atlantis' is not the name of a Danish municipality; code 101 is " \
                        "København"


def test_a_wrong_code_in_a_real_rule_set_is_not_a_cascade_of_citations(tmp_path: Path) -> None:
    roskilde = (ROOT / "municipalities" / "roskilde.yaml").read_text(encoding="utf-8")
    assert "municipality: {code: 265, name: Roskilde}" in roskilde
    found = _check(tmp_path, roskilde.replace("{code: 265,", "{code: 999,"), "roskilde.yaml")
    d = _one(found)  # before: 59 errors, in this file and in the law layer's files
    assert _at(d) == ("R104", 10, 22) and d.hint == "Roskilde has the code 265: write code: 265"


def test_the_command_line_says_it_once_too(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "testby.yaml"
    path.write_text(HEADER.replace("code: 101, name: København", "code: 999, name: Aarhus"),
                    encoding="utf-8")
    assert main(["validate", str(path), "--lang", "da"]) == 1
    out, err = capsys.readouterr()
    assert "rules/" not in err and err.count("fejl[") == 1
    assert out.startswith("FEJL: 1 regelsæt kontrolleret, 1 fejl")


# ------------------------------------------------------------- the line, with a caret

def test_the_excerpt_shows_the_line_with_a_caret_under_the_column(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\n\tvalue: moderat\n", encoding="utf-8")
    assert source_excerpt(Span(str(path), 2, 9)) == ["    2 | \tvalue: moderat",
                                                     "      | \t       ^"]
    assert source_excerpt(Span("shown.yaml", 1, 4, path)) == ["    1 | a: 1", "      |    ^"]
    assert source_excerpt(Span("<stdin>", 1, 1)) == []
    assert source_excerpt(Span(str(tmp_path / "gone.yaml"), 1, 1)) == []
    assert source_excerpt(Span(str(path), 9, 1)) == []


def test_the_excerpt_of_a_long_or_hostile_line_is_cut_and_made_harmless(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("x: " + "a" * 5000 + "\x1b[31mRED\u202e!" + "b" * 5000 + "\n",
                    encoding="utf-8")
    line, caret = source_excerpt(Span(str(path), 1, 5004))
    assert len(line) < 120 and line.count("…") == 2
    assert "\x1b" not in line and "\u202e" not in line and line.count("\ufffd") == 2
    assert line[caret.index("^")] == "\ufffd"  # under the escape character itself


def test_validate_and_test_show_the_line_and_json_keeps_the_position(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "testby.yaml"
    path.write_text(HEADER + "extends: lov\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    start = next(i for i, line in enumerate(err) if "error[R217]" in line)
    assert err[start + 1:start + 4] == [
        "    5 | extends: lov", "      |          ^", "  hint: write extends: law"]
    assert main(["validate", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (r217,) = [d for d in report["diagnostics"] if d["code"] == "R217"]
    assert (r217["line"], r217["col"], r217["hint"]) == (5, 10, "write extends: law")
    scenarios = tmp_path / "x.scenarios.yaml"
    scenarios.write_text("municipality: roskilde\non: 2026-11-23\nscenarios:\n  - name: x\n"
                         "    profile: {}\n    expect: {outcom: refused}\n", encoding="utf-8")
    assert main(["test", str(scenarios), "--lang", "da"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("x.scenarios.yaml:6:14: fejl[S101] ukendt nøgle 'outcom'")
    assert err[1:3] == ["    6 |     expect: {outcom: refused}", "      |              ^"]
    assert err[3].startswith("  tip: mente du 'outcome'? nøgler, der er tilladt her: outcome")


# --------------------------------------------------------------------- the language chosen

def test_the_language_is_the_option_else_the_project_else_the_locale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "testby.yaml"
    path.write_text(HEADER + "extends: lov\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def first_error(*options: str) -> str:
        main(["validate", str(path), *options])
        return next(line for line in capsys.readouterr().err.splitlines() if "[R217]" in line)

    assert "error[R217] a municipality extends the law layer" in first_error()
    monkeypatch.setenv("LANG", "da_DK.UTF-8")
    assert "fejl[R217] en kommune bygger videre på lovlaget" in first_error()
    assert "error[R217]" in first_error("--lang", "en")
    monkeypatch.setenv("LANG", "C.UTF-8")
    (tmp_path / "spstotte.toml").write_text('lang = "da"\nmunicipalities = "."\n',
                                            encoding="utf-8")
    assert "fejl[R217]" in first_error()
    assert "error[R217]" in first_error("--lang", "en")


def test_a_profile_with_fifty_thousand_problems_words_only_those_it_shows() -> None:
    """Only the first MAX_REPORTED problems are worded; the rest are counted, so a hostile
    profile costs no more than a bad one. The count survives a trip between processes."""
    import pickle

    from spstotte import CitizenProfile, ProfileError
    from spstotte.errors import MAX_REPORTED

    with pytest.raises(ProfileError) as info:
        CitizenProfile.parse({f"felt_{i}": i for i in range(50_000)})
    error = info.value
    lines = error.report_lines("en")
    assert len(lines) == MAX_REPORTED + 1
    assert lines[0].startswith("error[P100] felt_0: unknown field")
    assert lines[-1].startswith(f"error[P100] <profile>: and {50_000 - MAX_REPORTED} more "
                                "problem(s) not shown")
    again = pickle.loads(pickle.dumps(error))
    assert again.report_lines("da") == error.report_lines("da")
    assert again.more == 50_000 - MAX_REPORTED


def test_a_hint_with_no_suggestion_says_nothing_in_its_place(tmp_path: Path) -> None:
    """'did you mean' opens a hint only when there is something close; otherwise the hint
    starts with the list of what is allowed (it used to read 'Noneoperators for ...')."""
    rule_file = tmp_path / "hint.yaml"
    rule_file.write_text(textwrap.dedent("""\
        layer: municipality
        id: hint
        title: {da: H, en: H}
        municipality: {code: 101, name: København}
        extends: law
        rules:
          - id: first
            title: {da: T, en: T}
            legal_basis: {law: [{act: serviceloven, section: 85, stk: 1}]}
            when: {fact: at_risk, is: true}
            then: derive
          - id: second
            title: {da: T, en: T}
            legal_basis: {law: [{act: serviceloven, section: 85, stk: 1}]}
            when: {fact: at_risk, gtee: true}
            then: {require: {paths: [p85], on_fail: refuze}}
        """), encoding="utf-8")
    diagnostics, _ = validate_paths([rule_file])
    hints = {d.message_in(lang): d.hint_in(lang) or "" for d in diagnostics for lang in LANGS}
    assert hints and not any(hint.startswith("None") or "None" in hint for hint in hints.values())
    unknown_is = next(d for d in diagnostics if "'is'" in d.message)
    assert unknown_is.hint_in("en").startswith("operators for at_risk: ")
    typo = next(d for d in diagnostics if "'gtee'" in d.message)
    assert typo.hint_in("en").startswith("did you mean 'gte'? ")
    refuse = next(d for d in diagnostics if "refuze" in d.message)
    assert refuse.hint_in("en").startswith("did you mean 'refuse'? ")
