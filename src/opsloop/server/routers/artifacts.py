"""Run artifacts: list, streamed upload (PUT) and streamed download (GET)."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator

import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from opsloop.server.deps import ArtifactsDep
from opsloop.server.responses import JsonResponse
from opsloop.server.schemas import ArtifactList, ArtifactPublic
from opsloop.storage.artifacts import clean_relative_path
from opsloop.tracking.entities import ArtifactInfo
from opsloop.tracking.serialize import artifact_json

router = APIRouter(prefix="/api/v1/runs/{run_id}/artifacts", tags=["artifacts"])
UPLOAD_MARKER = "/artifacts/files/"


@router.get("", response_model=ArtifactList)
def list_artifacts(
    run_id: str, artifacts: ArtifactsDep, path: str = "", recursive: bool = False
) -> JsonResponse:
    found = artifacts.walk(run_id, path) if recursive else artifacts.list(run_id, path)
    return JsonResponse({"artifacts": [artifact_json(item) for item in found]})


@router.put("/files/{path:path}", status_code=201, response_model=ArtifactPublic)
async def upload_artifact(run_id: str, path: str, request: Request, artifacts: ArtifactsDep) -> JsonResponse:
    relative = clean_relative_path(path, allow_empty=False)
    body = request.stream().__aiter__()

    async def next_chunk() -> bytes:
        return await body.__anext__()

    def chunks() -> Iterator[bytes]:
        # Runs in a worker thread: pull each chunk from the event loop as the file is written,
        # so an upload of any size holds one chunk in memory at a time.
        while True:
            try:
                chunk = anyio.from_thread.run(next_chunk)
            except StopAsyncIteration:
                return
            if chunk:
                yield chunk

    def write() -> ArtifactInfo:
        return artifacts.upload(run_id, relative, chunks())

    info = await anyio.to_thread.run_sync(write)
    return JsonResponse(artifact_json(info), status_code=201)


@router.get("/files/{path:path}")
def download_artifact(run_id: str, path: str, artifacts: ArtifactsDep) -> StreamingResponse:
    stream = artifacts.read(run_id, path)  # raises before the response starts: a clean 4xx
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    filename = path.rsplit("/", 1)[-1]
    return StreamingResponse(
        stream, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
