"""The compact record of a verdict: what a caseload run needs, in a few hundred bytes.

A full verdict (with its trail, texts and legal bases) is 40-56 KB of JSON; a caseload of
10,000 would be 424 MB. The compact record keeps the outcome, the reasons' codes and kinds,
the missing facts, each path's status, the dates and the hash of the rule set's version, so
that every decision can be found again (``spstotte replay`` re-decides a full verdict; the
compact record says which rule set to ask).
"""

from __future__ import annotations

from typing import Any

from ..verdict.model import Verdict


def compact(verdict: Verdict) -> dict[str, Any]:
    """The compact record of a verdict, as JSON-ready data."""
    return {
        "outcome": verdict.outcome.value,
        "municipality": verdict.municipality,
        "decision_date": verdict.decision_date.isoformat(),
        "reasons": [{"code": r.code, "kind": r.kind.value} for r in verdict.reasons],
        "missing_facts": [m.fact for m in verdict.missing_facts],
        "paths": {p.path: p.status.value for p in verdict.paths},
        "end_date": verdict.end_date.isoformat() if verdict.end_date else None,
        "ruleset": verdict.record.ruleset_id,
        "ruleset_hash": verdict.record.ruleset_hash,
    }


#: The columns of a compact record in CSV and Parquet, in order (lists joined with ';').
FLAT_COLUMNS = ("row", "id", "status", "outcome", "municipality", "decision_date", "reasons",
                "reason_kinds", "missing_facts", "paths", "end_date", "ruleset",
                "ruleset_hash", "errors")


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A batch record (compact) as one row of text cells: lists joined with ';', paths as
    ``p85=met;p82b=not_met``, errors as their codes and fields."""
    reasons = record.get("reasons") or []
    paths = record.get("paths") or {}
    return {
        "row": record["row"], "id": record.get("id"), "status": record["status"],
        "outcome": record.get("outcome"), "municipality": record.get("municipality"),
        "decision_date": record.get("decision_date"),
        "reasons": ";".join(r["code"] for r in reasons),
        "reason_kinds": ";".join(r["kind"] for r in reasons),
        "missing_facts": ";".join(record.get("missing_facts") or []),
        "paths": ";".join(f"{k}={v}" for k, v in paths.items()),
        "end_date": record.get("end_date"), "ruleset": record.get("ruleset"),
        "ruleset_hash": record.get("ruleset_hash"),
        "errors": ";".join(f"{e['code']}:{e['field']}" for e in record.get("errors") or []),
    }
