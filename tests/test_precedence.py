"""The outcome precedence, table by table: requirement statuses in, outcome and reasons out.

Each row is a case in the language of the law, stripped to what decides it. The paths are § 85
(an entitlement) and § 82 b, in the order the municipality prefers them.
"""

from __future__ import annotations

import pytest

from spstotte.lang.conditions import ConditionKind
from spstotte.verdict.precedence import (
    Decision,
    Outcome,
    PathState,
    RequirementState,
    Status,
    decide,
    rests_on,
)

MET, NOT, UND = Status.MET, Status.NOT_MET, Status.UNDETERMINED
STATUTE, SERVICE, ASSESS = (ConditionKind.STATUTE, ConditionKind.SERVICE_LEVEL,
                            ConditionKind.ASSESSMENT)
BOTH = frozenset({"p85", "p82b"})
P85 = frozenset({"p85"})
P82B = frozenset({"p82b"})


def q(rule: str, status: Status, on_fail: str = "refuse", paths: frozenset[str] = BOTH,
      kind: ConditionKind = STATUTE) -> RequirementState:
    return RequirementState(rule, paths, on_fail, status, kind)


def paths(order: str = "p85,p82b", accepted: bool | None = None,
          by_order: bool | None = True) -> list[PathState]:
    states = {"p85": PathState("p85", Outcome.GRANTED_85, entitlement=True),
              "p82b": PathState("p82b", Outcome.GRANTED_82B, accepted=accepted,
                                by_order=by_order)}
    return [states[p] for p in order.split(",")]


def kinds(decision: Decision) -> list[tuple[str, str]]:
    return [(code, kind.value) for code, kind in decision.reasons]


CASES = [
    # (what the law says, paths, requirements, outcome, chosen, reasons)
    ("under 18 is a refusal whatever else is missing or contradictory",
     paths(), [q("adult", NOT), q("support", UND, paths=P85), q("advice", NOT, "refer"),
               q("contradiction", NOT, "investigate")],
     Outcome.REFUSED, None,
     [("adult", "refusal"), ("advice", "referral"), ("contradiction", "investigation")]),
    ("a refused consent closes the application, before anything else",
     paths(), [q("consent_refused", NOT, "close"), q("residence", NOT, "forward"),
               q("adult", NOT)],
     Outcome.CLOSED, None, [("consent_refused", "closure")]),
    ("another handlekommune: forwarded, and only the forwarding is a ground",
     paths(), [q("residence", NOT, "forward"), q("adult", NOT), q("support", UND, paths=P85)],
     Outcome.FORWARDED, None, [("residence", "forwarding")]),
    ("contradictory facts are investigated, not decided as a referral",
     paths(), [q("contradiction", NOT, "investigate"), q("advice", NOT, "refer", kind=ASSESS)],
     Outcome.NEEDS_INFORMATION, None, [("contradiction", "investigation")]),
    ("contradictory facts are investigated before a service level refuses",
     paths("p85"), [q("contradiction", NOT, "investigate", P85),
                    q("minimum", NOT, paths=P85, kind=SERVICE)],
     Outcome.NEEDS_INFORMATION, None, [("contradiction", "investigation")]),
    ("a service level that fails for every path refuses (lawful after an assessment)",
     paths("p85"), [q("minimum", NOT, paths=P85, kind=SERVICE), q("adult", MET, paths=P85)],
     Outcome.REFUSED, None, [("minimum", "refusal")]),
    ("statutory grounds come first, then findings, then the service level",
     paths("p85"), [q("minimum", NOT, paths=P85, kind=SERVICE),
                    q("advice", NOT, "refer", P85, ASSESS), q("target", NOT, paths=P85)],
     Outcome.REFUSED, None,
     [("target", "refusal"), ("minimum", "refusal"), ("advice", "referral")]),
    ("advice meets the need for every path: referred",
     paths(), [q("advice", NOT, "refer", kind=ASSESS), q("adult", MET)],
     Outcome.REFERRED, None, [("advice", "referral")]),
    ("§ 85 met is granted though the municipality prefers § 82 b and it is met too",
     paths("p82b,p85"), [q("adult", MET), q("improve", MET, paths=P82B, kind=ASSESS)],
     Outcome.GRANTED_85, "p85", [("grant_p85", "grant")]),
    ("§ 82 b replaces a met § 85 only with the citizen's acceptance",
     paths("p82b,p85", accepted=True),
     [q("adult", MET), q("improve", MET, paths=P82B, kind=ASSESS)],
     Outcome.GRANTED_82B, "p82b", [("grant_p82b", "grant"), ("improve", "grant")]),
    ("§ 82 b by the municipality's order while § 85 is still undetermined",
     paths("p82b,p85"), [q("adult", MET), q("support", UND, paths=P85)],
     Outcome.GRANTED_82B, "p82b", [("grant_p82b", "grant")]),
    ("no § 82 b by order when the need is extensive: wait for § 85",
     paths("p82b,p85", by_order=False), [q("adult", MET), q("target", UND, paths=P85)],
     Outcome.NEEDS_INFORMATION, None, [("target", "missing_information")]),
    ("no § 82 b by order where the municipality prefers § 85: wait for § 85",
     paths("p85,p82b"), [q("adult", MET), q("support", UND, paths=P85)],
     Outcome.NEEDS_INFORMATION, None, [("support", "missing_information")]),
    ("accepted § 82 b is granted while § 85 is undetermined, whatever the order",
     paths("p85,p82b", accepted=True, by_order=False),
     [q("adult", MET), q("support", UND, paths=P85)],
     Outcome.GRANTED_82B, "p82b", [("grant_p82b", "grant")]),
    ("§ 85 not met, § 82 b met: the course is granted",
     paths(), [q("target", NOT, paths=P85), q("improve", MET, paths=P82B, kind=ASSESS)],
     Outcome.GRANTED_82B, "p82b", [("grant_p82b", "grant"), ("improve", "grant")]),
    ("a consent not yet given is guidance, never a refusal",
     paths(), [q("consent", NOT, "guide"), q("adult", MET)],
     Outcome.NEEDS_INFORMATION, None, [("consent", "guidance")]),
    ("a missing fact of a path that could still be met: needs information",
     paths("p85"), [q("adult", MET, paths=P85), q("support", UND, paths=P85)],
     Outcome.NEEDS_INFORMATION, None, [("support", "missing_information")]),
    ("one path referred, the other refused: referred, with every ground",
     paths(), [q("advice", NOT, "refer", P85, ASSESS), q("improve", NOT, paths=P82B,
                                                          kind=ASSESS)],
     Outcome.REFERRED, None, [("advice", "referral"), ("improve", "refusal")]),
    ("both paths refused on their own grounds: refused",
     paths(), [q("target85", NOT, paths=P85), q("target82b", NOT, paths=P82B)],
     Outcome.REFUSED, None, [("target85", "refusal"), ("target82b", "refusal")]),
]


