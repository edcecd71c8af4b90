from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import loader
from spstotte.errors import RuleSetError, Span
from spstotte.loader import load_yaml_text


def codes(text: str | bytes) -> list[tuple[str, int, int]]:
    with pytest.raises(RuleSetError) as info:
        load_yaml_text(text, "f.yaml")
    return [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics if d.span]


def test_only_true_and_false_are_booleans_and_dates_stay_text() -> None:
    data = load_yaml_text("a: yes\nb: no\nc: true\nd: 2024-01-01\ne: 010\nf: 1:30\ng: 12\n").data
    assert data == {"a": "yes", "b": "no", "c": True, "d": "2024-01-01", "e": "010",
                    "f": "1:30", "g": 12}


def test_positions_of_keys_and_values_are_kept() -> None:
    loaded = load_yaml_text("top:\n  items:\n    - first\n    - {x: 1}\n", "f.yaml")
    assert loaded.span(("top", "items", 1, "x")) == Span("f.yaml", 4, 11)
    assert loaded.span(("top", "items"), key=True) == Span("f.yaml", 2, 3)
    # an unknown path falls back to its nearest ancestor
    assert loaded.span(("top", "items", 1, "missing")) == Span("f.yaml", 4, 7)


def test_duplicate_keys_are_errors_with_both_lines() -> None:
    with pytest.raises(RuleSetError) as info:
        load_yaml_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "Y002"
    assert str(diagnostic.span) == "f.yaml:3:1"
    assert "first at line 1" in diagnostic.message


def test_syntax_errors_have_a_position() -> None:
    assert codes("a: [1, 2\nb: 3\n") == [("Y001", 2, 2)]
    assert codes("a:\n\t- x\n")[0][0] == "Y001"


def test_non_utf8_bytes_are_located() -> None:
    assert codes(b"a: ok\nb: caf\xe9\n") == [("Y003", 2, 7)]


def test_tags_aliases_and_merge_keys_are_refused() -> None:
    assert codes("a: !!python/object:os.system x\n")[0][0] == "Y005"
    assert codes("a: &x [1]\nb: *x\n")[0][0] == "Y005"
    assert codes("base: {a: 1}\nc:\n  <<: {b: 2}\n")[0][0] == "Y005"


def test_billion_laughs_does_not_expand() -> None:
    text = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c, *c]\n"
    assert {c for c, _, _ in codes(text)} == {"Y005"}


def test_deep_nesting_and_huge_files_are_bounded() -> None:
    assert codes("[" * 5000)[0][0] == "Y004"
    assert codes("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)))[0][0] == "Y004"
    assert codes("a: " + "x" * 2_100_000)[0][0] == "Y004"
    assert codes("a: " + "9" * 40)[0][0] == "Y004"


def _both_parsers(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """What the loader gives with libyaml's parser and with PyYAML's own."""
    def load() -> object:
        try:
            loaded = load_yaml_text(text, "f.yaml")
        except RuleSetError as exc:
            return [d.format() for d in exc.diagnostics]
        return loaded.data, loaded.value_spans, loaded.key_spans

    fast = load()
    with monkeypatch.context() as patch:
        patch.setattr(loader, "_FastEvents", None)
        slow = load()
    return fast, slow


@pytest.mark.skipif(loader._FastEvents is None, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("path", sorted(
    path for folder in ("rules", "municipalities", "examples", "tests/fixtures", "src/spstotte")
    for path in (ROOT / folder).rglob("*.yaml")), ids=lambda p: p.name)
def test_libyaml_and_pyyaml_read_every_bundled_file_alike(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both_parsers(path.read_text("utf-8"), monkeypatch)
    assert fast == slow


@pytest.mark.skipif(loader._FastEvents is None, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("text", [
    "a: 1\nb: yes\nc: 010\nd: 1:30\ne: 2026-01-01\nf: ~\ng: 1.5e3\nh: '1'\n",
    "é: [æ, 'ø', \"å\"]\n  x: 1\n", "a: b\n---\nc: d\n", "a: &x 1\nb: *x\n",
    "a: &x 1\nb: &x 2\n", "a: *nothing\n", "k: v: w\n", "a: \x07\n", "ab\n  é: \ufffe\n",
    "{a: 1, a: 2}\n", "? [a]\n: 1\n", "a: !!int abc\n", "a:\n\t- 1\n", "[" * 100,
    "- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - x\n",
    "a: |\n  line\n  line\nb: >\n  fold\n", "<<: {a: 1}\n", "", "# only a comment\n",
])
def test_libyaml_and_pyyaml_agree_on_odd_and_broken_text(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both_parsers(text, monkeypatch)
    assert fast == slow


_ODD_TEXTS = [
    "a: 1\nb: yes\nc: 010\nd: 1:30\ne: 2026-01-01\nf: ~\ng: 1.5e3\nh: '1'\ni: -.5\nj: +0\n",
    "é: [æ, 'ø', \"å\"]\n  x: 1\n", "a: b\n---\nc: d\n", "a: &x 1\nb: *x\n", "&x a: 1\n",
    "a: !!str 1\n", "a: ! 1\n", "!!map {a: 1}\n", "a: !!seq []\n", "a: \"\\ud800\"\n",
    "a: 1234567890123456789\n", "a: 123456789012345678\n", "'<<': 1\n", "\"a\": 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n", "[a, {b: c}, [d]]\n", "plain\n", "- \n-\n- ''\n", "{? a}\n",
    "a: null\nb: Null\nc: NULL\nd: ''\ne:\nf: 'null'\ng: nul\n", "? [a]\n: 1\n",
    "a: " + "[" * 39 + "]" * 39 + "\n", "a: " + "[" * 41 + "]" * 41 + "\n",
    "{a: 1, a: 2}\n", "<<: {a: 1}\n", "", "# only a comment\n", "---\n", "--- x\n...\n",
]


def _careful(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    def load() -> object:
        try:
            loaded = load_yaml_text(text, "f.yaml")
        except RuleSetError as exc:
            return [d.format() for d in exc.diagnostics]
        return loaded.data, dict(loaded.value_spans), dict(loaded.key_spans)

    one_pass = load()
    with monkeypatch.context() as patch:
        patch.setattr(loader, "_read_plain", lambda *args: None)
        careful = load()
    return one_pass, careful


@pytest.mark.parametrize("text", [
    *_ODD_TEXTS,
    *(path.read_text("utf-8") for folder in ("rules", "municipalities", "examples")
      for path in sorted((ROOT / folder).rglob("*.yaml"))),
])
def test_the_one_pass_reader_reads_as_the_careful_one(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain files are read in one pass from the parser's events; anything else the careful
    way. Both give the same data and positions, and the same problems."""
    one_pass, careful = _careful(text, monkeypatch)
    assert one_pass == careful
