"""A municipality's own rule repository: where its rule files, scenarios and source texts are.

A *project* is a folder a municipality keeps in its own git repository (``spstotte init``
lays one out). The commands find it from the working directory, as git finds a repository:

1. the nearest folder, upwards, with a ``spstotte.toml`` or a ``pyproject.toml`` that has a
   ``[tool.spstotte]`` table: the settings in it, paths relative to that file;
2. otherwise a ``municipalities/`` folder in the working directory itself, with the defaults.

Settings (all optional)::

    municipalities = "municipalities"   # folder(s) of the municipality's rule files
    scenarios = "scenarios"             # folder(s) or files of *.scenarios.yaml
    sources = "sources"                 # the municipality's own source texts
    rules = "..."                       # another law layer (rarely; default: the bundled one)
    fail_under = 100                    # rule coverage required by `spstotte test`
    lang = "da"                         # language of reports and diagnostics

A scenarios folder that does not exist falls back to the municipalities folder, where
``spstotte init`` puts the first scenarios file.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ._paths import display_path
from .errors import Diagnostic, RuleSetError, Span, suggestion

#: The file that marks a project, and the table in pyproject.toml that may hold the same.
CONFIG_FILE: Final = "spstotte.toml"
PYPROJECT: Final = "pyproject.toml"

_KEYS: Final = ("municipalities", "scenarios", "sources", "rules", "fail_under", "lang")
_LANGS: Final = ("da", "en")


@dataclass(frozen=True)
class Project:
    """Where one municipality repository keeps its files (all paths absolute)."""

    root: Path
    #: The file the settings came from (``None``: found by its ``municipalities/`` folder).
    config: Path | None
    municipalities: tuple[Path, ...]
    scenarios: tuple[Path, ...]
    sources: Path | None
    rules: Path | None = None
    fail_under: float | None = None
    lang: str | None = None


def find_project(start: str | Path | None = None) -> Project | None:
    """The project the folder ``start`` (default: the working directory) belongs to, if any.

    Raises :class:`RuleSetError` (with file:line:col) if a settings file is malformed.
    """
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    for folder in (here, *here.parents):
        config = folder / CONFIG_FILE
        if config.is_file():
            return _from_settings(folder, config, _read_toml(config), table=None)
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            data = _read_toml(pyproject)
            tool = data.get("tool")
            if isinstance(tool, dict) and "spstotte" in tool:
                return _from_settings(folder, pyproject, tool["spstotte"], table="tool.spstotte")
        if (folder / ".git").exists():
            break  # a repository's root: a project does not reach above it
    if (here / "municipalities").is_dir():
        return _from_settings(here, None, {}, table=None)
    return None


def has_settings(folder: Path) -> bool:
    """Whether ``folder`` itself holds spstotte settings: a ``spstotte.toml``, or a
    ``pyproject.toml`` with a ``[tool.spstotte]`` table (a pyproject.toml that cannot be read
    holds none). The pytest plugin asks this of pytest's root folder only."""
    if (folder / CONFIG_FILE).is_file():
        return True
    try:
        data = tomllib.loads((folder / PYPROJECT).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "spstotte" in tool


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleSetError([Diagnostic.of("Y003", "toml", Span(display_path(path), 1, 1),
                                          file=path.name)]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = _toml_position(str(exc))
        raise RuleSetError([Diagnostic.of("C001", None, Span(display_path(path), line, col),
                                          file=path.name, detail=_toml_message(str(exc)))]) \
            from None


_TOML_AT: Final = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_position(message: str) -> tuple[int, int]:
    match = _TOML_AT.search(message)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def _toml_message(message: str) -> str:
    return _TOML_AT.sub("", message).strip()


def _key_line(config: Path, key: str) -> Span:
    """Where ``key`` is set in the settings file (tomllib gives no positions)."""
    try:
        lines = config.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):  # pragma: no cover - it was just read
        lines = []
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return Span(display_path(config), number, line.index(key) + 1)
    return Span(display_path(config), 1, 1)


def _from_settings(root: Path, config: Path | None, settings: object,
                   table: str | None) -> Project:
    problems: list[Diagnostic] = []

    def fail(setting: str, variant: str, /, **values: Any) -> None:
        span = _key_line(config, setting) if config is not None else None
        problems.append(Diagnostic.of("C002", variant, span, **values))

    if not isinstance(settings, dict):
        fail(table or "spstotte", "table", table=table)
        raise RuleSetError(problems)
    for key in settings:
        if key not in _KEYS:
            near = difflib.get_close_matches(str(key), _KEYS, n=1)
            fail(str(key), "unknown", key=key, keys=_KEYS,
                 suggestion=suggestion(near[0] if near else None))

    def folders(key: str, default: str) -> tuple[Path, ...]:
        value = settings.get(key, default)
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(
                isinstance(item, str) and item and "\0" not in item for item in items):
            fail(key, "folders", key=key, default=default)
            return ()
        return tuple((root / item).resolve() for item in items)

    municipalities = folders("municipalities", "municipalities")
    for folder in municipalities:
        if not folder.is_dir():
            fail("municipalities", "no_municipalities", folder=display_path(folder))
    scenarios = tuple(path for path in folders("scenarios", "scenarios") if path.exists()) \
        or municipalities
    sources = folders("sources", "sources")
    rules = None
    if "rules" in settings:
        law = folders("rules", "rules")
        rules = law[0] if law else None
        if rules is not None and not rules.is_dir():
            fail("rules", "no_rules", folder=display_path(rules))
    fail_under = settings.get("fail_under")
    if fail_under is not None and (isinstance(fail_under, bool) or not isinstance(
            fail_under, int | float) or not 0 <= fail_under <= 100):
        fail("fail_under", "fail_under", value=repr(fail_under)[:40])
        fail_under = None
    lang = settings.get("lang")
    if lang is not None and lang not in _LANGS:
        fail("lang", "lang", value=repr(lang)[:40])
        lang = None
    if problems:
        raise RuleSetError(problems)
    return Project(root=root, config=config, municipalities=municipalities,
                   scenarios=scenarios, sources=sources[0] if sources else None, rules=rules,
                   fail_under=float(fail_under) if fail_under is not None else None, lang=lang)


def project_of(args: argparse.Namespace) -> Project | None:
    """The project of a command's run, found once from the working directory and kept on its
    parsed arguments (the command, ``spstotte test`` and the rule lookups share it)."""
    if "project" not in vars(args):
        args.project = find_project()
    project: Project | None = args.project
    return project


def language(explicit: str | None = None, project: Project | None = None) -> str:
    """The language of reports and diagnostics: ``--lang``, else the project's ``lang``, else
    Danish when the locale is Danish (the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is
    set starts with ``da``), else English."""
    if explicit in _LANGS:
        return explicit
    if project is not None and project.lang:
        return project.lang
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "da" if value.lower().startswith("da") else "en"
    return "en"
