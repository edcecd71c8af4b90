"""Stage 3, resolve: the law layer plus one municipality's service level, as one flat rule set.

Resolution validates every file, merges the law layer's files, applies the municipality's
parameters, rules and explicit overrides, substitutes parameters into conditions, generates one
grant rule per offered path, orders the rules so that every rule comes after the rules it reads,
and computes a content hash that identifies this exact rule set in every decision record.
All problems of all files are collected and raised together as one :class:`RuleSetError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

from pydantic import ValidationError

from .conditions import (
    All,
    AnyOf,
    Compare,
    Conclusion,
    Condition,
    ConditionKind,
    ConditionParser,
    ConditionVisitor,
    Derive,
    Grant,
    Guidance,
    Inform,
    InvalidValue,
    Not,
    Obligation,
    ParamRef,
    Refer,
    Require,
    RuleRef,
    check_value,
    facts_read,
    rules_read,
    value_hint,
)
from .diagnose import diagnostics_from
from .errors import Diagnostic, RuleSetError, Span
from .facts import FactKind, assessment_fact, fact_spec
from .fingerprint import content_hash
from .loader import LoadedYaml
from .municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from .operators import OPERATORS, Op, Operand
from .ruleformat import (
    Act,
    AppealScheme,
    DeliveryForm,
    Difference,
    LegalBasis,
    LetterSettings,
    Parameter,
    PathDef,
    Referral,
    RuleFile,
    SourceDocument,
    SupportAreaDef,
    Text,
)
from .statutes import acts as statute_acts
from .statutes import check_reference, normal_section, sections_named
from .vocabulary import RANKS, Impairment, SocialProblem, SupportArea, SupportNeed

Layer = Literal["law", "municipality", "generated"]


@dataclass(frozen=True)
class Override:
    """What a municipal rule replaces in the law layer, and why."""

    rule: str
    reason: Text
    replaced_title: Text
    replaced_span: Span


@dataclass(frozen=True)
class ResolvedRule:
    """A rule of the resolved set, with parameters substituted and paths expanded."""

    id: str
    title: Text
    legal_basis: LegalBasis
    condition: Condition
    conclusion: Conclusion
    layer: Layer
    span: Span
    paths: tuple[str, ...] = ()
    override: Override | None = None
    note: Text | None = None
    quote_spans: tuple[Span, ...] = ()
    depth: int = 0
    condition_kind: ConditionKind = ConditionKind.STATUTE
    #: The condition as written (parameters substituted), where ``condition`` wraps it: a
    #: service-level requirement also reads the caseworker's assessment of it.
    written: Condition | None = None
    #: The fact that carries the caseworker's assessment (service-level requirements only).
    assessment_fact: str | None = None

    @property
    def stated_condition(self) -> Condition:
        """The condition as the rule's author wrote it (for descriptions and rulebooks)."""
        return self.written if self.written is not None else self.condition

    @cached_property
    def facts(self) -> tuple[str, ...]:
        """The facts the rule compares."""
        return facts_read(self.condition)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """The rules whose conclusions this rule reads."""
        return rules_read(self.condition)

    @property
    def kind(self) -> str:
        """``derive``, ``require``, ``refer``, ``obligation``, ``inform`` or ``grant``."""
        return type(self.conclusion).__name__.lower()

    @property
    def two_valued(self) -> bool:
        """Whether the rule concludes true *and* false (obligations, information and guidance
        only fire)."""
        return not isinstance(self.conclusion, (Obligation, Inform, Guidance))


@dataclass(frozen=True)
class Citation:
    """A verbatim quote from a source document, where it is cited and by what."""

    source: str
    section: str
    quote: str
    span: Span
    cited_by: str


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter's final value and where it was set."""

    name: str
    type: str
    value: Any
    title: Text | None
    legal_basis: LegalBasis | None
    set_by: Layer
    span: Span
    statutory: bool = False


@dataclass(frozen=True)
class ResolvedRuleSet:
    """One municipality's complete rule set, ready to compile and evaluate."""

    id: str
    title: Text
    municipality_code: int
    municipality_name: str
    files: tuple[str, ...]
    acts: Mapping[str, Act]
    sources: Mapping[str, SourceDocument]
    paths: Mapping[str, PathDef]
    offered_paths: tuple[str, ...]
    appeal: Mapping[str, AppealScheme]
    referrals: Mapping[str, Referral]
    parameters: Mapping[str, ResolvedParameter]
    support_areas: Mapping[str, SupportAreaDef]
    delivery_forms: Mapping[str, DeliveryForm]
    differences: tuple[Difference, ...]
    rules: tuple[ResolvedRule, ...]
    citations: tuple[Citation, ...] = ()
    #: How the municipality's letters look (letterhead, contact, own templates).
    letter: LetterSettings | None = None
    #: Parameters read by some rule or path (for the lint).
    parameters_used: frozenset[str] = frozenset()
    #: The service-level requirements a caseworker's assessment can depart from: rule id ->
    #: the fact that carries the assessment (``assessment.<rule id>``).
    assessment_points: Mapping[str, str] = field(default_factory=dict)
    content_hash: str = ""
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: Per-rule-set memo of values derived from it (legal bases rendered for verdicts...).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def rule(self, rule_id: str) -> ResolvedRule:
        """The rule with this id (``KeyError`` if there is none)."""
        return self.rules[self._index[rule_id]]

    def has_rule(self, rule_id: str) -> bool:
        """Whether the rule set has a rule with this id."""
        return rule_id in self._index

    def rule_position(self, rule_id: str) -> int:
        """The rule's place in evaluation order."""
        return self._index[rule_id]


# ------------------------------------------------------------------------------- validation

