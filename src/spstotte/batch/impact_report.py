"""An impact analysis (:class:`~.impact.ImpactReport`) as JSON, a terminal table or one
self-contained HTML file with a chart, in Danish (default) or English (docs/impact.md).

The HTML report is one file: inline CSS, the chart as inline SVG drawn by matplotlib (the
``report`` extra), nothing fetched from the network when it is opened, every value escaped
(jinja2's autoescape). The chart is deterministic: the same report gives the same SVG.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from ..errors import InputError, Message
from ..texts import text
from .impact import OUTCOMES, ImpactReport, Sample, SideInfo, Transition

#: Citizens' ids listed per transition in the text and HTML reports, by default (JSON: all).
SHOW_IDS = 20
#: Rules that conclude otherwise, listed per sample.
SHOW_RULES = 8


def _t(key: str, lang: str, **values: object) -> str:
    return text(f"impact.{key}", lang, **values)


def outcome_label(outcome: str, lang: str) -> str:
    """An outcome in a few words: ``Afslag``, ``Bevilget § 85``."""
    return _t(f"outcomes.{outcome}", lang) if outcome in OUTCOMES else outcome


def cause_words(report: ImpactReport, key: str, lang: str) -> str:
    """A cause of a transition in words."""
    cause = report.cause(key)
    kind = cause["kind"]
    if kind == "parameter":
        return _t("cause_parameter", lang, name=cause["name"], before=cause["before"],
                  after=cause["after"], rules=", ".join(cause["rules"]) or "—")
    if kind == "rule":
        change = text(f"diff.kinds.{cause['change'].replace(' ', '_')}", lang)
        return _t("cause_rule", lang, name=cause["name"], change=change)
    if kind == "date":
        return _t("cause_date", lang, before=cause["before"], after=cause["after"])
    return _t("cause_other", lang)


def _side_json(side: SideInfo) -> dict[str, Any]:
    return {"spec": side.spec, "on": side.on.isoformat(), "ruleset": side.ruleset,
            "title": side.title, "municipality": side.municipality,
            "municipality_name": side.municipality_name, "ruleset_hash": side.content_hash,
            "valid_from": side.valid_from.isoformat() if side.valid_from else None,
            "valid_to": side.valid_to.isoformat() if side.valid_to else None}


def _sample_json(sample: Sample, lang: str) -> dict[str, Any]:
    def verdict(v: Any) -> dict[str, Any]:
        return {"outcome": v.outcome.value,
                "reasons": [{"code": r.code, "kind": r.kind.value, "text": r.text.get(lang)}
                            for r in v.reasons],
                "missing_facts": [m.fact for m in v.missing_facts]}

    return {"row": sample.row, "id": sample.id, "before": verdict(sample.before),
            "after": verdict(sample.after),
            "rules": [{"rule_id": rule_id, "title": title.get(lang), "before": a, "after": b}
                      for rule_id, title, a, b in sample.differing_rules()]}


def impact_data(report: ImpactReport, lang: str = "da") -> dict[str, Any]:
    """The report as JSON-ready data: every id of every transition, each cause with the
    number of the transition's cases it explains."""
    return {
        "before": _side_json(report.before), "after": _side_json(report.after),
        "cases": report.cases, "decided": report.decided, "changed": report.changed,
        "changes": [{"kind": c.kind, "name": c.name, "before": c.before, "after": c.after,
                     "detail": c.detail} for c in report.changes],
        "transitions": [{
            "from": t.before, "to": t.after, "count": t.count,
            "causes": [{**report.cause(key), "key": key, "cases": n,
                        "text": cause_words(report, key, lang)}
                       for key, n in sorted(t.causes.items(), key=lambda kv: (-kv[1], kv[0]))],
            "ids": t.ids, "rows": t.rows,
            "samples": [_sample_json(s, lang) for s in t.samples],
        } for t in report.transitions],
        "unchanged": _ordered(report.unchanged),
        "reasons_changed": _ordered(report.reasons_changed),
        "outcomes": {"before": _ordered(report.outcomes_before),
                     "after": _ordered(report.outcomes_after)},
        "errors": [{"row": e.row, "id": e.id, "message": e.message[0 if lang == "da" else 1]}
                   for e in report.errors],
        "seconds": round(report.seconds, 3),
    }


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    return {k: counts[k] for k in sorted(counts, key=lambda k: (rank.get(k, 99), k))}


