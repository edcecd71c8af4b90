"""The statute catalogue: the acts and provisions rules may cite, with their wording.

Kept as data in ``statutes.yaml`` (see that file for the rules of transcription). The resolver
checks every law reference against it: an act, section, stk. or nr. that is not listed is an
error with a did-you-mean (R225), and a ``quote`` must be part of the provision's wording (R224).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import cache, lru_cache

from pydantic import Field

from .._paths import data_file
from ..errors import Message
from ..lang.ruleformat import Act, LawRef, Text, _Model
from ..loader import load_yaml_file

_CATALOGUE = data_file("statutes.yaml")


class Numbered(_Model):
    """A numbered item (nr.) of a stk."""

    title: Text


class Subsection(_Model):
    """A stk. of a section, with its wording where the project has the statute's text."""

    title: Text
    wording: str | None = None
    transcribed_from: str | None = Field(
        default=None, description="The transcription (key of 'transcriptions') the wording is "
        "taken from.")
    note: Text | None = None
    nr: dict[int, Numbered] = Field(default_factory=dict)


class Section(_Model):
    """A section (paragraf) of an act."""

    title: Text
    stk: dict[int, Subsection]


class CataloguedAct(_Model):
    """An act: its titles, how it is cited, the consolidation cited, and its sections."""

    title: Text
    short: str
    consolidation: str
    sections: dict[str, Section]

    def act(self) -> Act:
        """The act as the rule format knows it."""
        return Act(title=self.title, short=self.short, consolidation=self.consolidation)


class Transcription(_Model):
    """A source document that reprints statute text, from which wording was transcribed."""

    file: str
    publisher: str
    title: str
    date: str
    note: Text | None = None


class StatuteCatalogue(_Model):
    """The whole catalogue."""

    acts: dict[str, CataloguedAct]
    transcriptions: dict[str, Transcription]


@cache
def statutes() -> StatuteCatalogue:
    """The catalogue (read once; it ships with the package)."""
    return StatuteCatalogue.model_validate(load_yaml_file(_CATALOGUE, cache=True).data,
                                           strict=False)


def acts() -> dict[str, Act]:
    """Every act, keyed by identifier."""
    return {name: act.act() for name, act in statutes().acts.items()}


@lru_cache(maxsize=1_024)
def normal_section(section: str) -> str:
    """``82b`` and ``82 b`` are the same section: ``82 b``."""
    return re.sub(r"^(\d+) ?([a-z])$", r"\1 \2", section.strip())


@lru_cache(maxsize=1_024)
def _fold(text: str) -> str:
    """A text with its runs of spaces as one (quotes are compared folded; every rule set
    compares its quotes with the same few provisions' wording)."""
    return " ".join(text.replace("\u00a0", " ").split())


def provision(ref: LawRef) -> Subsection | None:
    """The stk. a reference cites (the act's stk. 1 where none is given), if catalogued."""
    act = statutes().acts.get(ref.act)
    section = act.sections.get(normal_section(ref.section)) if act else None
    if section is None:
        return None
    return section.stk.get(ref.stk if ref.stk is not None else 1)


def provision_title(ref: LawRef) -> Text | None:
    """The title of the most precise level cited: nr., stk., or the section."""
    act = statutes().acts.get(ref.act)
    section = act.sections.get(normal_section(ref.section)) if act else None
    if section is None:
        return None
    if ref.stk is None:
        return section.title
    stk = section.stk.get(ref.stk)
    if stk is None:
        return None
    if ref.nr is None:
        return stk.title
    nr = stk.nr.get(ref.nr)
    return nr.title if nr else None


def check_reference(ref: LawRef) -> tuple[str, str, str, dict[str, object]] | None:
    """Why a reference is not in the catalogue, as (field, code, variant, values) of the
    diagnostic (``diagnostics.<code>.<variant>``); ``None`` if it is.

    The field is the key of the reference that is wrong (``act``, ``section``, ``stk``, ``nr``
    or ``quote``)."""
    catalogue = statutes()
    act = catalogue.acts.get(ref.act)
    if act is None:
        return ("act", "R216", "act", {"act": ref.act, **_did_you_mean(ref.act, catalogue.acts)})
    name = normal_section(ref.section)
    section = act.sections.get(name)
    if section is None:
        return ("section", "R225", "section", {
            "act": act.short, "section": ref.section,
            **_did_you_mean(name, act.sections, prefix=f"{act.short} § ")})
    if ref.stk is not None and ref.stk not in section.stk:
        return ("stk", "R225", "stk", {
            "act": act.short, "section": name, "stk": ref.stk,
            **_did_you_mean(str(ref.stk), {str(k): v for k, v in section.stk.items()},
                            prefix=f"{act.short} § {name}, stk. ")})
    if ref.nr is not None:
        stk = section.stk.get(ref.stk if ref.stk is not None else 1)
        numbers = stk.nr if stk else {}
        where = f"{act.short} § {name}, stk. {ref.stk or 1}"
        if not numbers:
            return ("nr", "R225", "no_numbers", {"where": where, "nr": ref.nr})
        if ref.nr not in numbers:
            return ("nr", "R225", "nr", {
                "where": where, "nr": ref.nr,
                **_did_you_mean(str(ref.nr), {str(k): v for k, v in numbers.items()},
                                prefix=f"{where}, nr. ")})
    if ref.quote is not None:
        stk = provision(ref)
        where = f"{act.short} § {name}, stk. {ref.stk or 1}"
        if stk is None or stk.wording is None:
            return ("quote", "R224", "no_wording", {"where": where})
        if _fold(ref.quote) not in _fold(stk.wording):
            return ("quote", "R224", "quote", {"where": where, "quote": ref.quote})
    return None


def _did_you_mean(name: str, known: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """The nearest entry of the catalogue (as "did you mean ...? ", or nothing) and the list
    of all of them, for the hint."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return {"suggestion": Message.of("problems.did_you_mean_plain",
                                     suggestion=f"{prefix}{close[0]}") if close else "",
            "listed": tuple(f"{prefix}{k}" for k in known)}


# "§ 85", "§§ 10 og 12", "§§ 82 a–82 d", "s. 82 b", "ss. 122 and 123(3)": the section numbers a
# text names. A letter is part of the number only when no other letter follows ("§ 85 a" but
# not the "o" of "§ 12 om").
_NUMBER = r"\d+(?: ?[a-z](?![a-zæøå]))?"
_NAMED = re.compile(rf"(?:§§?|\bss?\.)\s*({_NUMBER}(?:(?:, | og | eller | and | or |–|-)"
                    rf"{_NUMBER})*)")


def sections_named(text: str) -> list[str]:
    """The sections a text names with ``§`` (or ``s.``/``ss.`` in English), normalised."""
    return list(_sections_named(text))


@lru_cache(maxsize=1_024)
def _sections_named(text: str) -> tuple[str, ...]:
    """:func:`sections_named`, kept: every rule set checks the same law-layer titles."""
    out: list[str] = []
    for match in _NAMED.finditer(text):
        for number in re.findall(_NUMBER, match.group(1)):
            name = normal_section(number)
            if name not in out:
                out.append(name)
    return tuple(out)
