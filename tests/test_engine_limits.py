"""The engine's limits: a rule set that validates never hangs or crashes the engine.

durable_rules hangs for ever (in C, holding the GIL) when one node of its alpha network has 512
children, and fails an assert (error 303) when one fact matches 65 nodes at once. The compiler
counts what the engine builds and refuses a rule set past a margin (E302, at the rule that
crosses it). Each limit is probed just under and just over: the rule set just under is compiled
and evaluated in a subprocess, so that a hang fails the test (after a generous timeout, reported)
instead of stopping the run; the one just over is refused with its position.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from spstotte import RuleLibrary, RuleSetError
from spstotte.engine.compiler import (
    FANOUT,
    MAX_CHILDREN_PER_NODE,
    MAX_SIMULTANEOUS_MATCHES,
    compile_ruleset,
)
from spstotte.lang.conditions import All, RuleRef
from spstotte.loader import load_yaml_file, load_yaml_text
from spstotte.ruleset.resolve import resolve_loaded
from spstotte.testing import wide_municipality

#: Generous: an evaluation takes milliseconds; only a hang comes near it (see
#: test_suite_hygiene.py: a timeout only ever catches a hang).
HANG_TIMEOUT = 300

HEADER = """\
layer: municipality
id: grænse
title: {da: Grænse, en: Limit}
municipality: {code: 101, name: København}
sources: {own: {file: t, publisher: K, title: T, date: x, kind: t, municipality: 101}}
rules:
"""

RULE = """\
  - id: {id}
    title: {{da: Regel {id}, en: Rule {id}}}
    legal_basis: {{sources: [{{source: own, section: S, quote: ordret citat}}]}}
    when: {when}
    then: {{inform: {{paths: [p85], text: {{da: T, en: T}}}}}}
"""


def write(folder: Path, rules: list[tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "graense.yaml"
    path.write_text(HEADER.replace("grænse", "graense") + "".join(
        RULE.format(id=rule_id, when=when) for rule_id, when in rules), encoding="utf-8")
    return path


def refused(folder: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(RuleSetError) as info:
        compile_ruleset(resolve_loaded(RuleLibrary()._law_files(),
                                       load_yaml_file(folder / "graense.yaml")))
    return [(d.code, d.span.line if d.span else 0, d.message) for d in info.value.diagnostics]


def evaluates_in_a_subprocess(folder: Path, profile: dict[str, object],
                              municipality: int = 101) -> str:
    """Compile the rule set and evaluate a profile in a fresh interpreter; the outcome, checked
    to be the reference interpreter's."""
    code = (
        "import json, sys\n"
        "from spstotte import RuleLibrary\n"
        "library = RuleLibrary(municipality_dirs=[sys.argv[1]])\n"
        "profile, code = json.loads(sys.argv[2]), int(sys.argv[3])\n"
        "rete, reference = (library.evaluate(profile, municipality=code, on='2026-11-23', "
        "backend=backend) for backend in ('rete', 'reference'))\n"
        "assert rete.model_dump(exclude={'record'}) == reference.model_dump(exclude={'record'})\n"
        "print(rete.outcome.value)\n")
    try:
        result = subprocess.run([sys.executable, "-c", code, str(folder), json.dumps(profile),
                                 str(municipality)],
                                capture_output=True, text=True, timeout=HANG_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the engine did not finish within {HANG_TIMEOUT} s: the rule set hangs it")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def most_accepted(make: Callable[[int], list[tuple[str, str]]], folder: Path,
                  low: int, high: int) -> int:
    """The largest n whose rule set the compiler accepts (accepted at low, refused at high)."""
    while high - low > 1:
        middle = (low + high) // 2
        path = write(folder, make(middle))
        # Resolve and compile only: the engine itself is only ever fed in a subprocess.
        try:
            compile_ruleset(resolve_loaded(RuleLibrary()._law_files(), load_yaml_file(path)))
            low = middle
        except RuleSetError:
            high = middle
    return low


def age_list(n: int) -> list[tuple[str, str]]:
    """One rule: age in a list of n values."""
    values = ", ".join(str(1000 + i) for i in range(n))
    return [("long_list", f"{{fact: age, in: [{values}]}}")]


