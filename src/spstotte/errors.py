"""The library's errors: one base class, errors as data (code, span, values), text second.

Every error a user can cause is a :class:`SpstotteError`. Rule-file problems are collected per
file and raised together as one :class:`RuleSetError`, so policy staff fix a file in one pass.

A problem is data: its code, where it is and the values it names (a key, a rule id, the
allowed values). Its words are in the text catalogue (``diagnostics.yaml``, ``diagnostics:``), in
Danish and English, and are filled in with those values when the problem is shown, in the
language asked for (``Diagnostic.format(lang)``). ``message`` and ``hint`` hold the English
text, for code and JSON consumers that read them. The catalogue of codes is
:data:`ERROR_CODES` (its words are in ``diagnostics.yaml`` too, ``error_codes:``);
``docs/errors.md`` and ``docs/fejl.md`` are generated from it.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Final

#: The languages every text is written in.
LANGUAGES: Final = ("da", "en")

#: The values a text is filled in with, as (name, value) pairs: hashable, so that equal
#: problems compare equal.
Args = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, order=True)
class Span:
    """A position in a file: 1-based line and column (counted in characters).

    ``path`` is where the file is on disk, when it was read from one: the report shows the
    line from it (``file`` is the name shown, relative to the working directory)."""

    file: str
    line: int
    col: int
    path: Path | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Severity(StrEnum):
    """How serious a diagnostic is. ``--strict`` turns warnings into errors; a note only
    informs (an override of the law layer, listed so that a reviewer sees every one)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Localized:
    """A value written in both languages (a rule's reason, a title): the one of the language
    the text is shown in is filled in."""

    da: str
    en: str


@dataclass(frozen=True)
class Message:
    """A text of the catalogue (``texts.yaml``, ``diagnostics.yaml``; by dotted ``key``) and
    the values it is filled in with. A value may itself be a :class:`Message` (a phrase such
    as "did you mean ..."), a :class:`Localized`, or a tuple (listed with commas); each is
    shown in the language of the text around it.

    >>> Message.of("problems.did_you_mean", suggestion="moderate").render("da")
    "mente du 'moderate'? "
    """

    key: str
    args: Args = ()

    @classmethod
    def of(cls, key: str, /, **values: Any) -> Message:
        """The text ``key`` with these values (lists become tuples)."""
        return cls(key, _freeze(values))

    def render(self, lang: str = "en") -> str:
        """The text in ``da`` or ``en``, filled in."""
        from .texts import entry

        return _fill(entry(self.key)["da" if lang == "da" else "en"], self.args, lang)

    def __str__(self) -> str:
        return self.render("en")


class CatalogueError(RuntimeError):
    """The text catalogue (texts.yaml, diagnostics.yaml) cannot be read: a broken installation
    or a bad edit."""


class MessageError(ValueError):
    """A ``ValueError`` whose words are a :class:`Message` (its ``str`` is the English text):
    raised by validators and helpers, so that the problem they report is shown in the reader's
    language wherever it ends up."""

    def __init__(self, message: Message, hint: Message | None = None) -> None:
        super().__init__(message.render("en"))
        self.message = message
        self.hint = hint

    @classmethod
    def of(cls, code: str, variant: str, /, **values: Any) -> MessageError:
        """The error in the words of ``diagnostics.<code>.<variant>`` (message and hint)."""
        message, hint = diagnostic_words(code, variant, **values)
        return cls(message, hint)

    def __reduce__(self) -> tuple[type[MessageError], tuple[Message, Message | None]]:
        return (type(self), (self.message, self.hint))


def diagnostic_words(code: str, variant: str | None, /,
                     **values: Any) -> tuple[Message, Message | None]:
    """The message and hint (None if it has none) of ``diagnostics.<code>[.<variant>]``."""
    key = "diagnostics." + (code if variant is None else f"{code}.{variant}")
    args = _freeze(values)
    hint = Message(f"{key}.hint", args) if "hint" in _entry(key) else None
    return Message(f"{key}.message", args), hint


def suggestion(value: str | None) -> Message | str:
    """The phrase "did you mean 'x'? " that opens a hint, or nothing when there is no
    suggestion."""
    return Message.of("problems.did_you_mean", suggestion=value) if value else ""


