"""Stage 1, load: YAML text to plain Python data plus the position of every key and value.

The reader is deliberately stricter than YAML 1.1 as PyYAML implements it, because policy staff
edit these files by hand:

* only ``true``/``false`` are booleans (``yes``, ``no``, ``on``, ``off`` stay text: Norway problem);
* only plain decimal numbers are numbers (no octal ``010``, no sexagesimal ``1:30``);
* dates stay text and are parsed where a date is expected, with a clear error;
* duplicate keys, explicit tags and merge keys (``<<``) are errors, not silent surprises;
* the file must be UTF-8; size and nesting depth are bounded.

It is built on PyYAML's parser events (libyaml's C parser where available, PyYAML's own
otherwise), composed without recursion; it never constructs Python objects from tags, never
uses an unsafe loader and never changes PyYAML's global state.
"""

from __future__ import annotations

import importlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Collector, Diagnostic, RuleSetError, Span

MAX_FILE_BYTES: Final = 2_000_000
MAX_DEPTH: Final = 40

#: A path into loaded data: mapping keys and sequence indices.
DataPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT_RE = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_BOOL_VALUES: Final = {"true": True, "True": True, "TRUE": True,
                       "false": False, "False": False, "FALSE": False}
_NULL_VALUES: Final = {"", "~", "null", "Null", "NULL"}


_PATTERNS: Final = {
    _BOOL: re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    _INT: _INT_RE,
    _FLOAT: _FLOAT_RE,
    _NULL: re.compile(r"^(?:~|null|Null|NULL|)$"),
}


class _StrictResolver(yaml.resolver.BaseResolver):
    """Resolves plain scalars as strict YAML 1.2 core types; everything else is text."""


for _tag, _regexp, _first in (
    (_BOOL, _PATTERNS[_BOOL], list("tTfF")),
    (_INT, _INT_RE, list("-+0123456789")),
    (_FLOAT, _FLOAT_RE, list("-+0123456789.")),
    (_NULL, _PATTERNS[_NULL], ["~", "n", "N", ""]),
):
    _StrictResolver.add_implicit_resolver(_tag, _regexp, _first)