@dataclass
class _ParsedFile:
    loaded: LoadedYaml
    model: RuleFile
    rules: list[tuple[int, Condition, Conclusion]]

    @property
    def broken_ids(self) -> set[str]:
        """Ids of rules whose condition or conclusion had errors (already reported)."""
        parsed = {i for i, _, _ in self.rules}
        return {r.id for i, r in enumerate(self.model.rules) if i not in parsed}


def parse_file(loaded: LoadedYaml, diagnostics: list[Diagnostic]) -> _ParsedFile | None:
    """Validate one loaded file against the format and parse its conditions."""
    data = loaded.data
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic("R103", "a rule file is a mapping of keys "
                                      "(layer, id, title, rules, ...)", loaded.span(())))
        return None
    try:
        model = RuleFile.model_validate(data)
    except ValidationError as exc:
        diagnostics.extend(diagnostics_from(exc, loaded, RuleFile))
        # Conditions are checked even when the rest has errors, so all errors come at once.
        _parse_conditions_only(loaded, data, diagnostics)
        return None
    parser = ConditionParser(loaded)
    rules: list[tuple[int, Condition, Conclusion]] = []
    for i, rule in enumerate(model.rules):
        conclusion = parser.conclusion(rule.then, ("rules", i, "then"))
        condition: Condition | None
        if rule.when is None and isinstance(conclusion, (Obligation, Inform)):
            # No condition: it applies whenever one of its paths is granted.
            condition = All((), loaded.span(("rules", i)))
        elif rule.when is None:
            diagnostics.append(Diagnostic("R102", "missing key 'when'", loaded.span(("rules", i)),
                                          "only obligations and information may leave out "
                                          "'when'"))
            condition = None
        else:
            condition = parser.condition(rule.when, ("rules", i, "when"))
        if condition is not None and conclusion is not None:
            rules.append((i, condition, conclusion))
    diagnostics.extend(parser.diagnostics)
    return _ParsedFile(loaded, model, rules)


def _parse_conditions_only(loaded: LoadedYaml, data: dict[str, Any],
                           diagnostics: list[Diagnostic]) -> None:
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list):
        return
    parser = ConditionParser(loaded)
    for i, raw in enumerate(raw_rules):
        if isinstance(raw, dict):
            if "when" in raw:
                parser.condition(raw["when"], ("rules", i, "when"))
            if "then" in raw:
                parser.conclusion(raw["then"], ("rules", i, "then"))
    diagnostics.extend(parser.diagnostics)


# -------------------------------------------------------------------------------- resolution

_PARAM_KIND: dict[str, tuple[FactKind | None, type | None]] = {
    "bool": (FactKind.BOOL, None),
    "int": (FactKind.INT, None),
    "int_list": (FactKind.INT, None),
    "support_need": (FactKind.ORDINAL, SupportNeed),
    "impairment": (FactKind.ORDINAL, Impairment),
    "municipality": (FactKind.MUNICIPALITY, None),
    "social_problem_list": (FactKind.SET, SocialProblem),
    "path_list": (None, None),
}


