"""The FastAPI application: one router per domain, one error shape, size limits."""

from __future__ import annotations

from fastapi import FastAPI

from opsloop import __version__
from opsloop.config import Settings
from opsloop.server.errors import install_error_handlers
from opsloop.server.limits import BodySizeLimit
from opsloop.server.routers import artifacts, experiments, runs, system
from opsloop.tracking.artifacts import RunArtifacts
from opsloop.tracking.store import TrackingStore

MAX_ARTIFACT_BYTES = 50 * 1024**3


def create_app(store: TrackingStore, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="opsloop",
        version=__version__,
        description="Experiment tracking, model registry and serving, and AIOps, in one platform.",
    )
    app.state.store = store
    app.state.artifacts = RunArtifacts(store)
    app.state.settings = settings
    install_error_handlers(app)
    for router in (system.router, experiments.router, runs.router, artifacts.router):
        app.include_router(router)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        max_stream_bytes=MAX_ARTIFACT_BYTES,
        streaming_marker=artifacts.UPLOAD_MARKER,
    )
    return app
