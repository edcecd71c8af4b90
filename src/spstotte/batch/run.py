"""Deciding a caseload: rows in, one record per row out, in input order, nothing lost.

:func:`evaluate_many` takes profiles (or :class:`~.rows.Row` objects read from a file) and
yields one record per row: the compact record of its verdict (``detail="compact"``), the whole
verdict (``"full"``), or, for a row that could not be decided, its problems. With ``workers``
above 1 the rows are decided in that many processes (the engine holds the GIL, so threads would
not help), each compiling the rule sets it needs once; at most a few chunks of rows are in
flight at any time, so memory stays flat however long the input is.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ..errors import (
    DiagnosticsError,
    EngineError,
    Message,
    ProfileError,
    ProfileProblem,
    SpstotteError,
    UnknownMunicipalityError,
    diagnostic_words,
)
from ..library import Backend, RuleLibrary
from .output import Encoded, OutputFormat, encode
from .rows import ROW_KEYS, Row, RowReader

Detail = Literal["compact", "full"]

#: Rows sent to a worker at a time, and chunks in flight per worker: enough to keep every
#: worker busy, few enough that memory does not grow with the input.
CHUNK = 256
IN_FLIGHT_PER_WORKER = 3

#: Rows set aside because the engine crashed on them (E303) before a run stops: each costs
#: three restarts of the workers, so an engine that crashes on row after row would make the
#: run crawl rather than fail.
MAX_CRASHED_ROWS = 10


@dataclass(frozen=True)
class BatchSettings:
    """What every row is decided with (sent to each worker process)."""

    law_dir: str | None = None
    municipality_dirs: tuple[str, ...] | None = None
    municipality: str | int | None = None
    on: str | None = None
    detail: Detail = "compact"
    backend: Backend = "rete"

    @classmethod
    def of(cls, library: RuleLibrary | None, **settings: Any) -> BatchSettings:
        """Settings that give each worker a library over ``library``'s folders (the
        bundled rule files for ``None``)."""
        if library is None:
            return cls(**settings)
        return cls(law_dir=str(library.law_dir),
                   municipality_dirs=tuple(str(d) for d in library.municipality_dirs),
                   **settings)

    def library(self) -> RuleLibrary:
        """A library over the settings' folders (the bundled rule files by default)."""
        if self.law_dir is None and self.municipality_dirs is None:
            from ..library import default_library

            return default_library()
        return RuleLibrary(self.law_dir, list(self.municipality_dirs or []) or None)


def decide_row(library: RuleLibrary, settings: BatchSettings, row: Row) -> dict[str, Any]:
    """The output record of one row: ``status`` ``decided`` with the verdict (compact or
    full), or ``error`` with the row's problems (``errors``: code, field, message, hint)."""
    record: dict[str, Any] = {"row": row.number, "id": row.id}
    problems: list[tuple[str, str, str, str | None]] = [
        ("P100", p.path, p.message_in("en"), p.hint_in("en")) for p in row.problems]
    municipality = row.municipality if row.municipality is not None else settings.municipality
    if municipality is None and not problems:
        missing = ProfileProblem.of("municipality", "row_no_municipality")
        problems.append(("P100", missing.path, missing.message_in("en"), missing.hint_in("en")))
    if not problems:
        assert municipality is not None
        try:
            if settings.detail == "full":
                decided: dict[str, Any] = json.loads(library.evaluate(
                    row.profile, municipality=municipality, on=row.on or settings.on,
                    backend=settings.backend).model_dump_json())
            else:
                decided = library.evaluate_compact(row.profile, municipality=municipality,
                                                   on=row.on or settings.on,
                                                   backend=settings.backend)
        except ProfileError as exc:
            problems = [("P100", p.path, p.message_in("en"), p.hint_in("en"))
                        for p in exc.problems]
        except UnknownMunicipalityError as exc:
            problems = [("P100", "municipality", str(exc), None)]
        except DiagnosticsError as exc:
            problems = [(d.code, "", d.one_line("en"), None) for d in exc.diagnostics[:5]]
        except SpstotteError as exc:
            problems = [("P100", "", str(exc), None)]
        else:
            record["status"] = "decided"
            record.update(decided)
            return record
    record.update(status="error", outcome=None, errors=[
        {"code": code, "field": field, "message": message, "hint": hint}
        for code, field, message, hint in problems])
    return record


def crashed_row(row: Row) -> dict[str, Any]:
    """The record of a row on which the rule engine stopped its worker process, again when
    decided alone (E303): set aside, so that the run goes on."""
    message, hint = diagnostic_words("E303", "row_crashed")
    return {"row": row.number, "id": row.id, "status": "error", "outcome": None, "errors": [
        {"code": "E303", "field": "", "message": message.render("en"),
         "hint": None if hint is None else hint.render("en")}]}


