"""Query trees back to text that parses to the same tree (for logs, cursors and tests)."""

from __future__ import annotations

import math
import re

from opsloop.tracking.query.ast import (
    And,
    Comparison,
    Expr,
    Field,
    InList,
    Not,
    NullCheck,
    Or,
    OrderKey,
    Value,
)

_PLAIN_KEY = re.compile(r"[\w\-/:]+")
_PREFIXES = {"metric": "metrics", "param": "params", "tag": "tags"}


def render_filter(expr: Expr) -> str:
    if isinstance(expr, Comparison):
        return f"{render_field(expr.field)} {expr.op} {_value(expr.value)}"
    if isinstance(expr, InList):
        keyword = "NOT IN" if expr.negated else "IN"
        return f"{render_field(expr.field)} {keyword} ({', '.join(_value(v) for v in expr.values)})"
    if isinstance(expr, NullCheck):
        return f"{render_field(expr.field)} IS {'NOT NULL' if expr.negated else 'NULL'}"
    if isinstance(expr, Not):
        return f"NOT {_grouped(expr.item)}"
    joiner = " AND " if isinstance(expr, And) else " OR "
    return joiner.join(_grouped(item) for item in expr.items)


def render_order_key(key: OrderKey) -> str:
    return f"{render_field(key.field)} {'DESC' if key.descending else 'ASC'}"


def render_field(field: Field) -> str:
    if field.kind == "attribute":
        return field.key
    key = field.key if _PLAIN_KEY.fullmatch(field.key) else "`" + field.key.replace("`", "``") + "`"
    text = f"{_PREFIXES[field.kind]}.{key}"
    return text if field.aggregate in (None, "last") else f"{text}.{field.aggregate}"


def _grouped(expr: Expr) -> str:
    text = render_filter(expr)
    return f"({text})" if isinstance(expr, And | Or) else text


def _value(value: Value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, float) and math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    return repr(value)
