"""Request-size limits, enforced while the body streams in (a missing or false Content-Length
cannot get around them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from fastapi import HTTPException

from opsloop.server.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(HTTPException):
    """Raised inside the app while reading the body; the HTTP error handler answers 413.

    An HTTPException, not an OpsloopError: FastAPI re-raises HTTPExceptions met while it reads a
    request body but turns any other error into "400 error parsing the body"."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body is larger than {limit} bytes")


class BodySizeLimit:
    """Refuse bodies over `max_bytes` with 413, except paths under `streaming_prefixes` that
    stream to disk (artifact uploads), which get `max_stream_bytes`."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_stream_bytes: int = 0, streaming_marker: str | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_stream_bytes = max_stream_bytes
        self.streaming_marker = streaming_marker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        streaming = self.streaming_marker is not None and self.streaming_marker in scope.get("path", "")
        limit = self.max_stream_bytes if streaming else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _reply_413(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply_413(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply_413(send: Send, limit: int) -> None:
    body = orjson.dumps(
        error_body("payload_too_large", f"request body is larger than {limit} bytes", {"limit": limit})
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
