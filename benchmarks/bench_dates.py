"""Many decision dates: does deciding cases on 20 different dates cost more than on one?

Run with ``python benchmarks/bench_dates.py [--n 2000] [--json]``. For each bundled
municipality, the same seeded profiles are evaluated twice after a warm-up: every one on one
decision date, then each on one of 20 distinct decision dates spread over 2021-2027 (across every
version of the rule set). A version's network is compiled once and kept, so after warm-up the
two should cost the same. The figure is the ratio of the medians (issue 13: at most 1.2).

Figures are quoted in docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report
from bench_evaluate import profiles

from spstotte import RuleLibrary

DATES = [date(2021, 1, 15) + timedelta(days=round(i * 2190 / 19)) for i in range(20)]


def timed(library: RuleLibrary, data: list[dict[str, object]], code: int,
          dates: list[date]) -> list[float]:
    out = []
    for i, profile in enumerate(data):
        on = dates[i % len(dates)]
        start = time.perf_counter()
        library.evaluate(profile, municipality=code, on=on)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="profiles per municipality")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    library = RuleLibrary()
    report: dict[str, object] = {"python": platform.python_version(),
                                 "machine": platform.machine(), "profiles": args.n,
                                 "dates": [d.isoformat() for d in DATES], "municipalities": {}}
    for info in library.municipalities():
        # Dates in force for this municipality (a rule file may begin after 2021).
        dates = [d for d in DATES if _in_force(library, info.code, d)]
        data = profiles(args.n, info.code)
        timed(library, data[:200], info.code, dates)  # warm-up: every version compiled
        one = timed(library, data, info.code, [dates[-1]])
        many = timed(library, data, info.code, dates)
        one_again = timed(library, data, info.code, [dates[-1]])
        base = statistics.median(one + one_again)
        report["municipalities"][info.slug] = {  # type: ignore[index]
            "versions": len(library.versions(info.code)), "dates": len(dates),
            "one_date_us": round(base, 1), "twenty_dates_us": round(statistics.median(many), 1),
            "ratio": round(statistics.median(many) / base, 2)}
    if args.json:
        print_report(report, True)
    else:
        print(f"Python {report['python']} on {report['machine']}, {args.n} profiles, "
              "median µs per evaluation")
        print("municipality | versions | dates | one date | 20 dates | ratio")
        for slug, row in report["municipalities"].items():  # type: ignore[attr-defined]
            print(f"{slug} | {row['versions']} | {row['dates']} | {row['one_date_us']} | "
                  f"{row['twenty_dates_us']} | {row['ratio']}×")
    return 0


def _in_force(library: RuleLibrary, code: int, day: date) -> bool:
    from spstotte import ProfileError

    try:
        library.ruleset(code, day)
    except ProfileError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
