"""Portable INSERT ... ON CONFLICT for the two dialects opsloop supports (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

ConflictUpdate = Callable[[Any, Table], Mapping[str, ColumnElement[Any] | Any]]


def _insert(conn: Connection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignoring_conflicts(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(), list(rows))


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict_columns: Sequence[str],
    update: ConflictUpdate,
) -> None:
    """Insert rows; on a key conflict set the columns that `update(excluded, table)` returns."""
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table, tuple(conflict_columns), update), list(rows))


@functools.cache
def _upsert_statement(
    dialect: str, table: Table, conflict_columns: tuple[str, ...], update: ConflictUpdate
) -> Any:
    # Built once per dialect and table: constructing the ON CONFLICT clause (CASE expressions
    # and all) costs more than executing it, and the statement itself never changes.
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=dict(update(statement.excluded, table))
    )
