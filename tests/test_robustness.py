"""Robustness by generation: malformed rule files, law-layer files, profiles, profile files and
scenario files always give a typed error (a :class:`spstotte.SpstotteError`) or a complete
result, never another exception or a partial verdict.

No test here measures wall-clock time: on a loaded machine any time limit fails at random. A
hang is kept out by the static engine-limit guards, whose margins are tested by counting what
the engine builds, not by a stopwatch.

The malformed files start from the real ones and are mutated: at the data level (wrong types,
unknown keys, deleted keys, deep nesting, huge values, rules cloned many times, conditions
combined into large ones) and at the text level (truncation, random and invalid UTF-8 bytes,
NUL, duplicated lines, YAML tags, anchors and aliases, deep flow nesting, huge numbers, several
documents, line-break changes)."""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import BASE_PROFILE, ROOT, scaled
from spstotte import (
    CitizenProfile,
    ProfileError,
    RuleLibrary,
    RuleSetError,
    ScenarioError,
    SpstotteError,
    Verdict,
)
from spstotte.cli.main import main
from spstotte.errors import ERROR_CODES, Diagnostic
from spstotte.loader import load_yaml_text
from spstotte.scenarios.format import load_scenarios, run_scenario
from spstotte.testing import decision_dates, profile_data


def with_fixtures(n: int, **kw: Any) -> settings:
    """Settings for tests that use function-scoped fixtures (tmp_path, capsys), which are
    shared by every example and reset by hand."""
    return settings(max_examples=scaled(n), suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow], **kw)


_LAW_DIR, _MUNICIPALITY_DIR = RuleLibrary().law_dir, RuleLibrary().municipality_dirs[0]
ROSKILDE = (_MUNICIPALITY_DIR / "roskilde.yaml").read_text(encoding="utf-8")
LAW_FILES = {p.name: p.read_text(encoding="utf-8") for p in sorted(_LAW_DIR.glob("*.yaml"))}
SCENARIO_FILES = {p.name: p.read_text(encoding="utf-8")
                  for p in sorted((ROOT / "municipalities" / "scenarios").glob("*.yaml"))}
PROFILE_TEXT = yaml.safe_dump(BASE_PROFILE, allow_unicode=True, sort_keys=False)
#: The files the mutations start from, by name.
ORIGINALS = {"roskilde.yaml": ROSKILDE, "profile.yaml": PROFILE_TEXT, **LAW_FILES,
             **SCENARIO_FILES}
_ORIGINAL_DATA = {name: load_yaml_text(text).data for name, text in ORIGINALS.items()}

#: Keys of the rule, scenario and profile formats: unknown keys are more telling when they
#: are real keys in the wrong place.
KEYS = ["id", "title", "when", "then", "legal_basis", "law", "sources", "rule", "fact", "all",
        "any", "not", "require", "paths", "on_fail", "refer", "to", "param", "value", "type", "da",
        "en", "obligation", "inform", "derive", "overrides", "reason", "eq", "gte", "in",
        "contains", "known", "code", "name", "municipality", "layer", "extends", "restates",
        "parameters", "referrals", "support_areas", "delivery_forms", "section", "stk", "act",
        "quote", "source", "expected", "after_months", "within_days", "every_months", "text",
        "is", "granted", "rules", "acts", "appeal", "scenarios", "profile", "expect", "outcome",
        "on", *CitizenProfile.model_fields]

TAGS = ["!!python/object:builtins.object", "!!python/object/apply:builtins.len [[1]]",
        "!!python/name:builtins.len", "!!binary", "!!set", "!!omap", "!!pairs", "!!timestamp",
        "!!str", "!!null", "!!map", "!!seq", "!!merge", "!custom", "!<tag:example.com,2000:x>",
        "!", "!!int", "!!float", "!!bool", "!<tag:yaml.org,2002:int>"]

#: Explicit core-schema scalar tags, which once crashed the loader on text that does not fit
#: them (``!!int abc``).
SCALAR_TAGS = ["!!int", "!!float", "!!bool", "!<tag:yaml.org,2002:int>"]
#: Characters PyYAML's reader refuses (as yaml.reader.Reader.NON_PRINTABLE), which once escaped
#: as a ReaderError.
NON_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]")


