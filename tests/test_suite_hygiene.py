"""The suite itself: no test asserts wall-clock time. On a shared or loaded CI machine a time
limit fails at random, so speed is proven by the benchmarks in ``benchmarks/`` instead.

The one timeout allowed catches a hang (the engine can freeze a process for ever): a test that
runs something in a subprocess may pass ``timeout=HANG_TIMEOUT``, a constant of its module of
at least two minutes, far above any real run, so that a hang fails that test instead of the
whole run."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

#: Calls that read a clock. A test may still use dates (decision dates are law, not timing).
CLOCKS = {"time", "monotonic", "perf_counter", "process_time", "monotonic_ns", "perf_counter_ns",
          "time_ns", "thread_time"}


def _clock_reads(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "time"
                and node.func.attr in CLOCKS):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            lines += [node.lineno for alias in node.names if alias.name in CLOCKS]
        if isinstance(node, ast.keyword) and node.arg == "timeout" and not (
                isinstance(node.value, ast.Name) and node.value.id == "HANG_TIMEOUT"
                and _hang_timeout(tree) >= MIN_HANG_TIMEOUT):
            lines.append(node.lineno)
    return lines


#: The shortest timeout that only a hang reaches.
MIN_HANG_TIMEOUT = 120


def _hang_timeout(tree: ast.AST) -> float:
    """The module's HANG_TIMEOUT (seconds), or 0."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name)
                                                  and t.id == "HANG_TIMEOUT" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, (int, float))):
            return float(node.value.value)
    return 0


def test_no_test_reads_a_clock_or_sets_a_timeout() -> None:
    offenders = {
        path.name: lines
        for path in sorted(TESTS.rglob("*.py"))
        if (lines := _clock_reads(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_check_finds_a_stopwatch() -> None:
    # A stopwatch as a careless test would write one, built from parts so that this file
    # itself holds no timing assertion for a text search to find.
    clock = "time." + "monotonic()"
    planted = ast.parse(f"import time\nstart = {clock}\nassert {clock} - start < 5\n")
    assert _clock_reads(planted) == [2, 3]
    assert _clock_reads(ast.parse("subprocess.run(['x'], timeout=5)")) == [1]
    # A hang guard is allowed only as the module's HANG_TIMEOUT of two minutes or more.
    assert _clock_reads(ast.parse(
        "HANG_TIMEOUT = 300\nsubprocess.run(['x'], timeout=HANG_TIMEOUT)")) == []
    assert _clock_reads(ast.parse(
        "HANG_TIMEOUT = 5\nsubprocess.run(['x'], timeout=HANG_TIMEOUT)")) == [2]
