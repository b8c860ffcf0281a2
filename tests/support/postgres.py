"""Real PostgreSQL for tests: the server on 127.0.0.1:5432 (trust auth), a database per session."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg

ADMIN_URL = os.environ.get("OPSLOOP_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class PostgresDatabase:
    name: str

    @property
    def url(self) -> str:
        base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{self.name}"

    def drop(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def create_database(name: str) -> PostgresDatabase:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PostgresDatabase(name)
