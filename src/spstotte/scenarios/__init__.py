"""Legal test scenarios: cases written the way a caseworker would describe them, each with what
the law says the verdict must be.

Takes scenario files (``*.scenarios.yaml``) and a :class:`~spstotte.RuleLibrary`. Gives a
result per scenario (its frozen :class:`~spstotte.verdict.Verdict` and every expectation it
missed, with the scenario's file:line) and the rule coverage of a run.

* :mod:`.format`: the scenario file format, reading it with positions, and checking a verdict
  against a scenario's expectations;
* :mod:`.runner`: ``spstotte test``, with JUnit XML and rule coverage;
* :mod:`.coverage`: which rules the scenarios fired, and which outcomes each reached;
* :mod:`.pytest_plugin`: the pytest plugin (entry point ``spstotte``) that collects the files.

Invariants: a scenario checks only what it states; a malformed file is an error with its
position, never a silently skipped case. Scenarios import every stage they check, never the
command line.
"""
