"""Parsed rule files kept on disk (parse_cache.py): the same data and positions as a fresh
read, never stale, never a profile, never a problem hidden, never an error of its own."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import ROOT
from spstotte import RuleLibrary, loader, parse_cache
from spstotte.cli.main import main
from spstotte.errors import RuleSetError, Span
from spstotte.loader import load_yaml_text

TEXT = "rules:\n  - id: first\n    when: {fact: age, op: gte, value: 18}\n  - id: second\n"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(parse_cache.CACHE_ENV, str(folder))
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def kept(folder: Path, text: str) -> bool:
    """Whether the cache folder holds an entry for these bytes (the package's own data files,
    which error messages are worded from, are kept there too)."""
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return any(path.name == name for path in entries(folder))


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make parsing fail loudly, so that only the cache can answer."""
    def refuse(*_: object) -> None:
        raise AssertionError("parsed although the cache holds these bytes")
    monkeypatch.setattr(loader, "_read_plain", refuse)


def test_the_same_bytes_are_read_from_the_cache_with_their_positions(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_yaml_text(TEXT, "a.yaml", cache=True)
    assert len(entries(cache_dir)) == 1
    no_parsing(monkeypatch)
    again = load_yaml_text(TEXT, "b.yaml", origin=Path("/x/b.yaml"), cache=True)
    assert again.data == first.data == {"rules": [
        {"id": "first", "when": {"fact": "age", "op": "gte", "value": 18}}, {"id": "second"}]}
    # The positions are the file's; the name and origin are those of this read.
    assert again.span(("rules", 0, "when", "value")) == Span("b.yaml", 3, 39, Path("/x/b.yaml"))
    assert again.span(("rules", 1, "id"), key=True) == Span("b.yaml", 4, 5, Path("/x/b.yaml"))
    assert dict(again.value_spans) == {
        path: Span("b.yaml", span.line, span.col, Path("/x/b.yaml"))
        for path, span in first.value_spans.items()}


def test_changed_bytes_are_read_afresh(cache_dir: Path) -> None:
    load_yaml_text(TEXT, "a.yaml", cache=True)
    changed = load_yaml_text(TEXT.replace("18", "21"), "a.yaml", cache=True)
    assert changed.data["rules"][0]["when"]["value"] == 21
    assert len(entries(cache_dir)) == 2


def test_a_damaged_entry_is_ignored_and_written_again(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = load_yaml_text(TEXT, "a.yaml", cache=True).data
    (entry,) = entries(cache_dir)
    good = entry.read_bytes()
    for damaged in (good[:-7], good[:-1] + bytes([good[-1] ^ 1]), b"", b"junk" * 40,
                    good.replace(b"spstotte", b"SPSTOTTE", 1)):
        entry.write_bytes(damaged)
        assert load_yaml_text(TEXT, "a.yaml", cache=True).data == expected
        assert entry.read_bytes() == good
    no_parsing(monkeypatch)
    assert load_yaml_text(TEXT, "a.yaml", cache=True).data == expected


def test_a_text_with_a_problem_is_never_kept(cache_dir: Path) -> None:
    for _ in range(2):
        with pytest.raises(RuleSetError) as info:
            load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yaml", cache=True)
        assert [(d.code, d.span.line) for d in info.value.diagnostics] == [("Y002", 3)]
    assert not kept(cache_dir, "a: 1\nb: 2\na: 3\n")


def test_only_what_asks_for_it_is_kept(cache_dir: Path) -> None:
    load_yaml_text(TEXT, "a.yaml")
    assert not kept(cache_dir, TEXT)
    load_yaml_text(TEXT, "a.yaml", cache=True)
    assert kept(cache_dir, TEXT)


def test_a_citizens_profile_is_never_written_to_the_cache(
        cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "citizen.yaml"
    profile.write_text((ROOT / "examples" / "citizen.yaml").read_text("utf-8").replace(
        "010500-4322", "311299-9876"), encoding="utf-8")
    assert main(["evaluate", str(profile), "-m", "roskilde", "--on", "2026-11-23"]) == 0
    assert "Bevilget" in capsys.readouterr().out
    kept = entries(cache_dir)
    assert kept, "the rule files were not kept"
    assert not [path for path in kept if b"311299" in path.read_bytes()]


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse_cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_yaml_text(TEXT, "a.yaml", cache=True).data["rules"][1] == {"id": "second"}
    assert entries(tmp_path) == []


def test_without_a_setting_the_users_cache_folder_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parse_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_yaml_text(TEXT, "a.yaml", cache=True)
    (entry,) = entries(tmp_path)
    assert entry.parent.parent == tmp_path / "spstotte" / "parsed"


def test_a_folder_that_cannot_be_written_is_no_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(parse_cache.CACHE_ENV, str(blocker / "cache"))
    for _ in range(2):
        assert load_yaml_text(TEXT, "a.yaml", cache=True).data["rules"][0]["id"] == "first"
    assert blocker.read_text("utf-8") == "not a folder"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_to_is_not_used(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_yaml_text(TEXT, "a.yaml", cache=True)
    (entry,) = [path for path in entries(cache_dir) if path.stat().st_size < 1000]
    assert entry.parent.stat().st_mode & 0o777 == 0o700  # made for the user alone
    entry.parent.chmod(0o777)
    parse_cache._cache.cache_clear()  # a new process
    no_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="parsed although"):
        load_yaml_text(TEXT, "a.yaml", cache=True)


def test_another_reader_keeps_its_own_entries(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_yaml_text(TEXT, "a.yaml", cache=True)
    monkeypatch.setattr(loader, "_FastEvents", None)  # PyYAML's own parser: another reader
    load_yaml_text(TEXT, "a.yaml", cache=True)
    readers = {path.parent.name for path in entries(cache_dir)}
    assert readers == {loader._reader_identity(True), loader._reader_identity(False)}


def test_the_folder_stays_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "MAX_ENTRIES", 3)
    first = parse_cache.ParsedFileCache(tmp_path, "reader")
    for n in range(6):
        first.put(f"entry-{n}", ({"a": n}, {(): 1 << 22 | 1}, {("a",): 1 << 22 | 1}))
    stale = tmp_path / "parsed" / "old-reader"
    stale.mkdir()
    (stale / "entry").write_bytes(b"x")
    os.utime(stale, (0, 0))
    # The first entry a process writes tidies the folder.
    parse_cache.ParsedFileCache(tmp_path, "reader").put("entry-9", ({"a": 9}, {}, {}))
    assert len(list(first.directory.iterdir())) == 3
    assert not stale.exists()
    assert first.get("entry-9") == ({"a": 9}, {}, {})


def test_a_rule_set_built_from_the_cache_is_the_same_rule_set(cache_dir: Path) -> None:
    fresh = RuleLibrary().ruleset(265)
    assert entries(cache_dir)
    cached = RuleLibrary().ruleset(265)
    assert cached.content_hash == fresh.content_hash
    assert [rule.span for rule in cached.rules] == [rule.span for rule in fresh.rules]
