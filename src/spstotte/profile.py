"""The citizen profile: what is known about the person the decision is about.

Every field is optional, and a missing field means *unknown*, never *no*: a requirement that
needs it is undetermined and the verdict says which facts would decide it. A CPR number is
never rejected on the modulus-11 check (CPR-kontoret has issued numbers without it since 2007)
and is masked (``DDMMYY-****``) in every output.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)

from .errors import (
    MAX_REPORTED,
    Message,
    MessageError,
    ProfileError,
    ProfileProblem,
    suggestion,
    value_words,
)
from .municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from .vocabulary import (
    Applicant,
    Consent,
    HousingKind,
    Impairment,
    Provision,
    SocialProblem,
    SupportArea,
    SupportNeed,
    closest_value,
)

_CPR_RE = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9]{4})$")  # ASCII digits only
_MAX_DEPTH = 10  # a profile is at most three levels deep; anything deeper is not a profile


def cpr_birth_date(cpr: str) -> date:
    """The birth date encoded in a CPR number, using the century rule of digit 7.

    >>> cpr_birth_date("010190-1234"), cpr_birth_date("0101104123"), cpr_birth_date("010160-5678")
    (datetime.date(1990, 1, 1), datetime.date(2010, 1, 1), datetime.date(1860, 1, 1))

    Raises:
        ValueError: the number is not ten digits or its date does not exist.
    """
    match = _CPR_RE.match(cpr.strip().replace(" ", ""))
    if not match:
        raise MessageError.of("P100", "cpr_digits")
    dd, mm, year2 = (int(g) for g in match.group(1, 2, 3))
    serial = match.group(4)
    digit7 = int(serial[0])
    # CPR-kontoret's century table: digit 7 and the two-digit year together give the century.
    if digit7 <= 3:
        century = 1900
    elif digit7 in (4, 9):
        century = 2000 if year2 <= 36 else 1900
    else:  # 5, 6, 7, 8
        century = 2000 if year2 <= 57 else 1800
    try:
        return date(century + year2, mm, dd)
    except ValueError:
        raise MessageError.of("P100", "cpr_date", digits=match.group(1) + match.group(2)
                              + match.group(3), day=dd, month=mm, year=century + year2) from None


def _normalise_cpr(value: str) -> str:
    cpr_birth_date(value)  # raises ValueError with the reason
    digits = value.strip().replace(" ", "").replace("-", "")
    return f"{digits[:6]}-{digits[6:]}"


def mask_cpr(cpr: str) -> str:
    """Mask the serial part of a normalised CPR number: ``010190-****``."""
    return cpr[:7] + "****"


def _municipality(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 10_000:
        first, last = min(MUNICIPALITY_NAMES), max(MUNICIPALITY_NAMES)
        raise MessageError.of("P100", "municipality_range", first=first, last=last)
    try:
        return municipality_code(value)
    except MunicipalityLookupError as exc:
        raise MessageError(exc.message, exc.hint) from None


def _placing_municipality(value: Any) -> int | Literal["none"]:
    if isinstance(value, str) and value.strip().lower() == "none":
        return "none"
    return _municipality(value)


_MUNICIPALITY_SCHEMA = {
    "anyOf": [{"type": "integer", "minimum": 101, "maximum": 860},
              {"type": "string", "minLength": 2}],
    "description": "Three-digit municipality code (e.g. 101) or name.",
}
def _iso_date(value: Any) -> Any:
    # A number is not a date (pydantic would read it as a Unix timestamp): say so.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise MessageError.of("P100", "date_number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date),
                    WithJsonSchema({"type": "string", "format": "date"})]
CprNumber = Annotated[str, AfterValidator(_normalise_cpr), WithJsonSchema(
    {"type": "string", "pattern": r"^\d{6}-?\d{4}$",
     "description": "CPR-nummer DDMMYY-SSSS (never rejected on modulus 11)."})]
MunicipalityCode = Annotated[int, BeforeValidator(_municipality),
                             WithJsonSchema(_MUNICIPALITY_SCHEMA)]
PlacingMunicipality = Annotated[int | Literal["none"], BeforeValidator(_placing_municipality),
                                WithJsonSchema({"anyOf": [*_MUNICIPALITY_SCHEMA["anyOf"],
                                                          {"const": "none"}]})]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class LivingSituation(_Frozen):
    """Where the citizen lives, and whether a municipality placed them there.

    ``placed_by_municipality`` is, for a stay in supported housing, a shelter or an institution
    (hospital, prison), the municipality that arranged it or that the citizen came from
    (retssikkerhedsloven § 9, stk. 3), or ``"none"`` if no public authority arranged the stay.
    ``usual_stay_municipality`` is, for a citizen without a fixed abode, the municipality where
    the citizen usually stays (retssikkerhedsloven § 9, stk. 1). Left out, each is unknown.
    """

    kind: HousingKind
    placed_by_municipality: PlacingMunicipality | None = None
    usual_stay_municipality: MunicipalityCode | None = None


#: The discretionary points of the law layer: findings a caseworker makes and must state the
#: main considerations for (forvaltningsloven § 24, stk. 1, 2. pkt.). Each is also a profile
#: field (the finding); ``assessments`` carries the considerations.
DISCRETIONARY_POINTS: tuple[str, ...] = (
    "improvement_expected", "met_by_open_offers", "met_by_advice", "covered_by_provision",
    "particular_social_problems", "at_risk",
)

_ASSESSMENT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


#: The most items a list in a profile may have: every vocabulary is far shorter, and a list of
#: 300,000 items would otherwise cost seconds and hundreds of megabytes to refuse.
MAX_LIST_ITEMS = 100


def _bounded_list(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)) and len(value) > MAX_LIST_ITEMS:
        raise MessageError.of("P100", "list_too_long", limit=MAX_LIST_ITEMS, n=len(value))
    return value


T = TypeVar("T")
BoundedSet = Annotated[frozenset[T], BeforeValidator(_bounded_list)]


def _consent(value: Any) -> Any:
    # Older profiles wrote consent as true/false: true is given, false not (yet) given.
    if value is True:
        return Consent.GIVEN.value
    if value is False:
        return Consent.NOT_YET_GIVEN.value
    return value


class Assessment(_Frozen):
    """The caseworker's concrete, individual assessment of one point.

    ``finding`` is the conclusion: true or false (for ``covered_by_provision``, the list of
    provisions that cover the need); for a point of the municipality's service level, whether
    the service level's condition holds for this citizen after the concrete assessment.
    ``considerations`` are the main considerations in words, as the decision letter must state
    them (forvaltningsloven § 24, stk. 1, 2. pkt.). The library never writes them itself.
    """

    finding: StrictBool | BoundedSet[Provision] | None = Field(
        default=None, description="The finding: true/false, or for covered_by_provision a list "
        "of provisions.")
    considerations: str | None = Field(
        default=None, min_length=1, max_length=4000,
        description="The main considerations behind the finding, in words (hovedhensyn).")

    @field_serializer("finding")
    def _finding(self, value: bool | frozenset[Provision] | None) -> bool | list[str] | None:
        if isinstance(value, frozenset):
            return sorted(v.value for v in value)
        return value


class CitizenProfile(_Frozen):
    """Facts about the citizen. Every field may be left out; left out means unknown.

    Example:
        >>> profile = CitizenProfile.parse({"cpr": "0101901234", "support_need": "high"})
        >>> profile.birth_date_known()
        datetime.date(1990, 1, 1)
        >>> profile.model_dump(exclude_none=True)["cpr"]
        '010190-****'
    """

    birth_date: IsoDate | None = Field(default=None, description="Fødselsdato.")
    cpr: CprNumber | None = Field(
        default=None, repr=False,
        description="CPR-nummer DDMMYY-SSSS; gives the birth date; masked in every output.",
    )
    residence_municipality: MunicipalityCode | None = Field(
        default=None, description="Bopælskommune: three-digit code or name."
    )
    living_situation: LivingSituation | None = None
    physical_impairment: Impairment | None = None
    mental_impairment: Impairment | None = None
    social_problems: BoundedSet[SocialProblem] | None = Field(
        default=None, description="Social problems; an empty list means none."
    )
    support_need: SupportNeed | None = Field(default=None, description="VUM støttebehov.")
    met_by_open_offers: StrictBool | None = Field(
        default=None, description="The need can be met by the municipality's open offers."
    )
    met_by_advice: StrictBool | None = Field(
        default=None, description="The need can be met by advice and guidance."
    )
    covered_by_provision: BoundedSet[Provision] | None = Field(
        default=None, description="Other provisions that cover the need; empty means none."
    )
    specialist_treatment_sought: StrictBool | None = Field(
        default=None, description="The help sought is specialist (psychiatric, psychological, "
        "therapeutic) treatment.",
    )
    improvement_expected: StrictBool | None = Field(
        default=None, description="The municipality judges that a time-limited course can "
        "improve functioning or prevent it from getting worse (§ 82 b).",
    )
    at_risk: StrictBool | None = Field(
        default=None, description="At risk of developing an impairment or social problems."
    )
    applicant: Applicant | None = None
    consent: Annotated[Consent, BeforeValidator(_consent), WithJsonSchema({
        "anyOf": [{"enum": [c.value for c in Consent]}, {"type": "boolean"}],
        "description": "given, not_yet_given, refused or unable_to_consent; true/false (older "
                       "profiles) are read as given/not_yet_given."})] | None = Field(
        default=None, description="The citizen's consent to an application made by someone "
        "else: given, not_yet_given, refused or unable_to_consent (true/false are read as "
        "given/not_yet_given).")
    accepts_straksforloeb: StrictBool | None = Field(
        default=None, description="The citizen has accepted a straksforløb (§ 82 b) instead "
        "of a decision on socialpædagogisk støtte (§ 85).")
    particular_social_problems: StrictBool | None = Field(
        default=None, description="The caseworker's finding that the citizen's social problems "
        "are særlige sociale problemer (§ 85), where the kind of problem does not settle it.")
    current_help: BoundedSet[Provision] | None = Field(
        default=None, description="Help the citizen already receives; empty means none.")
    urgent: StrictBool | None = Field(default=None, description="Acute need for support.")
    requested_support_areas: BoundedSet[SupportArea] | None = None
    motivated: StrictBool | None = Field(
        default=None, description="Motivated for the support and for change."
    )
    able_to_attend_groups: StrictBool | None = Field(
        default=None, description="Able to attend and take part in group sessions."
    )
    assessments: dict[str, Assessment] | None = Field(
        default=None, description="The caseworker's assessments, by point: a discretionary "
        "point of the law (" + ", ".join(DISCRETIONARY_POINTS) + ") or the id of a "
        "service-level rule of the municipality. Each gives a finding and the main "
        "considerations.")

    @model_validator(mode="after")
    def _cpr_matches_birth_date(self) -> CitizenProfile:
        if self.cpr is not None and self.birth_date is not None:
            from_cpr = cpr_birth_date(self.cpr)
            if from_cpr != self.birth_date:
                raise MessageError.of("P100", "cpr_mismatch", birth=self.birth_date.isoformat(),
                                      cpr_date=from_cpr.isoformat())
        return self

    @field_validator("assessments")
    @classmethod
    def _assessments_agree(cls, value: dict[str, Assessment] | None,
                           info: ValidationInfo) -> dict[str, Assessment] | None:
        # Runs after every other field (it is declared last), so info.data holds them.
        for point, assessment in (value or {}).items():
            if not _ASSESSMENT_KEY.match(point):
                raise MessageError.of("P100", "point_id", point=point[:60])
            if point not in DISCRETIONARY_POINTS:
                if isinstance(assessment.finding, frozenset):
                    raise MessageError.of("P100", "finding_bool", point=point)
                continue
            wants_list = point == "covered_by_provision"
            if assessment.finding is not None and isinstance(
                    assessment.finding, frozenset) != wants_list:
                raise MessageError.of("P100", "finding_list" if wants_list else "finding_bool",
                                      point=point)
            field_value = info.data.get(point)
            if (assessment.finding is not None and field_value is not None
                    and assessment.finding != field_value):
                shown = (sorted(v.value for v in assessment.finding)
                         if isinstance(assessment.finding, frozenset) else assessment.finding)
                raise MessageError.of("P100", "finding_contradicts", point=point,
                                      finding=repr(shown))
        return value

    def finding(self, point: str) -> Any:
        """The finding on a discretionary point: the field, or else ``assessments.<point>``."""
        value = getattr(self, point, None) if point in DISCRETIONARY_POINTS else None
        if value is None and self.assessments and point in self.assessments:
            value = self.assessments[point].finding
        return value

    @field_serializer("cpr")
    def _mask(self, cpr: str | None) -> str | None:
        return None if cpr is None else mask_cpr(cpr)

    @field_serializer("social_problems", "covered_by_provision", "requested_support_areas",
                      "current_help")
    def _sorted(self, values: frozenset[Any] | None) -> list[str] | None:
        return None if values is None else sorted(str(v.value) for v in values)

    def birth_date_known(self) -> date | None:
        """The birth date, from ``birth_date`` or else from the CPR number."""
        if self.birth_date is not None:
            return self.birth_date
        if self.cpr is not None:
            return cpr_birth_date(self.cpr)
        return None

    def masked(self) -> dict[str, Any]:
        """The profile as JSON-ready data with the CPR number masked and unknowns left out.
        The birth date read from a CPR number is kept (the masked number no longer holds its
        century), so that a stored verdict can be decided again (``spstotte replay``)."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self.cpr is not None and self.birth_date is None:
            data = {"birth_date": cpr_birth_date(self.cpr).isoformat(), **data}
        return data

    @classmethod
    def parse(cls, data: Mapping[str, Any] | CitizenProfile, *,
              spans: Any = None) -> CitizenProfile:
        """Validate raw data into a profile, raising :class:`ProfileError` (never a traceback).

        ``spans`` is an optional :class:`~spstotte.loader.LoadedYaml` that the data came from,
        so that problems carry file:line:col.
        """
        if isinstance(data, CitizenProfile):
            return data
        if not isinstance(data, Mapping):
            raise ProfileError([ProfileProblem.of("", "not_mapping", got=value_words(data))])
        deep = _too_deep(data, _MAX_DEPTH)
        if deep is not None:
            raise ProfileError([ProfileProblem.of(
                deep, "deep", spans.span((deep,)) if spans is not None else None,
                depth=_MAX_DEPTH)])
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise profile_error_from(exc, spans) from None


