"""The engine: a resolved rule set compiled to a durable_rules network (stage 4, compile), and a
citizen's facts run through it (stage 5, evaluate).

Takes a :class:`~spstotte.ruleset.resolve.ResolvedRuleSet` and, for each evaluation, the facts
of one profile (:mod:`spstotte.facts`). Gives frozen :class:`~.compiler.CompiledRules`
(durable_rules JSON and an action table, built once per rule set) and, per evaluation, each
rule's conclusion (:data:`~.reference.Results`: rule id to value; an undetermined rule is
absent).

* :mod:`.compiler` (4): three-valued logic as a network that only knows "matches";
* :mod:`.network` (5): drives the C module ``durable_rules_engine`` safely (docs/engine.md);
* :mod:`.reference`: the reference interpreter, the same results in plain Python, the oracle
  of the differential tests;
* :mod:`.lint`: warnings about valid rule sets, found with the compiler's reading of conditions.

Invariants: only whitelisted operators reach the engine; a rule set the engine cannot build
safely is refused (E301/E302) instead of hanging the process; the network and the reference
interpreter conclude the same. The engine imports the rule language and rule sets, never the
verdict, documents, scenarios or the command line.
"""

from .network import MAX_IDLE_SIDS, Network

__all__ = ["MAX_IDLE_SIDS", "Network"]
