"""What a backend provides to the shared registry logic: reads and writes inside one transaction.

`TransactionalRegistryStore` implements every rule of the contract once, on this interface, so
the SQL and in-memory stores differ only in how they read and write rows. Writes take whole
entities; `replace_version` writes only a version's mutable fields (status, description, tags),
which is what keeps versions immutable in every backend.
"""

from __future__ import annotations

import abc
from typing import Any

from opsloop.registry.entities import (
    AuditEntry,
    EventKind,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    VersionStatus,
)


class RegistryTransaction(abc.ABC):
    # --- reads ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def model(self, workspace: str, name: str, *, lock: bool = False) -> RegisteredModel | None:
        """With `lock`, other writers of this model wait until this transaction ends."""

    @abc.abstractmethod
    def models(self, workspace: str, include_archived: bool) -> list[RegisteredModel]: ...

    @abc.abstractmethod
    def version(self, model: RegisteredModel, version: int) -> ModelVersion | None: ...

    @abc.abstractmethod
    def versions(self, model: RegisteredModel, status: VersionStatus | None) -> list[ModelVersion]: ...

    @abc.abstractmethod
    def latest_version(self, model: RegisteredModel, status: VersionStatus | None) -> ModelVersion | None: ...

    @abc.abstractmethod
    def max_version_number(self, model: RegisteredModel) -> int:
        """0 when the model has no version yet."""

    @abc.abstractmethod
    def alias_target(self, model: RegisteredModel, alias: str) -> int | None: ...

    @abc.abstractmethod
    def audit(self, model: RegisteredModel) -> list[AuditEntry]: ...

    @abc.abstractmethod
    def events(self, workspace: str | None, after_id: int, limit: int) -> list[RegistryEvent]: ...

    # --- writes --------------------------------------------------------------------------------
    @abc.abstractmethod
    def insert_model(self, model: RegisteredModel) -> None:
        """Raises AlreadyExistsError on a duplicate (workspace, name)."""

    @abc.abstractmethod
    def replace_model(self, model: RegisteredModel) -> None:
        """Write description, tags, archived and updated_at."""

    @abc.abstractmethod
    def insert_version(self, model: RegisteredModel, version: ModelVersion) -> None: ...

    @abc.abstractmethod
    def replace_version(self, model: RegisteredModel, version: ModelVersion) -> None:
        """Write status, description, tags and updated_at; nothing else."""

    @abc.abstractmethod
    def put_alias(self, model: RegisteredModel, alias: str, version: int, actor: str, at: int) -> None: ...

    @abc.abstractmethod
    def remove_alias(self, model: RegisteredModel, alias: str) -> None: ...

    @abc.abstractmethod
    def insert_audit(self, model: RegisteredModel, entry: AuditEntry) -> None:
        """Store the entry; its `id` is ignored and assigned by the backend."""

    @abc.abstractmethod
    def insert_event(
        self, workspace: str, kind: EventKind, model_name: str, payload: dict[str, Any], at: int
    ) -> RegistryEvent:
        """Append to the outbox. Ids grow in commit order (consumers page with after_id)."""
