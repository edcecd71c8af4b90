"""The steps of resolution in order, from loaded files to one :class:`ResolvedRuleSet` with its
content hash; every problem of every file is collected and raised together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ...errors import Diagnostic, RuleSetError
from ...lang.ruleformat import LetterSettings, MunicipalityRef, Text
from ...loader import LoadedYaml
from ...municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from ..fingerprint import content_hash
from .citations import check_bases, check_titles, collect_citations
from .merge import add_restatements, add_rules, declare, finish_rules
from .model import ResolvedRuleSet
from .order import check_refs, order_rules
from .parse import ParsedFile, parse_file
from .paths import check_path_rules, generated_grants, offered_paths, only_when_granted, prune
from .state import Resolver


def resolve(law: Sequence[ParsedFile], municipality: ParsedFile | None,
            diagnostics: list[Diagnostic]) -> ResolvedRuleSet | None:
    """Resolve parsed files into one rule set; problems are appended to ``diagnostics``."""
    resolver = Resolver()
    for parsed in law:
        if parsed.model.layer != "law":
            resolver.fail("R217", "layer_law", parsed.loaded.span(("layer",)))
        declare(resolver, parsed, "law")
    for parsed in law:
        add_rules(resolver, parsed, "law")
        _check_file_name(resolver, parsed.model.id, parsed.loaded)
    muni = municipality.model if municipality else None
    if municipality is not None and muni is not None:
        loaded = municipality.loaded
        if muni.layer != "municipality":
            resolver.fail("R217", "layer_municipality", loaded.span(("layer",)))
        if muni.municipality is None:
            resolver.fail("R102", "municipality", loaded.span(()))
        elif _check_municipality(resolver, muni.municipality, loaded):
            # Only a code that is right is used: a wrong one is reported once, here, and not
            # again by every law-layer rule that reads the municipality or every citation of
            # the municipality's own texts.
            resolver.municipality_code = muni.municipality.code
        _check_file_name(resolver, muni.id, loaded)
        if muni.extends not in (None, "law"):
            resolver.fail("R217", "extends", loaded.span(("extends",)), extends=muni.extends)
        if muni.letter is not None:
            _check_letter(resolver, muni.letter, loaded)
        declare(resolver, municipality, "municipality")
        add_rules(resolver, municipality, "municipality")
        add_restatements(resolver, municipality)
    code = resolver.municipality_code
    if "municipality_code" in resolver.parameters and code:
        param = resolver.parameters["municipality_code"]
        resolver.parameters["municipality_code"] = replace(param, value=code)
    for name, param in resolver.parameters.items():
        if param.value is None and municipality is not None and not (
                name == "municipality_code" and not code):  # a wrong code: reported above
            resolver.fail("R218", None, municipality.loaded.span(()), name=name)
    check_bases(resolver)
    check_titles(resolver)
    offered = offered_paths(resolver)
    if municipality is not None:
        resolver.offered = set(offered)
    rules = finish_rules(resolver)
    all_ids = {r.id for r in rules} | {f"grant_{p}" for p in resolver.paths}
    if municipality is not None:
        rules = [replace(r, paths=tuple(p for p in r.paths if p in offered))
                 for r in prune(rules, set(offered),
                                {k: v[0] for k, v in resolver.paths.items()})]
    grants = generated_grants(resolver, rules, offered if municipality else list(resolver.paths))
    rules = [only_when_granted(r, set(offered)) for r in rules] + grants
    check_refs(resolver, rules, all_ids, set(offered))
    check_path_rules(resolver, rules, set(offered) if municipality else set(resolver.paths))
    ordered = order_rules(resolver, rules)
    diagnostics.extend(resolver.diagnostics)
    if resolver.diagnostics:
        return None
    title = muni.title if muni else Text(da="Lovlaget", en="The law layer")
    files = tuple(p.loaded.file for p in law)
    if municipality is not None:
        files += (municipality.loaded.file,)
    ruleset = ResolvedRuleSet(
        id=muni.id if muni else "law", title=title, municipality_code=code,
        municipality_name=MUNICIPALITY_NAMES.get(code, ""), files=files,
        acts=dict(resolver.acts), sources={k: v[0] for k, v in resolver.sources.items()},
        paths={k: v[0] for k, v in resolver.paths.items()}, offered_paths=tuple(offered),
        appeal=dict(resolver.appeal), referrals=dict(resolver.referrals),
        parameters=dict(resolver.parameters), support_areas=dict(resolver.support_areas),
        delivery_forms=dict(resolver.delivery_forms), differences=tuple(resolver.differences),
        rules=tuple(ordered), _index={r.id: i for i, r in enumerate(ordered)},
        citations=collect_citations(resolver),
        letter=muni.letter if muni else None,
        parameters_used=frozenset(resolver.used_parameters),
        assessment_points={r.id: r.assessment_fact for r in ordered
                           if r.assessment_fact is not None},
    )
    return replace(ruleset, content_hash=content_hash(ruleset))


def _check_file_name(resolver: Resolver, rule_set_id: str, loaded: LoadedYaml) -> None:
    """A rule file's id is its file name: decisions record the id, and the municipality is
    asked for by file name, so the two must not differ."""
    if loaded.path is not None and loaded.path.stem != rule_set_id:
        resolver.fail("R230", None, loaded.span(("id",)), id=rule_set_id,
                      file=loaded.path.name, stem=loaded.path.stem)


def _check_municipality(resolver: Resolver, header: MunicipalityRef,
                        loaded: LoadedYaml) -> bool:
    """The header's code is one of the 98 and its name is that municipality's; a problem is
    reported once, at the line of the header that is wrong. True if both are right."""
    code, name = header.code, header.name
    try:
        named: int | None = municipality_code(name)
    except MunicipalityLookupError:
        named = None
    if code not in MUNICIPALITY_NAMES:
        first, last = min(MUNICIPALITY_NAMES), max(MUNICIPALITY_NAMES)
        span = loaded.span(("municipality", "code"))
        if named is not None:
            resolver.fail("R104", "municipality_code_named", span, code=code, name=name,
                          official=MUNICIPALITY_NAMES[named], named=named)
        else:
            resolver.fail("R104", "municipality_code", span, code=code, first=first,
                          first_name=MUNICIPALITY_NAMES[first], last=last,
                          last_name=MUNICIPALITY_NAMES[last])
        return False
    if named == code:
        return True
    span = loaded.span(("municipality", "name"))
    if named is None:
        resolver.fail("R104", "municipality_name_unknown", span, code=code, name=name,
                      official=MUNICIPALITY_NAMES[code])
    else:
        resolver.fail("R104", "municipality_name", span, code=code, name=name,
                      official=MUNICIPALITY_NAMES[code], named=named,
                      named_official=MUNICIPALITY_NAMES[named])
    return False


def _check_letter(resolver: Resolver, letter: LetterSettings, loaded: LoadedYaml) -> None:
    """The letter settings' legal basis is cited like any other; their templates folder
    exists."""
    if letter.legal_basis is not None:
        resolver.bases.append((letter.legal_basis, loaded, ("letter", "legal_basis"),
                               "municipality"))
    if letter.templates is not None and loaded.path is not None:
        # Checked where the file is on disk (not for rule text from git or a string).
        folder = loaded.path.parent / letter.templates
        if not folder.is_dir():
            resolver.fail("R228", None, loaded.span(("letter", "templates")),
                          folder=letter.templates, file=loaded.file)


def _parsed(loaded: LoadedYaml, diagnostics: list[Diagnostic]) -> ParsedFile | None:
    """:func:`.parse.parse_file`, once for each loaded file: a library resolves each of its
    municipalities with the same law files (what it gives is never changed)."""
    memo = loaded.memo.get("parsed")
    if memo is None:
        found: list[Diagnostic] = []
        memo = loaded.memo["parsed"] = (parse_file(loaded, found), tuple(found))
    diagnostics.extend(memo[1])
    parsed: ParsedFile | None = memo[0]
    return parsed


def resolve_loaded(law: Iterable[LoadedYaml], municipality: LoadedYaml | None) -> ResolvedRuleSet:
    """Validate and resolve loaded YAML files; raise :class:`RuleSetError` with every problem."""
    diagnostics: list[Diagnostic] = []
    law_files = list(law)
    law_parsed = [p for p in (_parsed(x, diagnostics) for x in law_files) if p is not None]
    muni_parsed = _parsed(municipality, diagnostics) if municipality is not None else None
    whole = len(law_parsed) == len(law_files) and (municipality is None or muni_parsed)
    if diagnostics and not whole:
        raise RuleSetError(diagnostics)
    # Files whose structure is valid are resolved even when some conditions had errors, so
    # that every problem of a file is reported at once.
    ruleset = resolve(law_parsed, muni_parsed, diagnostics)
    if diagnostics or ruleset is None:
        raise RuleSetError(diagnostics)
    return ruleset
