"""The closed vocabularies of the profile: scales, categories and their Danish and English labels.

These are national terms (VUM 2.0 / Fælles Faglige Begreber, serviceloven), not municipal
choices. Which values a municipality accepts, and what follows from them, is in the YAML rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from typing import Final


class Vocabulary(StrEnum):
    """Base of the enums below: the value is the identifier used in YAML and JSON."""


class SupportNeed(Vocabulary):
    """VUM 2.0 støttebehov (one overall rating per case)."""

    NONE = "none"
    LIGHT = "light"
    MODERATE = "moderate"
    HIGH = "high"
    COMPLETE = "complete"
    NOT_ASSESSED = "not_assessed"


class Impairment(Vocabulary):
    """VUM 2.0 / FFB funktionsevneniveau (nedsat funktionsevne)."""

    NONE = "none"
    LIGHT = "light"
    MODERATE = "moderate"
    SEVERE = "severe"
    COMPLETE = "complete"


class SocialProblem(Vocabulary):
    """Social problems (FFB målgruppe 'socialt problem', and wordings some municipalities use)."""

    HOMELESSNESS = "homelessness"
    SUBSTANCE_ABUSE = "substance_abuse"
    SOCIAL_ISOLATION = "social_isolation"
    SELF_HARM = "self_harm"
    CRIME = "crime"
    VIOLENCE_OR_ABUSE = "violence_or_abuse"
    PROSTITUTION = "prostitution"
    PSYCHOLOGICALLY_VULNERABLE = "psychologically_vulnerable"
    SOCIALLY_MARGINALISED = "socially_marginalised"


class Provision(Vocabulary):
    """Other provisions that may cover the need instead of § 85 / § 82 b."""

    SECTION_83 = "section_83"
    SECTION_83A = "section_83a"
    SECTION_97 = "section_97"
    SECTION_82A = "section_82a"
    SECTION_85A = "section_85a"
    HEALTH_CARE = "health_care"
    AELDRELOVEN = "aeldreloven"
    OTHER_LEGISLATION = "other_legislation"


class Applicant(Vocabulary):
    """Who applies on the citizen's behalf."""

    SELF = "self"
    RELATIVE = "relative"
    GUARDIAN = "guardian"
    OTHER = "other"


class Consent(Vocabulary):
    """The citizen's consent to an application someone else makes (forvaltningsloven § 8).

    ``not_yet_given`` can still be supplied (the municipality guides, forvaltningsloven § 7);
    ``refused`` closes an application made by someone else; ``unable_to_consent`` means a
    guardian (værge) must act for the citizen.
    """

    GIVEN = "given"
    NOT_YET_GIVEN = "not_yet_given"
    REFUSED = "refused"
    UNABLE_TO_CONSENT = "unable_to_consent"


class HousingKind(Vocabulary):
    """Where the citizen lives (for handlekommune, retssikkerhedsloven § 9)."""

    OWN_HOME = "own_home"
    WITH_FAMILY = "with_family"
    SUPPORTED_HOUSING = "supported_housing"
    SHELTER = "shelter"
    HOMELESS = "homeless"
    INSTITUTION = "institution"
    OTHER = "other"


class SupportArea(Vocabulary):
    """Areas of support (indsatsområder), aligned with the VUM 2.0 themes and FFB ydelser.

    Municipalities name their areas differently; each municipal rule set maps its own areas
    onto these (``support_areas:`` in the YAML).
    """

    PRACTICAL_TASKS = "practical_tasks"
    SHOPPING_AND_MEALS = "shopping_and_meals"
    SELF_CARE = "self_care"
    MEDICATION = "medication"
    HEALTH = "health"
    COMMUNICATION = "communication"
    MOBILITY = "mobility"
    ADMINISTRATION = "administration"
    EDUCATION_AND_EMPLOYMENT = "education_and_employment"
    HOUSING = "housing"
    SOCIAL_LIFE = "social_life"
    PARENTING = "parenting"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    DAILY_STRUCTURE = "daily_structure"
    ACCOMPANIMENT = "accompaniment"
    DEBT_COUNSELLING = "debt_counselling"


