"""Hostile and broken input, as an attacker or a tired user would give it: each case ends with a
typed error at a position and a documented exit code, or keeps working. Never a hang, a
traceback, a partial verdict or an exhausted machine.

Anything that could hang runs in a subprocess with a generous timeout (HANG_TIMEOUT, see
test_suite_hygiene.py), so that a hang fails its test instead of the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import ROOT
from spstotte import InputError, RuleLibrary, RuleSetError, UnknownMunicipalityError
from spstotte.errors import MAX_REPORTED
from spstotte.loader import MAX_FILE_BYTES, load_yaml_text

HANG_TIMEOUT = 300
PROFILE = ROOT / "examples" / "citizen.yaml"


def spstotte(*args: str, stdin: bytes | None = None,
             **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The command line in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-m", "spstotte", *args], input=stdin,
                            capture_output=True, timeout=HANG_TIMEOUT, **kwargs)  # type: ignore[call-overload]
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


# ----------------------------------------------------------------------- 2 aliases of scalars

def test_a_scalar_alias_is_refused_however_often_it_is_used() -> None:
    text = "examples: [&b " + "x" * 100_000 + ", " + ", ".join(["*b"] * 5000) + "]\n"
    with pytest.raises(RuleSetError) as info:
        load_yaml_text(text, "aliases.yaml")
    # One error, at the anchored value: the text is never copied 5,000 times.
    (found,) = info.value.diagnostics
    assert found.code == "Y005" and found.span is not None
    assert (found.span.line, found.span.col) == (1, 12)
    assert "aliases are not allowed" in found.message


# ----------------------------------------------------------------------- 3 many errors at once

def test_twenty_thousand_repeated_keys_give_a_bounded_list_of_errors() -> None:
    text = "birth_date: 1990-01-01\n" + "urgent: true\n" * 20_000
    with pytest.raises(RuleSetError) as info:
        load_yaml_text(text, "profile.yaml")
    found = info.value.diagnostics
    assert [d.code for d in found[:2]] == ["Y002", "Y002"]
    assert found[0].span is not None and found[0].span.line == 3
    assert found[-1].message == f"and {20_000 - 1 - MAX_REPORTED} more problem(s) not shown"


def test_ten_thousand_unknown_keys_in_a_rule_file_give_a_bounded_list(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("layer: municipality\nid: x\ntitle: {da: X, en: X}\n"
                    "municipality: {code: 101, name: København}\nparameters:\n  offers_82b:\n"
                    + "".join(f"    unknown_{i}: 1\n" for i in range(10_000)), "utf-8")
    result = spstotte("validate", str(path))
    assert result.returncode == 1
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert lines[0].endswith("x.yaml:7:5: error[R101] unknown key 'unknown_0'")
    assert lines[1:4] == ["    7 |     unknown_0: 1", "      |     ^",
                          "  hint: allowed keys here: type, title, value, legal_basis, versions, "
                          "statutory"]
    assert lines[-2:] == [f"error[X001] and {10_000 - MAX_REPORTED} more problem(s) not shown",
                          "  hint: fix the ones above and run again"]
    # One problem per headline (the lines below each are its excerpt and hint).
    assert len([line for line in lines if not line.startswith(" ")]) == MAX_REPORTED + 1
    danish = spstotte("validate", str(path), "--lang", "da")
    lines = danish.stderr.splitlines()
    assert danish.returncode == 1 and lines[0].endswith("x.yaml:7:5: fejl[R101] ukendt nøgle "
                                                        "'unknown_0'")
    assert lines[-2:] == [f"fejl[X001] og {10_000 - MAX_REPORTED} problem(er) mere, som ikke "
                          "vises", "  tip: ret dem ovenfor, og kør igen"]


# ---------------------------------------------------------------------------- 4 bounded reads

def test_a_device_as_profile_is_refused_without_reading_it() -> None:
    result = spstotte("evaluate", "/dev/zero", "-m", "roskilde", "--on", "2026-11-23")
    assert result.returncode == 3
    no_traceback(result)
    assert "/dev/zero:1:1: error[Y006] not a regular file (a folder, pipe or device)" in \
        result.stderr


def test_an_endless_stdin_is_read_only_up_to_the_limit() -> None:
    result = spstotte("evaluate", "-", "-m", "roskilde", "--on", "2026-11-23",
                      stdin=b"# " + b"a" * (MAX_FILE_BYTES + 1_000_000))
    assert result.returncode == 3
    no_traceback(result)
    assert f"error[Y004] file is larger than the limit of {MAX_FILE_BYTES} bytes" in \
        result.stderr


def test_a_fifo_as_rule_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = spstotte("validate", str(fifo))
    assert result.returncode == 1
    assert "error[Y006] not a regular file" in result.stderr


def test_closed_and_non_utf8_stdin_are_input_errors() -> None:
    bad = spstotte("evaluate", "-", "-m", "roskilde", "--on", "2026-11-23",
                   stdin='birth_date: "\xff"\n'.encode("latin-1"))
    assert bad.returncode == 3 and "<stdin>:1:14: error[Y003] byte 0xff is not UTF-8" in \
        bad.stderr
    closed = subprocess.run([sys.executable, "-m", "spstotte", "evaluate", "-", "-m", "roskilde",
                             "--on", "2026-11-23"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=HANG_TIMEOUT)
    # An empty profile is a profile with nothing known: a request for information, not a crash.
    assert (closed.returncode == 0 and "Mangler oplysninger" in closed.stdout) or \
        closed.returncode == 3
    assert "Traceback" not in closed.stderr


# ------------------------------------------------------------------------ 5 fork under load

FORK_UNDER_LOAD = """\
import os, sys, threading, warnings
warnings.simplefilter("ignore")
import spstotte
library = spstotte.RuleLibrary()
profile = {"birth_date": "1990-01-01", "residence_municipality": 265, "support_need": "moderate"}
library.evaluate(profile, municipality=265, on="2026-11-23")
stop = False
progress = threading.Event()  # set by every evaluation the threads finish
def work():
    while not stop:
        library.evaluate(profile, municipality=265, on="2026-11-23")
        progress.set()
