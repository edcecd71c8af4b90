"""The steps of resolution in order, from loaded files to one :class:`ResolvedRuleSet` with its
content hash; every problem of every file is collected and raised together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from ...errors import Diagnostic, Localized, ProfileError, ProfileProblem, RuleSetError
from ...lang.ruleformat import LetterSettings, MunicipalityRef, Text
from ...loader import LoadedYaml
from ...municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from .citations import check_bases, check_titles, collect_citations
from .merge import add_restatements, add_rules, declare, finish_rules
from .model import ResolvedRuleSet
from .order import check_refs, order_rules
from .parse import ParsedFile, parse_file
from .paths import check_path_rules, generated_grants, offered_paths, only_when_granted, prune
from .periods import ALWAYS, Period, boundaries, period_of, version_of, versions
from .state import Resolver


def resolve(law: Sequence[ParsedFile], municipality: ParsedFile | None,
            diagnostics: list[Diagnostic], period: Period = ALWAYS) -> ResolvedRuleSet | None:
    """Resolve parsed files (as they stood in ``period``, see :meth:`ParsedFile.at`) into one
    rule set; problems are appended to ``diagnostics``."""
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
                (name == "municipality_code" and not code)  # a wrong code: reported above
                or name in resolver.refused_parameters):  # a refused value: reported (R214)
            resolver.fail("R218", None, municipality.loaded.span(()), name=name)
    check_bases(resolver)
    check_titles(resolver)
    offered = offered_paths(resolver)
    offered_set = set(offered)  # read, never changed, by the steps below
    if municipality is not None:
        resolver.offered = set(offered)
    rules = finish_rules(resolver)
    all_ids = {r.id for r in rules} | {f"grant_{p}" for p in resolver.paths}
    if municipality is not None:
        rules = [r if offered_set.issuperset(r.paths)
                 else replace(r, paths=tuple(p for p in r.paths if p in offered_set))
                 for r in prune(rules, offered_set,
                                {k: v[0] for k, v in resolver.paths.items()})]
    grants = generated_grants(resolver, rules, offered if municipality else list(resolver.paths))
    rules = [only_when_granted(r, offered_set) for r in rules] + grants
    check_refs(resolver, rules, all_ids, offered_set)
    check_path_rules(resolver, rules, offered_set if municipality else set(resolver.paths))
    ordered = order_rules(resolver, rules)
    diagnostics.extend(resolver.diagnostics)
    if resolver.diagnostics:
        return None
    title = muni.title if muni else Text(da="Lovlaget", en="The law layer")
    files = tuple(p.loaded.file for p in law)
    if municipality is not None:
        files += (municipality.loaded.file,)
    return ResolvedRuleSet(
        id=muni.id if muni else "law", title=title, municipality_code=code,
        municipality_name=MUNICIPALITY_NAMES.get(code, ""), files=files,
        acts=dict(resolver.acts), sources={k: v[0] for k, v in resolver.sources.items()},
        paths={k: v[0] for k, v in resolver.paths.items()}, offered_paths=tuple(offered),
        appeal=dict(resolver.appeal), referrals=dict(resolver.referrals),
        parameters=dict(resolver.parameters), support_areas=dict(resolver.support_areas),
        delivery_forms=dict(resolver.delivery_forms), differences=tuple(resolver.differences),
        rules=tuple(ordered), _index={r.id: i for i, r in enumerate(ordered)},
        citations=collect_citations(resolver), period=period,
        letter=muni.letter if muni else None,
        parameters_used=frozenset(resolver.used_parameters),
        assessment_points={r.id: r.assessment_fact for r in ordered
                           if r.assessment_fact is not None},
    )


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


def parse_loaded(law: Iterable[LoadedYaml], municipality: LoadedYaml | None,
                 diagnostics: list[Diagnostic]) -> tuple[list[ParsedFile], ParsedFile | None]:
    """Every file validated and parsed; :class:`RuleSetError` if a file's structure is wrong
    (problems in conditions and periods stay in ``diagnostics``, so that resolution can add its
    own and all come at once)."""
    law_files = list(law)
    law_parsed = [p for p in (_parsed(x, diagnostics) for x in law_files) if p is not None]
    muni_parsed = _parsed(municipality, diagnostics) if municipality is not None else None
    whole = len(law_parsed) == len(law_files) and (municipality is None or muni_parsed)
    if diagnostics and not whole:
        raise RuleSetError(diagnostics)
    return law_parsed, muni_parsed


def rule_set_period(municipality: ParsedFile | None) -> Period:
    """The period a municipality's rule file is in force (always, for the law layer alone)."""
    return period_of(municipality.model) if municipality is not None else ALWAYS


