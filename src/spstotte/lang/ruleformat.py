"""Stage 2a, the rule-file format: pydantic models of what a rule file may contain.

A rule file is either part of the law layer (``layer: law``, in ``rules/``) or a municipality's
service level (``layer: municipality``, in ``municipalities/``). Conditions (``when``) and
conclusions (``then``) are kept raw here and parsed by :mod:`spstotte.lang.conditions`, which knows
their positions and gives precise errors.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def _section_text(value: Any) -> Any:
    # "section: 85" is natural YAML; the section is text ("82 b") in general.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Section = Annotated[str, BeforeValidator(_section_text),
                    StringConstraints(pattern=r"^\d+( ?[a-z])?$"),
                    WithJsonSchema({"anyOf": [{"type": "integer"},
                                              {"type": "string", "pattern": r"^\d+( ?[a-z])?$"}],
                                    "description": "The paragraph: 85, or '82 b'."})]


def _iso_date(value: Any) -> Any:
    # Dates stay text in the loader (no implicit YAML timestamps); only YYYY-MM-DD is read, so
    # that a typo cannot become another date.
    if isinstance(value, str):
        if not ISO_DATE.fullmatch(value):
            raise ValueError("write the date as YYYY-MM-DD, e.g. 2025-07-01")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a date in the calendar") from None
    return value


#: A date as the library reads one: YYYY-MM-DD only (Python would also read '20261123' and
#: '2026-W48-1', which a typo could turn into another date).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: A date written as YYYY-MM-DD.
Day = Annotated[date, BeforeValidator(_iso_date),
                WithJsonSchema({"type": "string", "format": "date",
                                "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Dated(_Model):
    """Something in force for a period: from ``valid_from`` to ``valid_to``, both days
    included; an open end where either is left out."""

    valid_from: Day | None = Field(
        default=None, description="The first day it is in force (YYYY-MM-DD); left out: "
        "since before any decision the library makes.")
    valid_to: Day | None = Field(
        default=None, description="The last day it is in force, included (YYYY-MM-DD); left "
        "out: until further notice.")


class Text(_Model):
    """A text in Danish (``da``) and English (``en``)."""

    da: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``da`` or ``en``."""
        return self.da if lang == "da" else self.en


class Act(_Model):
    """A statute that legal references can name."""

    title: Text
    short: str = Field(description="How the act is cited in running text, e.g. 'serviceloven'.")
    consolidation: str = Field(description="The consolidated act cited, e.g. 'LBK nr. 1129 af "
                               "22. september 2025'.")


class LawRef(_Model):
    """A reference to a provision: act, section (paragraf), stk. and nr."""

    act: Identifier
    section: Section
    stk: int | None = None
    nr: int | None = None
    quote: str | None = Field(
        default=None, min_length=8, max_length=400,
        description="A short verbatim quote of the provision's wording, checked against the "
        "statute catalogue (spstotte/statutes.yaml).")


class SourceRef(_Model):
    """A passage of a source document: the section heading and a short verbatim quote."""

    source: Identifier
    section: str = Field(min_length=1)
    quote: str = Field(min_length=8, max_length=400)


class LegalBasis(_Model):
    """The legal basis of a rule: references to law and to municipal or national texts."""

    law: list[LawRef] = []
    sources: list[SourceRef] = []


class SourcePart(_Model):
    """A part of a source file, from the words it starts with to the words it ends with."""

    starts: str = Field(min_length=8, max_length=200)
    ends: str = Field(min_length=8, max_length=200)


class SourceDocument(_Model):
    """A source text the rules cite, by its real identity and its file name."""

    file: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    publisher: str
    title: str
    date: str = Field(description="Date as the document gives it: 'YYYY-MM-DD' or 'udateret'.")
    kind: str
    municipality: int | None = Field(
        default=None, description="The municipality code of the publisher; absent for a "
        "national text. A municipality's rule file may cite only its own municipality's texts.")
    parts: list[SourcePart] = Field(
        default=[], description="Where the file holds texts of several publishers: the parts "
        "that are this publisher's. Every quote must lie within one of them.")
    note: Text | None = None


class PathDef(_Model):
    """A grant path: § 85 or § 82 b."""

    title: Text
    outcome: Literal["granted_85", "granted_82b"]
    legal_basis: LegalBasis
    offered_if: Identifier | None = Field(
        default=None, description="A yes/no parameter: the path exists only where it is true.")
    max_months: int | None = None
    appeal: Identifier
    entitlement: bool = Field(
        default=False, description="The citizen is entitled to the path when its conditions "
        "are met ('skal tilbyde'): no other path is granted in its place by the municipality's "
        "path_order alone.")
    instead_of_entitlement: Identifier | None = Field(
        default=None, description="A rule (derive) that must be true for this path to be granted "
        "where an entitlement path is met too: the citizen's acceptance.")
    by_order: Identifier | None = Field(
        default=None, description="A rule (derive) that must be true for this path to be "
        "granted by the municipality's path_order while an entitlement path is still "
        "undetermined.")


