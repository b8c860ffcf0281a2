"""The one exception tree of opsloop.

Every error a user can cause is an `OpsloopError` with a stable `code`; the server maps each
class to one HTTP status (see `server/errors.py`) with the body
`{"error": {"code", "message", "details"}}`, and the CLI prints `message` on one line.
Foreign exceptions (SQLAlchemy, OS, httpx) are translated at the boundary that meets them.
"""

from __future__ import annotations

from typing import Any


class OpsloopError(Exception):
    code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class InvalidInputError(OpsloopError):
    """The request is malformed or a field has a bad value. `details["field"]` names the field."""

    code = "invalid_input"


class UnprocessableInputError(InvalidInputError):
    """Well-formed input that does not fit what it is for (e.g. columns a model does not take)."""

    code = "unprocessable_input"


class QuerySyntaxError(InvalidInputError):
    """A filter or order-by expression does not parse. `details["position"]` is 0-based."""

    code = "invalid_query"

    def __init__(self, message: str, *, query: str, position: int) -> None:
        pointer = " " * position + "^"
        super().__init__(
            f"{message} at position {position}\n  {query}\n  {pointer}",
            details={"position": position, "query": query, "reason": message},
        )
        self.position = position
        self.reason = message


class NotFoundError(OpsloopError):
    code = "not_found"


class AlreadyExistsError(OpsloopError):
    code = "already_exists"


class ConflictError(OpsloopError):
    """A write contradicts stored state, e.g. re-logging a param with a different value."""

    code = "conflict"


class PathEscapeError(InvalidInputError):
    """An artifact path tries to leave its run's root (`..`, absolute path or symlink)."""

    code = "invalid_path"


class PayloadTooLargeError(OpsloopError):
    code = "payload_too_large"


class StoreUnavailableError(OpsloopError):
    """The metadata store or the server cannot be reached; safe to retry."""

    code = "unavailable"


class DeliveryError(OpsloopError):
    """Buffered tracking data could not be delivered after retries."""

    code = "delivery_failed"
