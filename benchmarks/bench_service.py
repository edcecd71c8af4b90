"""The decision service under load: single evaluations per second and their p99 latency over
loopback, against the same evaluations in-process.

Run with ``python benchmarks/bench_service.py [--workers 2] [--connections 8] [--seconds 10]
[--detail compact] [--json]``. A server (``spstotte serve``) is started on a free loopback
port; the load comes from ``wrk`` (Debian: ``apt install wrk``) cycling through 500 seeded,
varied Roskilde profiles, or, without wrk, from Python threads with httpx (which take CPU
from the server on a small machine: the figures are then a lower bound). The in-process
figures are ``RuleLibrary.evaluate_compact`` (or ``evaluate`` with ``--detail full``) in a
loop over the same profiles, with the JSON parsing and serialising a request needs.

Figures are quoted in docs/performance.md; never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_report
from bench_evaluate import profiles

ROOT = Path(__file__).resolve().parents[1]
ON = "2026-11-23"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen([sys.executable, "-m", "spstotte", "serve", "--port", str(port),
                                "--workers", str(workers), "--log-level", "warning"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def in_process(bodies: list[bytes], detail: str, seconds: float) -> dict[str, float]:
    from spstotte import RuleLibrary

    library = RuleLibrary()
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        body = bodies[i % len(bodies)]
        i += 1
        start = time.perf_counter()
        profile = json.loads(body)
        if detail == "compact":
            json.dumps(library.evaluate_compact(profile, municipality=265, on=ON))
        else:
            library.evaluate(profile, municipality=265, on=ON).model_dump_json()
        latencies.append(time.perf_counter() - start)
    total = sum(latencies)
    return {"rps": round(len(latencies) / total), "p50_ms": _pct(latencies, 50),
            "p99_ms": _pct(latencies, 99)}


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, len(ordered) * pct // 100)] * 1000, 3)


def with_wrk(url: str, bodies: list[bytes], detail: str, connections: int,
             seconds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "load.lua"
        listed = ",\n".join(f"[==[{b.decode()}]==]" for b in bodies)
        script.write_text(
            f"local bodies = {{\n{listed}\n}}\nlocal i = 0\n"
            "request = function()\n  i = i % #bodies + 1\n"
            f"  return wrk.format('POST', '/v1/evaluate?municipality=265&on={ON}"
            f"&detail={detail}', {{['Content-Type'] = 'application/json'}}, bodies[i])\n"
            "end\n"
            "done = function(summary, latency, requests)\n"
            "  io.write(string.format('P99 %d\\nP50 %d\\nERRORS %d %d\\n', "
            "latency:percentile(99), latency:percentile(50), summary.errors.status, "
            "summary.errors.timeout))\nend\n", encoding="utf-8")
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s",
                              str(script), url], capture_output=True, text=True,
                             check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = int(re.search(r"P99 (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    p50 = int(re.search(r"P50 (\d+)", out).group(1)) / 1000  # type: ignore[union-attr]
    errors = re.search(r"ERRORS (\d+) (\d+)", out)
    return {"rps": round(rps), "p50_ms": p50, "p99_ms": p99, "client": "wrk",
            "non_2xx": int(errors.group(1)) if errors else None}


def with_threads(url: str, bodies: list[bytes], detail: str, connections: int,
                 seconds: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    failures = [0]
    end = time.perf_counter() + seconds

    def client(offset: int) -> None:
        with httpx.Client(base_url=url) as http:
            i = offset
            while time.perf_counter() < end:
                start = time.perf_counter()
                answer = http.post("/v1/evaluate", content=bodies[i % len(bodies)],
                                   params={"municipality": 265, "on": ON, "detail": detail})
                latencies.append(time.perf_counter() - start)
                failures[0] += answer.status_code != 200
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rps": round(len(latencies) / seconds), "p50_ms": _pct(latencies, 50),
            "p99_ms": _pct(latencies, 99), "client": "python threads", "non_2xx": failures[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--detail", choices=("compact", "full"), default="compact")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bodies = [json.dumps(p).encode() for p in profiles(500, 265)]
    report: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                              "workers": args.workers, "connections": args.connections,
                              "detail": args.detail}
    local = in_process(bodies, args.detail, 5)
    report.update({f"in_process_{k}": v for k, v in local.items()})
    process, url = start_server(args.workers)
    try:
        load = with_wrk if shutil.which("wrk") else with_threads
        load(url, bodies, args.detail, args.connections, 2)  # warm-up
        served = load(url, bodies, args.detail, args.connections, args.seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
    report.update({f"service_{k}": v for k, v in served.items()})
    report["service_vs_in_process"] = round(served["rps"] / local["rps"], 2)
    report["median_profile_bytes"] = statistics.median(len(b) for b in bodies)
    print_report(report, args.json)


if __name__ == "__main__":
    main()
