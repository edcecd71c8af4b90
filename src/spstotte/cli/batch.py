"""``spstotte batch``: decide a caseload file (JSON Lines or CSV) into records.

One record per input row, in input order; rows that cannot be decided go to the error file
with their line numbers and are counted. An interrupt (Ctrl-C) leaves a valid output file and
says how far it got; ``--resume`` continues from there.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from ..errors import ExitCode, InputError, Message
from ..loader import read_bounded

if TYPE_CHECKING:
    from ..batch.output import Encoded


def add_parser(sub: Any, lang_help: str) -> None:
    ba = sub.add_parser("batch", help="decide a caseload (JSON Lines or CSV) into records")
    ba.add_argument("input", help="JSON Lines or CSV file, one citizen per row; '-' reads stdin")
    ba.add_argument("--municipality", "-m",
                    help="for rows without a municipality column (code, name or rule set)")
    ba.add_argument("--on", help="decision date for rows without one, YYYY-MM-DD "
                                 "(default: today)")
    ba.add_argument("--output", "-o", default="-",
                    help="output file (.jsonl, .csv or .parquet); '-' writes stdout (default)")
    ba.add_argument("--input-format", choices=("jsonl", "csv"),
                    help="default: from the input file's suffix, else jsonl")
    ba.add_argument("--format", choices=("jsonl", "csv", "parquet"),
                    help="output format (default: from the output file's suffix, else jsonl)")
    ba.add_argument("--errors", metavar="FILE",
                    help="where rows that cannot be decided go, as JSON Lines (default: "
                         "OUTPUT.errors.jsonl, or batch.errors.jsonl for stdout)")
    ba.add_argument("--detail", choices=("compact", "full"), default="compact",
                    help="compact records (default) or whole verdicts with their trail "
                         "(JSON Lines only)")
    ba.add_argument("--workers", type=int, default=None,
                    help="processes to decide in (default: the number of CPUs)")
    ba.add_argument("--resume", action="store_true",
                    help="continue an interrupted run: keep OUTPUT's records, decide the rest")
    ba.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary")
    ba.add_argument("--lang", choices=("da", "en"), help=lang_help)
    ba.add_argument("--rules", help="law layer folder (default: the bundled rules/)")
    ba.add_argument("--municipalities", action="append",
                    help="folder of municipal rule sets (repeatable; default: bundled)")


def run_batch(args: argparse.Namespace, out: TextIO) -> int:
    from ..batch.output import RecordWriter, cut_errors, format_of, resume_point
    from ..batch.rows import raw_rows
    from ..batch.run import BatchSettings, decide_encoded
    from ..library import RuleLibrary
    from ..project import project_of
    from ..texts import text

    lang = args.report_lang
    in_fmt = format_of(args.input, args.input_format, "jsonl")
    out_fmt = format_of(args.output, args.format, "jsonl")
    if in_fmt not in ("jsonl", "csv"):
        raise InputError(Message.of("errors.batch_input_format", format=in_fmt))
    to_stdout = args.output == "-"
    if to_stdout and args.resume:
        raise InputError(Message.of("errors.resume_stdout"))
    errors_path = Path(args.errors) if args.errors else Path(
        "batch.errors.jsonl" if to_stdout else f"{args.output}.errors.jsonl")
    done = 0
    if args.resume:
        done = resume_point(Path(args.output), out_fmt)  # type: ignore[arg-type]
        cut_errors(errors_path, done)
    elif errors_path.is_file():
        errors_path.unlink()  # the errors of an earlier run (never a device such as /dev/null)
    # The progress line's time left needs the number of rows: counted (a pass over the file)
    # only when the line is shown.
    show_progress = sys.stderr.isatty() and not args.quiet
    total = _count_rows(args.input, in_fmt) if show_progress else None
    source: IO[str] = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
                       if args.input == "-" else
                       open(args.input, encoding="utf-8-sig", newline=""))
    try:
        # The header of a CSV file is read and checked here, before any output is written.
        reader, raws = raw_rows(source, in_fmt)  # type: ignore[arg-type]
        todo = ((number, raw) for number, raw in raws if number > done)
        library = RuleLibrary.from_options(args.rules, args.municipalities, project_of(args))
        settings = BatchSettings.of(library, municipality=args.municipality, on=args.on,
                                    detail=args.detail)
        workers = args.workers or os.cpu_count() or 1
        with _output(args, out_fmt) as stream, _ErrorFile(errors_path) as errors_file:
            writer = RecordWriter(stream, out_fmt, args.detail,  # type: ignore[arg-type]
                                  header=not (args.resume and done > 0))
            tally = _Tally(done)
            progress = _Progress(total, time.monotonic(),
                                 enabled=show_progress, lang=lang)
            try:
                for record in decide_encoded(todo, reader, settings, out_fmt,  # type: ignore[arg-type]
                                             library=library, workers=workers):
                    if record.error is not None:
                        errors_file.write(record.error)
                    writer.write_encoded(record)
                    tally.add(record)
                    progress.tick(tally.written)
            except KeyboardInterrupt:
                writer.close()
                progress.clear()
                sys.stderr.write(text("command.batch_interrupted", lang, written=tally.written,
                                      row=tally.last_row, output=args.output) + "\n")
                return ExitCode.INTERRUPTED
            writer.close()
            progress.clear()
    finally:
        source.close()
    if not args.quiet:
        sys.stderr.write(summary(tally.outcomes, tally.written, tally.failed,
                                 time.monotonic() - progress.started, lang,
                                 errors_path if tally.failed else None))
    return ExitCode.OK


class _ErrorFile:
    """The error file, created (or appended to) when the first row fails: a run without
    errors leaves none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def write(self, line: str) -> None:
        if self._handle is None:
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(line)
        self._handle.flush()

    def __enter__(self) -> _ErrorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


