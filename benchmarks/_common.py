"""What the benchmarks share: reading the resident set size and printing a report."""

from __future__ import annotations

import json
import resource
from typing import Any


def rss_kib() -> int:
    """The resident set size now (Linux), else the peak, in KiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def print_report(report: dict[str, Any], as_json: bool) -> None:
    """A benchmark's figures: as JSON, or one ``name: value`` line each."""
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        for name, value in report.items():
            print(f"{name}: {value}")
