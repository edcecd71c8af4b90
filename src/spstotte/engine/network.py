"""Stage 5, evaluate: run facts through the compiled durable_rules network.

This drives the C module ``durable_rules_engine`` directly, following the research notes
(docs/engine.md): no ``Host`` and no background threads (the stock Host's timer threads steal
actions and crash under threads), an engine state to each evaluation while it runs, facts
asserted one at a time (batch asserts hide errors), a sentinel rule that always fires last
(``delete_state`` frees uninitialised memory if no action ever ran for a state), and a network
retired only once no evaluation uses it (deleting a ruleset with live states leaks).

An engine state serves a few evaluations, one after another, and is then deleted; it is never
emptied by retracting facts: durable_rules writes out of bounds when it retracts the second fact
of a rule that has fired (``deleteMessageFromFrame`` in its state.c), which corrupted memory in
long runs. The evaluations in one state are kept apart by a label on every fact, which every
join of the compiled rules tests (compiler.EVALUATION; docs/engine.md, "A state for a few
evaluations").
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Final

import durable_rules_engine as dre

from ..errors import EngineError, Message
from ..facts import FactKind, FactValue, fact_spec, rank
from ..ruleset.resolve import ResolvedRuleSet
from .compiler import (
    EVALUATION,
    SENTINEL_PATH,
    CompiledRules,
    Partition,
    compile_ruleset,
    engine_json,
    fact_head,
    fnv1a_32,
    id_up_to_label,
    property_name,
)
from .reference import Results

_network_names = itertools.count(1)
#: The sentinel fact up to its id's label (see _Slot.tail).
_SENTINEL_FACT: Final = fact_head(SENTINEL_PATH) + id_up_to_label("done")

#: State ids a network keeps for its next evaluations, with the states they name, so that it
#: need not take one from the process-wide set and create states each time.
MAX_IDLE_SIDS: Final = 4

#: The evaluations one engine state serves before it is deleted. Creating a state clears
#: about 8 KB for every pattern of the network (about 40 µs for 145 patterns), so a state
#: that serves several evaluations saves most of that. Not many: the engine's pools of
#: partial matches start with room for 7 and are reallocated as they fill, and a state that
#: grew over many evaluations no longer fits the processor's caches. Measured as the mean
#: over a stream of evaluations (a bundled rule set, engine only): 1, 142 µs; 2, 118; 4, 105;
#: 6, 101; 8, 104; 16 and 32, 110-220 from run to run; with whole verdicts between
#: evaluations, 4 was best (docs/engine.md).
#: A network in several partitions keeps none: each partition's state is deleted as soon
#: as its sentinel has fired (see Network._run).
EVALUATIONS_PER_STATE: Final = 4

# The engine compares the partial matches of a join only where the hashes of their labels
# are equal (compiler._same_evaluation), so the labels of one state must hash apart. A label
# is a string (the engine hashes a number's printed text, which costs a printf a join).
assert len({fnv1a_32(str(label)) for label in range(EVALUATIONS_PER_STATE)}) \
    == EVALUATIONS_PER_STATE

#: The engine's answer to asserting a fact whose id the state already holds (it keeps the old
#: fact and ignores the new one).
_ALREADY_THERE: Final = 2


class _IdTaken(Exception):
    """A fact's id was already in the state (its hash, which is all the engine compares)."""


class _Slot:
    """A state id, and the engine states it names: one in each partition's rule set while it
    serves evaluations, none once they are deleted.

    ``uses`` counts the evaluations the states served; the next is labelled with it. ``texts``
    keeps every JSON text given to the engine for them until the states are deleted:
    durable_rules copies a fact's text when it stores the fact, but leaves its ``id`` and
    ``sid`` pointing into the caller's text (``copyMessage`` in its state.c does not move
    those two), so a text freed while its fact is stored would leave the engine reading freed
    memory."""

    __slots__ = ("dead", "digest", "sid", "texts", "uses")

    def __init__(self, sid: str, digest: int) -> None:
        self.sid = sid
        self.digest = digest
        self.uses = 0
        self.texts: list[str] = []
        #: Set while its states are being deleted, and left set if that fails: a state that
        #: cannot be deleted may still be there, so the sid is never used again.
        self.dead = False

    def tail(self, joined: bool) -> str:
        """What ends every fact of the next evaluation: its id's label, the label as the
        property every join tests (where the joins test it), and the sid."""
        label = self.uses
        if not joined:
            return f'{label}", "sid": "{self.sid}"}}'
        return f'{label}", "{EVALUATION}": "{label}", "sid": "{self.sid}"}}'

    def delete_states(self, handles: list[int]) -> None:
        """Delete the states of every partition (each has one once an evaluation has run)."""
        if self.uses:
            self.dead = True
            for handle in handles:
                _delete_state(handle, self.sid)
            self.dead = False
        self.uses = 0
        self.texts = []


