"""Faithful float encoding: JSON has no NaN or infinity, so they travel as the strings of the
protobuf JSON mapping ("NaN", "Infinity", "-Infinity"), which MLflow clients also understand."""

from __future__ import annotations

import math

_SPECIAL_TO_FLOAT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def float_to_json(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def float_from_json(value: object) -> float:
    """Accept a JSON number or one of the special strings; raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value in _SPECIAL_TO_FLOAT:
            return _SPECIAL_TO_FLOAT[value]
        return float(value)
    raise ValueError(f"not a number: {value!r}")


def as_number(text: str) -> float | None:
    """The numeric value of a param or tag string, if it is a finite number; else None."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
