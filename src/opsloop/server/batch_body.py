"""A hand-written reader for `POST /runs/{id}/batch`, the ingest hot path.

Pydantic validation of a 1,000-point batch costs about as much as storing it; this reader does
the same checks on the orjson-parsed body in a fraction of the time, with errors that name the
field (`metrics[3].value`). The `LogBatch` pydantic model stays the documented schema.
"""

from __future__ import annotations

from typing import Any

import orjson

from opsloop.core.floats import float_from_json
from opsloop.errors import InvalidInputError
from opsloop.tracking.entities import Metric

_METRIC_FIELDS = frozenset(("key", "value", "step", "timestamp"))
_BODY_FIELDS = frozenset(("metrics", "params", "tags"))
_VALUE_RULE = "must be a number, 'NaN', 'Infinity' or '-Infinity'"


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details={"field": field})


def _string_map(body: dict[str, Any], name: str) -> dict[str, str]:
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise _bad(name, "must be an object of strings")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _bad(f"{name}.{key}", "must be a string")
    return value


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, "must be an integer")
    return value


def _read_point(point: Any, index: int, now: int) -> Metric:
    """The general path: defaults, special float spellings, and an error naming the bad field."""
    if not isinstance(point, dict):
        raise _bad(f"metrics[{index}]", "must be an object with key, value, step, timestamp")
    if "key" not in point or "value" not in point:
        missing = "key" if "key" not in point else "value"
        raise _bad(f"metrics[{index}].{missing}", "field required")
    if not _METRIC_FIELDS.issuperset(point):
        unknown = sorted(set(point) - _METRIC_FIELDS)[0]
        raise _bad(f"metrics[{index}].{unknown}", "unknown field")
    key = point["key"]
    if not isinstance(key, str):
        raise _bad(f"metrics[{index}].key", "must be a string")
    try:
        value = float_from_json(point["value"])
    except ValueError as exc:
        raise _bad(f"metrics[{index}].value", _VALUE_RULE) from exc
    step = point.get("step")
    timestamp = point.get("timestamp")
    return Metric(
        key,
        value,
        0 if step is None else _integer(step, f"metrics[{index}].step"),
        now if timestamp is None else _integer(timestamp, f"metrics[{index}].timestamp"),
    )


def read_log_batch(raw: bytes, now: int) -> tuple[list[Metric], dict[str, str], dict[str, str]]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _bad("body", f"not valid JSON ({exc})") from exc
    if not isinstance(body, dict):
        raise _bad("body", "must be a JSON object")
    extra = set(body) - _BODY_FIELDS
    if extra:
        raise _bad(sorted(extra)[0], "unknown field (expected metrics, params, tags)")
    points = body.get("metrics") or []
    if not isinstance(points, list):
        raise _bad("metrics", "must be a list")
    metrics: list[Metric] = []
    append = metrics.append
    for index, point in enumerate(points):
        # Fast path: a complete point of the exact types, which is what every client sends.
        if type(point) is dict and point.keys() == _METRIC_FIELDS:
            key, value, step, timestamp = point["key"], point["value"], point["step"], point["timestamp"]
            if type(key) is str and type(value) is float and type(step) is int and type(timestamp) is int:
                append(Metric(key, value, step, timestamp))
                continue
        append(_read_point(point, index, now))
    return metrics, _string_map(body, "params"), _string_map(body, "tags")
