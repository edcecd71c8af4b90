"""The routes of the service (``/v1/...``, ``/health``, ``/version``): each reads its query,
hands the work to a worker process and answers with what the library gives.

The profile is read from the body as JSON in the worker, by the library, so that its problems
carry the library's codes and field paths; the OpenAPI document still names the profile model
as the body (see :func:`.app.openapi_schema`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ..errors import EngineError, Message
from . import workers
from .logs import note
from .models import BatchRecord, CompactRecord, Health, MunicipalityOut, Reloading, Versions
from .problems import MEDIA_TYPE, Problem, ProblemError, item

Lang = Literal["da", "en"]
DocFormat = Literal["markdown", "html", "text"]
LetterFormat = Literal["text", "markdown", "html"]

#: The media type of each document format.
MEDIA: Final = {"text": "text/plain; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
                "html": "text/html; charset=utf-8"}

#: Lines of a batch sent to a worker at a time, and chunks in flight per worker.
BATCH_CHUNK: Final = 256
IN_FLIGHT_PER_WORKER: Final = 3

PROFILE_BODY: Final = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/CitizenProfile"}}}}}
BATCH_BODY: Final = {"requestBody": {"required": True, "content": {"application/x-ndjson": {
    "schema": {"$ref": "#/components/schemas/CitizenProfile"}}}}}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem, "description": "a problem document (RFC 9457)"}
            for status in statuses}


def _text(*formats: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {MEDIA[f].split(";")[0]: {"schema": {"type": "string"}}
                              for f in formats}}}


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _pool(request: Request) -> workers.WorkerPool:
    pool: workers.WorkerPool = request.app.state.pool
    return pool


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with 413 as soon as it is over ``limit`` bytes."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise ProblemError(413, "body_too_large", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(413, "body_too_large", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _municipality_spec(value: str, name: str, lang: str) -> str:
    """A municipality as given over HTTP: never a file path or a git revision."""
    if (any(c in value for c in "/\\@:~") or value.startswith(".")
            or value.lower().endswith((".yaml", ".yml")) or len(value) > 80):
        words = Message.of("service.spec_not_municipality", spec=value[:60])
        raise ProblemError(400, "bad_query", [item(name, words,
                                                   Message.of("service.spec_hint"), lang)])
    return value


def _lang(request: Request) -> str:
    from .problems import language

    return language(request.query_params.get("lang"), request.headers.get("accept-language"))


def router() -> APIRouter:
    """The service's routes."""
    api = APIRouter()

    @api.get("/health", response_model=Health, tags=["service"])
    async def health() -> dict[str, str]:
        """The service is up."""
        return {"status": "ok"}

    @api.get("/version", response_model=Versions, tags=["service"])
    async def version(request: Request) -> Any:
        """The versions of the library and the engine, and the hash of each municipality's
        rule set in force today."""
        from importlib import metadata

        from ..library import library_version

        state = request.app.state
        pool = _pool(request)
        if state.hashes[0] != pool.generation:
            state.hashes = (pool.generation, await pool.call(workers.hashes))
        try:
            engine = metadata.version("durable_rules")
        except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
            engine = "unknown"
        return {"library": library_version(), "engine": engine, "rulesets": state.hashes[1]}

    @api.get("/v1/municipalities", response_model=list[MunicipalityOut], tags=["rules"])
    async def municipalities(request: Request) -> Any:
        """The municipalities with a rule set, and every version of each (its period and
        hash)."""
        state = request.app.state
        pool = _pool(request)
        if state.listing[0] != pool.generation:
            state.listing = (pool.generation, await pool.call(workers.municipalities))
        return JSONResponse(state.listing[1])

    @api.post("/v1/evaluate", tags=["decisions"], openapi_extra=PROFILE_BODY,
              response_class=Response,
              responses={200: {"model": CompactRecord | _verdict_model(),
                               "description": "the verdict (detail=full) or its compact "
                                              "record (detail=compact)"},
                         **_problems(400, 404, 413, 422, 500)})
    async def evaluate(request: Request,
                       municipality: Annotated[str, Query(
                           description="code, name or rule-set name")],
                       on: Annotated[str | None, Query(
                           description="decision date YYYY-MM-DD (default: today)")] = None,
                       detail: Literal["full", "compact"] = "full",
                       lang: Annotated[Lang | None, Query(
                           description="language of problems")] = None) -> Response:
        """Decide a citizen profile (the body) under a municipality's rule set."""
        body = await read_body(request, _settings(request).max_body)
        text, ruleset_hash = await _pool(request).call(
            workers.evaluate, body, _municipality_spec(municipality, "municipality",
                                                       _lang(request)), on, detail)
        note(ruleset_hash=ruleset_hash)
        return Response(text, media_type="application/json")

    @api.post("/v1/explain", tags=["decisions"], openapi_extra=PROFILE_BODY,
              response_class=Response,
              responses={**_text("text", "markdown", "html"),
                         **_problems(400, 404, 413, 422, 500)})
    async def explain(request: Request, municipality: str, on: str | None = None,
                      format: LetterFormat = "text", lang: Lang = "da") -> Response:
        """The draft decision letter for a citizen profile (the body)."""
        body = await read_body(request, _settings(request).max_body)
        text, ruleset_hash = await _pool(request).call(
            workers.explain, body, _municipality_spec(municipality, "municipality", lang),
            on, format, lang)
        note(ruleset_hash=ruleset_hash)
        return Response(text, media_type=MEDIA[format])

    @api.post("/v1/batch", tags=["decisions"], openapi_extra=BATCH_BODY,
              response_class=StreamingResponse,
              responses={200: {"model": BatchRecord, "content": {"application/x-ndjson": {}},
                               "description": "one record per line of the body, in order"},
                         **_problems(400, 404, 413, 500)})
    async def batch(request: Request, municipality: str | None = None, on: str | None = None,
                    detail: Literal["compact", "full"] = "compact",
                    lang: Lang | None = None) -> StreamingResponse:
        """Decide many profiles: JSON Lines in (a row may give its own ``id``,
        ``municipality`` and ``on``), one record per line out, in order, streamed."""
        pool = _pool(request)
        if municipality is not None:
            municipality = _municipality_spec(municipality, "municipality", _lang(request))
            note(ruleset_hash=await pool.call(workers.check, municipality, on))
        body = await read_body(request, _settings(request).max_batch_body)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProblemError(400, "bad_query", [item("", Message.of("service.body_utf8"),
                Message.of("service.body_json_hint"), _lang(request))]) from None
        del body
        lines = text.split("\n")
        return StreamingResponse(_batch_records(pool, lines, municipality, on, detail),
                                 media_type="application/x-ndjson")

    @api.get("/v1/rulebook/{municipality}", tags=["rules"], response_class=Response,
             responses={**_text("markdown", "html", "text"), **_problems(400, 404, 500)})
    async def rulebook(request: Request, municipality: str, on: str | None = None,
                       format: DocFormat = "markdown", lang: Lang = "da") -> Response:
        """A municipality's rules written out for people."""
        text, ruleset_hash = await _pool(request).call(
            workers.rulebook, _municipality_spec(municipality, "municipality", lang), on,
            format, lang)
        note(ruleset_hash=ruleset_hash)
        return Response(text, media_type=MEDIA[format])

    @api.get("/v1/diff", tags=["rules"], response_class=Response,
             responses={**_text("markdown", "html", "text"), **_problems(400, 404, 500)})
    async def diff(request: Request,
                   a: Annotated[str, Query(description="a municipality (never a file)")],
                   b: Annotated[str, Query(description="a municipality (never a file)")],
                   on: str | None = None, format: DocFormat = "markdown",
                   lang: Lang = "en") -> Response:
        """What differs between two municipalities' rule sets."""
        text = await _pool(request).call(
            workers.diff, _municipality_spec(a, "a", lang), _municipality_spec(b, "b", lang),
            on, format, lang)
        return Response(text, media_type=MEDIA[format])

    @api.get("/v1/schemas/{kind}", tags=["rules"], response_class=Response,
             responses={200: {"content": {"application/schema+json": {
                 "schema": {"type": "object"}}}}, **_problems(404)})
    async def schema(request: Request, kind: str) -> Response:
        """The JSON Schema of rule files (``rules``), profiles (``profile``) or scenario
        files (``scenarios``)."""
        from ..schema import SCHEMAS

        if kind not in SCHEMAS:
            words = Message.of("service.unknown_schema", kind=kind[:40],
                               kinds=tuple(sorted(SCHEMAS)))
            raise ProblemError(404, "not_found", [item("kind", words, None, _lang(request))],
                               path=request.url.path)
        return Response(_schema_text(kind), media_type="application/schema+json")

    @api.post("/v1/admin/reload", response_model=Reloading, status_code=202,
              tags=["service"], responses=_problems(404))
    async def reload(request: Request) -> dict[str, Any]:
        """Re-read the rule files (only when started with ``--reload-endpoint``): requests
        being decided finish on the rules they began with."""
        if not _settings(request).reload_endpoint:
            raise ProblemError(404, "reload_disabled")
        return {"status": "reloading", "generation": _pool(request).reload()}

    return api


