"""The law layer and a municipality combined: declarations, rules, overrides and restatements,
and the checks that a municipality's service level neither narrows nor widens the statute.

A municipal rule is service level: it guides the caseworker's assessment and never binds it, so
:func:`finish_rules` makes every service-level requirement one a recorded assessment can depart
from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ...errors import Message, suggestion
from ...facts import assessment_fact, fact_spec
from ...lang.conditions import (
    All,
    AnyOf,
    Compare,
    Conclusion,
    Condition,
    ConditionKind,
    Guidance,
    Inform,
    Obligation,
    ParamRef,
    Refer,
    Require,
    facts_read,
)
from ...lang.operators import Op
from ...lang.ruleformat import LegalBasis, Text
from ...loader import LoadedYaml
from ...vocabulary import SupportArea, closest_value
from .model import Layer, Override, ResolvedRule
from .parameters import declare_parameter, substitute
from .parse import ParsedFile
from .periods import ALWAYS, period_of
from .state import Resolver


def declare(resolver: Resolver, parsed: ParsedFile, layer: Layer) -> None:
    """A file's declarations: sources, paths, appeal schemes, referral targets, support
    areas, delivery forms, differences and parameters."""
    model, loaded = parsed.model, parsed.loaded
    if layer == "municipality":
        for key in ("paths", "appeal"):
            if getattr(model, key):
                resolver.fail("R217", "law_key", loaded.span((key,), key=True), key=key)
    for name, doc in model.sources.items():
        span = loaded.span(("sources", name), key=True)
        if name in resolver.sources:
            resolver.fail("R206", "source", span, name=name, first=str(resolver.sources[name][1]))
        else:
            resolver.sources[name] = (doc, span)
    for name, path in model.paths.items():
        span = loaded.span(("paths", name), key=True)
        if name in resolver.paths:
            resolver.fail("R206", "declared", span, what=Message.of("problems.what.path"),
                          name=name)
        else:
            resolver.paths[name] = (path, span)
            resolver.titles.append((path.title, path.legal_basis,
                                    loaded.span(("paths", name, "title"))))
            resolver.bases.append((path.legal_basis, loaded, ("paths", name, "legal_basis"),
                                   layer))
    for name, scheme in model.appeal.items():
        _unique(resolver, resolver.appeal, name, scheme, loaded, ("appeal", name), "appeal")
        resolver.bases.append((scheme.legal_basis, loaded, ("appeal", name, "legal_basis"), layer))
    for name, referral in model.referrals.items():
        if (layer == "municipality" and resolver.referral_layers.get(name) == "law"):
            # A municipality names a law-layer referral target in its own words (e.g. its
            # own open offers), citing its own text.
            if referral.legal_basis is None or not referral.legal_basis.sources:
                resolver.fail("R219", "referral", loaded.span(("referrals", name), key=True),
                              name=name)
            resolver.referrals[name] = referral
            resolver.referral_layers[name] = layer
        else:
            _unique(resolver, resolver.referrals, name, referral, loaded, ("referrals", name),
                    "referral")
            resolver.referral_layers.setdefault(name, layer)
        resolver.titles.append((referral.title, referral.legal_basis,
                                loaded.span(("referrals", name, "title"))))
        if referral.legal_basis:
            resolver.bases.append((referral.legal_basis, loaded,
                                   ("referrals", name, "legal_basis"), layer))
    for name, area in model.support_areas.items():
        if not parsed.shows("support_areas", name):
            continue
        _unique(resolver, resolver.support_areas, name, area, loaded, ("support_areas", name),
                "support_area")
        for i, covered in enumerate(area.covers):
            if covered not in {a.value for a in SupportArea}:
                areas = tuple(a.value for a in SupportArea)
                resolver.fail("R220", "area", loaded.span(("support_areas", name, "covers", i)),
                              value=covered, areas=areas,
                              suggestion=suggestion(closest_value(covered, areas)))
        resolver.bases.append((area.legal_basis, loaded, ("support_areas", name, "legal_basis"),
                               layer))
    for name, form in model.delivery_forms.items():
        if not parsed.shows("delivery_forms", name):
            continue
        _unique(resolver, resolver.delivery_forms, name, form, loaded, ("delivery_forms", name),
                "delivery_form")
        resolver.bases.append((form.legal_basis, loaded, ("delivery_forms", name, "legal_basis"),
                               layer))
    resolver.differences.extend(model.differences)
    for i, difference in enumerate(model.differences):
        for j, source in enumerate(difference.sources):
            if source not in resolver.sources and source not in model.sources:
                resolver.fail("R211", "unknown", loaded.span(("differences", i, "sources", j)),
                              source=source, sources=tuple(sorted({*resolver.sources,
                                                                    *model.sources})),
                              suggestion="")
    for name, param in model.parameters.items():
        if not param.versions:
            declare_parameter(resolver, name, param, loaded, layer)
            continue
        # Versions: the one in force is the value; none in force sets nothing.
        current = [k for k in range(len(param.versions))
                   if parsed.shows("parameters", name, "versions", k)]
        if not current and param.type is None:
            continue
        own_basis = False
        if current:
            version = param.versions[current[0]]
            own_basis = version.legal_basis is not None
            param = param.model_copy(update={
                "value": version.value, "versions": [],
                "legal_basis": version.legal_basis or param.legal_basis})
        declare_parameter(resolver, name, param, loaded, layer,
                          ("parameters", name, "versions", current[0]) if current else None,
                          own_basis, period_of(version) if current else ALWAYS)


def _unique(resolver: Resolver, table: dict[str, Any], name: str, value: Any, loaded: LoadedYaml,
            path: tuple[str, ...], what: str) -> None:
    """``table[name] = value``, unless the name is declared already (R206)."""
    if name in table:
        resolver.fail("R206", "declared", loaded.span(path, key=True),
                      what=Message.of(f"problems.what.{what}"), name=name)
    else:
        table[name] = value


def add_rules(resolver: Resolver, parsed: ParsedFile, layer: Layer) -> None:
    """A file's rules, each with its kind of condition; a municipal rule overrides a law-layer
    rule only where the statute leaves it to the municipality (obligations, information,
    guidance)."""
    loaded, model = parsed.loaded, parsed.model
    by_index = {i: (cond, concl) for i, cond, concl in parsed.rules}
    resolver.broken_ids |= parsed.broken_ids
    for i, rule in enumerate(model.rules):
        if not parsed.shows("rules", i):
            continue
        span = loaded.span(("rules", i))
        id_span = loaded.span(("rules", i, "id"))
        if rule.overrides is not None:
            if layer != "municipality":
                resolver.fail("R217", "override", loaded.span(("rules", i, "overrides"), key=True))
            elif rule.overrides != rule.id:
                resolver.fail("R207", "other_id", loaded.span(("rules", i, "overrides")),
                              target=rule.overrides, rule=rule.id)
            elif rule.overrides not in resolver.law_rule_ids:
                resolver.fail("R207", "missing", loaded.span(("rules", i, "overrides")),
                              target=rule.overrides)
            if rule.reason is None:
                resolver.fail("R208", None, id_span, rule=rule.id)
        elif rule.reason is not None:
            resolver.fail("R101", "reason", loaded.span(("rules", i, "reason"), key=True))
        if rule.id in resolver.rules and rule.overrides is None:
            existing = resolver.rules[rule.id]
            if existing.layer == "law" and layer == "municipality":
                resolver.fail("R215", None, id_span, rule=rule.id, where=str(existing.span))
            else:
                resolver.fail("R206", "rule", id_span, rule=rule.id, first=str(existing.span))
            continue
        if not rule.legal_basis.law and not rule.legal_basis.sources:
            resolver.fail("R219", "none", loaded.span(("rules", i, "legal_basis"), key=True),
                          rule=rule.id)
        if layer == "municipality" and not rule.legal_basis.sources:
            resolver.fail("R219", "municipal", loaded.span(("rules", i, "legal_basis"), key=True),
                          rule=rule.id)
        if layer == "law":
            for j, ref in enumerate(rule.legal_basis.law):
                if ref.stk is None:
                    resolver.fail("R102", "stk", loaded.span(("rules", i, "legal_basis", "law", j)),
                                  act=ref.act, section=ref.section)
        resolver.bases.append((rule.legal_basis, loaded, ("rules", i, "legal_basis"), layer))
        if rule.title is not None:
            resolver.titles.append((rule.title, rule.legal_basis,
                                    loaded.span(("rules", i, "title"))))
        if i not in by_index:
            continue  # its condition had errors, already reported
        condition, conclusion = by_index[i]
        kind = _condition_kind(resolver, rule.condition_kind, layer, conclusion, loaded, i)
        override = None
        if rule.overrides is not None and rule.overrides in resolver.rules:
            replaced = resolver.rules[rule.overrides]
            if not (isinstance(replaced.conclusion, (Obligation, Inform, Guidance))
                    and isinstance(conclusion, (Obligation, Inform, Guidance))):
                # What the statute requires is not the municipality's to change: a service
                # level can add a presumption (its own rule), never rewrite the law.
                resolver.fail("R222", None, loaded.span(("rules", i, "overrides")),
                              rule=rule.id, target=replaced.id, where=str(replaced.span))
            override = Override(rule.overrides, rule.reason or Text(da="", en=""),
                                replaced.title, replaced.span)
        quote_spans = tuple(loaded.span(("rules", i, "legal_basis", "sources", j, "quote"))
                            for j in range(len(rule.legal_basis.sources)))
        resolver.rules[rule.id] = ResolvedRule(
            id=rule.id, title=rule.title, legal_basis=rule.legal_basis, condition=condition,
            conclusion=conclusion, layer=layer, span=span, override=override,
            note=rule.note, quote_spans=quote_spans, condition_kind=kind,
            period=period_of(rule),
        )
        if layer == "law":
            resolver.law_rule_ids.add(rule.id)


def _condition_kind(resolver: Resolver, written: str | None, layer: Layer, conclusion: Conclusion,
                    loaded: LoadedYaml, index: int) -> ConditionKind:
    """The kind of a rule's condition: what it is written as, else its layer's default."""
    default = (ConditionKind.SERVICE_LEVEL if layer == "municipality"
               else ConditionKind.STATUTE)
    kind = ConditionKind(written) if written is not None else default
    where = loaded.span(("rules", index, "condition_kind"))
    if layer == "municipality" and kind is not ConditionKind.SERVICE_LEVEL:
        resolver.fail("R221", "municipal", where, kind=kind.value)
    elif layer == "law" and kind is ConditionKind.SERVICE_LEVEL:
        resolver.fail("R221", "law", where)
    if (layer == "municipality" and isinstance(conclusion, Require)
            and conclusion.on_fail in ("forward", "close")):
        resolver.fail("R221", "on_fail", loaded.span(("rules", index, "then")),
                      on_fail=conclusion.on_fail)
    return kind


def add_restatements(resolver: Resolver, parsed: ParsedFile) -> None:
    """Law-layer rules the municipality restates with its own text (``restates:``): the
    rule is unchanged, its legal basis and note gain the municipality's words."""
    loaded = parsed.loaded
    for i, restatement in enumerate(parsed.model.restates):
        if not parsed.shows("restates", i):
            continue
        rule = resolver.rules.get(restatement.rule)
        if rule is None or rule.layer != "law":
            resolver.fail("R204", "restates", loaded.span(("restates", i, "rule")),
                          rule=restatement.rule, suggestion=suggestion(_closest(
                              restatement.rule, resolver.law_rule_ids)))
            continue
        basis = LegalBasis(law=rule.legal_basis.law,
                           sources=[*rule.legal_basis.sources, *restatement.sources])
        resolver.bases.append((LegalBasis(sources=restatement.sources), loaded,
                               ("restates", i), "municipality"))
        note = rule.note
        if restatement.note is not None:
            note = restatement.note if note is None else Text(
                da=f"{note.da} {restatement.note.da}", en=f"{note.en} {restatement.note.en}")
        resolver.rules[rule.id] = replace(rule, legal_basis=basis, note=note)
    if parsed.model.restates and parsed.model.layer != "municipality":
        resolver.fail("R217", "restates", loaded.span(("restates",), key=True))