#: Values that hold nothing: most of a profile, skipped without further checks.
_SCALARS = frozenset({str, int, float, bool, type(None)})
_COLLECTIONS = (list, tuple, set, frozenset)
_HOLDERS = (dict, Mapping, *_COLLECTIONS)  # dict first: the commonest, and no ABC check


def _too_deep(data: Any, limit: int) -> str | None:
    """The field path of the first value nested deeper than ``limit``, or ``None``.

    The recursion stops at ``limit`` levels, so a hostile input cannot exhaust the stack; paths
    are only spelled out for the field that is too deep (this runs on every evaluation).
    """
    if not isinstance(data, Mapping):
        return None
    for key, top in data.items():
        if type(top) in _SCALARS or not isinstance(top, _HOLDERS):
            continue
        if 1 > limit or _holds_deeper(top, 1, limit):
            return str(key)
    return None


def _holds_deeper(value: Any, depth: int, limit: int) -> bool:
    """Whether a collection at ``depth`` holds a value at a depth beyond ``limit``."""
    children: Any
    if type(value) is dict or isinstance(value, Mapping):
        children = value.values()
    elif isinstance(value, _COLLECTIONS):
        children = value
    else:
        return False
    if depth >= limit:
        return any(True for _ in children)  # each child is one level deeper than allowed
    for child in children:
        if type(child) not in _SCALARS and _holds_deeper(child, depth + 1, limit):
            return True
    return False