def as_rows(items: Iterable[Mapping[str, Any] | Row]) -> Iterator[Row]:
    """Profiles (each may carry ``id``, ``municipality`` and ``on``) as numbered rows."""
    for number, item in enumerate(items, start=1):
        if isinstance(item, Row):
            yield item
            continue
        if not isinstance(item, Mapping):
            yield Row(number, problems=[ProfileProblem.of("", "not_mapping",
                                                          got=type(item).__name__)])
            continue
        data = dict(item)
        row = Row(number, profile={k: v for k, v in data.items() if k not in ROW_KEYS})
        row.id = None if data.get("id") is None else str(data["id"])
        row.municipality = data.get("municipality")
        row.on = None if data.get("on") is None else str(data["on"])
        yield row


def evaluate_many(items: Iterable[Mapping[str, Any] | Row], *,
                  municipality: str | int | None = None, on: str | None = None,
                  library: RuleLibrary | None = None, detail: Detail = "compact",
                  workers: int = 1, backend: Backend = "rete") -> Iterator[dict[str, Any]]:
    """Decide many citizens: one record per input, in input order, never fewer.

    Args:
        items: profiles (mappings; ``id``, ``municipality`` and ``on`` keys give a row its
            own id, municipality and decision date) or rows read by :func:`read_rows`.
        municipality: for rows that do not name one.
        on: the decision date for rows that do not give one (default: today).
        library: the rule files to use (default: the bundled ones); with ``workers``, each
            worker builds a library over the same folders.
        detail: ``"compact"`` records (outcome, reasons' codes and kinds, missing facts,
            paths, dates, the rule set's hash) or ``"full"`` verdicts.
        workers: processes to decide in (1: in this process). A row on which the rule
            engine crashes its worker process is decided again alone in a fresh one, and set
            aside as an error record (code E303) if it crashes that one too.

    Yields:
        Records with ``row`` (the input's line or number), ``id`` and ``status``
        (``decided``, or ``error`` with ``errors``: code, field, message and hint).

    Example:
        >>> from spstotte import evaluate_many
        >>> rows = [{"id": "a", "birth_date": "2000-05-01", "residence_municipality": 265,
        ...          "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
        ...          "support_need": "moderate", "met_by_open_offers": False,
        ...          "met_by_advice": False, "covered_by_provision": [],
        ...          "specialist_treatment_sought": False, "applicant": "self"},
        ...         {"id": "b", "support_need": "extreme"}]
        >>> [(r["id"], r["status"], r.get("outcome"))
        ...  for r in evaluate_many(rows, municipality=265, on="2026-11-23")]
        [('a', 'decided', 'granted_85'), ('b', 'error', None)]
    """
    settings = BatchSettings.of(library, municipality=municipality, on=on, detail=detail,
                                backend=backend)
    rows = as_rows(items)
    if workers <= 1:
        own = library if library is not None else settings.library()
        for row in rows:
            yield decide_row(own, settings, row)
        return
    yield from _in_processes(rows, settings, workers)


def decide_encoded(raws: Iterator[tuple[int, Any]], reader: RowReader,
                   settings: BatchSettings, fmt: OutputFormat, *,
                   library: RuleLibrary | None = None,
                   workers: int = 1) -> Iterator[Encoded]:
    """Raw rows (:func:`~.rows.raw_rows`) read, decided and made ready to write in format
    ``fmt``, one per row, in input order: what ``spstotte batch`` writes. With ``workers``,
    each worker process reads, decides and encodes its own rows, so the parent only splits
    the input and writes."""
    if workers <= 1:
        own = library if library is not None else settings.library()
        for number, raw in raws:
            yield encode(decide_row(own, settings, reader.row(number, raw)), fmt)
        return
    def crashed(item: tuple[int, Any]) -> Encoded:
        return encode(crashed_row(reader.row(*item)), fmt)

    for encoded, _ in in_worker_processes(raws, workers, _start_worker,
                                          (settings, reader, fmt), _decide_raw_chunk,
                                          crashed):
        yield from encoded


# -- worker processes ---------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _start_worker(settings: BatchSettings, reader: RowReader | None = None,
                  fmt: OutputFormat | None = None) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    _WORKER["settings"] = settings
    _WORKER["library"] = settings.library()
    _WORKER["reader"] = reader
    _WORKER["format"] = fmt


def _decide_raw_chunk(chunk: list[tuple[int, Any]]) -> list[Encoded]:
    settings: BatchSettings = _WORKER["settings"]
    library: RuleLibrary = _WORKER["library"]
    reader: RowReader = _WORKER["reader"]
    fmt: OutputFormat = _WORKER["format"]
    return [encode(decide_row(library, settings, reader.row(number, raw)), fmt)
            for number, raw in chunk]


def _decide_chunk(chunk: list[Row]) -> list[dict[str, Any]]:
    settings: BatchSettings = _WORKER["settings"]
    library: RuleLibrary = _WORKER["library"]
    return [decide_row(library, settings, row) for row in chunk]


