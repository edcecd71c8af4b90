"""The compiled durable_rules network: agreement with the reference interpreter, threads,
reloads, and the engine's guards."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, scaled
from spstotte import CitizenProfile, EngineError, RuleLibrary, RuleSetError
from spstotte.engine import Network
from spstotte.engine.compiler import WHITELIST, compile_ruleset, fnv1a_32
from spstotte.engine.reference import evaluate_reference
from spstotte.facts import FactValue, profile_facts
from spstotte.testing import decision_dates, profile_data
from spstotte.verdict.build import decision_rules

#: Only a hang reaches it (a worker thread that never stops).
HANG_TIMEOUT = 300



def _decidable(data: dict[str, object], on: date
               ) -> tuple[CitizenProfile, dict[str, FactValue]] | None:
    """A generated profile and its facts on ``on``; None if ``on`` is before the birth date
    (a profile error, not a decision)."""
    profile = CitizenProfile.parse(data)
    birth = profile.birth_date_known()
    if birth is not None and on < birth:
        return None
    return profile, profile_facts(profile, on)


def test_fnv1a_matches_known_vectors() -> None:
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968


@pytest.mark.parametrize("municipality", [265, 101])
def test_only_whitelisted_operators_are_emitted(
        library: RuleLibrary, testby: RuleLibrary, municipality: int) -> None:
    lib = library if municipality == 265 else testby
    definition = compile_ruleset(lib.ruleset(municipality)).definition
    operators = {token.strip('"') for token in definition.replace("{", " ").replace(":", " ")
                 .split() if token.startswith('"$')}
    assert operators <= WHITELIST
    assert '"@__done__": 1' in definition  # the sentinel


@settings(max_examples=scaled(300))
@given(data=profile_data(), on=decision_dates(), which=st.sampled_from([265, 101]))
def test_the_network_and_the_reference_interpreter_agree(
        library: RuleLibrary, testby: RuleLibrary, data: dict[str, object], on: date,
        which: int) -> None:
    lib = library if which == 265 else testby
    found = _decidable(data, on)
    if found is None:
        return
    profile, facts = found
    ruleset = lib.ruleset(which)
    network = lib._entry(which).network
    assert network.evaluate(facts) == evaluate_reference(ruleset, facts)
    rete = lib.evaluate(profile, municipality=which, on=on)
    reference = lib.evaluate(profile, municipality=which, on=on, backend="reference")
    assert (rete.record.engine, reference.record.engine) == (
        "durable_rules 2.0.28", "spstotte reference interpreter")
    same_engine = rete.model_copy(update={"record": rete.record.model_copy(
        update={"engine": reference.record.engine})})
    assert same_engine.model_dump_json() == reference.model_dump_json()


@settings(max_examples=scaled(300))
@given(data=profile_data(), on=decision_dates(),
       which=st.sampled_from([265, 540, 630, 101]))
def test_a_network_narrowed_to_the_decision_concludes_as_the_whole_one(
        library: RuleLibrary, testby: RuleLibrary, data: dict[str, object], on: date,
        which: int) -> None:
    lib = testby if which == 101 else library
    found = _decidable(data, on)
    if found is None:
        return
    _, facts = found
    ruleset = lib.ruleset(which)
    network = lib._entry(which).network
    wanted = decision_rules(ruleset)
    narrowed = network.narrowed(wanted)
    kept = {rule.id for rule in narrowed.ruleset.rules}
    # The decision's rules and what they read, and not the trail's information: fewer rules.
    assert wanted <= kept < {rule.id for rule in ruleset.rules}
    assert all(set(narrowed.ruleset.rule(rule_id).reads) <= kept for rule_id in kept)
    whole = network.evaluate(facts)
    assert narrowed.evaluate(facts) == {k: v for k, v in whole.items() if k in kept}


def test_a_narrowed_network_is_built_once_and_retired_with_its_network(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    ruleset = library.ruleset(265)
    network = Network(ruleset, compile_ruleset(ruleset))
    narrowed = network.narrowed(decision_rules(ruleset))
    assert network.narrowed(decision_rules(ruleset)) is narrowed
    assert len(narrowed.compiled.actions) < len(network.compiled.actions)
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    assert narrowed.evaluate(facts)["minimum_support_need"] is True
    assert narrowed._handles and not narrowed.retired
    network.retire()
    assert narrowed.retired and narrowed._deleted
    with pytest.raises(EngineError, match="reloaded"):
        narrowed.evaluate(facts)


def test_compact_records_come_from_the_network_narrowed_to_the_decision(
        profile: Callable[..., dict[str, object]]) -> None:
    lib = RuleLibrary()
    record = lib.evaluate_compact(profile(), municipality=265, on="2026-11-23")
    network = lib._entry(265, date(2026, 11, 23)).network
    (narrowed,) = network._narrowed.values()
    assert narrowed._handles  # it decided
    assert network._handles == []  # the whole network never did
    assert record["outcome"] == lib.evaluate(
        profile(), municipality=265, on="2026-11-23").outcome.value == "granted_85"
    lib.close()
    assert narrowed.retired


def test_eight_threads_give_the_same_verdicts_as_one(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    cases = [profile(), profile(support_need="light"), profile(met_by_advice=True),
             profile(support_need=None), profile(birth_date="2010-01-01"),
             profile(applicant="other", consent=False)] * 5
    expected = [library.evaluate(c, municipality=265, on="2026-11-23").model_dump_json()
                for c in cases]
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            out = []
            for _ in range(10):
                out = [library.evaluate(c, municipality=265, on="2026-11-23").model_dump_json()
                       for c in cases]
            results[worker] = out
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8
    for out in results.values():
        assert out == expected


def test_reload_under_load_retires_old_networks_safely(
        profile: Callable[..., dict[str, object]], tmp_path: Path) -> None:
    """Threads evaluate while the rule files change and reload: every verdict is right, every
    replaced network is retired, and a reload with unchanged files keeps the network."""
    folder = tmp_path / "municipalities"
    folder.mkdir()
    original = (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8")
    (folder / "roskilde.yaml").write_text(original, "utf-8")
    lib = RuleLibrary(municipality_dirs=[folder])
    expected = lib.evaluate(profile(), municipality=265, on="2026-11-23").outcome
    stop = threading.Event()
    seen: list[object] = []
    failures: list[BaseException] = []

    def evaluate_forever() -> None:
        while not stop.is_set():
            try:
                seen.append(lib.evaluate(profile(), municipality=265, on="2026-11-23").outcome)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)
                return

    # Daemon threads, stopped in `finally`: a failed assertion must not leave them spinning.
    workers = [threading.Thread(target=evaluate_forever, daemon=True) for _ in range(4)]
    for worker in workers:
        worker.start()
    replaced = []
    try:
        for version in range(8):
            network = lib._entry(265).network
            lib.reload()
            assert lib._entry(265).network is network  # the files did not change: kept
            # A comment changes the bytes, not the rules: a new network all the same. Written
            # atomically, as a deployment does, so that no thread reads half a file.
            staged = tmp_path / "staged.yaml"
            staged.write_text(original + f"# version {version}\n", "utf-8")
            staged.replace(folder / "roskilde.yaml")
            lib.reload()
            assert lib._entry(265).network is not network
            replaced.append(network)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=HANG_TIMEOUT)
    assert not any(worker.is_alive() for worker in workers)
    assert not failures
    assert seen and set(seen) == {expected}
    assert all(n.retired for n in replaced)
    lib.close()
    assert lib._entries == {} and lib._previous == {}


def test_a_compile_begun_before_a_reload_serves_its_caller_but_is_not_installed(
        profile: Callable[..., dict[str, object]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "roskilde.yaml").write_text(
        (ROOT / "municipalities" / "roskilde.yaml").read_text("utf-8"), "utf-8")
    lib = RuleLibrary(municipality_dirs=[folder])
    compiling, go_on = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_first_compile(ruleset: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            compiling.set()
            go_on.wait(HANG_TIMEOUT)
        return compile_ruleset(ruleset)  # type: ignore[arg-type]

    monkeypatch.setattr("spstotte.library.compile_ruleset", slow_first_compile)
    outcomes: list[object] = []
    early = threading.Thread(target=lambda: outcomes.append(
        lib.evaluate(profile(), municipality=265, on="2026-11-23").outcome), daemon=True)
    early.start()
    assert compiling.wait(HANG_TIMEOUT)
    lib.reload()
    installed = lib._entry(265).network  # compiled anew: the reload came after the first began
    go_on.set()
    early.join(HANG_TIMEOUT)
    assert outcomes == [lib.evaluate(profile(), municipality=265, on="2026-11-23").outcome]
    assert len(calls) == 2 and lib._entry(265).network is installed
    stale = next(entry for (file, _), entry in lib._previous.items()
                 if file == folder / "roskilde.yaml").network
    lib.reload()
    assert lib._entry(265).network is installed and stale.retired
    lib.close()


def test_threads_waiting_for_a_failing_compile_all_get_its_error(
        rules_dir: Callable[[str, str], RuleLibrary],
        profile: Callable[..., dict[str, object]]) -> None:
    lib = rules_dir("broken.yaml", "layer: municipality\nid: broken\n"
                                   "municipality: {code: 101, name: København}\nrules: []\n")
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            lib.evaluate(profile(), municipality=101, on="2026-11-23")
        except RuleSetError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=evaluate, daemon=True) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_TIMEOUT)
    assert len(errors) == 6 and lib._pending == {}
    assert all("title" in str(error) for error in errors)


def test_a_rule_set_is_loaded_into_the_engine_only_when_it_first_decides(
        profile: Callable[..., dict[str, object]]) -> None:
    """Validating, printing or comparing a rule set never pays for the engine's own build."""
    lib = RuleLibrary()
    ruleset = lib.ruleset(265)
    network = lib._entry(265).network
    assert network._handles == []
    verdict = lib.evaluate(profile(), municipality=265, on="2026-11-23")
    assert len(network._handles) == 1  # one partition, loaded once
    reference = lib.evaluate(profile(), municipality=265, on="2026-11-23",
                             backend="reference")
    assert verdict.model_dump(exclude={"record"}) == reference.model_dump(exclude={"record"})
    assert lib._entry(265).network is network and ruleset is lib.ruleset(265)
    lib.close()


