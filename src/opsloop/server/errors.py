"""One JSON error shape for every failure: `{"error": {"code", "message", "details"}}`.

Each error class maps to one HTTP status. A 500 is always a bug: it is logged with its traceback
and answered without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsloop import errors
from opsloop.server.responses import JsonResponse

logger = logging.getLogger("opsloop.server")

STATUS_BY_ERROR: dict[type[errors.OpsloopError], int] = {
    errors.UnprocessableInputError: 422,  # e.g. columns that do not fit a model's signature
    errors.QuerySyntaxError: 400,
    errors.PathEscapeError: 400,
    errors.InvalidInputError: 400,
    errors.NotFoundError: 404,
    errors.AlreadyExistsError: 409,
    errors.ConflictError: 409,
    errors.PayloadTooLargeError: 413,
    errors.StoreUnavailableError: 503,
}


def status_for(error: errors.OpsloopError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_opsloop_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, errors.OpsloopError)
    status = status_for(exc)
    if status == 500:
        logger.exception("internal error", exc_info=exc)
    return JsonResponse(error_body(exc.code, exc.message, exc.details), status_code=status)


async def _on_validation_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for problem in exc.errors():
        if problem.get("type") == "json_invalid":
            # FastAPI's location is ("body", byte offset): name the body, keep the offset in the message.
            position = (problem.get("loc") or ("body", "?"))[-1]
            reason = (problem.get("ctx") or {}).get("error", "invalid JSON")
            problems.append({"field": "body", "message": f"not valid JSON ({reason} at byte {position})"})
            continue
        field = _field_name(problem.get("loc", ()))
        problems.append({"field": field, "message": str(problem.get("msg", "invalid"))})
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return JsonResponse(
        error_body("invalid_input", message, {"field": first["field"], "problems": problems[:20]}),
        status_code=422,
    )


async def _on_http_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
        exc.status_code, "http_error"
    )
    return JsonResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


async def _on_unexpected(_request: Request, exc: Exception) -> JsonResponse:
    logger.exception("unhandled error", exc_info=exc)
    return JsonResponse(
        error_body("internal_error", "internal server error (this is a bug)"), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.OpsloopError, _on_opsloop_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
