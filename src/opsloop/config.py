"""One settings object, read from `OPSLOOP_*` environment variables; CLI flags override it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".opsloop"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSLOOP_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Root of the embedded default.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in home.")
    artifact_root: str | None = Field(default=None, description="Artifact folder; default home/artifacts.")
    host: str = "127.0.0.1"
    port: int = 8750
    url: str | None = Field(default=None, description="A server to talk to; unset means embedded store.")
    workspace: str = "default"
    max_request_bytes: int = 64 * 1024 * 1024
    log_level: str = "info"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'opsloop.db').as_posix()}"

    def resolved_artifact_root(self) -> str:
        return self.artifact_root or str(self.home / "artifacts")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment with explicit (non-None) overrides from flags."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**clean)  # type: ignore[arg-type]
