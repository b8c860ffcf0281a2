"""Health and version."""

from __future__ import annotations

from fastapi import APIRouter

from opsloop.server.deps import StoreDep
from opsloop.server.responses import JsonResponse

router = APIRouter(tags=["system"])


@router.get("/health")
def health(store: StoreDep) -> JsonResponse:
    # Touch the store so a broken database shows as unhealthy, not as a healthy process.
    store.list_experiments()
    return JsonResponse({"status": "ok"})
