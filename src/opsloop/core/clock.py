"""Time helpers. opsloop stores instants as integer epoch milliseconds, as MLflow does."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return int(time.time() * 1000)


def ms_to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_instant_ms(text: str) -> int:
    """Parse an ISO-8601 date or datetime (naive means UTC) into epoch milliseconds."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


_DURATION_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration_ms(text: str) -> int:
    """Parse '250ms', '90s', '5m', '2h' or '1d' into milliseconds."""
    stripped = text.strip().lower()
    for unit in ("ms", "s", "m", "h", "d"):
        if stripped.endswith(unit):
            number = stripped[: -len(unit)].strip()
            try:
                return int(float(number) * _DURATION_UNITS_MS[unit])
            except ValueError:
                break
    raise ValueError(f"not a duration: {text!r} (use e.g. '90s', '5m', '2h')")