def _in_processes(rows: Iterator[Row], settings: BatchSettings,
                  workers: int) -> Iterator[dict[str, Any]]:
    for records, _ in in_worker_processes(rows, workers, _start_worker, (settings,),
                                          _decide_chunk, crashed_row):
        yield from records


_T = TypeVar("_T")
_Item = TypeVar("_Item")


def in_worker_processes(rows: Iterator[_Item], workers: int, start: Callable[..., None],
                        args: tuple[Any, ...], work: Callable[[list[_Item]], list[_T]],
                        crashed: Callable[[_Item], _T] | None = None
                        ) -> Iterator[tuple[list[_T], list[_Item]]]:
    """``work`` on chunks of ``rows`` in ``workers`` processes (each set up by
    ``start(*args)``): each chunk's results with the chunk, in input order, with at most
    :data:`IN_FLIGHT_PER_WORKER` chunks per worker in flight.

    A worker process that dies (the rule engine is C code: a crash on one row takes its
    process with it) loses the chunks in flight. With ``crashed``, they are decided again in
    fresh workers, row by row once the chunk kills a worker again; a row that kills one by
    itself is ``crashed(row)`` and the run goes on. Without it, or if fresh workers cannot
    even start, the run stops with :class:`EngineError`."""
    if crashed is not None:
        crashed = _at_most(MAX_CRASHED_ROWS, crashed)
    pool = _Pool(workers, start, args)
    pending: deque[tuple[list[_Item], Future[list[_T]]]] = deque()
    chunks = iter(lambda: list(itertools.islice(rows, CHUNK)), [])
    try:
        for chunk in chunks:
            pending.append((chunk, pool.submit(work, chunk)))
            while len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield _settled(pool, pending, work, crashed)
        while pending:
            yield _settled(pool, pending, work, crashed)
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown()


def _at_most(limit: int, crashed: Callable[[_Item], _T]) -> Callable[[_Item], _T]:
    """``crashed``, until it has been called ``limit`` times: then the run stops."""
    count = 0

    def set_aside(item: _Item) -> _T:
        nonlocal count
        count += 1
        if count > limit:
            raise EngineError(Message.of("errors.workers_crashing", rows=limit))
        return crashed(item)

    return set_aside


class _Pool:
    """A process pool that can be started again after a worker died.

    It fails visibly: if the workers cannot start (the caller's main module cannot be imported
    again, as from `python -` or without an `if __name__ == "__main__":` guard), the pool is
    broken and says so, where multiprocessing.Pool would restart them for ever."""

    def __init__(self, workers: int, start: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.workers, self._start, self._args = workers, start, args
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=self._start, initargs=self._args)

    def submit(self, work: Callable[[list[_Item]], list[_T]],
               items: list[_Item]) -> Future[list[_T]]:
        return self._executor.submit(work, items)

    def restart(self, work: Callable[[list[_Item]], list[_T]]) -> None:
        """Fresh workers, checked to start (they do no work on no rows); EngineError if they
        cannot."""
        self.shutdown()
        self._executor = self._new()
        try:
            self._executor.submit(work, []).result()
        except BrokenProcessPool:
            raise EngineError(Message.of("errors.workers_failed",
                                         workers=self.workers)) from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _settled(pool: _Pool, pending: deque[tuple[list[_Item], Future[list[_T]]]],
             work: Callable[[list[_Item]], list[_T]],
             crashed: Callable[[_Item], _T] | None) -> tuple[list[_T], list[_Item]]:
    """The first chunk in flight, decided: decided again in fresh workers if a worker died
    (every chunk in flight is lost then, so the others are sent again too)."""
    chunk, future = pending.popleft()
    try:
        return future.result(), chunk
    except BrokenProcessPool:
        if crashed is None:
            raise EngineError(Message.of("errors.workers_failed",
                                         workers=pool.workers)) from None
    pool.restart(work)
    results = _isolated(pool, chunk, work, crashed)
    for k, (other, _) in enumerate(pending):
        pending[k] = (other, pool.submit(work, other))
    return results, chunk


def _isolated(pool: _Pool, items: list[_Item], work: Callable[[list[_Item]], list[_T]],
              crashed: Callable[[_Item], _T]) -> list[_T]:
    """``work`` on ``items`` in fresh workers. If a worker dies on them again, each row is
    decided alone, in order, so that only a row that kills a worker by itself is set aside.

    Fresh workers are what costs (a new process builds its library: about half a second),
    a row alone only a round trip: one row that kills its worker costs three restarts (the
    chunk, the chunk again, the row), where halving the chunk would cost log2(CHUNK) + 2."""
    try:
        return pool.submit(work, items).result()
    except BrokenProcessPool:
        pool.restart(work)
    results: list[_T] = []
    for item in items:
        try:
            results += pool.submit(work, [item]).result()
        except BrokenProcessPool:
            pool.restart(work)
            results.append(crashed(item))
    return results
