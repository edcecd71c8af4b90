"""Impact analysis: a caseload decided under two rule sets, and what the change does to it.

:func:`impact` decides every case under rule set *before* and rule set *after* (two
municipalities' files, a draft file against the rule set in force, a file at two git
revisions, or one rule set on two dates) and reports the transitions of outcomes
(``granted_85 → refused: 37``), the rule and parameter changes that caused each (from the
rules whose conclusions differ, :func:`direct_causes`), the ids of the citizens affected, and
for a few cases of each transition the two verdicts side by side (docs/impact.md).

Each case is decided under both rule sets in the same worker, with
:meth:`~spstotte.library.RuleLibrary.conclusions` (the outcome without the verdict's texts, on
each rule set's network narrowed to the rules the decision reads); only the outcomes and the
causes come back. Whole verdicts are built afterwards for the
sampled cases alone.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from ..errors import InputError, Message, ProfileError, SpstotteError, diagnostic_words
from ..lang.conditions import Compare, Obligation, Refer, Require, walk
from ..lang.ruleformat import Text
from ..library import Conclusions, RuleLibrary, _decision_date
from ..profile import CitizenProfile
from ..render.diff import Change, diff_rulesets
from ..ruleset.resolve import ResolvedRule, ResolvedRuleSet
from ..verdict.model import Verdict
from .rows import Row
from .run import as_rows, in_worker_processes

#: Cases of each transition shown side by side, by default.
SAMPLES = 3

#: Cases decided under one rule set before the other, in this process (a worker decides the
#: chunk it is sent, CHUNK in run.py, the same way): long enough that each side's network
#: decides in a stream, short enough that the report follows the input closely.
STREAM = 64

#: The outcomes in the order reports list them.
OUTCOMES = ("granted_85", "granted_82b", "referred", "refused", "needs_information",
            "forwarded", "closed")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: what :meth:`RuleLibrary.load_ruleset` takes (a
    municipality, a rule file, ``FILE@REVISION``) and the decision date."""

    spec: str
    on: date


@dataclass(frozen=True)
class ImpactSettings:
    """What every worker needs (sent to each process)."""

    law_dir: str | None
    municipality_dirs: tuple[str, ...] | None
    before: Side
    after: Side
    #: The content hashes of the two rule sets as the caller loaded them: a worker that loads
    #: other content (a file edited meanwhile) stops rather than mix two versions.
    hashes: tuple[str, str]

    def library(self) -> RuleLibrary:
        if self.law_dir is None and self.municipality_dirs is None:
            from ..library import default_library

            return default_library()
        return RuleLibrary(self.law_dir, list(self.municipality_dirs or []) or None)


class Case(NamedTuple):
    """What comes back of one case: its outcome under each rule set (None: not decided),
    the causes of a difference (keys of :class:`Cause`), whether the reasons differ, and
    the problem that kept it from being decided, in Danish and English."""

    row: int
    id: str | None
    before: str | None
    after: str | None
    causes: tuple[str, ...] = ()
    reasons_changed: bool = False
    error: tuple[str, str] | None = None


# -- attribution ----------------------------------------------------------------------------


def _parameters_read(rule: ResolvedRule) -> set[str]:
    """The parameters a rule's condition (or its obligation's months) reads."""
    found = {node.param for node in walk(rule.condition)
             if isinstance(node, Compare) and node.param}
    if isinstance(rule.conclusion, Obligation) and rule.conclusion.after_months_param:
        found.add(rule.conclusion.after_months_param)
    return found


