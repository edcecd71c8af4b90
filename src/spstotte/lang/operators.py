"""The operators of the rule language, one table entry each.

Every stage that knows about operators reads this table: the parser (which facts an operator
fits, what operand it takes), the compiler (how the engine tests it), the reference interpreter
and the verdict builder (what it means in Python), the satisfiability check, the describer (its
words, kept in ``texts.yaml``) and the JSON schema. Adding an operator is one entry here and
its words in ``texts.yaml``; ``tests/test_operators.py`` fails, naming the operator, where a
stage does not cover it.

>>> OPERATORS[Op.LT].negation
<Op.GTE: 'gte'>
>>> OPERATORS[Op.CONTAINS].meaning(frozenset({"crime"}), "crime")
True
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Final

from ..facts import FactKind


class Op(StrEnum):
    """Comparison operators (a closed set: there is no expression language and no eval)."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    CONTAINS_ANY = "contains_any"
    CONTAINS_ALL = "contains_all"
    KNOWN = "known"


class Operand(Enum):
    """What a comparison gives after the operator."""

    SCALAR = "scalar"  # one value of the fact: {fact: age, gte: 18}
    LIST = "list"      # a non-empty list of values: {fact: age, in: [18, 19]}
    FLAG = "flag"      # true or false: {fact: age, known: true}


class Encoding(Enum):
    """How the compiler tests an operator in the engine (``compiler._ENCODERS``). Each shape
    has a true and a false form, because every rule is compiled for both (docs/engine.md)."""

    KNOWN = "known"              # the field's "known" property: {"k": 1}, false {"k": 0}
    EQUALS = "equals"            # the value is one of the operands: {"v": x} or ...;
                                 # false: {"$neq": {"v": x}} and ...
    DIFFERS = "differs"          # the value is none of the operands: EQUALS, true and false
                                 # swapped
    ORDER = "order"              # one range test on the value (its rank on a scale):
                                 # {"$lt": {"v": x}}; false: the negation's range test
    ANY_MEMBER = "any_member"    # a list holds some operand: {"m": 1} or ...; false: all 0
    ALL_MEMBERS = "all_members"  # a list holds every operand: {"m": 1} and ...; false: some 0


@dataclass(frozen=True)
class Operator:
    """One operator of the rule language: everything every stage needs to know about it."""

    op: Op
    #: The kinds of fact it may compare.
    kinds: frozenset[FactKind]
    operand: Operand
    #: What it means in Python, on the fact's value and the operand. On an unknown value
    #: (``None``) only where ``reads_unknown``: any other comparison with an unknown fact is
    #: unknown, and the readers say so before they ask the meaning.
    meaning: Callable[[Any, Any], bool]
    #: The operator that means "not this" on a known value, if there is one (``not_in`` for
    #: ``in``). An unknown value is neither: ``not`` of unknown stays unknown.
    negation: Op | None
    encoding: Encoding
    #: The key of its verb in the text catalogue (``texts.yaml``).
    words: str
    #: The verb when a true/false operand is false (``known: false``).
    words_false: str | None = None
    #: It compares positions on a scale: an ordinal fact by its rank (a value without a rank,
    #: a support need that is ``not_assessed``, cannot be compared).
    ordered: bool = False
    #: Its meaning is defined on an unknown value too (``known``).
    reads_unknown: bool = False
    #: The engine's operator (``Encoding.ORDER``).
    engine: str | None = None


_SCALARS: Final = frozenset({FactKind.BOOL, FactKind.INT, FactKind.ORDINAL, FactKind.ENUM,
                             FactKind.MUNICIPALITY})
_CHOICES: Final = frozenset({FactKind.INT, FactKind.ORDINAL, FactKind.ENUM,
                             FactKind.MUNICIPALITY})
_RANGES: Final = frozenset({FactKind.INT, FactKind.ORDINAL})
_LISTS: Final = frozenset({FactKind.SET})


def _words(op: Op) -> str:
    return f"conditions.operators.{op.value}"


def _order(op: Op, meaning: Callable[[Any, Any], bool], negation: Op) -> Operator:
    return Operator(op, _RANGES, Operand.SCALAR, meaning, negation, Encoding.ORDER, _words(op),
                    ordered=True, engine=f"${op.value}")


#: The operators, one entry each (``OPERATORS`` finds them by ``Op``).
TABLE: Final[tuple[Operator, ...]] = (
    Operator(Op.EQ, _SCALARS, Operand.SCALAR, operator.eq, Op.NE, Encoding.EQUALS,
             _words(Op.EQ)),
    Operator(Op.NE, _SCALARS, Operand.SCALAR, operator.ne, Op.EQ, Encoding.DIFFERS,
             _words(Op.NE)),
    _order(Op.LT, operator.lt, Op.GTE),
    _order(Op.LTE, operator.le, Op.GT),
    _order(Op.GT, operator.gt, Op.LTE),
    _order(Op.GTE, operator.ge, Op.LT),
    Operator(Op.IN, _CHOICES, Operand.LIST, lambda value, operands: value in operands,
             Op.NOT_IN, Encoding.EQUALS, _words(Op.IN)),
    Operator(Op.NOT_IN, _CHOICES, Operand.LIST, lambda value, operands: value not in operands,
             Op.IN, Encoding.DIFFERS, _words(Op.NOT_IN)),
    # 'not contains x' has no operator of its own: the describer words it "it is not the case
    # that ...", and the compiler tests the member's absence.
    Operator(Op.CONTAINS, _LISTS, Operand.SCALAR, operator.contains, None, Encoding.ANY_MEMBER,
             _words(Op.CONTAINS)),
    Operator(Op.CONTAINS_ANY, _LISTS, Operand.LIST,
             lambda value, operands: not value.isdisjoint(operands), None, Encoding.ANY_MEMBER,
             _words(Op.CONTAINS_ANY)),
    Operator(Op.CONTAINS_ALL, _LISTS, Operand.LIST,
             lambda value, operands: value.issuperset(operands), None, Encoding.ALL_MEMBERS,
             _words(Op.CONTAINS_ALL)),
    # 'known: false' is the negation of 'known: true': the operand, not the operator, turns.
    Operator(Op.KNOWN, _SCALARS | _LISTS, Operand.FLAG,
             lambda value, known: (value is not None) == known, None, Encoding.KNOWN,
             _words(Op.KNOWN), words_false="conditions.operators.not_known",
             reads_unknown=True),
)

OPERATORS: Final[dict[Op, Operator]] = {entry.op: entry for entry in TABLE}

#: Which operators each kind of fact allows.
ALLOWED_OPS: Final[dict[FactKind, frozenset[Op]]] = {
    kind: frozenset(entry.op for entry in TABLE if kind in entry.kinds) for kind in FactKind}