#: The values a field takes, for hints: (one of / a list of, the values).
_FIELD_VALUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "support_need": ("one_of", tuple(v.value for v in SupportNeed)),
    "physical_impairment": ("one_of", tuple(v.value for v in Impairment)),
    "mental_impairment": ("one_of", tuple(v.value for v in Impairment)),
    "social_problems": ("list_of", tuple(v.value for v in SocialProblem)),
    "covered_by_provision": ("list_of", tuple(v.value for v in Provision)),
    "requested_support_areas": ("list_of", tuple(v.value for v in SupportArea)),
    "applicant": ("one_of", tuple(v.value for v in Applicant)),
    "consent": ("one_of", tuple(v.value for v in Consent)),
    "current_help": ("list_of", tuple(v.value for v in Provision)),
    "kind": ("one_of", tuple(v.value for v in HousingKind)),
}
#: Other fields whose hint says how to write them.
_FIELD_HINTS: dict[str, str] = {"cpr": "cpr", "birth_date": "date", "on": "date"}
#: pydantic's type errors: the type expected, in words (``problems.types``).
_TYPES = {"string_type": "text", "int_type": "int", "int_parsing": "int",
          "float_type": "number", "float_parsing": "number", "dict_type": "mapping",
          "model_type": "mapping", "model_attributes_type": "mapping", "list_type": "list",
          "frozen_set_type": "list", "set_type": "list", "tuple_type": "list",
          "iterable_type": "list"}


