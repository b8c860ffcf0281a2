"""Registry entities from SQL rows, and entities to row values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsloop.core.floats import float_from_json, float_to_json
from opsloop.registry.entities import (
    AuditAction,
    AuditEntry,
    EventKind,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    VersionStatus,
)


def model_from_row(row: Any, latest_version: int | None, aliases: Mapping[str, int]) -> RegisteredModel:
    return RegisteredModel(
        id=row.id,
        workspace=row.workspace,
        name=row.name,
        description=row.description,
        tags=dict(row.tags or {}),
        archived=bool(row.archived),
        created_at=row.created_at,
        updated_at=row.updated_at,
        latest_version=latest_version,
        aliases=dict(sorted(aliases.items())),
    )


def version_from_row(row: Any, model: RegisteredModel, aliases: tuple[str, ...]) -> ModelVersion:
    return ModelVersion(
        model_name=model.name,
        version=row.version,
        source_uri=row.source_uri,
        storage_uri=row.storage_uri,
        run_id=row.run_id,
        files=dict(row.files or {}),
        flavor=row.flavor,
        signature=row.signature,
        metrics={key: float_from_json(value) for key, value in (row.metrics or {}).items()},
        lineage=dict(row.lineage or {}),
        status=VersionStatus(row.status),
        description=row.description,
        tags=dict(row.tags or {}),
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        workspace=model.workspace,
        aliases=aliases,
    )


def version_values(model: RegisteredModel, version: ModelVersion) -> dict[str, Any]:
    return {
        "model_id": model.id,
        "version": version.version,
        "source_uri": version.source_uri,
        "storage_uri": version.storage_uri,
        "run_id": version.run_id,
        "files": version.files,
        "flavor": version.flavor,
        "signature": version.signature,
        "metrics": {key: float_to_json(value) for key, value in version.metrics.items()},
        "lineage": version.lineage,
        "status": version.status.value,
        "description": version.description,
        "tags": version.tags,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "updated_at": version.updated_at,
    }


def audit_from_row(row: Any, model_name: str) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        model_name=model_name,
        action=AuditAction(row.action),
        actor=row.actor,
        reason=row.reason,
        created_at=row.created_at,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        from_status=None if row.from_status is None else VersionStatus(row.from_status),
        to_status=None if row.to_status is None else VersionStatus(row.to_status),
        details=dict(row.details or {}),
    )


def audit_values(model: RegisteredModel, entry: AuditEntry) -> dict[str, Any]:
    return {
        "model_id": model.id,
        "action": entry.action.value,
        "alias": entry.alias,
        "from_version": entry.from_version,
        "to_version": entry.to_version,
        "from_status": None if entry.from_status is None else entry.from_status.value,
        "to_status": None if entry.to_status is None else entry.to_status.value,
        "actor": entry.actor,
        "reason": entry.reason,
        "details": entry.details,
        "created_at": entry.created_at,
    }


def event_from_row(row: Any) -> RegistryEvent:
    return RegistryEvent(
        id=row.id,
        workspace=row.workspace,
        kind=EventKind(row.kind),
        model_name=row.model_name,
        payload=dict(row.payload or {}),
        created_at=row.created_at,
    )
