"""The public entry point: a library of rule sets that evaluates profiles.

:class:`RuleLibrary` finds the law layer and the municipal rule sets, resolves, compiles and
caches them, and evaluates profiles against them. It is safe to share between threads. The
module-level :func:`evaluate` uses a default library over the bundled rule files.
"""

from __future__ import annotations

import difflib
import functools
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from .compiler import compile_ruleset
from .engine import Network
from .errors import (
    Diagnostic,
    InputError,
    ProfileError,
    ProfileProblem,
    RuleSetError,
    Span,
    UnknownMunicipalityError,
)
from .facts import assessment_facts, profile_facts
from .loader import LoadedYaml, iter_yaml_files, load_yaml_file
from .municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from .profile import CitizenProfile
from .reference import evaluate_reference
from .resolve import ResolvedRuleSet, resolve_loaded
from .verdict import Verdict, build_verdict

Backend = Literal["rete", "reference"]


@functools.cache
def library_version() -> str:
    """The installed version of spstotte."""
    try:
        return metadata.version("spstotte")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@dataclass(frozen=True)
class MunicipalityInfo:
    """A municipality that has a rule set."""

    slug: str
    code: int
    name: str
    file: Path

    def __str__(self) -> str:
        return f"{self.slug} ({self.code} {self.name})"


@dataclass(frozen=True)
class _Entry:
    ruleset: ResolvedRuleSet
    network: Network


