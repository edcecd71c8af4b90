"""Provenance: finding the source texts and checking that every verbatim quote is in them.

The texts are plain-text extractions of PDFs and web pages, so line breaks fall mid-sentence:
quotes and texts are compared after folding all white space to single spaces.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from ..errors import Diagnostic, Severity
from .resolve import ResolvedRuleSet

#: Environment variable naming the folder of source texts.
SOURCES_ENV = "SPSTOTTE_SOURCES"


def fold(text: str) -> str:
    """Fold all white space (spaces, tabs, line breaks, non-breaking spaces) to single spaces."""
    return " ".join(text.replace("\u00a0", " ").split())


def find_sources_dirs(explicit: str | Path | None = None,
                      own: Path | None = None) -> tuple[Path, ...]:
    """The folders a cited file is looked for in, in order: ``explicit`` (``--sources``), else
    ``$SPSTOTTE_SOURCES``; then ``own`` (a municipality repository's ``sources/``); then the
    texts shipped with spstotte, which the bundled rule files quote. So validation needs
    nothing outside the package and the user's repository."""
    from .._paths import bundled_sources_dir

    folders: list[Path] = []
    env = os.environ.get(SOURCES_ENV)
    if explicit is not None:
        folders.append(Path(explicit))
    elif env:
        folders.append(Path(env))
    if own is not None:
        folders.append(own)
    folders.append(bundled_sources_dir())
    return tuple(dict.fromkeys(folders))


@lru_cache(maxsize=64)
def _folded_text(path: Path, mtime: float) -> str:
    return fold(path.read_text(encoding="utf-8"))


def folded_source(path: Path) -> str:
    """The folded text of a source file (cached while the file is unchanged)."""
    return _folded_text(path, path.stat().st_mtime)


def check_quotes(ruleset: ResolvedRuleSet,
                 sources: Path | Sequence[Path] | None) -> list[Diagnostic]:
    """R212 for every quote not found in its source; R211 for a cited file found in none of
    the ``sources`` folders (see :func:`find_sources_dirs`); L405 if none of them exists."""
    folders = ((sources,) if isinstance(sources, Path) else tuple(sources or ()))
    present = [folder for folder in folders if folder.is_dir()]
    if not present:
        if folders:
            return [Diagnostic.of("L405", "folder", None, severity=Severity.WARNING,
                                  folder=", ".join(map(str, folders)))]
        return [Diagnostic.of("L405", "none", None, severity=Severity.WARNING)]
    out: list[Diagnostic] = []
    missing_files: set[str] = set()
    for citation in ruleset.citations:
        doc = ruleset.sources.get(citation.source)
        if doc is None:
            continue
        path = next((folder / doc.file for folder in present
                     if (folder / doc.file).is_file()), None)
        if path is None:
            if doc.file not in missing_files:
                missing_files.add(doc.file)
                out.append(Diagnostic.of("R211", "file", citation.span, file=doc.file,
                                         source=citation.source,
                                         folder=", ".join(map(str, present))))
            continue
        try:
            text = folded_source(path)
        except (UnicodeDecodeError, OSError):
            if doc.file not in missing_files:
                missing_files.add(doc.file)
                out.append(Diagnostic.of("Y003", "source", citation.span, file=doc.file))
            continue
        if doc.parts:
            pieces = [piece for part in doc.parts if (piece := source_part(text, part.starts,
                                                                           part.ends))]
            if len(pieces) < len(doc.parts):
                out.append(Diagnostic.of("R211", "part", citation.span, file=doc.file,
                                         publisher=doc.publisher))
                continue
            if not any(fold(citation.quote) in piece for piece in pieces):
                out.append(Diagnostic.of(
                    "R212", "outside_part" if fold(citation.quote) in text
                    else "not_found_in_part", citation.span, cited_by=citation.cited_by,
                    file=doc.file, publisher=doc.publisher, title=doc.title,
                    quote=citation.quote))
            continue
        if fold(citation.quote) not in text:
            out.append(Diagnostic.of(
                "R212", "not_found", citation.span, cited_by=citation.cited_by, file=doc.file,
                publisher=doc.publisher, title=doc.title, quote=citation.quote))
    return out


def source_part(folded_text: str, starts: str, ends: str) -> str | None:
    """The folded text from the words ``starts`` to the words ``ends`` (inclusive), or
    ``None`` if either is not found in order."""
    begin = folded_text.find(fold(starts))
    if begin < 0:
        return None
    end = folded_text.find(fold(ends), begin)
    if end < 0:
        return None
    return folded_text[begin:end + len(fold(ends))]