def direct_causes(a: ResolvedRuleSet, b: ResolvedRuleSet,
                  changes: Iterable[Change]) -> dict[str, frozenset[str]]:
    """For each rule of either rule set, the changes (of ``diff_rulesets(a, b)``) that can
    make its own conclusion differ: ``rule:<id>`` if the rule was added, removed or changed,
    ``parameter:<name>`` for each changed parameter it reads. A rule whose conclusion differs
    only because a rule it reads does has none: the cause is that rule's."""
    changed_rules = {c.name for c in changes if c.kind.startswith(("rule ", "override "))}
    changed_params = {c.name for c in changes if c.kind == "parameter"}
    causes: dict[str, set[str]] = {}
    for rs in (a, b):
        for rule in rs.rules:
            own = causes.setdefault(rule.id, set())
            # A generated grant rule changes with the requirements it gathers: the cause is
            # the requirement that changed, not the rule that collects them.
            if rule.id in changed_rules and rule.layer != "generated":
                own.add(f"rule:{rule.id}")
            own |= {f"parameter:{p}" for p in _parameters_read(rule) & changed_params}
    return {rule_id: frozenset(found) for rule_id, found in causes.items() if found}


def parameter_readers(a: ResolvedRuleSet, b: ResolvedRuleSet) -> dict[str, list[str]]:
    """The rules that read each parameter, in either rule set."""
    readers: dict[str, list[str]] = {}
    for rs in (a, b):
        for rule in rs.rules:
            for name in sorted(_parameters_read(rule)):
                if rule.id not in readers.setdefault(name, []):
                    readers[name].append(rule.id)
    return readers


class Sides:
    """Both rule sets loaded in one process, and what attribution needs of them."""

    def __init__(self, library: RuleLibrary, settings: ImpactSettings) -> None:
        self.library = library
        self.settings = settings
        self.before = library.load_ruleset(settings.before.spec, settings.before.on)
        self.after = library.load_ruleset(settings.after.spec, settings.after.on)
        for side, ruleset, expected in ((settings.before, self.before, settings.hashes[0]),
                                        (settings.after, self.after, settings.hashes[1])):
            if expected and ruleset.content_hash != expected:
                raise InputError(Message.of("errors.impact_changed", spec=side.spec))
        self.changes = diff_rulesets(self.before, self.after).changes
        self.direct = direct_causes(self.before, self.after, self.changes)
        self.dates_differ = settings.before.on != settings.after.on

    def _neutral(self, rule_id: str, before: bool | None, after: bool | None) -> bool:
        """Whether a rule that exists on one side only concludes there what its absence
        means: a requirement met, a referral not made. An added rule the citizen passes
        changes nothing for the citizen, so it is no cause."""
        for present, absent, value in ((self.after, self.before, after),
                                       (self.before, self.after, before)):
            if present.has_rule(rule_id) and not absent.has_rule(rule_id):
                conclusion = present.rule(rule_id).conclusion
                return ((isinstance(conclusion, Require) and value is True)
                        or (isinstance(conclusion, Refer) and value is False))
        return False

    def decide_many(self, rows: list[Row]) -> list[Case]:
        """The outcomes of each row under both rule sets, and the causes of a difference, in
        order. All the rows are decided under *before*, then all under *after*: a network
        keeps its engine state only while it decides one case after another (docs/engine.md),
        so alternating the two sides case by case would give every evaluation a fresh
        state."""
        library, settings = self.library, self.settings
        cases: list[Case | None] = [None] * len(rows)
        citizens: list[tuple[int, CitizenProfile]] = []
        for number, row in enumerate(rows):
            if row.problems:
                cases[number] = Case(row.number, row.id, None, None, error=(
                    row.problems[0].message_in("da"), row.problems[0].message_in("en")))
                continue
            try:
                citizens.append((number, CitizenProfile.parse(row.profile)))
            except ProfileError as exc:
                cases[number] = _profile_error(row, exc)
        before: dict[int, Conclusions] = {}
        for number, citizen in citizens:
            try:
                before[number] = library.conclusions(self.before, citizen, settings.before.on,
                                                     decision_only=True)
            except SpstotteError as exc:
                cases[number] = _error(rows[number], exc)
        for number, citizen in citizens:
            if number not in before:
                continue
            try:
                after = library.conclusions(self.after, citizen, settings.after.on,
                                            decision_only=True)
            except SpstotteError as exc:
                cases[number] = _error(rows[number], exc)
            else:
                cases[number] = self._compared(rows[number], before[number], after)
        decided = [case for case in cases if case is not None]
        assert len(decided) == len(rows), "a row without a case"
        return decided

    def _compared(self, row: Row, a: Conclusions, b: Conclusions) -> Case:
        """A row's case from its conclusions under both rule sets."""
        same_outcome = a.outcome == b.outcome
        same_reasons = [c for c, _ in a.reasons] == [c for c, _ in b.reasons]
        if same_outcome and same_reasons:
            return Case(row.number, row.id, a.outcome.value, b.outcome.value)
        causes: set[str] = set()
        ra, rb = a.results, b.results
        differing = [rule_id for rule_id in ra.keys() | rb.keys()
                     if ra.get(rule_id) != rb.get(rule_id)]
        direct = self.direct
        for rule_id in differing:
            found = direct.get(rule_id)
            if found and not self._neutral(rule_id, ra.get(rule_id), rb.get(rule_id)):
                causes |= found
        if self.dates_differ:
            facts_a, facts_b = a.facts, b.facts
            moved = {name for name in facts_a.keys() | facts_b.keys()
                     if facts_a.get(name) != facts_b.get(name)}
            for rule_id in differing:
                rs = self.after if self.after.has_rule(rule_id) else self.before
                if moved & set(rs.rule(rule_id).facts):
                    causes.add("date")
                    break
        if not causes:
            causes.add("other")
        return Case(row.number, row.id, a.outcome.value, b.outcome.value,
                    tuple(sorted(causes)), not same_reasons)