def _relative(path: Path) -> str:
    """How a rule file is named in errors and trails: relative to the working directory when it
    is below it (editors can open it), else as ``<folder>/<file>`` (e.g. ``rules/law.yaml`` for
    the files bundled in the installed package)."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return f"{resolved.parent.name}/{resolved.name}"


class RuleLibrary:
    """Rule sets on disk, resolved, compiled and cached.

    Args:
        law_dir: the law layer folder (default: the bundled ``rules/``).
        municipality_dirs: folders of municipal rule sets (default: the bundled
            ``municipalities/``).

    Example:
        >>> from spstotte import RuleLibrary
        >>> library = RuleLibrary()
        >>> [m.code for m in library.municipalities()]
        [265, 540, 630]
    """

    def __init__(self, law_dir: str | Path | None = None,
                 municipality_dirs: Sequence[str | Path] | None = None) -> None:
        from ._paths import bundled_dirs

        default_law, default_municipalities = bundled_dirs()
        self.law_dir = Path(law_dir) if law_dir is not None else default_law
        self.municipality_dirs = tuple(Path(d) for d in (
            municipality_dirs if municipality_dirs is not None else [default_municipalities]))
        self._lock = threading.RLock()
        self._entries: dict[Path, _Entry] = {}
        _LIBRARIES.add(self)
        self._law_cache: list[LoadedYaml] | None = None
        self._index: list[MunicipalityInfo] | None = None
        self._broken: dict[str, RuleSetError] = {}

    # -- discovery --------------------------------------------------------------------------

    def municipalities(self) -> list[MunicipalityInfo]:
        """The municipalities with a rule set, in file-name order."""
        with self._lock:
            if self._index is None:
                self._index = self._scan()
            return list(self._index)

    def _scan(self) -> list[MunicipalityInfo]:
        found: list[MunicipalityInfo] = []
        self._broken = {}
        for directory in self.municipality_dirs:
            if not directory.is_dir():
                continue
            for path in iter_yaml_files(directory):
                try:
                    data = load_yaml_file(path, _relative(path)).data
                except RuleSetError as exc:
                    # Unreadable: it may be the rule set asked for, so its errors are shown
                    # rather than "no rule set" (see find()).
                    self._broken[path.stem] = exc
                    continue
                info = data.get("municipality") if isinstance(data, dict) else None
                code = info.get("code") if isinstance(info, dict) else None
                if isinstance(code, int) and code in MUNICIPALITY_NAMES:
                    found.append(MunicipalityInfo(path.stem, code, MUNICIPALITY_NAMES[code], path))
                else:
                    self._broken[path.stem] = RuleSetError([Diagnostic(
                        "R102", "the file does not say which municipality it is for",
                        Span(_relative(path), 1, 1),
                        "add 'municipality: {code: ..., name: ...}' (one of the 98 codes)")])
        return found

    def find(self, municipality: str | int) -> MunicipalityInfo:
        """The rule set of a municipality, by code (``101``), name or rule-set file name.

        Raises:
            UnknownMunicipalityError: there is no rule set for it (the message lists those
                that exist).
        """
        entries = self.municipalities()
        available = [str(e) for e in entries]
        if isinstance(municipality, str):
            for entry in entries:
                if entry.slug == municipality.strip().lower():
                    return entry
            if municipality.strip().lower() in self._broken:
                raise self._broken[municipality.strip().lower()]
        try:
            code = municipality_code(municipality)
        except MunicipalityLookupError as exc:
            raise UnknownMunicipalityError(municipality, available, str(exc)) from None
        for entry in entries:
            if entry.code == code:
                return entry
        if self._broken:
            raise RuleSetError([d for exc in self._broken.values() for d in exc.diagnostics])
        raise UnknownMunicipalityError(municipality, available,
                                       f"{MUNICIPALITY_NAMES[code]} has no rule set")

    # -- rule sets --------------------------------------------------------------------------

    def _law_files(self) -> list[LoadedYaml]:
        if self._law_cache is None:
            if not self.law_dir.is_dir():
                raise RuleSetError([Diagnostic("Y006", f"law layer folder {self.law_dir} not "
                                               "found", Span(str(self.law_dir), 1, 1))])
            self._law_cache = load_many(iter_yaml_files(self.law_dir))
        return self._law_cache

    def _entry(self, municipality: str | int) -> _Entry:
        info = self.find(municipality)
        with self._lock:
            entry = self._entries.get(info.file)
            if entry is None:
                ruleset = resolve_loaded(self._law_files(),
                                         load_yaml_file(info.file, _relative(info.file)))
                entry = _Entry(ruleset, Network(ruleset, compile_ruleset(ruleset)))
                self._entries[info.file] = entry
            return entry

    def ruleset(self, municipality: str | int) -> ResolvedRuleSet:
        """The resolved rule set of a municipality.

        Raises:
            UnknownMunicipalityError: no rule set for the municipality.
            RuleSetError: the rule files have errors.
        """
        return self._entry(municipality).ruleset

    def reload(self) -> None:
        """Re-read the rule files. Evaluations in progress finish on the old rule sets, whose
        engine networks are freed when the last of them is done."""
        with self._lock:
            old = list(self._entries.values())
            self._entries = {}
            self._law_cache = None
            self._index = None
        for entry in old:
            entry.network.retire()

    def close(self) -> None:
        """Free every compiled network (once evaluations in progress are done)."""
        self.reload()

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, profile: CitizenProfile | Mapping[str, Any], *,
                 municipality: str | int, on: date | str | None = None,
                 backend: Backend = "rete") -> Verdict:
        """Decide a profile under a municipality's rule set on a decision date.

        Args:
            profile: a :class:`CitizenProfile` or a mapping of its fields.
            municipality: code, name or rule-set file name (``101``, ``"Aarhus"``).
            on: the decision date (default: today).
            backend: ``"rete"`` (the compiled durable_rules network) or ``"reference"``
                (the plain-Python interpreter; same verdicts, used as a test oracle).

        Raises:
            ProfileError: the profile is invalid, or the decision date is before the birth date.
            UnknownMunicipalityError: no rule set for the municipality.
            RuleSetError: the rule files have errors.
        """
        if backend not in ("rete", "reference"):
            raise InputError(f"backend {backend!r} is not one of 'rete' and 'reference'")
        citizen = CitizenProfile.parse(profile)
        decision_date = _decision_date(on)
        facts = profile_facts(citizen, decision_date)
        while True:
            entry = self._entry(municipality)
            _check_assessments(citizen, entry.ruleset)
            if entry.ruleset.assessment_points:
                facts = {**facts, **assessment_facts(citizen, entry.ruleset.assessment_points)}
            if backend == "reference":
                results = evaluate_reference(entry.ruleset, facts)
                break
            if entry.network.acquire():
                try:
                    results = entry.network.evaluate_acquired(facts)
                finally:
                    entry.network.release()
                break
            # The rule set was reloaded between lookup and use: take the new one.
        return build_verdict(entry.ruleset, facts, results, decision_date, citizen.masked(),
                             library_version(), backend, citizen.assessments)


def _check_assessments(citizen: CitizenProfile, ruleset: ResolvedRuleSet) -> None:
    """Every assessment names a point of this rule set: a discretionary point of the law, or a
    service-level rule of the municipality a caseworker can depart from."""
    from .profile import DISCRETIONARY_POINTS

    problems = []
    points = [*DISCRETIONARY_POINTS, *ruleset.assessment_points]
    for point in citizen.assessments or {}:
        if point in points:
            continue
        if ruleset.has_rule(point):
            message = (f"{point!r} is a {ruleset.rule(point).condition_kind.value} condition "
                       f"of {ruleset.id}; a caseworker's assessment can only depart from a "
                       "service level or decide a discretionary point")
        else:
            message = f"{ruleset.id} has no assessment point {point!r}"
        close = difflib.get_close_matches(point, points, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + "points: " + ", ".join(points)
        problems.append(ProfileProblem(f"assessments.{point}", message, hint))
    if problems:
        raise ProfileError(problems)


#: Decision dates the library accepts: wide enough for any real case, narrow enough that every
#: date it computes (follow-ups, § 82 b end dates, appeal deadlines) exists.
FIRST_DECISION_DATE = date(1900, 1, 1)
LAST_DECISION_DATE = date(2199, 12, 31)


def _decision_date(on: date | str | None) -> date:
    if on is None:
        return date.today()
    if isinstance(on, datetime):
        on = on.date()
    if isinstance(on, date):
        day = on
    else:
        try:
            day = date.fromisoformat(on)
        except (TypeError, ValueError):
            raise ProfileError([ProfileProblem(
                "on", f"the decision date {on!r} is not a date", "write the date as YYYY-MM-DD",
            )]) from None
    if not FIRST_DECISION_DATE <= day <= LAST_DECISION_DATE:
        raise ProfileError([ProfileProblem(
            "on", f"the decision date {day.isoformat()} is outside "
            f"{FIRST_DECISION_DATE.isoformat()} to {LAST_DECISION_DATE.isoformat()}",
            "check the decision date")])
    return day


def load_many(paths: Sequence[Path] | Any) -> list[LoadedYaml]:
    """Load several YAML files, collecting the errors of all of them."""
    loaded: list[LoadedYaml] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            loaded.append(load_yaml_file(path, _relative(Path(path))))
        except RuleSetError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise RuleSetError(problems)
    return loaded


_default: RuleLibrary | None = None
_default_lock = threading.Lock()

#: Every library of this process, so that a forked child can start them afresh.
_LIBRARIES: weakref.WeakSet[RuleLibrary] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """New locks, and no compiled networks, in a forked child (see engine._after_fork_in_child:
    the inherited networks are abandoned; each library compiles new ones on first use)."""
    global _default_lock
    _default_lock = threading.Lock()
    for library in list(_LIBRARIES):
        library._lock = threading.RLock()
        library._entries = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_library() -> RuleLibrary:
    """The library over the bundled rule files, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RuleLibrary()
        return _default


def evaluate(profile: CitizenProfile | Mapping[str, Any], *, municipality: str | int,
             on: date | str | None = None) -> Verdict:
    """Decide a profile under a municipality's bundled rule set (see :meth:`RuleLibrary.evaluate`).

    Example:
        >>> import spstotte
        >>> verdict = spstotte.evaluate(
        ...     {"birth_date": "2000-05-01", "residence_municipality": 265,
        ...      "living_situation": {"kind": "own_home"}, "mental_impairment": "severe",
        ...      "support_need": "moderate", "met_by_open_offers": False, "met_by_advice": False,
        ...      "covered_by_provision": [], "specialist_treatment_sought": False,
        ...      "applicant": "self"},
        ...     municipality=265, on="2026-11-23")
        >>> verdict.outcome.value
        'granted_85'
    """
    return default_library().evaluate(profile, municipality=municipality, on=on)
