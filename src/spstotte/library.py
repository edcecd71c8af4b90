"""The public entry point: a library of rule sets that evaluates profiles.

:class:`RuleLibrary` finds the law layer and the municipal rule sets, resolves, compiles and
caches them, and evaluates profiles against them. It is safe to share between threads. The
module-level :func:`evaluate` uses a default library over the bundled rule files.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from ._gc import collector_paused
from .engine.compiler import compile_ruleset
from .engine.network import Network
from .engine.reference import evaluate_reference
from .errors import (
    Diagnostic,
    EngineError,
    InputError,
    Message,
    ProfileError,
    ProfileProblem,
    RuleSetError,
    Span,
    SpstotteError,
    UnknownMunicipalityError,
    suggestion,
)
from .facts import assessment_facts, profile_facts
from .lang.ruleformat import ISO_DATE
from .loader import (
    LoadedYaml,
    iter_yaml_files,
    load_yaml_file,
    load_yaml_text,
    read_bounded,
    read_header,
)
from .municipalities import MUNICIPALITY_NAMES, MunicipalityLookupError, municipality_code
from .profile import CitizenProfile
from .project import Project
from .ruleset.resolve import ResolvedRuleSet, resolve_loaded
from .ruleset.resolve.parse import ParsedFile
from .ruleset.resolve.periods import Period, version_number
from .ruleset.resolve.periods import versions as versions_of
from .ruleset.resolve.pipeline import (
    not_in_force,
    parse_loaded,
    resolve_on,
    rule_set_period,
    version_bounds,
)
from .verdict.build import build_verdict, compact_verdict, decide_only, decision_rules
from .verdict.model import Verdict
from .verdict.precedence import Outcome, ReasonKind

Backend = Literal["rete", "reference"]


@functools.cache
def library_version() -> str:
    """The installed version of spstotte."""
    from importlib import metadata  # about 15 ms to import: only when asked

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


@dataclass
class _Compile:
    """A compile in progress: threads that need the same files wait for it."""

    done: threading.Event = field(default_factory=threading.Event)
    waiters: int = 0
    entry: _Entry | None = None
    error: SpstotteError | None = None


@dataclass(frozen=True)
class _Entry:
    ruleset: ResolvedRuleSet
    network: Network
    #: The SHA-256 of the rule files' bytes it was compiled from.
    fingerprint: str = ""


@dataclass(frozen=True)
class _Timeline:
    """A municipality's rule files parsed once, and the dates at which what they say changes:
    each version between two of them is resolved and compiled on first use."""

    fingerprint: str
    law: list[ParsedFile]
    municipality: ParsedFile
    #: Problems found while parsing (conditions, periods): raised when a version is resolved.
    diagnostics: tuple[Diagnostic, ...]
    bounds: tuple[date, ...]
    in_force: Period

    def version(self, day: date) -> int:
        """The number of the version in force on ``day`` (:class:`ProfileError` if the
        municipality's rule file is not in force then)."""
        if not self.in_force.contains(day):
            raise not_in_force(self.municipality.model.id, self.in_force, day)
        return version_number(self.bounds, day)


#: A compiled rule set is kept by its file and the number of its version in that file.
_Key = tuple[Path, int]


_T = TypeVar("_T")


def _relative(path: Path) -> str:
    """How a rule file is named in errors and trails: relative to the working directory when it
    is below it (editors can open it), else as ``<folder>/<file>`` (e.g. ``rules/law.yaml`` for
    the files bundled in the installed package)."""
    return _relative_to(path, os.getcwd())


@functools.lru_cache(maxsize=1_024)
def _relative_to(path: Path, cwd: str) -> str:
    """:func:`_relative` from the working directory ``cwd``: a file is named every time a rule
    set is read, and resolving a path costs a system call for each of its folders."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path(cwd).resolve()))
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
        self._entries: dict[_Key, _Entry] = {}
        #: The parsed files and version dates of each municipality's rule file.
        self._timelines: dict[Path, _Timeline] = {}
        _LIBRARIES.add(self)
        #: Parsed rule files by path, with the SHA-256 of the bytes they were parsed from: a
        #: reload re-reads and hashes every file, but parses only those that changed.
        self._parsed: dict[Path, tuple[str, str, Any]] = {}
        #: The ``municipality:`` headers of rule files, by path, with the SHA-256 of the bytes.
        self._headers: dict[Path, tuple[str, str, Any]] = {}
        self._index: list[MunicipalityInfo] | None = None
        self._broken: dict[str, RuleSetError] = {}
        self._conflicts: dict[int, RuleSetError] = {}
        #: Counts reloads, so that a compile that began before one is not kept after it.
        self._generation = 0
        #: Rule sets from before the last reload, kept while their files have not changed.
        self._previous: dict[_Key, _Entry] = {}
        #: Compiles in progress, by file, version, fingerprint and generation: other threads
        #: wait for them.
        self._pending: dict[tuple[_Key, str, int], _Compile] = {}
        #: Networks of rule sets given as such (a draft file, a file at a git revision), by
        #: their content hash: see :meth:`evaluate_ruleset`.
        self._given: dict[str, _Entry] = {}
        self._given_lock = threading.Lock()

    @classmethod
    def from_options(cls, rules: str | Path | None = None,
                     municipalities: Sequence[str | Path] | None = None,
                     project: Project | None = None) -> RuleLibrary:
        """The library a command or a test run asks for with ``--rules`` and
        ``--municipalities``: over those folders; else over the ``project``'s (a
        municipality's own repository, :func:`spstotte.project.find_project`), each setting
        given on the command line winning over the project's; else the process's shared
        library of the bundled rule files (see :func:`default_library`)."""
        if project is not None:
            rules = rules if rules is not None else project.rules
            municipalities = municipalities or list(project.municipalities)
        if rules is None and not municipalities:
            return default_library()
        return cls(rules, list(municipalities) if municipalities else None)

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
                    header = self._header(path)
                except RuleSetError as exc:
                    # Unreadable: it may be the rule set asked for, so its errors are shown
                    # rather than "no rule set" (see find()).
                    self._broken[path.stem] = exc
                    continue
                code = header.get("code") if isinstance(header, dict) else None
                if isinstance(code, int) and code in MUNICIPALITY_NAMES:
                    found.append(MunicipalityInfo(path.stem, code, MUNICIPALITY_NAMES[code], path))
                else:
                    self._broken[path.stem] = RuleSetError([self._header_problem(path, code)])
        # Two files for one municipality: neither is used, whichever way it is asked for.
        for code, claims in _claims(found).items():
            error = RuleSetError(duplicate_municipality(code, [c.file for c in claims],
                                                        _relative))
            for claim in claims:
                self._broken[claim.slug] = error
            self._conflicts[code] = error
        return [info for info in found if info.code not in self._conflicts]

    def find(self, municipality: str | int) -> MunicipalityInfo:
        """The rule set of a municipality, by code (``101``), name or rule-set file name.

        Raises:
            UnknownMunicipalityError: there is no rule set for it (the message lists those
                that exist).
        """
        entries = self.municipalities()
        if isinstance(municipality, str):
            for entry in entries:
                if entry.slug == municipality.strip().lower():
                    return entry
            if municipality.strip().lower() in self._broken:
                raise self._broken[municipality.strip().lower()]
        try:
            code = municipality_code(municipality)
        except MunicipalityLookupError as exc:
            raise UnknownMunicipalityError(municipality, [str(e) for e in entries],
                                           exc.message) from None
        if code in self._conflicts:
            raise self._conflicts[code]
        for entry in entries:
            if entry.code == code:
                return entry
        if self._broken:
            raise RuleSetError([d for exc in self._broken.values() for d in exc.diagnostics])
        raise UnknownMunicipalityError(municipality, [str(e) for e in entries], Message.of(
            "errors.has_no_rule_set", name=MUNICIPALITY_NAMES[code]))

    # -- rule sets --------------------------------------------------------------------------

    def _header(self, path: Path) -> Any:
        """The ``municipality:`` header of a rule file, read from its first lines only (a
        folder of 98 rule files is discovered without parsing them); cached by content."""
        return self._by_content(self._headers, path, lambda raw, name: read_header(
            raw, "municipality", name))[1]

    def _header_problem(self, path: Path, code: object) -> Diagnostic:
        """Why a rule file's header names no municipality: it has no code (R102), or its
        code is not one of the 98 (R104, at the code)."""
        if code is None or isinstance(code, bool):
            return Diagnostic.of("R102", "header", Span(_relative(path), 1, 1))
        try:
            span = self._read(path)[1].span(("municipality", "code"))
        except RuleSetError:
            span = Span(_relative(path), 1, 1)
        first, last = min(MUNICIPALITY_NAMES), max(MUNICIPALITY_NAMES)
        return Diagnostic.of("R104", "municipality_code", span, code=code, first=first,
                             first_name=MUNICIPALITY_NAMES[first], last=last,
                             last_name=MUNICIPALITY_NAMES[last])

    def _read(self, path: Path) -> tuple[str, LoadedYaml]:
        """A rule file parsed, with the SHA-256 of its bytes; parsed again only if they changed."""
        return self._by_content(self._parsed, path, lambda raw, name: load_yaml_text(
            raw, name, origin=path.resolve(), cache=True))

    def _by_content(self, cache: dict[Path, tuple[str, str, Any]], path: Path,
                    read: Callable[[bytes, str], _T]) -> tuple[str, _T]:
        """``read(bytes, name)`` of a file, and the SHA-256 of its bytes, from ``cache`` while
        the bytes are the same (a file's errors are cached, and raised, too)."""
        name = _relative(path)
        raw = read_bounded(path, name)
        digest = hashlib.sha256(raw).hexdigest()
        with self._lock:
            cached = cache.get(path)
        if cached is not None and cached[:2] == (digest, name):
            value = cached[2]
        else:
            try:
                value = read(raw, name)
            except RuleSetError as exc:
                value = exc
            with self._lock:
                cache[path] = (digest, name, value)
        if isinstance(value, RuleSetError):
            raise value
        return digest, value

    def _law_files(self) -> list[LoadedYaml]:
        """The law layer's files, parsed."""
        return self._read_law(hashlib.sha256())

    def _read_law(self, digest: Any) -> list[LoadedYaml]:
        """The law layer's files, parsed (from the cache where unchanged), each file's name and
        SHA-256 added to ``digest``; the errors of every file raised together."""
        if not self.law_dir.is_dir():
            raise RuleSetError([Diagnostic.of("Y006", "law_folder", Span(str(self.law_dir), 1, 1),
                                              folder=str(self.law_dir))])

        def read(path: Path) -> LoadedYaml:
            part, loaded = self._read(path)
            digest.update(f"{path}\0{part}\0".encode())
            return loaded

        return load_many(iter_yaml_files(self.law_dir), read)

    def _snapshot(self, file: Path) -> tuple[str, list[LoadedYaml], LoadedYaml]:
        """The law layer's files and a municipality's file as they are now, and the SHA-256
        of all their bytes: the fingerprint that a compiled network is kept by. The compile
        uses these very files, so a file replaced meanwhile cannot mix two versions."""
        digest = hashlib.sha256()
        law = self._read_law(digest)
        part, municipal = self._read(file)
        digest.update(f"{file}\0{part}\0".encode())
        return digest.hexdigest(), law, municipal

    def _entry(self, municipality: str | int, on: date | None = None) -> _Entry:
        """The rule set and network of a municipality in force on ``on`` (default: today), not
        held for an evaluation."""
        entry = self._lease(municipality, on or date.today())
        entry.network.release()
        return entry

    def _timeline(self, snapshot: tuple[str, list[LoadedYaml], LoadedYaml]) -> _Timeline:
        """The files of a snapshot parsed, with their version dates (kept while the files'
        bytes are the same)."""
        fingerprint, law, municipal = snapshot
        with self._lock:
            for timeline in self._timelines.values():
                if timeline.fingerprint == fingerprint:
                    return timeline
        diagnostics: list[Diagnostic] = []
        law_parsed, muni_parsed = parse_loaded(law, municipal, diagnostics)
        assert muni_parsed is not None  # parse_loaded raises for a file it cannot parse
        return _Timeline(fingerprint, law_parsed, muni_parsed, tuple(diagnostics),
                         version_bounds(law_parsed, muni_parsed),
                         rule_set_period(muni_parsed))

    def _lease(self, municipality: str | int, on: date) -> _Entry:
        """The rule set of a municipality in force on ``on`` with its network acquired for
        one evaluation: the caller releases it. Every call returns after at most one compile
        (its own or one it waits for), however often the library is reloaded meanwhile."""
        info = self.find(municipality)
        with self._lock:
            # Networks are retired only after they leave both dictionaries, so acquiring
            # one found there under the lock cannot fail; the check is defensive.
            known = self._timelines.get(info.file)
            if known is not None:
                entry = self._entries.get((info.file, known.version(on)))
                if entry is not None and entry.network.acquire():
                    return entry
            generation = self._generation
        # Outside the lock from here: reading, resolving and compiling take a while, and a
        # reload or another rule set never waits for them.
        with collector_paused():
            snapshot = self._snapshot(info.file)
            timeline = self._timeline(snapshot)
        fingerprint = snapshot[0]
        key: _Key = (info.file, timeline.version(on))
        with self._lock:
            current = generation == self._generation
            if current:
                self._timelines[info.file] = timeline
            installed = self._entries.get(key)
            previous = self._previous.get(key)
            # Any network compiled from these same bytes serves this evaluation, even if
            # a reload came meanwhile (reloads are frequent, compiles slow).
            for kept in (installed, previous):
                if (kept is not None and kept.fingerprint == fingerprint
                        and kept.network.acquire()):
                    if kept is previous and current and installed is None:
                        # Reloaded, but the files did not change: the network is kept.
                        self._entries[key] = self._previous.pop(key)
                    return kept
            # A compile begun before the last reload is not installed; the next one is.
            pending = (key, fingerprint, generation)
            job = self._pending.get(pending)
            mine = job is None
            if job is None:
                job = self._pending[pending] = _Compile()
            else:
                job.waiters += 1  # its network is acquired for us when it is done
        if not mine:
            job.done.wait()
            if job.error is not None:
                raise job.error
            assert job.entry is not None
            return job.entry
        with collector_paused():
            return self._compile(info, key, timeline, on, generation, job)

    def _compile(self, info: MunicipalityInfo, key: _Key, timeline: _Timeline, on: date,
                 generation: int, job: _Compile) -> _Entry:
        fingerprint = timeline.fingerprint
        pending = (key, fingerprint, generation)
        try:
            ruleset = resolve_on(timeline.law, timeline.municipality, on,
                                 list(timeline.diagnostics))
            fresh = _Entry(ruleset, Network(ruleset, compile_ruleset(ruleset)), fingerprint)
        except BaseException as exc:
            with self._lock:
                self._pending.pop(pending, None)
            job.error = exc if isinstance(exc, SpstotteError) else None
            if job.error is None:  # not ours to hand on (KeyboardInterrupt, ...): waiters fail
                job.error = EngineError(Message.of("errors.compile_interrupted",
                                                   ruleset=info.slug))
            job.done.set()
            raise
        with self._lock:
            self._pending.pop(pending, None)
            current = generation == self._generation
            kept = (self._entries if current else self._previous).get(key)
            retire: _Entry | None = None
            if kept is None:
                # Installed; or, reloaded while compiling, kept for the next lookup with these
                # files (a reload does not mean they changed).
                result = fresh
                if current:
                    retire = self._previous.pop(key, None)
                    self._entries[key] = fresh
                else:
                    self._previous[key] = fresh
            elif kept.fingerprint == fingerprint:
                # Another compile of the same files was kept first: use that one.
                result, retire = kept, fresh
            else:
                # Other files are kept: this one serves the evaluations that asked for it and
                # is freed when they are done.
                result = retire = fresh
            for _ in range(1 + job.waiters):
                result.network.acquire()  # for this caller and each thread waiting for it
        job.entry = result
        job.done.set()
        if retire is not None:
            retire.network.retire()
        return result

    def ruleset(self, municipality: str | int, on: date | str | None = None) -> ResolvedRuleSet:
        """The resolved rule set of a municipality as in force on ``on`` (default: today).

        Raises:
            ProfileError: ``on`` is not a date, or the municipality's rule file is not in
                force on it.
            UnknownMunicipalityError: no rule set for the municipality.
            RuleSetError: the rule files have errors.
        """
        return self._entry(municipality, _decision_date(on)).ruleset

    def versions(self, municipality: str | int) -> list[ResolvedRuleSet]:
        """Every version of a municipality's rule set while its file is in force, in date
        order: one for rule files without dates. Each is compiled on first use and kept.

        Raises:
            UnknownMunicipalityError: no rule set for the municipality.
            RuleSetError: the rule files have errors.
        """
        timeline = self._timeline(self._snapshot(self.find(municipality).file))
        return [self._entry(municipality, day).ruleset
                for day, _ in versions_of(timeline.bounds, timeline.in_force)]

    def load_ruleset(self, spec: str, on: date | str | None = None) -> ResolvedRuleSet:
        """A rule set named by a municipality (code, name or rule-set name), a rule file's
        path, or ``FILE@GIT-REVISION`` (the file as it was at that revision), resolved over
        this library's law layer, as in force on ``on`` (default: today).

        Raises:
            UnknownMunicipalityError: ``spec`` is neither a file nor a municipality with a
                rule set.
            RuleSetError: the rule files have errors.
            InputError: the revision is not a git revision, or git cannot show the file.
        """
        from ._git import show_file

        day = _decision_date(on)
        path, _, revision = spec.partition("@")
        if revision:
            loaded = load_yaml_text(show_file(path, revision), spec)
        elif Path(spec).is_file():
            loaded = self._read(Path(spec))[1]
        else:
            return self.ruleset(spec, day)
        return resolve_loaded(self._law_files(), loaded, day)

    def reload(self) -> None:
        """Re-read the rule files. A rule set whose files did not change keeps its compiled
        network; a changed one is compiled on first use, and evaluations in progress finish on
        the old one, whose engine network is freed when the last of them is done. A reload
        never waits for a compile in progress."""
        retired: list[_Entry] = []
        with self._lock:
            for file, entry in self._entries.items():
                older = self._previous.get(file)
                if older is not None and older is not entry:
                    retired.append(older)
                self._previous[file] = entry
            self._entries = {}
            self._timelines = {}
            self._index = None
            self._conflicts = {}
            self._generation += 1
        for entry in retired:
            entry.network.retire()

    def close(self) -> None:
        """Free every compiled network (once evaluations in progress are done)."""
        with self._lock:
            entries = [*self._entries.values(), *self._previous.values(),
                       *self._given.values()]
            self._entries, self._previous, self._given = {}, {}, {}
            self._timelines = {}
            self._index = None
            self._parsed = {}
            self._headers = {}
            self._generation += 1
        for entry in entries:
            entry.network.retire()

    # -- evaluation -------------------------------------------------------------------------

    def replay(self, verdict: Verdict | Mapping[str, Any] | str, *,
               today: date | str | None = None) -> Replay:
        """Decide a stored verdict's recorded inputs again, under the rules in force on its
        decision date, with the engine it was made with; with ``today``, also on that date.

        ``verdict`` is a :class:`Verdict`, its JSON text or the parsed JSON. Compare with
        :attr:`Replay.identical`.

        Raises:
            InputError: ``verdict`` is not a stored verdict.
            ProfileError, UnknownMunicipalityError, RuleSetError: as :meth:`evaluate`.
        """
        stored = _as_verdict(verdict)
        inputs = _stored_inputs(stored)
        backend: Backend = "reference" if stored.record.engine == "reference" else "rete"
        again = self.evaluate(inputs, municipality=stored.municipality,
                              on=stored.decision_date, backend=backend)
        later = (self.evaluate(inputs, municipality=stored.municipality, on=today,
                               backend=backend) if today is not None else None)
        return Replay(stored, again, later)

    def _given_entry(self, ruleset: ResolvedRuleSet) -> _Entry:
        """The network of a rule set given as such, compiled once per content hash and
        acquired for one evaluation: the caller releases it. Kept until :meth:`close`."""
        key = ruleset.content_hash or str(id(ruleset))
        with self._lock:
            entry = self._given.get(key)
            if entry is not None and entry.network.acquire():
                return entry
            for kept in self._entries.values():  # a municipality's own: already compiled
                if kept.ruleset is ruleset and kept.network.acquire():
                    return kept
        with self._given_lock:  # one compile at a time; a second caller finds it done
            with self._lock:
                entry = self._given.get(key)
                if entry is not None and entry.network.acquire():
                    return entry
            with collector_paused():
                entry = _Entry(ruleset, Network(ruleset, compile_ruleset(ruleset)), key)
            entry.network.acquire()
            with self._lock:
                self._given[key] = entry
            return entry

    def conclusions(self, ruleset: ResolvedRuleSet, citizen: CitizenProfile, on: date,
                    backend: Backend = "rete", *, decision_only: bool = False) -> Conclusions:
        """Each rule's conclusion and the outcome of a profile under a resolved rule set (a
        draft file, a file at a git revision, :meth:`load_ruleset`), without the verdict's
        texts: for comparing many cases under two rule sets fast. The outcome and the
        reasons are the ones :meth:`evaluate_ruleset` gives (the same code decides).

        With ``decision_only``, only the rules the decision reads conclude (requirements,
        referral tests, the offered paths' acceptance and by-order rules, and the rules these
        read), on the rule set's network narrowed to them: the same outcome and reasons in
        about half the engine's time. Impact analysis asks for that.

        Raises:
            ProfileError: ``on`` is outside the rule set's period, before the birth date, or
                an assessment names no point of the rule set.
        """
        facts, results = self._run(ruleset, citizen, on, backend, decision_only)
        decision = decide_only(ruleset, facts, results, on)
        return Conclusions(decision.outcome, decision.reasons, results, facts)

    def _run(self, ruleset: ResolvedRuleSet, citizen: CitizenProfile, on: date,
             backend: Backend, decision_only: bool = False
             ) -> tuple[dict[str, Any], dict[str, bool]]:
        if not ruleset.period.contains(on):
            raise not_in_force(ruleset.id, ruleset.period, on)
        facts = profile_facts(citizen, on)
        _check_assessments(citizen, ruleset)
        if ruleset.assessment_points:
            facts = {**facts, **assessment_facts(citizen, ruleset.assessment_points)}
        if backend == "reference":
            return facts, evaluate_reference(
                ruleset.narrowed_to(decision_rules(ruleset)) if decision_only else ruleset,
                facts)
        entry = self._given_entry(ruleset)
        try:
            network = (entry.network.narrowed(decision_rules(ruleset)) if decision_only
                       else entry.network)
            return facts, network.evaluate_acquired(facts)
        finally:
            entry.network.release()

    def evaluate_ruleset(self, ruleset: ResolvedRuleSet,
                         profile: CitizenProfile | Mapping[str, Any], *,
                         on: date | str | None = None, backend: Backend = "rete") -> Verdict:
        """Decide a profile under a resolved rule set given as such: a draft file or a file
        at a git revision (:meth:`load_ruleset`), on a decision date in the rule set's period
        (default: its first day, or today for a rule set without one). Its network is
        compiled once per content hash and kept until :meth:`close`.

        Raises:
            ProfileError: the profile is invalid, or ``on`` is outside the rule set's period
                or before the birth date.
        """
        if backend not in ("rete", "reference"):
            raise InputError(Message.of("errors.backend", backend=backend))
        citizen = CitizenProfile.parse(profile)
        if on is None:
            decision_date = (date.today() if ruleset.period.contains(date.today())
                             else ruleset.period.valid_from or date.today())
        else:
            decision_date = _decision_date(on)
        facts, results = self._run(ruleset, citizen, decision_date, backend)
        return build_verdict(ruleset, facts, results, decision_date, citizen.masked(),
                             library_version(), backend, citizen.assessments)

    def evaluate(self, profile: CitizenProfile | Mapping[str, Any], *,
                 municipality: str | int, on: date | str | None = None,
                 backend: Backend = "rete") -> Verdict:
        """Decide a profile under a municipality's rule set on a decision date.

        Args:
            profile: a :class:`CitizenProfile` or a mapping of its fields.
            municipality: code, name or rule-set file name (e.g. ``101``).
            on: the decision date (default: today).
            backend: ``"rete"`` (the compiled durable_rules network) or ``"reference"``
                (the plain-Python interpreter; same verdicts, used as a test oracle).

        Raises:
            ProfileError: the profile is invalid, or the decision date is before the birth date.
            UnknownMunicipalityError: no rule set for the municipality.
            RuleSetError: the rule files have errors.
        """
        citizen, decision_date, facts, entry, results = self._decide(
            profile, municipality, on, backend)
        return build_verdict(entry.ruleset, facts, results, decision_date, citizen.masked(),
                             library_version(), backend, citizen.assessments)

    def evaluate_compact(self, profile: CitizenProfile | Mapping[str, Any], *,
                         municipality: str | int, on: date | str | None = None,
                         backend: Backend = "rete") -> dict[str, Any]:
        """The compact record of the verdict :meth:`evaluate` gives (outcome, reasons' codes
        and kinds, missing facts, paths, dates and the rule set's version, as JSON-ready
        data), without building the whole verdict: for caseloads (docs/batch.md).

        Raises: as :meth:`evaluate`.
        """
        _, decision_date, facts, entry, results = self._decide(profile, municipality, on,
                                                               backend, decision_only=True)
        return compact_verdict(entry.ruleset, facts, results, decision_date)

    def _decide(self, profile: CitizenProfile | Mapping[str, Any], municipality: str | int,
                on: date | str | None, backend: Backend, decision_only: bool = False
                ) -> tuple[CitizenProfile, date, dict[str, Any], _Entry, Any]:
        """The profile parsed, the decision date, the facts, the rule set used and the rules'
        conclusions (with ``decision_only``, on the Rete path, only those the decision reads:
        see :func:`~spstotte.verdict.build.decision_rules`)."""
        if backend not in ("rete", "reference"):
            raise InputError(Message.of("errors.backend", backend=backend))
        citizen = CitizenProfile.parse(profile)
        decision_date = _decision_date(on)
        facts = profile_facts(citizen, decision_date)
        entry = self._lease(municipality, decision_date)
        try:
            _check_assessments(citizen, entry.ruleset)
            if entry.ruleset.assessment_points:
                facts = {**facts, **assessment_facts(citizen, entry.ruleset.assessment_points)}
            if backend == "reference":
                results = evaluate_reference(entry.ruleset, facts)
            elif decision_only:
                network = entry.network.narrowed(decision_rules(entry.ruleset))
                results = network.evaluate_acquired(facts)
            else:
                results = entry.network.evaluate_acquired(facts)
        finally:
            entry.network.release()
        return citizen, decision_date, facts, entry, results


@dataclass(frozen=True)
class Conclusions:
    """What :meth:`RuleLibrary.conclusions` finds for one profile under one rule set."""

    outcome: Outcome
    #: The reasons' codes (rule ids, ``grant_<path>``) and kinds, as the verdict lists them.
    reasons: tuple[tuple[str, ReasonKind], ...]
    #: Each rule's conclusion, by rule id (a rule that did not conclude is absent).
    results: dict[str, bool]
    #: The facts the rules read.
    facts: dict[str, Any]


@dataclass(frozen=True)
class Replay:
    """A stored verdict decided again from its recorded inputs (see :meth:`RuleLibrary.replay`).
    """

    #: The verdict as stored.
    stored: Verdict
    #: The same inputs decided under the rules in force on the stored decision date.
    again: Verdict
    #: With ``today``: the same inputs decided on that later date.
    today: Verdict | None = None

    @property
    def same_outcome(self) -> bool:
        """Whether the outcome is the one stored."""
        return self.again.outcome == self.stored.outcome

    @property
    def same_reasons(self) -> bool:
        """Whether the reasons are the ones stored: the same rules, kinds and texts, in the
        same order, with the same legal basis."""
        return self.again.reasons == self.stored.reasons

    @property
    def same_rules(self) -> bool:
        """Whether the rule set's version is the one stored (its content hash)."""
        return self.again.record.ruleset_hash == self.stored.record.ruleset_hash

    @property
    def identical(self) -> bool:
        """Whether the outcome and the reasons are the ones stored."""
        return self.same_outcome and self.same_reasons


def _stored_inputs(verdict: Verdict) -> dict[str, Any]:
    """The recorded inputs as a profile: the masked CPR number is left out (the recorded birth
    date stands in for it)."""
    inputs = dict(verdict.record.inputs)
    if "*" in str(inputs.get("cpr", "")):
        inputs.pop("cpr")
    return inputs


def _check_assessments(citizen: CitizenProfile, ruleset: ResolvedRuleSet) -> None:
    """Every assessment names a point of this rule set: a discretionary point of the law, or a
    service-level rule of the municipality a caseworker can depart from."""
    if not citizen.assessments:
        return
    from .profile import DISCRETIONARY_POINTS

    problems = []
    points = [*DISCRETIONARY_POINTS, *ruleset.assessment_points]
    for point in citizen.assessments or {}:
        if point in points:
            continue
        close = difflib.get_close_matches(point, points, n=1)
        values = {"point": point, "ruleset": ruleset.id, "points": tuple(points),
                  "suggestion": suggestion(close[0] if close else None)}
        if ruleset.has_rule(point):
            problems.append(ProfileProblem.of(
                f"assessments.{point}", "not_departable",
                kind=ruleset.rule(point).condition_kind.value, **values))
        else:
            problems.append(ProfileProblem.of(f"assessments.{point}", "no_point", **values))
    if problems:
        raise ProfileError(problems)


def _as_verdict(verdict: Verdict | Mapping[str, Any] | str) -> Verdict:
    from pydantic import ValidationError

    if isinstance(verdict, Verdict):
        return verdict
    try:
        if isinstance(verdict, str):
            return Verdict.model_validate_json(verdict)
        return Verdict.model_validate(verdict)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "<top>"
        raise InputError(Message.of("errors.not_a_verdict", where=where,
                                    problem=first["msg"][:120])) from None


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
    elif isinstance(on, str):
        day = _day_of(on)
    else:
        raise ProfileError([ProfileProblem.of("on", "decision_date", value=repr(on)[:60])])
    if not FIRST_DECISION_DATE <= day <= LAST_DECISION_DATE:
        raise ProfileError([ProfileProblem.of(
            "on", "decision_date_range", date=day.isoformat(),
            first=FIRST_DECISION_DATE.isoformat(), last=LAST_DECISION_DATE.isoformat())])
    return day


@functools.lru_cache(maxsize=256)
def _day_of(on: str) -> date:
    """A decision date given as text (a caseload gives the same few again and again)."""
    # Only YYYY-MM-DD: Python also reads '20261123' and '2026-W48-1', which the
    # documentation does not promise and a typo could turn into another date.
    if ISO_DATE.fullmatch(on):
        try:
            return date.fromisoformat(on)
        except ValueError:
            pass
    raise ProfileError([ProfileProblem.of("on", "decision_date", value=repr(on)[:60])])


def _claims(found: Sequence[MunicipalityInfo]) -> dict[int, list[MunicipalityInfo]]:
    by_code: dict[int, list[MunicipalityInfo]] = {}
    for info in found:
        by_code.setdefault(info.code, []).append(info)
    return {code: claims for code, claims in by_code.items() if len(claims) > 1}


def duplicate_municipality(code: int, files: Sequence[Path | str],
                           display: Any = str) -> list[Diagnostic]:
    """R229 for each of several rule files that claim the same municipality."""
    names = [display(Path(f)) for f in files]
    return [Diagnostic.of("R229", None, Span(name, 1, 1), n=len(names), code=code,
                          name=MUNICIPALITY_NAMES.get(code, code), files=tuple(names))
            for name in names]


def load_many(paths: Iterable[Path],
              read: Callable[[Path], LoadedYaml] | None = None) -> list[LoadedYaml]:
    """Load several YAML files (with ``read``, default: straight from disk), collecting the
    errors of all of them."""
    if read is None:
        read = _load_file
    loaded: list[LoadedYaml] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            loaded.append(read(path))
        except RuleSetError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise RuleSetError(problems)
    return loaded


def _load_file(path: Path) -> LoadedYaml:
    return load_yaml_file(path, _relative(Path(path)), cache=True)


_default: RuleLibrary | None = None
_default_lock = threading.Lock()

#: Every library of this process, so that a forked child can start them afresh.
_LIBRARIES: weakref.WeakSet[RuleLibrary] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """New locks, and no compiled networks, in a forked child (see
    engine.network._after_fork_in_child: the inherited networks are abandoned; each library
    compiles new ones on first use)."""
    global _default_lock
    _default_lock = threading.Lock()
    for library in list(_LIBRARIES):
        library._lock = threading.RLock()
        library._entries = {}
        library._previous = {}
        library._pending = {}
        library._given = {}
        library._given_lock = threading.Lock()


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