threads = [threading.Thread(target=work) for _ in range(4)]
for thread in threads:
    thread.start()
children = []
for _ in range(16):
    # Fork only once the threads are evaluating again: mid-load, without a clock.
    progress.clear()
    progress.wait()
    pid = os.fork()
    if pid == 0:
        verdict = library.evaluate(profile, municipality=265, on="2026-11-23")
        os._exit(0 if verdict.outcome.value == "needs_information" else 1)
    children.append(pid)
stop = True
for thread in threads:
    thread.join()
print(sum(os.waitpid(pid, 0)[1] != 0 for pid in children))
"""


def test_children_forked_while_threads_evaluate_do_not_deadlock() -> None:
    try:
        result = subprocess.run([sys.executable, "-c", FORK_UNDER_LOAD], capture_output=True,
                                text=True, timeout=HANG_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"forked children hung (no exit within {HANG_TIMEOUT} s)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


# ------------------------------------------------------------------------ 6 git injection

def test_a_revision_is_never_passed_to_git_as_an_option(tmp_path: Path) -> None:
    target = tmp_path / "written"
    result = spstotte("diff", f"municipalities/vejle.yaml@--output={target}", "vejle",
                      cwd=str(ROOT))
    assert result.returncode == 3
    no_traceback(result)
    assert "is not a git revision" in result.stderr
    assert not target.exists()


# ------------------------------------------------------------------ 7 typed errors, exit codes

def test_a_surrogate_escape_in_a_rule_file_is_a_position_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('layer: municipality\nid: x\ntitle: {da: "a\\ud800b", en: x}\n'
                    "municipality: {code: 101, name: København}\n", "utf-8")
    result = spstotte("validate", str(path))
    assert result.returncode == 1
    no_traceback(result)
    assert "x.yaml:3:13: error[Y003] the escape \\ud800 is half of a UTF-16 surrogate pair" in \
        result.stderr


@pytest.mark.parametrize("municipality", ["²⁶⁵", "9" * 5000, "0265x", "-1"])
def test_strange_municipalities_are_input_errors(municipality: str) -> None:
    result = spstotte("evaluate", str(PROFILE), "-m", municipality, "--on", "2026-11-23")
    assert result.returncode == 3
    no_traceback(result)
    assert result.stderr.startswith("error: no rule set for municipality")
    assert len(result.stderr) < 500  # the input is not echoed in full
    with pytest.raises(UnknownMunicipalityError):
        RuleLibrary().find(municipality)


def test_an_unknown_backend_is_an_input_error() -> None:
    with pytest.raises(InputError, match="backend 'bogus' is not one of 'rete' and 'reference'"):
        RuleLibrary().evaluate({}, municipality=265, on="2026-11-23",
                               backend="bogus")  # type: ignore[arg-type]


@pytest.mark.parametrize("args", [
    ("test", "municipalities/scenarios/vejle.scenarios.yaml", "--junit", "/nonexistent/j.xml"),
    ("test", "municipalities/scenarios/vejle.scenarios.yaml", "--coverage-json",
     "/nonexistent/c.json"),
    ("diff", "roskilde", "vejle", "-o", "/nonexistent/d.md"),
    ("schema", "--write", "/proc/nonexistent"),
])
def test_an_unwritable_output_file_is_an_input_error(args: tuple[str, ...]) -> None:
    result = spstotte(*args, cwd=str(ROOT))
    assert result.returncode == 3
    no_traceback(result)
    assert "error: cannot write /" in result.stderr and "No such file or directory" in \
        result.stderr


def test_a_full_or_closed_standard_output_is_exit_74() -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "spstotte", "evaluate", str(PROFILE),
                                 "-m", "roskilde", "--on", "2026-11-23"], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=HANG_TIMEOUT)
    assert result.returncode == 74
    assert "error: cannot write the output: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    closed = subprocess.run(["sh", "-c", f'"{sys.executable}" -m spstotte evaluate "{PROFILE}" '
                             "-m roskilde --on 2026-11-23 >&-"], capture_output=True, text=True,
                            timeout=HANG_TIMEOUT)
    assert closed.returncode == 74 and "Traceback" not in closed.stderr


# ----------------------------------------------------------------------- 8 well-formed JUnit

def test_junit_xml_is_well_formed_whatever_a_scenario_is_called(tmp_path: Path) -> None:
    scenarios = tmp_path / "odd.scenarios.yaml"
    scenarios.write_text(textwrap.dedent("""\
        municipality: roskilde
        on: 2026-11-23
        scenarios:
          - name: "klokke\\a og escape\\e og nul-bredde\\x01"
            profile: {birth_date: 2010-01-01}
            expect: {outcome: granted_85}
        """), "utf-8")
    report = tmp_path / "junit.xml"
    result = spstotte("test", str(scenarios), "--junit", str(report))
    assert result.returncode == 1  # the scenario fails (a 16-year-old is refused)
    suite = ElementTree.fromstring(report.read_text("utf-8"))
    (case,) = suite.iter("testcase")
    assert case.get("name") == "klokke\\x07 og escape\\x1b og nul-bredde\\x01"
    assert case.find("failure") is not None


# ------------------------------------------------------- 9 one rule set per municipality

def test_two_files_for_one_municipality_are_an_error_however_it_is_asked_for(
        tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    folder.mkdir()
    roskilde = (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8")
    (folder / "roskilde.yaml").write_text(roskilde, "utf-8")
    (folder / "roskilde2.yaml").write_text(roskilde.replace("id: roskilde", "id: roskilde2"),
                                           "utf-8")
    library = RuleLibrary(municipality_dirs=[folder])
    for asked in (265, "roskilde", "roskilde2", "Roskilde"):
        with pytest.raises(RuleSetError) as info:
            library.ruleset(asked)
        assert {d.code for d in info.value.diagnostics} == {"R229"}
        assert "2 rule files claim municipality 265 (Roskilde)" in \
            info.value.diagnostics[0].message
    result = spstotte("validate", str(folder / "roskilde.yaml"), str(folder / "roskilde2.yaml"))
    assert result.returncode == 1 and result.stderr.count("error[R229]") == 2


def test_a_rule_file_whose_id_is_not_its_name_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    folder.mkdir()
    vejle = (ROOT / "municipalities" / "vejle.yaml").read_text("utf-8")
    (folder / "vejle.yaml").write_text(vejle.replace("id: vejle", "id: roskilde"), "utf-8")
    (folder / "letters").symlink_to(ROOT / "municipalities" / "letters")
    with pytest.raises(RuleSetError) as info:
        RuleLibrary(municipality_dirs=[folder]).ruleset(630)
    (found,) = info.value.diagnostics
    assert found.code == "R230" and found.span is not None and found.span.line == 10
    assert found.message == "the id 'roskilde' differs from the file name 'vejle.yaml'"


# ------------------------------------------------------------------------------- 10 Ctrl-C

#: A Ctrl-C at a chosen moment, without timing: the signal is sent by the process to itself
#: while the command-line module is imported, or while the command runs.
CTRL_C_AT = {
    "import": """