def test_a_retired_network_refuses_new_evaluations(library: RuleLibrary) -> None:
    ruleset = library.ruleset(265)
    network = Network(ruleset, compile_ruleset(ruleset))
    facts = profile_facts(CitizenProfile.parse({}), date(2026, 1, 1))
    assert network.evaluate(facts) == evaluate_reference(ruleset, facts)
    network.retire()
    with pytest.raises(EngineError, match="reloaded"):
        network.evaluate(facts)


def _fresh_network(lib: RuleLibrary, municipality: int) -> Network:
    ruleset = lib.ruleset(municipality)
    return Network(ruleset, compile_ruleset(ruleset))


@pytest.fixture(scope="module")
def partitioned(library: RuleLibrary, testby: RuleLibrary) -> Iterator[dict[int, Network]]:
    """Networks cut into partitions of at most 12 engine rules (a large rule set's are 400):
    derived facts cross from partition to partition."""
    import spstotte.engine.compiler as compiler

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiler, "PARTITION_RULES", 12)
        networks = {code: _fresh_network(lib, code)
                    for code, lib in ((265, library), (101, testby))}
    for network in networks.values():
        assert len(network.compiled.partitions) > 5
        assert any(action.read_in and max(action.read_in) > action.partition
                   for action in network.compiled.actions.values())
    yield networks
    for network in networks.values():
        network.retire()


