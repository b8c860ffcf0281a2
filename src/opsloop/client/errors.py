"""Turn the server's JSON error bodies back into the exception tree, so code behaves the same
against a server as against the embedded store."""

from __future__ import annotations

import httpx

from opsloop import errors

_BY_CODE: dict[str, type[errors.OpsloopError]] = {
    cls.code: cls
    for cls in (
        errors.InvalidInputError,
        errors.NotFoundError,
        errors.AlreadyExistsError,
        errors.ConflictError,
        errors.PathEscapeError,
        errors.PayloadTooLargeError,
        errors.StoreUnavailableError,
    )
}


def raise_for_response(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()["error"]
        code, message, details = str(body["code"]), str(body["message"]), dict(body.get("details") or {})
    except (ValueError, KeyError, TypeError):
        code, message, details = "http_error", f"HTTP {response.status_code}: {response.text[:200]}", {}
    if code == errors.QuerySyntaxError.code:
        raise errors.QuerySyntaxError(
            str(details.get("reason", message)),
            query=str(details.get("query", "")),
            position=int(details.get("position", 0)),
        )
    if response.status_code >= 500:
        cls: type[errors.OpsloopError] = (
            errors.StoreUnavailableError if response.status_code in (502, 503, 504) else errors.OpsloopError
        )
    else:
        cls = _BY_CODE.get(code, errors.InvalidInputError)
    error = cls(message, details=details)
    error.details.setdefault("status", response.status_code)
    raise error
