"""The migrations build exactly the schema of `storage/tables.py`, on SQLite and PostgreSQL,
idempotently, and `opsloop db upgrade` runs them."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select
from tests.support.postgres import create_database
from typer.testing import CliRunner

from opsloop.cli.main import app
from opsloop.storage import migrations
from opsloop.storage import tables as t
from opsloop.storage.database import Database
from opsloop.tracking.sql_store import SqlTrackingStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (a new PostgreSQL database of its own, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'fresh.db').as_posix()}"
        return
    database = create_database(f"opsloop_migrate_{uuid.uuid4().hex[:12]}")
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture
def empty_database(empty_url: str) -> Iterator[Database]:
    database = Database.from_url(empty_url)
    yield database
    database.dispose()


def schema_differences(database: Database, metadata: MetaData = t.metadata) -> list[object]:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_upgrade_an_empty_database_to_head(empty_database: Database) -> None:
    assert migrations.current_revision(empty_database) is None
    assert not migrations.is_up_to_date(empty_database)
    migrations.upgrade(empty_database)
    assert migrations.head_revision() is not None
    assert migrations.current_revision(empty_database) == migrations.head_revision()
    assert migrations.is_up_to_date(empty_database)
    tables = set(inspect(empty_database.engine).get_table_names())
    assert tables == {*t.metadata.tables, "alembic_version"}


def test_the_migrations_build_exactly_the_tables(empty_database: Database) -> None:
    migrations.upgrade(empty_database)
    assert schema_differences(empty_database) == []


def test_the_schema_comparison_sees_a_difference(empty_database: Database) -> None:
    """A control: the comparison above would notice a table the migrations do not create."""
    migrations.upgrade(empty_database)
    drifted = MetaData(naming_convention=t.metadata.naming_convention)
    for table in t.metadata.tables.values():
        table.to_metadata(drifted)
    Table("not_migrated", drifted, Column("id", Integer, primary_key=True))
    differences = schema_differences(empty_database, drifted)
    assert [difference[0] for difference in differences] == ["add_table"]  # type: ignore[index]


def test_upgrade_is_idempotent_and_keeps_data(empty_database: Database, tmp_path: Path) -> None:
    migrations.upgrade(empty_database)
    store = SqlTrackingStore(empty_database, str(tmp_path / "artifacts"))
    experiment = store.create_experiment("kept")
    run = store.create_run(experiment.id)
    store.log_metric(run.id, "m", 1.5)

    migrations.upgrade(empty_database)
    migrations.upgrade(empty_database, "head")
    assert migrations.current_revision(empty_database) == migrations.head_revision()
    assert store.get_experiment(experiment.id) == experiment
    assert store.get_run(run.id).metrics["m"].value == 1.5
    assert schema_differences(empty_database) == []


def test_downgrade_to_base_and_upgrade_again(empty_database: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = empty_database.engine
    migrations.upgrade(empty_database)
    command.downgrade(config, "base")
    assert migrations.current_revision(empty_database) is None
    assert set(inspect(empty_database.engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(empty_database)
    assert schema_differences(empty_database) == []


def _opsloop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_db_upgrade(empty_url: str) -> None:
    head = migrations.head_revision()
    first = _opsloop("db", "upgrade", "--database-url", empty_url)
    assert first.returncode == 0, first.stderr
    assert f"database at revision {head} (was empty)" in first.stdout
    database = Database.from_url(empty_url)
    try:
        assert schema_differences(database) == []
        with database.read() as conn:
            assert conn.execute(select(t.experiments)).all() == []
    finally:
        database.dispose()

    if empty_url.startswith("sqlite"):  # each CLI run costs seconds; one backend is enough for this
        again = _opsloop("db", "upgrade", "--database-url", empty_url)
        assert again.returncode == 0, again.stderr
        assert f"database at revision {head} (was {head})" in again.stdout


def test_cli_db_current(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'current.db').as_posix()}"
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current", "--database-url", url])
    assert before.exit_code == 0, before.output
    assert f"current: empty  head: {migrations.head_revision()}" in before.output
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    after = runner.invoke(app, ["db", "current", "--database-url", url])
    assert f"current: {migrations.head_revision()}" in after.output