def _field_hint(field_name: str, value: object = None) -> Message | None:
    """What a field takes, with the value probably meant where one is close."""
    if field_name in _FIELD_VALUES:
        form, values = _FIELD_VALUES[field_name]
        return Message.of(f"problems.field_hints.{form}", values=values,
                          suggestion=suggestion(closest_value(value, values)))
    if field_name in _FIELD_HINTS:
        return Message.of(f"problems.field_hints.{_FIELD_HINTS[field_name]}")
    return None


def _fields_of(loc: tuple[object, ...]) -> tuple[str, ...]:
    """The fields the mapping at ``loc`` may have."""
    model: type[BaseModel] = CitizenProfile
    if loc[:1] == ("living_situation",):
        model = LivingSituation
    elif loc[:1] == ("assessments",) and len(loc) > 1:
        model = Assessment
    return tuple(model.model_fields)


def profile_error_from(exc: ValidationError, spans: Any = None) -> ProfileError:
    """Turn pydantic's errors into :class:`ProfileProblem` s with field paths (and positions),
    in plain words, Danish and English."""
    errors = exc.errors(include_url=False)
    # Only the problems that will be shown are worded (difflib, templates); the rest counted.
    shown = [_problem(error, spans) for error in errors[:MAX_REPORTED]]
    return ProfileError(shown, more=len(errors) - len(shown))


