"""Benchmark: median microseconds per evaluation, compiled network against the reference.

Run with ``make bench`` (or ``python benchmarks/bench_evaluate.py [--n 2000] [--json]``).
Figures are quoted in README.md and docs/performance.md; they are never asserted in tests.

For each bundled municipality, a fixed, seeded set of varied profiles is evaluated:

* ``evaluate`` — the whole public call (profile validation, facts, engine, verdict), with the
  durable_rules network (``rete``) and with the plain-Python interpreter (``reference``);
* ``engine`` — only the rule engine on ready facts: network vs interpreter;
* ``compact`` — ``evaluate_compact`` (the compact record of batch and the service), and the
  engine part of it: the network narrowed to the rules the decision reads, against the
  interpreter on the same rules.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from spstotte import CitizenProfile, RuleLibrary
from spstotte.engine.compiler import compile_ruleset
from spstotte.engine.reference import evaluate_reference
from spstotte.facts import profile_facts
from spstotte.verdict.build import decision_rules

ON = date(2026, 11, 23)


def profiles(n: int, code: int, seed: int = 20261123) -> list[dict[str, Any]]:
    """Varied, valid profiles (mostly complete, some facts unknown), reproducible by seed."""
    rnd = random.Random(seed + code)
    levels = ["none", "light", "moderate", "severe", "complete"]
    needs = ["none", "light", "moderate", "high", "complete", "not_assessed"]
    out = []
    for _ in range(n):
        p: dict[str, Any] = {
            "birth_date": date(rnd.randint(1940, 2012), rnd.randint(1, 12),
                               rnd.randint(1, 28)).isoformat(),
            "residence_municipality": rnd.choice([code] * 8 + [265, 630, 540, 101]),
            "living_situation": {"kind": rnd.choice(["own_home"] * 6 + ["supported_housing",
                                                                         "shelter"]),
                                 "placed_by_municipality": rnd.choice([code, "none", 101])},
            "physical_impairment": rnd.choice(levels),
            "mental_impairment": rnd.choice(levels),
            "social_problems": rnd.sample(["homelessness", "substance_abuse",
                                           "psychologically_vulnerable"], rnd.randint(0, 2)),
            "support_need": rnd.choice(needs),
            "met_by_open_offers": rnd.random() < 0.1,
            "met_by_advice": rnd.random() < 0.1,
            "covered_by_provision": rnd.choice([[]] * 8 + [["section_83"], ["section_97"]]),
            "specialist_treatment_sought": rnd.random() < 0.05,
            "improvement_expected": rnd.random() < 0.7,
            "at_risk": rnd.random() < 0.3,
            "applicant": rnd.choice(["self"] * 5 + ["relative", "other"]),
            "consent": rnd.random() < 0.9,
            "urgent": rnd.random() < 0.1,
            "requested_support_areas": rnd.sample(["practical_tasks", "administration",
                                                   "social_life", "health"], rnd.randint(0, 3)),
        }
        for key in list(p):
            if rnd.random() < 0.05:
                del p[key]
        out.append(p)
    return out


def per_call(fn: Callable[[Any], object], items: list[Any], repeat: int) -> list[float]:
    """Microseconds per call, one figure per item: the best of ``repeat`` passes over all the
    items, so that a cost paid once every few calls (an engine state serves a few
    evaluations, then is deleted) stays with the calls that pay it."""
    best = [float("inf")] * len(items)
    for _ in range(repeat):
        for index, item in enumerate(items):
            start = time.perf_counter()
            fn(item)
            best[index] = min(best[index], time.perf_counter() - start)
    return [seconds * 1e6 for seconds in best]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_us": round(statistics.median(ordered), 1),
            "p90_us": round(ordered[int(len(ordered) * 0.9)], 1),
            "mean_us": round(statistics.fmean(ordered), 1),
            "per_second": round(1e6 / statistics.fmean(ordered))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="profiles per municipality")
    parser.add_argument("--repeat", type=int, default=3,
                        help="passes over the profiles (each profile's best kept)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    library = RuleLibrary()
    report: dict[str, Any] = {
        "python": platform.python_version(), "machine": platform.machine(),
        "profiles": args.n, "municipalities": {},
    }
    for info in library.municipalities():
        ruleset = library.ruleset(info.code)
        network = library._entry(info.code).network
        data = profiles(args.n, info.code)
        parsed = [CitizenProfile.parse(p) for p in data]
        facts = [profile_facts(p, ON) for p in parsed if
                 (p.birth_date_known() or date.min) <= ON]
        for _ in range(200):  # warm-up: memo tables and the engine's pools
            library.evaluate(data[_ % len(data)], municipality=info.code, on=ON)
        code = info.code
        rete = per_call(lambda p, c=code: library.evaluate(p, municipality=c, on=ON),
                        data, args.repeat)
        reference = per_call(lambda p, c=code: library.evaluate(p, municipality=c, on=ON,
                                                                backend="reference"),
                             data, args.repeat)
        engine = per_call(network.evaluate, facts, args.repeat)
        interpreter = per_call(lambda f, r=ruleset: evaluate_reference(r, f), facts,
                               args.repeat)
        # The compact record (batch, the service's compact answers): the network narrowed to
        # the rules the decision reads, and the interpreter on the same rules.
        narrowed = network.narrowed(decision_rules(ruleset))
        compact = per_call(lambda p, c=code: library.evaluate_compact(p, municipality=c, on=ON),
                           data, args.repeat)
        decision_engine = per_call(narrowed.evaluate, facts, args.repeat)
        decision_interpreter = per_call(
            lambda f, r=narrowed.ruleset: evaluate_reference(r, f), facts, args.repeat)
        start = time.perf_counter()
        for _ in range(20):
            compile_ruleset(ruleset)
        compile_ms = (time.perf_counter() - start) / 20 * 1e3
        report["municipalities"][info.slug] = {
            "rules": len(ruleset.rules),
            "engine_rules": compile_ruleset(ruleset).engine_rule_count,
            "compile_ms": round(compile_ms, 2),
            "evaluate_rete": summary(rete),
            "evaluate_reference": summary(reference),
            "engine_rete": summary(engine),
            "engine_reference": summary(interpreter),
            "decision_rules": len(narrowed.ruleset.rules),
            "decision_engine_rules": narrowed.compiled.engine_rule_count,
            "compact_rete": summary(compact),
            "decision_engine_rete": summary(decision_engine),
            "decision_engine_reference": summary(decision_interpreter),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Python {report['python']} on {report['machine']}, {args.n} profiles per "
          f"municipality, best of {args.repeat} passes per profile, median (p90) [mean] "
          "microseconds\n")
    print("| municipality | rules | evaluate, rete | evaluate, reference | ratio | "
          "engine only, rete | engine only, reference | ratio | compile |")
    print("|---|---|---|---|---|---|---|---|---|")

    def cell(figures: dict[str, float]) -> str:
        return f"{figures['median_us']} ({figures['p90_us']}) [{figures['mean_us']}]"

    for slug, row in report["municipalities"].items():
        er, eref = row["evaluate_rete"], row["evaluate_reference"]
        nr, nref = row["engine_rete"], row["engine_reference"]
        print(f"| {slug} | {row['rules']} ({row['engine_rules']} engine) | "
              f"{cell(er)} | {cell(eref)} | {er['mean_us'] / eref['mean_us']:.2f}× | "
              f"{cell(nr)} | {cell(nref)} | {nr['mean_us'] / nref['mean_us']:.2f}× | "
              f"{row['compile_ms']} ms |")
    print("\nThe compact record (`evaluate_compact`: batch, the service's compact answers), "
          "on the network narrowed to the rules the decision reads:\n")
    print("| municipality | rules | compact record, rete | engine only, rete | "
          "engine only, reference | ratio |")
    print("|---|---|---|---|---|---|")
    for slug, row in report["municipalities"].items():
        dr, dref = row["decision_engine_rete"], row["decision_engine_reference"]
        print(f"| {slug} | {row['decision_rules']} ({row['decision_engine_rules']} engine) | "
              f"{cell(row['compact_rete'])} | {cell(dr)} | {cell(dref)} | "
              f"{dr['mean_us'] / dref['mean_us']:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
