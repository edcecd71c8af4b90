"""The 98 Danish municipalities and their three-digit codes (kommunekoder).

Source: the official code list as published by danmarksadresser.dk ("kommunekodeliste") and
Sundhedsdatastyrelsen's kommuneklassifikation, cross-checked against two independent copies
(HL7 Denmark ``dk-core`` and ``dawars``); see ``docs/conventions.md``. Code 411 (Christiansø)
appears in address lists but is not a municipality and is rejected as a handlekommune.

This module only knows the codes and names. Which municipalities have a rule set is data in
``municipalities/``, never Python.
"""

from __future__ import annotations

import unicodedata
from typing import Final

MUNICIPALITY_NAMES: Final[dict[int, str]] = {
    101: "København", 147: "Frederiksberg", 151: "Ballerup", 153: "Brøndby", 155: "Dragør",
    157: "Gentofte", 159: "Gladsaxe", 161: "Glostrup", 163: "Herlev", 165: "Albertslund",
    167: "Hvidovre", 169: "Høje-Taastrup", 173: "Lyngby-Taarbæk", 175: "Rødovre", 183: "Ishøj",
    185: "Tårnby", 187: "Vallensbæk", 190: "Furesø", 201: "Allerød", 210: "Fredensborg",
    217: "Helsingør", 219: "Hillerød", 223: "Hørsholm", 230: "Rudersdal", 240: "Egedal",
    250: "Frederikssund", 253: "Greve", 259: "Køge", 260: "Halsnæs", 265: "Roskilde",
    269: "Solrød", 270: "Gribskov", 306: "Odsherred", 316: "Holbæk", 320: "Faxe",
    326: "Kalundborg", 329: "Ringsted", 330: "Slagelse", 336: "Stevns", 340: "Sorø",
    350: "Lejre", 360: "Lolland", 370: "Næstved", 376: "Guldborgsund", 390: "Vordingborg",
    400: "Bornholm", 410: "Middelfart", 420: "Assens", 430: "Faaborg-Midtfyn", 440: "Kerteminde",
    450: "Nyborg", 461: "Odense", 479: "Svendborg", 480: "Nordfyns", 482: "Langeland",
    492: "Ærø", 510: "Haderslev", 530: "Billund", 540: "Sønderborg", 550: "Tønder",
    561: "Esbjerg", 563: "Fanø", 573: "Varde", 575: "Vejen", 580: "Aabenraa",
    607: "Fredericia", 615: "Horsens", 621: "Kolding", 630: "Vejle", 657: "Herning",
    661: "Holstebro", 665: "Lemvig", 671: "Struer", 706: "Syddjurs", 707: "Norddjurs",
    710: "Favrskov", 727: "Odder", 730: "Randers", 740: "Silkeborg", 741: "Samsø",
    746: "Skanderborg", 751: "Aarhus", 756: "Ikast-Brande", 760: "Ringkøbing-Skjern",
    766: "Hedensted", 773: "Morsø", 779: "Skive", 787: "Thisted", 791: "Viborg",
    810: "Brønderslev", 813: "Frederikshavn", 820: "Vesthimmerlands", 825: "Læsø",
    840: "Rebild", 846: "Mariagerfjord", 849: "Jammerbugt", 851: "Aalborg", 860: "Hjørring",
}

#: Codes that look like municipality codes but are not municipalities.
NOT_MUNICIPALITIES: Final[dict[int, str]] = {411: "Christiansø"}

#: Other spellings in common use, mapped to the official name.
_ALIASES: Final[dict[str, int]] = {
    "vesthimmerland": 820,
    "kobenhavn": 101,
    "copenhagen": 101,
    "arhus": 751,
    "aarhus": 751,
    "lyngby": 173,
    "taastrup": 169,
}


def fold_name(name: str) -> str:
    """Fold a municipality name for lookup: case, accents, æøå and spacing do not matter.

    >>> fold_name("Sønderborg Kommune") == fold_name("soenderborg")
    True
    """
    text = name.strip().casefold()
    for suffix in (" kommune", " kommunes"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # "Soenderborg", "Sonderborg" and "Sønderborg" all fold to the same key.
    text = text.replace("oe", "o").replace("ae", "a").replace("aa", "a")
    return "".join(ch for ch in text if ch.isalnum())


_BY_FOLDED: Final[dict[str, int]] = {
    **{fold_name(name): code for code, name in MUNICIPALITY_NAMES.items()},
    **{fold_name(alias): code for alias, code in _ALIASES.items()},
}


class MunicipalityLookupError(ValueError):
    """A code or name that is not one of the 98 municipalities (internal; wrapped by callers)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def municipality_code(value: object) -> int:
    """Normalise a municipality code or name to its three-digit code.

    Accepts ``265``, ``"265"``, ``"0265"``, ``"Roskilde"`` and ``"roskilde kommune"``.

    >>> municipality_code("0265"), municipality_code("Sønderborg"), municipality_code("vejle")
    (265, 540, 630)
    """
    if isinstance(value, bool):
        raise MunicipalityLookupError(
            f"{value!r} is not a municipality", "give the three-digit code or the name"
        )
    if isinstance(value, int):
        code = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            code = int(text)
        else:
            folded = fold_name(text)
            if folded in _BY_FOLDED:
                return _BY_FOLDED[folded]
            raise MunicipalityLookupError(
                f"{value!r} is not the name of a Danish municipality",
                "give the three-digit code (e.g. 265) or the name (e.g. Roskilde)",
            )
    else:
        raise MunicipalityLookupError(
            f"{value!r} is not a municipality", "give the three-digit code or the name"
        )
    if code in MUNICIPALITY_NAMES:
        return code
    if code in NOT_MUNICIPALITIES:
        raise MunicipalityLookupError(
            f"{code} ({NOT_MUNICIPALITIES[code]}) is not a municipality",
            "Christiansø is administered by the state; give the municipality that acts",
        )
    raise MunicipalityLookupError(
        f"{value!r} is not one of the 98 municipality codes",
        "municipality codes are three digits, from 101 (København) to 860 (Hjørring)",
    )


def municipality_name(code: int) -> str:
    """The official name of a municipality code."""
    return MUNICIPALITY_NAMES[code]
