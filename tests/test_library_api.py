"""How the library is built and asked for rule sets, and how its errors end the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import (
    InputError,
    ProfileError,
    RuleLibrary,
    RuleSetError,
    SpstotteError,
    UnknownMunicipalityError,
)
from spstotte.errors import ExitCode, ScenarioError
from spstotte.library import default_library


def test_each_error_class_carries_its_exit_code() -> None:
    assert {cls.__name__: int(cls.exit_code) for cls in (
        RuleSetError, ScenarioError, ProfileError, UnknownMunicipalityError, InputError)} == {
        "RuleSetError": 1, "ScenarioError": 1, "ProfileError": 3,
        "UnknownMunicipalityError": 3, "InputError": 3}


def test_the_command_line_ends_as_the_error_class_says(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from spstotte.cli import main as cli

    class DiskGone(SpstotteError):
        exit_code = ExitCode.OUTPUT

        def report_lines(self, lang: str = "en", *, excerpts: bool = False) -> list[str]:
            return [f"{lang}: first", f"{lang}: second, excerpts {excerpts}"]

    def fail(*_: object) -> int:
        raise DiskGone("x")

    monkeypatch.setitem(cli._COMMANDS, "municipalities", fail)
    assert cli.main(["municipalities"]) == 74
    # In the language of the locale (no --lang here), with the lines of the files.
    assert capsys.readouterr().err.splitlines() == ["en: first", "en: second, excerpts True"]
    monkeypatch.setenv("LANG", "da_DK.UTF-8")
    assert cli.main(["municipalities"]) == 74
    assert capsys.readouterr().err.splitlines() == ["da: first", "da: second, excerpts True"]


def test_from_options_shares_the_bundled_library_unless_folders_are_given() -> None:
    assert RuleLibrary.from_options() is default_library()
    assert RuleLibrary.from_options(None, []) is default_library()
    own = RuleLibrary.from_options(ROOT / "rules", [ROOT / "municipalities"])
    assert own is not default_library() and own.law_dir == ROOT / "rules"
    assert [m.code for m in own.municipalities()] == [265, 540, 630]


def test_a_rule_set_is_named_by_municipality_file_or_revision(tmp_path: Path) -> None:
    library = RuleLibrary.from_options()
    by_name = library.load_ruleset("vejle")
    by_file = library.load_ruleset(str(ROOT / "municipalities" / "vejle.yaml"))
    assert by_name.id == by_file.id == "vejle"
    assert [r.id for r in by_name.rules] == [r.id for r in by_file.rules]
    with pytest.raises(InputError, match="is not a git revision"):
        library.load_ruleset("municipalities/vejle.yaml@--output=x")
    with pytest.raises(UnknownMunicipalityError):
        library.load_ruleset("atlantis")


def test_rule_sets_are_discovered_from_their_headers(tmp_path: Path) -> None:
    original = (ROOT / "municipalities" / "vejle.yaml").read_text("utf-8")
    (tmp_path / "vejle.yaml").write_text(original + "broken: [\n", "utf-8")
    roskilde = (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8")
    header = "municipality: {code: 265, name: Roskilde}\n"
    assert header in roskilde
    (tmp_path / "roskilde.yaml").write_text(roskilde.replace(header, "") + header, "utf-8")
    library = RuleLibrary(municipality_dirs=[tmp_path])
    # Found by the header alone, though Vejle's file breaks after it and Roskilde's header is
    # its last line; the broken file's error comes, with its position, when it is used.
    assert [(m.slug, m.code) for m in library.municipalities()] == [
        ("roskilde", 265), ("vejle", 630)]
    assert library.ruleset(265).id == "roskilde"
    with pytest.raises(RuleSetError) as info:
        library.ruleset(630)
    lines = original.count("\n")
    assert [(d.code, d.span.line if d.span else 0) for d in info.value.diagnostics] == [
        ("Y001", lines + 2)]