def _verdict_model() -> Any:
    from ..verdict.model import Verdict

    return Verdict


_SCHEMA_TEXT: dict[str, str] = {}


def _schema_text(kind: str) -> str:
    from ..schema import schema_json

    if kind not in _SCHEMA_TEXT:
        _SCHEMA_TEXT[kind] = schema_json(kind)
    return _SCHEMA_TEXT[kind]


async def _batch_records(pool: workers.WorkerPool, lines: list[str], municipality: str | None,
                         on: str | None, detail: workers.Detail) -> AsyncIterator[str]:
    """The records of a batch's lines, chunk by chunk in order, with a few chunks per worker
    in flight (memory stays flat however many records go out)."""
    from .logs import access_log, request_id

    in_flight = pool.workers * IN_FLIGHT_PER_WORKER
    pending: deque[asyncio.Future[tuple[str, int, int]]] = deque()
    records = errors = 0
    try:
        for start in range(0, len(lines), BATCH_CHUNK):
            pending.append(asyncio.ensure_future(_batch_chunk(
                pool, start + 1, lines[start:start + BATCH_CHUNK], municipality, on, detail)))
            while len(pending) >= in_flight:
                out, n, e = await pending.popleft()
                records, errors = records + n, errors + e
                yield out
        while pending:
            out, n, e = await pending.popleft()
            records, errors = records + n, errors + e
            yield out
    finally:
        for future in pending:
            future.cancel()
        access_log.info("batch done", extra={"records": records, "errors": errors,
                                             "request_id": request_id()})


