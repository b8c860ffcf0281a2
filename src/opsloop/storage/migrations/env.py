"""Alembic environment: runs online against the engine handed in by `opsloop.storage.migrations`."""

from __future__ import annotations

from alembic import context

from opsloop.storage.tables import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
