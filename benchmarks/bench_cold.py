"""Cold start: what a process pays before its first verdict.

Run with ``python benchmarks/bench_cold.py [--repeat 5] [--json]``. Each figure is the median
of ``--repeat`` fresh interpreters (wall clock, milliseconds):

* ``import``: ``import spstotte`` (the public names load lazily);
* ``evaluate_cli``: ``spstotte evaluate examples/citizen.yaml -m roskilde`` end to end;
* ``first_verdict``: import, then one ``spstotte.evaluate`` in Python;
* ``build_bundled``: read, resolve and compile every bundled rule set (imports excluded);
* ``discover_98_compile_1``: find the rule sets in a folder of 98 municipal files (one per
  municipality, each the size of Roskilde's) and compile one (imports excluded).

Every process shares a cache of parsed rule files (``SPSTOTTE_CACHE_DIR``, a folder of the
benchmark's own), filled by one process that is not measured: the figures are those of every
process after the first that reads the same files. The ``..._without_cache`` figures are the
same with the cache switched off (``SPSTOTTE_CACHE_DIR=off``): what the first process pays,
or every process where the cache is off.

Figures are quoted in docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import print_report

ROOT = Path(__file__).resolve().parents[1]

FIRST_VERDICT = """
import spstotte
spstotte.evaluate({"birth_date": "2000-05-01", "residence_municipality": 265,
                   "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
                   "support_need": "moderate"}, municipality=265, on="2026-11-23")
"""

BUILD_BUNDLED = """
import time
from spstotte import RuleLibrary
start = time.perf_counter()
library = RuleLibrary()
for info in library.municipalities():
    library.ruleset(info.code)
print((time.perf_counter() - start) * 1000)
"""

DISCOVER = """
import sys, time
from spstotte import RuleLibrary
import spstotte.engine.compiler, spstotte.ruleset.resolve, spstotte.engine
start = time.perf_counter()
library = RuleLibrary(municipality_dirs=[sys.argv[1]])
assert len(library.municipalities()) == 98, len(library.municipalities())
library.ruleset(265)
print((time.perf_counter() - start) * 1000)
"""


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return (time.perf_counter() - start) * 1000


def _inner(command: list[str], env: dict[str, str]) -> float:
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT,
                         env=env).stdout
    return float(out.strip().splitlines()[-1])


def _municipality_folder(folder: Path) -> None:
    """98 rule files: Roskilde's own, and a copy of it for every other municipality."""
    sys.path.insert(0, str(ROOT / "src"))
    from spstotte.municipalities import MUNICIPALITY_NAMES

    original = (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8")
    for code, name in MUNICIPALITY_NAMES.items():
        slug = "roskilde" if code == 265 else f"kommune_{code}"
        text = original if code == 265 else re.sub(
            r"(?m)^municipality: \{code: 265, name: Roskilde\}$",
            f"municipality: {{code: {code}, name: {name}}}",
            original.replace("id: roskilde", f"id: {slug}", 1))
        (folder / f"{slug}.yaml").write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    python = sys.executable
    spstotte = str(Path(python).with_name("spstotte"))

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        cached = {**os.environ, "SPSTOTTE_CACHE_DIR": cache}
        uncached = {**os.environ, "SPSTOTTE_CACHE_DIR": "off"}

        def median(measure: Callable[[list[str], dict[str, str]], float], command: list[str],
                   env: dict[str, str] = cached) -> float:
            measure(command, env)  # fills the cache (and the file system's) unmeasured
            return round(statistics.median(measure(command, env)
                                           for _ in range(args.repeat)), 1)

        _municipality_folder(Path(tmp))
        cli = [spstotte, "evaluate", "examples/citizen.yaml", "-m", "roskilde", "--on",
               "2026-11-23"]
        report = {
            "python": platform.python_version(), "machine": platform.machine(),
            "import_ms": median(_wall, [python, "-c", "import spstotte"]),
            "python_startup_ms": median(_wall, [python, "-c", "pass"]),
            "evaluate_cli_ms": median(_wall, cli),
            "evaluate_cli_without_cache_ms": median(_wall, cli, uncached),
            "first_verdict_ms": median(_wall, [python, "-c", FIRST_VERDICT]),
            "build_bundled_ms": median(_inner, [python, "-c", BUILD_BUNDLED]),
            "build_bundled_without_cache_ms": median(_inner, [python, "-c", BUILD_BUNDLED],
                                                     uncached),
            "discover_98_compile_1_ms": median(_inner, [python, "-c", DISCOVER, tmp]),
        }
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
