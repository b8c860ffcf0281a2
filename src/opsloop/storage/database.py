"""The SQL engine: one `Database` per URL, with short read and write transactions.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and a write transaction
starts with `BEGIN IMMEDIATE`: with a deferred BEGIN, two connections that both read and then
write fail at once with SQLITE_BUSY instead of waiting, which loses concurrent writes.
`synchronous=NORMAL` in WAL mode keeps every committed transaction across a process kill.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from opsloop.errors import InvalidInputError

_WRITE_OPTION = "opsloop_write"
SQLITE_BUSY_TIMEOUT_MS = 60_000


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def from_url(cls, url: str) -> Database:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise InvalidInputError(
                f"not a database URL: {url!r}", details={"field": "database_url"}
            ) from exc
        if parsed.get_backend_name() == "sqlite":
            return cls(_sqlite_engine(url, parsed.database))
        if parsed.get_backend_name() == "postgresql":
            return cls(create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True))
        raise InvalidInputError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://",
            details={"field": "database_url"},
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that writes; committed on success, rolled back on any exception."""
        with self.engine.connect().execution_options(**{_WRITE_OPTION: True}) as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