def value_words(value: object) -> Message:
    """What a value is, in words: "the text 'x'", "the number 5", "a list", ...; for messages
    that say what was written where something else was expected."""
    if isinstance(value, bool):
        return Message.of("problems.values.bool", value=str(value).lower())
    if isinstance(value, (int, float)):
        return Message.of("problems.values.number", number=value)
    if isinstance(value, str):
        return Message.of("problems.values.text", text=value[:40])
    if isinstance(value, (list, tuple)):
        return Message.of("problems.values.list" if value else "problems.values.empty_list")
    if isinstance(value, dict):
        return Message.of("problems.values.mapping")
    if value is None:
        return Message.of("problems.values.nothing")
    return Message.of("problems.values.other", kind=type(value).__name__)


def _freeze(values: dict[str, Any]) -> Args:
    return tuple((name, _frozen(value)) for name, value in values.items())


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return tuple(_frozen(item) for item in items)
    return value


def _shown(value: Any, lang: str) -> Any:
    """A value as it is filled into a text of language ``lang``."""
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Localized):
        return value.da if lang == "da" else value.en
    if isinstance(value, tuple):
        return ", ".join(str(_shown(item, lang)) for item in value)
    return value


def _fill(template: str, args: Args, lang: str) -> str:
    return template.format(**{name: _shown(value, lang) for name, value in args})


def _word(key: str, lang: str) -> str:
    """A word around every problem ("error", "hint"), from the catalogue."""
    from .texts import entry

    try:
        return entry(f"report.{key}")["da" if lang == "da" else "en"]
    except CatalogueError:  # a problem in the catalogue itself: in the words of the code
        return key


class _Shown:
    """How a problem is shown, in ``da`` or ``en``: its headline (each kind of problem has its
    own), the line of the file with a caret under the column, and the hint. Shared by
    :class:`Diagnostic` and :class:`ProfileProblem`."""

    span: Span | None
    hint: str | None
    hint_words: Message | None

    def headline(self, lang: str = "en") -> str:  # pragma: no cover - each kind has its own
        raise NotImplementedError

    def hint_in(self, lang: str) -> str | None:
        """The hint in ``da`` or ``en`` (None if there is none)."""
        return self.hint_words.render(lang).strip() if self.hint_words is not None \
            else self.hint

    def format(self, lang: str = "en", *, excerpt: bool = False) -> str:
        """The headline (``file:line:col: error[CODE] message``); with ``excerpt``, the line of
        the file with a caret under the column (when the file can be read); then the hint on a
        line of its own."""
        lines = [self.headline(lang)]
        if excerpt:
            lines += source_excerpt(self.span)
        hint = self.hint_in(lang)
        if hint:
            lines.append(f"  {_word('hint', lang)}: {hint}")
        return "\n".join(lines)

    def one_line(self, lang: str = "en") -> str:
        """The problem on a single line (hint after a semicolon), for logs and JUnit."""
        hint = self.hint_in(lang)
        return self.headline(lang) + (f"; {_word('hint', lang)}: {hint}" if hint else "")