def _problem(error: Any, spans: Any) -> ProfileProblem:
    """One of pydantic's errors as a problem of the profile."""
    loc = tuple(part for part in error["loc"] if not _is_internal_loc(part))
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    field_name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    span = spans.span(tuple(loc), key=kind == "extra_forbidden") if spans is not None else None
    if kind == "extra_forbidden":
        fields = _fields_of(loc[:-1])
        close = difflib.get_close_matches(field_name, fields, n=1, cutoff=0.7)
        return ProfileProblem.of(path, "unknown_field", span, fields=fields,
                                 suggestion=suggestion(close[0] if close else None))
    if kind in ("bool_type", "bool_parsing"):
        return ProfileProblem.of(path, "bool", span, got=value_words(value))
    if kind == "missing":
        return ProfileProblem.of(path, "missing", span, field=field_name)
    if kind in ("enum", "literal_error"):
        allowed = tuple(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        hint = _field_hint(field_name, value) or Message.of(
            "problems.field_hints.one_of", values=allowed,
            suggestion=suggestion(closest_value(value, allowed)))
        return ProfileProblem.of(path, "choice", span, hint=hint,
                                 value=repr(value[:60]) if isinstance(value, str)
                                 else value_words(value))
    if kind.startswith("date_"):
        return ProfileProblem.of(path, "date", span, got=value_words(value))
    if kind in _TYPES:
        return ProfileProblem.of(path, "type", span, got=value_words(value),
                                 expected=Message.of(f"problems.types.{_TYPES[kind]}"),
                                 hint=_field_hint(field_name) or "")
    if kind in ("string_too_short", "string_too_long"):
        return ProfileProblem.of(path, kind.removeprefix("string_"), span,
                                 n=ctx.get("min_length", ctx.get("max_length", 0)))
    if isinstance(ctx.get("error"), MessageError):
        words: MessageError = ctx["error"]
        return ProfileProblem.from_words(path, words.message,
                                         words.hint or _field_hint(field_name), span)
    return ProfileProblem.of(path, "other", span, hint=_field_hint(field_name) or "",
                             detail=str(error["msg"]).removeprefix("Value error, ")[:300])


def _is_internal_loc(part: object) -> bool:
    # pydantic adds validator names such as 'function-after[...]' or 'int' to union locations.
    return isinstance(part, str) and ("[" in part or part in ("int", "literal['none']"))
