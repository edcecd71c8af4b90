"""The shapes of the service's answers that are not library models, for the OpenAPI document:
the compact record, a batch record, the municipalities and the versions. (The profile and the
verdict are the library's own models; the problem document is in :mod:`.problems`.)"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CompactReason(BaseModel):
    code: str
    kind: str


class CompactRecord(BaseModel):
    """The compact record of a verdict (``detail=compact``; docs/batch.md, "What comes
    out")."""

    outcome: str
    municipality: int
    decision_date: str
    reasons: list[CompactReason]
    missing_facts: list[str]
    paths: dict[str, str] = Field(description="each path (p85, p82b) and its status")
    end_date: str | None = Field(description="the end of a § 82 b course")
    ruleset: str
    ruleset_hash: str


class BatchError(BaseModel):
    code: str
    field: str
    message: str
    hint: str | None = None


class BatchRecord(BaseModel):
    """One line of a batch's answer: the row's line in the body, its id, and its compact
    record (or whole verdict, ``detail=full``), or its problems."""

    row: int
    id: str | None
    status: Literal["decided", "error"]
    outcome: str | None = None
    errors: list[BatchError] | None = None


class VersionOut(BaseModel):
    valid_from: str | None
    valid_to: str | None
    hash: str


class MunicipalityOut(BaseModel):
    slug: str
    code: int
    name: str
    versions: list[VersionOut]


class Health(BaseModel):
    status: Literal["ok"]


class Versions(BaseModel):
    library: str
    engine: str
    rulesets: dict[str, str | None] = Field(
        description="each municipality's rule set in force today, by its hash")


class Reloading(BaseModel):
    status: Literal["reloading"]
    generation: int
