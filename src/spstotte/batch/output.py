"""Writing a caseload's records: JSON Lines, CSV or Parquet, and the error file.

Records are written one at a time, each whole (a line of JSON Lines or CSV ends with its
newline), so an interrupted run leaves a valid file that ``--resume`` continues. Parquet
(``pip install spstotte[parquet]``) is written in row groups and cannot be resumed.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from ..errors import InputError, Message
from .compact import FLAT_COLUMNS, flat
from .jsonlines import json_line

OutputFormat = Literal["jsonl", "csv", "parquet"]


def format_of(path: str, given: str | None, default: str) -> str:
    """The format named by ``--format``, else by the file's suffix, else ``default``."""
    if given:
        return given
    suffix = Path(path).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
            ".parquet": "parquet"}.get(suffix, default)


class Encoded(NamedTuple):
    """A record made ready to write, where it was decided (a worker process): what the
    summary counts, and the output and error-file text. A record in this form costs little to
    send from a worker; the record itself costs more than its JSON text."""

    row: int
    status: str
    outcome: str | None
    #: The JSON Lines line, or the CSV/Parquet row (:func:`~.compact.flat`).
    payload: str | dict[str, Any]
    #: The error file's line, for a row that could not be decided.
    error: str | None


def encode(record: dict[str, Any], fmt: OutputFormat) -> Encoded:
    """A record ready for a :class:`RecordWriter` of format ``fmt``."""
    payload: str | dict[str, Any] = (
        json_line(record) + "\n"
        if fmt == "jsonl" else flat(record))
    failed = record["status"] == "error"
    return Encoded(record["row"], record["status"], record.get("outcome"), payload,
                   error_entry(record) if failed else None)


class RecordWriter:
    """Writes records in one format to a binary or text stream."""

    def __init__(self, stream: IO[Any], fmt: OutputFormat, detail: str,
                 header: bool = True) -> None:
        if fmt != "jsonl" and detail == "full":
            raise InputError(Message.of("errors.full_needs_jsonl", format=fmt))
        self.fmt = fmt
        self.stream = stream
        self._csv: Any = None
        self._parquet: Any = None
        self._buffer: list[dict[str, Any]] = []
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=FLAT_COLUMNS, lineterminator="\n")
            if header:
                self._csv.writeheader()
        elif fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise InputError(Message.of("errors.parquet_extra")) from None

    def write(self, record: dict[str, Any]) -> None:
        """Write one record."""
        self.write_encoded(encode(record, self.fmt))

    def write_encoded(self, encoded: Encoded) -> None:
        """Write one record made ready by :func:`encode` with this writer's format."""
        payload = encoded.payload
        if self.fmt == "jsonl":
            assert isinstance(payload, str)
            self.stream.write(payload)
        elif self.fmt == "csv":
            self._csv.writerow(payload)
        else:
            assert isinstance(payload, dict)
            self._buffer.append(payload)
            if len(self._buffer) >= 50_000:
                self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=_parquet_schema())
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.stream, table.schema)
        self._parquet.write_table(table)
        self._buffer = []

    def close(self) -> None:
        if self.fmt == "parquet":
            self._flush_parquet()
            if self._parquet is not None:
                self._parquet.close()
        self.stream.flush()


def _parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, pa.int64() if name in ("row", "municipality") else pa.string())
                      for name in FLAT_COLUMNS])


def error_entry(record: dict[str, Any]) -> str:
    """The error file's line for a row that could not be decided."""
    return json.dumps({"row": record["row"], "id": record.get("id"),
                       "errors": record.get("errors", [])},
                      ensure_ascii=False, separators=(",", ":")) + "\n"


def resume_point(path: Path, fmt: OutputFormat) -> int:
    """The input row (line number) the records already in ``path`` reach, after cutting a
    last record an interruption left half written; 0 for an empty or missing file."""
    if not path.exists():
        return 0
    if fmt == "parquet":
        raise InputError(Message.of("errors.resume_parquet"))
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        with path.open("r+b") as handle:
            handle.truncate(len(whole))
    lines = whole.decode("utf-8").splitlines()
    if fmt == "jsonl":
        return int(json.loads(lines[-1])["row"]) if lines else 0
    rows = list(csv.DictReader(lines))
    return int(rows[-1]["row"]) if rows else 0


def cut_errors(path: Path, after: int) -> None:
    """Drop error-file entries of rows past ``after`` (written just before an interrupt)."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if line.endswith("\n") and int(json.loads(line)["row"]) <= after]
    path.write_text("".join(kept), encoding="utf-8")
