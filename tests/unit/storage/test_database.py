"""The SQLite side of `Database`: pragmas, BEGIN IMMEDIATE for writes (concurrent writers wait
for each other instead of failing), and durability of committed transactions across SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from opsloop.errors import InvalidInputError
from opsloop.storage import tables as t
from opsloop.storage.database import SQLITE_BUSY_TIMEOUT_MS, Database
from opsloop.storage.migrations import upgrade
from opsloop.tracking.metric_chunks import read_points
from opsloop.tracking.sql_store import SqlTrackingStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "opsloop.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    database = Database.from_url(f"sqlite:///{db_path.as_posix()}")
    yield database
    database.dispose()


def pragma(conn: Connection, name: str) -> object:
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_pragmas_on_every_connection(database: Database) -> None:
    expected = {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
    }
    with database.read() as reader, database.write() as writer:  # two pooled connections at once
        for conn in (reader, writer):
            assert {name: pragma(conn, name) for name in expected} == expected


def test_foreign_keys_are_enforced(database: Database) -> None:
    t.metadata.create_all(database.engine)
    with pytest.raises(IntegrityError), database.write() as conn:
        conn.execute(t.params.insert().values(run_id="0" * 32, key="k", value="v", value_num=None))


def test_the_parent_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "opsloop.db"
    database = Database.from_url(f"sqlite:///{path.as_posix()}")
    try:
        with database.write() as conn:
            conn.exec_driver_sql("CREATE TABLE x (id INTEGER)")
    finally:
        database.dispose()
    assert path.is_file()


@pytest.mark.parametrize("url", ["not a url", "mysql://localhost/x", "oracle://scott@db/x"])
def test_unsupported_urls_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInputError):
        Database.from_url(url)


def _try_to_take_the_write_lock(db_path: Path) -> bool:
    """Whether a separate connection that does not wait can start a write transaction now."""
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


def test_a_write_transaction_takes_the_write_lock_at_begin(database: Database, db_path: Path) -> None:
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE x (id INTEGER)")
    with database.read():
        assert _try_to_take_the_write_lock(db_path)  # a reader does not block writers
    with database.write():
        assert not _try_to_take_the_write_lock(db_path)  # no statement yet, and the lock is held
    assert _try_to_take_the_write_lock(db_path)


def _read_modify_write(database: Database, threads: int = 4, rounds: int = 25) -> tuple[int, list[str]]:
    """Threads that each read a counter and write it back plus one, in one transaction: the
    pattern where a deferred BEGIN fails at once with SQLITE_BUSY instead of waiting."""
    with database.write() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"
        )
        conn.exec_driver_sql("INSERT OR IGNORE INTO counter VALUES (1, 0)")
    errors: list[str] = []

    def work() -> None:
        for _ in range(rounds):
            try:
                with database.write() as conn:
                    count = conn.exec_driver_sql("SELECT n FROM counter WHERE id = 1").scalar_one()
                    time.sleep(0.001)  # let the other threads in between the read and the write
                    conn.exec_driver_sql(f"UPDATE counter SET n = {count + 1} WHERE id = 1")
            except OperationalError as error:
                errors.append(str(error.orig))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with database.read() as conn:
        return conn.exec_driver_sql("SELECT n FROM counter").scalar_one(), errors


def test_concurrent_writers_wait_for_each_other(database: Database) -> None:
    final, errors = _read_modify_write(database)
    assert errors == []
    assert final == 100


def test_control_a_deferred_begin_would_fail_the_same_workload(db_path: Path) -> None:
    """Shows the test above can fail: the same workload with SQLite's default deferred BEGIN."""
    engine = create_engine(
        f"sqlite:///{db_path.as_posix()}", connect_args={"timeout": 5, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    deferred = Database(engine)
    try:
        final, errors = _read_modify_write(deferred)
    finally:
        deferred.dispose()
    assert errors and all("locked" in error for error in errors)
    assert final < 100


def test_a_writer_waits_out_a_long_transaction(db_path: Path, database: Database) -> None:
    with database.write() as conn:
        conn.exec_driver_sql("CREATE TABLE x (id INTEGER)")
    holding = threading.Event()

    def hold_the_lock() -> None:
        with database.write() as conn:
            conn.exec_driver_sql("INSERT INTO x VALUES (1)")
            holding.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert holding.wait(10)
    other = Database.from_url(f"sqlite:///{db_path.as_posix()}")  # another engine, as another process has
    try:
        started = time.monotonic()
        with other.write() as conn:
            conn.exec_driver_sql("INSERT INTO x VALUES (2)")
        waited = time.monotonic() - started
    finally:
        other.dispose()
        holder.join()
    assert waited >= 0.2
    with database.read() as conn:
        assert sorted(conn.exec_driver_sql("SELECT id FROM x").scalars()) == [1, 2]


BATCH = 100
_WRITER = """
import sys
from opsloop.tracking.entities import Metric
from opsloop.tracking.sql_store import SqlTrackingStore

store = SqlTrackingStore.from_uri(sys.argv[1], sys.argv[2])
run_id, batch = sys.argv[3], int(sys.argv[4])
for index in range(1_000_000):
    steps = range(index * batch, (index + 1) * batch)
    points = [Metric("m", float(step), step, 1_700_000_000_000) for step in steps]
    store.log_batch(run_id, metrics=points)
    print(f"committed {index + 1}", flush=True)
"""


def test_a_killed_writer_loses_nothing_it_committed(db_path: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{db_path.as_posix()}"
    store = SqlTrackingStore.from_uri(url, str(tmp_path / "artifacts"))
    upgrade(store.database)
    run = store.create_run(store.create_experiment("durable").id)
    store.close()

    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, str(tmp_path / "artifacts"), run.id, str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    committed = 0
    try:
        while committed < 30:
            line = writer.stdout.readline()
            assert line, f"the writer stopped early: {writer.stderr.read() if writer.stderr else ''}"
            committed = int(line.split()[1])
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        rest, _ = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # it may have reported more commits before it died
        committed = max(committed, int(line.split()[1]))

    store = SqlTrackingStore.from_uri(url, str(tmp_path / "artifacts"))
    try:
        with store.database.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            steps = read_points(conn, run.id, "m", None, None).steps.tolist()
            rows, distinct_steps = len(steps), len(set(steps))
        assert rows >= committed * BATCH
        assert rows % BATCH == 0, "a batch was stored in part"
        assert distinct_steps == rows
        summary = store.get_run(run.id).metrics["m"]
        assert summary.count == rows and summary.step == rows - 1  # the summary committed with its points
        store.log_metric(run.id, "after", 1.0)  # and the database takes writes again
        assert store.get_run(run.id).metrics["after"].value == 1.0
    finally:
        store.close()