class _Sids:
    """Process-wide state ids whose 32-bit hashes never collide while live.

    The engine identifies a state by the FNV-1a hash of its sid only: two live sids with the same
    hash would share one state (research/durable_rules.md, P10).
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._live: set[int] = set()
        self._lock = threading.Lock()

    def take(self) -> tuple[str, int]:
        with self._lock:
            while True:
                sid = f"s{next(self._counter)}"
                digest = fnv1a_32(sid)
                if digest not in self._live:
                    self._live.add(digest)
                    return sid, digest

    def give_back(self, digest: int) -> None:
        with self._lock:
            self._live.discard(digest)


_SIDS = _Sids()

#: The network (its id) that evaluated last in this process: a state is kept for the next
#: evaluation only while evaluations of one network follow one another (Network._evaluate_in).
_last_network = 0

#: Every network loaded in this process, so that a forked child can abandon them (below).
_NETWORKS: weakref.WeakSet[Network] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child inherits the parent's locks as they were at the fork (held, if another
    thread held them: the child would wait for ever) and the engine's states of evaluations
    in flight in other threads (whose sids the child could reuse). The child starts afresh:
    new locks and sids, and the inherited networks abandoned (never used, never freed: their
    engine state belongs to the parent's threads). Libraries compile new ones on first use."""
    global _SIDS
    _SIDS = _Sids()
    for network in list(_NETWORKS):
        network._abandon_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _field_properties(name: str, tests_known: bool, value: FactValue,
                      tested: frozenset[str]) -> str:
    """A profile field's properties in its group fact, as JSON members ('' if none). Only
    the properties some engine rule tests are given: the engine probes every property of a
    fact at every alpha node the fact reaches, so each property it never tests is time lost."""
    spec = fact_spec(name)
    if value is None:
        return f'{_key(name, "k")}: 0' if tests_known else ""
    parts = [f'{_key(name, "k")}: 1'] if tests_known else []
    if spec.kind is FactKind.SET:
        assert isinstance(value, frozenset)
        parts += [f'{_key(name, m)}: {1 if m in value else 0}' for m in spec.values
                  if property_name(name, m) in tested]
        return ", ".join(parts)
    encoded: Any
    if isinstance(value, bool):
        encoded = 1 if value else 0
    elif value == "none":
        encoded = 0
    else:
        encoded = value
    if property_name(name, "v") in tested:
        parts.append(f'{_key(name, "v")}: {engine_json(encoded)}')
    if spec.kind is FactKind.ORDINAL and property_name(name, "r") in tested:
        r = rank(spec, value)
        if r is not None:
            parts.append(f'{_key(name, "r")}: {r}')
    return ", ".join(parts)


def _key(name: str, key: str) -> str:
    return engine_json(property_name(name, key))


