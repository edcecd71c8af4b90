"""Legal bases: every citation of a statute or a source checked, and collected for the rule set.

A law reference must exist in the statute catalogue, with its quote; a source must be declared;
the law layer cites no municipality's text, and a municipality only its own; a title that names
a provision cites it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ...errors import suggestion
from ...lang.ruleformat import SourceDocument
from ...loader import LoadedYaml
from ..statutes import check_reference, normal_section, sections_named
from .model import Citation, Layer
from .state import Resolver


def collect_citations(resolver: Resolver) -> tuple[Citation, ...]:
    """Every quote from a source, with where it is and what cites it."""
    out = []
    for basis, loaded, path, _layer in resolver.bases:
        owner = " ".join(str(p) for p in path[:2] if p != "rules")
        if path[0] in ("rules", "restates") and isinstance(path[1], int):
            items = loaded.data.get(path[0], []) if isinstance(loaded.data, dict) else []
            key = "id" if path[0] == "rules" else "rule"
            owner = f"rule {items[path[1]].get(key, path[1])}"
            if path[0] == "restates":
                owner += " (restated)"
        for j, src in enumerate(basis.sources):
            out.append(Citation(src.source, src.section, src.quote,
                                loaded.span((*path, "sources", j, "quote")), owner))
    return tuple(out)


def check_bases(resolver: Resolver) -> None:
    """Every law reference exists in the statute catalogue, every source is declared, and
    each is the citing layer's to cite."""
    for basis, loaded, path, layer in resolver.bases:
        for j, ref in enumerate(basis.law):
            problem = check_reference(ref)
            if problem is not None:
                key, code, variant, values = problem
                resolver.fail(code, variant, loaded.span((*path, "law", j, key)), **values)
        for j, src in enumerate(basis.sources):
            declared = resolver.sources.get(src.source)
            if declared is None:
                resolver.fail("R211", "unknown", loaded.span((*path, "sources", j, "source")),
                              source=src.source, sources=tuple(sorted(resolver.sources)),
                              suggestion=suggestion(_close(src.source, resolver.sources)))
                continue
            _check_publisher(resolver, src.source, declared[0], layer, loaded,
                             (*path, "sources", j, "source"))


def check_titles(resolver: Resolver) -> None:
    """A title that names a provision ('§ 12', '§§ 10 og 12') cites it in its basis."""
    for title, basis, span in resolver.titles:
        cited = {normal_section(ref.section) for ref in (basis.law if basis else [])}
        for lang in ("da", "en"):
            named = sections_named(title.get(lang))
            missing = [n for n in named if n not in cited]
            if missing:
                resolver.fail("R227", None, span, sections=", § ".join(missing),
                              title=title.get(lang))
                break


def _check_publisher(resolver: Resolver, name: str, doc: SourceDocument, layer: Layer,
                     loaded: LoadedYaml, path: tuple[str | int, ...]) -> None:
    """A decision never cites another municipality's text: the law layer cites statutes
    and national texts; a municipality's file cites its own municipality's texts."""
    if layer == "law" and doc.municipality is not None:
        resolver.fail("R226", "law", loaded.span(path), source=name,
                      municipality=doc.municipality, publisher=doc.publisher)
    elif (layer == "municipality" and resolver.municipality_code
          and doc.municipality != resolver.municipality_code):
        # (A municipality code that is wrong is reported once, at the file's header; every
        # citation is not reported again for it.)
        span = loaded.span(path)
        if doc.municipality is not None:
            resolver.fail("R226", "other_municipality", span, source=name,
                          municipality=doc.municipality, publisher=doc.publisher)
        else:
            resolver.fail("R226", "national", span, source=name, publisher=doc.publisher)


def _close(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return close[0] if close else None
