"""Legal bases: every citation of a statute or a source checked, and collected for the rule set.

A law reference must exist in the statute catalogue, with its quote; a source must be declared;
the law layer cites no municipality's text, and a municipality only its own; a title that names
a provision cites it.
"""

from __future__ import annotations

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
                key, message, hint = problem
                code = "R216" if key == "act" else "R224" if key == "quote" else "R225"
                resolver.fail(code, message, loaded.span((*path, "law", j, key)), hint)
        for j, src in enumerate(basis.sources):
            declared = resolver.sources.get(src.source)
            if declared is None:
                resolver.fail("R211", f"unknown source {src.source!r}",
                              loaded.span((*path, "sources", j, "source")),
                              "sources: " + ", ".join(sorted(resolver.sources)))
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
                resolver.fail("R227", f"the title names § {', § '.join(missing)}, which its "
                              f"legal basis does not cite: {title.get(lang)!r}", span,
                              "cite the provision under legal_basis.law, or take it out of "
                              "the title")
                break


def _check_publisher(resolver: Resolver, name: str, doc: SourceDocument, layer: Layer,
                     loaded: LoadedYaml, path: tuple[str | int, ...]) -> None:
    """A decision never cites another municipality's text: the law layer cites statutes
    and national texts; a municipality's file cites its own municipality's texts."""
    span = loaded.span(path)
    if layer == "law" and doc.municipality is not None:
        resolver.fail("R226", f"the law layer cites {name!r}, a text of municipality "
                      f"{doc.municipality} ({doc.publisher}); every municipality's decisions "
                      "would cite it", span,
                      "cite the statute (law: with act, section, stk. and a quote from "
                      "spstotte/statutes.yaml) and move the municipal text to that "
                      "municipality's file")
    elif layer == "municipality" and doc.municipality != resolver.municipality_code:
        owner = (f"municipality {doc.municipality} ({doc.publisher})"
                 if doc.municipality is not None else f"a national text ({doc.publisher})")
        resolver.fail("R226", f"this municipality's rules cite {name!r}, {owner}; a "
                      "municipality's rule set may cite only its own municipality's texts",
                      span, "cite the statute for the law, and your own municipality's "
                      "texts for the service level")