class AppealScheme(_Model):
    """How a decision can be appealed (or that it cannot be brought before another authority)."""

    appealable: bool
    weeks: int | None = None
    text: Text
    legal_basis: LegalBasis


class ReferralTarget(_Model):
    """Somewhere a need can be referred to instead of § 85 / § 82 b (``referrals:``)."""

    title: Text
    legal_basis: LegalBasis | None = None


ParameterType = Literal["bool", "int", "int_list", "support_need", "impairment",
                        "municipality", "path_list", "social_problem_list"]


class ParameterVersion(_Dated):
    """One value of a parameter for a period, with the source that sets it."""

    value: Any
    legal_basis: LegalBasis | None = None
    note: Text | None = None


class Parameter(_Model):
    """A parameter: declared (with ``type``) or set (``value`` only) by a layer."""

    type: ParameterType | None = None
    title: Text | None = None
    value: Any = None
    legal_basis: LegalBasis | None = None
    versions: list[ParameterVersion] = Field(
        default=[], description="Values for periods, instead of one 'value': each with its "
        "valid_from and valid_to, without gaps or overlaps.")
    statutory: bool | None = Field(
        default=None, description="Declared in the law layer only: the parameter reads the "
        "statute (e.g. what counts as 'betydelig'), so no municipality may set it.")
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SupportAreaDef(_Dated):
    """One of a municipality's support areas, mapped onto the shared vocabulary."""

    title: Text
    covers: list[str] = Field(min_length=1)
    examples: list[str] = []
    not_included: list[str] = []
    legal_basis: LegalBasis


class DeliveryForm(_Dated):
    """A form in which the support is delivered (individual, group, digital, ...)."""

    title: Text
    legal_basis: LegalBasis


class LetterSettings(_Model):
    """How a municipality's decision letters look, and what they promise beyond the law."""

    sender: list[str] = Field(
        default=[], description="The letterhead: the sending unit and its address, one line "
        "each.")
    contact: list[str] = Field(
        default=[], description="Contact details under the signature (phone, hours, e-mail).")
    reasons_on_grant: bool = Field(
        default=False, description="Give reasons for a grant too. Forvaltningsloven § 22 does "
        "not require them where the citizen gets everything applied for; a municipality may "
        "promise them.")
    templates: str | None = Field(
        default=None, description="A folder, relative to this rule file, with the "
        "municipality's own letter templates (letter.text.j2, letter.markdown.j2, "
        "letter.html.j2); each may extend the bundled one (docs/letters.md).")
    legal_basis: LegalBasis | None = Field(
        default=None, description="The municipality's texts the letterhead, contact details "
        "and promises are taken from.")


class Difference(_Model):
    """A recorded difference between two texts of the same municipality, and the choice made."""

    topic: Text
    sources: list[Identifier] = Field(min_length=2)
    choice: Text


class MunicipalityRef(_Model):
    """The municipality a service level belongs to."""

    code: int
    name: str


ConditionKindName = Literal["statute", "service_level", "assessment"]


class Rule(_Dated):
    """One rule: when its condition holds, its conclusion follows."""

    id: Identifier
    title: Text
    condition_kind: ConditionKindName | None = Field(
        default=None, description="statute (the default in the law layer), service_level (the "
        "default, and the only kind, in a municipality file) or assessment (a law-layer rule "
        "resting on a caseworker's discretionary finding).")
    legal_basis: LegalBasis
    when: Any = None
    then: Any
    overrides: Identifier | None = None
    reason: Text | None = None
    note: Text | None = None


class Restatement(_Dated):
    """A municipal text that restates a law-layer rule: its citation is added to the rule."""

    rule: Identifier
    sources: list[SourceRef] = Field(min_length=1)
    note: Text | None = None


class RuleFile(_Dated):
    """The top level of a rule file."""

    layer: Literal["law", "municipality"]
    id: Identifier
    title: Text
    schema_: str | None = Field(default=None, alias="$schema")
    municipality: MunicipalityRef | None = None
    extends: Identifier | None = None
    sources: dict[Identifier, SourceDocument] = {}
    paths: dict[Identifier, PathDef] = {}
    appeal: dict[Identifier, AppealScheme] = {}
    referrals: dict[Identifier, ReferralTarget] = {}
    parameters: dict[Identifier, Parameter] = {}
    support_areas: dict[Identifier, SupportAreaDef] = {}
    delivery_forms: dict[Identifier, DeliveryForm] = {}
    differences: list[Difference] = []
    restates: list[Restatement] = []
    letter: LetterSettings | None = None
    rules: list[Rule] = []

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)
