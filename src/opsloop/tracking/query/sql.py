"""Compiling the query tree to SQLAlchemy Core over `runs` (the outer FROM), for SQLite and
PostgreSQL; `evaluate.py` holds the same semantics in Python.

Conditions on metrics, params and tags are semi-joins (`runs.id IN (SELECT run_id ... WHERE
key = :k AND value > :v)`), which the `(key, value)` / `(key, value_num)` indexes can drive and
which are never NULL, so NOT keeps two-valued logic. Conditions on nullable run columns add
`col IS NOT NULL` for the same reason. Text ordering (`<`, ORDER BY) uses code-point order on
both backends (PostgreSQL's `COLLATE "C"`), as Python does; LIKE is case-sensitive on both
(SQLite's LIKE is not, so there it compiles to GLOB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from sqlalchemy import Boolean, ColumnElement, Float, String, and_, collate, literal, not_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from opsloop.storage.tables import experiments, latest_metrics, params, runs, tags
from opsloop.tracking.query.ast import (
    And,
    CompareOp,
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
from opsloop.tracking.query.attributes import ATTRIBUTES
from opsloop.tracking.query.like import canonical_like, glob_pattern

_METRIC_COLUMNS = {
    "last": latest_metrics.c.value,
    "min": latest_metrics.c.min_value,
    "max": latest_metrics.c.max_value,
}
_ESCAPE = "\\"
_TEXT_ATTRIBUTES = frozenset(
    name for name, (kind, _) in ATTRIBUTES.items() if kind in ("text", "status", "stage")
)


def compile_filter(expr: Expr) -> ColumnElement[bool]:
    """A WHERE condition on `runs` that holds exactly for the runs `evaluate.matches` accepts."""
    if isinstance(expr, Comparison):
        return _on_field(expr.field, lambda column: _compare(column, expr.op, expr.value), expr.value)
    if isinstance(expr, InList):
        values = [_bind(value) for value in expr.values]
        if expr.negated:
            return _on_field(expr.field, lambda column: column.not_in(values), expr.values[0])
        return _on_field(expr.field, lambda column: column.in_(values), expr.values[0])
    if isinstance(expr, NullCheck):
        present = _present(expr.field)
        return present if expr.negated else not_(present)
    if isinstance(expr, And):
        return and_(*(compile_filter(item) for item in expr.items))
    if isinstance(expr, Or):
        return or_(*(compile_filter(item) for item in expr.items))
    if isinstance(expr, Not):
        return not_(compile_filter(expr.item))
    raise TypeError(f"not a query expression: {expr!r}")


def order_expression(key: OrderKey) -> ColumnElement[Any]:
    """The scalar a run sorts by under `key`, NULL when missing; the store adds NULLS LAST,
    the direction and the keyset condition. Params and tags sort as text."""
    field = key.field
    if field.kind == "metric":
        return (
            select(_METRIC_COLUMNS[field.aggregate or "last"])
            .where(latest_metrics.c.run_id == runs.c.id, latest_metrics.c.key == field.key)
            .correlate(runs)
            .scalar_subquery()
        )
    if field.kind in ("param", "tag"):
        table = params if field.kind == "param" else tags
        value = select(table.c.value).where(table.c.run_id == runs.c.id, table.c.key == field.key)
        return code_point_order(value.correlate(runs).scalar_subquery())
    if field.key == "experiment":
        name = select(experiments.c.name).where(experiments.c.id == runs.c.experiment_id)
        return code_point_order(name.correlate(runs).scalar_subquery())
    column = _attribute_column(field.key)
    return code_point_order(column) if field.key in _TEXT_ATTRIBUTES else column


# --- portable constructs --------------------------------------------------------------------------
class code_point_order(FunctionElement[str]):
    """Text compared and sorted by code point: `x COLLATE "C"` on PostgreSQL (whose default
    collation may follow a locale); SQLite's default BINARY collation already does it."""

    type = String()
    inherit_cache = True
    name = "code_point_order"