@dataclass(frozen=True)
class Diagnostic(_Shown):
    """One problem found in a rule file, scenario file, profile file or settings file.

    Made with :meth:`of` from a code (and, where a code has several messages, a variant) and
    the values its words name: ``words`` and ``hint_words`` are then catalogue texts, shown in
    Danish or English by :meth:`format`, and ``message`` and ``hint`` hold the English text. A
    diagnostic made from a message alone (``Diagnostic("R104", "...")``) shows that message in
    every language.
    """

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    #: The message as a catalogue text with its values (None: ``message`` as it is).
    words: Message | None = None
    #: The hint as a catalogue text with its values (None: ``hint`` as it is).
    hint_words: Message | None = None

    @classmethod
    def of(cls, code: str, variant: str | None, span: Span | None, /, *,
           severity: Severity = Severity.ERROR, **values: Any) -> Diagnostic:
        """The diagnostic ``code`` (``variant``: which of the code's messages) at ``span``,
        with the values its words name: ``diagnostics.yaml``,
        ``diagnostics.<code>[.<variant>]``.

        >>> d = Diagnostic.of("R102", "key", Span("x.yaml", 3, 5), key="title")
        >>> d.message, d.message_in("da")
        ("missing key 'title'", "nøglen 'title' mangler")
        """
        try:
            words, hint = diagnostic_words(code, variant, **values)
        except CatalogueError:  # a problem in the catalogue itself: said without its words
            return cls(code, f"{variant or code} {_freeze(values)}", span, None, severity)
        return cls.from_words(code, span, words, hint, severity)

    @classmethod
    def from_words(cls, code: str, span: Span | None, words: Message,
                   hint: Message | None = None,
                   severity: Severity = Severity.ERROR) -> Diagnostic:
        """The diagnostic ``code`` with these words (e.g. a :class:`MessageError`'s)."""
        shown = hint.render("en").strip() if hint else ""
        return cls(code, words.render("en"), span, shown or None, severity, words,
                   hint if shown else None)

    @property
    def args(self) -> Args:
        """The values the words are filled in with."""
        return self.words.args if self.words is not None else ()

    def message_in(self, lang: str) -> str:
        """The message in ``da`` or ``en``."""
        return self.words.render(lang) if self.words is not None else self.message

    def headline(self, lang: str = "en") -> str:
        """``file:line:col: error[CODE] message``, in ``lang``."""
        where = f"{self.span}: " if self.span else ""
        return f"{where}{_word(self.severity.value, lang)}[{self.code}] {self.message_in(lang)}"


    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """A JSON-ready form for editors and CI annotations, its words in ``lang``."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message_in(lang),
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "col": self.span.col if self.span else None,
            "hint": self.hint_in(lang),
        }


def _entry(key: str) -> dict[str, Any]:
    """A node of the catalogue by dotted key."""
    from .texts import node

    found = node(key)
    assert isinstance(found, dict), key
    return found


#: The widest part of a source line an excerpt shows (a minified or hostile file can have one
#: line of two megabytes).
EXCERPT_WIDTH: Final = 100


def source_excerpt(span: Span | None) -> list[str]:
    """The line ``span`` points into, with a caret under its column, as compilers show it::

           12 |   value: moderat
              |          ^

    Empty when the file cannot be read (standard input, a git revision, a file gone since).
    Characters a terminal would act on are shown as U+FFFD, so a file cannot move the cursor
    or change colours; a long line is cut around the column."""
    if span is None or span.line < 1:
        return []
    line = _source_line(span)
    if line is None:
        return []
    col = max(1, min(span.col, len(line) + 1))
    start = 0
    if len(line) > EXCERPT_WIDTH:
        start = max(0, min(col - 1 - EXCERPT_WIDTH // 2, len(line) - EXCERPT_WIDTH))
    shown = line[start:start + EXCERPT_WIDTH]
    shown = "".join("\ufffd" if ch != "\t" and unicodedata.category(ch) in _UNSAFE else ch
                    for ch in shown)
    before = "…" if start > 0 else ""
    after = "…" if start + EXCERPT_WIDTH < len(line) else ""
    # The caret is placed under the column with the same tabs as the line, so that it lines
    # up however wide the terminal shows a tab.
    pad = "".join("\t" if ch == "\t" else " " for ch in before + shown[:col - 1 - start])
    number = str(span.line)
    width = max(5, len(number))
    return [f"{number:>{width}} | {before}{shown}{after}".rstrip(),
            f"{'':>{width}} | {pad}^"]


def _source_line(span: Span) -> str | None:
    """Line ``span.line`` of the file, or None if it cannot be read."""
    candidates = [span.path] if span.path is not None else []
    if not span.file.startswith("<"):
        candidates.append(Path(span.file))
    for path in candidates:
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode):
                continue
            lines = _file_lines(str(path), status.st_mtime_ns, status.st_size)
        except OSError:
            continue
        return lines[span.line - 1] if span.line <= len(lines) else None
    return None


@lru_cache(maxsize=8)
def _file_lines(path: str, _mtime: int, _size: int) -> tuple[str, ...]:
    """The lines of a file, split where YAML counts a line break (as the loader's positions
    do); read once for all the problems reported in it."""
    with open(path, "rb") as handle:
        raw = handle.read(2_000_001)
    return tuple(_LINE_BREAK.split(raw.decode("utf-8", "replace").removeprefix("\ufeff")))


_LINE_BREAK: Final = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_UNSAFE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


#: How many problems are reported at most; the rest are counted ("and N more").
MAX_REPORTED: int = 200


class Collector:
    """Diagnostics collected in order, without duplicates, in linear time, at most
    :data:`MAX_REPORTED` of them plus one that counts the rest."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_REPORTED if limit is None else limit
        self._items: dict[Diagnostic, None] = {}
        self.more = 0

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic in self._items:
            return
        if len(self._items) >= self.limit:
            self.more += 1
            return
        self._items[diagnostic] = None

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[Diagnostic]:
        """The diagnostics, and a last one saying how many more were found, if any."""
        out = list(self._items)
        if self.more:
            out.append(Diagnostic.of("X001", None, None, n=self.more))
        return out


