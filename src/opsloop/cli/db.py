"""`opsloop db upgrade|current`: schema migrations, explicit (the embedded default runs them for you)."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.output import console
from opsloop.config import load_settings
from opsloop.storage import migrations
from opsloop.storage.database import Database

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)

UrlOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL [env OPSLOOP_DATABASE_URL].")
]


@app.command()
def upgrade(database_url: UrlOption = None, revision: str = "head") -> None:
    """Upgrade the metadata database to the latest schema."""
    settings = load_settings(database_url=database_url)
    settings.home.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(settings.resolved_database_url())
    try:
        before = migrations.current_revision(database)
        migrations.upgrade(database, revision)
        after = migrations.current_revision(database)
    finally:
        database.dispose()
    console.print(f"database at revision {after} (was {before or 'empty'})")


@app.command()
def current(database_url: UrlOption = None) -> None:
    """Show the schema revision of the database and the latest one."""
    settings = load_settings(database_url=database_url)
    database = Database.from_url(settings.resolved_database_url())
    try:
        console.print(
            f"current: {migrations.current_revision(database) or 'empty'}  head: {migrations.head_revision()}"
        )
    finally:
        database.dispose()
