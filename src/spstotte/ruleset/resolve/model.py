"""The resolved rule set: the law layer and one municipality as one flat, ordered set of rules,
with the parameters, paths, referral targets and citations the later stages read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

from ...errors import Span
from ...lang.conditions import (
    Conclusion,
    Condition,
    ConditionKind,
    Guidance,
    Inform,
    Obligation,
    facts_read,
    rules_read,
)
from ...lang.ruleformat import (
    Act,
    AppealScheme,
    DeliveryForm,
    Difference,
    LegalBasis,
    LetterSettings,
    PathDef,
    ReferralTarget,
    SourceDocument,
    SupportAreaDef,
    Text,
)
from .periods import ALWAYS, Period, published

Layer = Literal["law", "municipality", "generated"]


@dataclass(frozen=True)
class Override:
    """What a municipal rule replaces in the law layer, and why."""

    rule: str
    reason: Text
    replaced_title: Text
    replaced_span: Span


@dataclass(frozen=True)
class ResolvedRule:
    """A rule of the resolved set, with parameters substituted and paths expanded."""

    id: str
    title: Text
    legal_basis: LegalBasis
    condition: Condition
    conclusion: Conclusion
    layer: Layer
    span: Span
    paths: tuple[str, ...] = ()
    override: Override | None = None
    note: Text | None = None
    quote_spans: tuple[Span, ...] = ()
    depth: int = 0
    condition_kind: ConditionKind = ConditionKind.STATUTE
    #: The condition as written (parameters substituted), where ``condition`` wraps it: a
    #: service-level requirement also reads the caseworker's assessment of it.
    written: Condition | None = None
    #: The fact that carries the caseworker's assessment (service-level requirements only).
    assessment_fact: str | None = None
    #: When this version of the rule is in force (``valid_from``/``valid_to`` in its file).
    period: Period = ALWAYS

    @property
    def stated_condition(self) -> Condition:
        """The condition as the rule's author wrote it (for descriptions and rulebooks)."""
        return self.written if self.written is not None else self.condition

    @cached_property
    def facts(self) -> tuple[str, ...]:
        """The facts the rule compares."""
        return facts_read(self.condition)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """The rules whose conclusions this rule reads."""
        return rules_read(self.condition)

    @property
    def kind(self) -> str:
        """``derive``, ``require``, ``refer``, ``obligation``, ``inform`` or ``grant``."""
        return type(self.conclusion).__name__.lower()

    @property
    def two_valued(self) -> bool:
        """Whether the rule concludes true *and* false (obligations, information and guidance
        only fire)."""
        return not isinstance(self.conclusion, (Obligation, Inform, Guidance))


@dataclass(frozen=True)
class Citation:
    """A verbatim quote from a source document, where it is cited and by what."""

    source: str
    section: str
    quote: str
    span: Span
    cited_by: str


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter's final value and where it was set."""

    name: str
    type: str
    value: Any
    title: Text | None
    legal_basis: LegalBasis | None
    set_by: Layer
    span: Span
    statutory: bool = False
    #: When this value is in force (a dated version), else always.
    period: Period = ALWAYS


@dataclass(frozen=True)
class ResolvedRuleSet:
    """One municipality's complete rule set, ready to compile and evaluate."""

    id: str
    title: Text
    municipality_code: int
    municipality_name: str
    files: tuple[str, ...]
    acts: Mapping[str, Act]
    sources: Mapping[str, SourceDocument]
    paths: Mapping[str, PathDef]
    offered_paths: tuple[str, ...]
    appeal: Mapping[str, AppealScheme]
    referrals: Mapping[str, ReferralTarget]
    parameters: Mapping[str, ResolvedParameter]
    support_areas: Mapping[str, SupportAreaDef]
    delivery_forms: Mapping[str, DeliveryForm]
    differences: tuple[Difference, ...]
    rules: tuple[ResolvedRule, ...]
    citations: tuple[Citation, ...] = ()
    #: How the municipality's letters look (letterhead, contact, own templates).
    letter: LetterSettings | None = None
    #: Parameters read by some rule or path (for the lint).
    parameters_used: frozenset[str] = frozenset()
    #: The service-level requirements a caseworker's assessment can depart from: rule id ->
    #: the fact that carries the assessment (``assessment.<rule id>``).
    assessment_points: Mapping[str, str] = field(default_factory=dict)
    #: The version: the period in which the law layer and the municipality's file say exactly
    #: this (every decision date in it gets this rule set).
    period: Period = ALWAYS
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: Per-rule-set memo of values derived from it (legal bases rendered for verdicts...).
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The content hash once worked out, shared with the rule sets narrowed from this one
    #: (see :attr:`content_hash`).
    _hash: list[str] = field(default_factory=list, repr=False, compare=False)
    #: The rule set this one was narrowed from (:meth:`narrowed_to`), whose hash it carries.
    _whole: ResolvedRuleSet | None = field(default=None, repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """The SHA-256 of the rule set's content (:func:`..fingerprint.content_hash`), the same
        for the same rules whatever the file layout: it names the rule set in every decision
        record. A narrowed rule set has the hash of the whole one.

        Worked out when first asked for, not when the rule set is resolved (about 2 ms of the
        3 ms a rule set takes to resolve, spent only for rule sets that decide something).
        Two threads asking at once may both work it out; they get the same text."""
        if not self._hash:
            from ..fingerprint import content_hash

            self._hash.append(content_hash(self._whole or self))
        return self._hash[0]

    def cites(self, source: str) -> bool:
        """Whether decisions under this version cite ``source``: not a municipal text adopted
        after the version began (its citations are shown from the text's date on)."""
        return published(self.sources[source], self.period)

    def rule(self, rule_id: str) -> ResolvedRule:
        """The rule with this id (``KeyError`` if there is none)."""
        return self.rules[self._index[rule_id]]

    def has_rule(self, rule_id: str) -> bool:
        """Whether the rule set has a rule with this id."""
        return rule_id in self._index

    def rule_position(self, rule_id: str) -> int:
        """The rule's place in evaluation order."""
        return self._index[rule_id]

    def narrowed_to(self, rule_ids: frozenset[str]) -> ResolvedRuleSet:
        """The same rule set with only these rules and every rule they read (through other
        rules too), in evaluation order: what a network needs that answers for these rules
        alone (engine/network.py, :meth:`Network.narrowed`). Everything else is the same,
        the content hash too: it names the rule set the answers are part of. Kept in the
        memo, so every caller asking for the same rules gets the same rule set."""
        key = ("narrowed_to", rule_ids)
        found: ResolvedRuleSet | None = self.memo.get(key)
        if found is None:
            found = self.memo.setdefault(key, self._narrowed(rule_ids))
        return found

    def _narrowed(self, rule_ids: frozenset[str]) -> ResolvedRuleSet:
        keep: set[str] = set()
        waiting = [rule_id for rule_id in rule_ids if rule_id in self._index]
        while waiting:
            rule_id = waiting.pop()
            if rule_id not in keep:
                keep.add(rule_id)
                waiting.extend(self.rule(rule_id).reads)
        rules = tuple(rule for rule in self.rules if rule.id in keep)
        return replace(self, rules=rules, _index={rule.id: n for n, rule in enumerate(rules)},
                       memo={}, _whole=self._whole or self)
