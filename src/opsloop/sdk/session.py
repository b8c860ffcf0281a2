"""The SDK's connection: a tracking store (a server's, or the embedded one), its background
logger and its artifact transport. One per process, made on first use or by `connect()`."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable
from pathlib import Path

from opsloop.client.http_store import HttpTrackingStore
from opsloop.config import Settings, load_settings
from opsloop.sdk.background import BackgroundLogger
from opsloop.tracking.artifacts import RunArtifacts
from opsloop.tracking.entities import ArtifactInfo
from opsloop.tracking.factory import open_store
from opsloop.tracking.store import TrackingStore


class Session:
    def __init__(self, store: TrackingStore, workspace: str) -> None:
        self.store = store
        self.workspace = workspace
        self.logger = BackgroundLogger(store)

    @classmethod
    def from_settings(cls, settings: Settings) -> Session:
        if settings.url:
            return cls(HttpTrackingStore(settings.url, workspace=settings.workspace), settings.workspace)
        return cls(open_store(settings), settings.workspace)

    def upload(self, run_id: str, path: str, chunks: Iterable[bytes]) -> ArtifactInfo:
        if isinstance(self.store, HttpTrackingStore):
            return self.store.upload_artifact(run_id, path, chunks)
        return RunArtifacts(self.store).upload(run_id, path, chunks)

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        if isinstance(self.store, HttpTrackingStore):
            return self.store.list_artifacts(run_id, path)
        return RunArtifacts(self.store).list(run_id, path)

    def download_artifacts(self, run_id: str, path: str, destination: Path) -> list[Path]:
        if isinstance(self.store, HttpTrackingStore):
            files = [item.path for item in self.store.list_artifacts(run_id, path, recursive=True)]
            if not files and path:
                files = [path]
            base = path.rsplit("/", 1)[0] if files == [path] and "/" in path else path
            return [
                self.store.download_artifact(
                    run_id, file, destination / (file[len(base) :].lstrip("/") if base else file)
                )
                for file in files
            ]
        return RunArtifacts(self.store).download(run_id, path, destination)

    def close(self) -> None:
        try:
            self.logger.close()
        finally:
            self.store.close()


_lock = threading.Lock()
_current: Session | None = None


def current() -> Session:
    global _current
    with _lock:
        if _current is None:
            _current = Session.from_settings(load_settings())
        return _current


def connect(
    url: str | None = None, *, workspace: str | None = None, database_url: str | None = None
) -> Session:
    """Point the SDK at a server (`url`), or at an embedded store (`database_url`, or neither
    for the default under OPSLOOP_HOME). Replaces the previous connection."""
    global _current
    settings = load_settings(url=url, workspace=workspace, database_url=database_url)
    if url is None:
        settings.url = None
    session = Session.from_settings(settings)
    with _lock:
        previous, _current = _current, session
    if previous is not None:
        previous.close()
    return session


@atexit.register
def _flush_at_exit() -> None:
    if _current is not None:
        try:
            _current.logger.flush(timeout_s=30)
        except Exception as error:
            print(f"opsloop: {error}")
