"""Opaque keyset cursors for run search, shared by every store.

A cursor holds the sort values and id of the last run of a page, and a fingerprint of the query
so that a cursor is never silently applied to a different query.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from opsloop.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Cursor:
    values: list[Any]
    last_id: str


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps([str(part) for part in parts])).hexdigest()[:16]


def encode_cursor(values: Sequence[Any], last_id: str, fingerprint: str) -> str:
    payload = orjson.dumps({"v": list(values), "id": last_id, "q": fingerprint})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(text: str, fingerprint: str) -> Cursor:
    try:
        padded = text + "=" * (-len(text) % 4)
        payload = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        values, last_id, query = payload["v"], payload["id"], payload["q"]
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
