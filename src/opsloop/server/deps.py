"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from opsloop.errors import InvalidInputError
from opsloop.tracking.artifacts import RunArtifacts
from opsloop.tracking.store import DEFAULT_WORKSPACE, TrackingStore
from opsloop.tracking.validation import validate_workspace


def get_store(request: Request) -> TrackingStore:
    store: TrackingStore = request.app.state.store
    return store


def get_artifacts(request: Request) -> RunArtifacts:
    artifacts: RunArtifacts = request.app.state.artifacts
    return artifacts


def get_workspace(x_opsloop_workspace: Annotated[str | None, Header()] = None) -> str:
    workspace = x_opsloop_workspace or DEFAULT_WORKSPACE
    try:
        return validate_workspace(workspace)
    except InvalidInputError as exc:
        exc.details["field"] = "X-Opsloop-Workspace"
        raise


StoreDep = Annotated[TrackingStore, Depends(get_store)]
ArtifactsDep = Annotated[RunArtifacts, Depends(get_artifacts)]
WorkspaceDep = Annotated[str, Depends(get_workspace)]
