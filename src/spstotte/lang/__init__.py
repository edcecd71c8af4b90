"""The rule language: what a rule file may say, and what its conditions mean (stage 2, parse).

Takes the data of one rule file as :mod:`spstotte.loader` read it, with the position of every
key and value. Gives frozen models: the file's parts as pydantic models (:mod:`.ruleformat`),
and each rule's condition as a closed tree of five kinds of node with its conclusion
(:mod:`.conditions`), every node with its position. Every problem is a
:class:`~spstotte.errors.Diagnostic` with file:line:col; nothing is raised half-way.

* :mod:`.ruleformat` (2a): the rule-file format; unknown keys are errors;
* :mod:`.conditions` (2b): condition trees and conclusions, their parser, the visitor every
  reader of a whole tree subclasses, and :func:`~.conditions.holds`, their three-valued truth;
* :mod:`.operators`: the operator table, one entry per operator, which every stage reads;
* :mod:`.satisfiable`: whether engine tests on one fact can ever hold together (the compiler
  drops what cannot, the lint warns about it);
* :mod:`.describe`: conditions and legal references in words, in Danish and English, for the
  verdict's texts, letters, rulebooks and diffs.

Invariants: logic is three-valued (Kleene), so a missing fact is unknown, never false; only the
operators of the table exist; the language knows no rule set, engine, verdict or document, and
imports no other stage (``tests/test_package.py``).
"""
