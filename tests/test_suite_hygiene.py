"""The suite itself: no test asserts wall-clock time. On a shared or loaded CI machine a time
limit fails at random, so speed is proven by the benchmarks in ``benchmarks/`` instead."""

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
        if isinstance(node, ast.keyword) and node.arg == "timeout":
            lines.append(node.lineno)
    return lines


def test_no_test_reads_a_clock_or_sets_a_timeout() -> None:
    offenders = {
        path.name: lines
        for path in sorted(TESTS.rglob("*.py"))
        if (lines := _clock_reads(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_check_finds_a_stopwatch() -> None:
    planted = ast.parse(
        "import time\nstart = time.monotonic()\nassert time.monotonic() - start < 5\n")
    assert _clock_reads(planted) == [2, 3]
    assert _clock_reads(ast.parse("subprocess.run(['x'], timeout=5)")) == [1]