class _Resolver:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.acts: dict[str, Act] = statute_acts()
        #: The municipality whose rule set this is (0 while the law layer is checked alone).
        self.municipality_code = 0
        self.sources: dict[str, tuple[SourceDocument, Span]] = {}
        self.paths: dict[str, tuple[PathDef, Span]] = {}
        self.appeal: dict[str, AppealScheme] = {}
        self.referrals: dict[str, Referral] = {}
        self.referral_layers: dict[str, Layer] = {}
        self.parameters: dict[str, ResolvedParameter] = {}
        self.support_areas: dict[str, SupportAreaDef] = {}
        self.delivery_forms: dict[str, DeliveryForm] = {}
        self.differences: list[Difference] = []
        self.rules: dict[str, ResolvedRule] = {}
        self.law_rule_ids: set[str] = set()
        self.broken_ids: set[str] = set()
        self.used_parameters: set[str] = {"municipality_code", "path_order"}
        #: Paths the municipality offers (None: all, when the law layer is checked alone).
        self.offered: set[str] | None = None
        # (loaded file, data path) of every legal basis, for reference checks.
        self.bases: list[tuple[LegalBasis, LoadedYaml, tuple[str | int, ...], Layer]] = []
        # Every title with the legal basis it must match (R227).
        self.titles: list[tuple[Text, LegalBasis | None, Span]] = []

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    # -- declarations -----------------------------------------------------------------------

    def declare(self, parsed: _ParsedFile, layer: Layer) -> None:
        model, loaded = parsed.model, parsed.loaded
        if layer == "municipality":
            for key in ("paths", "appeal"):
                if getattr(model, key):
                    self.fail("R217", f"'{key}' belongs in the law layer, not a municipality file",
                              loaded.span((key,), key=True), "move it to rules/")
        for name, doc in model.sources.items():
            span = loaded.span(("sources", name), key=True)
            if name in self.sources:
                self.fail("R206", f"source {name!r} is declared twice (first at "
                          f"{self.sources[name][1]})", span)
            else:
                self.sources[name] = (doc, span)
        for name, path in model.paths.items():
            span = loaded.span(("paths", name), key=True)
            if name in self.paths:
                self.fail("R206", f"path {name!r} is declared twice", span)
            else:
                self.paths[name] = (path, span)
                self.titles.append((path.title, path.legal_basis,
                                    loaded.span(("paths", name, "title"))))
                self.bases.append((path.legal_basis, loaded, ("paths", name, "legal_basis"),
                                   layer))
        for name, scheme in model.appeal.items():
            self._unique(self.appeal, name, scheme, loaded, ("appeal", name), "appeal scheme")
            self.bases.append((scheme.legal_basis, loaded, ("appeal", name, "legal_basis"), layer))
        for name, referral in model.referrals.items():
            if (layer == "municipality" and self.referral_layers.get(name) == "law"):
                # A municipality names a law-layer referral target in its own words (e.g. its
                # own open offers), citing its own text.
                if referral.legal_basis is None or not referral.legal_basis.sources:
                    self.fail("R219", f"referral {name!r} restated without a municipal source",
                              loaded.span(("referrals", name), key=True),
                              "add legal_basis with the municipality's own text")
                self.referrals[name] = referral
                self.referral_layers[name] = layer
            else:
                self._unique(self.referrals, name, referral, loaded, ("referrals", name),
                             "referral")
                self.referral_layers.setdefault(name, layer)
            self.titles.append((referral.title, referral.legal_basis,
                                loaded.span(("referrals", name, "title"))))
            if referral.legal_basis:
                self.bases.append((referral.legal_basis, loaded,
                                   ("referrals", name, "legal_basis"), layer))
        for name, area in model.support_areas.items():
            self._unique(self.support_areas, name, area, loaded, ("support_areas", name),
                         "support area")
            for i, covered in enumerate(area.covers):
                if covered not in {a.value for a in SupportArea}:
                    self.fail("R220", f"{covered!r} is not a support area of the shared "
                              "vocabulary", loaded.span(("support_areas", name, "covers", i)),
                              "areas: " + ", ".join(a.value for a in SupportArea))
            self.bases.append((area.legal_basis, loaded, ("support_areas", name, "legal_basis"),
                               layer))
        for name, form in model.delivery_forms.items():
            self._unique(self.delivery_forms, name, form, loaded, ("delivery_forms", name),
                         "delivery form")
            self.bases.append((form.legal_basis, loaded, ("delivery_forms", name, "legal_basis"),
                               layer))
        self.differences.extend(model.differences)
        for i, difference in enumerate(model.differences):
            for j, source in enumerate(difference.sources):
                if source not in self.sources and source not in model.sources:
                    self.fail("R211", f"unknown source {source!r}",
                              loaded.span(("differences", i, "sources", j)))
        for name, param in model.parameters.items():
            self._parameter(name, param, loaded, layer)

    def _unique(self, table: dict[str, Any], name: str, value: Any, loaded: LoadedYaml,
                path: tuple[str, ...], what: str) -> None:
        if name in table:
            self.fail("R206", f"{what} {name!r} is declared twice", loaded.span(path, key=True))
        else:
            table[name] = value

    def _parameter(self, name: str, param: Parameter, loaded: LoadedYaml, layer: Layer) -> None:
        span = loaded.span(("parameters", name), key=True)
        existing = self.parameters.get(name)
        if param.statutory is not None and (layer != "law" or param.type is None):
            self.fail("R101", "'statutory' is only for a parameter the law layer declares",
                      loaded.span(("parameters", name, "statutory"), key=True))
        if layer == "municipality" and existing is not None and existing.statutory:
            self.fail("R223", f"parameter {name!r} reads the statute; a service level cannot "
                      "change it", span,
                      "a service level can neither narrow nor widen a statutory condition: "
                      "write a service-level rule (a presumption a caseworker can depart from) "
                      "instead")
            return
        if param.type is not None:
            if existing is not None:
                self.fail("R206", f"parameter {name!r} is declared twice (first at "
                          f"{existing.span})", span, "to set its value, write only 'value:'")
                return
            declared_type: str = param.type
        elif existing is None:
            self.fail("R205", f"unknown parameter {name!r}", span,
                      "declare it with 'type:' and 'title:' or fix the name")
            return
        else:
            declared_type = existing.type
        value = param.value
        if value is not None:
            value = self._param_value(name, declared_type, value, loaded.span(
                ("parameters", name, "value")))
        elif existing is not None:
            self.fail("R102", f"parameter {name!r}: missing 'value'", span)
            return
        if param.legal_basis is not None:
            self.bases.append((param.legal_basis, loaded, ("parameters", name, "legal_basis"),
                               layer))
        self.parameters[name] = ResolvedParameter(
            name, declared_type, value,
            param.title or (existing.title if existing else None),
            param.legal_basis or (existing.legal_basis if existing else None),
            layer, span, bool(param.statutory or (existing and existing.statutory)),
        )

    def _param_value(self, name: str, kind: str, value: Any, span: Span) -> Any:
        def bad(expected: str) -> None:
            self.fail("R214", f"parameter {name!r} is {kind}: expected {expected}, "
                      f"got {value!r}", span)

        if kind == "bool":
            if not isinstance(value, bool):
                bad("true or false")
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                bad("a whole number")
        elif kind in ("int_list", "path_list", "social_problem_list"):
            problems = {p.value for p in SocialProblem}

            def item_ok(v: Any) -> bool:
                if kind == "int_list":
                    return isinstance(v, int) and not isinstance(v, bool)
                if kind == "path_list":
                    return isinstance(v, str)
                return isinstance(v, str) and v in problems

            if not isinstance(value, list) or not all(item_ok(v) for v in value):
                bad({"int_list": "a list of whole numbers", "path_list": "a list of path ids",
                     "social_problem_list": "a list of social problems ("
                     + ", ".join(p.value for p in SocialProblem) + ")"}[kind])
            else:
                return tuple(value)
        elif kind in ("support_need", "impairment"):
            scale = SupportNeed if kind == "support_need" else Impairment
            if not isinstance(value, str) or value not in RANKS[scale]:
                bad("one of " + ", ".join(RANKS[scale]))
        elif kind == "municipality":
            try:
                return municipality_code(value)
            except MunicipalityLookupError as exc:
                self.fail("R214", f"parameter {name!r}: {exc}", span, exc.hint)
        return value

    # -- rules ------------------------------------------------------------------------------

    def add_rules(self, parsed: _ParsedFile, layer: Layer) -> None:
        loaded, model = parsed.loaded, parsed.model
        by_index = {i: (cond, concl) for i, cond, concl in parsed.rules}
        self.broken_ids |= parsed.broken_ids
        for i, rule in enumerate(model.rules):
            span = loaded.span(("rules", i))
            id_span = loaded.span(("rules", i, "id"))
            if rule.overrides is not None:
                if layer != "municipality":
                    self.fail("R217", "only a municipality file can override law-layer rules",
                              loaded.span(("rules", i, "overrides"), key=True))
                elif rule.overrides != rule.id:
                    self.fail("R207", f"'overrides: {rule.overrides}' on rule {rule.id!r}",
                              loaded.span(("rules", i, "overrides")),
                              "an override keeps the id of the law-layer rule it replaces")
                elif rule.overrides not in self.law_rule_ids:
                    self.fail("R207", f"override target {rule.overrides!r} is not a law-layer "
                              "rule", loaded.span(("rules", i, "overrides")))
                if rule.reason is None:
                    self.fail("R208", f"rule {rule.id!r} overrides a law-layer rule without "
                              "a reason", id_span, "add 'reason: {da: ..., en: ...}'")
            elif rule.reason is not None:
                self.fail("R101", "'reason' is only for overrides",
                          loaded.span(("rules", i, "reason"), key=True))
            if rule.id in self.rules and rule.overrides is None:
                existing = self.rules[rule.id]
                if existing.layer == "law" and layer == "municipality":
                    self.fail("R215", f"rule {rule.id!r} has the id of a law-layer rule "
                              f"({existing.span})", id_span,
                              f"add 'overrides: {rule.id}' with a reason, or choose another id")
                else:
                    self.fail("R206", f"rule id {rule.id!r} is used twice (first at "
                              f"{existing.span})", id_span)
                continue
            if not rule.legal_basis.law and not rule.legal_basis.sources:
                self.fail("R219", f"rule {rule.id!r} cites no legal basis",
                          loaded.span(("rules", i, "legal_basis"), key=True))
            if layer == "municipality" and not rule.legal_basis.sources:
                self.fail("R219", f"municipal rule {rule.id!r} cites no municipal source",
                          loaded.span(("rules", i, "legal_basis"), key=True),
                          "add a source with the section heading and a short verbatim quote")
            if layer == "law":
                for j, ref in enumerate(rule.legal_basis.law):
                    if ref.stk is None:
                        self.fail("R102", f"law reference {ref.act} § {ref.section} has no stk.",
                                  loaded.span(("rules", i, "legal_basis", "law", j)),
                                  "law-layer rules cite the stk. (write stk: 1 for a "
                                  "provision without numbered stykker)")
            self.bases.append((rule.legal_basis, loaded, ("rules", i, "legal_basis"), layer))
            if rule.title is not None:
                self.titles.append((rule.title, rule.legal_basis,
                                    loaded.span(("rules", i, "title"))))
            if i not in by_index:
                continue  # its condition had errors, already reported
            condition, conclusion = by_index[i]
            kind = self._condition_kind(rule.condition_kind, layer, conclusion, loaded, i)
            override = None
            if rule.overrides is not None and rule.overrides in self.rules:
                replaced = self.rules[rule.overrides]
                if not (isinstance(replaced.conclusion, (Obligation, Inform, Guidance))
                        and isinstance(conclusion, (Obligation, Inform, Guidance))):
                    # What the statute requires is not the municipality's to change: a service
                    # level can add a presumption (its own rule), never rewrite the law.
                    self.fail("R222", f"rule {rule.id!r} overrides the statutory condition "
                              f"{replaced.id!r} ({replaced.span})",
                              loaded.span(("rules", i, "overrides")),
                              "a service level can neither narrow nor widen a statutory "
                              "condition; write a service-level rule of your own (a caseworker "
                              "can depart from it), or restate the law-layer rule with your "
                              "text ('restates:')")
                override = Override(rule.overrides, rule.reason or Text(da="", en=""),
                                    replaced.title, replaced.span)
            quote_spans = tuple(loaded.span(("rules", i, "legal_basis", "sources", j, "quote"))
                                for j in range(len(rule.legal_basis.sources)))
            self.rules[rule.id] = ResolvedRule(
                id=rule.id, title=rule.title, legal_basis=rule.legal_basis, condition=condition,
                conclusion=conclusion, layer=layer, span=span, override=override,
                note=rule.note, quote_spans=quote_spans, condition_kind=kind,
            )
            if layer == "law":
                self.law_rule_ids.add(rule.id)

    def _condition_kind(self, written: str | None, layer: Layer, conclusion: Conclusion,
                        loaded: LoadedYaml, i: int) -> ConditionKind:
        """The kind of a rule's condition: what it is written as, else its layer's default."""
        default = (ConditionKind.SERVICE_LEVEL if layer == "municipality"
                   else ConditionKind.STATUTE)
        kind = ConditionKind(written) if written is not None else default
        where = loaded.span(("rules", i, "condition_kind"))
        if layer == "municipality" and kind is not ConditionKind.SERVICE_LEVEL:
            self.fail("R221", f"a municipality's rule is service level, not {kind.value}", where,
                      "statutory conditions and the discretionary points belong in the law "
                      "layer; a municipal rule guides the assessment, it never binds")
        elif layer == "law" and kind is ConditionKind.SERVICE_LEVEL:
            self.fail("R221", "the law layer has no service level", where,
                      "write statute or assessment; service levels belong in a municipality "
                      "file")
        if (layer == "municipality" and isinstance(conclusion, Require)
                and conclusion.on_fail in ("forward", "close")):
            self.fail("R221", f"on_fail: {conclusion.on_fail} is a statutory consequence; a "
                      "service level cannot forward or close an application",
                      loaded.span(("rules", i, "then")),
                      "use refuse or refer (a concrete assessment can depart from it)")
        return kind

    def add_restatements(self, parsed: _ParsedFile) -> None:
        loaded = parsed.loaded
        for i, restatement in enumerate(parsed.model.restates):
            rule = self.rules.get(restatement.rule)
            if rule is None or rule.layer != "law":
                self.fail("R204", f"restates {restatement.rule!r}, which is not a law-layer rule",
                          loaded.span(("restates", i, "rule")))
                continue
            basis = LegalBasis(law=rule.legal_basis.law,
                               sources=[*rule.legal_basis.sources, *restatement.sources])
            self.bases.append((LegalBasis(sources=restatement.sources), loaded,
                               ("restates", i), "municipality"))
            note = rule.note
            if restatement.note is not None:
                note = restatement.note if note is None else Text(
                    da=f"{note.da} {restatement.note.da}", en=f"{note.en} {restatement.note.en}")
            self.rules[rule.id] = replace(rule, legal_basis=basis, note=note)
        if parsed.model.restates and parsed.model.layer != "municipality":
            self.fail("R217", "'restates' belongs in a municipality file",
                      loaded.span(("restates",), key=True))

    # -- references -------------------------------------------------------------------------

    def citations(self) -> tuple[Citation, ...]:
        out = []
        for basis, loaded, path, _layer in self.bases:
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

    def check_bases(self) -> None:
        for basis, loaded, path, layer in self.bases:
            for j, ref in enumerate(basis.law):
                problem = check_reference(ref)
                if problem is not None:
                    key, message, hint = problem
                    code = "R216" if key == "act" else "R224" if key == "quote" else "R225"
                    self.fail(code, message, loaded.span((*path, "law", j, key)), hint)
            for j, src in enumerate(basis.sources):
                declared = self.sources.get(src.source)
                if declared is None:
                    self.fail("R211", f"unknown source {src.source!r}",
                              loaded.span((*path, "sources", j, "source")),
                              "sources: " + ", ".join(sorted(self.sources)))
                    continue
                self._check_publisher(src.source, declared[0], layer, loaded,
                                      (*path, "sources", j, "source"))

    def check_titles(self) -> None:
        """A title that names a provision ('§ 12', '§§ 10 og 12') cites it in its basis."""
        for title, basis, span in self.titles:
            cited = {normal_section(ref.section) for ref in (basis.law if basis else [])}
            for lang in ("da", "en"):
                named = sections_named(title.get(lang))
                missing = [n for n in named if n not in cited]
                if missing:
                    self.fail("R227", f"the title names § {', § '.join(missing)}, which its "
                              f"legal basis does not cite: {title.get(lang)!r}", span,
                              "cite the provision under legal_basis.law, or take it out of "
                              "the title")
                    break

    def _check_publisher(self, name: str, doc: SourceDocument, layer: Layer,
                         loaded: LoadedYaml, path: tuple[str | int, ...]) -> None:
        """A decision never cites another municipality's text: the law layer cites statutes
        and national texts; a municipality's file cites its own municipality's texts."""
        span = loaded.span(path)
        if layer == "law" and doc.municipality is not None:
            self.fail("R226", f"the law layer cites {name!r}, a text of municipality "
                      f"{doc.municipality} ({doc.publisher}); every municipality's decisions "
                      "would cite it", span,
                      "cite the statute (law: with act, section, stk. and a quote from "
                      "spstotte/statutes.yaml) and move the municipal text to that "
                      "municipality's file")
        elif layer == "municipality" and doc.municipality != self.municipality_code:
            owner = (f"municipality {doc.municipality} ({doc.publisher})"
                     if doc.municipality is not None else f"a national text ({doc.publisher})")
            self.fail("R226", f"this municipality's rules cite {name!r}, {owner}; a "
                      "municipality's rule set may cite only its own municipality's texts",
                      span, "cite the statute for the law, and your own municipality's "
                      "texts for the service level")

    def finish_rules(self) -> list[ResolvedRule]:
        declared_paths = set(self.paths)
        out: list[ResolvedRule] = []
        for rule in self.rules.values():
            condition = self._substitute(rule.condition)
            conclusion = rule.conclusion
            paths: tuple[str, ...] = ()
            if isinstance(conclusion, (Require, Refer, Obligation, Inform)):
                selector = conclusion.paths
                if selector == "all":
                    paths = tuple(self.paths)
                else:
                    for p in selector:
                        if p not in declared_paths:
                            self.fail("R210", f"unknown path {p!r}", conclusion.span,
                                      "paths: " + ", ".join(self.paths))
                    paths = tuple(p for p in selector if p in declared_paths)
            target = (conclusion.refer_to if isinstance(conclusion, Require)
                      else conclusion.to if isinstance(conclusion, Refer) else None)
            if target is not None and target not in self.referrals:
                self.fail("R213", f"unknown referral target {target!r}", conclusion.span,  # type: ignore[union-attr]
                          "referrals: " + ", ".join(sorted(self.referrals)))
            if isinstance(conclusion, Obligation) and isinstance(conclusion.after_months, ParamRef):
                ref = conclusion.after_months
                self.used_parameters.add(ref.name)
                param = self.parameters.get(ref.name)
                if param is None:
                    self.fail("R205", f"unknown parameter {ref.name!r}", ref.span)
                    conclusion = replace(conclusion, after_months=())
                elif param.type != "int_list":
                    self.fail("R214", f"parameter {ref.name!r} is {param.type}, not int_list",
                              ref.span)
                    conclusion = replace(conclusion, after_months=())
                else:
                    conclusion = replace(conclusion, after_months=tuple(param.value or ()),
                                         after_months_param=ref.name)
            written = None
            assessment = None
            if rule.condition_kind is ConditionKind.ASSESSMENT and not any(
                    fact_spec(f).discretionary for f in facts_read(condition)):
                self.fail("R221", f"rule {rule.id!r} is an assessment but reads no "
                          "discretionary point", rule.span,
                          "discretionary points: " + ", ".join(
                              n for n, f in _discretionary_facts()))
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

    def _substitute(self, condition: Condition) -> Condition:
        return _Substitution(self).visit(condition, None)

    def _with_value(self, condition: Compare, ref: ParamRef) -> Condition:
        """A comparison with a parameter's value in place of the parameter."""
        self.used_parameters.add(ref.name)
        param = self.parameters.get(ref.name)
        if param is None:
            self.fail("R205", f"unknown parameter {ref.name!r}", ref.span,
                      "parameters: " + ", ".join(sorted(self.parameters)))
            return condition
        spec = fact_spec(condition.fact)
        kind, scale = _PARAM_KIND[param.type]
        fits = kind is spec.kind and (scale is None or scale is spec.vocabulary)
        list_param = param.type.endswith("_list")
        if fits and list_param != (OPERATORS[condition.op].operand is Operand.LIST):
            fits = False
        if not fits:
            self.fail("R214", f"parameter {ref.name!r} ({param.type}) does not fit "
                      f"{condition.fact} with {condition.op.value!r}", ref.span,
                      value_hint(spec, condition.op))
            return condition
        if param.value is None:
            return condition  # law layer checked on its own: the municipality sets it
        raw = list(param.value) if isinstance(param.value, tuple) else param.value
        try:
            value = check_value(spec, condition.op, raw)
        except InvalidValue as exc:
            self.fail("R214", f"parameter {ref.name!r}: {exc}", ref.span)
            return condition
        return Compare(condition.fact, condition.op, value, condition.span, ref.name)


