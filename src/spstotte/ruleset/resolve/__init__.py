"""Stage 3, resolve: the law layer plus one municipality's service level, as one flat rule set.

Resolution validates every file, merges the law layer's files, applies the municipality's
parameters, rules and explicit overrides, substitutes parameters into conditions, generates one
grant rule per offered path, orders the rules so that every rule comes after the rules it reads,
and computes a content hash that identifies this exact rule set in every decision record.
All problems of all files are collected and raised together as one :class:`RuleSetError`.

The steps, one module each, in the order :mod:`.pipeline` runs them:

* :mod:`.parse`: one file validated, its conditions parsed;
* :mod:`.merge`: the law layer and the municipality combined (overrides, restatements, the kind
  of every condition; a service level can neither narrow nor widen the statute);
* :mod:`.parameters`: parameters checked and substituted into conditions;
* :mod:`.citations`: every legal basis checked against the statute catalogue and the sources;
* :mod:`.paths`: the offered paths, pruning, and the generated grant rules;
* :mod:`.order`: references between rules checked, rules put in dependency order.

:mod:`.model` holds what comes out; :mod:`.state` what one resolution gathers on the way.
"""

from .model import Citation, Layer, Override, ResolvedParameter, ResolvedRule, ResolvedRuleSet
from .parameters import _PARAM_KIND
from .pipeline import resolve_loaded

__all__ = [
    "_PARAM_KIND",
    "Citation",
    "Layer",
    "Override",
    "ResolvedParameter",
    "ResolvedRule",
    "ResolvedRuleSet",
    "resolve_loaded",
]
