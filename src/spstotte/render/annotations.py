"""GitHub Actions workflow commands: problems shown as annotations on the pull request, at the
file and line they are about (``--format github``).

The format is GitHub's ``::error file=F,line=L,col=C,title=T::message``. Data is escaped as the
runner expects (``%``, CR and LF as ``%25``, ``%0D``, ``%0A``; in properties also ``:`` and
``,``), so a message with a line break or a file name with a comma cannot end the command early
or inject another one.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["error", "warning", "notice"]


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: Level, message: str, *, file: str | None = None,
               line: int | None = None, col: int | None = None,
               title: str | None = None) -> str:
    """One workflow command line (without the line break).

    >>> annotation("error", "quote not found", file="municipalities/aarhus.yaml", line=12,
    ...            col=7, title="R212")
    '::error file=municipalities/aarhus.yaml,line=12,col=7,title=R212::quote not found'
    >>> annotation("warning", "two\\nlines, 100%")
    '::warning::two%0Alines, 100%25'
    """
    properties = [f"{key}={_property(str(value))}"
                  for key, value in (("file", file), ("line", line), ("col", col),
                                     ("title", title)) if value is not None]
    head = f"::{level}" + (" " + ",".join(properties) if properties else "")
    return f"{head}::{_data(message)}"
