"""Soak: many threads evaluating while the rule sets reload, then fork under load.

Run with ``python benchmarks/bench_soak.py [--threads 16] [--evaluations 20000]
[--reload-every 0.1] [--json]``. It reports evaluations per second, mismatches against the
reference interpreter (must be 0), the growth of the resident set size, and how many children
forked while threads evaluate failed or hung (must be 0). Figures are quoted in
docs/security.md and docs/performance.md; they are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import threading
import time
from datetime import date
from typing import Any

from _common import print_report, rss_kib

from spstotte import RuleLibrary

ON = date(2026, 11, 23)
CODES = (265, 540, 630)


def _profiles(n: int) -> list[tuple[int, dict[str, Any]]]:
    rnd = random.Random(20261123)
    levels = ["none", "light", "moderate", "severe", "complete"]
    needs = ["none", "light", "moderate", "high", "not_assessed"]
    out = []
    for _ in range(n):
        code = rnd.choice(CODES)
        out.append((code, {
            "birth_date": f"{rnd.randint(1930, 2012)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
            "residence_municipality": code, "living_situation": {"kind": "own_home"},
            "physical_impairment": rnd.choice(levels), "mental_impairment": rnd.choice(levels),
            "social_problems": rnd.sample(["homelessness", "substance_abuse", "crime"],
                                          rnd.randint(0, 2)),
            "support_need": rnd.choice(needs), "met_by_open_offers": rnd.random() < 0.2,
            "met_by_advice": rnd.random() < 0.2, "covered_by_provision": [],
            "specialist_treatment_sought": False, "improvement_expected": rnd.random() < 0.5,
            "applicant": "self"}))
    return out




def soak(threads: int, evaluations: int, reload_every: float) -> dict[str, Any]:
    library = RuleLibrary()
    cases = _profiles(200)
    expected = {i: library.evaluate(p, municipality=c, on=ON, backend="reference").outcome
                for i, (c, p) in enumerate(cases)}
    for code in CODES:
        library.ruleset(code)
    rss_before = rss_kib()
    done = [0] * threads
    mismatches = [0] * threads
    per_thread = evaluations // threads
    stop = threading.Event()

    def work(k: int) -> None:
        for j in range(per_thread):
            i = (k * 7919 + j) % len(cases)
            code, profile = cases[i]
            # Every other evaluation a compact record: the network narrowed to the decision,
            # which lives and dies with the whole one, through the same reloads.
            if j % 2:
                outcome = library.evaluate_compact(profile, municipality=code, on=ON)["outcome"]
            else:
                outcome = library.evaluate(profile, municipality=code, on=ON).outcome.value
            if outcome != expected[i].value:
                mismatches[k] += 1
            done[k] += 1

    samples: list[tuple[int, int]] = []  # (evaluations done, RSS in KiB)

    def reloader() -> None:
        while not stop.wait(min(reload_every, 0.1)):
            samples.append((sum(done), rss_kib()))
            if len(samples) % max(1, round(reload_every / 0.1)) == 0:
                library.reload()

    reloading = threading.Thread(target=reloader)
    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    start = time.perf_counter()
    reloading.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    stop.set()
    reloading.join()
    # Memory once warmed up (a tenth of the evaluations done) against the end: a leak grows
    # between the two; the warm-up itself (threads, sessions, caches) is reported apart.
    warm = next((rss for n, rss in samples if n >= sum(done) // 10), rss_before)
    return {"threads": threads, "evaluations": sum(done), "seconds": round(seconds, 2),
            "evaluations_per_second": round(sum(done) / seconds),
            "reload_every_s": reload_every, "mismatches": sum(mismatches),
            "rss_warm_up_kib": warm - rss_before, "rss_growth_after_warm_up_kib": rss_kib() - warm}


def fork_under_load(children: int = 16, threads: int = 4) -> dict[str, Any]:
    library = RuleLibrary()
    code, profile = _profiles(1)[0]
    library.evaluate(profile, municipality=code, on=ON)
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            library.evaluate(profile, municipality=code, on=ON)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:  # the child: one evaluation, then out
            try:
                library.evaluate(profile, municipality=code, on=ON)
                os._exit(0)
            except BaseException:
                os._exit(1)
        pids.append(pid)
        time.sleep(0.01)
    stop.set()
    for worker in workers:
        worker.join()
    failed = hung = 0
    deadline = time.monotonic() + 120
    for pid in pids:
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                failed += status != 0
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                hung += 1
                break
            time.sleep(0.05)
    return {"children": children, "threads_evaluating": threads, "failed": failed,
            "hung": hung}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--reload-every", type=float, default=0.1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, on purpose
    report = {"python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(),
              "soak_with_reloads": soak(args.threads, args.evaluations, args.reload_every),
              "soak_without_reloads": soak(args.threads, args.evaluations, 3600.0),
              "fork_under_load": fork_under_load()}
    print_report(report, args.json)
    ok = (report["soak_with_reloads"]["mismatches"] == 0
          and report["soak_without_reloads"]["mismatches"] == 0
          and report["fork_under_load"]["failed"] == report["fork_under_load"]["hung"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
