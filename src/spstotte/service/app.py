"""The service as a FastAPI application: :func:`create_app` ties the routes (:mod:`.api`), the
page (:mod:`.page`), the worker processes (:mod:`.workers`), problem documents for every error
(:mod:`.problems`) and the request log (:mod:`.logs`) together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Message, SpstotteError
from .api import router
from .logs import RequestMiddleware, request_id
from .problems import MEDIA_TYPE, Problem, ProblemError, from_library, item, language, problem
from .workers import WorkerPool, WorkerSettings

log = logging.getLogger("spstotte.service")


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs (``spstotte serve``'s options)."""

    law_dir: str | None = None
    municipality_dirs: tuple[str, ...] | None = None
    #: Worker processes deciding requests.
    workers: int = 2
    #: ``POST /v1/admin/reload`` answers (off by default: SIGHUP reloads too).
    reload_endpoint: bool = False
    #: The largest body of one profile, in bytes.
    max_body: int = 1_000_000
    #: The largest body of a batch, in bytes.
    max_batch_body: int = 64_000_000


def _lang(request: Request) -> str:
    return language(request.query_params.get("lang"), request.headers.get("accept-language"))


def _answer(document: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(document.model_dump(mode="json"), status_code=document.status,
                        media_type=MEDIA_TYPE, headers=headers)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service's application; its worker processes start with the application (the
    lifespan) and stop with it."""
    settings = settings or ServiceSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(WorkerSettings(settings.law_dir, settings.municipality_dirs),
                          settings.workers)
        app.state.pool = pool
        await asyncio.to_thread(pool.start)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, pool.reload)
        try:
            yield
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
                loop.remove_signal_handler(signal.SIGHUP)
            await asyncio.to_thread(pool.close)

    from ..library import library_version

    app = FastAPI(title="spstotte", version=library_version(), lifespan=lifespan,
                  description="Eligibility for socialpædagogisk støtte (serviceloven § 85) "
                              "and straksforløb (§ 82 b), per municipality, over HTTP. "
                              "Errors are problem documents (RFC 9457). See docs/service.md.")
    app.state.settings = settings
    app.state.hashes = (-1, {})
    app.state.listing = (-1, [])
    app.include_router(router())
    from .page import page_router

    app.include_router(page_router())

    @app.exception_handler(SpstotteError)
    async def library_error(request: Request, exc: SpstotteError) -> JSONResponse:
        document = from_library(exc, _lang(request), request_id())
        if document.status >= 500:
            log.error("%s", document.title, extra={"error_type": type(exc).__name__})
        return _answer(document)

    @app.exception_handler(ProblemError)
    async def service_error(request: Request, exc: ProblemError) -> JSONResponse:
        return _answer(problem(exc.status, exc.kind, _lang(request), exc.errors,
                               request_id=request_id(), **exc.values))

    @app.exception_handler(RequestValidationError)
    async def query_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = _lang(request)
        errors = [_query_item(error, lang) for error in exc.errors()[:20]]
        return _answer(problem(400, "bad_query", lang, errors, request_id=request_id()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = _lang(request)
        if exc.status_code == 405:
            document = problem(405, "method_not_allowed", lang, request_id=request_id(),
                               method=request.method, path=request.url.path[:200])
        elif exc.status_code == 404:
            document = problem(404, "not_found", lang, request_id=request_id(),
                               path=request.url.path[:200])
        else:
            document = problem(400, "bad_query", lang, request_id=request_id())
            document.status = exc.status_code
        return _answer(document, dict(exc.headers or {}))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RequestMiddleware)
    return app


def _query_item(error: Any, lang: str) -> Any:
    """A query parameter's problem in the library's form (P100, the parameter, words)."""
    name = str(error.get("loc", ("", ""))[-1])
    kind = error.get("type", "")
    if kind == "missing":
        words = Message.of("service.query_missing", name=name)
    elif kind in ("literal_error", "enum"):
        expected = (error.get("ctx") or {}).get("expected", "")
        words = Message.of("service.query_choice", name=name, choices=str(expected))
    else:
        words = Message.of("service.query_invalid", name=name)
    return item(name, words, Message.of("service.query_hint"), lang)


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the library's models (the profile, the verdict) among its
    components and problems as ``application/problem+json``."""
    from ..profile import CitizenProfile
    from ..verdict.model import Verdict

    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(CitizenProfile, "validation"), (Verdict, "serialization"), (Problem, "serialization")],
        ref_template="#/components/schemas/{model}")
    for name, schema in definitions.get("$defs", {}).items():
        components.setdefault(name, schema)
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if str(status)[0] in "45" and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")
                if str(status) == "422" and "HTTPValidationError" in str(content):
                    content[MEDIA_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return document
