"""Run search in SQL: the filter is compiled to SQL (no filtering in Python), ordered with NULLs
last, and paginated with a keyset cursor, so page N costs the same as page 1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select

from opsloop.errors import InvalidInputError
from opsloop.storage import tables as t
from opsloop.tracking.cursor import decode_cursor, encode_cursor, query_fingerprint
from opsloop.tracking.entities import LifecycleStage, RunPage
from opsloop.tracking.query import compile_filter, order_expression, parse_filter, parse_order_by
from opsloop.tracking.search_defaults import normalized_order_by, validate_max_results
from opsloop.tracking.sql_rows import load_runs


def search_runs(
    conn: Connection,
    *,
    workspace: str,
    experiment_ids: Sequence[str] | None,
    filter_text: str | None,
    order_by: Sequence[str] | None,
    max_results: int,
    cursor: str | None,
    include_archived: bool,
) -> RunPage:
    validate_max_results(max_results)
    order_items = normalized_order_by(order_by)
    expression = parse_filter(filter_text)
    order_keys = parse_order_by(order_items)
    order_columns = [order_expression(key) for key in order_keys]

    conditions: list[ColumnElement[bool]] = [t.runs.c.workspace == workspace]
    if experiment_ids is not None:
        conditions.append(t.runs.c.experiment_id.in_(list(experiment_ids)))
    if not include_archived:
        conditions.append(t.runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
        active_experiments = select(t.experiments.c.id).where(
            t.experiments.c.lifecycle_stage == LifecycleStage.ACTIVE.value
        )
        conditions.append(t.runs.c.experiment_id.in_(active_experiments))
    if expression is not None:
        conditions.append(compile_filter(expression))

    fingerprint = query_fingerprint(
        workspace, sorted(experiment_ids or []), filter_text, order_items, include_archived
    )
    if cursor:
        position = decode_cursor(cursor, fingerprint)
        if len(position.values) != len(order_columns):
            raise InvalidInputError("cursor does not match the order", details={"field": "cursor"})
        conditions.append(
            _after(order_columns, [key.descending for key in order_keys], position.values, position.last_id)
        )

    # Order by the selected labels, so each sort key's subquery runs once per row, not twice.
    labelled = [column.label(f"k{index}") for index, column in enumerate(order_columns)]
    ordering: list[Any] = [
        (label.desc() if key.descending else label.asc()).nulls_last()
        for label, key in zip(labelled, order_keys, strict=True)
    ]
    ordering.append(t.runs.c.id.asc())
    query = select(t.runs.c.id, *labelled).where(and_(*conditions)).order_by(*ordering).limit(max_results + 1)
    rows = conn.execute(query).all()
    page, more = rows[:max_results], len(rows) > max_results
    next_cursor = None
    if more and page:
        last = page[-1]
        next_cursor = encode_cursor(
            [last[index + 1] for index in range(len(order_columns))], last[0], fingerprint
        )
    return RunPage(runs=load_runs(conn, [row[0] for row in page]), next_cursor=next_cursor)


def _after(
    columns: Sequence[ColumnElement[Any]], descending: Sequence[bool], values: Sequence[Any], last_id: str
) -> ColumnElement[bool]:
    """Rows strictly after (values, last_id) in the order (each column NULLS LAST, then id ASC)."""
    alternatives: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for column, is_descending, value in zip(columns, descending, values, strict=True):
        if value is None:
            beyond: ColumnElement[bool] = false()  # nothing sorts after NULL within this key
            equal: ColumnElement[bool] = column.is_(None)
        else:
            beyond = or_(column < value if is_descending else column > value, column.is_(None))
            equal = column == value
        alternatives.append(and_(*equal_so_far, beyond))
        equal_so_far.append(equal)
    alternatives.append(and_(*equal_so_far, t.runs.c.id > last_id))
    return or_(*alternatives)