class ExitCode(IntEnum):
    """The exit codes of the ``spstotte`` command (README, "Command line")."""

    OK = 0
    #: The rule files or the scenarios have errors, or a scenario failed.
    RULE_ERRORS = 1
    USAGE = 2
    #: Bad input: the profile, the municipality, the date, a path, a git revision.
    BAD_INPUT = 3
    INTERNAL = 70
    #: The output could not be written (closed standard output, disk full): EX_IOERR.
    OUTPUT = 74
    INTERRUPTED = 130


class SpstotteError(Exception):
    """Base class of every error the library raises on bad input.

    Each class says how the command line ends when it meets one (``exit_code``) and what it
    prints (``report_lines``), so that a new error class needs no change to the CLI. An error
    made from a :class:`Message` is shown in the language asked for; ``str()`` is English."""

    exit_code: ClassVar[ExitCode] = ExitCode.BAD_INPUT
    #: The error's words, when they come from the catalogue (None: ``str(self)``).
    words: Message | None = None

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], Message):
            self.words = args[0]
            args = (args[0].render("en"),)
        super().__init__(*args)

    def text(self, lang: str = "en") -> str:
        """What went wrong, in ``da`` or ``en``."""
        return self.words.render(lang) if self.words is not None else str(self)

    def report_lines(self, lang: str = "en", *, excerpts: bool = False) -> list[str]:
        """What the command line prints for this error, in ``da`` or ``en``: a problem per
        line, or, with ``excerpts``, a problem per item with the line of the file it is in."""
        return [f"{_word('error', lang)}: {self.text(lang)}"]

    def __reduce__(self) -> Any:
        if self.words is not None:
            return (type(self), (self.words,))
        return super().__reduce__()


class DiagnosticsError(SpstotteError):
    """An error that carries diagnostics: every problem found, each with its position, code
    and hint."""

    exit_code: ClassVar[ExitCode] = ExitCode.RULE_ERRORS

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def report_lines(self, lang: str = "en", *, excerpts: bool = False) -> list[str]:
        """``file:line:col: error[CODE] message; hint: ...`` per diagnostic, in ``da`` or
        ``en``; with ``excerpts``, each with the line of the file and the hint below it."""
        if excerpts:
            return [d.format(lang, excerpt=True) for d in self.diagnostics]
        return [d.one_line(lang) for d in self.diagnostics]

    def __reduce__(self) -> tuple[type[DiagnosticsError], tuple[tuple[Diagnostic, ...]]]:
        return (type(self), (self.diagnostics,))


class RuleSetError(DiagnosticsError):
    """A rule file (or a set of them) is malformed or inconsistent."""


@dataclass(frozen=True)
class ProfileProblem(_Shown):
    """One problem in a citizen profile, located by its field path (``living_situation.kind``).

    Like a :class:`Diagnostic`: ``message`` and ``hint`` are English; ``words`` and
    ``hint_words``, where the problem was made from the catalogue, give them in Danish too."""

    path: str
    message: str
    hint: str | None = None
    span: Span | None = None
    words: Message | None = None
    hint_words: Message | None = None

    @classmethod
    def of(cls, path: str, variant: str, span: Span | None = None, /,
           **values: Any) -> ProfileProblem:
        """The problem ``diagnostics.P100.<variant>`` of the field ``path``."""
        words, hint = diagnostic_words("P100", variant, **values)
        return cls.from_words(path, words, hint, span)

    @classmethod
    def from_words(cls, path: str, words: Message, hint: Message | None = None,
                   span: Span | None = None) -> ProfileProblem:
        """The problem of the field ``path`` in these words."""
        shown = hint.render("en").strip() if hint else ""
        return cls(path, _short(words.render("en"), 300), shown or None, span, words,
                   hint if shown else None)

    def message_in(self, lang: str) -> str:
        """The message in ``da`` or ``en`` (at most 300 characters: it may echo the input)."""
        return _short(self.words.render(lang) if self.words is not None else self.message, 300)

    def headline(self, lang: str = "en") -> str:
        """``[file:line:col: ]error[P100] <path>: message``."""
        where = f"{self.span}: " if self.span else ""
        field_path = _short(self.path, 80) or _word("profile", lang)
        return f"{where}{_word('error', lang)}[P100] {field_path}: {self.message_in(lang)}"



