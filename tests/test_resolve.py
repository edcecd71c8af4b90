"""Rule files: every kind of mistake is caught before anything runs, with file:line:col."""

from __future__ import annotations

from collections.abc import Callable
from textwrap import dedent

import pytest

from spstotte import RuleLibrary, RuleSetError

HEADER = """\
layer: municipality
id: bad
title: {da: Bad, en: Bad}
municipality: {code: 101, name: København}
sources: {own_text: {file: t, publisher: K, title: T, date: x, kind: t, municipality: 101}}
"""

RULE = """\
  - id: {id}
    title: {{da: T, en: T}}
    legal_basis:
      sources:
        - {{source: own_text, section: Målgruppe, quote: "Målgruppen for støtten"}}
    when: {when}
    then: {then}
"""


OBLIGATION = "{obligation: {paths: [p85], text: {da: Plan, en: Plan}}}"


def rule(id: str = "x", when: str = "{fact: age, gte: 18}",
         then: str = "{require: {paths: [p85]}}") -> str:
    return RULE.format(id=id, when=when, then=then)


def errors(rules_dir: Callable[[str, str], RuleLibrary], body: str) -> list[tuple[str, str]]:
    library = rules_dir("bad.yaml", HEADER + body)
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101)
    return [(d.code, f"{d.span.line}:{d.span.col}" if d.span else "") for d in
            info.value.diagnostics]


