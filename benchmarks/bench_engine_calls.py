"""Where the rule engine's time goes: durable_rules' own calls, against the adapter around them.

Run with ``python benchmarks/bench_engine_calls.py [--n 2000] [--narrowed] [--json]``. For each
bundled municipality, ``Network.evaluate`` runs on facts computed in advance (as
``bench_evaluate.py``'s "engine only"; with ``--narrowed``, on the network narrowed to the
decision, as the compact record runs it), first as it is, then with every call into
durable_rules' C module timed on its own and sorted by what it does:

* ``assert, profile fact``: one of the profile's group facts (``p0``, ``p1``, ...);
* ``assert, first fact of a state``: the first profile fact a fresh engine state receives,
  which includes creating the state (it clears memory for every pattern of the network);
* ``assert, derived fact``: a conclusion another rule reads;
* ``assert, sentinel``: the fact that ends an evaluation;
* ``actions``: ``start_action_for_state`` and ``complete_and_start_action``, one per engine
  rule that fired;
* ``delete_state``.

What is left of the plain run's time is the adapter's own Python (building the facts' text,
the loop over the actions). The timers' own cost (measured on a call that does nothing) is
taken off each call. The figures say how far a leaner adapter could go: not below the engine's
own calls. They are quoted in docs/performance.md, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report
from bench_evaluate import profiles

import spstotte.engine.network as network_module
from spstotte import RuleLibrary
from spstotte.facts import profile_facts
from spstotte.profile import CitizenProfile
from spstotte.verdict.build import decision_rules

ON = date(2026, 11, 23)
CODES = (265, 540, 630)
TIMED = ("assert_fact", "start_action_for_state", "complete_and_start_action", "delete_state")


def _kind(text: str, fresh: bool) -> str:
    if text.startswith('{"@__done__"'):
        return "assert, sentinel"
    if text.startswith('{"@d"'):
        return "assert, derived fact"
    return "assert, first fact of a state" if fresh else "assert, profile fact"


def _timer_cost() -> int:
    """Nanoseconds the timing wrapper adds to a call (a call that does nothing, timed)."""
    clock = time.perf_counter_ns

    def nothing(*_: Any) -> None:
        return None

    best = None
    for _ in range(5):
        start = clock()
        for _ in range(20_000):
            before = clock()
            nothing(1, 2)
            clock() - before
        plain = clock() - start
        start = clock()
        for _ in range(20_000):
            nothing(1, 2)
        bare = clock() - start
        cost = (plain - bare) // 20_000
        best = cost if best is None else min(best, cost)
    return best or 0


class _Timed:
    """durable_rules' C module with its calls timed by kind."""

    def __init__(self, engine: Any, overhead: int) -> None:
        self.engine = engine
        self.overhead = overhead
        self.spent: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.states: set[tuple[int, str]] = set()
        self.module = SimpleNamespace(**{name: getattr(engine, name) for name in dir(engine)
                                         if not name.startswith("__")})
        for name in TIMED:
            setattr(self.module, name, self._wrap(name, getattr(engine, name)))

    def _wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.perf_counter_ns
        spent, calls, overhead = self.spent, self.calls, self.overhead

        def timed(*args: Any) -> Any:
            kind = "actions" if "action" in name else name
            if name == "assert_fact":
                handle, text = args
                sid = text[text.rindex('"sid": "') + 8:-2]
                fresh = (handle, sid) not in self.states
                kind = _kind(text, fresh)
                self.states.add((handle, sid))
            elif name == "delete_state":
                self.states.discard((args[0], args[1]))
            start = clock()
            result = call(*args)
            spent[kind] = spent.get(kind, 0) + max(clock() - start - overhead, 0)
            calls[kind] = calls.get(kind, 0) + 1
            return result

        return timed


def _mean_us(run: Callable[[], None], evaluations: int) -> float:
    start = time.perf_counter_ns()
    run()
    return (time.perf_counter_ns() - start) / evaluations / 1000


def measure(library: RuleLibrary, code: int, n: int, overhead: int,
            narrowed: bool = False) -> dict[str, Any]:
    facts = [profile_facts(CitizenProfile.parse(p), ON) for p in profiles(n, code)]
    entry = library._lease(code, ON)
    entry.network.release()
    network = (entry.network.narrowed(decision_rules(entry.ruleset)) if narrowed
               else entry.network)

    def run() -> None:
        for one in facts:
            network.evaluate(one)

    run()  # warm: caches, memory pools
    plain = min(_mean_us(run, len(facts)) for _ in range(3))
    timed = _Timed(network_module.dre, overhead)
    original = network_module.dre
    network_module.dre = timed.module  # type: ignore[assignment]
    try:
        run()
        timed.spent.clear()
        timed.calls.clear()
        run()
    finally:
        network_module.dre = original
    per_eval = {kind: (round(timed.calls[kind] / len(facts), 2),
                       round(timed.spent[kind] / len(facts) / 1000, 1))
                for kind in sorted(timed.spent)}
    engine = sum(us for _, us in per_eval.values())
    return {"evaluate, µs (mean)": round(plain, 1),
            "engine's own calls, µs": round(engine, 1),
            "adapter's Python, µs": round(plain - engine, 1),
            "calls and µs per evaluation": {kind: f"{calls} calls, {us} µs"
                                            for kind, (calls, us) in per_eval.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="profiles per municipality")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--narrowed", action="store_true",
                        help="the network narrowed to the decision (the compact record's)")
    args = parser.parse_args(argv)
    library = RuleLibrary()
    overhead = _timer_cost()
    report: dict[str, Any] = {"python": platform.python_version(),
                              "machine": platform.machine(),
                              "timer cost taken off each call, ns": overhead}
    for code in CODES:
        report[library.find(code).slug] = measure(library, code, args.n, overhead, args.narrowed)
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