class _Substitution(ConditionVisitor[None, Condition]):
    """A condition with each parameter's value in place, and ``{granted: p}`` of a path the
    municipality does not offer read as false."""

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver

    def visit_all(self, node: All | AnyOf, _: None, /) -> Condition:
        items = tuple(self.visit(c, None) for c in node.items)
        if isinstance(node, AnyOf):
            # '{granted: p82b}' where § 82 b is not offered is false: drop it from 'any'.
            items = tuple(i for i in items if not _is_false(i))
            if not items:
                return AnyOf((), node.span)
        if len(items) == 1 and len(node.items) > 1:
            return items[0]
        return type(node)(items, node.span)

    visit_any = visit_all

    def visit_rule_ref(self, node: RuleRef, _: None, /) -> Condition:
        resolver = self.resolver
        if (node.via_path is not None and resolver.offered is not None
                and node.via_path not in resolver.offered and node.via_path in resolver.paths):
            return AnyOf((), node.span)  # false: the path is not offered
        return node

    def visit_not(self, node: Not, _: None, /) -> Condition:
        return Not(self.visit(node.item, None), node.span)

    def visit_compare(self, node: Compare, _: None, /) -> Condition:
        if isinstance(node.value, ParamRef):
            return self.resolver._with_value(node, node.value)
        return node


