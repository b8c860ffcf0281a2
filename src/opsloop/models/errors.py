"""The model package's errors: all bad input (4xx), each with its own stable `code`."""

from __future__ import annotations

from collections.abc import Mapping

from opsloop.errors import InvalidInputError, UnprocessableInputError


class SignatureError(UnprocessableInputError):
    """Input does not match the model's signature. `details` has `missing`, `extra` and
    `mistyped` (lists of column names) and `problems` (column → reason)."""

    code = "signature_mismatch"

    def __init__(
        self,
        *,
        missing: list[str] | None = None,
        extra: list[str] | None = None,
        problems: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        missing, extra, problems = missing or [], extra or [], dict(problems or {})
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if extra:
            parts.append(f"extra columns: {', '.join(extra)}")
        if problems:
            parts.append("mistyped columns: " + "; ".join(f"{k} ({v})" for k, v in problems.items()))
        super().__init__(
            message or "input does not match the model signature: " + "; ".join(parts),
            details={"missing": missing, "extra": extra, "mistyped": list(problems), "problems": problems},
        )


class UntrustedModelError(InvalidInputError):
    """Loading would run code or use types nobody vouched for; `details["untrusted_types"]`."""

    code = "untrusted_model"

    def __init__(self, message: str, *, untrusted_types: list[str]) -> None:
        super().__init__(message, details={"untrusted_types": untrusted_types})
        self.untrusted_types = untrusted_types


class ModelIntegrityError(InvalidInputError):
    """A model package's files do not match the sha256 sums in its manifest."""

    code = "model_tampered"


class MissingDependencyError(InvalidInputError):
    """A flavor's library is not installed; the message names the extra to install."""

    code = "missing_dependency"

    def __init__(self, library: str, extra: str) -> None:
        super().__init__(
            f"this model needs {library}: pip install 'opsloop[{extra}]'",
            details={"library": library, "extra": extra},
        )
