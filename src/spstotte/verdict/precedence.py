"""Stage 6a, the outcome: which decision the statuses of a case's requirements lead to.

One pure function, :func:`decide`, reads as the law is applied, in this order:

1. **The application is closed** when the citizen has refused consent to an application made by
   someone else (forvaltningsloven § 8): nobody may pursue it on the citizen's behalf.
2. **The application is forwarded** when another municipality is the citizen's handlekommune
   (retssikkerhedsloven § 9): this municipality may not decide it, and forwards it
   (forvaltningsloven § 7, stk. 2).
3. **Refused** when a statutory condition of every offered path is not met (age, the target
   group, ...): a definite refusal ground makes missing facts and contradictions irrelevant.
4. **Needs information** when the facts contradict each other: the municipality must
   investigate before it decides (retssikkerhedsloven § 10), and may not rely on either fact.
5. **Refused** when a service-level condition of every offered path is not met. Lawful only
   after a concrete, individual assessment; the verdict says when that is still missing.
6. **Referred** when the need is covered by something less intrusive or by another provision
   for every offered path (retssikkerhedsloven § 5).
7. **Granted** when a path has every requirement met. An *entitlement* (§ 85: "skal tilbyde")
   is never taken away by the municipality's order of paths: another path (§ 82 b) replaces a
   met entitlement only when the citizen has accepted it, and is granted by order while the
   entitlement is still undetermined only where the municipality prefers it and the citizen's
   need allows it (its ``by_order`` rule).
8. **Needs information** when a path could still be met: facts are missing, or a step the
   applicant can take (such as consent) is outstanding (forvaltningsloven § 7).
9. Otherwise **referred** if a referral blocks some path, else **refused**, with every ground
   found (forvaltningsloven § 24).

The function knows nothing of rules, facts or municipalities: requirement statuses go in, the
outcome, the chosen path and the reasons (with their kinds) come out. The verdict builder calls
it twice when a service level decides against the citizen, to see whether the outcome rests on
it alone (:func:`rests_on`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ..lang.conditions import ConditionKind


class Outcome(StrEnum):
    """The outcomes of an evaluation."""

    GRANTED_85 = "granted_85"
    GRANTED_82B = "granted_82b"
    REFERRED = "referred"
    REFUSED = "refused"
    NEEDS_INFORMATION = "needs_information"
    FORWARDED = "forwarded"
    CLOSED = "closed"


class Status(StrEnum):
    """The status of a requirement or a path."""

    MET = "met"
    NOT_MET = "not_met"
    UNDETERMINED = "undetermined"


class ReasonKind(StrEnum):
    """What a reason is for the outcome."""

    GRANT = "grant"
    REFUSAL = "refusal"
    REFERRAL = "referral"
    MISSING_INFORMATION = "missing_information"
    GUIDANCE = "guidance"
    FORWARDING = "forwarding"
    CLOSURE = "closure"
    INVESTIGATION = "investigation"


#: The reason kind of a requirement that is not met, by its ``on_fail``.
FAILURE_KIND: dict[str, ReasonKind] = {
    "refuse": ReasonKind.REFUSAL, "refer": ReasonKind.REFERRAL, "guide": ReasonKind.GUIDANCE,
    "forward": ReasonKind.FORWARDING, "close": ReasonKind.CLOSURE,
    "investigate": ReasonKind.INVESTIGATION,
}


@dataclass(frozen=True)
class RequirementState:
    """A requirement (or referral) of one or more paths, and where it stands."""

    id: str
    paths: frozenset[str]
    on_fail: str
    status: Status
    condition_kind: ConditionKind = ConditionKind.STATUTE


@dataclass(frozen=True)
class PathState:
    """A grant path the municipality offers, in its order of preference.

    ``accepted`` is the result of the path's acceptance rule (may it replace a met
    entitlement?), ``by_order`` that of its order rule (may it be granted by order while an
    entitlement is undetermined?); ``None`` when undetermined or when the path has none.
    """

    id: str
    outcome: Outcome
    entitlement: bool = False
    accepted: bool | None = None
    by_order: bool | None = None


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` concludes."""

    outcome: Outcome
    #: The granted path, if any.
    chosen: str | None
    #: Each offered path's status: the Kleene conjunction of its requirements.
    path_status: dict[str, Status]
    #: The reasons, in the order a decision letter gives them: (requirement id, kind). A grant
    #: starts with (``grant_<path>``, grant).
    reasons: tuple[tuple[str, ReasonKind], ...]
    #: Entitlement paths still undetermined when another path was granted by order.
    pending: tuple[str, ...] = ()
    #: Entitlement paths met but replaced by the path the citizen accepted.
    replaced: tuple[str, ...] = ()


_KIND_ORDER = {ConditionKind.STATUTE: 0, ConditionKind.ASSESSMENT: 1,
               ConditionKind.SERVICE_LEVEL: 2}


def _path_status(path: str, requirements: Iterable[RequirementState]) -> Status:
    values = [q.status for q in requirements if path in q.paths]
    if Status.NOT_MET in values:
        return Status.NOT_MET
    return Status.UNDETERMINED if Status.UNDETERMINED in values else Status.MET