TRICKY_TEXT = ["yes", "no", "on", "off", "0o17", "010", "1:30", "2026-02-30", "2026-13-01",
               "0000-01-01", "10000-01-01", "~", "", "null", ".inf", ".nan", "0x1F", "1e400",
               "-0", "<<", "p85", "p82b", "all", "refuse", "none", "not_assessed", "265",
               "Roskilde", "København", "æøå", "\u2028", "\ufeff", "\x85", "\x1b[31m"]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
    st.sampled_from(TRICKY_TEXT),
)
#: JSON-like values: what a form, a JSON API or a YAML file can give.
json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), inner,
                        max_size=4)),
    max_leaves=12,
)


def _nest(depth: int, kind: str, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"kind": value}
    return value


huge_values = st.one_of(
    st.sampled_from([10, 1_000, 100_000]).map(lambda n: "x" * n),
    st.integers(19, 400).map(lambda k: 10 ** k),
    st.integers(19, 400).map(lambda k: -(10 ** k)),
    st.sampled_from([1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan]),
)
deep_values = st.tuples(st.integers(1, 120), st.sampled_from(["list", "dict"])).map(
    lambda t: _nest(*t))
junk = st.one_of(json_values, huge_values, deep_values)


# ------------------------------------------------------------------------ mutating YAML data

def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated_data(draw: st.DrawFn, name: str) -> Any:
    """The data of the file ``name`` (see ORIGINALS) with one to three structural mutations."""
    data = copy.deepcopy(_ORIGINAL_DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "unknown_key", "delete", "clone_rules",
                                     "combine_conditions", "swap"]))
        target = _get(data, path)
        if kind == "replace":
            if not path:
                data = draw(junk)
                continue
            _get(data, path[:-1])[path[-1]] = draw(junk)
        elif kind == "unknown_key" and isinstance(target, dict):
            target[draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)))] = draw(junk)
        elif kind == "delete" and path and isinstance(_get(data, path[:-1]), (dict, list)):
            parent = _get(data, path[:-1])
            del parent[path[-1]]
        elif kind == "swap" and path:
            other = draw(st.sampled_from(paths))
            if other and other[: len(path)] != path and path[: len(other)] != other:
                a, b = _get(data, path[:-1]), _get(data, other[:-1])
                a[path[-1]], b[other[-1]] = b[other[-1]], a[path[-1]]
        elif kind == "clone_rules" and isinstance(data, dict) and isinstance(
                data.get("rules"), list) and data["rules"]:
            # Many near-identical rules: the engine's per-node limits (E302 guards).
            rules = data["rules"]
            rule = draw(st.sampled_from(rules))
            count = draw(st.sampled_from([2, 50, 250]))
            for n in range(count):
                clone = copy.deepcopy(rule)
                if isinstance(clone, dict):
                    clone["id"] = f"{clone.get('id')}_{n}"
                    clone.pop("overrides", None)
                rules.append(clone)
        elif kind == "combine_conditions" and isinstance(data, dict) and isinstance(
                data.get("rules"), list) and data["rules"]:
            # Valid-looking conditions combined into big ones: the DNF guards (E301).
            rules = [r for r in data["rules"] if isinstance(r, dict)]
            whens = [r["when"] for r in rules if "when" in r] or [{"fact": "age", "gte": 18}]
            condition = draw(st.recursive(
                st.sampled_from(whens),
                lambda inner: st.one_of(
                    st.lists(inner, min_size=1, max_size=5).map(lambda xs: {"all": xs}),
                    st.lists(inner, min_size=1, max_size=5).map(lambda xs: {"any": xs}),
                    inner.map(lambda x: {"not": x})),
                max_leaves=30))
            if rules:
                draw(st.sampled_from(rules))["when"] = copy.deepcopy(condition)
    return data