def age_lists(rules: int, each: int) -> list[tuple[str, str]]:
    """Several rules, each with its own list of ages."""
    return [(f"list_{r}", "{fact: age, in: [" + ", ".join(
        str(1000 + r * each + i) for i in range(each)) + "]}") for r in range(rules)]


def age_ranges(n: int) -> list[tuple[str, str]]:
    """n rules, each 'age at least k': a fact of a high age matches them all at once."""
    return [(f"from_{k}", f"{{fact: age, gte: {20 + k}}}") for k in range(n)]


def test_a_long_list_of_values_is_refused_just_past_the_margin_and_runs_just_under(
        tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    largest = most_accepted(age_list, folder, 1, 600)
    # The margin sits below the engine's 512, counting the law layer's own tests on age.
    assert MAX_CHILDREN_PER_NODE - 20 < largest < MAX_CHILDREN_PER_NODE
    write(folder, age_list(largest))
    assert evaluates_in_a_subprocess(folder, {"birth_date": "1990-01-01"}) in (
        "needs_information", "forwarded")
    write(folder, age_list(largest + 1))
    ((code, line, message),) = refused(folder)
    assert code == "E302" and line == 7
    assert message.startswith("rule 'long_list' brings the conditions on age to "
                              f"{MAX_CHILDREN_PER_NODE + 1} different tests")


def test_many_rules_with_lists_on_one_fact_are_refused_at_the_rule_that_crosses(
        tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    write(folder, age_lists(12, 42))  # 504 ages: hung the engine before the guard counted them
    (found,) = refused(folder)
    assert found[0] == "E302" and "different tests" in found[2]
    # The rule that crosses is named, at its line (rules are 5 lines each from line 7).
    crossing = int(found[2].split("'list_")[1].split("'")[0])
    assert found[1] == 7 + 5 * crossing
    write(folder, age_lists(10, 40))
    assert evaluates_in_a_subprocess(folder, {"birth_date": "1990-01-01"}) in (
        "needs_information", "forwarded")


def test_tests_that_hold_at_once_are_refused_just_past_the_margin_and_run_just_under(
        tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    largest = most_accepted(age_ranges, folder, 1, 80)
    assert MAX_SIMULTANEOUS_MATCHES - 12 < largest <= MAX_SIMULTANEOUS_MATCHES
    write(folder, age_ranges(largest))
    # 105 years old: every 'age at least k' holds at once.
    assert evaluates_in_a_subprocess(folder, {"birth_date": "1921-01-01"}) in (
        "needs_information", "forwarded")
    write(folder, age_ranges(largest + 1))
    ((code, line, message),) = refused(folder)
    # The rule that crosses is named, at its line (rules are 5 lines each from line 7).
    crossing = int(message.split("'from_")[1].split("'")[0])
    assert code == "E302" and line == 7 + 5 * crossing
    assert "can hold at once" in message


def test_validate_reports_an_engine_limit_with_its_position(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from spstotte.cli.main import main

    path = write(tmp_path / "municipalities", age_list(600))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:7:" in err or "graense.yaml:7:" in err
    assert "error[E302]" in err and "instead of listing values" in err


def test_sixty_requirements_on_one_path_compile_and_decide(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    library = rules_dir("bred.yaml", wide_municipality(60))
    ruleset = library.ruleset(265)
    # The requirements (its own and the law layer's) are read in parts of at most 12: no
    # rule of the engine joins more than 12 facts.
    parts = [r.id for r in ruleset.rules if r.id.startswith("grant_p85__")]
    assert len(parts) >= 5
    top = ruleset.rule("grant_p85").condition
    assert isinstance(top, All) and len(top.items) == len(parts) <= 12
    citizen = {"birth_date": "1998-01-01", "residence_municipality": 265,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
               "covered_by_provision": [], "specialist_treatment_sought": False,
               "applicant": "self"}
    granted = library.evaluate(citizen, municipality=265, on="2026-11-23")
    assert granted.outcome.value == "granted_85"
    reference = library.evaluate(citizen, municipality=265, on="2026-11-23",
                                 backend="reference")
    assert reference.model_dump(exclude={"record"}) == granted.model_dump(exclude={"record"})
    young = library.evaluate({**citizen, "birth_date": "2005-01-01"}, municipality=265,
                             on="2026-11-23")
    assert young.outcome.value != "granted_85"
    unmet = {q.rule_id for q in young.unmet_requirements}
    assert {"requirement_4", "requirement_9"} <= unmet and "requirement_3" not in unmet


def test_more_parts_than_one_rule_joins_are_read_in_parts_of_parts(tmp_path: Path) -> None:
    # 200 requirements: 18 parts, more than the 16 facts one engine rule joins, so the grant
    # reads parts of parts. Each requirement also carries the caseworker's assessment, a
    # profile fact of its own: 200 of them are packed into a few engine facts.
    text = wide_municipality(200)
    ruleset = resolve_loaded(RuleLibrary()._law_files(), load_yaml_text(text, "bred.yaml"))
    top = ruleset.rule("grant_p85").condition
    assert isinstance(top, All) and len(top.items) <= 12
    assert all(item.rule.startswith("grant_p85__2_") for item in top.items
               if isinstance(item, RuleRef))
    assert sum(r.id.startswith("grant_p85__2_") for r in ruleset.rules) == 2
    compiled = compile_ruleset(ruleset)
    assert 1 < len(compiled.groups) < 20
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "bred.yaml").write_text(text, encoding="utf-8")
    citizen = {"birth_date": "1998-01-01", "residence_municipality": 265,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
               "covered_by_provision": [], "specialist_treatment_sought": False,
               "applicant": "self"}
    assert evaluates_in_a_subprocess(folder, citizen, municipality=265) == "granted_85"
    young = {**citizen, "birth_date": "2005-01-01"}
    assert evaluates_in_a_subprocess(folder, young, municipality=265) == "refused"


def test_hundreds_of_derived_facts_share_the_engines_root_and_decide(
        tmp_path: Path) -> None:
    """Each derived fact another rule reads used to be a kind of fact of its own under the
    engine's root node, which hangs at 512 children: 460 of them were refused (E302). Derived
    facts now hang from a 16-way tree over their rules' numbers (compiler.derived_path), so
    they compile, no node on their way has more than 16 children (the engine scans a node's
    children once for each property of a fact), and the network decides as the reference
    interpreter does."""
    derived = "".join(f"""\
  - id: d_{i}
    title: {{da: Afledt {i}, en: Derived {i}}}
    legal_basis: {{sources: [{{source: own, section: S, quote: ordret citat}}]}}
    when: {{fact: age, gte: {18 + i % 20}}}
    then: derive
""" for i in range(460))
    readers = "".join(f"""\
  - id: read_{i}
    title: {{da: Læser {i}, en: Reader {i}}}
    legal_basis: {{sources: [{{source: own, section: S, quote: ordret citat}}]}}
    when: {{rule: d_{i}, is: true}}
    then: derive
""" for i in range(460))
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "graense.yaml").write_text(HEADER.replace("grænse", "graense") + derived + readers,
                                         encoding="utf-8")
    ruleset = resolve_loaded(RuleLibrary()._law_files(), load_yaml_file(folder / "graense.yaml"))
    definition = json.loads(compile_ruleset(ruleset).definition)
    # Each pattern starts with its fact's path: properties starting with "@", each 1.
    paths = {tuple(next(iter(test)) for test in pattern["$and"]
                   if next(iter(test)).startswith("@"))
             for rule in definition.values() if "all" in rule
             for step in rule["all"] for pattern in step.values() if "$and" in pattern}
    children: dict[tuple[str, ...], set[str]] = {}
    for path in paths:
        for depth in range(len(path)):
            children.setdefault(path[:depth], set()).add(path[depth])
    # Every d_i is read as a derived fact (a reference alone is not read in place): 460 of
    # them, where each used to be a child of the root.
    assert sum(1 for path in paths if path[0] == "@d") >= 460
    assert max(len(names) for prefix, names in children.items()
               if prefix[:1] in ((), ("@d",))) <= FANOUT
    citizen = {"birth_date": "2000-01-01", "residence_municipality": 101,
               "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
               "support_need": "moderate"}
    # Rete and reference are compared inside the subprocess (the open facts, e.g. the
    # findings on advice and open offers, leave the case open).
    assert evaluates_in_a_subprocess(folder, citizen) == "needs_information"