def impact_json(report: ImpactReport, lang: str = "da") -> str:
    """The report as indented JSON."""
    return json.dumps(impact_data(report, lang), ensure_ascii=False, indent=2) + "\n"


# -- text -----------------------------------------------------------------------------------


def change_rows(report: ImpactReport, lang: str) -> list[tuple[str, str, str]]:
    """The rule changes in short: kind, name, and the values of a parameter, the title of an
    added or removed rule, or what changed in a rule (its whole condition is in
    ``spstotte diff``)."""
    rows = []
    for change in report.changes:
        kind = text(f"diff.kinds.{change.kind.replace(' ', '_')}", lang)
        if change.kind in ("parameter", "paths", "municipality"):
            words = f"{change.before} → {change.after}"
        elif change.kind.endswith("added"):
            words = change.after
        elif change.kind.endswith("removed"):
            words = change.before
        else:
            words = change.detail
        rows.append((kind, change.name, _short(words, 200)))
    return rows


def _short(words: str, limit: int) -> str:
    words = " ".join(words.split())
    return words if len(words) <= limit else words[:limit - 1] + "…"


def _head(report: ImpactReport, lang: str) -> list[str]:
    lines = [_t("title", lang, before=report.before.spec, after=report.after.spec)]
    for label, side in (("before", report.before), ("after", report.after)):
        lines.append(_t("side", lang, label=_t(label, lang), spec=side.spec,
                        ruleset=side.ruleset,
                        municipality=f"{side.municipality_name} {side.municipality}",
                        date=side.on.isoformat(), hash=side.content_hash[:19]))
    share = 100 * report.changed / report.decided if report.decided else 0.0
    lines.append(_t("summary", lang, cases=report.cases, decided=report.decided,
                    changed=report.changed, share=f"{share:.1f}", errors=len(report.errors)))
    return lines


def _ids(transition: Transition, show: int, lang: str) -> str:
    if show <= 0:
        return _t("ids_hidden", lang, n=transition.count)
    shown = ", ".join(transition.ids[:show])
    more = transition.count - min(show, transition.count)
    return shown + (" " + _t("ids_more", lang, n=more) if more else "")


def _value(value: bool | None, lang: str) -> str:
    return _t("no_conclusion", lang) if value is None else _t("yes" if value else "no", lang)


