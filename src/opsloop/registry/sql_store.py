"""The SQL registry store (SQLite embedded default, PostgreSQL for teams).

Concurrency: every write that depends on a model's state first locks the model's row
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite write transactions are already serialized by
`BEGIN IMMEDIATE`), so two writers never get the same version number and gates compare with the
champion that is actually being replaced. Outbox events are appended under a transaction-scoped
advisory lock on PostgreSQL, so event ids commit in increasing order and a consumer paging with
`after_id` never skips an event that commits late with a smaller id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import IntegrityError

from opsloop.errors import AlreadyExistsError
from opsloop.registry.entities import (
    AuditEntry,
    EventKind,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    VersionStatus,
)
from opsloop.registry.sql_rows import (
    audit_from_row,
    audit_values,
    event_from_row,
    model_from_row,
    version_from_row,
    version_values,
)
from opsloop.registry.transaction import RegistryTransaction
from opsloop.registry.transactional import TransactionalRegistryStore
from opsloop.storage import tables as t
from opsloop.storage.database import Database

_OUTBOX_LOCK_KEY = 0x6F70_736C_6F6F_7001  # any fixed bigint, shared by every registry writer
_m, _v, _a = t.registered_models, t.model_versions, t.model_aliases


class SqlRegistryStore(TransactionalRegistryStore):
    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database

    @classmethod
    def from_uri(cls, database_url: str) -> SqlRegistryStore:
        return cls(Database.from_url(database_url))

    def close(self) -> None:
        self.database.dispose()

    @contextmanager
    def _write(self) -> Iterator[RegistryTransaction]:
        with self.database.write() as conn:
            yield _SqlTransaction(conn)

    @contextmanager
    def _read(self) -> Iterator[RegistryTransaction]:
        with self.database.read() as conn:
            yield _SqlTransaction(conn)


class _SqlTransaction(RegistryTransaction):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _assemble(self, rows: list[Any]) -> list[RegisteredModel]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        latest = dict(
            self.conn.execute(
                select(_v.c.model_id, func.max(_v.c.version))
                .where(_v.c.model_id.in_(ids))
                .group_by(_v.c.model_id)
            ).all()
        )
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        for row in self.conn.execute(
            select(_a.c.model_id, _a.c.alias, _a.c.version).where(_a.c.model_id.in_(ids))
        ):
            aliases[row.model_id][row.alias] = row.version
        return [model_from_row(row, latest.get(row.id), aliases[row.id]) for row in rows]

    def _version_aliases(self, model: RegisteredModel) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = defaultdict(list)
        for alias, version in model.aliases.items():
            found[version].append(alias)
        return {version: tuple(sorted(names)) for version, names in found.items()}

    # --- reads ---------------------------------------------------------------------------------
    def model(self, workspace: str, name: str, *, lock: bool = False) -> RegisteredModel | None:
        query = select(_m).where(_m.c.workspace == workspace, _m.c.name == name)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else self._assemble([row])[0]

    def models(self, workspace: str, include_archived: bool) -> list[RegisteredModel]:
        query = select(_m).where(_m.c.workspace == workspace)
        if not include_archived:
            query = query.where(_m.c.archived.is_(False))
        return self._assemble(list(self.conn.execute(query.order_by(_m.c.name))))

    def version(self, model: RegisteredModel, version: int) -> ModelVersion | None:
        row = self.conn.execute(select(_v).where(_v.c.model_id == model.id, _v.c.version == version)).first()
        return (
            None
            if row is None
            else version_from_row(row, model, self._version_aliases(model).get(version, ()))
        )

    def versions(self, model: RegisteredModel, status: VersionStatus | None) -> list[ModelVersion]:
        query = select(_v).where(_v.c.model_id == model.id)
        if status is not None:
            query = query.where(_v.c.status == status.value)
        aliases = self._version_aliases(model)
        rows = self.conn.execute(query.order_by(_v.c.version))
        return [version_from_row(row, model, aliases.get(row.version, ())) for row in rows]

    def latest_version(self, model: RegisteredModel, status: VersionStatus | None) -> ModelVersion | None:
        query = select(_v).where(_v.c.model_id == model.id)
        if status is not None:
            query = query.where(_v.c.status == status.value)
        row = self.conn.execute(query.order_by(_v.c.version.desc()).limit(1)).first()
        if row is None:
            return None
        return version_from_row(row, model, self._version_aliases(model).get(row.version, ()))

    def max_version_number(self, model: RegisteredModel) -> int:
        found = self.conn.execute(select(func.max(_v.c.version)).where(_v.c.model_id == model.id)).scalar()
        return int(found or 0)

    def alias_target(self, model: RegisteredModel, alias: str) -> int | None:
        found = self.conn.execute(
            select(_a.c.version).where(_a.c.model_id == model.id, _a.c.alias == alias)
        ).scalar()
        return None if found is None else int(found)

    def audit(self, model: RegisteredModel) -> list[AuditEntry]:
        query = select(t.registry_audit).where(t.registry_audit.c.model_id == model.id)
        return [
            audit_from_row(row, model.name)
            for row in self.conn.execute(query.order_by(t.registry_audit.c.id))
        ]

    def events(self, workspace: str | None, after_id: int, limit: int) -> list[RegistryEvent]:
        events = t.registry_events
        query = select(events).where(events.c.id > after_id)
        if workspace is not None:
            query = query.where(events.c.workspace == workspace)
        return [event_from_row(row) for row in self.conn.execute(query.order_by(events.c.id).limit(limit))]

    # --- writes --------------------------------------------------------------------------------
    def insert_model(self, model: RegisteredModel) -> None:
        # An IntegrityError aborts the transaction, which the caller then rolls back: no savepoint.
        try:
            self.conn.execute(
                _m.insert().values(
                    id=model.id,
                    workspace=model.workspace,
                    name=model.name,
                    description=model.description,
                    tags=model.tags,
                    archived=model.archived,
                    created_at=model.created_at,
                    updated_at=model.updated_at,
                )
            )
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"registered model {model.name!r} already exists in workspace {model.workspace!r}",
                details={"field": "name"},
            ) from exc

    def replace_model(self, model: RegisteredModel) -> None:
        self.conn.execute(
            update(_m)
            .where(_m.c.id == model.id)
            .values(
                description=model.description,
                tags=model.tags,
                archived=model.archived,
                updated_at=model.updated_at,
            )
        )

    def insert_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        self.conn.execute(_v.insert().values(**version_values(model, version)))

    def replace_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        self.conn.execute(
            update(_v)
            .where(_v.c.model_id == model.id, _v.c.version == version.version)
            .values(
                status=version.status.value,
                description=version.description,
                tags=version.tags,
                updated_at=version.updated_at,
            )
        )

    def put_alias(self, model: RegisteredModel, alias: str, version: int, actor: str, at: int) -> None:
        # The model row is locked, so no other writer can insert this alias between these two.
        self.remove_alias(model, alias)
        self.conn.execute(
            _a.insert().values(
                model_id=model.id, alias=alias, version=version, updated_by=actor, updated_at=at
            )
        )

    def remove_alias(self, model: RegisteredModel, alias: str) -> None:
        self.conn.execute(_a.delete().where(_a.c.model_id == model.id, _a.c.alias == alias))

    def insert_audit(self, model: RegisteredModel, entry: AuditEntry) -> None:
        self.conn.execute(t.registry_audit.insert().values(**audit_values(model, entry)))

    def insert_event(
        self, workspace: str, kind: EventKind, model_name: str, payload: dict[str, Any], at: int
    ) -> RegistryEvent:
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK_KEY})
        values = {"workspace": workspace, "kind": kind.value, "model_name": model_name, "payload": payload}
        event_id = self.conn.execute(
            t.registry_events.insert().values(**values, created_at=at).returning(t.registry_events.c.id)
        ).scalar_one()
        return RegistryEvent(
            id=int(event_id),
            workspace=workspace,
            kind=kind,
            model_name=model_name,
            payload=payload,
            created_at=at,
        )
