"""The service's worker processes: every decision, letter, rulebook and diff is made in one of
them, so that a slow request does not hold up the others (the engine holds Python's GIL, so
threads would not help; see batch/run.py for why ``spawn`` and a ``ProcessPoolExecutor``).

Each worker holds its own :class:`~spstotte.library.RuleLibrary`. A reload raises the pool's
*generation*; every task carries the generation it was sent with, and a worker that sees a
newer one calls the library's safe :meth:`~spstotte.library.RuleLibrary.reload` before the
task. A worker decides one task at a time, so a task it has begun finishes on the rules it
began with; unchanged rule sets keep their compiled networks across a reload.

The functions run in the workers take and give plain data (strings, dicts): a verdict travels
as its JSON text, not as a model to pickle.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import multiprocessing
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from ..errors import EngineError, Message
from ..library import RuleLibrary

Detail = Literal["compact", "full"]

log = logging.getLogger("spstotte.service")

#: A CPR number anywhere in a text (with or without the hyphen): masked to ``DDMMYY-****``
#: before the text leaves the service, in a response or in the log.
_CPR: Final = re.compile(r"(?<![0-9])([0-3][0-9][01][0-9][0-9]{2})[ -]?([0-9]{4})(?![0-9])")


def mask_cpr_numbers(text: str) -> str:
    """``text`` with every CPR-shaped number masked as the library masks a CPR number.

    >>> mask_cpr_numbers("cpr 010190-1234 and 0101901234; date 2026-11-23")
    'cpr 010190-**** and 010190-****; date 2026-11-23'
    """
    return _CPR.sub(r"\1-****", text)


@dataclass(frozen=True)
class WorkerSettings:
    """What each worker builds its library from."""

    law_dir: str | None = None
    municipality_dirs: tuple[str, ...] | None = None

    def library(self) -> RuleLibrary:
        return RuleLibrary(self.law_dir, list(self.municipality_dirs)
                           if self.municipality_dirs else None)


# -- in the worker ------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _start(settings: WorkerSettings) -> None:
    import signal

    # The server decides what an interrupt or a hang-up means; the workers carry on with the
    # task in hand and end when the pool is shut down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    _STATE["library"] = settings.library()
    _STATE["generation"] = 0


def _library(generation: int) -> RuleLibrary:
    library: RuleLibrary = _STATE["library"]
    if generation > _STATE["generation"]:
        library.reload()
        _STATE["generation"] = generation
    return library


def _run(generation: int, task: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return task(_library(generation), *args)


def warm(library: RuleLibrary) -> int:
    """Compile every municipality's rule set in force today (the first request need not)."""
    done = 0
    for info in library.municipalities():
        try:
            library.ruleset(info.slug)
            done += 1
        except Exception:  # a broken or expired rule set is reported when it is asked for
            continue
    return done


def parse_body(body: bytes) -> Any:
    """A request body read as JSON (:class:`ProfileError` at the profile if it is not)."""
    from ..errors import Message, ProfileError, ProfileProblem

    hint = Message.of("service.body_json_hint")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProfileError([ProfileProblem.from_words("", Message.of("service.body_utf8"),
                                                      hint)]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        words = Message.of("service.body_json", reason=exc.msg, line=exc.lineno, col=exc.colno)
    except RecursionError:
        words = Message.of("service.body_json", reason="nested too deeply", line=1, col=1)
    raise ProfileError([ProfileProblem.from_words("", words, hint)])


def check(library: RuleLibrary, municipality: str, on: str | None) -> str:
    """The municipality's rule set in force on ``on`` (its errors raised): a batch is
    refused before its first row if it names no rule set."""
    return library.ruleset(municipality, on).content_hash


def evaluate(library: RuleLibrary, body: bytes, municipality: str, on: str | None,
             detail: Detail) -> tuple[str, str]:
    """The verdict (or compact record) as JSON text, and the rule set's hash."""
    profile = parse_body(body)
    if detail == "compact":
        record = library.evaluate_compact(profile, municipality=municipality, on=on)
        return json.dumps(record, ensure_ascii=False), str(record.get("ruleset_hash", ""))
    verdict = library.evaluate(profile, municipality=municipality, on=on)
    return verdict.model_dump_json(), verdict.record.ruleset_hash


def explain(library: RuleLibrary, body: bytes, municipality: str, on: str | None, fmt: str,
            lang: str) -> tuple[str, str]:
    """The draft letter, and the rule set's hash."""
    from ..render.decision import decision_text

    profile = parse_body(body)
    verdict = library.evaluate(profile, municipality=municipality, on=on)
    return (decision_text(verdict, lang, fmt, library=library),  # type: ignore[arg-type]
            verdict.record.ruleset_hash)


def batch_chunk(library: RuleLibrary, first_line: int, text: str, municipality: str | None,
                on: str | None, detail: Detail) -> tuple[str, int, int]:
    """A chunk of JSON Lines (starting at line ``first_line`` of the body) decided: the
    records as JSON Lines, how many records, how many of them errors."""
    from ..batch.rows import read_rows
    from ..batch.run import BatchSettings, decide_row

    settings = BatchSettings(municipality=municipality, on=on, detail=detail)
    out: list[str] = []
    errors = 0
    for row in read_rows(io.StringIO(text), "jsonl"):
        row.number += first_line - 1
        if row.id is not None:
            row.id = mask_cpr_numbers(row.id)
        record = decide_row(library, settings, row)
        if record["status"] == "error":
            errors += 1
            for problem in record["errors"]:
                problem["message"] = mask_cpr_numbers(problem["message"])
        out.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in out), len(out), errors


