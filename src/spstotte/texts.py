"""The texts the library writes for people, kept as data in ``texts.yaml``.

Headings and sentences of verdicts, decision letters and rulebooks, and the names of the facts,
live in one catalogue in Danish and English, so that wording can be reviewed and changed
without touching Python. A text is looked up by a dotted key and filled in with named values::

    text("decision.granted", "da", municipality="… Kommune", title="…")
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from .errors import CatalogueError, RuleSetError
from .loader import load_yaml_file

_CATALOGUE = Path(__file__).with_name("texts.yaml")
#: True while the catalogue is read: a problem in texts.yaml itself cannot be worded from it.
_reading = False


@cache
def catalogue() -> dict[str, Any]:
    """The whole catalogue (read once).

    Raises:
        CatalogueError: texts.yaml cannot be read (a bad edit; the message says where)."""
    global _reading
    if _reading:
        raise CatalogueError("texts.yaml is being read")
    _reading = True
    try:
        data = load_yaml_file(_CATALOGUE).data
    except RuleSetError as exc:
        # Said without the catalogue's words (they are what cannot be read).
        raise CatalogueError("texts.yaml cannot be read:\n" + "\n".join(
            f"{d.span}: [{d.code}] {d.message}" for d in exc.diagnostics)) from None
    finally:
        _reading = False
    assert isinstance(data, dict)
    return data


def entry(key: str) -> dict[str, str]:
    """The Danish and English forms of a text, by dotted key (``KeyError`` if there is none)."""
    node: Any = catalogue()
    for part in key.split("."):
        node = node[part]
    assert isinstance(node, dict) and set(node) == {"da", "en"}, key
    return node


def text(key: str, lang: str, **values: object) -> str:
    """A text in ``da`` or ``en``, with its ``{placeholders}`` filled in."""
    template = entry(key)["da" if lang == "da" else "en"]
    return template.format(**values) if values else template


def keys() -> list[str]:
    """Every dotted key of the catalogue (for its tests)."""
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and set(node) == {"da", "en"}:
            out.append(prefix)
        elif isinstance(node, dict):
            for name, child in node.items():
                # Fact names contain dots themselves: keep them whole.
                walk(child, f"{prefix}.{name}" if prefix else name)

    walk(catalogue(), "")
    return out
