"""Errors as problem documents (RFC 9457, ``application/problem+json``), with the same codes,
field paths and hints as the library, in Danish or English.

A library error becomes a :class:`Problem` with the status its class calls for: 422 for a
profile that cannot be decided, 400 for a bad decision date or query, 404 for an unknown
municipality, 413 for a body over the limit, 500 for rule files with errors or an engine
failure. No problem carries a traceback; CPR numbers in a message are masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel, Field

from ..errors import (
    DiagnosticsError,
    EngineError,
    InputError,
    Message,
    ProfileError,
    RuleSetError,
    SpstotteError,
    UnknownMunicipalityError,
)
from ..texts import text
from .workers import mask_cpr_numbers

MEDIA_TYPE: Final = "application/problem+json"

#: The ``type`` of each kind of problem: a URN, as RFC 9457 allows, documented in
#: docs/service.md ("Errors").
TYPE_PREFIX: Final = "urn:spstotte:problem:"


class ProblemItem(BaseModel):
    """One problem found: the library's code, the field it is in, what and how to fix it."""

    code: str = Field(description="the library's code: P100 for a profile or request "
                                  "problem, R/Y/E codes for rule files and the engine")
    field: str = Field(description="where: the profile's field path (living_situation.kind), "
                                   "'on', 'municipality', or a query parameter")
    message: str
    hint: str | None = None


class Problem(BaseModel):
    """A problem document (RFC 9457)."""

    type: str = Field(description="urn:spstotte:problem:<kind>, or about:blank")
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = Field(default_factory=list)
    request_id: str | None = Field(default=None, description="the request's id, as in the "
                                   "X-Request-ID header and the service's log")


class ProblemError(Exception):
    """Raised by the service itself (not the library): a problem to answer with."""

    def __init__(self, status: int, kind: str, errors: Sequence[ProblemItem] = (),
                 **values: Any) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind
        self.errors = list(errors)
        self.values = values


def item(field: str, words: Message | str, hint: Message | str | None, lang: str,
         code: str = "P100") -> ProblemItem:
    """A problem item with its words in ``lang`` (CPR numbers masked)."""
    message = words.render(lang) if isinstance(words, Message) else words
    shown = hint.render(lang) if isinstance(hint, Message) else hint
    return ProblemItem(code=code, field=field, message=mask_cpr_numbers(message),
                       hint=mask_cpr_numbers(shown) if shown else None)


def problem(status: int, kind: str, lang: str, errors: Sequence[ProblemItem] = (), *,
            request_id: str | None = None, **values: Any) -> Problem:
    """The problem document of ``kind`` (``service.problems.<kind>`` in texts.yaml)."""
    values.setdefault("n", len(errors))
    values.setdefault("request_id", request_id or "-")
    return Problem(type=f"{TYPE_PREFIX}{kind.replace('_', '-')}",
                   title=text(f"service.problems.{kind}.title", lang),
                   status=status,
                   detail=mask_cpr_numbers(text(f"service.problems.{kind}.detail", lang,
                                                **values)),
                   errors=list(errors), request_id=request_id)


def from_library(exc: SpstotteError, lang: str, request_id: str | None = None) -> Problem:
    """The problem document of a library error."""
    if isinstance(exc, ProfileError):
        errors = [item(p.path, p.message_in(lang), p.hint_in(lang), lang)
                  for p in exc.problems]
        dated = bool(exc.problems) and all(p.path == "on" for p in exc.problems)
        return problem(400 if dated else 422, "bad_date" if dated else "invalid_profile",
                       lang, errors, request_id=request_id)
    if isinstance(exc, UnknownMunicipalityError):
        return problem(404, "unknown_municipality", lang,
                       [item("municipality", exc.text(lang), None, lang)],
                       request_id=request_id)
    if isinstance(exc, RuleSetError):
        return problem(500, "rule_set_errors", lang, _diagnostics(exc, lang),
                       request_id=request_id)
    if isinstance(exc, DiagnosticsError):
        return problem(500, "rule_set_errors", lang, _diagnostics(exc, lang),
                       request_id=request_id)
    if isinstance(exc, EngineError):
        return problem(500, "engine_error", lang, [item("", exc.text(lang), None, lang, code="E")],
                       request_id=request_id)
    if isinstance(exc, InputError):
        return problem(400, "bad_query", lang, [item("", exc.text(lang), None, lang)],
                       request_id=request_id)
    return problem(400, "bad_query", lang, [item("", exc.text(lang), None, lang)],
                   request_id=request_id)


def _diagnostics(exc: DiagnosticsError, lang: str) -> list[ProblemItem]:
    """The first problems of rule files: code, file:line:col, message and hint (no source
    lines: the files are the server's)."""
    return [item(str(d.span) if d.span else "", d.message_in(lang), d.hint_in(lang), lang,
                 code=d.code) for d in exc.diagnostics[:20]]


def language(query: str | None, accept_language: str | None) -> str:
    """``da`` or ``en``: the ``lang`` query parameter, else the first of Accept-Language's
    languages that is Danish or English (by weight), else English.

    >>> language(None, "da-DK,da;q=0.9,en;q=0.8"), language("en", "da"), language(None, None)
    ('da', 'en', 'en')
    """
    if query in ("da", "en"):
        return query
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = name.strip().lower().split("-")[0]
        if primary in ("da", "en"):
            ranked.append((-weight, index, primary))
    return min(ranked)[2] if ranked else "en"
