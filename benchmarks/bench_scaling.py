"""How the engine's time grows with the size of a rule set.

Run with ``python benchmarks/bench_scaling.py [--json]``. A synthetic municipality adds
``count`` requirements of its own to the § 85 path (``spstotte.testing.wide_municipality``:
each reads one of ten derived age facts), for several counts; each is compiled and evaluated, engine
only (facts computed in advance), on 2,000 varied profiles, each profile's best of three passes
over all of them. The report gives the resolved rules,
the engine rules, the median µs per evaluation, the ratios to the smallest set, and the µs per
added requirement (flat when the time grows linearly): issue 11 asks for growth close to
linear. Figures are quoted in
docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from _common import print_report
from bench_evaluate import ON, per_call, profiles

from spstotte import CitizenProfile, RuleLibrary
from spstotte.facts import profile_facts
from spstotte.testing import wide_municipality

COUNTS = (0, 25, 50, 100, 200, 400)


def measure(count: int, data: list[dict[str, object]], repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bred.yaml").write_text(wide_municipality(count), encoding="utf-8")
        library = RuleLibrary(municipality_dirs=[folder])
        ruleset = library.ruleset(265)
        network = library._entry(265).network
        facts = [profile_facts(CitizenProfile.parse(p), ON) for p in data]
        for one in facts[:200]:
            network.evaluate(one)
        # Each profile's best of ``repeat`` passes over all the profiles (per_call).
        times = per_call(network.evaluate, facts, repeat)
        library.close()
        return {"requirements": count, "rules": len(ruleset.rules),
                "engine_rules": network.compiled.engine_rule_count,
                "median_us": round(statistics.median(times), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="profiles per rule set")
    parser.add_argument("--repeat", type=int, default=3, help="timings per profile (best kept)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    data = profiles(args.n, 265)
    rows = [measure(count, data, args.repeat) for count in COUNTS]
    first = rows[0]
    for row in rows:
        row["rules_ratio"] = round(row["rules"] / first["rules"], 2)
        row["time_ratio"] = round(row["median_us"] / first["median_us"], 2)
        # Flat when the time grows linearly with the requirements.
        if row["requirements"]:
            row["us_per_added_requirement"] = round(
                (row["median_us"] - first["median_us"]) / row["requirements"], 1)
    report = {"python": platform.python_version(), "machine": platform.machine(),
              "profiles": args.n, "rows": rows}
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
