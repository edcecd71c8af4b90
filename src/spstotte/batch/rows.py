"""Reading a caseload: JSON Lines or CSV, one citizen per row, each row with its line number.

A row is never lost: a line that is not JSON, a CSV value that is not a yes/no, a row without a
municipality, all become rows *with problems*, which the batch writes to its error file and
counts, and the run goes on. Problems of the file as a whole (an unknown CSV column, a file that
cannot be read) stop the run before the first row, with a typed error.

CSV is read as people write it (docs/batch.md): a column is named by the profile field
(``birth_date``, ``living_situation.kind``) or its Danish label (``fødselsdato``,
``bopælskommune``); ``ja``/``nej``, ``true``/``false`` and ``1``/``0`` for yes/no fields; an
empty cell is *unknown*; lists are separated by ``;``. The columns ``id``, ``municipality``
(``kommune``) and ``on`` (``afgørelsesdato``) give a row its own id, municipality and decision
date.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from pydantic import BaseModel

from ..errors import InputError, Message, ProfileProblem, value_words
from ..profile import CitizenProfile
from .jsonlines import read_json

#: The keys of a JSON Lines row (and the CSV columns) that are not profile fields.
ROW_KEYS = ("id", "municipality", "on")

#: Danish names of the row columns.
_ROW_ALIASES = {"id": "id", "kommune": "municipality", "municipality": "municipality",
                "afgørelsesdato": "on", "on": "on", "decision_date": "on", "dato": "on"}

InputFormat = Literal["jsonl", "csv"]


@dataclass
class Row:
    """One input row: where it is (``number``: the line of the file it starts on), its own id,
    municipality and decision date if it gives them, and the profile data; or the problems
    that kept it from being read."""

    number: int
    id: str | None = None
    municipality: str | int | None = None
    on: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    problems: list[ProfileProblem] = field(default_factory=list)


def read_rows(stream: IO[str], fmt: InputFormat) -> Iterator[Row]:
    """The rows of a JSON Lines or CSV text stream, in order."""
    reader, raws = raw_rows(stream, fmt)
    return (reader.row(number, raw) for number, raw in raws)


@dataclass(frozen=True)
class RowReader:
    """Turns a raw row (a JSON Lines line, or a CSV record's cells) into a :class:`Row`.

    Reading is split in two so that a caseload's worker processes do the second half: the
    parent only splits the input into raw rows (cheap to send to a process), and each worker
    parses its own (a parsed profile costs more to send than to parse)."""

    fmt: InputFormat
    #: For CSV: each column's target (profile field, dotted sub-field or row key) and kind.
    mapping: tuple[tuple[str, str], ...] = ()

    def row(self, number: int, raw: Any) -> Row:
        """The row read from line ``number``."""
        if self.fmt == "jsonl":
            return _jsonl_row(number, raw)
        return _csv_row(number, raw, self.mapping)


def raw_rows(stream: IO[str], fmt: InputFormat) -> tuple[RowReader, Iterator[tuple[int, Any]]]:
    """How to read the stream's rows, and its raw rows with their line numbers (blank ones
    left out). A CSV header is read and checked at once (:class:`InputError` if a column is
    unknown)."""
    if fmt == "jsonl":
        return RowReader("jsonl"), ((number, line) for number, line in enumerate(stream, 1)
                                    if line and not line.isspace())
    return _csv_raw_rows(stream)


def _jsonl_row(number: int, line: str) -> Row:
    try:
        data = read_json(line)
    except json.JSONDecodeError as exc:
        return Row(number, problems=[ProfileProblem.of("", "json_line", reason=exc.msg,
                                                       col=exc.colno)])
    if not isinstance(data, dict):
        return Row(number, problems=[ProfileProblem.of("", "not_mapping",
                                                       got=value_words(data))])
    return _row(number, data)


def _row(number: int, data: dict[str, Any]) -> Row:
    row = Row(number)
    ident = data.pop("id", None)
    row.id = None if ident is None else str(ident)
    municipality = data.pop("municipality", None)
    if municipality is not None and not isinstance(municipality, (str, int)):
        row.problems.append(ProfileProblem.of("municipality", "row_municipality",
                                              value=repr(municipality)[:40]))
    else:
        row.municipality = municipality
    on = data.pop("on", None)
    if on is not None and not isinstance(on, str):
        row.problems.append(ProfileProblem.of("on", "decision_date", value=repr(on)[:40]))
    else:
        row.on = on
    row.profile = data
    return row


# -- CSV ----------------------------------------------------------------------------------------

Kind = Literal["bool", "list", "text", "nested"]


def _unwrap(annotation: Any) -> Any:
    """The type inside ``Optional[...]`` and ``Annotated[...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _kind(annotation: Any) -> Kind:
    inner = _unwrap(annotation)
    if inner is bool:
        return "bool"
    if typing.get_origin(inner) in (frozenset, list, tuple, set):
        return "list"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "nested"
    return "text"


def csv_columns() -> dict[str, tuple[str, Kind]]:
    """Every CSV column name the batch reads (field names, dotted sub-fields, Danish labels,
    all in lower case) and the profile field and kind it stands for."""
    from ..texts import text

    columns: dict[str, tuple[str, Kind]] = {}
    for name, info in CitizenProfile.model_fields.items():
        kind = _kind(info.annotation)
        if name == "assessments":
            continue  # not one cell: give assessments in JSON Lines
        if kind == "nested":
            model = _unwrap(info.annotation)
            for sub, sub_info in model.model_fields.items():
                dotted = f"{name}.{sub}"
                columns[dotted] = (dotted, _kind(sub_info.annotation))
                _alias(columns, dotted, dotted, _kind(sub_info.annotation), text)
            continue
        columns[name] = (name, kind)
        _alias(columns, name, name, kind, text)
    return columns


def _alias(columns: dict[str, tuple[str, Kind]], fact: str, field_name: str, kind: Kind,
           text: Any) -> None:
    """The Danish label of a field as a column name too (``fødselsdato``)."""
    try:
        label = text(f"facts.{fact}.label", "da")
    except Exception:
        return
    key = _normal(label)
    if key and key not in columns:
        columns[key] = (field_name, kind)


def _normal(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


#: A list cell that says "none of them" (an empty cell says "not known").
_EMPTY_LIST = {"-", "ingen", "none", "[]"}
_YES = {"ja", "j", "yes", "y", "true", "sand", "1"}
_NO = {"nej", "n", "no", "false", "falsk", "0"}


def _cell(value: str, kind: Kind) -> Any:
    """One CSV cell as profile data (``None``: unknown); ValueError for a bad yes/no."""
    value = value.strip()
    if not value:
        return None
    if kind == "bool":
        lowered = value.lower()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        raise ValueError(value)
    if kind == "list":
        if value.lower() in _EMPTY_LIST:
            return []  # known to be none (an empty cell is unknown)
        return [item.strip() for item in value.split(";") if item.strip()]
    return value


#: Danish column names besides the fields' labels (lower case): what a case system's export
#: or a caseworker's spreadsheet is likely to call them.
DANISH_COLUMNS = {
    "fødselsdato": "birth_date", "cpr": "cpr", "cpr-nummer": "cpr", "cpr-nr": "cpr",
    "kommune": "municipality", "bopælskommune": "residence_municipality",
    "boform": "living_situation.kind",
    "anbragt af kommune": "living_situation.placed_by_municipality",
    "anvisende kommune": "living_situation.placed_by_municipality",
    "opholdskommune": "living_situation.usual_stay_municipality",
    "fysisk funktionsevne": "physical_impairment", "psykisk funktionsevne": "mental_impairment",
    "sociale problemer": "social_problems", "støttebehov": "support_need",
    "åbne tilbud": "met_by_open_offers", "rådgivning": "met_by_advice",
    "andre bestemmelser": "covered_by_provision", "nuværende hjælp": "current_help",
    "specialiseret behandling": "specialist_treatment_sought",
    "forbedring forventet": "improvement_expected", "i risiko": "at_risk",
    "ansøger": "applicant", "samtykke": "consent",
    "straksforløb accepteret": "accepts_straksforloeb",
    "særlige sociale problemer": "particular_social_problems", "akut": "urgent",
    "støtteområder": "requested_support_areas", "motiveret": "motivated",
    "kan deltage i grupper": "able_to_attend_groups",
}


def _csv_raw_rows(stream: IO[str]) -> tuple[RowReader, Iterator[tuple[int, Any]]]:
    """The header is read (and checked) at once; the records as they are asked for."""
    first = stream.readline()
    if not first.strip():
        return RowReader("csv"), iter(())
    # The separator is the header's: ';' (Danish spreadsheets), ',' or a tab. Lists inside a
    # cell are separated by ';' too, so in a ';' file a list cell is quoted.
    delimiter = max((";", ",", "\t"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    columns = csv_columns()
    mapping: list[tuple[str, str]] = []
    for i, raw in enumerate(header):
        name = _normal(raw).lstrip("\ufeff")
        if name in _ROW_ALIASES:
            mapping.append((_ROW_ALIASES[name], "row"))
        elif name in columns:
            mapping.append(columns[name])
        elif name in DANISH_COLUMNS and DANISH_COLUMNS[name] in _ROW_ALIASES.values():
            mapping.append((DANISH_COLUMNS[name], "row"))
        elif name in DANISH_COLUMNS:
            mapping.append(columns[DANISH_COLUMNS[name]])
        else:
            known = [*columns, *_ROW_ALIASES, *DANISH_COLUMNS]
            close = difflib.get_close_matches(name, known, n=1)
            raise InputError(Message.of("errors.csv_column", column=raw[:60], number=i + 1,
                                        suggestion=close[0] if close else "-"))
    return (RowReader("csv", tuple(mapping)),
            _csv_records(csv.reader(stream, delimiter=delimiter)))


def _csv_records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on."""
    line = 1  # the header's
    for record in reader:
        number = line + 1
        line = reader.line_num + 1
        if any(cell.strip() for cell in record):
            yield number, record


def _csv_row(number: int, record: list[str], mapping: tuple[tuple[str, str], ...]) -> Row:
    data: dict[str, Any] = {}
    row = Row(number)
    if len(record) > len(mapping):
        row.problems.append(ProfileProblem.of("", "csv_cells", got=len(record),
                                              expected=len(mapping)))
    for (target, kind), cell in zip(mapping, record, strict=False):
        if kind == "row":
            setattr(row, target, cell.strip() or None)
            continue
        try:
            value = _cell(cell, kind)  # type: ignore[arg-type]
        except ValueError:
            row.problems.append(ProfileProblem.of(target, "csv_yes_no", value=cell[:40]))
            continue
        if value is None:
            continue
        if "." in target:
            outer, inner = target.split(".", 1)
            data.setdefault(outer, {})[inner] = value
        else:
            data[target] = value
    row.profile = data
    return row
