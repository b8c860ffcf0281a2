"""Defaults and limits of run search, shared by every store."""

from __future__ import annotations

from collections.abc import Sequence

from opsloop.errors import InvalidInputError

DEFAULT_ORDER = ("start_time DESC",)
MAX_RESULTS_LIMIT = 10_000


def normalized_order_by(order_by: Sequence[str] | None) -> list[str]:
    items = [item.strip() for item in (order_by or ()) if item and item.strip()]
    return items or list(DEFAULT_ORDER)


def validate_max_results(max_results: int) -> None:
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise InvalidInputError(
            f"max_results must be between 1 and {MAX_RESULTS_LIMIT}", details={"field": "max_results"}
        )