import importlib.abc, os, signal, sys
class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "spstotte.cli.main":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
""",
    "command": """
import os, signal, spstotte.cli.main
spstotte.cli.main.main = lambda: os.kill(os.getpid(), signal.SIGINT) or 0
""",
}


@pytest.mark.parametrize("moment", sorted(CTRL_C_AT))
def test_ctrl_c_ends_quietly_with_130(moment: str) -> None:
    # Python leaves SIGINT ignored when it starts ignored (a test run in a background job):
    # the script gives it Python's usual handler first, as in a terminal.
    script = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
              + CTRL_C_AT[moment] + "from spstotte._entry import run\nrun()\n")
    process = subprocess.run([sys.executable, "-c", script], cwd=str(ROOT), capture_output=True,
                             text=True, timeout=HANG_TIMEOUT)
    assert process.returncode == 130
    assert "Traceback" not in process.stderr and "KeyboardInterrupt" not in process.stderr


# --------------------------------------------------------------------------------------- also

def test_validate_lists_every_override_of_the_law_layer() -> None:
    result = spstotte("validate", cwd=str(ROOT))
    assert result.returncode == 0
    notes = [line for line in result.stdout.splitlines() if "note[L406]" in line]
    # Sønderborg overrides it twice: its promise of 2020 and its standard of 2022.
    assert len(notes) == 4 and all("overrides the law layer's 'handleplan_consider'" in n
                                   for n in notes)
    assert result.stdout.splitlines()[-1].endswith("4 override(s) listed")


def test_a_statutory_rule_cannot_be_overridden(tmp_path: Path) -> None:
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "x.yaml").write_text(textwrap.dedent("""\
        layer: municipality
        id: x
        title: {da: X, en: X}
        municipality: {code: 101, name: København}
        sources: {own: {file: t, publisher: K, title: T, date: x, kind: t, municipality: 101}}
        rules:
          - id: adult
            overrides: adult
            reason: {da: Også børn, en: Children too}
            title: {da: Alle aldre, en: Any age}
            legal_basis: {sources: [{source: own, section: S, quote: ordret citat}]}
            when: {fact: age, gte: 0}
            then: {require: {paths: all, on_fail: refuse}}
        """), "utf-8")
    with pytest.raises(RuleSetError) as info:
        RuleLibrary(municipality_dirs=[folder]).ruleset(101)
    assert [d.code for d in info.value.diagnostics] == ["R222"]


RELOAD_DURING_COMPILE = """\
import threading
import spstotte.library as library_module
real_compile = library_module.compile_ruleset
started, release = threading.Event(), threading.Event()
def slow_compile(ruleset):
    started.set()
    release.wait()
    return real_compile(ruleset)