def _profile_error(row: Row, exc: ProfileError) -> Case:
    first = exc.problems[0]
    return Case(row.number, row.id, None, None, error=(first.headline("da"),
                                                       first.headline("en")))


def _error(row: Row, exc: SpstotteError) -> Case:
    if isinstance(exc, ProfileError):
        return _profile_error(row, exc)
    return Case(row.number, row.id, None, None, error=(exc.text("da"), exc.text("en")))


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SideInfo:
    """A side as reported: what was asked for, and the rule set's version found."""

    spec: str
    on: date
    ruleset: str
    title: str
    municipality: int
    municipality_name: str
    content_hash: str
    valid_from: date | None
    valid_to: date | None


@dataclass
class Sample:
    """A case of a transition with its two verdicts."""

    row: int
    id: str | None
    before: Verdict
    after: Verdict

    def differing_rules(self) -> list[tuple[str, Text, bool | None, bool | None]]:
        """The rules whose conclusions differ (from the two trails): rule id, title, the
        conclusion before and after (None: no conclusion), in the after rule set's order."""
        a = {step.rule_id: step for step in self.before.trail}
        b = {step.rule_id: step for step in self.after.trail}
        out: list[tuple[str, Text, bool | None, bool | None]] = []
        for rule_id in [*b, *(r for r in a if r not in b)]:
            va = a[rule_id].result if rule_id in a else None
            vb = b[rule_id].result if rule_id in b else None
            if va != vb:
                out.append((rule_id, (b.get(rule_id) or a[rule_id]).title, va, vb))
        # Rules that concluded both ways first (the change itself and what it decides), then
        # those that concluded on one side only (the obligations of a grant, say).
        return sorted(out, key=lambda item: item[2] is None or item[3] is None)


@dataclass
class Transition:
    """Every case that went from one outcome to another."""

    before: str
    after: str
    count: int = 0
    #: How many of its cases each cause explains (a case may have several).
    causes: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


@dataclass
class CaseError:
    """A case that could not be decided, with the problem in Danish and English."""

    row: int
    id: str | None
    message: tuple[str, str]


