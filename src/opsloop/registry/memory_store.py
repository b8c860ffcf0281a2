"""An in-memory registry store: the reference backend, for tests and throwaway sessions.

A write transaction works on a copy of the state and swaps it in on success, so a failed write
leaves nothing behind, exactly like a rolled-back SQL transaction. One lock serializes writers.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opsloop.errors import AlreadyExistsError
from opsloop.registry.entities import (
    AuditEntry,
    EventKind,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    VersionStatus,
)
from opsloop.registry.transaction import RegistryTransaction
from opsloop.registry.transactional import TransactionalRegistryStore


@dataclasses.dataclass
class _State:
    models: dict[tuple[str, str], RegisteredModel] = dataclasses.field(default_factory=dict)
    versions: dict[str, dict[int, ModelVersion]] = dataclasses.field(default_factory=dict)
    aliases: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    audit: dict[str, list[AuditEntry]] = dataclasses.field(default_factory=dict)
    events: list[RegistryEvent] = dataclasses.field(default_factory=list)
    last_audit_id: int = 0

    def copy(self) -> _State:
        return _State(
            models=dict(self.models),
            versions={key: dict(value) for key, value in self.versions.items()},
            aliases={key: dict(value) for key, value in self.aliases.items()},
            audit={key: list(value) for key, value in self.audit.items()},
            events=list(self.events),
            last_audit_id=self.last_audit_id,
        )


class InMemoryRegistryStore(TransactionalRegistryStore):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._state = _State()

    @contextmanager
    def _write(self) -> Iterator[RegistryTransaction]:
        with self._lock:
            draft = self._state.copy()
            yield _MemoryTransaction(draft)
            self._state = draft

    @contextmanager
    def _read(self) -> Iterator[RegistryTransaction]:
        with self._lock:
            yield _MemoryTransaction(self._state)


class _MemoryTransaction(RegistryTransaction):
    def __init__(self, state: _State) -> None:
        self.state = state

    def _full_model(self, model: RegisteredModel) -> RegisteredModel:
        versions = self.state.versions.get(model.id, {})
        return dataclasses.replace(
            model,
            tags=dict(model.tags),
            latest_version=max(versions) if versions else None,
            aliases=dict(sorted(self.state.aliases.get(model.id, {}).items())),
        )

    def _full_version(self, model: RegisteredModel, version: ModelVersion) -> ModelVersion:
        # Copies of the mutable fields: a caller that edits what it got changes nothing here.
        aliases = self.state.aliases.get(model.id, {})
        return dataclasses.replace(
            version,
            files=dict(version.files),
            metrics=dict(version.metrics),
            tags=dict(version.tags),
            lineage=dict(version.lineage),
            signature=None if version.signature is None else dict(version.signature),
            aliases=tuple(sorted(alias for alias, number in aliases.items() if number == version.version)),
        )

    # --- reads ---------------------------------------------------------------------------------
    def model(self, workspace: str, name: str, *, lock: bool = False) -> RegisteredModel | None:
        found = self.state.models.get((workspace, name))
        return None if found is None else self._full_model(found)

    def models(self, workspace: str, include_archived: bool) -> list[RegisteredModel]:
        return [
            self._full_model(model)
            for (space, _), model in sorted(self.state.models.items())
            if space == workspace and (include_archived or not model.archived)
        ]

    def version(self, model: RegisteredModel, version: int) -> ModelVersion | None:
        found = self.state.versions.get(model.id, {}).get(version)
        return None if found is None else self._full_version(model, found)

    def versions(self, model: RegisteredModel, status: VersionStatus | None) -> list[ModelVersion]:
        return [
            self._full_version(model, version)
            for _, version in sorted(self.state.versions.get(model.id, {}).items())
            if status is None or version.status is status
        ]

    def latest_version(self, model: RegisteredModel, status: VersionStatus | None) -> ModelVersion | None:
        matching = self.versions(model, status)
        return matching[-1] if matching else None

    def max_version_number(self, model: RegisteredModel) -> int:
        return max(self.state.versions.get(model.id, {}), default=0)

    def alias_target(self, model: RegisteredModel, alias: str) -> int | None:
        return self.state.aliases.get(model.id, {}).get(alias)

    def audit(self, model: RegisteredModel) -> list[AuditEntry]:
        return list(self.state.audit.get(model.id, []))

    def events(self, workspace: str | None, after_id: int, limit: int) -> list[RegistryEvent]:
        found = [
            event
            for event in self.state.events
            if event.id > after_id and (workspace is None or event.workspace == workspace)
        ]
        return found[:limit]

    # --- writes --------------------------------------------------------------------------------
    def insert_model(self, model: RegisteredModel) -> None:
        key = (model.workspace, model.name)
        if key in self.state.models:
            raise AlreadyExistsError(
                f"registered model {model.name!r} already exists in workspace {model.workspace!r}",
                details={"field": "name"},
            )
        self.state.models[key] = dataclasses.replace(model, tags=dict(model.tags))

    def replace_model(self, model: RegisteredModel) -> None:
        key = (model.workspace, model.name)
        self.state.models[key] = dataclasses.replace(
            self.state.models[key],
            description=model.description,
            tags=dict(model.tags),
            archived=model.archived,
            updated_at=model.updated_at,
        )

    def insert_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        self.state.versions.setdefault(model.id, {})[version.version] = self._full_version(model, version)

    def replace_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        stored = self.state.versions[model.id]
        stored[version.version] = dataclasses.replace(
            stored[version.version],
            status=version.status,
            description=version.description,
            tags=dict(version.tags),
            updated_at=version.updated_at,
        )

    def put_alias(self, model: RegisteredModel, alias: str, version: int, actor: str, at: int) -> None:
        self.state.aliases.setdefault(model.id, {})[alias] = version

    def remove_alias(self, model: RegisteredModel, alias: str) -> None:
        self.state.aliases.get(model.id, {}).pop(alias, None)

    def insert_audit(self, model: RegisteredModel, entry: AuditEntry) -> None:
        self.state.last_audit_id += 1
        stored = dataclasses.replace(entry, id=self.state.last_audit_id)
        self.state.audit.setdefault(model.id, []).append(stored)

    def insert_event(
        self, workspace: str, kind: EventKind, model_name: str, payload: dict[str, Any], at: int
    ) -> RegistryEvent:
        event = RegistryEvent(
            id=len(self.state.events) + 1,
            workspace=workspace,
            kind=kind,
            model_name=model_name,
            payload=dict(payload),
            created_at=at,
        )
        self.state.events.append(event)
        return event
