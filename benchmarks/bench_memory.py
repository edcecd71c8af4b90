"""Memory over many verdicts: the resident set size must stay flat once warm.

Run with ``python benchmarks/bench_memory.py [--evaluations 1000000] [--json]``. One thread
evaluates freshly drawn, varied profiles (seeded) on varied decision dates across the bundled
municipalities, so that every memo table meets new keys all the time; the RSS is sampled every
10,000 evaluations. The report gives the RSS at 100,000 evaluations and at the end, and the
growth between them (issue 11's goal: at most 5 MB from 100k to 1M), also as the growth of
the median of the five samples around each (a sample swings with the engine states alive).
Figures are quoted in docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any

from _common import print_report, rss_kib

from spstotte import RuleLibrary

CODES = (265, 540, 630)
LEVELS = ["none", "light", "moderate", "severe", "complete"]
NEEDS = ["none", "light", "moderate", "high", "complete", "not_assessed"]
PROBLEMS = ["homelessness", "substance_abuse", "social_isolation", "psychologically_vulnerable"]




def _profile(rnd: random.Random) -> tuple[int, dict[str, Any], date]:
    code = rnd.choice(CODES)
    on = date(2025, 1, 1) + timedelta(days=rnd.randrange(730))
    profile: dict[str, Any] = {
        "birth_date": (date(1930, 1, 1) + timedelta(days=rnd.randrange(30_000))).isoformat(),
        "residence_municipality": rnd.choice([code, code, code, 101, 751]),
        "living_situation": {"kind": "own_home"},
        "physical_impairment": rnd.choice(LEVELS), "mental_impairment": rnd.choice(LEVELS),
        "social_problems": rnd.sample(PROBLEMS, rnd.randint(0, 2)),
        "support_need": rnd.choice(NEEDS), "applicant": "self"}
    for field in ("met_by_open_offers", "met_by_advice", "specialist_treatment_sought",
                  "improvement_expected", "at_risk"):
        if rnd.random() < 0.8:
            profile[field] = rnd.random() < 0.3
    if rnd.random() < 0.8:
        profile["covered_by_provision"] = rnd.sample(["section_83", "section_97"],
                                                     rnd.randint(0, 1))
    return code, profile, on


def run(evaluations: int) -> dict[str, Any]:
    library = RuleLibrary()
    rnd = random.Random(20261130)
    samples: list[tuple[int, int]] = []
    start = time.perf_counter()
    for i in range(1, evaluations + 1):
        code, profile, on = _profile(rnd)
        library.evaluate(profile, municipality=code, on=on)
        if i % 10_000 == 0:
            gc.collect()
            samples.append((i, rss_kib()))
    seconds = time.perf_counter() - start
    at_100k = next((rss for n, rss in samples if n >= 100_000), samples[0][1])
    end = samples[-1][1]
    # A sample swings by a megabyte or two with the engine states alive at that moment
    # (each network may keep one, docs/performance.md#memory): the medians of the five
    # samples around 100,000 and of the last five say the same without that noise.
    around_100k = [rss for n, rss in samples if 80_000 <= n <= 120_000] or [at_100k]
    last = [rss for _, rss in samples[-5:]]
    return {"python": platform.python_version(), "evaluations": evaluations,
            "seconds": round(seconds, 1), "rss_at_100k_kib": at_100k, "rss_end_kib": end,
            "growth_after_100k_kib": end - at_100k,
            "median_growth_after_100k_kib": statistics.median(last)
            - statistics.median(around_100k),
            "samples": samples[:: max(1, len(samples) // 20)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.evaluations)
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