@pytest.mark.parametrize(("case", "offered", "requirements", "outcome", "chosen", "reasons"),
                         CASES, ids=[c[0] for c in CASES])
def test_the_outcome_follows_the_law(case: str, offered: list[PathState],
                                     requirements: list[RequirementState], outcome: Outcome,
                                     chosen: str | None, reasons: list[tuple[str, str]]) -> None:
    decision = decide(offered, requirements)
    assert (decision.outcome, decision.chosen) == (outcome, chosen), case
    assert kinds(decision) == reasons, case


def test_a_grant_by_order_leaves_the_entitlement_pending() -> None:
    decision = decide(paths("p82b,p85"), [q("adult", MET), q("support", UND, paths=P85)])
    assert decision.pending == ("p85",) and decision.replaced == ()
    assert decision.path_status == {"p82b": MET, "p85": UND}


def test_an_accepted_course_records_the_entitlement_it_replaces() -> None:
    decision = decide(paths("p82b,p85", accepted=True), [q("adult", MET)])
    assert (decision.chosen, decision.replaced, decision.pending) == ("p82b", ("p85",), ())


def test_path_status_is_the_kleene_conjunction_of_its_requirements() -> None:
    decision = decide(paths(), [q("a", MET), q("b", UND, paths=P85), q("c", NOT, paths=P82B)])
    assert decision.path_status == {"p85": UND, "p82b": NOT}


def test_rests_on_tells_whether_the_outcome_turns_on_a_requirement() -> None:
    offered = paths("p85")
    only_service = [q("minimum", NOT, paths=P85, kind=SERVICE), q("adult", MET, paths=P85)]
    assert rests_on(offered, only_service, ["minimum"])
    with_statute = [*only_service, q("target", NOT, paths=P85)]
    assert not rests_on(offered, with_statute, ["minimum"])
    assert not rests_on(offered, only_service, [])