def test_the_engine_reads_each_definition_as_the_compiler_means_it(
        library: RuleLibrary, partitioned: dict[int, Network]) -> None:
    """The compiler writes a definition from its patterns' texts, not from parsed JSON:
    each must be the very JSON its rules parse to, written as the compiler writes JSON
    (raw UTF-8, one layout), whole and in partitions, with the evaluation joins."""
    import json

    from spstotte.engine.compiler import engine_json

    whole = [compile_ruleset(library.ruleset(info.code)) for info in library.municipalities()]
    texts = [compiled.definition for compiled in whole]
    texts += [part.definition for network in partitioned.values()
              for part in network.compiled.partitions]
    for text in texts:
        rules = json.loads(text)
        assert text == engine_json(rules)
        assert rules["__done__"] == {"pri": 65000, "all": [{"m": {"@__done__": 1}}]}
    joined = [rule for compiled in whole for rule in json.loads(compiled.definition).values()
              if len(rule["all"]) > 1]
    assert joined and all({"@ev": {"m0": "@ev"}} in pattern["$and"]
                          for rule in joined for step in rule["all"][1:]
                          for pattern in step.values())


@settings(max_examples=scaled(200))
@given(data=profile_data(), on=decision_dates(), which=st.sampled_from([265, 101]))
def test_a_network_in_partitions_agrees_with_the_reference_interpreter(
        partitioned: dict[int, Network], data: dict[str, object], on: date,
        which: int) -> None:
    network = partitioned[which]
    found = _decidable(data, on)
    if found is None:
        return
    _, facts = found
    assert network.evaluate(facts) == evaluate_reference(network.ruleset, facts)