def _discretionary_facts() -> list[tuple[str, object]]:
    from .facts import FACTS

    return [(n, f) for n, f in FACTS.items() if f.discretionary]


def _departable(condition: Condition, fact: str) -> Condition:
    """``(assessed and finding) or (not assessed and condition)``: a recorded assessment
    decides, else the condition as written applies."""
    span = condition.span
    return AnyOf((
        All((Compare(fact, Op.KNOWN, True, span), Compare(fact, Op.EQ, True, span)), span),
        All((Compare(fact, Op.KNOWN, False, span), condition), span),
    ), span)


def _is_false(condition: Condition) -> bool:
    return isinstance(condition, AnyOf) and not condition.items


def _generated_grants(resolver: _Resolver, rules: list[ResolvedRule],
                      offered: Sequence[str]) -> list[ResolvedRule]:
    grants: list[ResolvedRule] = []
    for path_id in offered:
        path, span = resolver.paths[path_id]
        parts: list[Condition] = []
        for rule in sorted(rules, key=lambda r: r.id):  # by id: file order must not matter
            if path_id not in rule.paths:
                continue
            if isinstance(rule.conclusion, Require):
                parts.append(RuleRef(rule.id, True, rule.span))
            elif isinstance(rule.conclusion, Refer):
                parts.append(RuleRef(rule.id, False, rule.span))
        if not parts:
            resolver.fail("R102", f"path {path_id!r} has no requirements", span,
                          "add rules with 'require: {paths: [...]}'")
            continue
        # The engine matches at most 16 facts in one rule: the grant reads its requirements
        # in parts, each a generated rule that derives "these requirements are met", and the
        # parts in parts again (a tree), so a path may have any number of requirements.
        level = 1
        while len(parts) > GRANT_PART_SIZE:
            chunks = [parts[i:i + GRANT_PART_SIZE] for i in range(0, len(parts), GRANT_PART_SIZE)]
            refs: list[Condition] = []
            for n, chunk in enumerate(chunks, 1):
                part_id = f"grant_{path_id}__{n}" if level == 1 else \
                    f"grant_{path_id}__{level}_{n}"
                title = Text(da=f"{path.title.da}: betingelser, del {n} af {len(chunks)}"
                             + (f" (niveau {level})" if level > 1 else ""),
                             en=f"{path.title.en}: conditions, part {n} of {len(chunks)}"
                             + (f" (level {level})" if level > 1 else ""))
                grants.append(ResolvedRule(
                    id=part_id, title=title, legal_basis=path.legal_basis,
                    condition=All(tuple(chunk), span), conclusion=Derive(), layer="generated",
                    span=span))
                refs.append(RuleRef(part_id, True, span))
            parts, level = refs, level + 1
        grants.append(ResolvedRule(
            id=f"grant_{path_id}", title=path.title, legal_basis=path.legal_basis,
            condition=All(tuple(parts), span), conclusion=Grant(path_id), layer="generated",
            span=span, paths=(path_id,),
        ))
    return grants


