"""Impact analysis against batch: does deciding a caseload under two rule sets cost at most
twice deciding it once?

Run with ``python benchmarks/bench_impact.py [--n 100000] [--workers N] [--json]``. A
synthetic caseload (``spstotte cases``) for the first bundled municipality with a support-need
parameter is decided once with :func:`spstotte.evaluate_many` (compact records, as ``spstotte
batch`` makes them), then under that municipality's rule set and a draft of it with the
parameter raised to ``high`` with :func:`spstotte.impact`, with the same number of worker
processes. Each is timed from the first row to the last result, worker start-up and compiles
included; the figure is the ratio (issue 14: at most 2).

Figures are quoted in docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report

from spstotte import RuleLibrary, evaluate_many, generate_cases, impact

ON = date(2026, 11, 23)


def draft_of(library: RuleLibrary) -> tuple[int, Path, str]:
    """A municipality with a support-need parameter, and a draft of its file with the
    parameter raised to ``high``."""
    for info in library.municipalities():
        ruleset = library.ruleset(info.code, ON)
        for name, parameter in ruleset.parameters.items():
            if parameter.type == "support_need" and parameter.set_by == "municipality" \
                    and parameter.value != "high":
                text = info.file.read_text(encoding="utf-8")
                raised, n = re.subn(rf"(\n  {name}:\n(?:    .*\n)*?    value: ){parameter.value}",
                                    r"\1high", text)
                if n == 1:
                    path = Path(tempfile.mkdtemp()) / info.file.name
                    path.write_text(raised, encoding="utf-8")
                    return info.code, path, name
    raise SystemExit("no bundled municipality sets a support-need parameter")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    library = RuleLibrary()
    code, draft, parameter = draft_of(library)
    cases = list(generate_cases(args.n, seed=1, municipality=code, on=ON))
    batch_times, impact_times = [], []
    changed = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        decided = sum(1 for _ in evaluate_many(cases, municipality=code, on=ON.isoformat(),
                                               workers=args.workers))
        batch_times.append(time.perf_counter() - start)
        assert decided == args.n
        start = time.perf_counter()
        report = impact(cases, before=str(code), after=str(draft), on=ON,
                        workers=args.workers)
        impact_times.append(time.perf_counter() - start)
        changed = report.changed
    best_batch, best_impact = min(batch_times), min(impact_times)
    print_report({
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "workers": args.workers, "cases": args.n,
        "draft": f"{code}: {parameter} raised to high", "cases changed": changed,
        "batch once, s": round(best_batch, 2), "impact, s": round(best_impact, 2),
        "batch rows/s": round(args.n / best_batch), "impact cases/s": round(args.n / best_impact),
        "ratio impact/batch": round(best_impact / best_batch, 2),
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