#: Ordinal ranks (0-4). ``not_assessed`` has no rank: an ordinal comparison with it is unknown.
RANKS: Final[dict[type[Vocabulary], dict[str, int]]] = {
    SupportNeed: {"none": 0, "light": 1, "moderate": 2, "high": 3, "complete": 4},
    Impairment: {"none": 0, "light": 1, "moderate": 2, "severe": 3, "complete": 4},
}

#: Danish and English labels of every vocabulary value, as shown to caseworkers and citizens.
LABELS: Final[dict[type[Vocabulary], dict[str, tuple[str, str]]]] = {
    SupportNeed: {
        "none": ("intet støttebehov", "no support need"),
        "light": ("let støttebehov", "light support need"),
        "moderate": ("moderat støttebehov", "moderate support need"),
        "high": ("højt (svært, omfattende) støttebehov", "high (extensive) support need"),
        "complete": ("fuldstændigt støttebehov", "complete support need"),
        "not_assessed": ("støttebehov ikke vurderet", "support need not assessed"),
    },
    Impairment: {
        "none": ("ingen nedsat funktionsevne", "no impairment"),
        "light": ("let nedsat funktionsevne", "light impairment"),
        "moderate": ("moderat nedsat funktionsevne", "moderate impairment"),
        "severe": ("svært nedsat funktionsevne", "severe impairment"),
        "complete": ("fuldstændigt nedsat funktionsevne", "complete impairment"),
    },
    SocialProblem: {
        "homelessness": ("hjemløshed", "homelessness"),
        "substance_abuse": ("misbrug", "substance abuse"),
        "social_isolation": ("social isolation", "social isolation"),
        "self_harm": ("selvskadende adfærd", "self-harm"),
        "crime": ("kriminalitet", "crime"),
        "violence_or_abuse": ("vold eller overgreb", "violence or abuse"),
        "prostitution": ("prostitution", "prostitution"),
        "psychologically_vulnerable": ("psykisk sårbar", "psychologically vulnerable"),
        "socially_marginalised": ("socialt udsat", "socially marginalised"),
    },
    Provision: {
        "section_83": ("personlig og praktisk hjælp (serviceloven § 83)",
                       "personal and practical help (Social Services Act s. 83)"),
        "section_83a": ("rehabiliteringsforløb (serviceloven § 83 a)",
                        "reablement (Social Services Act s. 83 a)"),
        "section_97": ("ledsageordning (serviceloven § 97)",
                       "companion scheme (Social Services Act s. 97)"),
        "section_82a": ("gruppebaseret tilbud (serviceloven § 82 a)",
                        "group-based offer (Social Services Act s. 82 a)"),
        "section_85a": ("Housing First-bostøtte (serviceloven § 85 a)",
                        "Housing First support (Social Services Act s. 85 a)"),
        "health_care": ("behandling i sundhedsvæsenet", "treatment in the health service"),
        "aeldreloven": ("helhedspleje og praktisk hjælp efter ældreloven",
                        "care and practical help under the Act on Care for Older People "
                        "(ældreloven)"),
        "other_legislation": ("anden lovgivning", "other legislation"),
    },
    Applicant: {
        "self": ("borgeren selv", "the citizen"),
        "relative": ("en pårørende", "a relative"),
        "guardian": ("borgerens værge", "the citizen's guardian (værge)"),
        "other": ("en anden end borgeren og de pårørende", "someone else"),
    },
    Consent: {
        "given": ("givet", "given"),
        "not_yet_given": ("endnu ikke givet", "not yet given"),
        "refused": ("afvist af borgeren", "refused by the citizen"),
        "unable_to_consent": ("borgeren kan ikke give samtykke", "the citizen cannot consent"),
    },
    HousingKind: {
        "own_home": ("egen bolig", "own home"),
        "with_family": ("hos familie", "with family"),
        "supported_housing": ("botilbud", "supported housing (botilbud)"),
        "shelter": ("herberg eller forsorgshjem", "shelter"),
        "homeless": ("uden fast bopæl", "no fixed abode"),
        "institution": ("hospital, institution eller kriminalforsorg",
                        "hospital, institution or prison"),
        "other": ("anden boform", "other housing"),
    },
    SupportArea: {
        "practical_tasks": ("praktiske opgaver i hjemmet", "practical tasks in the home"),
        "shopping_and_meals": ("indkøb og kost", "shopping and meals"),
        "self_care": ("egenomsorg og personlig pleje", "self-care and personal hygiene"),
        "medication": ("medicinhåndtering", "medication"),
        "health": ("sundhed", "health"),
        "communication": ("kommunikation", "communication"),
        "mobility": ("mobilitet", "mobility"),
        "administration": ("administration, post og økonomi", "administration, post and money"),
        "education_and_employment": ("uddannelse og beskæftigelse", "education and employment"),
        "housing": ("bolig", "housing"),
        "social_life": ("socialt liv, kontakt og samvær", "social life and relationships"),
        "parenting": ("forældrerollen", "parenting"),
        "psychological_support": ("psykisk støtte", "psychological support"),
        "daily_structure": ("struktur i hverdagen", "structure in daily life"),
        "accompaniment": ("ledsagelse", "accompaniment"),
        "debt_counselling": ("gældsrådgivning", "debt counselling"),
    },
}