class Network:
    """A compiled rule set, loaded into the engine on its first evaluation. Safe to use from
    many threads."""

    def __init__(self, ruleset: ResolvedRuleSet, compiled: CompiledRules) -> None:
        self.ruleset = ruleset
        self.compiled = compiled
        self._rule_ids = [rule.id for rule in ruleset.rules]
        #: What each engine rule concludes, by engine rule name: (rule id, value, derived fact,
        #: the partitions that read it).
        self._conclusions: dict[str, tuple[str, bool, str | None, tuple[int, ...]]] = {
            name: (self._rule_ids[action.index], action.value, action.derived, action.read_in)
            for name, action in compiled.actions.items()}
        #: Where a fired rule's name ends in its action's text ('{"R07T00": {...'): the
        #: compiler's names are all of one length and start with "R"; the sentinel's
        #: ("__done__") does not, so whatever is cut from it names no rule.
        self._name_end = 2 + len(next(iter(compiled.actions), ""))
        assert len({len(name) for name in compiled.actions}) <= 1
        #: The profile facts to assert: (the fact's head, its id up to the label, its fields
        #: and whether a rule tests ``known``), a group of fields each
        #: (compiler.ProfileFactGroup).
        self._groups = tuple((fact_head(group.path), ", " + id_up_to_label(group.type),
                              group.fields)
                             for group in compiled.groups)
        partitions = compiled.partitions or (Partition(compiled.definition,
                                                       tuple(range(len(compiled.groups)))),)
        #: The profile groups each partition reads.
        self._partition_groups = tuple(partition.groups for partition in partitions)
        #: The profile properties some engine rule tests.
        self._tested = compiled.tested_properties
        # Serialised field properties by (field, value): a small, bounded set in practice.
        self._properties: dict[tuple[str, Any], str] = {}
        #: Free state ids for the next evaluations, with the states they name (_Slot).
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._retired = False
        self._deleted = False
        #: The engine's rule sets, one per partition: loaded on the first evaluation
        #: (_load), so that a rule set only read (validated, printed, compared) never costs
        #: the engine's own build (about 4 ms for a bundled rule set).
        self._partitions = partitions
        self._handles: list[int] = []
        #: Whether a state serves several evaluations (EVALUATIONS_PER_STATE): only where the
        #: compiler joined every rule's patterns on the evaluation's label, which keeps the
        #: evaluations apart (a network of one partition; see _run for the others).
        self._keeps_states = compiled.joined_on_evaluation
        #: Networks of some of the rules (narrowed), by the rules asked for: built on first
        #: use, retired and deleted with this one.
        self._narrowed: dict[frozenset[str], Network] = {}
        _NETWORKS.add(self)
        # A network nobody refers to any more (its library was dropped without close())
        # frees its engine rule sets when it is collected.
        self._finalizer = weakref.finalize(self, _delete_network, self._handles, self._idle)

    def _load(self) -> None:
        """Load the partitions into the engine, once."""
        with self._lock:
            if self._handles:
                return
            handles = []
            for number, partition in enumerate(self._partitions):
                name = f"spstotte_{self.ruleset.id}_{next(_network_names)}_{number}"
                try:
                    handles.append(dre.create_ruleset(name, partition.definition))
                except dre.error as exc:  # pragma: no cover - the compiler's guards prevent it
                    for handle in handles:
                        dre.delete_ruleset(handle)
                    raise EngineError(Message.of("errors.engine_rejected",
                                                 ruleset=self.ruleset.id,
                                                 detail=str(exc))) from None
            self._handles.extend(handles)  # the list the finalizer frees

    def _abandon_after_fork(self) -> None:
        self._lock = threading.Lock()
        self._retired = self._deleted = True
        self._finalizer.detach()  # the engine state belongs to the parent's threads

    # -- lifetime ---------------------------------------------------------------------------

    def acquire(self) -> bool:
        """Register an evaluation; ``False`` if the network has been retired."""
        with self._lock:
            if self._retired:
                return False
            self._in_flight += 1
            return True

    def release(self) -> None:
        """End an evaluation registered with :meth:`acquire`."""
        with self._lock:
            self._in_flight -= 1
            if self._retired and self._in_flight == 0:
                self._delete()

    def retire(self) -> None:
        """Stop new evaluations; free the engine's ruleset once the last one has finished."""
        with self._lock:
            self._retired = True
            if self._in_flight == 0:
                self._delete()

    def _delete(self) -> None:
        if not self._deleted:
            self._deleted = True
            self._finalizer()  # the free sids' states and delete_ruleset, once
            for narrowed in self._narrowed.values():
                narrowed.retire()  # none of its evaluations runs: they hold this network

    def narrowed(self, rule_ids: frozenset[str]) -> Network:
        """A network of only these rules and the rules they read, for callers that need no
        other conclusions: a compact record needs the decision's rules, not the trail's
        information and obligations, and without them fewer engine rules fire (a bundled
        rule set's engine part 105 → 59 µs, docs/performance.md). Its conclusions are this
        network's for the same rules. Compiled on first use and kept with this network,
        which retires it with itself: evaluate it only while this network is acquired."""
        found = self._narrowed.get(rule_ids)
        if found is None:
            ruleset = self.ruleset.narrowed_to(rule_ids)
            candidate = Network(ruleset, compile_ruleset(ruleset))
            with self._lock:
                found = self._narrowed.setdefault(rule_ids, candidate)
            if found is not candidate:  # another thread's came first
                candidate.retire()
        return found

    @property
    def retired(self) -> bool:
        """Whether the network accepts no new evaluations."""
        return self._retired

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, facts: Mapping[str, FactValue]) -> Results:
        """Run the facts through the network; return the rules' conclusions."""
        if not self.acquire():
            raise EngineError(Message.of("errors.engine_reloaded"))
        try:
            return self.evaluate_acquired(facts)
        finally:
            self.release()

    def evaluate_acquired(self, facts: Mapping[str, FactValue]) -> Results:
        if not self._handles:
            self._load()
        idle = self._idle
        try:
            slot = idle.pop()  # atomic: no two threads get the same sid
        except IndexError:
            slot = _Slot(*_SIDS.take())
        warm = slot.uses > 0
        try:
            try:
                results = self._evaluate_in(slot, facts)
            except _IdTaken:
                if not warm:
                    raise
                # An id hashed like one of an earlier evaluation's in the state (the engine
                # compares ids by their 32-bit hashes only): decide again in a fresh state,
                # whose ids the compiler checked (_check_identities).
                results = self._evaluate_in(slot, facts)
        except dre.error as exc:
            raise EngineError(Message.of("errors.engine_failed", detail=str(exc))) from None
        except _IdTaken:
            # A fresh state held the id already: a state was left behind under the sid.
            raise EngineError(Message.of("errors.engine_state")) from None
        finally:
            # The slot's states are deleted or serve further evaluations, unless one could not
            # be deleted (it raised above): then the sid is never used again.
            if slot.dead:
                pass
            elif len(idle) < MAX_IDLE_SIDS:
                if slot.uses and any(other.uses for other in idle):
                    # One kept state a network is enough for one caller deciding after
                    # another; many threads would each keep megabytes.
                    slot.delete_states(self._handles)
                idle.append(slot)
            else:
                slot.delete_states(self._handles)
                _SIDS.give_back(slot.digest)
        return results

    def _evaluate_in(self, slot: _Slot, facts: Mapping[str, FactValue]) -> Results:
        """One evaluation in the slot's states; they are deleted if it fails, and after it if
        they have served EVALUATIONS_PER_STATE."""
        handles = self._handles
        global _last_network
        # A state is kept only in a stream of evaluations of this network: when other
        # networks decide in between (an impact analysis alternates two), a kept state has
        # left the processor's caches by its next use, and a fresh one is faster. So after
        # an evaluation that follows another network's, the state is deleted at once, while
        # its memory is warm for the allocator to hand out again (docs/engine.md).
        in_stream = _last_network == id(self)
        _last_network = id(self)
        if slot.uses and not in_stream:
            slot.delete_states(handles)  # threads interleaving networks: rare
        #: Per partition, whether its state exists and whether this evaluation's sentinel
        #: has fired there.
        created = [slot.uses > 0] * len(handles)
        done = [False] * len(handles)
        tail = slot.tail(joined=self._keeps_states)
        try:
            results = self._run(facts, slot.sid, tail, created, done, slot.texts)
        except BaseException:
            slot.dead = True
            for handle, state_created, sentinel_done in zip(handles, created, done,
                                                            strict=True):
                if state_created:
                    if not sentinel_done:
                        _drain(handle, tail, slot.texts)
                    _delete_state(handle, slot.sid)
            slot.uses, slot.texts, slot.dead = 0, [], False
            raise
        if not self._keeps_states:  # its states are deleted already (see _run)
            slot.texts = []
        else:
            slot.uses += 1
            if slot.uses == EVALUATIONS_PER_STATE or not in_stream:
                slot.delete_states(handles)
        return results

    def _run(self, facts: Mapping[str, FactValue], sid: str, tail: str, created: list[bool],
             done: list[bool], texts: list[str]) -> Results:
        """Assert the facts into each partition in turn and run its actions; ``created`` and
        ``done`` record, per partition, whether a state exists and whether this
        evaluation's sentinel fired. Every JSON text given to the engine is appended to
        ``texts``, kept until the state is deleted (see :class:`_Slot`).

        A network in several partitions deletes each partition's state as soon as its
        sentinel has fired (the derived facts later partitions read are kept here as text),
        so that one partition's state at most is alive: each is megabytes for a large rule
        set. Kept for later evaluations, they made every evaluation slower (their memory no
        longer fits the processor's caches, bench_scaling.py); freed all at once, glibc
        handed their memory back to the system and faulted it in again on the next
        evaluation (ten times the time)."""
        conclusions, name_end = self._conclusions, self._name_end
        keep = texts.append
        assert_fact = dre.assert_fact

        complete_and_start_action = dre.complete_and_start_action
        groups = self._groups
        group_facts: dict[int, str | None] = {}
        #: Per partition, the derived facts from earlier partitions it reads.
        waiting: list[list[str]] = [[] for _ in self._handles]
        results: Results = {}
        for number, handle in enumerate(self._handles):
            for group in self._partition_groups[number]:
                if group not in group_facts:
                    group_facts[group] = self._group_fact(groups[group], facts)
                fact = group_facts[group]
                if fact is not None:
                    created[number] = True
                    text = fact + tail
                    keep(text)
                    if assert_fact(handle, text)[0] == _ALREADY_THERE:
                        raise _IdTaken
            for fact in waiting[number]:
                created[number] = True
                if assert_fact(handle, fact)[0] == _ALREADY_THERE:
                    raise _IdTaken
            created[number] = True
            text = _SENTINEL_FACT + tail
            keep(text)
            code, offset = assert_fact(handle, text)
            if code == _ALREADY_THERE:
                raise _IdTaken
            started = dre.start_action_for_state(handle, offset)
            messages = started[1] if started else None
            while messages:
                # Rule names are the compiler's own, of one length ("R12T00"): slicing beats
                # json.loads here.
                conclusion = conclusions.get(messages[2:name_end])
                if conclusion is None:
                    done[number] = True
                else:
                    rule_id, value, derived, read_in = conclusion
                    if rule_id not in results:
                        results[rule_id] = value
                        if derived is not None:
                            fact = derived + tail
                            keep(fact)
                            for reader in read_in:
                                if reader == number:
                                    if assert_fact(handle, fact)[0] == _ALREADY_THERE:
                                        raise _IdTaken
                                else:  # a later partition (rules read only earlier rules)
                                    waiting[reader].append(fact)
                messages = complete_and_start_action(handle, offset)
            if not self._keeps_states and done[number]:
                dre.delete_state(handle, sid)
                created[number] = False
        return results

    def _group_fact(self, group: tuple[str, str, tuple[tuple[str, bool], ...]],
                    facts: Mapping[str, FactValue]) -> str | None:
        """A profile group's fact up to its id's label (see _Slot.tail); None if it has no
        property to assert."""
        properties = self._properties
        head, fact_id, fields = group
        members = []
        for name, tests_known in fields:
            value = facts.get(name)
            if value is None and not tests_known:
                continue  # unknown: no property, so no comparison can match it
            key = (name, value)
            text = properties.get(key)
            if text is None:
                if len(properties) > 4_000:
                    properties.clear()
                text = _field_properties(name, tests_known, value, self._tested)
                properties[key] = text
            if text:
                members.append(text)
        return head + ", ".join(members) + fact_id if members else None


