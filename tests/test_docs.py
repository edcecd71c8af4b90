"""The documentation: every example runs, every relative link resolves, and the generated
reference pages are current.

The ``>>>`` examples in README.md and docs/*.md run from the repository root (so paths such as
``examples/citizen.yaml`` work), each page in its own namespace.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import io
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import spstotte
from conftest import ROOT
from spstotte.cli import docgen

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: Modules whose import has side effects or needs a running pytest.
SKIPPED_MODULES = {"spstotte.__main__", "spstotte.scenarios.pytest_plugin"}
MODULES = ["spstotte", *sorted(
    info.name for info in pkgutil.walk_packages(spstotte.__path__, "spstotte.")
    if info.name not in SKIPPED_MODULES)]
#: A relative Markdown link: ](page.md) or ](page.md#anchor), not http(s)://...
LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:)([^)\s#]+\.md)(#[^)\s]*)?\)")


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _run(check: object) -> tuple[doctest.TestResults, str]:
    """Run a doctest call, capturing its failure report (doctest prints to stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = check()  # type: ignore[operator]
    return results, out.getvalue()


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_examples_in_the_docs_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    results, report = _run(lambda: doctest.testfile(
        str(page), module_relative=False, optionflags=FLAGS, encoding="utf-8"))
    assert results.failed == 0, f"{_name(page)}: {results.failed} example(s) failed\n{report}"


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    module: ModuleType = importlib.import_module(name)
    results, report = _run(lambda: doctest.testmod(module, optionflags=FLAGS))
    assert results.failed == 0, f"{name}: {results.failed} example(s) failed\n{report}"


def test_the_quick_start_is_an_example_that_runs() -> None:
    # A README without '>>>' would pass the test above without testing anything.
    assert ">>> verdict = spstotte.evaluate(" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_point_to_existing_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = [target for target, _ in LINK.findall(text)
              if not (page.parent / target).resolve().is_file()]
    assert not broken, f"{_name(page)} links to missing files: {', '.join(broken)}"


def test_the_error_codes_are_generated_in_both_languages() -> None:
    assert {"facts.md", "errors.md", "fejl.md"} <= set(docgen.PAGES)
    assert docgen.PAGES["fejl.md"]().startswith("# Fejlkoder\n")
    assert "**Sådan retter du det:**" in docgen.PAGES["fejl.md"]()
    assert docgen.PAGES["errors.md"]().startswith("# Error codes\n")


@pytest.mark.parametrize("page", sorted(docgen.PAGES))
def test_generated_pages_are_current(page: str) -> None:
    expected = docgen.PAGES[page]()
    actual = (DOCS / page).read_text(encoding="utf-8")
    assert actual == expected, (
        f"docs/{page} is generated and out of date: run "
        "'.venv/bin/python -m spstotte.cli.docgen docs' (never edit it by hand)")
