"""Compare rule sets: two municipalities, or two versions of one rule set.

"What does this municipality do differently?" gets a mechanical answer: parameters changed,
rules added, removed, overridden or changed, paths offered, support areas and referral
targets. With more than two rule sets the result is a side-by-side comparison table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .describe import describe
from .resolve import ResolvedRule, ResolvedRuleSet, _canonical


def _unparametrised(value: Any) -> Any:
    """Canonical content with parameter values replaced by the parameter's name: a changed
    parameter is reported once, as a parameter, not again for every rule that reads it."""
    if isinstance(value, dict):
        if value.get("__type__") == "Compare" and value.get("param"):
            value = {**value, "value": {"param": value["param"]}}
        if value.get("__type__") == "Obligation" and value.get("after_months_param"):
            value = {**value, "after_months": {"param": value["after_months_param"]}}
        return {k: _unparametrised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unparametrised(v) for v in value]
    return value


def _rule_content(rule: ResolvedRule) -> str:
    data = _unparametrised(_canonical(rule))
    for key in ("depth", "quote_spans"):
        data.pop(key, None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "—" if value is None else str(value)


@dataclass
class Change:
    """One difference between two rule sets."""

    kind: str          # parameter, rule added/removed/changed/overridden, path, area, referral
    name: str
    before: str = ""
    after: str = ""
    detail: str = ""


@dataclass
class RuleSetDiff:
    """The differences between rule set ``a`` and rule set ``b``."""

    a: str
    b: str
    changes: list[Change] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Change]:
        """The changes of one kind."""
        return [c for c in self.changes if c.kind == kind]


def _what_changed(old: ResolvedRule, new: ResolvedRule) -> str:
    parts = []
    if _unparametrised(_canonical(old.condition)) != _unparametrised(_canonical(new.condition)):
        parts.append("condition")
    if (_unparametrised(_canonical(old.conclusion)) != _unparametrised(_canonical(new.conclusion))
            or old.paths != new.paths):
        parts.append("conclusion")
    if old.legal_basis != new.legal_basis:
        parts.append("legal basis")
    if old.title != new.title or old.note != new.note:
        parts.append("text")
    if old.layer != new.layer:
        parts.append(f"layer {old.layer} → {new.layer}")
    return ", ".join(parts) or "content"


def diff_rulesets(a: ResolvedRuleSet, b: ResolvedRuleSet, lang: str = "en") -> RuleSetDiff:
    """Every difference between two resolved rule sets."""
    result = RuleSetDiff(a.id, b.id)
    add = result.changes.append
    if a.municipality_code != b.municipality_code:
        add(Change("municipality", "municipality", f"{a.municipality_name} "
                   f"({a.municipality_code})", f"{b.municipality_name} ({b.municipality_code})"))
    if a.offered_paths != b.offered_paths:
        add(Change("paths", "offered paths", _show(a.offered_paths), _show(b.offered_paths)))
    for name in sorted(set(a.parameters) | set(b.parameters)):
        pa, pb = a.parameters.get(name), b.parameters.get(name)
        if name == "municipality_code":
            continue
        va = None if pa is None else pa.value
        vb = None if pb is None else pb.value
        if va != vb:
            add(Change("parameter", name, _show(va), _show(vb)))

    def title(rs: ResolvedRuleSet) -> Any:
        return lambda rid, lg: rs.rule(rid).title.get(lg) if rs.has_rule(rid) else rid

    ids_a = {r.id for r in a.rules}
    ids_b = {r.id for r in b.rules}
    for rule in b.rules:
        if rule.id not in ids_a:
            add(Change("rule added", rule.id, after=rule.title.get(lang),
                       detail=describe(rule.condition, lang, title(b))))
    for rule in a.rules:
        if rule.id not in ids_b:
            add(Change("rule removed", rule.id, before=rule.title.get(lang),
                       detail=describe(rule.condition, lang, title(a))))
    for rule in b.rules:
        if rule.id not in ids_a:
            continue
        old = a.rule(rule.id)
        if _rule_content(old) == _rule_content(rule):
            continue
        if rule.override is not None and old.override is None:
            add(Change("rule overridden", rule.id, before=describe(old.condition, lang, title(a)),
                       after=describe(rule.condition, lang, title(b)),
                       detail=rule.override.reason.get(lang)))
        elif old.override is not None and rule.override is None:
            add(Change("override removed", rule.id, before=describe(old.condition, lang,
                                                                    title(a)),
                       after=describe(rule.condition, lang, title(b))))
        else:
            detail = _what_changed(old, rule)
            before = after = ""
            if "condition" in detail:
                before = describe(old.condition, lang, title(a))
                after = describe(rule.condition, lang, title(b))
            add(Change("rule changed", rule.id, before=before, after=after, detail=detail))
    for kind, ta, tb in (("support area", a.support_areas, b.support_areas),
                         ("referral", a.referrals, b.referrals),
                         ("delivery form", a.delivery_forms, b.delivery_forms)):
        for name in sorted(set(ta) | set(tb)):
            if name not in ta:
                add(Change(f"{kind} added", name, after=tb[name].title.get(lang)))
            elif name not in tb:
                add(Change(f"{kind} removed", name, before=ta[name].title.get(lang)))
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def diff_markdown(diff: RuleSetDiff) -> str:
    """A two-way diff as a Markdown table."""
    lines = [f"# Differences: `{diff.a}` → `{diff.b}`", ""]
    if not diff.changes:
        return "\n".join([*lines, "No differences.", ""])
    lines += [f"{len(diff.changes)} difference(s).", "",
              "| change | name | before | after | detail |", "|---|---|---|---|---|"]
    for c in diff.changes:
        lines.append(f"| {c.kind} | `{c.name}` | {_cell(c.before)} | {_cell(c.after)} | "
                     f"{_cell(c.detail)} |")
    return "\n".join(lines) + "\n"


def comparison_markdown(rulesets: Sequence[ResolvedRuleSet], lang: str = "en") -> str:
    """Several rule sets side by side: paths, parameters, and which rules each has."""
    names = [rs.id for rs in rulesets]
    header = "| | " + " | ".join(f"`{n}`" for n in names) + " |"
    rule_line = "|---|" + "---|" * len(names)
    lines = [f"# Comparison: {', '.join(names)}", "",
             "*Generated by `spstotte diff " + " ".join(names) + "`; do not edit.*", "",
             "## Municipalities and paths", "", header, rule_line]
    lines.append("| municipality | " + " | ".join(
        f"{rs.municipality_name} ({rs.municipality_code})" for rs in rulesets) + " |")
    lines.append("| paths offered (in order) | " + " | ".join(
        ", ".join(rs.offered_paths) for rs in rulesets) + " |")
    lines.append("| rules | " + " | ".join(str(len(rs.rules)) for rs in rulesets) + " |")
    lines += ["", "## Parameters", "", header, rule_line]
    params = sorted({p for rs in rulesets for p in rs.parameters} - {"municipality_code"})
    for name in params:
        lines.append(f"| `{name}` | " + " | ".join(
            _show(rs.parameters[name].value) if name in rs.parameters else "—"
            for rs in rulesets) + " |")
    lines += ["", "## Rules", "",
              "✓ law layer as is · **M** municipal rule · **O** overrides the law layer · "
              "— not in the rule set", "", "| rule | " + " | ".join(
                  f"`{n}`" for n in names) + " |", rule_line]
    ids: dict[str, str] = {}
    for rs in rulesets:
        for rule in rs.rules:
            ids.setdefault(rule.id, rule.title.get(lang))

    def mark(rs: ResolvedRuleSet, rule_id: str) -> str:
        if not rs.has_rule(rule_id):
            return "—"
        rule = rs.rule(rule_id)
        if rule.override is not None:
            return "**O**"
        return "**M**" if rule.layer == "municipality" else "✓"

    for rule_id, rule_title in sorted(ids.items()):
        lines.append(f"| `{rule_id}` {_cell(rule_title)} | " + " | ".join(
            mark(rs, rule_id) for rs in rulesets) + " |")
    overrides = [(rs.id, r) for rs in rulesets for r in rs.rules if r.override is not None]
    if overrides:
        lines += ["", "## Overrides and why", ""]
        for name, rule in overrides:
            assert rule.override is not None
            lines.append(f"- `{name}` overrides `{rule.id}`: {rule.override.reason.get(lang)}")
    lines += ["", "## Support areas", "", header, rule_line]
    vocabulary = sorted({c for rs in rulesets for a in rs.support_areas.values() for c in a.covers})
    for area in vocabulary:
        lines.append(f"| `{area}` | " + " | ".join(
            ", ".join(name for name, a in rs.support_areas.items() if area in a.covers) or "—"
            for rs in rulesets) + " |")
    return "\n".join(lines) + "\n"
