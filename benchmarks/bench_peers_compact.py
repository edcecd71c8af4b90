"""The peer harness with one more column: spstotte's compact record (issue 11, issue 14).

Run with the peers' virtual environment, from the repository:
``/work/.venv-peers/bin/python benchmarks/bench_peers_compact.py`` (the harness's own options
pass through; ``SPSTOTTE_PEERS`` names the harness folder, default ``../shared/peers``).
"spstotte_compact" decides the same profiles with ``RuleLibrary.evaluate_compact``, which runs
the network narrowed to the rules the decision reads and stops after the decision (no trail,
texts or appeal guidance). It is compared on outcome class, as the "spstotte" column is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

HARNESS = Path(os.environ.get("SPSTOTTE_PEERS",
                              Path(__file__).resolve().parents[2] / "shared" / "peers"))
sys.path.insert(0, str(HARNESS))

import run_peers  # noqa: E402
from peers import spstotte_adapter  # noqa: E402


def build_compact() -> Any:
    library = spstotte_adapter.spstotte.RuleLibrary()
    municipality = spstotte_adapter.MUNICIPALITY
    library.ruleset(municipality)
    decide = library.evaluate_compact
    to_spstotte, fixed_on = spstotte_adapter.to_spstotte, spstotte_adapter.FIXED_ON

    def evaluate(profile: dict[str, Any]) -> str:
        return str(decide(to_spstotte(profile), municipality=municipality,
                          on=fixed_on or profile["decision_date"])["outcome"])
    return evaluate


def builders() -> list[tuple[str, Any]]:
    return [*_builders(), ("spstotte_compact", build_compact)]


_builders = run_peers.builders
run_peers.builders = builders
run_peers.CLASS_ONLY = {*run_peers.CLASS_ONLY, "spstotte_compact"}

if __name__ == "__main__":
    raise SystemExit(run_peers.main())
