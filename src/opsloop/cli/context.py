"""The tracking store a CLI command talks to: a server when --url / OPSLOOP_URL is given,
otherwise the embedded store under OPSLOOP_HOME."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.client.http_store import HttpTrackingStore
from opsloop.config import load_settings
from opsloop.tracking.factory import open_store
from opsloop.tracking.store import TrackingStore


def open_cli_store(url: str | None = None, workspace: str | None = None) -> tuple[TrackingStore, str]:
    settings = load_settings(url=url, workspace=workspace)
    if settings.url:
        return HttpTrackingStore(settings.url, workspace=settings.workspace), settings.workspace
    return open_store(settings), settings.workspace


UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="OPSLOOP_URL", help="opsloop server; unset means the embedded store."),
]
WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", envvar="OPSLOOP_WORKSPACE", help="Workspace.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