#: How many requirements one generated grant rule reads at most (the engine's limit is 16
#: facts matched at once; see compiler.MAX_PATTERNS_PER_RULE).
GRANT_PART_SIZE = 12


def _only_when_granted(rule: ResolvedRule, offered: set[str]) -> ResolvedRule:
    """Obligations and information apply only when one of their paths is granted."""
    if not isinstance(rule.conclusion, (Obligation, Inform)):
        return rule
    grants: tuple[Condition, ...] = tuple(
        RuleRef(f"grant_{p}", True, rule.span, via_path=p) for p in rule.paths if p in offered)
    if not grants:
        return rule
    gate: Condition = grants[0] if len(grants) == 1 else AnyOf(grants, rule.span)
    if isinstance(rule.condition, All) and not rule.condition.items:
        return replace(rule, condition=gate)
    return replace(rule, condition=All((gate, rule.condition), rule.condition.span))


def _path_rules(path: PathDef) -> tuple[str, ...]:
    """The rules a path's choice reads (acceptance, order), besides its requirements."""
    return tuple(r for r in (path.instead_of_entitlement, path.by_order) if r is not None)


def _prune(rules: list[ResolvedRule], offered: set[str],
           paths: Mapping[str, PathDef]) -> list[ResolvedRule]:
    """Drop rules that serve only paths this municipality does not offer."""
    dropped = {r.id for r in rules if r.paths and not set(r.paths) & offered}
    dropped |= {f"grant_{p}" for p in paths if p not in offered}
    readers: dict[str, set[str]] = {}
    for rule in rules:
        for read in rule.reads:
            readers.setdefault(read, set()).add(rule.id)
    for path_id, path in paths.items():
        for read in _path_rules(path):
            readers.setdefault(read, set()).add(f"grant_{path_id}")
    changed = True
    while changed:
        changed = False
        for rule in rules:
            if rule.id in dropped or not isinstance(rule.conclusion, Derive):
                continue
            users = readers.get(rule.id, set())
            if users and users <= dropped:
                dropped.add(rule.id)
                changed = True
    return [r for r in rules if r.id not in dropped]