@compiles(code_point_order)
def _code_point_order_default(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


@compiles(code_point_order, "postgresql")
def _code_point_order_postgresql(element: code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(collate(column, "C"), **kw)


class case_sensitive_like(FunctionElement[bool]):
    """`x LIKE pattern ESCAPE '\\'`, case-sensitive everywhere: SQLite's LIKE ignores ASCII
    case, so there the equivalent GLOB pattern is used. Arguments: x, LIKE pattern, GLOB pattern."""

    type = Boolean()
    inherit_cache = True
    name = "case_sensitive_like"


@compiles(case_sensitive_like)
def _like_default(element: case_sensitive_like, compiler: SQLCompiler, **kw: Any) -> str:
    column, pattern, _ = element.clauses
    return "(" + compiler.process(column.like(pattern, escape=_ESCAPE), **kw) + ")"


@compiles(case_sensitive_like, "sqlite")
def _like_sqlite(element: case_sensitive_like, compiler: SQLCompiler, **kw: Any) -> str:
    column, _, pattern = element.clauses
    return f"({compiler.process(column, **kw)} GLOB {compiler.process(pattern, **kw)})"


# --- pieces ---------------------------------------------------------------------------------------
_Condition: TypeAlias = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def _on_field(field: Field, condition: _Condition, value: Value) -> ColumnElement[bool]:
    """`condition(column)` for the field's column, as a semi-join for keyed fields. `value` (a
    sample literal) picks a param's or tag's numeric column over its text."""
    if field.kind == "metric":
        column = _METRIC_COLUMNS[field.aggregate or "last"]
        return runs.c.id.in_(
            select(latest_metrics.c.run_id).where(latest_metrics.c.key == field.key, condition(column))
        )
    if field.kind in ("param", "tag"):
        table = params if field.kind == "param" else tags
        column = table.c.value if isinstance(value, str) else table.c.value_num
        return runs.c.id.in_(select(table.c.run_id).where(table.c.key == field.key, condition(column)))
    if field.key == "experiment":
        return runs.c.experiment_id.in_(select(experiments.c.id).where(condition(experiments.c.name)))
    result: ColumnElement[bool] = condition(_attribute_column(field.key))
    if field.key == "duration":
        return and_(runs.c.end_time.is_not(None), result)
    if ATTRIBUTES[field.key][1]:
        return and_(_attribute_column(field.key).is_not(None), result)
    return result


def _bind(value: Value) -> object:
    """A literal; a float is bound as a float even against an integer column (PostgreSQL would
    otherwise cast 1.5 to the column's BIGINT)."""
    return literal(value, Float()) if isinstance(value, float) else value


def _compare(column: ColumnElement[Any], op: CompareOp, raw: Value) -> ColumnElement[bool]:
    value = _bind(raw)
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op in ("LIKE", "NOT LIKE"):
        like = case_sensitive_like(column, canonical_like(str(raw)), glob_pattern(str(raw)))
        return like if op == "LIKE" else not_(like)
    if op == "ILIKE":
        return column.ilike(canonical_like(str(raw)), escape=_ESCAPE)
    if op == "NOT ILIKE":
        return column.not_ilike(canonical_like(str(raw)), escape=_ESCAPE)
    left = code_point_order(column) if isinstance(raw, str) else column
    if op == "<":
        return left < value
    if op == "<=":
        return left <= value
    if op == ">":
        return left > value
    return left >= value


def _present(field: Field) -> ColumnElement[bool]:
    if field.kind == "metric":
        return runs.c.id.in_(select(latest_metrics.c.run_id).where(latest_metrics.c.key == field.key))
    if field.kind in ("param", "tag"):
        table = params if field.kind == "param" else tags
        return runs.c.id.in_(select(table.c.run_id).where(table.c.key == field.key))
    if field.key == "duration":
        return runs.c.end_time.is_not(None)
    if field.key == "experiment":
        return runs.c.experiment_id.is_not(None)
    return _attribute_column(field.key).is_not(None)


def _attribute_column(name: str) -> ColumnElement[Any]:
    if name == "duration":
        return runs.c.end_time - runs.c.start_time
    return runs.c.id if name == "run_id" else runs.c[name]