def _states_as_the_slots_say(network: Network) -> None:
    """Each sid the network keeps for its next evaluations names a state in every partition
    if it has served evaluations since its states were created, and none otherwise."""
    import durable_rules_engine as dre

    for slot in network._idle:
        for handle in network._handles:
            if slot.uses:
                dre.get_state(handle, slot.sid)  # raises if there is none
            else:
                with pytest.raises(dre.error, match="309"):  # the engine's "no such state"
                    dre.get_state(handle, slot.sid)


def test_a_failure_in_a_later_partition_deletes_the_states_of_all(
        partitioned: dict[int, Network], profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import durable_rules_engine as dre

    network = partitioned[265]
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    expected = network.evaluate(facts)
    slot = network._idle[-1]  # the next evaluation takes it
    assert slot.uses == 0  # in several partitions, each state serves one evaluation
    last = network._handles[-1]
    real = dre.assert_fact
    reached: set[int] = set()

    def fail_in_the_last_partition(handle: int, text: str) -> object:
        reached.add(handle)
        if handle == last:
            raise dre.error("injected")
        return real(handle, text)

    monkeypatch.setattr(dre, "assert_fact", fail_in_the_last_partition)
    with pytest.raises(EngineError, match="injected"):
        network.evaluate(facts)
    assert len(reached) > 1  # earlier partitions had states when the last one failed
    assert network._idle[-1] is slot and slot.uses == 0
    _states_as_the_slots_say(network)
    monkeypatch.setattr(dre, "assert_fact", real)
    assert network.evaluate(facts) == expected == evaluate_reference(network.ruleset, facts)


def test_evaluations_one_after_another_share_no_fact(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    """A citizen for whom much concludes, followed by one for whom little is known, must get
    exactly the reference's answer: the evaluations one state serves are kept apart by their
    labels, and the state is deleted after EVALUATIONS_PER_STATE of them."""
    from spstotte.engine.network import EVALUATIONS_PER_STATE

    network = _fresh_network(library, 265)
    ruleset = network.ruleset
    on = date(2026, 11, 23)
    cases = [profile(), CitizenProfile.parse({}), profile(support_need="light"), {},
             profile(applicant="other", consent=False), profile(met_by_advice=True)]
    facts = [profile_facts(CitizenProfile.parse(case) if isinstance(case, dict) else case, on)
             for case in cases]
    uses = []
    for _ in range(2 * EVALUATIONS_PER_STATE // len(facts) + 1):
        for one in facts:
            assert network.evaluate(one) == evaluate_reference(ruleset, one)
            (slot,) = network._idle
            uses.append(slot.uses)
            _states_as_the_slots_say(network)
    # After the first (which follows another network's), one state served
    # EVALUATIONS_PER_STATE evaluations, was deleted, and a new one began.
    assert uses[1:EVALUATIONS_PER_STATE + 2] == [*range(1, EVALUATIONS_PER_STATE), 0, 1]
    network.retire()
    assert network._idle == []  # its sids given back


def test_a_state_is_kept_only_while_one_network_decides_after_another(
        library: RuleLibrary, profile: Callable[..., dict[str, object]]) -> None:
    """Once another network has decided, a kept state has left the processor's caches and a
    fresh one is faster (an impact analysis alternates two rule sets): it is deleted."""
    first, second = _fresh_network(library, 265), _fresh_network(library, 630)
    on = date(2026, 11, 23)
    facts = profile_facts(CitizenProfile.parse(profile()), on)
    uses = []
    for network in (first, first, second, first, first):
        assert network.evaluate(facts) == evaluate_reference(network.ruleset, facts)
        uses.append(network._idle[0].uses)
        _states_as_the_slots_say(first)
        _states_as_the_slots_say(second)
    # An evaluation that follows another network's keeps no state; the next one of the same
    # network does.
    assert uses == [0, 1, 0, 0, 1]
    first.retire()
    second.retire()


def test_the_labels_of_one_state_hash_apart() -> None:
    """The engine compares the partial matches of a join only where the hashes of their
    labels are equal: two labels of one state hashing alike would join two citizens' facts."""
    from spstotte.engine.network import EVALUATIONS_PER_STATE

    labels = [str(label) for label in range(EVALUATIONS_PER_STATE)]
    assert len({fnv1a_32(label) for label in labels}) == len(labels) > 1


def test_no_fact_is_ever_retracted_from_the_engine(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules writes out of bounds when it retracts the second fact of a rule that has
    fired (deleteMessageFromFrame in its state.c): it corrupted memory in long runs. The
    adapter deletes states instead and never retracts (docs/engine.md)."""
    import durable_rules_engine as dre

    def refuse(*_: object) -> None:
        raise AssertionError("a fact was retracted")

    for name in ("retract_fact", "retract_facts", "assert_facts", "assert_events"):
        monkeypatch.setattr(dre, name, refuse)
    on = date(2026, 11, 23)
    for municipality in (265, 540, 630):
        network = _fresh_network(library, municipality)
        for case in (profile(), profile(support_need="light"), {}, profile(consent=False)):
            facts = profile_facts(CitizenProfile.parse(case), on)
            assert network.evaluate(facts) == evaluate_reference(network.ruleset, facts)
        network.retire()


def test_a_failed_evaluation_deletes_its_state(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import durable_rules_engine as dre

    network = _fresh_network(library, 265)
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    expected = network.evaluate(facts)
    real = dre.assert_fact
    calls = 0

    def fail_on_the_first_derived_fact(handle: int, text: str) -> object:
        nonlocal calls
        calls += 1
        if '"id": "r' in text:
            raise dre.error("injected")
        return real(handle, text)

    monkeypatch.setattr(dre, "assert_fact", fail_on_the_first_derived_fact)
    with pytest.raises(EngineError, match="injected"):
        network.evaluate(facts)
    assert calls > 1  # the profile was in the state when it failed
    (slot,) = network._idle
    assert slot.uses == 0  # the half-filled state, and the evaluation before, were deleted
    _states_as_the_slots_say(network)
    monkeypatch.setattr(dre, "assert_fact", real)
    assert network.evaluate(facts) == expected
    network.retire()


def test_the_sid_of_a_state_that_cannot_be_deleted_is_never_used_again(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A state the engine refuses to delete may still hold a citizen's facts: its sid must
    not go back to the network for the next evaluation."""
    import durable_rules_engine as dre

    network = _fresh_network(library, 265)
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    expected = network.evaluate(facts)
    (slot,) = network._idle  # the next evaluation takes it
    real_assert, real_delete = dre.assert_fact, dre.delete_state

    def fail_on_the_first_derived_fact(handle: int, text: str) -> object:
        if '"id": "r' in text:
            raise dre.error("injected")
        return real_assert(handle, text)

    def refuse(handle: int, sid: str) -> None:
        raise dre.error("stuck")

    with monkeypatch.context() as patch:
        patch.setattr(dre, "assert_fact", fail_on_the_first_derived_fact)
        patch.setattr(dre, "delete_state", refuse)
        with pytest.raises(EngineError, match="stuck"):
            network.evaluate(facts)
    assert network._idle == [] and slot.dead  # the sid is not offered again
    real_delete(network._handles[0], slot.sid)  # the test's own cleanup
    assert network.evaluate(facts) == expected  # under a new sid
    assert network._idle[0].sid != slot.sid
    network.retire()


def test_a_state_left_with_a_fact_is_refused_not_used_for_a_wrong_verdict(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine keeps the old fact when a fact with the same id is asserted again. If a
    state were ever left behind under a sid the network uses again, the next citizen would be
    decided on the previous one's facts: the adapter must notice, delete it and say so."""
    import durable_rules_engine as dre


    network = _fresh_network(library, 265)
    on = date(2026, 11, 23)
    first = profile_facts(CitizenProfile.parse(profile()), on)
    second = profile_facts(CitizenProfile.parse(profile(support_need="light")), on)
    with monkeypatch.context() as patch:
        patch.setattr(dre, "delete_state", lambda handle, sid: None)
        network.evaluate(first)  # the first of a network keeps no state; the deletion is lost
    (slot,) = network._idle
    assert slot.uses == 0  # so the network takes the sid for free
    with pytest.raises(EngineError, match="earlier evaluation"):
        network.evaluate(second)
    _states_as_the_slots_say(network)
    assert network.evaluate(second) == evaluate_reference(network.ruleset, second)
    network.retire()


def test_an_id_taken_in_a_state_that_served_others_is_decided_again_in_a_fresh_one(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine knows a fact's id by its 32-bit hash only, so in a state that served other
    evaluations a new id may hash like an old one (the engine then keeps the old fact). The
    adapter then decides the citizen again in a fresh state, whose ids the compiler checked."""
    import durable_rules_engine as dre

    network = _fresh_network(library, 265)
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    expected = evaluate_reference(network.ruleset, facts)
    for _ in range(2):  # the second keeps its state for the next
        assert network.evaluate(facts) == expected
    assert network._idle[0].uses == 1
    real = dre.assert_fact
    refused: list[str] = []

    def as_if_taken_once(handle: int, text: str) -> object:
        if not refused and '"id": "r' in text:
            refused.append(text)
            return 2, 0  # the engine's answer to an id it holds already
        return real(handle, text)

    monkeypatch.setattr(dre, "assert_fact", as_if_taken_once)
    assert network.evaluate(facts) == expected
    assert refused and '"@ev": "1"' in refused[0]  # refused in the second evaluation's state
    (slot,) = network._idle
    assert slot.uses == 1  # and decided in a fresh one
    _states_as_the_slots_say(network)
    network.retire()


def test_the_free_sids_a_network_keeps_are_bounded(
        library: RuleLibrary, profile: Callable[..., dict[str, object]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluations in flight at once each hold a sid; afterwards at most MAX_IDLE_SIDS stay.
    Nesting evaluations (one starts inside another's assert) puts many in flight."""
    import durable_rules_engine as dre

    from spstotte.engine import MAX_IDLE_SIDS

    network = _fresh_network(library, 265)
    facts = profile_facts(CitizenProfile.parse(profile()), date(2026, 11, 23))
    expected = evaluate_reference(network.ruleset, facts)
    real = dre.assert_fact
    depth = 0
    answers: list[object] = []

    def nest(handle: int, text: str) -> object:
        nonlocal depth
        if depth < MAX_IDLE_SIDS + 3:
            depth += 1
            answers.append(network.evaluate(facts))
        return real(handle, text)

    monkeypatch.setattr(dre, "assert_fact", nest)
    answers.append(network.evaluate(facts))
    assert answers == [expected] * (MAX_IDLE_SIDS + 4)
    assert len(network._idle) == MAX_IDLE_SIDS
    assert len({slot.sid for slot in network._idle}) == MAX_IDLE_SIDS
    assert sum(1 for slot in network._idle if slot.uses) == 1  # one kept state, not one each
    _states_as_the_slots_say(network)
    network.retire()
    assert network._idle == []


def test_an_evaluation_where_nothing_concludes_is_safe(testby: RuleLibrary) -> None:
    # Nothing known: no rule fires but the sentinel, and delete_state must not crash.
    ruleset = testby.ruleset(101)
    facts = profile_facts(CitizenProfile.parse({}), date(2026, 1, 1))
    for _ in range(50):
        assert testby._entry(101).network.evaluate(facts) == evaluate_reference(ruleset, facts)


def test_rules_too_complex_for_the_engine_are_refused_before_compiling(
        rules_dir: Callable[[str, str], RuleLibrary]) -> None:
    # An 'all' of eight 'any's of three facts each expands to 3**8 alternatives.
    facts = ["met_by_advice", "at_risk", "urgent", "accepts_straksforloeb", "motivated",
             "able_to_attend_groups", "specialist_treatment_sought", "improvement_expected"]
    groups = ", ".join(
        f"{{any: [{{fact: {f}, eq: true}}, {{fact: age, gte: {20 + i}}}, "
        "{fact: support_need, eq: high}]}" for i, f in enumerate(facts))
    text = f"""\
layer: municipality
id: big
title: {{da: B, en: B}}
municipality: {{code: 101, name: København}}
sources:
  own: {{file: t.txt, publisher: Københavns Kommune, title: T, date: udateret, kind: t,
         municipality: 101}}
rules:
  - id: huge
    title: {{da: T, en: T}}
    legal_basis:
      sources: [{{source: own, section: Målgruppe, quote: "Målgruppen for"}}]
    when: {{all: [{groups}]}}
    then: derive
"""
    lib = rules_dir("big.yaml", text)
    with pytest.raises(RuleSetError) as info:
        lib.evaluate({}, municipality=101, on="2026-01-01")
    assert [d.code for d in info.value.diagnostics] == ["E301"]
    assert info.value.diagnostics[0].span is not None