def _delete_network(handles: list[int], idle: list[_Slot]) -> None:
    """Free a network's engine rule sets (no evaluation is running in them: a network is
    deleted only then), with the states of its free sids, and give those sids back."""
    while idle:
        slot = idle.pop()
        slot.delete_states(handles)
        _SIDS.give_back(slot.digest)
    for handle in handles:
        dre.delete_ruleset(handle)


def _delete_state(handle: int, sid: str) -> None:
    """Delete a sid's state; none there is fine (an assert that failed may not have created
    it). A state that is there and stays raises, so that its sid is not used again."""
    try:
        dre.delete_state(handle, sid)
    except dre.error:
        try:
            dre.get_state(handle, sid)
        except dre.error:
            return  # no such state
        raise


def _drain(handle: int, tail: str, texts: list[str]) -> None:
    """Make sure at least one action ran before ``delete_state`` (see module docstring);
    the text given is kept in ``texts`` (see :meth:`Network._run`)."""
    try:
        text = _SENTINEL_FACT + tail
        texts.append(text)
        _, offset = dre.assert_fact(handle, text)
        started = dre.start_action_for_state(handle, offset)
        messages = started[1] if started else None
        while messages:
            messages = dre.complete_and_start_action(handle, offset)
    except dre.error:  # pragma: no cover - only after an earlier engine failure
        pass