class _PythonEvents(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python parser: the events of a YAML text, with PyYAML's own error messages
    and positions counted in characters."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


#: libyaml's parser, in C: the same events about twenty times faster (None in a PyYAML
#: built without libyaml).
def _libyaml_parser() -> Any:
    try:
        return importlib.import_module("yaml.cyaml").CParser
    except (ImportError, AttributeError):  # pragma: no cover - PyYAML built without libyaml
        return None


_FastEvents: Any = _libyaml_parser()

_RESOLVER = _StrictResolver()


def _resolve(kind: type[Node], value: str | None, implicit: Any) -> str:
    """The tag of an untagged node, by the strict rules above."""
    tag: str = _RESOLVER.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
    return tag


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


def _compose(parser: Any) -> Node | None:
    """The node tree of a single-document stream, built from the parser's events.

    PyYAML's composer does this by recursion; here a stack bounded by :data:`MAX_DEPTH` does
    it, so that no input, however deeply nested, can exhaust the interpreter's (or libyaml's
    C) stack. Aliases give back the node they name, as PyYAML's composer does, so that the
    builder can refuse them."""
    parser.get_event()  # stream start
    event: Any = parser.get_event()
    if isinstance(event, yaml.StreamEndEvent):
        return None
    anchors: dict[str, Node] = {}
    stack: list[list[Any]] = []  # [collection node, pending mapping key]
    root: Node | None = None
    while True:
        event = parser.get_event()
        if isinstance(event, yaml.DocumentEndEvent):
            break
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            stack.pop()[0].end_mark = event.end_mark
            continue
        node: Node
        start: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", start)
            node = anchors[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(ScalarNode, event.value, event.implicit)
            # libyaml gives a plain scalar the style '', PyYAML None.
            end: Any = event.end_mark
            node = ScalarNode(tag, event.value, start, end, style=event.style or None)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) > MAX_DEPTH:
                raise _TooDeep(event.start_mark)
            kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(kind, None, event.implicit)
            node = kind(tag, [], start, None, flow_style=event.flow_style)
        else:  # pragma: no cover - the parser yields no other event inside a document
            raise yaml.composer.ComposerError(None, None, f"unexpected {event}",
                                              event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            if anchor in anchors:
                raise yaml.composer.ComposerError(
                    "found duplicate anchor", anchors[anchor].start_mark,
                    f"found duplicate anchor {anchor!r}", event.start_mark)
            anchors[anchor] = node
        if not stack:
            root = node
        elif isinstance(stack[-1][0], SequenceNode):
            stack[-1][0].value.append(node)
        elif stack[-1][1] is None:
            stack[-1][1] = node
        else:
            stack[-1][0].value.append((stack[-1][1], node))
            stack[-1][1] = None
        if isinstance(node, (SequenceNode, MappingNode)) and not isinstance(
                event, yaml.AliasEvent):
            stack.append([node, None])
    event = parser.get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise yaml.composer.ComposerError("expected a single document in the stream", None,
                                          "but found another document", event.start_mark)
    return root


def _parse(source: str) -> Node | None:
    """The node tree of a YAML text: libyaml's parser where PyYAML has it; PyYAML's own parser
    otherwise, and for any text libyaml refuses, so that errors read and point the same."""
    if _FastEvents is not None:
        fast = _FastEvents(source)
        try:
            return _compose(fast)
        except yaml.YAMLError:
            pass
        finally:
            fast.dispose()
    slow = _PythonEvents(source)
    try:
        return _compose(slow)
    finally:
        slow.dispose()


@dataclass(frozen=True)
class LoadedYaml:
    """Data read from one YAML file, with the positions of its keys and values."""

    file: str
    data: Any
    value_spans: dict[DataPath, Span] = field(repr=False)
    key_spans: dict[DataPath, Span] = field(repr=False)
    #: Where the file is on disk (``file`` is the name shown in messages); None for text.
    path: Path | None = field(default=None, repr=False, compare=False)

    def span(self, path: DataPath, *, key: bool = False) -> Span:
        """The position of the value (or key) at ``path``, or of its nearest ancestor."""
        spans = self.key_spans if key else self.value_spans
        probe = tuple(path)
        while probe:
            if probe in spans:
                return spans[probe]
            if not key and probe in self.key_spans:
                return self.key_spans[probe]
            probe = probe[:-1]
        return self.value_spans.get((), Span(self.file, 1, 1))


def _span(file: str, node: Node) -> Span:
    mark = node.start_mark
    return Span(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.value_spans: dict[DataPath, Span] = {}
        self.key_spans: dict[DataPath, Span] = {}
        self.diagnostics = Collector()
        self._seen: set[int] = set()

    def fail(self, code: str, message: str, node: Node, hint: str | None = None) -> None:
        self.diagnostics.add(Diagnostic(code, message, _span(self.file, node), hint))

    def build(self, node: Node, path: DataPath, depth: int = 0) -> Any:
        self.value_spans[path] = _span(self.file, node)
        if id(node) in self._seen:
            # The composer hands back the same node for an alias (*name). Aliases let a tiny
            # file expand exponentially ("billion laughs"), a long text repeated by alias costs
            # gigabytes, and either hides where a value comes from: no alias is allowed.
            self.fail("Y005", "the value anchored here is reused through an alias (*name); "
                      "aliases are not allowed", node, "write the value out where it is used")
            return None
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.fail("Y004", f"nesting deeper than {MAX_DEPTH} levels", node,
                      "rule files never need this depth; simplify the structure")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.fail("Y005", f"explicit tag {node.tag!r} is not allowed", node,
                          "remove the tag")
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self.fail("Y005", f"explicit tag {node.tag!r} is not allowed", node,
                          "remove the tag")
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, ScalarNode) and key_node.value == "<<"
                    and key_node.style is None
                ):
                    self.fail("Y005", "merge keys ('<<') are not allowed", key_node,
                              "write the keys out; merged mappings hide where a value comes from")
                    continue
                if not isinstance(key_node, ScalarNode):
                    self.fail("Y005", "a key must be plain text", key_node, None)
                    continue
                key = key_node.value
                if key in result:
                    first = self.key_spans[(*path, key)]
                    self.fail("Y002", f"duplicate key {key!r} (first at line {first.line})",
                              key_node,
                              "remove or rename one of them; YAML would keep only the last")
                    continue
                self.key_spans[(*path, key)] = _span(self.file, key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        self.fail("Y005", "unsupported YAML node", node)  # pragma: no cover - defensive
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        text = node.value
        surrogate = _SURROGATE.search(text)
        if surrogate:
            # A "\ud800" escape gives half of a UTF-16 pair: no character, and no UTF-8.
            self.fail("Y003", f"the escape \\u{ord(surrogate.group()):04x} is half of a UTF-16 "
                      "surrogate pair, not a character", node,
                      "write the character itself, or its \\U escape with 8 hex digits")
            return text.encode("utf-8", "replace").decode("utf-8")
        if node.tag == _STR or node.style in ("'", '"', "|", ">"):
            return text
        if node.tag in _PATTERNS and not _PATTERNS[node.tag].match(text):
            # Only an explicit tag ('!!int abc') gives a core tag to text that does not fit it.
            self.fail("Y005", f"explicit tag {node.tag!r} on {text[:40]!r}", node,
                      "remove the tag and write the value plainly")
            return text
        if node.tag == _BOOL:
            return _BOOL_VALUES[text]
        if node.tag == _INT:
            if len(text) > 18:
                self.fail("Y004", "number too large", node, "numbers in rule files are small")
                return None
            return int(text)
        if node.tag == _FLOAT:
            return float(text)
        if node.tag == _NULL and text in _NULL_VALUES:
            return None
        if node.tag == _NULL:
            return text
        self.fail("Y005", f"explicit tag {node.tag!r} is not allowed", node, "remove the tag")
        return text


def _decode(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise RuleSetError([Diagnostic(
            "Y003", f"byte 0x{raw[exc.start]:02x} is not UTF-8", Span(file, line, col),
            "save the file as UTF-8",
        )]) from None
    return text.removeprefix("\ufeff")


def load_yaml_text(text: str | bytes, file: str = "<string>") -> LoadedYaml:
    """Read one YAML document from text; raise :class:`RuleSetError` with every problem found."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_FILE_BYTES:
        raise RuleSetError([Diagnostic(
            "Y004", f"file is larger than the limit of {MAX_FILE_BYTES} bytes", Span(file, 1, 1),
            "split the file",
        )])
    source = _decode(raw, file)
    if "\x00" in source:
        index = source.index("\x00")
        line = source.count("\n", 0, index) + 1
        col = index - (source.rfind("\n", 0, index) + 1) + 1
        raise RuleSetError([Diagnostic("Y003", "NUL character in text", Span(file, line, col),
                                       "the file is binary or corrupted")])
    try:
        # PyYAML checks the characters while the reader is built: that is inside the try too.
        node = _parse(source)
    except _TooDeep as exc:
        raise RuleSetError([Diagnostic(
            "Y004", f"nesting deeper than {MAX_DEPTH} levels",
            Span(file, exc.mark.line + 1, exc.mark.column + 1),
            "rule files never need this depth; simplify the structure")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RuleSetError([Diagnostic("Y001", problem, span, _yaml_hint(problem))]) from None
    except yaml.reader.ReaderError as exc:
        before = source[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise RuleSetError([Diagnostic(
            "Y003", f"character U+{ord(character):04X} is not allowed in YAML",
            Span(file, line, col), "remove the control character (it is invisible in most "
            "editors)")]) from None
    except yaml.YAMLError as exc:
        raise RuleSetError([Diagnostic("Y001", str(exc).splitlines()[0], Span(file, 1, 1),
                                       None)]) from None
    builder = _Builder(file)
    data = None if node is None else builder.build(node, ())
    if builder.diagnostics:
        raise RuleSetError(builder.diagnostics.items())
    return LoadedYaml(file, data, builder.value_spans, builder.key_spans)


class _Replay:
    """Recorded parser events, replayed to :func:`_compose` as a stream of one document."""

    def __init__(self, events: list[Any]) -> None:
        self._events = iter([yaml.StreamStartEvent(), yaml.DocumentStartEvent(), *events,
                             yaml.DocumentEndEvent(), yaml.StreamEndEvent()])

    def get_event(self) -> Any:
        return next(self._events)


def read_header(raw: bytes, key: str, file: str = "<string>") -> Any:
    r"""The value of one top-level key of a YAML mapping, read without parsing the rest of the
    file: the events after the value are never produced. ``None`` if the key is not there.

    For discovery: finding which municipality each of 98 rule files is for costs the first
    lines of each, not all of it. Anything unusual (not UTF-8, a YAML error before or inside
    the value, a document that is not a mapping) is read in full by :func:`load_yaml_text`,
    so that its errors are reported as usual.

    >>> read_header(b"id: x\nmunicipality: {code: 101, name: K}\nrules: [", "municipality")
    {'code': 101, 'name': 'K'}
    """
    try:
        source = raw.decode("utf-8").removeprefix("\ufeff")
        if len(raw) > MAX_FILE_BYTES or "\x00" in source:
            raise ValueError
        parser = _FastEvents(source) if _FastEvents is not None else _PythonEvents(source)
        try:
            return _header_value(parser, key, file)
        finally:
            parser.dispose()
    except (ValueError, yaml.YAMLError, _TooDeep):
        loaded = load_yaml_text(raw, file)  # raises with every problem, at its position
        data = loaded.data
        return data.get(key) if isinstance(data, dict) else None


def _header_value(parser: Any, key: str, file: str) -> Any:
    for expected in (yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.MappingStartEvent):
        if not isinstance(parser.get_event(), expected):
            raise ValueError("not a mapping")
    while True:
        event = parser.get_event()
        if isinstance(event, yaml.MappingEndEvent):
            return None
        if not isinstance(event, yaml.ScalarEvent):
            raise ValueError("a key that is not text")
        wanted = event.value == key
        recorded: list[Any] = []
        depth = 0
        while True:  # the value: one scalar or alias, or a collection to its end
            event = parser.get_event()
            if wanted:
                recorded.append(event)
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            if depth == 0:
                break
        if wanted:
            builder = _Builder(file)
            node = _compose(_Replay(recorded))
            value = None if node is None else builder.build(node, (key,))
            if builder.diagnostics:
                raise ValueError("refused content")
            return value


def _yaml_hint(problem: str) -> str | None:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a ':' inside a value needs quotes around the value"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check the indentation of this line and the one before"
    if "found character" in problem:
        return "quote the value"
    return "check indentation and quoting around this position"


def read_bounded(path: str | Path, display_name: str | None = None) -> bytes:
    """The bytes of a regular file, reading at most :data:`MAX_FILE_BYTES` plus one (so that
    an endless device costs no memory); FIFOs, devices and folders are refused before they
    are opened (opening a FIFO would block)."""
    name = display_name or str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RuleSetError([Diagnostic(
                "Y006", "not a regular file (a folder, pipe or device)", Span(name, 1, 1),
                "give the path of a YAML file")])
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleSetError([Diagnostic("Y006", f"cannot read file: {exc.strerror or exc}",
                                       Span(name, 1, 1), "check the path")]) from None


def read_stream_bounded(stream: BinaryIO | None, name: str) -> bytes:
    """At most :data:`MAX_FILE_BYTES` plus one bytes of a stream (standard input)."""
    try:
        if stream is None:
            raise ValueError("no stream")
        return stream.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise RuleSetError([Diagnostic("Y006", f"cannot read {name}: {exc}", Span(name, 1, 1),
                                       "pass the profile as a file, or pipe it in")]) from None


def load_yaml_file(path: str | Path, display_name: str | None = None) -> LoadedYaml:
    """Read a YAML file (see :func:`load_yaml_text`)."""
    name = display_name or str(path)
    raw = read_bounded(path, name)
    return replace(load_yaml_text(raw, name), path=Path(path).resolve())


def iter_yaml_files(directory: Path) -> Iterator[Path]:
    """The ``*.yaml``/``*.yml`` files in a directory, sorted by name (not recursive)."""
    yield from sorted(p for p in directory.iterdir()
                      if p.suffix in (".yaml", ".yml") and p.is_file())
