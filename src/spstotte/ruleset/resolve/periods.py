"""Rules through time: which rules, parameters and texts were in force on a decision date.

A rule file, a rule, a restatement, a support area, a delivery form and each version of a
parameter may carry ``valid_from`` and ``valid_to`` (both days included). A decision is made
under what was in force on its decision date, so the resolver builds one rule set per *version*:
a period between two consecutive dates at which something starts or stops being in force. Two
decision dates in the same version get the same rule set (and the same compiled network).

The checks here are per file and independent of any date: a period that ends before it starts,
two versions of one rule or parameter that overlap or leave a gap, something dated outside its
file's period, and a municipal text cited from a date before the text existed.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ...errors import Diagnostic, Localized
from ...lang.ruleformat import LegalBasis, RuleFile
from ...loader import LoadedYaml

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """From ``valid_from`` to ``valid_to``, both days included; ``None`` is an open end."""

    valid_from: date | None = None
    valid_to: date | None = None

    def contains(self, day: date) -> bool:
        """Whether ``day`` lies in the period."""
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))

    def within(self, outer: Period) -> bool:
        """Whether the whole period lies in ``outer``."""
        starts = outer.valid_from is None or (
            self.valid_from is not None and outer.valid_from <= self.valid_from)
        ends = outer.valid_to is None or (
            self.valid_to is not None and self.valid_to <= outer.valid_to)
        return starts and ends

    @property
    def dated(self) -> bool:
        """Whether either end is given."""
        return self.valid_from is not None or self.valid_to is not None

    def as_json(self) -> dict[str, str | None]:
        """``{"valid_from": "YYYY-MM-DD" | None, "valid_to": ...}``."""
        return {"valid_from": _iso(self.valid_from), "valid_to": _iso(self.valid_to)}

    def words(self, lang: str = "en") -> str:
        """The period in words: 'from 2022-03-03 to 2025-06-30', 'from 2025-07-01', ..."""
        start, end = _iso(self.valid_from), _iso(self.valid_to)
        if lang == "da":
            if start and end:
                return f"fra {start} til og med {end}"
            return f"fra {start}" if start else (f"til og med {end}" if end else "altid")
        if start and end:
            return f"from {start} to {end}"
        return f"from {start}" if start else (f"until {end}" if end else "always")

    def localized(self) -> Localized:
        """The period in words, in both languages (for messages)."""
        return Localized(da=self.words("da"), en=self.words())

    def __str__(self) -> str:
        return self.words()


#: In force on every date.
ALWAYS = Period()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def period_of(item: Any) -> Period:
    """The period of a model with ``valid_from`` and ``valid_to``."""
    return Period(item.valid_from, item.valid_to)


def dated_items(model: RuleFile) -> Iterator[tuple[tuple[str | int, ...], Period]]:
    """Every dated thing of a file except the file itself: its path in the file and period."""
    for i, rule in enumerate(model.rules):
        yield ("rules", i), period_of(rule)
    for i, restatement in enumerate(model.restates):
        yield ("restates", i), period_of(restatement)
    for name, area in model.support_areas.items():
        yield ("support_areas", name), period_of(area)
    for name, form in model.delivery_forms.items():
        yield ("delivery_forms", name), period_of(form)
    for name, param in model.parameters.items():
        for k, version in enumerate(param.versions):
            yield ("parameters", name, "versions", k), period_of(version)


def source_date(doc: Any) -> date | None:
    """The date of a municipal text (None for a national text or an undated one): a version
    starting before it does not cite it."""
    if doc.municipality is None:
        return None
    try:
        return date.fromisoformat(doc.date)
    except ValueError:
        return None  # 'udateret'


def published(doc: Any, period: Period) -> bool:
    """Whether a source text existed throughout ``period``, so that a decision in it may cite
    it: a municipal text from its date on; every other text always."""
    day = source_date(doc)
    return day is None or (period.valid_from is not None and day <= period.valid_from)


def boundaries(models: Iterable[RuleFile]) -> tuple[date, ...]:
    """The dates at which something of these files starts or stops being in force (a day
    after a ``valid_to``), or a municipal text they cite was adopted, sorted: the versions of
    the rule set lie between them."""
    days: set[date] = set()
    for model in models:
        for doc in model.sources.values():
            day = source_date(doc)
            if day is not None and (model.valid_from is None or day > model.valid_from):
                days.add(day)
        for period in (period_of(model), *(p for _, p in dated_items(model))):
            if period.valid_from is not None:
                days.add(period.valid_from)
            if period.valid_to is not None and period.valid_to < date.max:
                days.add(period.valid_to + _DAY)
    return tuple(sorted(days))


def version_number(bounds: Sequence[date], day: date) -> int:
    """The number of the version that ``day`` falls in (0 for the first)."""
    return bisect.bisect_right(bounds, day)


def version_of(bounds: Sequence[date], day: date) -> tuple[int, Period]:
    """The version that ``day`` falls in: its number (:func:`version_number`) and its
    period."""
    index = version_number(bounds, day)
    start = bounds[index - 1] if index > 0 else None
    end = bounds[index] - _DAY if index < len(bounds) else None
    return index, Period(start, end)


def versions(bounds: Sequence[date], within: Period = ALWAYS) -> list[tuple[date, Period]]:
    """One date in each version that overlaps ``within`` (its first day, or the day before
    the first boundary for the open-ended first version) and the version's period."""
    days = [bounds[0] - _DAY] if bounds else [date(2000, 1, 1)]
    out = []
    for day in [*days, *bounds]:
        _, period = version_of(bounds, day)
        if within.valid_from is not None:
            day = max(day, within.valid_from)
        if within.contains(day) and period.contains(day):
            out.append((day, period))
    return out