def version_bounds(law: Sequence[ParsedFile], municipality: ParsedFile | None) -> tuple[date, ...]:
    """The dates at which the rule set of these files changes."""
    models = [p.model for p in law]
    if municipality is not None:
        models.append(municipality.model)
    return boundaries(models)


def not_in_force(ruleset_id: str, period: Period, day: date) -> ProfileError:
    """The error for a decision date outside a municipality's rule file's period."""
    return ProfileError([ProfileProblem.of(
        "on", "not_in_force", ruleset=ruleset_id, date=day.isoformat(),
        period=Localized(da=period.words("da"), en=period.words()))])


def resolve_on(law: Sequence[ParsedFile], municipality: ParsedFile | None, day: date,
               diagnostics: list[Diagnostic]) -> ResolvedRuleSet:
    """The rule set in force on ``day``; :class:`RuleSetError` with every problem."""
    in_force = rule_set_period(municipality)
    if not in_force.contains(day):
        assert municipality is not None
        raise not_in_force(municipality.model.id, in_force, day)
    _, period = version_of(version_bounds(law, municipality), day)
    ruleset = resolve([p.at(day) for p in law],
                      municipality.at(day) if municipality is not None else None,
                      diagnostics, period)
    if diagnostics or ruleset is None:
        raise RuleSetError(_unique(diagnostics))
    return ruleset


def resolve_loaded(law: Iterable[LoadedYaml], municipality: LoadedYaml | None,
                   on: date | None = None) -> ResolvedRuleSet:
    """Validate and resolve loaded YAML files into the rule set in force on ``on`` (default:
    today); raise :class:`RuleSetError` with every problem, or :class:`ProfileError` when the
    municipality's rule file is not in force on that date."""
    diagnostics: list[Diagnostic] = []
    law_parsed, muni_parsed = parse_loaded(law, municipality, diagnostics)
    # Files whose structure is valid are resolved even when some conditions had errors, so
    # that every problem of a file is reported at once.
    return resolve_on(law_parsed, muni_parsed, on or date.today(), diagnostics)


def resolve_versions(law: Iterable[LoadedYaml],
                     municipality: LoadedYaml | None) -> list[ResolvedRuleSet]:
    """Every version of the rule set, in date order (one for files without dates): what
    validation checks, since a problem may exist only in some periods. :class:`RuleSetError`
    with the problems of every version, each reported once."""
    diagnostics: list[Diagnostic] = []
    law_parsed, muni_parsed = parse_loaded(law, municipality, diagnostics)
    out: list[ResolvedRuleSet] = []
    for day, period in versions(version_bounds(law_parsed, muni_parsed),
                                rule_set_period(muni_parsed)):
        found: list[Diagnostic] = list(diagnostics)
        ruleset = resolve([p.at(day) for p in law_parsed],
                          muni_parsed.at(day) if muni_parsed is not None else None,
                          found, period)
        diagnostics.extend(d for d in found[len(diagnostics):])
        if ruleset is not None:
            out.append(ruleset)
    if diagnostics:
        raise RuleSetError(_unique(diagnostics))
    return out


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Each problem once: a problem of a rule in force in several versions is found in each."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for d in diagnostics:
        key = (d.code, str(d.span), d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