def test_a_valid_municipality_resolves(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    library = rules_dir("bad.yaml", HEADER + "rules:\n" + rule())
    ruleset = library.ruleset(101)
    assert ruleset.rule("x").layer == "municipality"
    assert ruleset.rule("grant_p85").kind == "grant"
    assert ruleset.content_hash.startswith("sha256:")


def test_the_content_hash_is_the_whole_rule_sets_also_when_narrowed() -> None:
    # The hash is worked out on first use; a rule set narrowed to a few rules (the compact
    # record's network) names the whole rule set, whichever of the two is asked first.
    from spstotte.ruleset.fingerprint import content_hash

    whole = RuleLibrary().ruleset("roskilde")
    narrowed = whole.narrowed_to(frozenset({"grant_p85"}))
    assert len(narrowed.rules) < len(whole.rules)
    assert narrowed.content_hash == content_hash(whole) != content_hash(narrowed)
    assert whole.content_hash == content_hash(whole)
    other = RuleLibrary().ruleset("vejle")
    assert other.narrowed_to(frozenset({"grant_p85"})).content_hash == content_hash(other)


def test_unknown_keys_name_the_allowed_ones(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    library = rules_dir("bad.yaml", HEADER + "colour: blue\nrules:\n" + rule())
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101)
    (d,) = info.value.diagnostics
    assert d.code == "R101" and d.span is not None and (d.span.line, d.span.col) == (6, 1)
    assert d.span.file.endswith("bad.yaml")
    assert "rules" in (d.hint or "") and "parameters" in (d.hint or "")


def test_unknown_fact_suggests_the_nearest(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + rule(when="{fact: suport_need, gte: light}")
    library = rules_dir("bad.yaml", HEADER + body)
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101)
    (d,) = info.value.diagnostics
    assert d.code == "R201" and d.span is not None and (d.span.line, d.span.col) == (12, 18)
    assert "support_need" in (d.hint or "")


@pytest.mark.parametrize(("when", "code"), [
    ("{fact: met_by_advice, gte: 1}", "R202"),               # ordering on a yes/no fact
    ("{fact: age, matches: 18}", "R202"),                    # no such operator
    ("{fact: support_need, gte: lots}", "R203"),             # not a value of the scale
    ("{fact: support_need, gte: not_assessed}", "R203"),     # not_assessed has no rank
    ("{fact: age, gte: '18'}", "R203"),                      # text where a number is needed
    ("{fact: met_by_advice, eq: yes}", "R203"),              # 'yes' is text, not a boolean
    ("{fact: age, gte: 18, lte: 67}", "R103"),               # two operators in one comparison
    ("{rule: no_such_rule}", "R204"),
    ("{granted: p99}", "R210"),
    ("{fact: support_need, gte: {param: no_such_param}}", "R205"),
    ("{fact: age, gte: {param: offers_82b}}", "R214"),       # a yes/no parameter on a number
    ("[1, 2]", "R103"),
    ("{every: []}", "R101"),
])
def test_condition_errors(rules_dir: Callable[[str, str], RuleLibrary], when: str,
                          code: str) -> None:
    assert [c for c, _ in errors(rules_dir, "rules:\n" + rule(when=when))] == [code]


def test_all_errors_of_a_file_are_reported_together(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + rule("a", when="{fact: agee, gte: 18}") + rule(
        "b", when="{fact: age, gtee: 18}") + rule(
        "c", then="{require: {paths: [p85], on_fail: maybe}}")
    assert [c for c, _ in errors(rules_dir, body)] == ["R201", "R202", "R104"]


def test_duplicate_ids_and_overrides(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    assert [c for c, _ in errors(rules_dir, "rules:\n" + rule("x") + rule("x"))] == ["R206"]
    # the id of a law-layer rule without 'overrides'
    assert [c for c, _ in errors(rules_dir, "rules:\n" + rule("adult"))] == ["R215"]
    # an override without a reason
    overriding = rule("handleplan_offer", then=OBLIGATION).replace(
        "    when:", "    overrides: handleplan_offer\n    when:")
    assert [c for c, _ in errors(rules_dir, "rules:\n" + overriding)] == ["R208"]
    # an override of a rule that does not exist
    missing = rule("ghost").replace(
        "    when:", "    overrides: ghost\n    reason: {da: r, en: r}\n    when:")
    assert [c for c, _ in errors(rules_dir, "rules:\n" + missing)] == ["R207"]


def test_a_valid_override_replaces_the_law_rule(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    overriding = rule("handleplan_consider", when="{rule: handleplan_required, is: false}",
                      then=OBLIGATION).replace(
        "    when:", "    overrides: handleplan_consider\n"
        "    reason: {da: Altid plan, en: Always a plan}\n    when:")
    ruleset = rules_dir("bad.yaml", HEADER + "rules:\n" + overriding).ruleset(101)
    replaced = ruleset.rule("handleplan_consider")
    assert replaced.layer == "municipality"
    assert replaced.condition_kind.value == "service_level"
    assert replaced.override is not None and replaced.override.reason.da == "Altid plan"


@pytest.mark.parametrize("target", ["target_group_85", "significant_impairment", "adult",
                                    "support_need", "met_by_open_offers"])
def test_a_service_level_cannot_rewrite_a_statutory_condition(
        rules_dir: Callable[[str, str], RuleLibrary], target: str) -> None:
    """A kvalitetsstandard can neither narrow nor widen the statutory target group: overriding
    one of the law layer's conditions is refused at the 'overrides' key, with a hint."""
    overriding = rule(target, then="derive").replace(
        "    when:", f"    overrides: {target}\n    reason: {{da: Bredere, en: Wider}}\n    when:")
    library = rules_dir("bad.yaml", HEADER + "rules:\n" + overriding)
    with pytest.raises(RuleSetError) as info:
        library.ruleset(101)
    (d,) = info.value.diagnostics
    assert d.code == "R222" and d.span is not None and (d.span.line, d.span.col) == (12, 16)
    assert "neither narrow nor widen" in (d.hint or "")


def test_a_service_level_cannot_call_itself_statute_or_forward(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    statute = rule("x").replace("    legal_basis:", "    condition_kind: statute\n    legal_basis:")
    assert errors(rules_dir, "rules:\n" + statute) == [("R221", "9:21")]
    forwarding = rule("y", then="{require: {paths: all, on_fail: forward, "
                                "forward_to: residence_municipality}}")
    assert [c for c, _ in errors(rules_dir, "rules:\n" + forwarding)] == ["R221"]


def test_a_service_level_cannot_set_a_statutory_parameter(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "parameters:\n  significant_impairment_level: {value: severe}\n  " \
           "special_social_problems: {value: [homelessness, social_isolation]}\n"
    assert errors(rules_dir, body) == [("R223", "7:3"), ("R223", "8:3")]


def test_an_assessment_rule_must_read_a_discretionary_point(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    # The law layer alone: a rule said to be an assessment that reads only statutory facts.
    from spstotte.loader import load_yaml_text
    from spstotte.ruleset.resolve import resolve_loaded

    law = RuleLibrary()._law_files()
    extra = load_yaml_text(dedent("""\
        layer: law
        id: extra
        title: {da: X, en: X}
        rules:
          - id: looks_discretionary
            condition_kind: assessment
            title: {da: T, en: T}
            legal_basis: {law: [{act: serviceloven, section: 85, stk: 1}]}
            when: {fact: age, gte: 30}
            then: derive
        """), "rules/extra.yaml")
    with pytest.raises(RuleSetError) as info:
        resolve_loaded([*law, extra], None)
    assert [(d.code, d.span.line if d.span else 0) for d in info.value.diagnostics] == [
        ("R221", 5)]


def test_circular_rules_are_found(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + rule("a", when="{rule: b}", then="derive") + rule(
        "b", when="{rule: a}", then="derive")
    found = errors(rules_dir, body)
    assert found and {c for c, _ in found} == {"R209"}


def test_parameters_are_typed(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = dedent("""\
        parameters:
          offers_82b: {value: maybe}
          no_such: {value: 1}
        """)
    assert sorted(c for c, _ in errors(rules_dir, body)) == ["R205", "R214"]


@pytest.mark.parametrize(("parameters", "then"), [
    # a number where a list of months is declared, read by an obligation's follow-up months
    ("  months: {type: int_list, value: 1.5, title: {da: M, en: M}}\n",
     "{obligation: {paths: [p85], after_months: {param: months}, text: {da: P, en: P}}}"),
    ("  months: {type: int_list, value: [3, x], title: {da: M, en: M}}\n",
     "{obligation: {paths: [p85], after_months: {param: months}, text: {da: P, en: P}}}"),
    # a number where the order of the paths is expected
    ("  path_order: {value: 5}\n", "{require: {paths: [p85]}}"),
    ("  path_order: {value: p85}\n", "{require: {paths: [p85]}}"),
])
def test_a_refused_parameter_value_is_reported_once_and_never_used(
        rules_dir: Callable[[str, str], RuleLibrary], parameters: str, then: str) -> None:
    # Found by the thorough Hypothesis profile: a refused value was kept, and the step that
    # read it (the follow-up months, the order of the paths) failed with a TypeError.
    body = "parameters:\n" + parameters + "rules:\n" + rule(then=then)
    column = parameters.index("value: ") + len("value: ") + 1
    assert errors(rules_dir, body) == [("R214", f"7:{column}")]


def test_municipal_rules_must_cite_a_municipal_source(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + rule().replace(
        '      sources:\n        - {source: own_text, section: Målgruppe, '
        'quote: "Målgruppen for støtten"}', "      law: [{act: serviceloven, section: 85}]")
    assert [c for c, _ in errors(rules_dir, body)] == ["R219"]


def test_unknown_sources_acts_and_referrals(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    body = "rules:\n" + rule(then="{refer: {to: nowhere}}").replace(
        "own_text", "nowhere_doc")
    assert sorted(c for c, _ in errors(rules_dir, body)) == ["R211", "R213"]


def test_yaml_errors_come_before_rule_errors(rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    assert errors(rules_dir, "rules:\n  - id: [\n") == [("Y001", "8:1")]


def test_the_resolved_order_and_hash_do_not_depend_on_file_order(
        rules_dir: Callable[[str, str], RuleLibrary],
        tmp_path: object) -> None:
    a = rule("a", when="{fact: age, gte: 18}", then="derive")
    b = rule("b", when="{rule: a}")
    first = rules_dir("bad.yaml", HEADER + "rules:\n" + a + b).ruleset(101)
    second = rules_dir("bad.yaml", HEADER + "rules:\n" + b + a)
    second.reload()
    other = second.ruleset(101)
    assert [r.id for r in first.rules] == [r.id for r in other.rules]
    assert first.content_hash == other.content_hash
    assert first.rule_position("a") < first.rule_position("b")


def test_a_constant_that_does_not_fit_its_fact_raises_with_the_reason() -> None:
    from spstotte.facts import fact_spec
    from spstotte.lang.conditions import InvalidValue, Op, check_value

    age, need = fact_spec("age"), fact_spec("support_need")
    assert check_value(age, Op.IN, [20, 18, 20]) == (18, 20)
    assert check_value(need, Op.GTE, "moderate") == "moderate"
    for spec, op, raw, reason in [
        (age, Op.EQ, "18", "age is a whole number, not the text '18'"),
        (age, Op.IN, [], "'in' takes a list with at least one value, not an empty list"),
        (age, Op.EQ, [18], "'eq' compares with one value, but a list is written here"),
        (need, Op.GTE, "not_assessed", "'not_assessed' has no rank and cannot be compared with "
                                       "gte"),
        (need, Op.IN, ["high", "huge"], "'huge' is not a value of support_need"),
        # A text that starts with '!' is a value like any other, not a message.
        (need, Op.EQ, "!high", "'!high' is not a value of support_need"),
    ]:
        with pytest.raises(InvalidValue) as info:
            check_value(spec, op, raw)
        assert str(info.value) == reason