def _order(resolver: _Resolver, rules: list[ResolvedRule]) -> list[ResolvedRule]:
    """Order rules by dependency depth, then id: independent of the order in the files."""
    by_id = {r.id: r for r in rules}
    depth: dict[str, int] = {}
    state: dict[str, int] = {}

    def visit(rule_id: str, chain: tuple[str, ...]) -> int:
        if rule_id in depth:
            return depth[rule_id]
        if state.get(rule_id) == 1:
            cycle = " -> ".join((*chain[chain.index(rule_id):], rule_id))
            resolver.fail("R209", f"circular rules: {cycle}", by_id[rule_id].span,
                          "a rule cannot depend on its own conclusion")
            return 0
        state[rule_id] = 1
        best = 0
        rule = by_id[rule_id]
        for read in rule.reads:
            if read not in by_id:
                continue
            best = max(best, visit(read, (*chain, rule_id)) + 1)
        state[rule_id] = 2
        depth[rule_id] = best
        return best

    for rule_id in sorted(by_id):
        visit(rule_id, ())
    return sorted((replace(r, depth=depth[r.id]) for r in rules), key=lambda r: (r.depth, r.id))


def _check_refs(resolver: _Resolver, rules: list[ResolvedRule], all_ids: set[str],
                offered: set[str]) -> None:
    by_id = {r.id: r for r in rules}
    for rule in rules:
        for node in _refs(rule.condition):
            if node.via_path is not None:
                if node.via_path not in resolver.paths:
                    resolver.fail("R210", f"unknown path {node.via_path!r}", node.span,
                                  "paths: " + ", ".join(resolver.paths))
                continue
            target = by_id.get(node.rule)
            if target is None:
                if node.rule not in all_ids and node.rule not in resolver.broken_ids:
                    import difflib
                    close = difflib.get_close_matches(node.rule, list(all_ids), n=1)
                    resolver.fail("R204", f"unknown rule {node.rule!r}", node.span,
                                  f"did you mean {close[0]!r}?" if close else None)
            elif not target.two_valued:
                resolver.fail("R204", f"rule {node.rule!r} is an {target.kind}; its conclusion "
                              "cannot be read by another rule", node.span)


def _check_path_rules(resolver: _Resolver, rules: list[ResolvedRule], offered: set[str]) -> None:
    by_id = {r.id: r for r in rules}
    for path_id, (path, span) in resolver.paths.items():
        if path_id not in offered:
            continue
        for rule_id in _path_rules(path):
            target = by_id.get(rule_id)
            if target is None or not isinstance(target.conclusion, Derive):
                resolver.fail("R204", f"path {path_id!r} reads {rule_id!r}, which is not a rule "
                              "that derives a fact", span)
        if path.entitlement and _path_rules(path):
            resolver.fail("R104", f"path {path_id!r} is an entitlement: it is never granted in "
                          "place of another path, so it reads no acceptance or order rule", span)


def _refs(condition: Condition) -> list[RuleRef]:
    from .conditions import walk

    return [n for n in walk(condition) if isinstance(n, RuleRef)]