def impact_text(report: ImpactReport, lang: str = "da", show_ids: int = SHOW_IDS) -> str:
    """The report for a terminal: the transitions with their causes and citizens, the
    unchanged outcomes, and the samples' two verdicts one above the other."""
    out = _head(report, lang)
    out += ["", f"{_t('changes', lang)}:"]
    if not report.changes:
        out.append("  " + _t("no_changes", lang))
    for kind, name, words in change_rows(report, lang):
        out.append(f"  {kind} {name}{': ' + words if words else ''}")
    out += ["", f"{_t('transitions', lang)}:"]
    if not report.transitions:
        out.append("  " + _t("no_transitions", lang))
    else:
        width = max(len(outcome_label(o, lang)) for o in OUTCOMES)
        out.append(f"  {_t('from', lang):<{width}}  {_t('to', lang):<{width}}  "
                   f"{_t('cases', lang):>7}")
        for t in report.transitions:
            out.append(f"  {outcome_label(t.before, lang):<{width}}  "
                       f"{outcome_label(t.after, lang):<{width}}  {t.count:>7,}")
            for key, n in sorted(t.causes.items(), key=lambda kv: (-kv[1], kv[0])):
                out.append(f"      {_t('causes', lang)}: {cause_words(report, key, lang)} "
                           f"({_t('cause_cases', lang, n=n, count=t.count)})")
            out.append(f"      {_t('citizens', lang)}: {_ids(t, show_ids, lang)}")
    out += ["", f"{_t('unchanged', lang)}:"]
    for outcome, n in _ordered(report.unchanged).items():
        changed = report.reasons_changed.get(outcome, 0)
        extra = f"  ({_t('reasons_changed', lang)}: {changed:,})" if changed else ""
        out.append(f"  {outcome_label(outcome, lang):<22} {n:>7,}{extra}")
    samples = [(t, s) for t in report.transitions for s in t.samples]
    if samples:
        out += ["", f"{_t('samples', lang)}:"]
    for t, sample in samples:
        out.append("  " + _t("sample", lang, id=_sample_id(sample, show_ids), row=sample.row,
                             before=outcome_label(t.before, lang),
                             after=outcome_label(t.after, lang)))
        for label, verdict in (("before", sample.before), ("after", sample.after)):
            reasons = "; ".join(f"{r.code}: {r.text.get(lang)}" for r in verdict.reasons)
            out.append(f"    {_t(label, lang)}: {outcome_label(verdict.outcome.value, lang)}"
                       f" | {_t('reasons', lang)}: {reasons or '—'}")
        rules = sample.differing_rules()[:SHOW_RULES]
        out.append(f"    {_t('rules_differing', lang)}: " + "; ".join(
            f"{rule_id} ({_value(a, lang)} → {_value(b, lang)})" for rule_id, _, a, b in rules))
    if report.errors:
        out += ["", f"{_t('errors', lang)}: {len(report.errors):,}"]
        for error in report.errors[:show_ids or 5]:
            name = error.id if (error.id and show_ids > 0) else f"#{error.row}"
            out.append(f"  {_t('row', lang)} {error.row} ({name}): "
                       f"{error.message[0 if lang == 'da' else 1]}")
    return "\n".join(out) + "\n"


def _sample_id(sample: Sample, show_ids: int) -> str:
    return sample.id if (sample.id and show_ids > 0) else f"#{sample.row}"


# -- the chart ------------------------------------------------------------------------------

_COLOURS = {"granted_85": "#2e7d32", "granted_82b": "#66bb6a", "referred": "#1976d2",
            "refused": "#c62828", "needs_information": "#f9a825", "forwarded": "#6d4c41",
            "closed": "#757575"}


