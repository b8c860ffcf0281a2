"""Identifiers: 32-hex-digit ids, sortable by creation time (like MLflow's run ids, but ordered)."""

from __future__ import annotations

import os
import re
import time

_HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def new_id() -> str:
    """A 128-bit id: 48 bits of milliseconds then 80 random bits, as 32 lowercase hex digits.

    Time-ordered ids keep B-tree inserts local (fast bulk creation) and make `ORDER BY id`
    a stable creation-order tie-breaker for pagination.
    """
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    return f"{millis:012x}{os.urandom(10).hex()}"


def is_valid_id(value: str) -> bool:
    return bool(_HEX_ID.match(value))
