"""Registry entities: frozen dataclasses, separate from storage rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class VersionStatus(enum.StrEnum):
    PENDING_VALIDATION = "PENDING_VALIDATION"
    READY = "READY"
    ARCHIVED = "ARCHIVED"


class AuditAction(enum.StrEnum):
    ALIAS_SET = "alias_set"
    ALIAS_DELETED = "alias_deleted"
    STATUS_CHANGED = "status_changed"
    PROMOTION_REFUSED = "promotion_refused"


class EventKind(enum.StrEnum):
    VERSION_CREATED = "version_created"
    ALIAS_MOVED = "alias_moved"
    ALIAS_REMOVED = "alias_removed"
    STATUS_CHANGED = "status_changed"


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    id: str
    workspace: str
    name: str
    description: str | None
    tags: dict[str, str]
    archived: bool
    created_at: int
    updated_at: int
    latest_version: int | None = None
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One immutable version: only `status`, `description` and `tags` ever change."""

    model_name: str
    version: int
    source_uri: str
    storage_uri: str
    run_id: str | None
    files: dict[str, str]  # relative path -> sha256
    flavor: str | None
    signature: dict[str, Any] | None
    metrics: dict[str, float]
    lineage: dict[str, Any]
    status: VersionStatus
    description: str | None
    tags: dict[str, str]
    created_at: int
    created_by: str | None
    updated_at: int
    workspace: str
    aliases: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        return f"models:/{self.model_name}/{self.version}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    model_name: str
    action: AuditAction
    actor: str
    reason: str | None
    created_at: int
    alias: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    from_status: VersionStatus | None = None
    to_status: VersionStatus | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegistryEvent:
    """A committed registry change, kept in the outbox table in commit order."""

    id: int
    workspace: str
    kind: EventKind
    model_name: str
    payload: dict[str, Any]
    created_at: int
