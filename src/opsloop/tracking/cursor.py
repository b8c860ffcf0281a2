"""Opaque keyset cursors for run search, shared by every store.

A cursor holds the sort values and id of the last run of a page, and a fingerprint of the query
so that a cursor is never silently applied to a different query.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from opsloop.core.floats import float_from_json, float_to_json
from opsloop.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Cursor:
    values: list[Any]
    last_id: str


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps([str(part) for part in parts])).hexdigest()[:16]


def _encode_value(value: Any) -> Any:
    # JSON has no infinity (orjson would write null, which means "missing" here).
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": float_to_json(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        return float_from_json(value["$float"])
    return value


def encode_cursor(values: Sequence[Any], last_id: str, fingerprint: str) -> str:
    payload = orjson.dumps({"v": [_encode_value(value) for value in values], "id": last_id, "q": fingerprint})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(text: str, fingerprint: str) -> Cursor:
    try:
        padded = text + "=" * (-len(text) % 4)
        payload = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        values, last_id, query = [_decode_value(item) for item in payload["v"]], payload["id"], payload["q"]
        if not isinstance(values, list) or not isinstance(last_id, str):
            raise TypeError("malformed")
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise InvalidInputError("cursor is not one this server issued", details={"field": "cursor"}) from exc
    if query != fingerprint:
        raise InvalidInputError(
            "cursor belongs to a different query (filter, order or experiments changed)",
            details={"field": "cursor"},
        )
    return Cursor(values=values, last_id=last_id)
