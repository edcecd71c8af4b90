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

import errno
import functools
import hashlib
import importlib
import marshal
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Collector, Diagnostic, RuleSetError, Span
from .parse_cache import Parsed, ParsedFileCache, cache_for

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
    value_spans: Mapping[DataPath, Span] = field(repr=False)
    key_spans: Mapping[DataPath, Span] = field(repr=False)
    #: Where the file is on disk (``file`` is the name shown in messages); None for text.
    path: Path | None = field(default=None, repr=False, compare=False)
    #: What later stages derived from the data, kept with it (the data never changes): a law
    #: file read once serves every rule set that is resolved with it.
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

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


class _Builder:
    def __init__(self, file: str, origin: Path | None = None) -> None:
        self.file = file
        self.origin = origin
        self.value_spans: dict[DataPath, Span] = {}
        self.key_spans: dict[DataPath, Span] = {}
        self.diagnostics = Collector()
        self._seen: set[int] = set()

    def fail(self, code: str, variant: str | None, node: Node, **values: Any) -> None:
        self.diagnostics.add(Diagnostic.of(code, variant, self.span(node), **values))

    def span(self, node: Node) -> Span:
        mark = node.start_mark
        return Span(self.file, mark.line + 1, mark.column + 1, self.origin)

    def build(self, node: Node, path: DataPath, depth: int = 0) -> Any:
        self.value_spans[path] = self.span(node)
        if id(node) in self._seen:
            # The composer hands back the same node for an alias (*name). Aliases let a tiny
            # file expand exponentially ("billion laughs"), a long text repeated by alias costs
            # gigabytes, and either hides where a value comes from: no alias is allowed.
            self.fail("Y005", "alias", node)
            return None
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self.fail("Y004", "depth", node, depth=MAX_DEPTH)
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.fail("Y005", "tag", node, tag=node.tag)
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self.fail("Y005", "tag", node, tag=node.tag)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, ScalarNode) and key_node.value == "<<"
                    and key_node.style is None
                ):
                    self.fail("Y005", "merge", key_node)
                    continue
                if not isinstance(key_node, ScalarNode):
                    self.fail("Y005", "key_not_text", key_node)
                    continue
                key = key_node.value
                if key in result:
                    first = self.key_spans[(*path, key)]
                    self.fail("Y002", None, key_node, key=key, line=first.line)
                    continue
                self.key_spans[(*path, key)] = self.span(key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        self.fail("Y005", "node", node)  # pragma: no cover - defensive
        return None

    def _scalar(self, node: ScalarNode) -> Any:
        text = node.value
        surrogate = _SURROGATE.search(text)
        if surrogate:
            # A "\ud800" escape gives half of a UTF-16 pair: no character, and no UTF-8.
            self.fail("Y003", "surrogate", node, escape=f"\\u{ord(surrogate.group()):04x}")
            return text.encode("utf-8", "replace").decode("utf-8")
        if node.tag == _STR or node.style in ("'", '"', "|", ">"):
            return text
        if node.tag in _PATTERNS and not _PATTERNS[node.tag].match(text):
            # Only an explicit tag ('!!int abc') gives a core tag to text that does not fit it.
            self.fail("Y005", "tag_on_value", node, tag=node.tag, value=text[:40])
            return text
        if node.tag == _BOOL:
            return _BOOL_VALUES[text]
        if node.tag == _INT:
            if len(text) > 18:
                self.fail("Y004", "number", node)
                return None
            return int(text)
        if node.tag == _FLOAT:
            return float(text)
        if node.tag == _NULL and text in _NULL_VALUES:
            return None
        if node.tag == _NULL:
            return text
        self.fail("Y005", "tag", node, tag=node.tag)
        return text


def _decode(raw: bytes, file: str, origin: Path | None) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise RuleSetError([Diagnostic.of("Y003", "byte", Span(file, line, col, origin),
                                          byte=f"0x{raw[exc.start]:02x}")]) from None
    return text.removeprefix("\ufeff")


def load_yaml_text(text: str | bytes, file: str = "<string>", *,
                   origin: Path | None = None, cache: bool = False) -> LoadedYaml:
    """Read one YAML document from text; raise :class:`RuleSetError` with every problem found.

    ``file`` is the name shown in messages; ``origin``, where the text was read from, lets a
    report show the line a problem is in. With ``cache``, a text read without a problem is
    kept on disk, and the same bytes are read from there next time (parse_cache.py): for rule
    files and the package's data files only, never for a citizen's profile."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_FILE_BYTES:
        raise RuleSetError([Diagnostic.of("Y004", "size", Span(file, 1, 1, origin),
                                          limit=MAX_FILE_BYTES)])
    kept = _parse_cache() if cache else None
    digest = ""
    if kept is not None:
        digest = hashlib.sha256(raw).hexdigest()
        found = kept.get(digest)
        if found is not None:
            return _loaded(found, file, origin)
    source = _decode(raw, file, origin)
    if "\x00" in source:
        index = source.index("\x00")
        line = source.count("\n", 0, index) + 1
        col = index - (source.rfind("\n", 0, index) + 1) + 1
        raise RuleSetError([Diagnostic.of("Y003", "nul", Span(file, line, col, origin))])
    fast = _read_plain(source)
    if fast is not None:
        if kept is not None:
            kept.put(digest, fast)
        return _loaded(fast, file, origin)
    try:
        # PyYAML checks the characters while the reader is built: that is inside the try too.
        node = _parse(source)
    except _TooDeep as exc:
        raise RuleSetError([Diagnostic.of(
            "Y004", "depth", Span(file, exc.mark.line + 1, exc.mark.column + 1, origin),
            depth=MAX_DEPTH)]) from None
    except yaml.MarkedYAMLError as exc:
        raise RuleSetError([_syntax_error(exc, source, file, origin)]) from None
    except yaml.reader.ReaderError as exc:
        before = source[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise RuleSetError([Diagnostic.of("Y003", "control", Span(file, line, col, origin),
                                          char=f"U+{ord(character):04X}")]) from None
    except yaml.YAMLError as exc:
        raise RuleSetError([Diagnostic.of("Y001", "other", Span(file, 1, 1, origin),
                                          detail=str(exc).splitlines()[0][:200])]) from None
    builder = _Builder(file, origin)
    data = None if node is None else builder.build(node, ())
    if builder.diagnostics:
        raise RuleSetError(builder.diagnostics.items())
    return LoadedYaml(file, data, builder.value_spans, builder.key_spans, origin)


#: The implicit resolvers of plain scalars by their first character ('' for an empty one).
_PLAIN_TAGS: Final[dict[str, list[tuple[str, re.Pattern[str]]]]] = dict(
    _StrictResolver.yaml_implicit_resolvers)
_QUOTED: Final = frozenset({"'", '"', "|", ">"})
#: Deeper than this, a file is read the careful way (which bounds the depth with its errors).
_PLAIN_DEPTH: Final = MAX_DEPTH - 2


#: A position is kept as one number, line and column: ``line << _COLUMN_BITS | column`` (a
#: file has at most MAX_FILE_BYTES characters on a line).
_COLUMN_BITS: Final = 22
_COLUMN_MASK: Final = (1 << _COLUMN_BITS) - 1
assert MAX_FILE_BYTES < _COLUMN_MASK


class _Positions(Mapping[DataPath, Span]):
    """Where each key or value of a file is, as a :class:`Span` when asked for: a rule file has
    thousands of positions, and few are ever shown."""

    __slots__ = ("_at", "_file", "_origin")

    def __init__(self, at: dict[DataPath, int], file: str, origin: Path | None) -> None:
        self._at = at
        self._file = file
        self._origin = origin

    def __getitem__(self, path: DataPath) -> Span:
        at = self._at[path]
        return Span(self._file, at >> _COLUMN_BITS, at & _COLUMN_MASK, self._origin)

    def __contains__(self, path: object) -> bool:
        return path in self._at

    def __iter__(self) -> Iterator[DataPath]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


class _Abandon(Exception):
    """Something :func:`_read_plain` leaves to the careful reader."""


def _read_plain(source: str) -> Parsed | None:
    """The common case in one pass: a document of mappings, lists and plain values, with no
    anchors, aliases, tags, merge keys, duplicate keys or other problems, read straight from
    the parser's events (no node tree is built, then walked): its data and the positions of
    its values and keys. None for anything else, which :func:`load_yaml_text` reads the
    careful way, so that every problem is reported as always.
    """
    try:
        parser = _FastEvents(source) if _FastEvents is not None else _PythonEvents(source)
    except yaml.YAMLError:
        return None
    try:
        return _plain_events(parser)
    except (_Abandon, yaml.YAMLError):
        return None
    finally:
        parser.dispose()


def _loaded(parsed: Parsed, file: str, origin: Path | None) -> LoadedYaml:
    data, value_at, key_at = parsed
    return LoadedYaml(file, data, _Positions(value_at, file, origin),
                      _Positions(key_at, file, origin), origin)


def _parse_cache() -> ParsedFileCache | None:
    """The cache of parsed files for this reader (None if it is switched off)."""
    reader = _reader_identity(_FastEvents is not None)
    return None if reader is None else cache_for(reader)


@functools.lru_cache(maxsize=2)
def _reader_identity(libyaml: bool) -> str | None:
    """What a kept parse depends on besides the text: this module's own code and limits,
    PyYAML's version and parser, and Python's (marshal's format). None if this module's
    source cannot be read (then nothing is kept)."""
    try:
        source = Path(__file__).read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(source)
    digest.update(repr((MAX_FILE_BYTES, MAX_DEPTH, yaml.__version__, libyaml,
                        sys.version_info[:3], marshal.version)).encode())
    return digest.hexdigest()[:24]


def _plain_events(parser: Any) -> Parsed:
    # The loop runs once per event, thousands of times a file: the event types are local
    # names, and the open collection is kept at hand (``top``) rather than looked up.
    get = parser.get_event
    scalar_event, document_end = yaml.ScalarEvent, yaml.DocumentEndEvent
    mapping_start, mapping_end = yaml.MappingStartEvent, yaml.MappingEndEvent
    sequence_start, sequence_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent
    value_at: dict[DataPath, int] = {}
    key_at: dict[DataPath, int] = {}
    if type(get()) is not yaml.StreamStartEvent:
        raise _Abandon
    event: Any = get()
    if type(event) is yaml.StreamEndEvent:
        return None, value_at, key_at
    if type(event) is not yaml.DocumentStartEvent:
        raise _Abandon
    # Open collections: [the collection, its path, the pending key's path (mappings),
    # whether it is a mapping]; ``top`` is the innermost (None outside the document's value).
    stack: list[list[Any]] = []
    top: list[Any] | None = None
    data: Any = None
    while True:
        event = get()
        kind = type(event)
        value: Any
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _Abandon
            text: str = event.value
            if top is not None and top[3] and top[2] is None:
                # A key: plain text, never a merge key ('<<'), never one already there.
                if text in top[0] or (text == "<<" and not event.style):
                    raise _Abandon
                mark = event.start_mark
                path = top[2] = (*top[1], text)
                key_at[path] = (mark.line + 1) << _COLUMN_BITS | (mark.column + 1)
                continue
            value = _plain_scalar(text, event)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None or len(stack) > _PLAIN_DEPTH:
                raise _Abandon
            value = {} if kind is mapping_start else []
        elif kind is mapping_end or kind is sequence_end:
            stack.pop()
            top = stack[-1] if stack else None
            continue
        elif kind is document_end:
            break
        else:  # an alias, or anything unexpected
            raise _Abandon
        if top is None:
            path = ()
            data = value
        elif top[3]:
            path = top[2]
            if path is None:  # a key that is not text
                raise _Abandon
            top[0][path[-1]] = value
            top[2] = None
        else:
            into = top[0]
            path = (*top[1], len(into))
            into.append(value)
        mark = event.start_mark
        value_at[path] = (mark.line + 1) << _COLUMN_BITS | (mark.column + 1)
        if kind is not scalar_event:
            top = [value, path, None, kind is mapping_start]
            stack.append(top)
    if type(get()) is not yaml.StreamEndEvent:
        raise _Abandon
    return data, value_at, key_at


def _plain_scalar(text: str, event: Any) -> Any:
    """A scalar's value as :meth:`_Builder._scalar` gives it (raises :class:`_Abandon` where
    that reports a problem)."""
    style = event.style
    # Only an escape in double quotes makes a lone surrogate: the text itself was UTF-8.
    if style == '"' and _SURROGATE.search(text):
        raise _Abandon
    if style in _QUOTED or not event.implicit[0]:
        return text
    patterns = _PLAIN_TAGS.get(text[:1])
    if patterns is None:
        return text
    tag = next((tag for tag, pattern in patterns if pattern.match(text)), _STR)
    if tag == _STR:
        return text
    if tag == _BOOL:
        return _BOOL_VALUES[text]
    if tag == _INT:
        if len(text) > 18:
            raise _Abandon
        return int(text)
    if tag == _FLOAT:
        return float(text)
    return None if text in _NULL_VALUES else text


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


# ------------------------------------------------------------------- YAML syntax in words

#: A key at the start of a line (after any '- ' of list items): its column and name.
_KEY_AT = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+)*)(?P<key>[^\s#'\"{\[&*!|>%@`-][^:#]*?|'[^']*'"
                     r'|"[^"]*")[ \t]*:(?:[ \t]|$)')


def _key_on(line: str) -> tuple[int, str, int] | None:
    """The key a line starts with: (its column, its name, the column of its ':'), 1-based."""
    match = _KEY_AT.match(line)
    if match is None:
        return None
    key = match.group("key").rstrip()
    return match.start("key") + 1, key.strip("'\""), match.start("key") + len(key) + 1


def _key_above(lines: list[str], index: int) -> tuple[int, int, str] | None:
    """The nearest line above ``index`` (0-based) that starts with a key, skipping blank and
    comment lines: (its 1-based number, the key's column, the key)."""
    for above in range(index - 1, -1, -1):
        text = lines[above]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        found = _key_on(text)
        return (above + 1, found[0], found[1]) if found else None
    return None


def _syntax_error(exc: yaml.MarkedYAMLError, source: str, file: str,
                  origin: Path | None) -> Diagnostic:
    """PyYAML's error in plain words, at the position that is wrong: a tab, a key out of
    line with the key above it, a ':' inside a value, a quote or bracket never closed."""
    problem = exc.problem or exc.context or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line_no, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = source.splitlines() or [""]
    index = min(line_no, len(lines)) - 1
    text = lines[index] if 0 <= index < len(lines) else ""

    def at(variant: str, where: tuple[int, int] | None = None, **values: Any) -> Diagnostic:
        line, column = where or (line_no, col)
        return Diagnostic.of("Y001", variant, Span(file, line, column, origin), **values)

    if "'\\t'" in problem or "tab character" in problem:
        indentation = not text[: max(col - 1, 0)].strip(" \t-")
        return at("tab_indent" if indentation else "tab")
    key = _key_on(text)
    above = _key_above(lines, index)
    if "mapping values are not allowed" in problem:
        if key is not None and key[2] == col and above is not None and above[1] != key[0]:
            return at("indent", (line_no, key[0]), key=key[1], above=above[2], line=above[0],
                      col=above[1])
        return at("colon_in_value")
    if "expected <block end>" in problem and "'-'" not in problem and \
            "sequence" not in problem:
        if key is not None and above is not None and above[1] != key[0]:
            return at("indent", (line_no, key[0]), key=key[1], above=above[2], line=above[0],
                      col=above[1])
    if "expected <block end>" in problem or "expected '-' indicator" in problem:
        items = [line.index("-") + 1 for line in lines[:index]
                 if line.lstrip().startswith("-") and line.lstrip()[1:2] in ("", " ")]
        if items and text.lstrip().startswith("-"):
            return at("list_indent_col", (line_no, text.index("-") + 1), col=items[-1])
        return at("list_indent" if items else "no_key")
    if "did not find expected key" in problem:
        return at("no_key")
    if "could not find expected ':'" in problem:
        start = exc.context_mark or mark
        where = start.line + 1 if start else line_no
        words = lines[where - 1].strip() if 0 < where <= len(lines) else ""
        return at("no_colon", (where, (start.column + 1) if start else 1), text=words[:60])
    if "end of stream" in problem and "quoted scalar" in context and exc.context_mark:
        start = exc.context_mark
        opening = lines[start.line] if start.line < len(lines) else ""
        quote = opening[start.column] if start.column < len(opening) else "'"
        return at("unclosed_quote", (start.line + 1, start.column + 1), quote=quote)
    if problem.startswith("expected ',' or"):
        close = "}" if "'}'" in problem else "]"
        start = exc.context_mark
        return at("unclosed_flow", close=close, open="{" if close == "}" else "[",
                  line=start.line + 1 if start else line_no)
    if "cannot start any token" in problem:
        found = re.search(r"found character (.+?) that", problem)
        return at("bad_start", char=found.group(1) if found else "?")
    if "another document" in problem or "single document" in context:
        return at("documents")
    if "escape character" in problem:
        return at("escape")
    if "alias" in problem or "anchor" in problem:
        return at("anchor")
    return at("other", detail=problem[:200])


def read_bounded(path: str | Path, display_name: str | None = None) -> bytes:
    """The bytes of a regular file, reading at most :data:`MAX_FILE_BYTES` plus one (so that
    an endless device costs no memory); FIFOs, devices and folders are refused before they
    are opened (opening a FIFO would block)."""
    name = display_name or str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RuleSetError([Diagnostic.of("Y006", "not_regular", Span(name, 1, 1))])
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleSetError([_unreadable(exc, Span(name, 1, 1))]) from None


def _unreadable(exc: OSError, span: Span) -> Diagnostic:
    """Y006 for a file that cannot be opened: missing, not permitted, or another reason."""
    if exc.errno == errno.ENOENT:
        return Diagnostic.of("Y006", "missing", span)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Diagnostic.of("Y006", "denied", span)
    return Diagnostic.of("Y006", "unreadable", span, reason=exc.strerror or str(exc))


def read_stream_bounded(stream: BinaryIO | None, name: str) -> bytes:
    """At most :data:`MAX_FILE_BYTES` plus one bytes of a stream (standard input)."""
    if stream is None:
        raise RuleSetError([Diagnostic.of("Y006", "no_stream", Span(name, 1, 1), name=name)])
    try:
        return stream.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise RuleSetError([Diagnostic.of("Y006", "stream", Span(name, 1, 1), name=name,
                                          reason=str(exc))]) from None


def load_yaml_file(path: str | Path, display_name: str | None = None, *,
                   cache: bool = False) -> LoadedYaml:
    """Read a YAML file (see :func:`load_yaml_text`, also for ``cache``)."""
    name = display_name or str(path)
    raw = read_bounded(path, name)
    return load_yaml_text(raw, name, origin=Path(path).resolve(), cache=cache)


def iter_yaml_files(directory: Path) -> Iterator[Path]:
    """The ``*.yaml``/``*.yml`` files in a directory, sorted by name (not recursive)."""
    yield from sorted(p for p in directory.iterdir()
                      if p.suffix in (".yaml", ".yml") and p.is_file())
