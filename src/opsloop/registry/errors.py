"""Registry errors that carry more than the shared exception tree's classes."""

from __future__ import annotations

from typing import Any

from opsloop.errors import ConflictError


class GateFailedError(ConflictError):
    """A promotion was refused: `details["failed"]` lists every failed check, with the
    observed and the required value of each. Nothing moved; the refusal is in the audit log."""

    code = "gate_failed"

    def __init__(self, message: str, *, failed: list[dict[str, Any]], details: dict[str, Any]) -> None:
        super().__init__(message, details={**details, "failed": failed})
        self.failed = failed
