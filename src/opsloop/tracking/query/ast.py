"""The syntax tree of the run-search language.

The parser leaves values already typed for their field, so the SQL compiler and the Python
evaluator never re-parse them: a number compared to a metric is a float; a param or tag compared
to a number is a float (numeric comparison) and to a string a str (text comparison); a time is
epoch milliseconds; a duration is milliseconds; a status is its upper-case name.
Positions point into the query text for error messages and are left out of equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal, TypeAlias

FieldKind: TypeAlias = Literal["metric", "param", "tag", "attribute"]
Aggregate: TypeAlias = Literal["last", "min", "max"]
CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]
Value: TypeAlias = str | int | float

LIKE_OPS: frozenset[str] = frozenset({"LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"})


@dataclass(frozen=True, slots=True)
class Field:
    """What a condition looks at. Metrics have an aggregate ("last" is the latest value);
    other kinds have none. An attribute's key is its canonical name, e.g. "run_id"."""

    kind: FieldKind
    key: str
    aggregate: Aggregate | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    field: Field
    op: CompareOp
    value: Value
    position: int = dataclass_field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class InList:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False
    position: int = dataclass_field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class NullCheck:
    """`IS NULL` (negated False) or `IS NOT NULL` (negated True)."""

    field: Field
    negated: bool = False
    position: int = dataclass_field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


Expr: TypeAlias = Comparison | InList | NullCheck | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: Field
    descending: bool = False