def decide(paths: Sequence[PathState], requirements: Sequence[RequirementState]) -> Decision:
    """The outcome of a case (see the module docstring for the order the law gives).

    >>> p85 = PathState("p85", Outcome.GRANTED_85, entitlement=True)
    >>> age = RequirementState("adult", frozenset({"p85"}), "refuse", Status.NOT_MET)
    >>> decide([p85], [age]).outcome.value, decide([p85], [age]).reasons
    ('refused', (('adult', <ReasonKind.REFUSAL: 'refusal'>),))
    """
    offered = [p.id for p in paths]
    everywhere = set(offered)
    status = {p.id: _path_status(p.id, requirements) for p in paths}
    # Statutory grounds first, then the caseworker's findings, then the service level.
    failed = sorted((q for q in requirements if q.status is Status.NOT_MET
                     and q.paths & everywhere), key=lambda q: _KIND_ORDER[q.condition_kind])

    def gate(on_fail: str, kinds: Iterable[ConditionKind] | None = None) -> bool:
        allowed = set(kinds) if kinds is not None else None
        return any(q.on_fail == on_fail and everywhere <= q.paths
                   and (allowed is None or q.condition_kind in allowed) for q in failed)

    def grounds(*first: str) -> tuple[tuple[str, ReasonKind], ...]:
        # Every ground found (forvaltningsloven § 24): the outcome's own kind first.
        order = [*first, *(k for k in FAILURE_KIND if k not in first)]
        return tuple((q.id, FAILURE_KIND[q.on_fail])
                     for kind in order for q in failed if q.on_fail == kind)

    blocked = {p: [q for q in failed if p in q.paths and q.on_fail != "guide"] for p in offered}
    open_paths = [p for p in offered if not blocked[p] and status[p] is not Status.MET]

    def pending_reasons(which: Sequence[str]) -> tuple[tuple[str, ReasonKind], ...]:
        wanted = set(which)
        out = [(q.id, ReasonKind.INVESTIGATION) for q in failed if q.on_fail == "investigate"]
        out += [(q.id, ReasonKind.GUIDANCE) for q in failed
                if q.on_fail == "guide" and q.paths & wanted]
        out += [(q.id, ReasonKind.MISSING_INFORMATION) for q in requirements
                if q.status is Status.UNDETERMINED and q.paths & wanted]
        return tuple(out)

    def result(outcome: Outcome, reasons: tuple[tuple[str, ReasonKind], ...],
               **extra: tuple[str, ...]) -> Decision:
        return Decision(outcome, None, status, reasons, **extra)

    def only(on_fail: str) -> tuple[tuple[str, ReasonKind], ...]:
        # Closing or forwarding decides nothing on the merits: only its own grounds count.
        return tuple((q.id, FAILURE_KIND[on_fail]) for q in failed if q.on_fail == on_fail)

    if gate("close"):
        return result(Outcome.CLOSED, only("close"))
    if gate("forward"):
        return result(Outcome.FORWARDED, only("forward"))
    if gate("refuse", (ConditionKind.STATUTE, ConditionKind.ASSESSMENT)):
        return result(Outcome.REFUSED, grounds("refuse", "refer"))
    if any(q.on_fail == "investigate" for q in failed):
        return result(Outcome.NEEDS_INFORMATION, pending_reasons(open_paths))
    if gate("refuse"):
        return result(Outcome.REFUSED, grounds("refuse", "refer"))
    if offered and all(any(q.on_fail == "refer" for q in blocked[p]) for p in offered):
        return result(Outcome.REFERRED, grounds("refer", "refuse"))

    chosen, pending, replaced = _choose(paths, status, open_paths)
    if chosen is not None:
        path = next(p for p in paths if p.id == chosen)
        reasons = [(f"grant_{chosen}", ReasonKind.GRANT)]
        reasons += [(q.id, ReasonKind.GRANT) for q in requirements
                    if chosen in q.paths and q.status is Status.MET and q.on_fail != "refer"
                    and q.condition_kind is not ConditionKind.STATUTE]
        return Decision(path.outcome, chosen, status, tuple(reasons), pending, replaced)
    if open_paths:
        return result(Outcome.NEEDS_INFORMATION, pending_reasons(open_paths))
    if any(q.on_fail == "refer" for q in failed):
        return result(Outcome.REFERRED, grounds("refer", "refuse"))
    return result(Outcome.REFUSED, grounds("refuse", "refer"))


def _choose(paths: Sequence[PathState], status: dict[str, Status], open_paths: Sequence[str]
            ) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """The path to grant, the entitlements left pending, and the entitlements replaced."""
    met = [p for p in paths if status[p.id] is Status.MET]
    if not met:
        return None, (), ()
    entitled_met = [p for p in met if p.entitlement]
    if entitled_met:
        # An entitlement that is met is granted, unless the citizen accepted another path.
        accepted = [p for p in met if not p.entitlement and p.accepted is True]
        if accepted:
            return accepted[0].id, (), tuple(p.id for p in entitled_met)
        return entitled_met[0].id, (), ()
    order = [p.id for p in paths]
    pending = [p for p in paths if p.entitlement and p.id in open_paths]
    if not pending:
        return met[0].id, (), ()
    first_pending = order.index(pending[0].id)
    for p in met:
        if p.accepted is True or (p.by_order is True and order.index(p.id) < first_pending):
            return p.id, tuple(q.id for q in pending), ()
    return None, (), ()


def rests_on(paths: Sequence[PathState], requirements: Sequence[RequirementState],
             points: Iterable[str]) -> bool:
    """Whether the outcome would differ if the requirements ``points`` were met: does the
    decision rest on them?"""
    wanted = set(points)
    if not wanted:
        return False
    flipped = [replace(q, status=Status.MET) if q.id in wanted else q for q in requirements]
    return decide(paths, flipped).outcome is not decide(paths, requirements).outcome