# -- checks -----------------------------------------------------------------------------------


def check_periods(loaded: LoadedYaml, model: RuleFile, diagnostics: list[Diagnostic]) -> None:
    """The periods of one file are sound: every period ends after it starts, lies within the
    file's period, versions of one rule or parameter neither overlap nor leave a gap, and
    nothing cites a municipal text from before the text's date."""
    file_period = period_of(model)
    _check_order(loaded, (), file_period, diagnostics)
    for path, period in dated_items(model):
        _check_order(loaded, path, period, diagnostics)
        # An open end is the file's own: only a date written outside the file's period is wrong.
        effective = Period(period.valid_from or file_period.valid_from,
                           period.valid_to or file_period.valid_to)
        never = (effective.valid_from is not None and effective.valid_to is not None
                 and effective.valid_to < effective.valid_from and period.valid_from is None)
        if period.dated and (never or not effective.within(file_period)):
            diagnostics.append(Diagnostic.of(
                "R231", "outside", _date_span(loaded, path, period),
                period=period.localized(), file_period=file_period.localized()))
    by_id: dict[str, list[tuple[int, Period]]] = {}
    for i, rule in enumerate(model.rules):
        by_id.setdefault(rule.id, []).append((i, period_of(rule)))
    for rule_id, found in by_id.items():
        # Undated twice is a duplicate id (R206, found when resolving), not two versions.
        if len(found) > 1 and any(p.dated for _, p in found):
            _check_versions(loaded, [(("rules", i), p) for i, p in found], "rule", rule_id,
                            diagnostics)
    for name, param in model.parameters.items():
        if param.versions and param.value is not None:
            diagnostics.append(Diagnostic.of("R231", "value_and_versions",
                                             loaded.span(("parameters", name, "value"), key=True),
                                             name=name))
        if len(param.versions) > 1:
            _check_versions(loaded, [(("parameters", name, "versions", k), period_of(v))
                                     for k, v in enumerate(param.versions)],
                            "parameter", name, diagnostics)
    _check_sources(loaded, model, diagnostics)


def _date_span(loaded: LoadedYaml, path: tuple[str | int, ...], period: Period,
               which: str = "valid_from") -> Any:
    other = "valid_to" if which == "valid_from" else "valid_from"
    for key in (which, other):
        if getattr(period, key) is not None:
            return loaded.span((*path, key))
    return loaded.span(path)


