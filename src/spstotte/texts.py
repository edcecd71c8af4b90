"""The texts the library writes for people, kept as data: ``texts.yaml`` and ``diagnostics.yaml``.

Headings and sentences of verdicts, decision letters and rulebooks, and the names of the facts,
live in ``texts.yaml``; the words of every problem spstotte reports (errors, warnings, hints and
the catalogue of error codes) in ``diagnostics.yaml``. Both are in Danish and English, so that
wording can be reviewed and changed without touching Python. A text is looked up by a dotted
key and filled in with named values::

    text("decision.granted", "da", municipality="… Kommune", title="…")
    text("report.hint", "da")                      # from diagnostics.yaml: "tip"

The problems' file is read only when a problem is worded: a verdict never waits for it.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any, Final

from .errors import CatalogueError, RuleSetError
from .loader import load_yaml_file

_CATALOGUE = Path(__file__).with_name("texts.yaml")
_DIAGNOSTICS = Path(__file__).with_name("diagnostics.yaml")
#: The top-level sections of diagnostics.yaml.
DIAGNOSTIC_SECTIONS: Final = frozenset({"report", "errors", "problems", "error_codes",
                                        "diagnostics"})
#: The files this thread is reading: a problem in one of them cannot be worded from it. Per
#: thread: several threads may read the catalogue for the first time at once, and each must
#: wait for nothing but its own read.
_local = threading.local()


def _read(path: Path) -> dict[str, Any]:
    """One file of the catalogue.

    Raises:
        CatalogueError: it cannot be read (a bad edit; the message says where)."""
    reading: set[Path] = _local.__dict__.setdefault("reading", set())
    if path in reading:
        raise CatalogueError(f"{path.name} is being read")
    reading.add(path)
    try:
        data = load_yaml_file(path, cache=True).data
    except RuleSetError as exc:
        # Said without the catalogue's words (they may be what cannot be read).
        raise CatalogueError(f"{path.name} cannot be read:\n" + "\n".join(
            f"{d.span}: [{d.code}] {d.message}" for d in exc.diagnostics)) from None
    finally:
        reading.discard(path)
    assert isinstance(data, dict)
    return data


@cache
def catalogue() -> dict[str, Any]:
    """The texts of verdicts, letters, rulebooks and facts (``texts.yaml``, read once)."""
    return _read(_CATALOGUE)


@cache
def diagnostics_catalogue() -> dict[str, Any]:
    """The words of every problem reported (``diagnostics.yaml``, read once, when first
    needed)."""
    return _read(_DIAGNOSTICS)


def node(key: str) -> Any:
    """The part of the catalogue at a dotted key, from the file that holds it."""
    first = key.split(".", 1)[0]
    found: Any = diagnostics_catalogue() if first in DIAGNOSTIC_SECTIONS else catalogue()
    for part in key.split("."):
        found = found[part]
    return found


def entry(key: str) -> dict[str, str]:
    """The Danish and English forms of a text, by dotted key (``KeyError`` if there is none)."""
    found = node(key)
    assert isinstance(found, dict) and set(found) == {"da", "en"}, key
    return found


def text(key: str, lang: str, **values: object) -> str:
    """A text in ``da`` or ``en``, with its ``{placeholders}`` filled in."""
    template = entry(key)["da" if lang == "da" else "en"]
    return template.format(**values) if values else template


def keys() -> list[str]:
    """Every dotted key of the catalogue, both files (for its tests)."""
    out: list[str] = []

    def walk(found: Any, prefix: str) -> None:
        if isinstance(found, dict) and set(found) == {"da", "en"}:
            out.append(prefix)
        elif isinstance(found, dict):
            for name, child in found.items():
                # Fact names contain dots themselves: keep them whole.
                walk(child, f"{prefix}.{name}" if prefix else name)

    walk(catalogue(), "")
    walk(diagnostics_catalogue(), "")
    return out
