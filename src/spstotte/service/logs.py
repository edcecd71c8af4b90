"""The service's log: the standard ``logging`` module, one JSON object per line when asked
for (``spstotte serve --log-format json``), each request with its id and the hash of the rule
set each decision was made under.

No personal data is logged: never a profile, a body or a query string, only the method, the
path, the status, the time taken, the request id and the rule set's hash. An error is logged
with its type and where it happened, not its message (which may quote the input); every
message is passed through :func:`~spstotte.service.workers.mask_cpr_numbers` as a last guard.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from .workers import mask_cpr_numbers

#: What is known of the request being served: its id and the rule set's hash (set by the
#: route that decides). A dict, so that a route running in another task can fill it in.
REQUEST: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "spstotte_request", default=None)

#: The extra fields a log record may carry into the JSON line.
FIELDS: Final = ("request_id", "method", "path", "status", "duration_ms", "ruleset_hash",
                 "generation", "records", "errors", "error_type", "where", "workers", "host",
                 "port")

#: A request id a client may give (X-Request-ID); anything else is replaced by a new one (and
#: a CPR number in it is masked).
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._:*-]{1,64}")

access_log = logging.getLogger("spstotte.service.access")
error_log = logging.getLogger("spstotte.service.error")


def note(**values: Any) -> None:
    """Add fields (``ruleset_hash``) to the access-log line of the request being served."""
    current = REQUEST.get()
    if current is not None:
        current.update(values)


def request_id() -> str | None:
    """The id of the request being served."""
    current = REQUEST.get()
    return None if current is None else str(current["request_id"])


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and the known fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_cpr_numbers(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = (mask_cpr_numbers(value) if isinstance(value, str)
                              and name != "ruleset_hash" else value)
        if "request_id" not in data and (rid := request_id()) is not None:
            data["request_id"] = rid
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS
                          if getattr(record, name, None) is not None)
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        return mask_cpr_numbers(f"{when} {record.levelname.lower()} {record.name} "
                                f"{record.getMessage()} {fields}".rstrip())


def configure(fmt: str = "text", level: str = "info") -> None:
    """Log to standard error, as JSON lines (``fmt`` ``json``) or text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own access log would write the query string: ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


def where(exc: BaseException) -> str:
    """Where an exception was raised (file:line in function, innermost last), without its
    message, which may quote the input."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}"
                      for f in reversed(frames))


class RequestMiddleware:
    """Gives each request an id (its X-Request-ID if it is a plain token, else a new one),
    returns it in the response's X-Request-ID, logs one access line per request, and turns
    an exception no route handled into a 500 problem document without a traceback."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = (mask_cpr_numbers(given) if given and _REQUEST_ID.fullmatch(given)
               else uuid.uuid4().hex)
        state: dict[str, Any] = {"request_id": rid, "status": 500}
        token = REQUEST.set(state)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        response_started = False

        async def send_with_id(message: Any) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                state["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", rid.encode())]}
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self._log(scope, state, started)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_log.error("unhandled %s", type(exc).__name__,
                            extra={"error_type": type(exc).__name__, "where": where(exc),
                                   "request_id": rid})
            if not response_started:
                await _send_internal(scope, send_with_id, rid)
            else:
                self._log(scope, state, started)
        finally:
            REQUEST.reset(token)

    @staticmethod
    def _log(scope: Any, state: dict[str, Any], started: float) -> None:
        if state.get("logged"):
            return
        state["logged"] = True
        access_log.info("%s %s %s", scope["method"], scope["path"], state["status"], extra={
            "request_id": state["request_id"], "method": scope["method"],
            "path": scope["path"], "status": state["status"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "ruleset_hash": state.get("ruleset_hash"), "records": state.get("records"),
            "errors": state.get("errors")})


def _header(scope: Any, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _send_internal(scope: Any, send: Any, rid: str) -> None:
    from urllib.parse import parse_qs

    from .problems import MEDIA_TYPE, language, problem

    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    lang = language(query, _header(scope, b"accept-language"))
    body = problem(500, "internal", lang, request_id=rid).model_dump_json().encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
