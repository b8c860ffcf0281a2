"""Every `RegistryStore` implementation behind one `registry` fixture.

The SQL stores are shared by the whole session; each test gets a workspace of its own, and
everything in the registry is workspace-scoped, so tests never see each other's data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from opsloop.registry.entities import ModelVersion, RegisteredModel
from opsloop.registry.memory_store import InMemoryRegistryStore
from opsloop.registry.sql_store import SqlRegistryStore
from opsloop.registry.store import RegistryStore
from opsloop.storage.database import Database
from opsloop.storage.migrations import upgrade

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Registry:
    """One store plus the workspace of the running test, with shorthands for the common calls."""

    kind: str
    store: RegistryStore
    workspace: str

    def model(self, name: str = "fraud", **kwargs: Any) -> RegisteredModel:
        return self.store.create_model(name, workspace=self.workspace, **kwargs)

    def version(self, name: str = "fraud", **kwargs: Any) -> ModelVersion:
        kwargs.setdefault("source_uri", "runs:/0123/model")
        kwargs.setdefault("storage_uri", f"file:///registry/{name}/v")
        kwargs.setdefault("files", {"model.skops": sha("model"), "opsloop-model.yaml": sha("manifest")})
        return self.store.create_version(name, workspace=self.workspace, **kwargs)


@pytest.fixture(scope="session")
def registry_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlRegistryStore]:
    root: Path = tmp_path_factory.mktemp("registry-sqlite")
    database = Database.from_url(f"sqlite:///{(root / 'opsloop.db').as_posix()}")
    upgrade(database)
    store = SqlRegistryStore(database)
    yield store
    store.close()


@pytest.fixture(scope="session")
def registry_postgres(postgres_url: str) -> Iterator[SqlRegistryStore]:
    database = Database.from_url(postgres_url)
    upgrade(database)
    store = SqlRegistryStore(database)
    yield store
    store.close()


@pytest.fixture(params=BACKENDS)
def registry(request: pytest.FixtureRequest) -> Registry:
    workspace = f"r{uuid.uuid4().hex[:20]}"
    store: RegistryStore
    if request.param == "memory":
        store = InMemoryRegistryStore()
    else:
        store = request.getfixturevalue(f"registry_{request.param}")
    return Registry(request.param, store, workspace)
