"""Provenance: finding the source texts and checking that every verbatim quote is in them.

The texts are plain-text extractions of PDFs and web pages, so line breaks fall mid-sentence:
quotes and texts are compared after folding all white space to single spaces.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from ..errors import Diagnostic, Severity
from .resolve import ResolvedRuleSet

#: Environment variable naming the folder of source texts.
SOURCES_ENV = "SPSTOTTE_SOURCES"


def fold(text: str) -> str:
    """Fold all white space (spaces, tabs, line breaks, non-breaking spaces) to single spaces."""
    return " ".join(text.replace("\u00a0", " ").split())


def find_sources_dir(explicit: str | Path | None = None) -> Path | None:
    """The folder of source texts: ``explicit``, else ``$SPSTOTTE_SOURCES``, else a
    ``shared/sources`` folder beside the working directory or the source checkout."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(SOURCES_ENV)
    if env:
        return Path(env)
    candidates = [Path.cwd() / ".." / "shared" / "sources", Path.cwd() / "shared" / "sources"]
    checkout = Path(__file__).resolve().parents[2]
    candidates.append(checkout.parent / "shared" / "sources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None


@lru_cache(maxsize=64)
def _folded_text(path: Path, mtime: float) -> str:
    return fold(path.read_text(encoding="utf-8"))


def folded_source(path: Path) -> str:
    """The folded text of a source file (cached while the file is unchanged)."""
    return _folded_text(path, path.stat().st_mtime)


def check_quotes(ruleset: ResolvedRuleSet, sources_dir: Path | None) -> list[Diagnostic]:
    """R212 for every quote not found in its source; L405 if the texts are not available."""
    if sources_dir is None or not sources_dir.is_dir():
        where = f" ({sources_dir})" if sources_dir else ""
        return [Diagnostic("L405", f"source texts not found{where}; quotes were not checked",
                           None, "pass --sources DIR or set SPSTOTTE_SOURCES",
                           Severity.WARNING)]
    out: list[Diagnostic] = []
    missing_files: set[str] = set()
    for citation in ruleset.citations:
        doc = ruleset.sources.get(citation.source)
        if doc is None:
            continue
        path = sources_dir / doc.file
        if not path.is_file():
            if doc.file not in missing_files:
                missing_files.add(doc.file)
                out.append(Diagnostic("R211", f"source file {doc.file} of {citation.source!r} "
                                      f"is not in {sources_dir}", citation.span,
                                      "check the file name under 'sources:'"))
            continue
        text = folded_source(path)
        if doc.parts:
            pieces = [piece for part in doc.parts if (piece := source_part(text, part.starts,
                                                                           part.ends))]
            if len(pieces) < len(doc.parts):
                out.append(Diagnostic(
                    "R211", f"a part of {doc.file} ({doc.publisher}) is not in the file: its "
                    "'starts' or 'ends' words were not found", citation.span,
                    "copy the first and last words of the part exactly from the source"))
                continue
            if not any(fold(citation.quote) in piece for piece in pieces):
                if fold(citation.quote) in text:
                    message = (f"{citation.cited_by}: quote is in {doc.file}, but outside the "
                               f"parts published by {doc.publisher}: {citation.quote!r}")
                else:
                    message = (f"{citation.cited_by}: quote not found in {doc.file} "
                               f"({doc.publisher}, {doc.title}): {citation.quote!r}")
                out.append(Diagnostic("R212", message, citation.span,
                                      "quote only the publisher's own text, exactly; attribute "
                                      "other text to its real publisher"))
            continue
        if fold(citation.quote) not in text:
            out.append(Diagnostic(
                "R212", f"{citation.cited_by}: quote not found in {doc.file} "
                f"({doc.publisher}, {doc.title}): {citation.quote!r}", citation.span,
                "copy the words exactly from the source; white space may differ",
            ))
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


