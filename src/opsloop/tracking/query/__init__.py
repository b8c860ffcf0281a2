"""The run-search query language: filters such as
`metrics.auc > 0.9 AND (params.model = 'rf' OR tags.team ILIKE 'ml%')` and order-by keys such
as ``metrics.`val loss`.min DESC``.

`parse_filter` / `parse_order_by` turn text into a typed tree (raising `QuerySyntaxError` with
a position); `compile_filter` / `order_expression` turn the tree into SQLAlchemy Core over
`runs`; `matches` / `order_value` apply the same semantics to in-memory `Run`s.
"""

from opsloop.tracking.query.ast import (
    Aggregate,
    And,
    CompareOp,
    Comparison,
    Expr,
    Field,
    FieldKind,
    InList,
    Not,
    NullCheck,
    Or,
    OrderKey,
    Value,
)
from opsloop.tracking.query.evaluate import matches, order_value
from opsloop.tracking.query.parser import parse_filter, parse_order_by
from opsloop.tracking.query.render import render_field, render_filter, render_order_key
from opsloop.tracking.query.sql import compile_filter, order_expression

__all__ = [
    "Aggregate",
    "And",
    "CompareOp",
    "Comparison",
    "Expr",
    "Field",
    "FieldKind",
    "InList",
    "Not",
    "NullCheck",
    "Or",
    "OrderKey",
    "Value",
    "compile_filter",
    "matches",
    "order_expression",
    "order_value",
    "parse_filter",
    "parse_order_by",
    "render_field",
    "render_filter",
    "render_order_key",
]
