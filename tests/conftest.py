"""Shared fixtures: real PostgreSQL databases, real servers on loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresDatabase, create_database
from tests.support.server import LiveServer, start_server


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's ~/.opsloop or talks to a server by accident."""
    monkeypatch.setenv("OPSLOOP_HOME", str(tmp_path / "opsloop-home"))
    monkeypatch.delenv("OPSLOOP_URL", raising=False)
    monkeypatch.delenv("OPSLOOP_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    database: PostgresDatabase = create_database(f"opsloop_test_{os.getpid()}")
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real `opsloop up` process on a free loopback port, shared by the API tests."""
    server = start_server(tmp_path_factory.mktemp("server-home"))
    try:
        yield server
    finally:
        server.stop()
