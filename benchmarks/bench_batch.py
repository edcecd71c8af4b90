"""Batch throughput: a caseload decided end to end (read, evaluate, write compact records).

Run with ``python benchmarks/bench_batch.py [--rows 100000] [--workers 2] [--json]``. A JSON
Lines caseload of ``--rows`` varied, seeded Roskilde profiles (2,000 distinct profiles, each
with its own id, repeated) is written to a temporary folder, then:

* ``batch``: ``spstotte batch`` in a fresh process with ``--workers``, wall clock, rows/s, and
  the parent's peak RSS;
* ``loop``: one process calling ``RuleLibrary.evaluate`` in a loop on the same rows (parse the
  line, evaluate, serialise the compact record) for a sample of ``--loop-rows`` rows.

Also the RSS of the workers is sampled every second; growth between 10 % and 100 % of the run
shows whether memory is flat. Figures are quoted in docs/performance.md; never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report
from bench_evaluate import profiles

ROOT = Path(__file__).resolve().parents[1]


def write_caseload(path: Path, rows: int) -> None:
    distinct = profiles(2000, 265)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(rows):
            profile = distinct[i % len(distinct)]
            handle.write(json.dumps({"id": f"c{i}", **profile}) + "\n")


def rss_of_tree(pid: int) -> int:
    """Resident set of a process and its children, in KiB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loop-rows", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "cases.jsonl"
        write_caseload(cases, args.rows)
        out = Path(tmp) / "out.jsonl"
        command = [sys.executable, "-m", "spstotte", "batch", str(cases), "-m", "roskilde",
                   "--on", "2026-11-23", "-o", str(out), "--workers", str(args.workers),
                   "--quiet"]
        samples: list[tuple[float, int]] = []
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT)

        def sample() -> None:
            while process.poll() is None:
                samples.append((time.perf_counter() - start, rss_of_tree(process.pid)))
                time.sleep(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        process.wait()
        elapsed = time.perf_counter() - start
        sampler.join()
        written = sum(1 for _ in out.open(encoding="utf-8"))
        steady = [rss for t, rss in samples if t >= elapsed * 0.1]
        report: dict[str, object] = {
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "rows": args.rows, "workers": args.workers,
            "batch_seconds": round(elapsed, 1), "batch_rows_per_s": round(args.rows / elapsed),
            "records_written": written,
            "rss_kib_at_10pct": steady[0] if steady else None,
            "rss_kib_max": max(steady) if steady else None,
            "rss_growth_kib": (max(steady) - steady[0]) if steady else None,
        }
        # The same rows in one process, in a loop: parse, evaluate, compact, serialise.
        from spstotte import RuleLibrary
        from spstotte.batch import compact

        library = RuleLibrary()
        lines = cases.read_text(encoding="utf-8").splitlines()[: args.loop_rows]
        for line in lines[:200]:
            data = json.loads(line)
            data.pop("id")
            library.evaluate(data, municipality="roskilde", on="2026-11-23")
        loop_start = time.perf_counter()
        for line in lines:
            data = json.loads(line)
            ident = data.pop("id")
            verdict = library.evaluate(data, municipality="roskilde", on="2026-11-23")
            json.dumps({"id": ident, **compact(verdict)})
        loop = time.perf_counter() - loop_start
        report["loop_rows_per_s"] = round(len(lines) / loop)
        report["batch_vs_loop"] = round((args.rows / elapsed) / (len(lines) / loop), 2)
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
