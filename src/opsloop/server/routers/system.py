"""Health and version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import ORJSONResponse

from opsloop.server.deps import StoreDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health(store: StoreDep) -> ORJSONResponse:
    # Touch the store so a broken database shows as unhealthy, not as a healthy process.
    store.list_experiments()
    return ORJSONResponse({"status": "ok"})
