"""Every rule of the registry contract, written once over `RegistryTransaction`.

Backends supply `_write()` and `_read()` (a transaction each); this class validates input,
assigns version numbers under a lock on the model, checks gates in the transaction that moves
the alias, audits, and appends events to the outbox. Subscribers hear about a change only after
its transaction committed.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from opsloop.core.clock import now_ms
from opsloop.core.ids import new_id
from opsloop.errors import ConflictError, InvalidInputError, NotFoundError
from opsloop.registry.checks import (
    actor_and_reason,
    alias_entry,
    evaluate_gates,
    find_model,
    find_version,
    gate_failed_error,
    require_active,
)
from opsloop.registry.entities import (
    AuditAction,
    AuditEntry,
    EventKind,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    VersionStatus,
)
from opsloop.registry.gates import GateResult, GateRule
from opsloop.registry.store import DEFAULT_WORKSPACE, MAX_EVENTS_PAGE, RegistryStore
from opsloop.registry.transaction import RegistryTransaction
from opsloop.registry.validation import (
    validate_alias,
    validate_model_name,
    validate_new_version,
    validate_tags,
    validate_text,
    validate_version,
    validate_workspace,
)


@dataclasses.dataclass
class _Change:
    tx: RegistryTransaction
    events: list[RegistryEvent] = dataclasses.field(default_factory=list)

    def emit(self, workspace: str, kind: EventKind, model_name: str, payload: dict[str, Any]) -> None:
        self.events.append(self.tx.insert_event(workspace, kind, model_name, payload, now_ms()))


class TransactionalRegistryStore(RegistryStore):
    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[RegistryTransaction]:
        """A transaction committed on success and rolled back on any exception."""

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[RegistryTransaction]: ...

    @contextmanager
    def _change(self) -> Iterator[_Change]:
        with self._write() as tx:
            change = _Change(tx)
            yield change
        self._subscribers.publish(change.events)  # only reached after a commit

    # --- registered models ---------------------------------------------------------------------
    def create_model(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        validate_workspace(workspace)
        now = now_ms()
        model = RegisteredModel(
            id=new_id(),
            workspace=workspace,
            name=validate_model_name(name),
            description=validate_text(description, "description"),
            tags=validate_tags(tags),
            archived=False,
            created_at=now,
            updated_at=now,
        )
        with self._write() as tx:
            tx.insert_model(model)
        return model

    def get_model(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> RegisteredModel:
        with self._read() as tx:
            return find_model(tx, workspace, name)

    def list_models(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[RegisteredModel]:
        validate_workspace(workspace)
        with self._read() as tx:
            return tx.models(workspace, include_archived)

    def update_model(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        new_description = validate_text(description, "description")
        new_tags = None if tags is None else validate_tags(tags)
        with self._write() as tx:
            model = find_model(tx, workspace, name, lock=True)
            updated = dataclasses.replace(
                model,
                description=model.description if description is None else new_description,
                tags=model.tags if new_tags is None else new_tags,
                updated_at=now_ms(),
            )
            tx.replace_model(updated)
            return updated

    def set_model_archived(
        self, name: str, archived: bool, *, workspace: str = DEFAULT_WORKSPACE
    ) -> RegisteredModel:
        with self._write() as tx:
            model = find_model(tx, workspace, name, lock=True)
            updated = dataclasses.replace(model, archived=bool(archived), updated_at=now_ms())
            tx.replace_model(updated)
            return updated

    # --- versions ------------------------------------------------------------------------------
    def create_version(
        self,
        name: str,
        *,
        source_uri: str,
        storage_uri: str,
        workspace: str = DEFAULT_WORKSPACE,
        files: Mapping[str, str] | None = None,
        run_id: str | None = None,
        metrics: Mapping[str, float] | None = None,
        lineage: Mapping[str, Any] | None = None,
        flavor: str | None = None,
        signature: Mapping[str, Any] | None = None,
        created_by: str | None = None,
        status: VersionStatus = VersionStatus.READY,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        fields = validate_new_version(
            source_uri=source_uri,
            storage_uri=storage_uri,
            files=files,
            run_id=run_id,
            metrics=metrics,
            lineage=lineage,
            flavor=flavor,
            signature=signature,
            created_by=created_by,
            status=status,
            description=description,
            tags=tags,
        )
        with self._change() as change:
            model = find_model(change.tx, workspace, name, lock=True)
            require_active(model)
            now = now_ms()
            created = ModelVersion(
                model_name=model.name,
                version=change.tx.max_version_number(model) + 1,
                created_at=now,
                updated_at=now,
                workspace=model.workspace,
                **fields,
            )
            change.tx.insert_version(model, created)
            change.emit(
                model.workspace,
                EventKind.VERSION_CREATED,
                model.name,
                {
                    "version": created.version,
                    "status": created.status.value,
                    "source_uri": created.source_uri,
                    "run_id": created.run_id,
                    "created_by": created.created_by,
                },
            )
            return created

    def get_version(self, name: str, version: int, *, workspace: str = DEFAULT_WORKSPACE) -> ModelVersion:
        validate_version(version)
        with self._read() as tx:
            return find_version(tx, find_model(tx, workspace, name), version)

    def get_latest_version(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        status: VersionStatus | None = VersionStatus.READY,
    ) -> ModelVersion:
        with self._read() as tx:
            model = find_model(tx, workspace, name)
            found = tx.latest_version(model, status)
        if found is None:
            which = "no version" if status is None else f"no {status.value} version"
            raise NotFoundError(f"model {name!r} has {which}", details={"field": "version"})
        return found

    def list_versions(
        self, name: str, *, workspace: str = DEFAULT_WORKSPACE, status: VersionStatus | None = None
    ) -> list[ModelVersion]:
        with self._read() as tx:
            return tx.versions(find_model(tx, workspace, name), status)

    def update_version(
        self,
        name: str,
        version: int,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        validate_version(version)
        new_description = validate_text(description, "description")
        new_tags = None if tags is None else validate_tags(tags)
        with self._write() as tx:
            model = find_model(tx, workspace, name, lock=True)
            current = find_version(tx, model, version)
            updated = dataclasses.replace(
                current,
                description=current.description if description is None else new_description,
                tags=current.tags if new_tags is None else new_tags,
                updated_at=now_ms(),
            )
            tx.replace_version(model, updated)
            return updated

    def set_status(
        self,
        name: str,
        version: int,
        status: VersionStatus,
        *,
        actor: str,
        reason: str | None = None,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> ModelVersion:
        validate_version(version)
        if not isinstance(status, VersionStatus):
            raise InvalidInputError(
                f"status: {status!r} is not a version status", details={"field": "status"}
            )
        who, why = actor_and_reason(actor, reason)
        with self._change() as change:
            model = find_model(change.tx, workspace, name, lock=True)
            current = find_version(change.tx, model, version)
            if current.status is status:
                return current
            if status is VersionStatus.ARCHIVED and current.aliases:
                raise ConflictError(
                    f"version {version} of {name!r} holds alias(es) {', '.join(current.aliases)}; "
                    "move or delete them before archiving it",
                    details={"field": "status", "aliases": list(current.aliases)},
                )
            now = now_ms()
            updated = dataclasses.replace(current, status=status, updated_at=now)
            change.tx.replace_version(model, updated)
            change.tx.insert_audit(
                model,
                AuditEntry(
                    id=0,
                    model_name=model.name,
                    action=AuditAction.STATUS_CHANGED,
                    actor=who,
                    reason=why,
                    created_at=now,
                    from_version=version,
                    to_version=version,
                    from_status=current.status,
                    to_status=status,
                ),
            )
            change.emit(
                model.workspace,
                EventKind.STATUS_CHANGED,
                model.name,
                {
                    "version": version,
                    "from_status": current.status.value,
                    "to_status": status.value,
                    "actor": who,
                    "reason": why,
                },
            )
            return updated

    # --- aliases -------------------------------------------------------------------------------
    def get_version_by_alias(
        self, name: str, alias: str, *, workspace: str = DEFAULT_WORKSPACE
    ) -> ModelVersion:
        validate_alias(alias)
        with self._read() as tx:
            model = find_model(tx, workspace, name)
            target = tx.alias_target(model, alias)
            if target is None:
                raise NotFoundError(
                    f"model {name!r} has no alias {alias!r}", details={"field": "alias", "alias": alias}
                )
            return find_version(tx, model, target)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        actor: str,
        reason: str | None = None,
        gates: Sequence[GateRule] | None = None,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> ModelVersion:
        validate_alias(alias)
        validate_version(version)
        who, why = actor_and_reason(actor, reason)
        refused: list[GateResult] = []
        with self._change() as change:
            tx = change.tx
            model = find_model(tx, workspace, name, lock=True)
            require_active(model)
            candidate = find_version(tx, model, version)
            if candidate.status is VersionStatus.ARCHIVED:
                raise ConflictError(
                    f"version {version} of {name!r} is archived and cannot take an alias",
                    details={"field": "version", "status": candidate.status.value},
                )
            previous = tx.alias_target(model, alias)
            now = now_ms()
            if gates:
                refused = [
                    result for result in evaluate_gates(tx, model, candidate, gates) if not result.passed
                ]
                if refused:
                    tx.insert_audit(
                        model,
                        alias_entry(
                            model,
                            AuditAction.PROMOTION_REFUSED,
                            alias,
                            previous,
                            version,
                            who,
                            why,
                            now,
                            details={"failed": [result.to_dict() for result in refused]},
                        ),
                    )
            if not refused and previous != version:
                tx.put_alias(model, alias, version, who, now)
                tx.insert_audit(
                    model, alias_entry(model, AuditAction.ALIAS_SET, alias, previous, version, who, why, now)
                )
                change.emit(
                    model.workspace,
                    EventKind.ALIAS_MOVED,
                    model.name,
                    {
                        "alias": alias,
                        "from_version": previous,
                        "to_version": version,
                        "actor": who,
                        "reason": why,
                    },
                )
        if refused:
            raise gate_failed_error(name, alias, version, refused)
        return self.get_version(name, version, workspace=workspace)

    def delete_alias(
        self,
        name: str,
        alias: str,
        *,
        actor: str,
        reason: str | None = None,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> None:
        validate_alias(alias)
        who, why = actor_and_reason(actor, reason)
        with self._change() as change:
            model = find_model(change.tx, workspace, name, lock=True)
            previous = change.tx.alias_target(model, alias)
            if previous is None:
                raise NotFoundError(
                    f"model {name!r} has no alias {alias!r}", details={"field": "alias", "alias": alias}
                )
            now = now_ms()
            change.tx.remove_alias(model, alias)
            change.tx.insert_audit(
                model, alias_entry(model, AuditAction.ALIAS_DELETED, alias, previous, None, who, why, now)
            )
            change.emit(
                model.workspace,
                EventKind.ALIAS_REMOVED,
                model.name,
                {"alias": alias, "from_version": previous, "actor": who, "reason": why},
            )

    # --- audit and events ----------------------------------------------------------------------
    def audit_log(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> list[AuditEntry]:
        with self._read() as tx:
            return tx.audit(find_model(tx, workspace, name))

    def list_events(
        self, after_id: int = 0, limit: int = 100, *, workspace: str | None = DEFAULT_WORKSPACE
    ) -> list[RegistryEvent]:
        if workspace is not None:
            validate_workspace(workspace)
        if not isinstance(after_id, int) or isinstance(after_id, bool) or after_id < 0:
            raise InvalidInputError("after_id must be a non-negative integer", details={"field": "after_id"})
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_EVENTS_PAGE:
            raise InvalidInputError(f"limit must be 1..{MAX_EVENTS_PAGE}", details={"field": "limit"})
        with self._read() as tx:
            return tx.events(workspace, after_id, limit)