def label(value: Vocabulary, lang: str = "da") -> str:
    """The Danish (``da``) or English (``en``) label of a vocabulary value."""
    da, en = LABELS[type(value)][value.value]
    return da if lang == "da" else en


def closest_value(raw: object, allowed: Iterable[str]) -> str | None:
    """The allowed value someone who wrote ``raw`` most likely meant, or None: by spelling
    (``moderat`` → ``moderate``), or by the Danish or English label of a vocabulary value or
    an outcome, whole or by a word only its label has (``svær`` → ``severe``, ``misbrug`` →
    ``substance_abuse``, ``afslag`` → ``refused``).

    >>> closest_value("moderat", [v.value for v in Impairment])
    'moderate'
    >>> closest_value("svær", [v.value for v in Impairment])
    'severe'
    >>> closest_value("hjemløs", [v.value for v in SocialProblem])
    'homelessness'
    >>> closest_value("afslag", ["granted_85", "granted_82b", "refused", "referred"])
    'refused'
    """
    if not isinstance(raw, str) or not raw.strip():
        return None
    options = list(dict.fromkeys(allowed))
    wanted = raw.strip().casefold()
    words: dict[str, str] = {}
    for value in options:
        words.setdefault(value.casefold(), value)
        words.setdefault(value.casefold().replace("_", " "), value)
    for value, names in _labels_of(options).items():
        for name in names:
            words.setdefault(name, value)
    if wanted in words:
        return words[wanted]
    close = difflib.get_close_matches(wanted, list(words), n=1, cutoff=0.8)
    return words[close[0]] if close else None


def _labels_of(options: list[str]) -> dict[str, list[str]]:
    """For values that have a table of Danish and English labels (a vocabulary, or the
    outcomes of a verdict in texts.yaml): each value's labels and the words only its labels
    have."""
    if not options:
        return {}
    for name, table in _label_tables().items():
        if set(options) <= set(table):
            return _label_words(name)
    return {}


@cache
def _label_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """Every table of labels, by name: the vocabularies, and the outcomes of a verdict."""
    from .texts import catalogue

    tables = {vocabulary.__name__: dict(labels) for vocabulary, labels in LABELS.items()}
    outcomes = catalogue()["verdict"]["outcome"]
    tables["Outcome"] = {value: (forms["da"], forms["en"]) for value, forms in outcomes.items()}
    return tables


@cache
def _label_words(name: str) -> dict[str, list[str]]:
    table = _label_tables()[name]
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    split = {value: [w for label in labels for w in re.findall(r"[^\W\d_]+", label.casefold())]
             for value, labels in table.items()}
    for words in split.values():
        for word in set(words):
            counts[word] = counts.get(word, 0) + 1
    for value, labels in table.items():
        found[value] = [label.casefold() for label in labels] + [
            w for w in dict.fromkeys(split[value]) if counts[w] == 1 and len(w) >= 3]
    return found
