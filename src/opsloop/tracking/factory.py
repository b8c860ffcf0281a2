"""Open the tracking store that the settings name: SQL (migrated on demand) or in memory."""

from __future__ import annotations

from opsloop.config import Settings
from opsloop.storage import migrations
from opsloop.storage.database import Database
from opsloop.tracking.memory_store import InMemoryTrackingStore
from opsloop.tracking.sql_store import SqlTrackingStore
from opsloop.tracking.store import TrackingStore


def open_store(settings: Settings, *, migrate: bool = True) -> TrackingStore:
    """`memory://` gives the in-memory store; any SQL URL gives the SQL store, upgraded to the
    latest schema first when `migrate` (the embedded default does this for the user)."""
    url = settings.resolved_database_url()
    if url.startswith("memory://"):
        return InMemoryTrackingStore(artifact_root="memory://artifacts")
    database = Database.from_url(url)
    if migrate and not migrations.is_up_to_date(database):
        migrations.upgrade(database)
    return SqlTrackingStore(database, settings.resolved_artifact_root())