@dataclass
class ImpactReport:
    """What :func:`impact` finds."""

    before: SideInfo
    after: SideInfo
    #: The differences between the two rule sets (:func:`~spstotte.render.diff.diff_rulesets`).
    changes: list[Change]
    #: The rules that read each parameter (to say through which rules a parameter acts).
    readers: dict[str, list[str]]
    cases: int = 0
    transitions: list[Transition] = field(default_factory=list)
    #: Cases with the same outcome under both, by outcome.
    unchanged: Counter[str] = field(default_factory=Counter)
    #: Of those, cases whose reasons differ, by outcome.
    reasons_changed: Counter[str] = field(default_factory=Counter)
    outcomes_before: Counter[str] = field(default_factory=Counter)
    outcomes_after: Counter[str] = field(default_factory=Counter)
    errors: list[CaseError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def decided(self) -> int:
        return self.cases - len(self.errors)

    @property
    def changed(self) -> int:
        """Cases whose outcome differs."""
        return sum(t.count for t in self.transitions)

    def transition(self, before: str, after: str) -> Transition | None:
        for found in self.transitions:
            if (found.before, found.after) == (before, after):
                return found
        return None

    def cause(self, key: str) -> dict[str, Any]:
        """A cause as data: ``{"kind": "parameter", "name": ..., "before": ..., "after": ...,
        "rules": [...]}``, ``{"kind": "rule", "name": ..., "change": "rule changed", ...}``,
        ``{"kind": "date", ...}`` (the citizen's facts on the two dates: age) or
        ``{"kind": "other"}`` (paths offered or their order)."""
        kind, _, name = key.partition(":")
        if kind == "date":
            return {"kind": "date", "before": self.before.on.isoformat(),
                    "after": self.after.on.isoformat()}
        for change in self.changes:
            if change.name != name:
                continue
            if kind == "parameter" and change.kind == "parameter":
                return {"kind": "parameter", "name": name, "before": change.before,
                        "after": change.after, "rules": self.readers.get(name, [])}
            if kind == "rule" and change.kind.startswith(("rule ", "override ")):
                return {"kind": "rule", "name": name, "change": change.kind,
                        "before": change.before, "after": change.after,
                        "detail": change.detail}
        return {"kind": "other"}


def _side_info(side: Side, ruleset: ResolvedRuleSet, lang: str) -> SideInfo:
    return SideInfo(side.spec, side.on, ruleset.id, ruleset.title.get(lang),
                    ruleset.municipality_code, ruleset.municipality_name,
                    ruleset.content_hash, ruleset.period.valid_from, ruleset.period.valid_to)


def impact(items: Iterable[Mapping[str, Any] | Row], *, before: str, after: str | None = None,
           on: date | str | None = None, after_on: date | str | None = None,
           library: RuleLibrary | None = None, workers: int = 1, samples: int = SAMPLES,
           lang: str = "da") -> ImpactReport:
    """Decide every case under two rule sets and report what changes.

    Args:
        items: profiles (mappings; an ``id`` key names the citizen) or rows read by
            :func:`~spstotte.batch.read_rows`. A row's own ``municipality`` and ``on`` are
            not used: the two sides say which rules and which dates apply.
        before: the rule set now: a municipality, a rule file or ``FILE@REVISION``.
        after: the rule set to compare with (default: ``before``, on ``after_on``).
        on: the decision date of the cases (default: today).
        after_on: the decision date under ``after`` (default: ``on``).
        library: the law layer and municipalities (default: the bundled ones).
        workers: processes to decide in (1: this process).
        samples: cases of each transition to decide in full and show side by side.
        lang: the language of the rule changes' texts (diff).

    Raises:
        UnknownMunicipalityError: a side is neither a file nor a municipality.
        RuleSetError: a side's rule files have errors.
        InputError: a revision is not a git revision; a file changed during the run.
        ProfileError: a date is not a date, or outside a rule file's period.

    Example:
        >>> report = impact([{"id": "a", "birth_date": "2010-01-01"}], before="265",
        ...                 after="630", on="2026-11-23")
        >>> [(t.before, t.after, t.count) for t in report.transitions], report.unchanged
        ([], Counter({'refused': 1}))
    """
    started = time.monotonic()
    first = _decision_date(on)
    second = _decision_date(after_on) if after_on is not None else first
    own = library if library is not None else RuleLibrary.from_options()
    sides = (Side(before, first), Side(after if after is not None else before, second))
    rulesets = (own.load_ruleset(sides[0].spec, first), own.load_ruleset(sides[1].spec, second))
    settings = ImpactSettings(
        law_dir=str(library.law_dir) if library is not None else None,
        municipality_dirs=(tuple(str(d) for d in library.municipality_dirs)
                           if library is not None else None),
        before=sides[0], after=sides[1],
        hashes=(rulesets[0].content_hash, rulesets[1].content_hash))
    here = Sides(own, settings)
    report = ImpactReport(_side_info(sides[0], rulesets[0], lang),
                          _side_info(sides[1], rulesets[1], lang),
                          diff_rulesets(rulesets[0], rulesets[1], lang).changes,
                          parameter_readers(rulesets[0], rulesets[1]))
    found: dict[tuple[str, str], Transition] = {}
    wanted: dict[tuple[str, str], list[Row]] = {}
    for case, row in _decided(as_rows(items), here, settings, workers):
        report.cases += 1
        if case.error is not None or case.before is None or case.after is None:
            report.errors.append(CaseError(case.row, case.id, case.error or ("", "")))
            continue
        report.outcomes_before[case.before] += 1
        report.outcomes_after[case.after] += 1
        if case.before == case.after:
            report.unchanged[case.before] += 1
            if case.reasons_changed:
                report.reasons_changed[case.before] += 1
            continue
        key = (case.before, case.after)
        transition = found.get(key)
        if transition is None:
            transition = found[key] = Transition(case.before, case.after)
        transition.count += 1
        transition.causes.update(case.causes)
        transition.ids.append(case.id if case.id is not None else f"#{case.row}")
        transition.rows.append(case.row)
        picked = wanted.setdefault(key, [])
        if len(picked) < samples:
            picked.append(row)
    for key, rows in wanted.items():
        for row in rows:
            found[key].samples.append(Sample(
                row.number, row.id,
                own.evaluate_ruleset(here.before, row.profile, on=first),
                own.evaluate_ruleset(here.after, row.profile, on=second)))
    rank = {outcome: i for i, outcome in enumerate(OUTCOMES)}
    report.transitions = sorted(found.values(), key=lambda t: (
        -t.count, rank.get(t.before, 99), rank.get(t.after, 99)))
    report.seconds = time.monotonic() - started
    return report


def _decided(rows: Iterator[Row], here: Sides, settings: ImpactSettings,
             workers: int) -> Iterator[tuple[Case, Row]]:
    """Each row decided under both rule sets, in input order, with the row."""
    if workers <= 1:
        for chunk in iter(lambda: list(itertools.islice(rows, STREAM)), []):
            yield from zip(here.decide_many(chunk), chunk, strict=True)
        return
    for cases, chunk in in_worker_processes(rows, workers, _start_worker, (settings,),
                                            _decide_chunk, _crashed_case):
        yield from zip(cases, chunk, strict=True)


def _crashed_case(row: Row) -> Case:
    """A case on which the rule engine stopped its worker process, again when decided alone
    (E303): counted as not decided, so that the analysis goes on (as ``spstotte batch``)."""
    message, _ = diagnostic_words("E303", "row_crashed")
    return Case(row.number, row.id, None, None, error=(message.render("da"),
                                                       message.render("en")))


_WORKER: dict[str, Any] = {}


def _start_worker(settings: ImpactSettings) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    try:
        _WORKER["sides"] = Sides(settings.library(), settings)
    except SpstotteError as exc:
        # Raised from the first chunk, so the parent reports it (a pool whose initializer
        # fails would start new workers for ever).
        _WORKER["error"] = exc


def _decide_chunk(chunk: list[Row]) -> list[Case]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    sides: Sides = _WORKER["sides"]
    return sides.decide_many(chunk)
