"""Typing a literal for the field it is compared with (see the value rules in `ast`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NoReturn

from opsloop.core.clock import parse_duration_ms, parse_instant_ms
from opsloop.errors import QuerySyntaxError
from opsloop.tracking.query.ast import LIKE_OPS, CompareOp, Field, Value
from opsloop.tracking.query.attributes import ATTRIBUTES, STAGE_NAMES, STATUS_NAMES
from opsloop.tracking.query.lexer import Token

_STATUSES = ", ".join(sorted(STATUS_NAMES))
_STAGES = ", ".join(STAGE_NAMES)


def coerce_value(field: Field, op: CompareOp, token: Token, text: str, op_pos: int) -> Value:
    if op in LIKE_OPS:
        if field.kind == "metric" or (field.kind == "attribute" and ATTRIBUTES[field.key][0] in _TIMES):
            _fail(f"{op} applies to text; {describe(field)} is a number", text, op_pos)
        if token.kind != "string":
            _fail(f"{op} needs a quoted pattern", text, token.pos)
        return token.value
    return _coerce(field, token, text)


def coerce_list(field: Field, tokens: Sequence[Token], text: str, keyword_pos: int) -> tuple[Value, ...]:
    """IN values; for params and tags the list compares numerically only if every value is a
    number, otherwise as text (numbers then keep their source spelling)."""
    if field.kind in ("param", "tag"):
        if all(token.kind == "number" for token in tokens):
            return tuple(float(token.value) for token in tokens)
        return tuple(token.value for token in tokens)
    return tuple(_coerce(field, token, text) for token in tokens)


def describe(field: Field) -> str:
    if field.kind == "attribute":
        return repr(field.key)
    return f"{field.kind} {field.key!r}"


_TIMES = ("instant", "duration")


def _coerce(field: Field, token: Token, text: str) -> Value:
    raw = token.value
    is_number = token.kind == "number"
    if field.kind == "metric":
        number = float(raw) if is_number else _float(raw)
        if number is None:
            _fail(f"metrics compare as numbers; {raw!r} is not a number", text, token.pos)
        return number
    if field.kind in ("param", "tag"):
        return float(raw) if is_number else raw
    kind = ATTRIBUTES[field.key][0]
    if kind == "text":
        if is_number:
            _fail(f"{describe(field)} is text; quote the value: '{raw}'", text, token.pos)
        return raw
    if kind == "status":
        if not is_number and raw.upper() in STATUS_NAMES:
            return raw.upper()
        _fail(f"invalid status {raw!r} (valid: {_STATUSES})", text, token.pos)
    if kind == "stage":
        if not is_number and raw.lower() in STAGE_NAMES:
            return STAGE_NAMES[raw.lower()]
        _fail(f"invalid lifecycle stage {raw!r} (valid: {_STAGES})", text, token.pos)
    if is_number:
        return _int_or_float(raw)
    number = _float(raw)
    if number is not None:
        return _int_or_float(raw.strip()) if math.isfinite(number) else number
    try:
        return parse_instant_ms(raw) if kind == "instant" else parse_duration_ms(raw)
    except ValueError:
        if kind == "instant":
            message = f"invalid date or time {raw!r} (use ISO 8601 like '2026-01-31T12:00:00Z' or epoch ms)"
        else:
            message = f"invalid duration {raw!r} (use milliseconds or e.g. '250ms', '90s', '5m', '2h', '1d')"
        _fail(message, text, token.pos)


def _float(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _int_or_float(raw: str) -> int | float:
    """Times are integers, so an integral number becomes an int (exact, index-friendly)."""
    try:
        return int(raw)
    except ValueError:
        number = float(raw)
    return int(number) if number.is_integer() else number


def _fail(message: str, text: str, position: int) -> NoReturn:
    raise QuerySyntaxError(message, query=text, position=position)