class ProfileError(SpstotteError, ValueError):
    """A citizen profile has a wrong type, an unknown field or an impossible value."""

    def __init__(self, problems: Sequence[ProfileProblem], more: int = 0) -> None:
        """``problems`` to report (at most :data:`MAX_REPORTED` are kept), and ``more``: how
        many further problems were found but not even worded (a hostile profile with 50,000
        unknown keys is counted, not described key by key)."""
        listed = [replace(p, path=_short(p.path, 80)) for p in problems[:MAX_REPORTED]]
        #: Problems found beyond those listed: reported as one "and N more" line.
        self.more = len(problems) - len(listed) + more
        if self.more:
            listed.append(ProfileProblem.of("", "more", n=self.more))
        self.problems: tuple[ProfileProblem, ...] = tuple(listed)
        super().__init__("\n".join(p.format() for p in self.problems))

    def report_lines(self, lang: str = "en", *, excerpts: bool = False) -> list[str]:
        """One line per problem, with its field path (and file:line:col where known); with
        ``excerpts``, the line of the file and the hint below it."""
        if excerpts:
            return [p.format(lang, excerpt=True) for p in self.problems]
        return [p.one_line(lang) for p in self.problems]

    def __reduce__(self) -> tuple[type[ProfileError], tuple[tuple[ProfileProblem, ...], int]]:
        listed = self.problems[:-1] if self.more else self.problems
        return (type(self), (listed, self.more))


def _short(text: str, limit: int) -> str:
    """At most ``limit`` characters of a text that may echo the input."""
    return text if len(text) <= limit else text[:limit - 3] + "…"


class UnknownMunicipalityError(SpstotteError, LookupError):
    """No rule set exists for the municipality asked for (or it is not a municipality)."""

    def __init__(self, requested: object, available: Sequence[str],
                 reason: str | Message = "") -> None:
        self.requested = requested
        self.available: tuple[str, ...] = tuple(available)
        self.reason = reason
        shown = repr(requested)
        if len(shown) > 60:  # never echo a huge input back
            shown = shown[:56] + "…" + shown[-1]
        listing: object = self.available or Message.of("report.none")
        super().__init__(Message.of("errors.no_rule_set_because" if reason else
                                    "errors.no_rule_set", requested=shown, reason=reason,
                                    available=listing))

    def __reduce__(self) -> tuple[type[UnknownMunicipalityError], tuple[object, ...]]:
        return (type(self), (self.requested, self.available, self.reason))


class InputError(SpstotteError, ValueError):
    """Bad input that is neither a profile nor a rule file: a git revision, a path to write
    to, a backend name. The message says what, where and how to fix it."""


class EngineError(SpstotteError):
    """The rule engine refused a fact or failed; the evaluation produced no verdict."""


class ScenarioError(DiagnosticsError):
    """A scenario file is malformed (see ``diagnostics``)."""


@dataclass(frozen=True)
class ErrorCode:
    """An entry of the error catalogue: its words are in ``diagnostics.yaml``
    (``error_codes:``),
    in Danish and English."""

    code: str

    def words(self, part: str, lang: str = "en") -> str:
        """``title``, ``explanation`` or ``fix``, in ``da`` or ``en``."""
        template = _entry(f"error_codes.{self.code}.{part}")["da" if lang == "da" else "en"]
        return str(template).format(max_reported=MAX_REPORTED)

    @property
    def title(self) -> str:
        """What the code means, in a few words (English)."""
        return self.words("title")

    @property
    def explanation(self) -> str:
        """When the code is given (English)."""
        return self.words("explanation")

    @property
    def fix(self) -> str:
        """How to fix it (English)."""
        return self.words("fix")


#: The groups of codes, by their letter (named in ``diagnostics.yaml``, ``error_codes.groups``).
CODE_GROUPS: Final = ("X", "Y", "C", "R", "E", "S", "P", "L")

#: The catalogue of diagnostic codes. ``X`` = any input, ``Y`` = YAML reading, ``C`` = project
#: settings, ``R`` = rule files, ``E`` = the engine, ``S`` = scenario files, ``P`` =
#: profiles, ``L`` = lint warnings. The words of each are in ``diagnostics.yaml``.
ERROR_CODES: Final[dict[str, ErrorCode]] = {code: ErrorCode(code) for code in (
    "L406", "X001",
    "Y001", "Y002", "Y003", "Y004", "Y005", "Y006",
    "C001", "C002",
    "R101", "R102", "R103", "R104",
    "R201", "R202", "R203", "R204", "R205", "R206", "R207", "R208", "R209", "R210", "R211",
    "R212", "R213", "R214", "R215", "R216", "R217", "R218", "R219", "R220", "R221", "R222",
    "R223", "R224", "R225", "R226", "R227", "R228", "R229", "R230", "R231",
    "E301", "E302", "E303",
    "S101", "S102", "S103", "S104", "S105",
    "P100",
    "L401", "L402", "L403", "L404", "L405",
)}
