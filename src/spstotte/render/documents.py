"""Documents for people: one model, rendered from jinja2 templates as text, Markdown or HTML.

Letters, rulebooks, diffs and coverage reports are built as a :class:`Document`: a title and a
list of blocks (headings, paragraphs, lists, tables, and marked gaps or notices). The model holds
plain text only. A text is a string, or a tuple of strings ("runs") of which some may be marked
:class:`Code` (an identifier or a file name) or :class:`Strong` (a label); each format shows the
mark its own way, and plain text drops it. Each format escapes what it must, in one place:

* HTML: jinja2's autoescape, so ``<``, ``&`` and quotes in a title are text, never markup;
* Markdown: the :func:`markdown_escape` filter (backslash escapes, ``\\|`` in table cells), so a
  title with ``|``, ``*``, ``<`` or ``_`` renders as written;
* text: nothing.

Templates live in ``spstotte/render/templates``. A municipality can supply its own letter
templates (letterhead, contact details, signature block) in a folder named in its rule file;
they extend the bundled ones (``{% extends "spstotte/letter.html.j2" %}``), see docs/letters.md.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

Format = Literal["text", "markdown", "html"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "html")

#: How a paragraph is shown: ``gap`` marks text the caseworker must supply, ``notice`` a
#: warning about the document itself, ``internal`` a note that is not sent to the citizen.
Style = Literal["normal", "gap", "notice", "internal", "small"]


class Code(str):
    """A run shown as code (an identifier, a file name): a code span in Markdown, ``<code>`` in
    HTML, as is in text."""

    __slots__ = ()


class Strong(str):
    """A run shown in bold (a label): ``**…**`` in Markdown, ``<strong>`` in HTML, as is in
    text."""

    __slots__ = ()


#: A text of the document: a string, or runs (strings, some of them :class:`Code` or
#: :class:`Strong`) shown one after the other.
Inline = str | tuple[str, ...]


def plain(text: Inline) -> str:
    """The text without its marks: ``(Code("p85"), " is offered")`` → ``"p85 is offered"``."""
    return text if isinstance(text, str) else "".join(text)


def runs(*parts: Inline) -> tuple[str, ...]:
    """Texts one after the other, as runs (marks kept, empty runs dropped)."""
    out: list[str] = []
    for part in parts:
        out.extend(r for r in ((part,) if isinstance(part, str) else part) if r)
    return tuple(out)


def join(parts: Iterable[Inline], separator: str = ", ") -> tuple[str, ...]:
    """Texts joined by a separator, as runs: ``join([Code("a"), Code("b")])``."""
    out: list[Inline] = []
    for i, part in enumerate(parts):
        out += [separator, part] if i else [part]
    return runs(*out)


def fill(template: str, **values: Inline) -> tuple[str, ...]:
    """A catalogue text with its ``{placeholders}`` filled in, as runs: a value marked as
    :class:`Code` or :class:`Strong` (or given as runs) keeps its marks.

    >>> fill("Rule set: {name} ({n} rules)", name=Code("testby"), n="39")
    ('Rule set: ', 'testby', ' (', '39', ' rules)')
    """
    out: list[Inline] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        value = values[name]
        if spec or conversion or not isinstance(value, (str, tuple)):
            value = ("{" + name + ("!" + conversion if conversion else "")
                     + (":" + spec if spec else "") + "}").format(**{name: plain(value)})
        out.append(value)
    return runs(*out)


@dataclass(frozen=True)
class Heading:
    level: int
    text: Inline
    kind: str = "heading"


@dataclass(frozen=True)
class Paragraph:
    text: Inline
    style: Style = "normal"
    kind: str = "paragraph"


@dataclass(frozen=True)
class BulletList:
    items: tuple[Inline, ...]
    style: Style = "normal"
    kind: str = "list"


@dataclass(frozen=True)
class Table:
    headers: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    kind: str = "table"


Block = Heading | Paragraph | BulletList | Table


@dataclass
class Document:
    """A document being built: a title, a language and its blocks in order."""

    title: str
    lang: str
    blocks: list[Block] = field(default_factory=list)
    #: Values a template may show besides the blocks (a letter's sender, date, recipient...).
    meta: dict[str, Any] = field(default_factory=dict)

    def h(self, level: int, text: Inline) -> None:
        self.blocks.append(Heading(level, text))

    def p(self, text: Inline, style: Style = "normal") -> None:
        if text:
            self.blocks.append(Paragraph(text, style))

    def ul(self, items: Iterable[Inline], style: Style = "normal") -> None:
        listed = tuple(i for i in items if i)
        if listed:
            self.blocks.append(BulletList(listed, style))

    def table(self, headers: Sequence[Inline], rows: Iterable[Sequence[Inline]]) -> None:
        self.blocks.append(Table(tuple(headers), tuple(tuple(r) for r in rows)))


# Characters with a meaning in Markdown, escaped with a backslash wherever they occur in text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|#])")
# What would start a block where a line starts: a list marker ("- ", "+ ", "1. ", "2) "), a
# line of "-" or "=" (a heading's underline, a rule) or a "~~~" fence.
_MARKDOWN_LINE_START = re.compile(
    r"^([ \t]*)(?:([-+])(?=[ \t]|$)|(\d{1,9})([.)])(?=[ \t]|$)|([-=])(?=[-= \t]*$)|(~)(?=~~))",
    re.MULTILINE)


def _escape_line_start(m: re.Match[str]) -> str:
    if m[3]:
        return f"{m[1]}{m[3]}\\{m[4]}"
    return f"{m[1]}\\{m[2] or m[5] or m[6]}"


def markdown_escape(text: object, cell: bool = False) -> str:
    """Text as literal Markdown: ``a | b <c>`` → ``a \\| b \\<c\\>``.

    In a table ``cell`` a line break would end the row: it becomes a space.
    """
    value = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    value = _MARKDOWN_LINE_START.sub(_escape_line_start, value)
    return " ".join(value.splitlines()) if cell else value


def markdown_code(text: object, cell: bool = False) -> str:
    """Text as a Markdown code span, fenced with enough backticks.

    In a table ``cell`` a ``|`` would end the cell even in a code span: it is escaped there.
    """
    value = " ".join(str(text).splitlines()) if cell else str(text)
    fence = "`" * (max((len(m) for m in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    if cell:
        value = value.replace("|", "\\|")
    return f"{fence}{pad}{value}{pad}{fence}"


def underline(text: str, char: str) -> str:
    return char * len(text)


@cache
def _environment(extra: tuple[str, ...]) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(list(extra))] if extra else []
    # The bundled templates answer to "spstotte/<name>" (so a municipality's template can extend
    # them) and to "<name>" (the default when a municipality has none of its own).
    bundled = jinja2.PackageLoader("spstotte.render", "templates")
    loaders += [jinja2.PrefixLoader({"spstotte": bundled}), bundled]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # HTML templates escape every value; text and Markdown escape with their own filters.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["mdcode"] = markdown_code
    env.filters["plain"] = plain
    env.filters["underline"] = underline
    env.tests["code"] = lambda value: isinstance(value, Code)
    env.tests["strong"] = lambda value: isinstance(value, Strong)
    return env


def render(document: Document, fmt: Format, template: str = "document",
           template_dirs: Sequence[Path] = (), values: Mapping[str, Any] | None = None) -> str:
    """The document rendered with ``<template>.<fmt>.j2``.

    ``template_dirs`` are searched before the bundled templates (a municipality's letterhead).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    env = _environment(tuple(str(d) for d in template_dirs))
    page = env.get_template(f"{template}.{fmt}.j2")
    text = page.render(doc=document, meta=document.meta, lang=document.lang, fmt=fmt,
                       **(values or {}))
    # One blank line between blocks, one newline at the end, whatever the template's layout.
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n"
