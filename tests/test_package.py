"""Packaging: the wheel carries the rule files, the installed command works anywhere, and the
file list shows the pipeline (one sub-package per stage, no stage importing a later one)."""

from __future__ import annotations

import ast
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
    assert "spstotte/diagnostics.yaml" in names
    assert "spstotte/statutes.yaml" in names
    templates = sorted((ROOT / "src" / "spstotte" / "render" / "templates").glob("*.j2"))
    assert templates
    for template in templates:
        assert f"spstotte/render/templates/{template.name}" in names
    assert "spstotte/batch/templates/impact.html.j2" in names
    for template in (ROOT / "municipalities" / "letters").rglob("*.j2"):
        relative = template.relative_to(ROOT / "municipalities").as_posix()
        assert f"spstotte/_data/municipalities/{relative}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "spstotte = spstotte._entry:run" in text
    assert "[pytest11]\nspstotte = spstotte.scenarios.pytest_plugin" in text


def _tracked(*folders: str) -> list[str] | None:
    try:
        listed = subprocess.run(["git", "ls-files", *folders], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return listed or None


def test_the_wheel_ships_exactly_the_tracked_data_files() -> None:
    """pyproject.toml names each data file; a new tracked file that is not named, or a named
    one that is gone, fails here, and an untracked one can never ship."""
    import tomllib

    tracked = _tracked("rules", "municipalities", "schemas", "sources")
    if tracked is None:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert sorted(shipped) == sorted(tracked)
    assert all(target == f"spstotte/_data/{source}" for source, target in shipped.items())


def test_an_untracked_rule_file_in_the_checkout_does_not_ship(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (a test dependency) builds the wheel")
    if _tracked("pyproject.toml") is None:
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True, capture_output=True)
    # The working tree's pyproject.toml, in case it is not committed yet.
    (clone / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    (clone / "municipalities" / "aarhus.yaml").write_text("layer: municipality\n",
                                                          encoding="utf-8")
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                    "--quiet", "--disable-pip-version-check", "-w", str(out), str(clone)],
                   check=True, capture_output=True)
    (built,) = out.glob("spstotte-*.whl")
    names = set(zipfile.ZipFile(built).namelist())
    assert "spstotte/_data/municipalities/roskilde.yaml" in names
    assert not [name for name in names if "aarhus" in name]


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
    code = ("import sys, spstotte, spstotte.cli.main; "
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
    assert {"library", "verdict"} <= modules
    assert not (set(spstotte.__all__) & modules)


# ------------------------------------------------------------- the file list shows the pipeline

SRC = ROOT / "src" / "spstotte"

#: The stages, one sub-package each, in pipeline order (docs/architecture.md).
STAGES = ("lang", "ruleset", "engine", "verdict", "render", "scenarios", "batch", "service",
          "cli")

#: Where each top-level module and package sits in the pipeline: a module imports only what
#: sits at its own place or earlier. The shared modules (0) import no stage; every stage may
#: read profiles, facts, wordings, errors and YAML with them.
PLACE: dict[str, float] = {
    **dict.fromkeys(("errors", "loader", "parse_cache", "municipalities", "texts",
                     "vocabulary", "profile", "facts", "_paths", "_git", "_gc", "project"), 0),
    **{stage: float(number) for number, stage in enumerate(STAGES, start=1)},
    # Ties stages lang to verdict together (RuleLibrary): letters, scenarios and the command
    # use it, no earlier stage does.
    "library": 4.5,
    # The JSON schemas of rule, profile and scenario files: the command writes them.
    "schema": 6.5,
}

#: Modules no stage imports (the public names, ``python -m spstotte``, the command's
#: entry point, the test strategies), which may import anything.
FRONT_DOORS = {"__init__", "__main__", "_entry", "testing"}

#: The only modules outside cli/ that import it: ``spstotte.validate_paths`` is a public name,
#: and the ``spstotte`` command runs cli.main.
CLI_IMPORTERS = {"spstotte", "spstotte._entry"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool = False) -> set[str]:
    """Every spstotte module ``tree`` imports, statically: at the top, in functions and under
    TYPE_CHECKING, with relative imports resolved from ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            # "from . import x" imports the module x
            found |= ({f"{name}.{alias.name}" for alias in node.names} if node.module is None
                      else {name})
    return {name for name in found if name.split(".")[0] == "spstotte"}


def _imports() -> dict[str, set[str]]:
    """What every module of the package imports."""
    return {_module_name(path): _imported(ast.parse(path.read_text(encoding="utf-8")),
                                          _module_name(path), path.name == "__init__.py")
            for path in sorted(SRC.rglob("*.py"))}


def _place(module: str) -> float | None:
    """The place of a module in the pipeline (None for a front door)."""
    top = module.split(".")[1] if "." in module else "__init__"
    return None if top in FRONT_DOORS else PLACE[top]


def test_the_sub_packages_are_the_stages_of_the_pipeline() -> None:
    packages = {path.parent.name for path in SRC.glob("*/__init__.py")}
    assert packages == set(STAGES)
    # Every top-level module has its place (a new one must be given one here).
    top_level = {path.stem for path in SRC.glob("*.py")}
    assert top_level == (set(PLACE) - set(STAGES)) | FRONT_DOORS


def test_no_stage_imports_a_later_one() -> None:
    later = {
        module: sorted(name for name in names
                       if (place := _place(name)) is None or place > own)
        for module, names in _imports().items() if (own := _place(module)) is not None
    }
    assert {module: names for module, names in later.items() if names} == {}


def test_only_the_front_doors_import_the_command_line() -> None:
    importers = {module for module, names in _imports().items()
                 if not module.startswith("spstotte.cli")
                 and any(name.startswith("spstotte.cli") for name in names)}
    assert importers == CLI_IMPORTERS


def test_the_import_reader_resolves_relative_imports() -> None:
    planted = ast.parse("from ..lang.conditions import All\n"
                        "from . import network\n"
                        "import spstotte.cli.main, json\n"
                        "def f():\n"
                        "    from ..verdict.model import Verdict\n"
                        "if TYPE_CHECKING:\n"
                        "    from ..render import formats\n")
    assert _imported(planted, "spstotte.engine.compiler") == {
        "spstotte.lang.conditions", "spstotte.engine.network", "spstotte.cli.main",
        "spstotte.verdict.model", "spstotte.render"}
    # From a package's __init__, one dot is the package itself.
    assert _imported(ast.parse("from .network import Network"), "spstotte.engine",
                     is_package=True) == {"spstotte.engine.network"}
    assert _place("spstotte.ruleset.resolve.merge") == 2
    assert _place("spstotte.library") == 4.5 and _place("spstotte._entry") is None


def test_no_bundled_municipality_is_named_in_the_code() -> None:
    """A municipality's service level lives in its YAML file; the Python is the same for all
    98. So no module, comment or docstring names a municipality that has a bundled rule set
    (a generic example of name handling, such as Aarhus or Høje-Taastrup, is fine)."""
    import re

    from spstotte import RuleLibrary

    bundled = {word for info in RuleLibrary().municipalities()
               for word in (info.slug, info.name)}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(bundled))) +
                         r")(?![\w-])", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted((ROOT / "src" / "spstotte").rglob("*.py"))
             for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert len(bundled) >= 6 and found == []