def transition_chart(report: ImpactReport, lang: str = "da") -> str:
    """The chart of the HTML report as SVG text (no XML prolog, so it can be inlined): the
    outcomes before and after side by side, and the number of cases of each transition.
    Deterministic: fixed ids, no date. Needs matplotlib (``pip install "spstotte[report]"``).

    Raises:
        InputError: matplotlib is not installed.
    """
    try:
        import matplotlib
        from matplotlib.backends.backend_svg import FigureCanvasSVG
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise InputError(Message.of("errors.report_extra")) from None
    # Only for this figure: the user's matplotlib settings are left as they are.
    with matplotlib.rc_context({"svg.hashsalt": "spstotte-impact", "svg.fonttype": "none",
                                "font.family": "sans-serif", "font.size": 10,
                                "axes.spines.top": False, "axes.spines.right": False}):
        outcomes = [o for o in OUTCOMES
                    if report.outcomes_before.get(o) or report.outcomes_after.get(o)]
        transitions = report.transitions[:12]
        height = max(2.6, 0.42 * max(len(outcomes) * 2, len(transitions)) + 1.2)
        figure = Figure(figsize=(10, height))
        FigureCanvasSVG(figure)
        left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        positions = list(range(len(outcomes)))
        before = [report.outcomes_before.get(o, 0) for o in outcomes]
        after = [report.outcomes_after.get(o, 0) for o in outcomes]
        colours = [_COLOURS.get(o, "#999999") for o in outcomes]
        left.barh([p - 0.2 for p in positions], before, height=0.38, color=colours, alpha=0.45,
                  label=_t("before", lang))
        left.barh([p + 0.2 for p in positions], after, height=0.38, color=colours,
                  label=_t("after", lang))
        left.set_yticks(positions, [outcome_label(o, lang) for o in outcomes])
        left.invert_yaxis()
        left.set_title(_t("chart_outcomes", lang), loc="left")
        for p, a, b in zip(positions, before, after, strict=True):
            left.text(a, p - 0.2, f" {a:,}", va="center", fontsize=8)
            left.text(b, p + 0.2, f" {b:,}", va="center", fontsize=8)
        left.legend(handles=[Patch(color="#777777", alpha=0.45, label=_t("before", lang)),
                             Patch(color="#777777", label=_t("after", lang))],
                    loc="lower right", frameon=False)
        left.margins(x=0.18)
        right.set_title(_t("chart_transitions", lang), loc="left")
        if transitions:
            labels = [f"{outcome_label(t.before, lang)} → {outcome_label(t.after, lang)}"
                      for t in transitions]
            counts = [t.count for t in transitions]
            rows = list(range(len(transitions)))
            right.barh(rows, counts, height=0.5,
                       color=[_COLOURS.get(t.after, "#999999") for t in transitions])
            right.set_yticks(rows, labels)
            right.invert_yaxis()
            for row, count in zip(rows, counts, strict=True):
                right.text(count, row, f" {count:,}", va="center", fontsize=8)
            right.margins(x=0.15)
        else:
            right.set_axis_off()
            right.text(0, 0.5, _t("no_transitions", lang), transform=right.transAxes)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg",
                       metadata={"Date": None, "Creator": "spstotte", "Format": None,
                                 "Type": None})
    svg = buffer.getvalue()
    # Inline SVG needs neither the XML declaration nor the DOCTYPE (which names a URL).
    return re.sub(r"\A(?:<\?xml[^>]*>\s*)?(?:<!DOCTYPE[^>]*>\s*)?", "", svg)


# -- HTML -----------------------------------------------------------------------------------


def impact_html(report: ImpactReport, lang: str = "da", show_ids: int = SHOW_IDS) -> str:
    """The report as one self-contained HTML file, with the chart inline."""
    import jinja2
    from markupsafe import Markup

    from ..library import library_version

    env = jinja2.Environment(loader=jinja2.PackageLoader("spstotte.batch", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    template = env.get_template("impact.html.j2")
    share = 100 * report.changed / report.decided if report.decided else 0.0
    transitions = [{
        "t": t, "before": outcome_label(t.before, lang), "after": outcome_label(t.after, lang),
        "causes": [(cause_words(report, key, lang), _t("cause_cases", lang, n=n, count=t.count))
                   for key, n in sorted(t.causes.items(), key=lambda kv: (-kv[1], kv[0]))],
        "ids": t.ids[:max(show_ids, 0)], "more": max(t.count - max(show_ids, 0), 0),
        "samples": [{
            "name": _sample_id(s, show_ids), "row": s.row, "verdicts": [
                (outcome_label(v.outcome.value, lang),
                 [(r.code, r.text.get(lang)) for r in v.reasons]) for v in (s.before, s.after)],
            "rules": [(rule_id, title.get(lang), _value(a, lang), _value(b, lang))
                      for rule_id, title, a, b in s.differing_rules()[:SHOW_RULES]],
        } for s in t.samples],
    } for t in report.transitions]
    return template.render(
        lang=lang, t=lambda key, **v: _t(key, lang, **v), head=_head(report, lang),
        title=_t("title", lang, before=report.before.spec, after=report.after.spec),
        share=f"{share:.1f}", report=report, transitions=transitions, show_ids=show_ids,
        chart=Markup(transition_chart(report, lang)),
        changes=change_rows(report, lang),
        unchanged=[(outcome_label(o, lang), n, report.reasons_changed.get(o, 0))
                   for o, n in _ordered(report.unchanged).items()],
        errors=[(e.row, e.id if (e.id and show_ids > 0) else f"#{e.row}",
                 e.message[0 if lang == "da" else 1]) for e in report.errors[:200]],
        generated=_t("generated", lang, version=library_version(),
                     seconds=f"{report.seconds:.1f}"),
    )
