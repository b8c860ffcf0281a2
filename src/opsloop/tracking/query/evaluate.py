"""The query semantics in Python, for the in-memory store; `sql.py` must agree with it exactly
(a differential test checks that against SQLite).

Two-valued logic: a comparison on a value the run does not have is false, so `NOT` of it is
true. A metric whose latest value is NaN has the metric (IS NOT NULL holds) but every comparison
on that value is false, as SQL NULL would make it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from opsloop.core.floats import as_number
from opsloop.tracking.entities import Run
from opsloop.tracking.query.ast import And, Comparison, Expr, Field, InList, Not, Or, OrderKey
from opsloop.tracking.query.like import like_regex

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_ATTRIBUTES: dict[str, Callable[[Run, str], object | None]] = {
    "run_id": lambda run, _: run.info.id,
    "name": lambda run, _: run.info.name,
    "status": lambda run, _: str(run.info.status.value),
    "start_time": lambda run, _: run.info.start_time,
    "end_time": lambda run, _: run.info.end_time,
    "duration": lambda run, _: run.info.duration_ms,
    "user": lambda run, _: run.info.user,
    "experiment": lambda _, experiment_name: experiment_name,
    "experiment_id": lambda run, _: run.info.experiment_id,
    "parent_run_id": lambda run, _: run.info.parent_run_id,
    "git_commit": lambda run, _: run.info.git_commit,
    "source": lambda run, _: run.info.source,
    "lifecycle_stage": lambda run, _: str(run.info.lifecycle_stage.value),
}


def matches(expr: Expr | None, run: Run, experiment_name: str) -> bool:
    """Whether `run` (in the experiment called `experiment_name`) satisfies the filter."""
    return expr is None or _holds(expr, run, experiment_name)


def order_value(key: OrderKey, run: Run, experiment_name: str) -> object | None:
    """The value `run` sorts by under `key`; None when missing (sorted last by the store).
    Params and tags sort as text, as in SQL."""
    return _subject(key.field, run, experiment_name, numeric=False)


def _holds(expr: Expr, run: Run, experiment_name: str) -> bool:
    if isinstance(expr, Comparison):
        return _compare(expr, run, experiment_name)
    if isinstance(expr, And):
        return all(_holds(item, run, experiment_name) for item in expr.items)
    if isinstance(expr, Or):
        return any(_holds(item, run, experiment_name) for item in expr.items)
    if isinstance(expr, Not):
        return not _holds(expr.item, run, experiment_name)
    if isinstance(expr, InList):
        numeric = not isinstance(expr.values[0], str)
        subject = _subject(expr.field, run, experiment_name, numeric=numeric)
        return subject is not None and (subject in expr.values) != expr.negated
    return _present(expr.field, run, experiment_name) == expr.negated


def _compare(comparison: Comparison, run: Run, experiment_name: str) -> bool:
    value = comparison.value
    op = comparison.op
    subject = _subject(comparison.field, run, experiment_name, numeric=not isinstance(value, str))
    if subject is None:
        return False
    compare = _OPERATORS.get(op)
    if compare is not None:
        return bool(compare(subject, value))
    pattern = like_regex(str(value), case_insensitive="ILIKE" in op)
    return (pattern.fullmatch(str(subject)) is not None) != op.startswith("NOT")


def _subject(field: Field, run: Run, experiment_name: str, *, numeric: bool) -> object | None:
    """The run's value for `field`: None when missing or NaN; a param or tag as a number when
    `numeric` (None if it is not one), else as text."""
    if field.kind == "metric":
        summary = run.metrics.get(field.key)
        if summary is None:
            return None
        aggregate = field.aggregate
        number = summary.min if aggregate == "min" else summary.max if aggregate == "max" else summary.value
        return None if number is None or math.isnan(number) else number
    if field.kind == "attribute":
        return _ATTRIBUTES[field.key](run, experiment_name)
    text = (run.params if field.kind == "param" else run.tags).get(field.key)
    if text is None or not numeric:
        return text
    return as_number(text)


def _present(field: Field, run: Run, experiment_name: str) -> bool:
    if field.kind == "metric":
        return field.key in run.metrics
    if field.kind == "param":
        return field.key in run.params
    if field.kind == "tag":
        return field.key in run.tags
    return _ATTRIBUTES[field.key](run, experiment_name) is not None