def crashed_line(number: int, line: str) -> str:
    """The record of a batch line on which the engine crashed its worker, again in fresh
    workers (E303), as a JSON Lines line; read here, in the server, since no worker can."""
    from ..batch.rows import RowReader
    from ..batch.run import crashed_row

    row = RowReader("jsonl").row(number, line)
    if row.id is not None:
        row.id = mask_cpr_numbers(row.id)
    return json.dumps(crashed_row(row), ensure_ascii=False) + "\n"


def rulebook(library: RuleLibrary, municipality: str, on: str | None, fmt: str,
             lang: str) -> tuple[str, str]:
    from ..render.rulebooks import rulebook as write

    ruleset = library.ruleset(municipality, on)
    return write(ruleset, fmt, lang), ruleset.content_hash  # type: ignore[arg-type]


def diff(library: RuleLibrary, a: str, b: str, on: str | None, fmt: str, lang: str) -> str:
    from ..render.diff import diff_markdown, diff_rulesets

    first, second = library.ruleset(a, on), library.ruleset(b, on)
    return diff_markdown(diff_rulesets(first, second, lang), lang, fmt)  # type: ignore[arg-type]


def municipalities(library: RuleLibrary) -> list[dict[str, Any]]:
    """Each municipality with a rule set, and each version of it (its period and hash)."""
    listed: list[dict[str, Any]] = []
    for info in library.municipalities():
        try:
            versions = [{"valid_from": _day(v.period.valid_from),
                         "valid_to": _day(v.period.valid_to), "hash": v.content_hash}
                        for v in library.versions(info.slug)]
        except Exception as exc:  # a broken rule set is listed without versions
            log.warning("rule set %s cannot be read: %s", info.slug, type(exc).__name__)
            versions = []
        listed.append({"slug": info.slug, "code": info.code, "name": info.name,
                       "versions": versions})
    return listed


def hashes(library: RuleLibrary) -> dict[str, str | None]:
    """The hash of each municipality's rule set in force today (None: none is)."""
    found: dict[str, str | None] = {}
    for info in library.municipalities():
        try:
            found[info.slug] = library.ruleset(info.slug).content_hash
        except Exception:
            found[info.slug] = None
    return found


def _day(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


# -- in the server ------------------------------------------------------------------------------

_T = TypeVar("_T")


class WorkerPool:
    """``workers`` processes that each hold a library; :meth:`call` awaits a task's result."""

    def __init__(self, settings: WorkerSettings, workers: int) -> None:
        self.settings = settings
        self.workers = max(1, workers)
        self.generation = 0
        self._lock = threading.Lock()
        self._executor = self._new_executor()
        #: Held while a batch chunk that crashed the engine is decided again line by line, one
        #: chunk at a time, so that a line is set aside only for a crash of its own.
        self.recovering = asyncio.Lock()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start,
                                   initargs=(self.settings,))

    def start(self) -> None:
        """Start every worker and compile the rule sets in force today, before the first
        request (raises if the workers cannot start)."""
        futures = [self._submit(warm) for _ in range(self.workers * 2)]
        for future in futures:
            future.result()

    def _submit(self, task: Callable[..., _T], *args: Any) -> Future[_T]:
        with self._lock:
            return self._executor.submit(_run, self.generation, task, args)

    async def call(self, task: Callable[..., _T], *args: Any) -> _T:
        """``task(library, *args)`` in a worker.

        The rule engine is C code: a crash takes its worker process with it, and the pool
        loses every task it held. The pool is then replaced and the task sent once more (it
        may have been lost to another request's crash); if it breaks the fresh pool too, it
        is the task that crashes the engine, and :class:`EngineError` answers it. Either way
        the service goes on with fresh workers."""
        for _ in range(2):
            with self._lock:
                executor = self._executor
            try:
                future = executor.submit(_run, self.generation, task, args)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self._replace(executor)
        raise EngineError(Message.of("errors.request_crashed"))

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """New workers for a pool whose worker died (once, however many tasks saw it)."""
        with self._lock:
            if self._executor is not broken:
                return
            self._executor = self._new_executor()
        log.warning("a worker process stopped; the workers were started again")
        broken.shutdown(wait=False, cancel_futures=True)

    def reload(self) -> int:
        """Have every worker re-read the rule files before its next task; returns the new
        generation. Tasks already begun finish on the rules they began with."""
        with self._lock:
            self.generation += 1
            generation = self.generation
        log.info("rule sets reloading", extra={"generation": generation})
        return generation

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