def resolve(law: Sequence[_ParsedFile], municipality: _ParsedFile | None,
            diagnostics: list[Diagnostic]) -> ResolvedRuleSet | None:
    """Resolve parsed files into one rule set; problems are appended to ``diagnostics``."""
    resolver = _Resolver()
    for parsed in law:
        if parsed.model.layer != "law":
            resolver.fail("R217", "a file in the law layer must say 'layer: law'",
                          parsed.loaded.span(("layer",)))
        resolver.declare(parsed, "law")
    for parsed in law:
        resolver.add_rules(parsed, "law")
        _check_file_name(resolver, parsed.model.id, parsed.loaded)
    muni = municipality.model if municipality else None
    if municipality is not None and muni is not None:
        loaded = municipality.loaded
        if muni.layer != "municipality":
            resolver.fail("R217", "a municipality file must say 'layer: municipality'",
                          loaded.span(("layer",)))
        if muni.municipality is None:
            resolver.fail("R102", "missing key 'municipality'", loaded.span(()),
                          "add 'municipality: {code: ..., name: ...}' "
                          "(the three-digit code and the name)")
        elif muni.municipality.code not in MUNICIPALITY_NAMES:
            resolver.fail("R104", f"{muni.municipality.code} is not a municipality code",
                          loaded.span(("municipality", "code")))
        _check_file_name(resolver, muni.id, loaded)
        if muni.extends not in (None, "law"):
            resolver.fail("R217", f"a municipality extends the law layer, not {muni.extends!r}",
                          loaded.span(("extends",)))
        if muni.municipality is not None:
            resolver.municipality_code = muni.municipality.code
        if muni.letter is not None:
            _check_letter(resolver, muni.letter, loaded)
        resolver.declare(municipality, "municipality")
        resolver.add_rules(municipality, "municipality")
        resolver.add_restatements(municipality)
    code = muni.municipality.code if muni and muni.municipality else 0
    if "municipality_code" in resolver.parameters and code:
        param = resolver.parameters["municipality_code"]
        resolver.parameters["municipality_code"] = replace(param, value=code)
    for name, param in resolver.parameters.items():
        if param.value is None and municipality is not None:
            resolver.fail("R218", f"parameter {name!r} has no value", municipality.loaded.span(()),
                          f"set it under 'parameters: {name}: value: ...'")
    resolver.check_bases()
    resolver.check_titles()
    offered = _offered_paths(resolver)
    if municipality is not None:
        resolver.offered = set(offered)
    rules = resolver.finish_rules()
    all_ids = {r.id for r in rules} | {f"grant_{p}" for p in resolver.paths}
    if municipality is not None:
        rules = [replace(r, paths=tuple(p for p in r.paths if p in offered))
                 for r in _prune(rules, set(offered),
                                 {k: v[0] for k, v in resolver.paths.items()})]
    grants = _generated_grants(resolver, rules, offered if municipality else list(resolver.paths))
    rules = [_only_when_granted(r, set(offered)) for r in rules] + grants
    _check_refs(resolver, rules, all_ids, set(offered))
    _check_path_rules(resolver, rules, set(offered) if municipality else set(resolver.paths))
    ordered = _order(resolver, rules)
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
        citations=resolver.citations(),
        letter=muni.letter if muni else None,
        parameters_used=frozenset(resolver.used_parameters),
        assessment_points={r.id: r.assessment_fact for r in ordered
                           if r.assessment_fact is not None},
    )
    return replace(ruleset, content_hash=content_hash(ruleset))


def _check_file_name(resolver: _Resolver, rule_set_id: str, loaded: LoadedYaml) -> None:
    """A rule file's id is its file name: decisions record the id, and the municipality is
    asked for by file name, so the two must not differ."""
    if loaded.path is not None and loaded.path.stem != rule_set_id:
        resolver.fail("R230", f"the id {rule_set_id!r} differs from the file name "
                      f"{loaded.path.name!r}", loaded.span(("id",)),
                      f"rename the file to {rule_set_id}.yaml, or set 'id: "
                      f"{loaded.path.stem}'")


def _check_letter(resolver: _Resolver, letter: LetterSettings, loaded: LoadedYaml) -> None:
    if letter.legal_basis is not None:
        resolver.bases.append((letter.legal_basis, loaded, ("letter", "legal_basis"),
                               "municipality"))
    if letter.templates is not None and loaded.path is not None:
        # Checked where the file is on disk (not for rule text from git or a string).
        folder = loaded.path.parent / letter.templates
        if not folder.is_dir():
            resolver.fail("R228", f"letter templates folder {letter.templates!r} not found "
                          f"next to {loaded.file}", loaded.span(("letter", "templates")),
                          "give a folder relative to the rule file, holding letter.text.j2, "
                          "letter.markdown.j2 or letter.html.j2")


def _offered_paths(resolver: _Resolver) -> list[str]:
    offered = []
    for path_id, (path, span) in resolver.paths.items():
        if path.offered_if is not None:
            resolver.used_parameters.add(path.offered_if)
            param = resolver.parameters.get(path.offered_if)
            if param is None or param.type != "bool":
                resolver.fail("R205", f"path {path_id!r}: offered_if must name a yes/no "
                              "parameter", span)
                continue
            if param.value is not True:
                continue
        offered.append(path_id)
    order_param = resolver.parameters.get("path_order")
    if order_param is not None and order_param.value:
        preferred = [p for p in order_param.value if p in offered]
        for p in order_param.value:
            if p not in resolver.paths:
                resolver.fail("R210", f"path_order names unknown path {p!r}", order_param.span)
        offered = preferred + [p for p in offered if p not in preferred]
    return offered


# ------------------------------------------------------------------------------- content hash

def resolve_loaded(law: Iterable[LoadedYaml], municipality: LoadedYaml | None) -> ResolvedRuleSet:
    """Validate and resolve loaded YAML files; raise :class:`RuleSetError` with every problem."""
    diagnostics: list[Diagnostic] = []
    law_files = list(law)
    law_parsed = [p for p in (parse_file(x, diagnostics) for x in law_files) if p is not None]
    muni_parsed = parse_file(municipality, diagnostics) if municipality is not None else None
    whole = len(law_parsed) == len(law_files) and (municipality is None or muni_parsed)
    if diagnostics and not whole:
        raise RuleSetError(diagnostics)
    # Files whose structure is valid are resolved even when some conditions had errors, so
    # that every problem of a file is reported at once.
    ruleset = resolve(law_parsed, muni_parsed, diagnostics)
    if diagnostics or ruleset is None:
        raise RuleSetError(diagnostics)
    return ruleset
