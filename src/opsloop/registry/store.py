"""The registry-store contract.

One abstract base class that every backend implements (SQL, in-memory, later the HTTP client).
Conveniences (`resolve`, `promote`, `get_or_create_model`) are built on the primitives here, once.
Every write that changes an alias or a status takes an `actor` and an optional `reason`, and
leaves an `AuditEntry`; every committed change also leaves a `RegistryEvent` in the outbox.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opsloop.errors import AlreadyExistsError, NotFoundError
from opsloop.registry.entities import AuditEntry, ModelVersion, RegisteredModel, RegistryEvent, VersionStatus
from opsloop.registry.events import Subscriber, Subscribers
from opsloop.registry.gates import GateRule
from opsloop.registry.uris import parse_model_uri

DEFAULT_WORKSPACE = "default"
MAX_EVENTS_PAGE = 1000


class RegistryStore(abc.ABC):
    def __init__(self) -> None:
        self._subscribers = Subscribers()

    # --- registered models ---------------------------------------------------------------------
    @abc.abstractmethod
    def create_model(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        """Raises AlreadyExistsError when the workspace has a model of that name (archived or not)."""

    @abc.abstractmethod
    def get_model(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> RegisteredModel:
        """Raises NotFoundError."""

    @abc.abstractmethod
    def list_models(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[RegisteredModel]:
        """Ordered by name."""

    @abc.abstractmethod
    def update_model(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        """`None` leaves a field as it is; `tags` replaces the whole tag set."""

    @abc.abstractmethod
    def set_model_archived(
        self, name: str, archived: bool, *, workspace: str = DEFAULT_WORKSPACE
    ) -> RegisteredModel:
        """An archived model is hidden from `list_models` and takes no new versions or alias
        moves; its versions still resolve, so nothing that serves them breaks."""

    # --- versions ------------------------------------------------------------------------------
    @abc.abstractmethod
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
        """The next version number of the model, assigned atomically (1, 2, ...)."""

    @abc.abstractmethod
    def get_version(self, name: str, version: int, *, workspace: str = DEFAULT_WORKSPACE) -> ModelVersion: ...

    @abc.abstractmethod
    def get_latest_version(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        status: VersionStatus | None = VersionStatus.READY,
    ) -> ModelVersion:
        """The highest-numbered version (with `status`, unless None). Raises NotFoundError."""

    @abc.abstractmethod
    def list_versions(
        self, name: str, *, workspace: str = DEFAULT_WORKSPACE, status: VersionStatus | None = None
    ) -> list[ModelVersion]:
        """Ordered by version number."""

    @abc.abstractmethod
    def update_version(
        self,
        name: str,
        version: int,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Only the description and the tags of a version can change (plus `set_status`)."""

    @abc.abstractmethod
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
        """Audited. A version that an alias points to cannot be archived (ConflictError)."""

    # --- aliases -------------------------------------------------------------------------------
    @abc.abstractmethod
    def get_version_by_alias(
        self, name: str, alias: str, *, workspace: str = DEFAULT_WORKSPACE
    ) -> ModelVersion: ...

    @abc.abstractmethod
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
        """Point `alias` at `version`, after checking `gates` in the same transaction.

        A failed gate raises GateFailedError; nothing moves, and the refusal is audited.
        """

    @abc.abstractmethod
    def delete_alias(
        self,
        name: str,
        alias: str,
        *,
        actor: str,
        reason: str | None = None,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> None: ...

    # --- audit and events ----------------------------------------------------------------------
    @abc.abstractmethod
    def audit_log(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> list[AuditEntry]:
        """Oldest first."""

    @abc.abstractmethod
    def list_events(
        self, after_id: int = 0, limit: int = 100, *, workspace: str | None = DEFAULT_WORKSPACE
    ) -> list[RegistryEvent]:
        """Outbox events with id > after_id in commit order; `workspace=None` reads every workspace."""

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event)` after each committed change made through this store; returns
        a function that unsubscribes."""
        return self._subscribers.add(callback)

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections; the store is unusable afterwards."""

    # --- conveniences --------------------------------------------------------------------------
    def resolve(self, uri: str, *, workspace: str = DEFAULT_WORKSPACE) -> ModelVersion:
        """`models:/name@alias`, `models:/name/3` or `models:/name/latest` (the newest READY version)."""
        ref = parse_model_uri(uri)
        if ref.alias is not None:
            return self.get_version_by_alias(ref.name, ref.alias, workspace=workspace)
        if ref.version is not None:
            return self.get_version(ref.name, ref.version, workspace=workspace)
        return self.get_latest_version(ref.name, workspace=workspace)

    def promote(
        self,
        name: str,
        alias: str,
        version: int,
        rules: Sequence[GateRule],
        *,
        actor: str,
        reason: str | None = None,
        workspace: str = DEFAULT_WORKSPACE,
    ) -> ModelVersion:
        """Move `alias` to `version` through the promotion gates `rules`."""
        return self.set_alias(
            name, alias, version, actor=actor, reason=reason, gates=list(rules), workspace=workspace
        )

    def get_or_create_model(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> RegisteredModel:
        with contextlib.suppress(NotFoundError):
            return self.get_model(name, workspace=workspace)
        try:
            return self.create_model(name, workspace=workspace)
        except AlreadyExistsError:
            # Another writer created it between our read and our insert.
            return self.get_model(name, workspace=workspace)