class _Tally:
    """What a run has written so far."""

    def __init__(self, done: int) -> None:
        self.outcomes: Counter[str] = Counter()
        self.written = self.failed = 0
        self.last_row = done

    def add(self, record: Encoded) -> None:
        self.written += 1
        self.last_row = record.row
        if record.status == "error":
            self.failed += 1
            self.outcomes["error"] += 1
        else:
            self.outcomes[str(record.outcome)] += 1


@contextlib.contextmanager
def _output(args: argparse.Namespace, fmt: str) -> Iterator[IO[Any]]:
    """The output stream: standard output, or the file (appended to with --resume)."""
    if args.output == "-":
        yield sys.stdout.buffer if fmt == "parquet" else sys.stdout
        return
    if fmt == "parquet":
        with open(args.output, "wb") as handle:
            yield handle
        return
    with open(args.output, "a" if args.resume else "w", encoding="utf-8",
              newline="") as text_handle:
        yield text_handle


def summary(outcomes: Counter[str], written: int, failed: int, elapsed: float, lang: str,
            errors_path: Path | None) -> str:
    """The table of outcomes after a run."""
    from ..texts import text

    lines = [text("command.batch_summary", lang, rows=written, seconds=f"{elapsed:.1f}",
                  rate=f"{written / elapsed:,.0f}" if elapsed > 0 else "-")]
    width = max((len(k) for k in outcomes), default=8)
    for outcome, n in sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0])):
        share = 100 * n / written if written else 0
        lines.append(f"  {outcome:<{width}}  {n:>9,}  {share:5.1f} %")
    if errors_path is not None:
        lines.append(text("command.batch_errors", lang, n=failed, file=str(errors_path)))
    return "\n".join(lines) + "\n"


def _count_rows(path: str, fmt: str) -> int | None:
    """How many rows a file has (for the progress bar's ETA); None for standard input."""
    if path == "-":
        return None
    try:
        raw = read_bounded(path) if os.path.getsize(path) < 64 << 20 else None
    except OSError:
        return None
    if raw is None:
        with open(path, "rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    else:
        lines = raw.count(b"\n")
    return max(lines - (1 if fmt == "csv" else 0), 0)


class _Progress:
    """A one-line progress bar on standard error (rows, rows per second, time left)."""

    def __init__(self, total: int | None, started: float, *, enabled: bool, lang: str) -> None:
        self.total, self.started, self.enabled, self.lang = total, started, enabled, lang
        self._last = 0.0

    def tick(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-9)
        line = f"{done:,} rows  {rate:,.0f}/s"
        if self.total:
            left = max(self.total - done, 0) / rate if rate else 0
            line = (f"{done:,}/{self.total:,} rows ({100 * done / self.total:.0f} %)  "
                    f"{rate:,.0f}/s  ETA {int(left // 60)}:{int(left % 60):02d}")
        sys.stderr.write("\r" + line.ljust(70))
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()