def finish_rules(resolver: Resolver) -> list[ResolvedRule]:
    """Every rule as it is evaluated: parameters substituted, paths expanded, referral
    targets checked, and each service-level requirement made departable."""
    declared_paths = set(resolver.paths)
    out: list[ResolvedRule] = []
    for rule in resolver.rules.values():
        condition = substitute(resolver, rule.condition)
        conclusion = rule.conclusion
        paths: tuple[str, ...] = ()
        if isinstance(conclusion, (Require, Refer, Obligation, Inform)):
            selector = conclusion.paths
            if selector == "all":
                paths = tuple(resolver.paths)
            else:
                for path_id in selector:
                    if path_id not in declared_paths:
                        resolver.fail("R210", "unknown", conclusion.span, path=path_id,
                                      paths=tuple(resolver.paths))
                paths = tuple(p for p in selector if p in declared_paths)
        target = (conclusion.refer_to if isinstance(conclusion, Require)
                  else conclusion.to if isinstance(conclusion, Refer) else None)
        if target is not None and target not in resolver.referrals:
            resolver.fail("R213", None, conclusion.span, target=target,  # type: ignore[union-attr]
                          referrals=tuple(sorted(resolver.referrals)),
                          suggestion=suggestion(_closest(target, resolver.referrals)))
        if isinstance(conclusion, Obligation) and isinstance(conclusion.after_months, ParamRef):
            ref = conclusion.after_months
            resolver.used_parameters.add(ref.name)
            param = resolver.parameters.get(ref.name)
            if param is None:
                resolver.fail("R205", "unknown", ref.span, name=ref.name,
                              params=tuple(sorted(resolver.parameters)),
                              suggestion=suggestion(_closest(ref.name, resolver.parameters)))
                conclusion = replace(conclusion, after_months=())
            elif param.type != "int_list":
                resolver.fail("R214", "not_int_list", ref.span, name=ref.name, type=param.type)
                conclusion = replace(conclusion, after_months=())
            else:
                conclusion = replace(conclusion, after_months=tuple(param.value or ()),
                                     after_months_param=ref.name)
        written = None
        assessment = None
        if rule.condition_kind is ConditionKind.ASSESSMENT and not any(
                fact_spec(f).discretionary for f in facts_read(condition)):
            resolver.fail("R221", "assessment", rule.span, rule=rule.id,
                          points=tuple(n for n, f in _discretionary_facts()))
        if (rule.condition_kind is ConditionKind.SERVICE_LEVEL
                and isinstance(conclusion, (Require, Refer))):
            # A service level guides, it never binds: the caseworker's concrete, individual
            # assessment, once recorded, decides; until then the service level applies.
            written = condition
            assessment = assessment_fact(rule.id)
            condition = _departable(condition, assessment)
        out.append(replace(rule, condition=condition, conclusion=conclusion, paths=paths,
                           written=written, assessment_fact=assessment))
    return out


def _discretionary_facts() -> list[tuple[str, object]]:
    from ...facts import FACTS

    return [(n, f) for n, f in FACTS.items() if f.discretionary]


def _departable(condition: Condition, fact: str) -> Condition:
    """``(assessed and finding) or (not assessed and condition)``: a recorded assessment
    decides, else the condition as written applies."""
    span = condition.span
    return AnyOf((
        All((Compare(fact, Op.KNOWN, True, span), Compare(fact, Op.EQ, True, span)), span),
        All((Compare(fact, Op.KNOWN, False, span), condition), span),
    ), span)


def _closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is most likely a misspelling of."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return close[0] if close else None
