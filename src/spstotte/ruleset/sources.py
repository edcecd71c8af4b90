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
        if sources_dir:
            return [Diagnostic.of("L405", "folder", None, severity=Severity.WARNING,
                                  folder=str(sources_dir))]
        return [Diagnostic.of("L405", "none", None, severity=Severity.WARNING)]
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
                out.append(Diagnostic.of("R211", "file", citation.span, file=doc.file,
                                         source=citation.source, folder=str(sources_dir)))
            continue
        text = folded_source(path)
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


