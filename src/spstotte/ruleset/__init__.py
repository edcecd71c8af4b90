"""Rule sets: the law layer and one municipality's service level, as one resolved rule set
(stage 3, resolve).

Takes rule files (read by :mod:`spstotte.loader`, parsed with :mod:`spstotte.lang`): the law
layer's and one municipality's. Gives a frozen :class:`~.resolve.ResolvedRuleSet`: one flat
list of rules in dependency order, each condition of a known kind (statute, service level or
the caseworker's assessment), every citation spelled out, and a content hash
(:mod:`.fingerprint`) that names this exact rule set in every decision record.

* :mod:`.resolve`: the steps of resolution, one module each (docs/architecture.md);
* :mod:`.statutes`: the statute catalogue, the acts and provisions rules may cite
  (``statutes.yaml``);
* :mod:`.sources`: the source texts, and every verbatim quote checked against them;
* :mod:`.fingerprint`: what "the same rules" means, for the hash and for the diff;
* :mod:`.diagnose`: a model's validation errors on loaded YAML, as diagnostics with positions.

Invariants: a municipal rule can neither narrow nor widen a statutory target group; every
citation exists in the statute catalogue; a municipality cites only its own texts; all problems
of all files are collected and raised together as one :class:`~spstotte.errors.RuleSetError`.
A rule set imports the rule language, never a later stage.
"""