library_module.compile_ruleset = slow_compile
library = library_module.RuleLibrary()
worker = threading.Thread(target=library.ruleset, args=(265,))
worker.start()
started.wait()
library.reload()          # must not wait for the compile in progress
print("reloaded while compiling")
release.set()
worker.join()
library_module.compile_ruleset = real_compile
print(library.evaluate({"birth_date": "2010-01-01"}, municipality=265,
                       on="2026-11-23").outcome.value)
"""


def test_a_reload_does_not_wait_for_a_compile_in_progress() -> None:
    try:
        result = subprocess.run([sys.executable, "-c", RELOAD_DURING_COMPILE],
                                capture_output=True, text=True, timeout=HANG_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("reload() waited for a compile in progress")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["reloaded", "while", "compiling", "refused"]


def test_a_dropped_library_frees_its_engine_networks() -> None:
    import gc
    import weakref

    library = RuleLibrary()
    library.evaluate({"birth_date": "1990-01-01"}, municipality=265, on="2026-11-23")
    network = library._entry(265).network
    freed, gone = network._finalizer, weakref.ref(network)
    del network, library
    gc.collect()
    assert gone() is None and not freed.alive


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "101", "abc"])
def test_a_coverage_threshold_must_be_a_percentage(value: str) -> None:
    result = spstotte("test", "--fail-under", value, cwd=str(ROOT))
    assert result.returncode == 2
    assert "argument --fail-under:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("on", ["20261123", "2026-W48-1", "2026-11-23T10:00", "23-11-2026"])
def test_a_decision_date_is_written_yyyy_mm_dd(on: str) -> None:
    result = spstotte("evaluate", str(PROFILE), "-m", "roskilde", "--on", on)
    assert result.returncode == 3
    assert f"error[P100] on: the decision date '{on}' is not a date\n  hint: write the date " \
           "as YYYY-MM-DD" in result.stderr


def test_a_profile_that_is_not_a_profile_is_not_echoed_back(tmp_path: Path) -> None:
    prose = tmp_path / "notes.txt"
    prose.write_text("".join(f"line {i}: {'tekst ' * 3}\n" for i in range(50_000)), "utf-8")
    result = spstotte("evaluate", str(prose), "-m", "roskilde", "--on", "2026-11-23")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    headlines = [line for line in lines if not line.startswith(" ")]
    assert len(headlines) == MAX_REPORTED + 1 and headlines[-1].startswith(
        f"error[P100] <profile>: and {50_000 - MAX_REPORTED} more problem(s) not shown")
    assert max(len(line) for line in lines) < 1_000


def test_a_list_no_citizen_has_is_refused_quickly_and_clearly(tmp_path: Path) -> None:
    import json

    path = tmp_path / "big.json"
    path.write_text(json.dumps({"birth_date": "1990-01-01",
                                "social_problems": ["crime"] * 150_000}), "utf-8")
    result = spstotte("evaluate", str(path), "-m", "roskilde", "--on", "2026-11-23")
    assert result.returncode == 3
    assert "error[P100] social_problems: at most 100 items (this list has 150000)" in \
        result.stderr


def test_a_field_nested_too_deep_is_reported_at_its_position(tmp_path: Path) -> None:
    from spstotte.errors import ScenarioError
    from spstotte.scenarios.format import load_scenarios

    nested = "[" * 12 + "1" + "]" * 12
    profile = tmp_path / "deep.yaml"
    profile.write_text(f"residence_municipality: 265\nbirth_date: {nested}\n", "utf-8")
    result = spstotte("evaluate", str(profile), "-m", "roskilde", "--on", "2026-11-23")
    assert result.returncode == 3
    assert f"{profile}:2:13: error[P100] birth_date: nested more than 10 levels deep" \
        in result.stderr
    scenarios = tmp_path / "deep.scenarios.yaml"
    scenarios.write_text("municipality: roskilde\non: 2026-11-23\nscenarios:\n"
                         f"  - name: dyb\n    profile: {{social_problems: {nested}}}\n"
                         "    expect: {outcome: refused}\n", "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenarios(scenarios)
    (found,) = info.value.diagnostics
    assert found.code == "S105" and found.span is not None and found.span.line == 5


@pytest.mark.parametrize("value", ["[moderate]", "{level: moderate}"])
def test_a_parameter_of_the_wrong_shape_is_an_error_at_its_position(
        tmp_path: Path, value: str) -> None:
    original = (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8")
    assert "    value: moderate\n" in original
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "roskilde.yaml").write_text(
        original.replace("    value: moderate\n", f"    value: {value}\n", 1), "utf-8")
    with pytest.raises(RuleSetError) as info:
        RuleLibrary(municipality_dirs=[folder]).ruleset(265)
    problems = [d for d in info.value.diagnostics if "min_support_need" in d.message]
    assert problems and problems[0].span is not None
    assert "one of none, light, moderate" in problems[0].message
