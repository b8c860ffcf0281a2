"""Alembic migrations of the metadata schema, run by `opsloop db upgrade` (and by `opsloop up`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from opsloop.storage.database import Database

_HERE = Path(__file__).parent


def _config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    command.upgrade(_config(database), revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(_HERE)).get_current_head()


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == head_revision()
