"""``spstotte validate``: check rule files before anything runs.

Every municipality file is resolved against the law layer, compiled with the engine's guards,
and its quotes are checked against the source texts. All problems of all files are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .._paths import display_path
from ..engine.compiler import compile_ruleset
from ..engine.lint import lint
from ..errors import Collector, Diagnostic, RuleSetError
from ..library import duplicate_municipality, load_many
from ..loader import LoadedYaml, iter_yaml_files, load_yaml_file
from ..project import Project
from ..ruleset.resolve import ResolvedRuleSet
from ..ruleset.resolve.pipeline import resolve_versions
from ..ruleset.sources import check_quotes, find_sources_dirs


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(iter_yaml_files(path) if path.is_dir() else [path])
    return files


def _duplicate_claims(municipal: Sequence[LoadedYaml]) -> list[Diagnostic]:
    """R229 where two of the files checked are for the same municipality."""
    by_code: dict[int, list[str]] = {}
    for loaded in municipal:
        data = loaded.data if isinstance(loaded.data, dict) else {}
        info = data.get("municipality")
        code = info.get("code") if isinstance(info, dict) else None
        if isinstance(code, int):
            by_code.setdefault(code, []).append(loaded.file)
    return [d for code, files in by_code.items() if len(files) > 1
            for d in duplicate_municipality(code, files)]


def _is_law(loaded: LoadedYaml) -> bool:
    return isinstance(loaded.data, dict) and loaded.data.get("layer") == "law"


def check_ruleset(ruleset: ResolvedRuleSet,
                  sources_dir: Path | Sequence[Path] | None) -> list[Diagnostic]:
    """Engine guards and quote checks for a resolved rule set (plus lint, see lint.py)."""
    out: list[Diagnostic] = []
    if ruleset.municipality_code:  # the law layer alone cannot run: it has no municipality
        try:
            compile_ruleset(ruleset)
        except RuleSetError as exc:
            out.extend(exc.diagnostics)
    out.extend(check_quotes(ruleset, sources_dir))
    if ruleset.municipality_code:
        out.extend(lint(ruleset))
    return out


def validate_paths(paths: Sequence[Path], *, law_dir: str | Path | None = None,
                   sources_dir: str | Path | None = None,
                   project: Project | None = None) -> tuple[list[Diagnostic], list[str]]:
    """Validate municipality files (or folders of them). With no paths: the ``project``'s
    rule files (a municipality's own repository, see :mod:`spstotte.project`), or, with no
    project, every bundled rule set and the law layer.

    Quotes are checked against ``sources_dir``, the project's ``sources/`` and the texts
    shipped with spstotte, in that order. Returns the diagnostics (errors, warnings and notes)
    and the names of the rule sets checked.
    """
    from .._paths import bundled_dirs

    default_law, default_municipalities = bundled_dirs()
    if project is not None:
        default_law = project.rules or default_law
    law_folder = Path(law_dir) if law_dir is not None else default_law
    sources = find_sources_dirs(sources_dir, project.sources if project is not None else None)
    collected = Collector()
    checked: list[str] = []
    add = collected.extend

    try:
        law = load_many(iter_yaml_files(law_folder)) if law_folder.is_dir() else []
    except RuleSetError as exc:
        add(exc.diagnostics)
        law = []
    if not law_folder.is_dir():
        add([Diagnostic.of("Y006", "law_folder", None, folder=str(law_folder))])
    if paths:
        targets = _expand(paths)
    elif project is not None:
        targets = _expand(project.municipalities)
    else:
        targets = list(iter_yaml_files(default_municipalities))
    municipal: list[LoadedYaml] = []
    for target in targets:
        try:
            loaded = load_yaml_file(target, display_path(target))
        except RuleSetError as exc:
            add(exc.diagnostics)
            checked.append(str(target))
            continue
        if _is_law(loaded):
            continue  # a law-layer file named on the command line: checked with the layer
        municipal.append(loaded)
    add(_duplicate_claims(municipal))
    # The law layer alone: when everything bundled is checked, or a law file is named. A
    # municipality's repository checks only its own files (each resolved with the law layer).
    if law and ((not paths and project is None)
                or any(_is_law_path(p, law_folder) for p in paths)):
        try:
            for ruleset in resolve_versions(law, None):
                add(check_ruleset(ruleset, sources))
        except RuleSetError as exc:
            add(exc.diagnostics)
        checked.append("law")
    for loaded in municipal:
        checked.append(loaded.file)
        # Every version: a problem may exist only in the rules in force for some period.
        try:
            rulesets = resolve_versions(law, loaded)
        except RuleSetError as exc:
            add(exc.diagnostics)
            continue
        for ruleset in rulesets:
            add(check_ruleset(ruleset, sources))
    return collected.items(), checked


def _is_law_path(path: Path, law_folder: Path) -> bool:
    try:
        law = law_folder.resolve()
        return path.resolve() == law or path.resolve().parent == law
    except OSError:
        return False


def validate_summary(lang: str, *, checked: int, errors: int, warnings: int, notes: int) -> str:
    """The last line of ``spstotte validate``: how many rule sets, errors and warnings."""
    from ..texts import text

    status = text("report.failed" if errors else "report.ok", lang)
    line = text("report.summary", lang, status=status, n=checked, errors=errors,
                warnings=warnings)
    return line + (text("report.summary_notes", lang, notes=notes) if notes else "")