def _check_order(loaded: LoadedYaml, path: tuple[str | int, ...], period: Period,
                 diagnostics: list[Diagnostic]) -> None:
    if (period.valid_from is not None and period.valid_to is not None
            and period.valid_to < period.valid_from):
        diagnostics.append(Diagnostic.of(
            "R231", "order", loaded.span((*path, "valid_to")),
            valid_from=period.valid_from.isoformat(), valid_to=period.valid_to.isoformat()))


def _check_versions(loaded: LoadedYaml, found: list[tuple[tuple[str | int, ...], Period]],
                    what: str, name: str, diagnostics: list[Diagnostic]) -> None:
    """Versions of one rule or parameter follow each other day by day. Reported at the later
    version's ``valid_from``."""
    ordered = sorted(found, key=lambda f: (f[1].valid_from or date.min, f[0]))
    for (_, before), (path, after) in itertools.pairwise(ordered):
        first = loaded.span(ordered[0][0])
        if before.valid_to is None or after.valid_from is None or (
                after.valid_from <= before.valid_to):
            diagnostics.append(Diagnostic.of(
                "R231", f"overlap_{what}", _date_span(loaded, path, after), name=name,
                period=after.localized(), other=before.localized(), first=str(first)))
        elif after.valid_from - before.valid_to > _DAY:
            diagnostics.append(Diagnostic.of(
                "R231", f"gap_{what}", _date_span(loaded, path, after), name=name,
                start=after.valid_from.isoformat(), end=before.valid_to.isoformat(),
                day=(before.valid_to + _DAY).isoformat()))


def _check_sources(loaded: LoadedYaml, model: RuleFile, diagnostics: list[Diagnostic]) -> None:
    """A municipality cannot rest a service level on a text it had not yet adopted: whatever
    is in force from a date cites at least one text it had then (a newer one it also cites is
    left out of decisions made before the newer text's date)."""
    dates = {name: day for name, doc in model.sources.items()
             if (day := source_date(doc)) is not None}
    if not dates:
        return
    file_start = model.valid_from
    for path, start, basis in _bases(model):
        start = start or file_start
        if start is None or basis is None or not basis.sources:
            continue
        later = [(j, ref.source, dates[ref.source]) for j, ref in enumerate(basis.sources)
                 if ref.source in dates and dates[ref.source] > start]
        if len(later) == len(basis.sources):
            j, source, day = later[0]
            diagnostics.append(Diagnostic.of(
                "R231", "source_later", loaded.span((*path, "sources", j, "source")),
                source=source, published=day.isoformat(), start=start.isoformat()))


def _bases(model: RuleFile) -> Iterator[tuple[tuple[str | int, ...], date | None,
                                              LegalBasis | None]]:
    """Every legal basis of a file with the date from which what it supports is in force."""
    for i, rule in enumerate(model.rules):
        yield ("rules", i, "legal_basis"), rule.valid_from, rule.legal_basis
    for i, restatement in enumerate(model.restates):
        yield (("restates", i), restatement.valid_from,
               LegalBasis(sources=restatement.sources))
    for name, area in model.support_areas.items():
        yield ("support_areas", name, "legal_basis"), area.valid_from, area.legal_basis
    for name, form in model.delivery_forms.items():
        yield ("delivery_forms", name, "legal_basis"), form.valid_from, form.legal_basis
    for name, param in model.parameters.items():
        yield ("parameters", name, "legal_basis"), None, param.legal_basis
        for k, version in enumerate(param.versions):
            yield (("parameters", name, "versions", k, "legal_basis"), version.valid_from,
                   version.legal_basis)
    for name, referral in model.referrals.items():
        yield ("referrals", name, "legal_basis"), None, referral.legal_basis
    if model.letter is not None:
        yield ("letter", "legal_basis"), None, model.letter.legal_basis


def hidden_on(model: RuleFile, day: date) -> frozenset[tuple[str | int, ...]]:
    """The paths of everything in the file that is not in force on ``day``."""
    return frozenset(path for path, period in dated_items(model) if not period.contains(day))
