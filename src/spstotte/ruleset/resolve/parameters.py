"""Parameters: declared in the law layer, set by the municipality, checked against their type,
and substituted into the conditions that read them."""

from __future__ import annotations

import difflib
from typing import Any

from ...errors import Span, suggestion, value_words
from ...facts import FactKind, fact_spec
from ...lang.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    ConditionVisitor,
    InvalidValue,
    Not,
    ParamRef,
    RuleRef,
    check_value,
    value_hint,
)
from ...lang.operators import OPERATORS, Operand
from ...lang.ruleformat import Parameter
from ...loader import LoadedYaml
from ...municipalities import MunicipalityLookupError, municipality_code
from ...vocabulary import RANKS, Impairment, SocialProblem, SupportNeed, closest_value
from .model import Layer, ResolvedParameter
from .periods import ALWAYS, Period
from .state import Resolver

#: The kind of fact (and its scale) a parameter of each type can be compared with.
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


def declare_parameter(resolver: Resolver, name: str, param: Parameter, loaded: LoadedYaml,
                      layer: Layer, version: tuple[str | int, ...] | None = None,
                      version_basis: bool = False, period: Period = ALWAYS) -> None:
    """A parameter a file declares (``type:``) or sets (``value:``); a statutory one is not
    the municipality's to set. ``version``: the path of the version in force, where the value
    comes from a dated version (``version_basis``: with its own legal basis)."""
    where = version if version is not None else ("parameters", name)
    span = loaded.span(("parameters", name), key=True)
    existing = resolver.parameters.get(name)
    if param.statutory is not None and (layer != "law" or param.type is None):
        resolver.fail("R101", "statutory", loaded.span(("parameters", name, "statutory"),
                                                       key=True))
    if layer == "municipality" and existing is not None and existing.statutory:
        resolver.fail("R223", None, span, name=name)
        return
    if param.type is not None:
        if existing is not None:
            resolver.fail("R206", "parameter", span, name=name, first=str(existing.span))
            return
        declared_type: str = param.type
    elif existing is None:
        close = difflib.get_close_matches(name, list(resolver.parameters), n=1, cutoff=0.7)
        resolver.fail("R205", "undeclared", span, name=name,
                      suggestion=suggestion(close[0] if close else None))
        return
    else:
        declared_type = existing.type
    value = param.value
    if value is not None:
        value = _param_value(resolver, name, declared_type, value, loaded.span(
            (*where, "value")))
        if value is None:
            # Refused: reported once (R214), then held without a value, so that no later
            # step (paths, follow-up months, conditions) works with what was refused.
            resolver.refused_parameters.add(name)
    elif existing is not None:
        resolver.fail("R102", "param_value", span, name=name)
        return
    if param.legal_basis is not None:
        basis_at = where if version_basis else ("parameters", name)
        resolver.bases.append((param.legal_basis, loaded, (*basis_at, "legal_basis"), layer))
    resolver.parameters[name] = ResolvedParameter(
        name, declared_type, value,
        param.title or (existing.title if existing else None),
        param.legal_basis or (existing.legal_basis if existing else None),
        layer, span, bool(param.statutory or (existing and existing.statutory)), period,
    )


def _param_value(resolver: Resolver, name: str, kind: str, value: Any, span: Span) -> Any:
    """A parameter's value checked against its type (lists as tuples, municipalities as
    codes); None if it is refused (reported as R214)."""
    refused = False

    def bad(expected: str, **more: Any) -> None:
        nonlocal refused
        refused = True
        resolver.fail("R214", expected, span, name=name, type=kind, got=_shown(value), **more)

    if kind == "bool":
        if not isinstance(value, bool):
            bad("bool")
    elif kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            bad("int")
    elif kind in ("int_list", "path_list", "social_problem_list"):
        problems = {p.value for p in SocialProblem}

        def item_ok(item: Any) -> bool:
            if kind == "int_list":
                return isinstance(item, int) and not isinstance(item, bool)
            if kind == "path_list":
                return isinstance(item, str)
            return isinstance(item, str) and item in problems

        if not isinstance(value, list) or not all(item_ok(v) for v in value):
            wrong = next((v for v in value if not item_ok(v)), None) \
                if isinstance(value, list) else None
            close = closest_value(wrong, problems) if kind == "social_problem_list" else None
            bad(kind, values=tuple(p.value for p in SocialProblem),
                suggestion=suggestion(close))
        else:
            return tuple(value)
    elif kind in ("support_need", "impairment"):
        scale = SupportNeed if kind == "support_need" else Impairment
        if not isinstance(value, str) or value not in RANKS[scale]:
            bad("scale", values=tuple(RANKS[scale]),
                suggestion=suggestion(closest_value(value, list(RANKS[scale]))))
    elif kind == "municipality":
        try:
            return municipality_code(value)
        except MunicipalityLookupError as exc:
            resolver.fail("R214", "municipality", span, name=name, problem=exc.message,
                          hint=exc.hint)
            return None
    return None if refused else value


def substitute(resolver: Resolver, condition: Condition) -> Condition:
    """The condition with each parameter replaced by its value, and each ``granted:`` of a
    path the municipality does not offer by false."""
    return _Substitution(resolver).visit(condition, None)


def _with_value(resolver: Resolver, condition: Compare, ref: ParamRef) -> Condition:
    """A comparison with a parameter's value in place of the parameter."""
    resolver.used_parameters.add(ref.name)
    param = resolver.parameters.get(ref.name)
    if param is None:
        close = difflib.get_close_matches(ref.name, list(resolver.parameters), n=1, cutoff=0.7)
        resolver.fail("R205", "unknown", ref.span, name=ref.name,
                      params=tuple(sorted(resolver.parameters)),
                      suggestion=suggestion(close[0] if close else None))
        return condition
    spec = fact_spec(condition.fact)
    kind, scale = _PARAM_KIND[param.type]
    fits = kind is spec.kind and (scale is None or scale is spec.vocabulary)
    list_param = param.type.endswith("_list")
    if fits and list_param != (OPERATORS[condition.op].operand is Operand.LIST):
        fits = False
    if not fits:
        resolver.fail("R214", "does_not_fit", ref.span, name=ref.name, type=param.type,
                      fact=condition.fact, op=condition.op.value,
                      hint=value_hint(spec, condition.op))
        return condition
    if param.value is None:
        return condition  # law layer checked on its own: the municipality sets it
    raw = list(param.value) if isinstance(param.value, tuple) else param.value
    try:
        value = check_value(spec, condition.op, raw)
    except InvalidValue as exc:
        resolver.fail("R214", "value", ref.span, name=ref.name, problem=exc.message)
        return condition
    return Compare(condition.fact, condition.op, value, condition.span, ref.name)


class _Substitution(ConditionVisitor[None, Condition]):
    """A condition with each parameter's value in place, and ``{granted: p}`` of a path the
    municipality does not offer read as false."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def visit_all(self, node: All | AnyOf, _: None, /) -> Condition:
        items = tuple(self.visit(item, None) for item in node.items)
        if isinstance(node, AnyOf):
            # '{granted: p82b}' where § 82 b is not offered is false: drop it from 'any'.
            items = tuple(item for item in items if not _is_false(item))
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
            return _with_value(self.resolver, node, node.value)
        return node


def _is_false(condition: Condition) -> bool:
    return isinstance(condition, AnyOf) and not condition.items


def _shown(value: Any) -> Any:
    """A parameter's value as a message shows it: text and numbers as written, anything else
    in words ("a list", "a mapping")."""
    if isinstance(value, str):
        return repr(value[:60])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return value_words(value)
