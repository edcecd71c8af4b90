"""The 98 Danish municipalities and their three-digit codes (kommunekoder).

Source: the official code list as published by danmarksadresser.dk ("kommunekodeliste") and
Sundhedsdatastyrelsen's kommuneklassifikation, cross-checked against two independent copies
(HL7 Denmark ``dk-core`` and ``dawars``); see ``docs/conventions.md``. Code 411 (Christiansø)
appears in address lists but is not a municipality and is rejected as a handlekommune.

The code list itself is data (``municipality_codes.json`` beside this module); this module
only looks codes and names up. Which municipalities have a rule set is data in
``municipalities/``, never Python.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from pathlib import Path
from typing import Any, Final

from .errors import Message, MessageError, suggestion


def _load() -> dict[str, Any]:
    # The code list is data, shipped beside this module: no municipality is named in Python.
    with (Path(__file__).with_name("municipality_codes.json")).open(encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


_DATA: Final = _load()
#: The 98 municipalities: three-digit code -> official name.
MUNICIPALITY_NAMES: Final[dict[int, str]] = {
    int(code): name for code, name in _DATA["municipalities"].items()}
#: Codes that look like municipality codes but are not municipalities (Christiansø, 411).
NOT_MUNICIPALITIES: Final[dict[int, str]] = {
    int(code): name for code, name in _DATA["not_municipalities"].items()}
#: Other spellings in common use, mapped to their code.
_ALIASES: Final[dict[str, int]] = dict(_DATA["aliases"])


def fold_name(name: str) -> str:
    """Fold a municipality name for lookup: case, accents, æøå and spacing do not matter.

    >>> fold_name("Høje-Taastrup Kommune") == fold_name("hoeje taastrup")
    True
    """
    text = name.strip().casefold()
    for suffix in (" kommune", " kommunes"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # "Hoeje", "Hoje" and "Høje" all fold to the same key.
    text = text.replace("oe", "o").replace("ae", "a").replace("aa", "a")
    return "".join(ch for ch in text if ch.isalnum())


_BY_FOLDED: Final[dict[str, int]] = {
    **{fold_name(name): code for code, name in MUNICIPALITY_NAMES.items()},
    **{fold_name(alias): code for alias, code in _ALIASES.items()},
}


class MunicipalityLookupError(MessageError):
    """A code or name that is not one of the 98 municipalities (internal; wrapped by callers).
    Its ``message`` and ``hint`` are catalogue texts (``problems.municipality``)."""


def _not_found(variant: str, **values: object) -> MunicipalityLookupError:
    key = f"problems.municipality.{variant}"
    return MunicipalityLookupError(Message.of(f"{key}.message", **values),
                                   Message.of(f"{key}.hint", **values))


def municipality_code(value: object) -> int:
    """Normalise a municipality code or name to its three-digit code.

    Accepts ``101``, ``"101"``, ``"0101"``, a name and ``"<name> kommune"``.

    >>> municipality_code("0101"), municipality_code("Høje-Taastrup"), municipality_code("aarhus")
    (101, 169, 751)
    """
    if isinstance(value, bool):
        raise _not_found("not_municipality", value=value)
    if isinstance(value, int):
        code = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            if len(text) > 4:
                raise _not_found("too_long", text=text[:12] + ("…" if len(text) > 12 else ""))
            code = int(text)
        else:
            folded = fold_name(text)
            if folded in _BY_FOLDED:
                return _BY_FOLDED[folded]
            # The genitive of the official form: "Københavns Kommune", "Aarhus Kommune".
            if folded.endswith("s") and folded[:-1] in _BY_FOLDED:
                return _BY_FOLDED[folded[:-1]]
            close = difflib.get_close_matches(folded, list(_BY_FOLDED), n=1, cutoff=0.8)
            raise _not_found("unknown_name", value=value[:60], suggestion=suggestion(
                MUNICIPALITY_NAMES[_BY_FOLDED[close[0]]] if close else None))
    else:
        raise _not_found("not_municipality", value=value)
    if code in MUNICIPALITY_NAMES:
        return code
    if code in NOT_MUNICIPALITIES:
        raise _not_found("not_a_municipality", code=code, name=NOT_MUNICIPALITIES[code])
    first, last = min(MUNICIPALITY_NAMES), max(MUNICIPALITY_NAMES)
    raise _not_found("not_a_code", value=value, first=first, first_name=MUNICIPALITY_NAMES[first],
                     last=last, last_name=MUNICIPALITY_NAMES[last])