async def _batch_chunk(pool: workers.WorkerPool, first: int, lines: list[str],
                       municipality: str | None, on: str | None,
                       detail: workers.Detail) -> tuple[str, int, int]:
    """A chunk of a batch's lines decided in a worker: the records as JSON Lines, how many,
    how many errors. A chunk on which the engine crashed its worker, again in fresh workers
    (:meth:`~.workers.WorkerPool.call`), is decided again line by line, one chunk at a time
    (other chunks in flight may have been lost to the same crash): a line that crashes fresh
    workers too is an error record (E303) and the others are decided as usual. Fresh workers
    are what costs, a line alone only a round trip (see batch/run.py, ``_isolated``)."""
    try:
        return await pool.call(workers.batch_chunk, first, "\n".join(lines), municipality, on,
                               detail)
    except EngineError:
        async with pool.recovering:
            return await _line_by_line(pool, first, lines, municipality, on, detail)


async def _line_by_line(pool: workers.WorkerPool, first: int, lines: list[str],
                        municipality: str | None, on: str | None,
                        detail: workers.Detail) -> tuple[str, int, int]:
    out: list[str] = []
    records = errors = 0
    for number, line in enumerate(lines, start=first):
        try:
            text, n, e = await pool.call(workers.batch_chunk, number, line, municipality, on,
                                         detail)
        except EngineError:
            if not line.strip():
                continue
            text, n, e = workers.crashed_line(number, line), 1, 1
        out.append(text)
        records, errors = records + n, errors + e
    return "".join(out), records, errors


__all__ = ["MEDIA_TYPE", "router"]
