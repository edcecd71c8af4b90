"""Packaging: the wheel carries the rule files, and the installed command works anywhere."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling (a test dependency) builds the wheel")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                    "--quiet", "--disable-pip-version-check", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = out.glob("spstotte-*.whl")
    return built


def test_the_wheel_contains_the_rules_and_the_municipalities(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "rules").glob("*.yaml"):
        assert f"spstotte/_data/rules/{path.name}" in names
    for path in (ROOT / "municipalities").glob("*.yaml"):
        assert f"spstotte/_data/municipalities/{path.name}" in names
    assert "spstotte/py.typed" in names
    assert "spstotte/municipality_codes.json" in names
    assert "spstotte/texts.yaml" in names
    assert "spstotte/statutes.yaml" in names
    for template in (ROOT / "src" / "spstotte" / "templates").glob("*.j2"):
        assert f"spstotte/templates/{template.name}" in names
    for template in (ROOT / "municipalities" / "letters").rglob("*.j2"):
        relative = template.relative_to(ROOT / "municipalities").as_posix()
        assert f"spstotte/_data/municipalities/{relative}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "spstotte = spstotte._entry:run" in text and "[pytest11]" in text


def test_the_installed_package_evaluates_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "p.yaml").write_text(
        (ROOT / "examples" / "citizen.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("SPSTOTTE_SOURCES", None)
    where = subprocess.run([sys.executable, "-c", "import spstotte; print(spstotte.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(site))
    result = subprocess.run(
        [sys.executable, "-m", "spstotte", "evaluate", "p.yaml", "--municipality", "roskilde",
         "--on", "2026-11-23"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Bevilget: socialpædagogisk støtte efter serviceloven § 85")
    assert "kilde: rules/age_and_residence.yaml:" in result.stdout
    # The installed package finds a municipality's own letter templates too.
    letter = subprocess.run(
        [sys.executable, "-m", "spstotte", "explain", "p.yaml", "--municipality", "vejle",
         "--on", "2026-11-23"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert letter.returncode == 0, letter.stderr
    assert letter.stdout.startswith("VEJLE KOMMUNE\n")


def test_the_core_imports_neither_pytest_nor_hypothesis() -> None:
    code = ("import sys, spstotte, spstotte.cli; "
            "print(sorted(m for m in ('pytest', 'hypothesis', '_pytest') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_the_public_names_load_on_first_use() -> None:
    """``import spstotte`` loads neither the engine nor the models (the command line can be
    interrupted while it starts); every public name is there when asked for."""
    code = ("import sys, spstotte; loaded = sorted(m for m in ('durable_rules_engine', "
            "'pydantic', 'spstotte.library') if m in sys.modules); "
            "names = [getattr(spstotte, n) for n in spstotte.__all__]; "
            "print(loaded, len(names), sorted(spstotte.__all__) == sorted(spstotte._HOME))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split(" ", 1)[0] == "[]"
    assert result.stdout.strip().endswith("True")


def test_no_public_name_is_shadowed_by_a_module_of_the_same_name() -> None:
    """A lazily loaded name must not share its name with a submodule: once the submodule is
    imported, Python sets it as the package attribute, and the name would be the module."""
    import spstotte

    modules = {info.name for info in pkgutil.iter_modules(spstotte.__path__)}  # and packages
    assert {"library", "resolve"} <= modules
    assert not (set(spstotte.__all__) & modules)
