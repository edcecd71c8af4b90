"""The lint finds each planted fault in a fixture rule set, and --strict makes them errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from spstotte.cli.main import main
from spstotte.cli.validate import validate_paths
from spstotte.errors import Severity

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lint" / "planted.yaml"
SOURCES = ROOT / "sources"  # the texts shipped with spstotte (sources/README.md)


def found() -> dict[str, list[tuple[str, int]]]:
    diagnostics, checked = validate_paths([FIXTURE], sources_dir=SOURCES)
    assert checked == [str(FIXTURE)] or checked[-1].endswith("planted.yaml")
    out: dict[str, list[tuple[str, int]]] = {}
    for d in diagnostics:
        if d.span is not None and d.span.file.endswith("planted.yaml"):
            out.setdefault(d.code, []).append((d.message, d.span.line))
    return out


def test_each_planted_fault_is_found_at_its_line() -> None:
    by_code = found()
    text = FIXTURE.read_text(encoding="utf-8").splitlines()

    def line_of(marker: str) -> int:
        return next(i for i, line in enumerate(text, 1) if marker in line)

    assert ("rule 'contradiction' can never be true", line_of("- id: contradiction")) \
        in by_code["L401"]
    assert ("rule 'reads_the_contradiction' can never fire",
            line_of("- id: reads_the_contradiction")) in by_code["L401"]
    assert by_code["L402"] == [("parameter 'unused_threshold' is never used",
                                line_of("unused_threshold:"))]
    assert ("derived fact 'never_read' is never used", line_of("- id: never_read")) \
        in by_code["L403"]
    assert by_code["L404"] == [("rule 'never_read' title: the English text is empty",
                                line_of("- id: never_read"))]
    (message, line), = by_code["R212"]
    assert "rule misquoted" in message and line == line_of("Dette står ikke i kilden")
    # The contradiction itself is derived and read, so it is not reported as unused.
    assert all("contradiction" not in m for m, _ in by_code["L403"])


def test_warnings_pass_and_strict_fails(capsys: pytest.CaptureFixture[str]) -> None:
    # The bundled rule sets pass, their quotes checked against the texts shipped with them.
    assert main(["validate"]) == 0
    capsys.readouterr()
    assert main(["validate", str(FIXTURE)]) == 1  # the misquote (R212) is an error
    out = capsys.readouterr()
    assert "warning[L402] parameter 'unused_threshold' is never used" in out.out
    assert main(["validate", str(FIXTURE), "--strict"]) == 1
    strict = capsys.readouterr()
    assert "warning[L401]" in strict.err


def test_the_bundled_rule_sets_are_lint_free() -> None:
    diagnostics, _ = validate_paths([])
    warnings = [d for d in diagnostics if d.severity is Severity.WARNING]
    assert [d.format() for d in warnings if d.code != "L405"] == []
    # Overrides of the law layer are listed as notes, each one a rule the law layer allows.
    overrides = [d for d in diagnostics if d.code == "L406"]
    assert "handleplan_consider" in {d.message.split("'")[1] for d in overrides}
    assert all(d.severity is Severity.NOTE for d in overrides)
