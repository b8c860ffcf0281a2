"""Lookups and checks shared by the registry operations, each raising the error the contract names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsloop.errors import ConflictError, NotFoundError
from opsloop.registry.entities import AuditAction, AuditEntry, ModelVersion, RegisteredModel
from opsloop.registry.errors import GateFailedError
from opsloop.registry.gates import GateResult, GateRule, aliases_compared, evaluate
from opsloop.registry.transaction import RegistryTransaction
from opsloop.registry.validation import validate_model_name, validate_text, validate_workspace


def alias_entry(
    model: RegisteredModel,
    action: AuditAction,
    alias: str,
    from_version: int | None,
    to_version: int | None,
    actor: str,
    reason: str | None,
    at: int,
    *,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        id=0,
        model_name=model.name,
        action=action,
        actor=actor,
        reason=reason,
        created_at=at,
        alias=alias,
        from_version=from_version,
        to_version=to_version,
        details=details or {},
    )


def find_model(tx: RegistryTransaction, workspace: str, name: str, *, lock: bool = False) -> RegisteredModel:
    validate_workspace(workspace)
    validate_model_name(name)
    model = tx.model(workspace, name, lock=lock)
    if model is None:
        raise NotFoundError(
            f"registered model {name!r} not found in workspace {workspace!r}", details={"field": "name"}
        )
    return model


def find_version(tx: RegistryTransaction, model: RegisteredModel, version: int) -> ModelVersion:
    found = tx.version(model, version)
    if found is None:
        raise NotFoundError(f"model {model.name!r} has no version {version}", details={"field": "version"})
    return found


def require_active(model: RegisteredModel) -> None:
    if model.archived:
        raise ConflictError(
            f"registered model {model.name!r} is archived; restore it first", details={"field": "name"}
        )


def actor_and_reason(actor: object, reason: object) -> tuple[str, str | None]:
    who = validate_text(actor, "actor", required=True, limit=256)
    assert who is not None
    return who, validate_text(reason, "reason")


def gate_failed_error(name: str, alias: str, version: int, refused: list[GateResult]) -> GateFailedError:
    lines = "; ".join(result.detail for result in refused)
    return GateFailedError(
        f"promotion of {name!r} version {version} to {alias!r} refused by {len(refused)} gate(s): {lines}",
        failed=[result.to_dict() for result in refused],
        details={"field": "gates", "model": name, "alias": alias, "version": version},
    )


def evaluate_gates(
    tx: RegistryTransaction, model: RegisteredModel, candidate: ModelVersion, gates: Sequence[GateRule]
) -> list[GateResult]:
    """The gates' results against the versions that hold the aliases they compare with, now."""
    incumbents = {
        alias: found
        for alias in aliases_compared(gates)
        if (target := tx.alias_target(model, alias)) is not None
        and (found := tx.version(model, target)) is not None
    }
    return evaluate(gates, candidate, by_alias=incumbents)
