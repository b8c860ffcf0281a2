"""Every `TrackingStore` implementation behind one `backend` fixture.

The SQL stores and the server are shared by the whole session (building them is the slow part);
each test gets a workspace of its own, and experiments and run search are workspace-scoped, so
tests never see each other's data. The in-memory store is simply made fresh for every test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import LiveServer

from opsloop.client.http_store import HttpTrackingStore
from opsloop.storage.database import Database
from opsloop.storage.migrations import upgrade
from opsloop.tracking.artifacts import RunArtifacts
from opsloop.tracking.entities import ArtifactInfo, Experiment, Run, RunInfo, RunPage
from opsloop.tracking.memory_store import InMemoryTrackingStore
from opsloop.tracking.sql_store import SqlTrackingStore
from opsloop.tracking.store import TrackingStore

BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    "http",
]


def new_workspace() -> str:
    return f"t{uuid.uuid4().hex[:20]}"


@dataclass
class Backend:
    """One store plus the workspace of the running test, with shorthands for the common calls."""

    kind: str
    store: TrackingStore
    workspace: str
    _default_experiment: Experiment | None = field(default=None, repr=False)

    def experiment(self, name: str = "exp", **kwargs: Any) -> Experiment:
        return self.store.create_experiment(name, workspace=self.workspace, **kwargs)

    def default_experiment(self) -> Experiment:
        if self._default_experiment is None:
            self._default_experiment = self.experiment("default-exp")
        return self._default_experiment

    def run(self, experiment_id: str | None = None, **kwargs: Any) -> RunInfo:
        return self.store.create_run(experiment_id or self.default_experiment().id, **kwargs)

    def search(self, **kwargs: Any) -> RunPage:
        return self.store.search_runs(workspace=self.workspace, **kwargs)

    def search_all(self, *, page_size: int, **kwargs: Any) -> list[Run]:
        """Every page of a search, following cursors."""
        found: list[Run] = []
        cursor = None
        for _ in range(10_000):
            page = self.search(max_results=page_size, cursor=cursor, **kwargs)
            assert len(page.runs) <= page_size
            found.extend(page.runs)
            cursor = page.next_cursor
            if cursor is None:
                return found
            assert page.runs, "a page with a next cursor must not be empty"
        raise AssertionError("pagination did not end")

    def upload(self, run_id: str, path: str, data: bytes) -> ArtifactInfo:
        """Store an artifact file the way this backend's users do (the server indexes its own)."""
        if isinstance(self.store, HttpTrackingStore):
            return self.store.upload_artifact(run_id, path, [data])
        return RunArtifacts(self.store).upload(run_id, path, [data])


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlTrackingStore]:
    root = tmp_path_factory.mktemp("sqlite-store")
    database = Database.from_url(f"sqlite:///{(root / 'opsloop.db').as_posix()}")
    upgrade(database)
    store = SqlTrackingStore(database, str(root / "artifacts"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgres_store(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlTrackingStore]:
    database = Database.from_url(postgres_url)
    upgrade(database)
    store = SqlTrackingStore(database, str(tmp_path_factory.mktemp("postgres-artifacts")))
    yield store
    store.close()


@pytest.fixture
def workspace() -> str:
    return new_workspace()


def _open(
    kind: str, request: pytest.FixtureRequest, workspace: str, tmp_path: Path
) -> tuple[TrackingStore, bool]:
    """The store for `kind`, and whether this test owns it (and must close it)."""
    if kind == "memory":
        return InMemoryTrackingStore(artifact_root=f"memory://{workspace}"), True
    if kind == "sqlite":
        return request.getfixturevalue("sqlite_store"), False
    if kind == "postgres":
        return request.getfixturevalue("postgres_store"), False
    server: LiveServer = request.getfixturevalue("live_server")
    return HttpTrackingStore(server.url, workspace=workspace), True


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, workspace: str, tmp_path: Path) -> Iterator[Backend]:
    store, owned = _open(request.param, request, workspace, tmp_path)
    try:
        yield Backend(request.param, store, workspace)
    finally:
        if owned:
            store.close()