class _NoAliases(yaml.CSafeDumper):
    """Writes a value shared in several places out each time (aliases are a text mutation of
    their own, and would otherwise hide most structural mutations behind Y005). libyaml's
    emitter, as the loader uses libyaml's parser: the pure-Python one was a fifth of the
    time of the mutation tests."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


# ------------------------------------------------------------------------ mutating YAML text

Mutation = Callable[[str], "str | bytes"]
_TEXT_KINDS = ["truncate", "insert_bytes", "delete_slice", "duplicate_line", "tag", "alias",
               "billion_laughs", "deep_flow", "huge_number", "huge_file", "documents",
               "line_breaks", "tab", "bom", "replace_char", "merge_key"]


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def _value_positions(text: str) -> list[int]:
    """Positions just after ': ' or '- ', where a value starts."""
    return [i + 2 for i in range(len(text) - 1) if text[i:i + 2] in (": ", "- ")] or [0]


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


@st.composite
def text_mutations(draw: st.DrawFn) -> Mutation:
    """A text mutation, drawn as numbers and choices and applied to any text (so that failing
    examples print short and shrink well)."""
    kind = draw(st.sampled_from(_TEXT_KINDS))
    # Positions are drawn as large numbers and reduced modulo the length of the text.
    a, b = draw(st.integers(0, 2**32)), draw(st.integers(0, 2**32))
    if kind == "truncate":
        return lambda text: _encode(text)[: a % (len(_encode(text)) + 1)]
    if kind == "insert_bytes":
        junk_bytes = draw(st.one_of(
            st.binary(min_size=1, max_size=12),
            st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80",
                             b"\xf4\x90\x80\x80", b"\xef\xbb\xbf", b"\r", b"\x1b"])))

        def insert(text: str) -> bytes:
            raw = _encode(text)
            at = a % (len(raw) + 1)
            return raw[:at] + junk_bytes + raw[at:]
        return insert
    if kind == "delete_slice":
        length = draw(st.integers(1, 400))

        def delete(text: str) -> bytes:
            raw = _encode(text)
            at = a % (len(raw) + 1)
            return raw[:at] + raw[at + length:]
        return delete
    if kind == "duplicate_line":
        def duplicate(text: str) -> str:
            lines = text.splitlines(keepends=True) or [""]
            i = a % len(lines)
            return "".join([*lines[: i + 1], lines[i], *lines[i + 1:]])
        return duplicate
    if kind == "tab":
        def tab(text: str) -> str:
            lines = text.splitlines(keepends=True) or [""]
            i = a % len(lines)
            return "".join([*lines[:i], "\t" + lines[i], *lines[i + 1:]])
        return tab

    def at(text: str, n: int = a) -> int:
        positions = _value_positions(text)
        return positions[n % len(positions)]

    if kind == "tag":
        tag = draw(st.sampled_from(TAGS))
        return lambda text: text[:at(text)] + tag + " " + text[at(text):]
    if kind == "alias":
        def alias(text: str) -> str:
            first, second = sorted((at(text), at(text, b)))
            return text[:first] + "&a " + text[first:second] + "*a" + text[_line_end(text,
                                                                                   second):]
        return alias
    if kind == "billion_laughs":
        bomb = "".join(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]\n"
                       for n in range(1, 9))
        return lambda text: "l0: &l0 lol\n" + bomb + text
    if kind == "deep_flow":
        depth = draw(st.sampled_from([10, 41, 100, 1000, 5000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        nested = opener * depth + "x" + closer * depth
        return lambda text: text[:at(text)] + nested + text[_line_end(text, at(text)):]
    if kind == "huge_number":
        digits = draw(st.integers(19, 5000))
        number = draw(st.sampled_from(["1" * digits, "-" + "9" * digits, "1" * digits + ".5",
                                       "1e" + "9" * min(digits, 50)]))
        return lambda text: text[:at(text)] + number + text[_line_end(text, at(text)):]
    if kind == "huge_file":
        return lambda text: text + "# " + "x" * 2_000_001 + "\n"
    if kind == "documents":
        return lambda text: text + "\n---\nlayer: municipality\n...\n"
    if kind == "line_breaks":
        newline = draw(st.sampled_from(["\r\n", "\r", "\u2028", "\x85"]))
        return lambda text: text.replace("\n", newline)
    if kind == "bom":
        inside = draw(st.booleans())
        return lambda text: (text[:at(text)] + "\ufeff" + text[at(text):] if inside
                             else "\ufeff" + text)
    if kind == "replace_char":
        char = draw(st.characters(codec="utf-8"))

        def replace(text: str) -> str:
            i = a % max(len(text), 1)
            return text[:i] + char + text[i + 1:]
        return replace
    assert kind == "merge_key"
    return lambda text: text[:at(text)] + "{<<: {a: 1}}" + text[_line_end(text, at(text)):]


@st.composite
def mutated_yaml(draw: st.DrawFn, name: str) -> bytes:
    """The text of the file ``name`` (see ORIGINALS), mutated structurally and/or textually
    (at least once), without the triggers of the known loader bugs."""
    text = ORIGINALS[name]
    structural = draw(st.booleans())
    if structural:
        text = _dump(draw(mutated_data(name)))
    result: str | bytes = text
    for _ in range(draw(st.integers(0 if structural else 1, 2))):
        if isinstance(result, bytes):
            result = result.decode("utf-8", errors="surrogateescape")
        result = draw(text_mutations())(result)
    return _encode(result) if isinstance(result, str) else result


# ------------------------------------------------------------------------------ the checks

_counter = itertools.count()


def _line_count(raw: bytes) -> int:
    return len(raw.decode("utf-8", errors="replace").splitlines()) + 1


def _check_diagnostics(diagnostics: tuple[Diagnostic, ...], files: dict[str, bytes]) -> None:
    """Every diagnostic has a catalogued code and a message, which renders in Danish and
    English (every value its words name is given); file problems have a position inside the
    file."""
    assert diagnostics
    for d in diagnostics:
        assert d.code in ERROR_CODES, d
        assert d.message.strip(), d
        for lang in ("da", "en"):
            assert d.message_in(lang).strip() and d.format(lang, excerpt=True), d
            assert d.one_line(lang) and d.to_dict(lang)["code"] == d.code
        if d.code[0] in "YRS":
            assert d.span is not None, d
        if d.span is not None:
            assert d.span.line >= 1 and d.span.col >= 1, d
            name = Path(d.span.file).name
            if name in files:
                assert d.span.line <= _line_count(files[name]), (d, _line_count(files[name]))
                assert d.span.col <= len(files[name]) + 1, d


def _evaluate_rule_files(law_dir: Path | None, municipality_dir: Path,
                         files: dict[str, bytes]) -> None:
    library = RuleLibrary(law_dir=law_dir, municipality_dirs=[municipality_dir])
    try:
        try:
            library.ruleset(265)
            verdict = library.evaluate(BASE_PROFILE, municipality=265, on="2026-11-23")
        except RuleSetError as exc:
            _check_diagnostics(exc.diagnostics, files)
        except SpstotteError as exc:
            assert str(exc)
        else:
            assert isinstance(verdict, Verdict)
            assert Verdict.model_validate_json(verdict.model_dump_json()) == verdict
    finally:
        library.close()


# ------------------------------------------------------------------------------ rule files

@with_fixtures(80)
@given(raw=mutated_yaml("roskilde.yaml"))
def test_malformed_municipality_files_give_rule_set_errors(tmp_path: Path, raw: bytes) -> None:
    folder = tmp_path / f"m{next(_counter)}"
    folder.mkdir()
    (folder / "roskilde.yaml").write_bytes(raw)
    _evaluate_rule_files(None, folder, {"roskilde.yaml": raw})


@with_fixtures(40)
@given(name=st.sampled_from(sorted(LAW_FILES)), draw=st.data())
def test_malformed_law_layer_files_give_rule_set_errors(
        tmp_path: Path, name: str, draw: st.DataObject) -> None:
    raw = draw.draw(mutated_yaml(name), label="law file")
    folder = tmp_path / f"rules{next(_counter)}"
    folder.mkdir()
    files = {n: t.encode("utf-8") for n, t in LAW_FILES.items()} | {name: raw}
    for n, content in files.items():
        (folder / n).write_bytes(content)
    _evaluate_rule_files(folder, _MUNICIPALITY_DIR, files)


_ROSKILDE_RULES = _ORIGINAL_DATA["roskilde.yaml"]["rules"]
_WHENS = [rule["when"] for data in _ORIGINAL_DATA.values()
          if isinstance(data, dict) and data.get("layer") in ("law", "municipality")
          for rule in data.get("rules", []) if "when" in rule]
_big_conditions = st.recursive(
    st.sampled_from(_WHENS),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=5).map(lambda xs: {"all": xs}),
        st.lists(inner, min_size=1, max_size=5).map(lambda xs: {"any": xs}),
        inner.map(lambda x: {"not": x})),
    max_leaves=40).map(lambda c: json.loads(json.dumps(c)))


@with_fixtures(6)
@given(rule=st.integers(0, len(_ROSKILDE_RULES) - 1), copies=st.sampled_from([0, 30, 250]),
       condition=st.one_of(st.none(), _big_conditions))
def test_rule_sets_beyond_the_engines_limits_are_refused_not_hung(
        tmp_path: Path, rule: int, copies: int, condition: Any) -> None:
    """Well-formed but oversized rule sets (a rule copied hundreds of times, conditions
    combined into large ones) meet the compiler's guards (E301/E302) or evaluate; durable_rules
    itself would hang or crash on some of them."""
    data = copy.deepcopy(_ORIGINAL_DATA["roskilde.yaml"])
    if condition is not None:
        data["rules"][rule]["when"] = condition
    for n in range(copies):
        clone = copy.deepcopy(data["rules"][rule])
        clone["id"] = f"{clone['id']}_{n}"
        for key in ("overrides", "reason"):
            clone.pop(key, None)
        data["rules"].append(clone)
    folder = tmp_path / f"g{next(_counter)}"
    folder.mkdir()
    raw = _dump(data).encode("utf-8")
    (folder / "roskilde.yaml").write_bytes(raw)
    _evaluate_rule_files(None, folder, {"roskilde.yaml": raw})


# -------------------------------------------------------------------------------- profiles

FIELDS = sorted(CitizenProfile.model_fields)
sane_decision_dates = st.one_of(
    decision_dates(), st.dates(date(1900, 1, 1), date(2200, 12, 31)),
    st.dates().map(date.isoformat), st.none(),
    st.sampled_from(["", "2026-02-29", "2026-13-01", "23-11-2026", "today", "2026-11-23T10:00",
                     "+2026-11-23", "٢٠٢٦-١١-٢٣"]),
    st.text(max_size=12), st.integers(), st.floats(),
)


@st.composite
def mutated_profiles(draw: st.DrawFn) -> Any:
    data: dict[Any, Any] = dict(draw(st.one_of(profile_data(265), st.just(BASE_PROFILE))))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.one_of(st.sampled_from(FIELDS), st.sampled_from(KEYS),
                               st.text(max_size=10)))
        data[field] = draw(st.one_of(
            junk,
            # Values of the right shape but wrong content.
            st.from_regex(r"\A\d{6}-?\d{4}\Z"),
            st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z"),
            st.dates(date.min, date.max),
            st.dates(date.min, date.max).map(date.isoformat),
            st.datetimes().map(datetime.isoformat),
            st.sampled_from(["0000-00-00", "10000-01-01", "2026-02-29", "-0001-01-01"]),
            st.dictionaries(st.sampled_from(["kind", "placed_by_municipality", "x"]), junk,
                            max_size=3),
            st.lists(st.sampled_from(["homelessness", "section_83", "practical_tasks", "x"])),
            st.integers(-1000, 1000),
            st.builds(tuple, st.lists(_scalars, max_size=3)),
            st.frozensets(st.sampled_from(["homelessness", "section_83", "x"])),
            st.binary(max_size=10),
        ))
    if draw(st.booleans()) and isinstance(data.get("living_situation"), dict):
        data["living_situation"] = dict(data["living_situation"])
        data["living_situation"][draw(st.sampled_from(["kind", "placed_by_municipality",
                                                       "extra"]))] = draw(junk)
    return data


def _verdict_or_profile_error(library: RuleLibrary, data: Any, on: Any) -> None:
    verdict = None
    try:
        verdict = library.evaluate(data, municipality=265, on=on)
    except ProfileError as exc:
        assert exc.problems and str(exc).strip()
        for problem in exc.problems:
            assert problem.path or problem.message.strip(), problem
            for lang in ("da", "en"):  # every value its words name is given
                assert problem.message_in(lang).strip() and problem.format(lang), problem
        try:
            CitizenProfile.parse(data)
        except ProfileError:
            return
        # The profile is valid: the problem is the decision date (or before the birth).
        assert {p.path for p in exc.problems} <= {"on", "birth_date", "cpr"}, exc
        return
    assert isinstance(verdict, Verdict)
    assert Verdict.model_validate_json(verdict.model_dump_json()) == verdict
    assert verdict.outcome.value in {"granted_85", "refused", "referred", "needs_information",
                                     "forwarded", "closed"}


@settings(max_examples=scaled(300))
@given(data=st.one_of(json_values, st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), json_values, max_size=8)),
    on=sane_decision_dates)
def test_arbitrary_json_gives_a_verdict_or_a_profile_error(
        library: RuleLibrary, data: Any, on: Any) -> None:
    _verdict_or_profile_error(library, data, on)


@settings(max_examples=scaled(300))
@given(data=mutated_profiles(), on=sane_decision_dates)
def test_mutated_profiles_give_a_verdict_or_a_profile_error(
        library: RuleLibrary, data: Any, on: Any) -> None:
    _verdict_or_profile_error(library, data, on)


@settings(max_examples=scaled(100))
@given(field=st.sampled_from(FIELDS), depth=st.integers(1, 3000),
       kind=st.sampled_from(["list", "dict"]))
def test_deeply_nested_profile_values_give_a_profile_error(
        library: RuleLibrary, field: str, depth: int, kind: str) -> None:
    data = dict(BASE_PROFILE)
    data[field] = _nest(depth, kind)
    _verdict_or_profile_error(library, data, "2026-11-23")


@settings(max_examples=scaled(100))
@given(data=st.one_of(st.just(BASE_PROFILE), profile_data(265)),
       on=st.one_of(st.dates(date(9998, 1, 1), date.max),
                    st.dates(date(9998, 1, 1), date.max).map(date.isoformat)))
def test_decision_dates_at_the_end_of_the_calendar_give_a_verdict_or_a_profile_error(
        library: RuleLibrary, data: dict[str, Any], on: date | str) -> None:
    _verdict_or_profile_error(library, data, on)


@settings(max_examples=scaled(50))
@given(data=st.one_of(st.just(BASE_PROFILE), profile_data(265)),
       on=st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31)))
def test_a_datetime_decision_date_gives_a_verdict_or_a_profile_error(
        library: RuleLibrary, data: dict[str, Any], on: datetime) -> None:
    _verdict_or_profile_error(library, data, on)


# ---------------------------------------------------------------------- profile files (CLI)

def _valid_profile_file(raw: bytes) -> bool:
    try:
        loaded = load_yaml_text(raw)
        CitizenProfile.parse(loaded.data)
    except (RuleSetError, ProfileError):
        return False
    return True


@st.composite
def profile_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        data = draw(st.one_of(mutated_profiles(), profile_data(265)))
        try:
            text = yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True,
                             sort_keys=False)
        except yaml.YAMLError:  # a value YAML cannot write (bytes, frozensets...)
            text = PROFILE_TEXT
        return text.encode("utf-8")
    return draw(mutated_yaml("profile.yaml"))


@with_fixtures(120)
@given(raw=profile_files())
def test_malformed_profile_files_exit_3_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes) -> None:
    path = tmp_path / f"profile{next(_counter)}.yaml"
    path.write_bytes(raw)
    capsys.readouterr()
    code = main(["evaluate", str(path), "-m", "265", "--on", "2026-11-23"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == (0 if _valid_profile_file(raw) else 3), err
    if code == 0:
        assert out.strip() and not err
    else:
        assert out == ""
        assert err.strip()
        assert "internal error" not in err


# ------------------------------------------------------------------------------ scenarios

@with_fixtures(80)
@given(name=st.sampled_from(sorted(SCENARIO_FILES)), draw=st.data())
def test_malformed_scenario_files_give_scenario_errors(
        tmp_path: Path, library: RuleLibrary, name: str, draw: st.DataObject) -> None:
    raw = draw.draw(mutated_yaml(name), label="scenario file")
    path = tmp_path / f"s{next(_counter)}_{name}"
    path.write_bytes(raw)
    try:
        scenarios = load_scenarios(path)
    except ScenarioError as exc:
        _check_diagnostics(exc.diagnostics, {path.name: raw})
    else:
        # Read without error: every scenario points into the file, and runs to a result (a
        # verdict checked against its expectations, or a typed error), never an exception.
        lines = len(raw.decode("utf-8", "replace").splitlines()) + 1  # any line break YAML has
        for scenario in scenarios:
            assert scenario.name.strip() and 1 <= scenario.span.line <= lines
            result = run_scenario(scenario, library)
            assert (result.verdict is None) == (result.error is not None)


def test_the_unmutated_files_load_and_a_broken_one_is_refused(tmp_path: Path) -> None:
    """The starting points of the generators are valid, so the mutations are what fails."""
    assert _valid_profile_file(PROFILE_TEXT.encode("utf-8"))
    assert not _valid_profile_file(b"birth_date: [")
    for text in SCENARIO_FILES.values():
        path = tmp_path / "ok.scenarios.yaml"
        path.write_text(text, encoding="utf-8")
        assert load_scenarios(path)
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "roskilde.yaml").write_text(ROSKILDE[: len(ROSKILDE) // 2] + "\t[", "utf-8")
    with pytest.raises(RuleSetError) as info:
        RuleLibrary(municipality_dirs=[folder]).ruleset(265)
    _check_diagnostics(info.value.diagnostics, {})
    for name, text in LAW_FILES.items():
        assert load_yaml_text(text, name).data["layer"] == "law"
    assert load_yaml_text(ROSKILDE).data["municipality"]["code"] == 265


# ---------------------------------------------------------------------- known loader bugs

def _through_every_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                          raw: bytes) -> None:
    """Read a mutated file the way the library reads it: a municipality file through
    RuleLibrary, a scenario file through load_scenarios, a profile file through the CLI."""
    n = next(_counter)
    if name == "roskilde.yaml":
        folder = tmp_path / f"k{n}"
        folder.mkdir()
        (folder / name).write_bytes(raw)
        _evaluate_rule_files(None, folder, {name: raw})
    elif name == "profile.yaml":
        path = tmp_path / f"k{n}.yaml"
        path.write_bytes(raw)
        capsys.readouterr()
        code = main(["evaluate", str(path), "-m", "265", "--on", "2026-11-23"])
        out, err = capsys.readouterr()
        assert code == (0 if _valid_profile_file(raw) else 3), err
        assert "internal error" not in err and "Traceback" not in out + err
    else:
        path = tmp_path / f"k{n}_{name}"
        path.write_bytes(raw)
        try:
            load_scenarios(path)
        except ScenarioError as exc:
            _check_diagnostics(exc.diagnostics, {path.name: raw})


_KNOWN_BUG_FILES = ["roskilde.yaml", "profile.yaml", *sorted(SCENARIO_FILES)]


@with_fixtures(40)
@given(name=st.sampled_from(_KNOWN_BUG_FILES), where=st.integers(0, 2**32),
       char=st.characters(codec="utf-8").filter(
           lambda c: c != "\x00" and NON_PRINTABLE.match(c) is not None))
def test_control_characters_in_yaml_files_give_typed_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, where: int,
        char: str) -> None:
    text = ORIGINALS[name]
    at = where % (len(text) + 1)
    _through_every_reader(tmp_path, capsys, name, _encode(text[:at] + char + text[at:]))


@with_fixtures(40)
@given(name=st.sampled_from(_KNOWN_BUG_FILES), where=st.integers(0, 2**32),
       tag=st.sampled_from(SCALAR_TAGS))
def test_explicit_scalar_tags_in_yaml_files_give_typed_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, where: int,
        tag: str) -> None:
    text = ORIGINALS[name]
    positions = _value_positions(text)
    at = positions[where % len(positions)]
    _through_every_reader(tmp_path, capsys, name, _encode(text[:at] + tag + " " + text[at:]))
