"""Prediction request bodies: opsloop's own shapes and every shape MLflow's `/invocations` takes,
so existing clients work unchanged.

| body | meaning |
|---|---|
| `[{"a": 1, "b": 2}, ...]` | records |
| `{"columns": ["a", "b"], "data": [[1, 2], ...]}` | columnar |
| `{"dataframe_split": {"columns": [...], "data": [[...]], "index": [...]}}` | MLflow, pandas split |
| `{"dataframe_records": [{...}, ...]}` | MLflow, records |
| `{"instances": [...]}` | MLflow / TF-Serving: records, rows or scalars |
| `{"inputs": {...} or [...]}` | MLflow / TF-Serving: columns, or rows |

Every refusal is an `InvalidInputError` that says which shape was expected and what is wrong;
the server answers it with a 4xx, never a 500. Checking the columns against the model's
signature is the model's job (`LoadedModel.predict`), not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import InvalidInputError

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
MAX_ROWS = 100_000


class PayloadError(InvalidInputError):
    code = "invalid_payload"


def _bad(message: str, field: str = "body") -> PayloadError:
    return PayloadError(message, details={"field": field})


def parse_payload(body: Any) -> pd.DataFrame | np.ndarray:
    """The model input a request body holds: a DataFrame for named columns, an array for rows
    without names (a tensor)."""
    if isinstance(body, list):
        return _rows(body, "body")
    if not isinstance(body, Mapping):
        raise _bad("the body must be a JSON list of records or an object (see the serving docs)")
    present = [key for key in MLFLOW_KEYS if key in body]
    if len(present) > 1:
        raise _bad(f"give exactly one of {', '.join(MLFLOW_KEYS)}; got {', '.join(present)}")
    if present:
        key = present[0]
        extra = set(body) - {key, "params"}
        if extra:
            raise _bad(f"unknown field {sorted(extra)[0]!r} next to {key!r}", sorted(extra)[0])
        return _PARSERS[key](body[key], key)
    if "columns" in body or "data" in body:
        return _split(body, "body")
    raise _bad(
        "unrecognised body: expected records, {'columns', 'data'}, or one of " + ", ".join(MLFLOW_KEYS)
    )


def _split(value: Any, field: str) -> pd.DataFrame:
    if not isinstance(value, Mapping):
        raise _bad(f"{field} must be an object with 'columns' and 'data'", field)
    extra = set(value) - {"columns", "data", "index"}
    if extra:
        raise _bad(f"{field}: unknown field {sorted(extra)[0]!r}", f"{field}.{sorted(extra)[0]}")
    columns, data = value.get("columns"), value.get("data")
    if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
        raise _bad(f"{field}.columns must be a list of column names", f"{field}.columns")
    if len(set(columns)) != len(columns):
        raise _bad(f"{field}.columns names a column twice", f"{field}.columns")
    if not isinstance(data, list):
        raise _bad(f"{field}.data must be a list of rows", f"{field}.data")
    _check_size(data, f"{field}.data")
    for index, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise _bad(
                f"{field}.data[{index}] must be a list of {len(columns)} values, one per column",
                f"{field}.data[{index}]",
            )
    return pd.DataFrame(data, columns=columns)


def _records(value: Any, field: str) -> pd.DataFrame:
    if not isinstance(value, list):
        raise _bad(f"{field} must be a list of records", field)
    _check_size(value, field)
    for index, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise _bad(f"{field}[{index}] must be an object of column: value", f"{field}[{index}]")
    return pd.DataFrame.from_records(value)


def _rows(value: Any, field: str) -> pd.DataFrame | np.ndarray:
    """A list of records (named columns) or of rows / scalars (a tensor)."""
    if not isinstance(value, list):
        raise _bad(f"{field} must be a list", field)
    if not value:
        raise _bad(f"{field} holds no rows", field)
    if all(isinstance(row, Mapping) for row in value):
        return _records(value, field)
    if any(isinstance(row, Mapping) for row in value):
        raise _bad(f"{field} mixes records and rows", field)
    _check_size(value, field)
    return _tensor(value, field)


def _columns_or_rows(value: Any, field: str) -> pd.DataFrame | np.ndarray:
    """`inputs`: a dict of columns, or rows like `instances`."""
    if isinstance(value, Mapping):
        if not value:
            raise _bad(f"{field} holds no columns", field)
        lengths = {len(column) if isinstance(column, list) else 1 for column in value.values()}
        if len(lengths) > 1:
            raise _bad(f"{field}: every column must have the same number of values", field)
        columns = {name: column if isinstance(column, list) else [column] for name, column in value.items()}
        _check_size(next(iter(columns.values()), []), field)
        return pd.DataFrame(columns)
    return _rows(value, field)


def _tensor(value: list[Any], field: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError as exc:  # ragged rows
        raise _bad(f"{field}: rows must all have the same length", field) from exc
    if array.dtype == object:
        raise _bad(f"{field}: rows must all have the same length and hold numbers or strings", field)
    return array


def _check_size(rows: list[Any], field: str) -> None:
    if len(rows) > MAX_ROWS:
        raise _bad(f"{field}: at most {MAX_ROWS} rows per request, got {len(rows)}", field)


_PARSERS = {
    "dataframe_split": _split,
    "dataframe_records": _records,
    "instances": _rows,
    "inputs": _columns_or_rows,
}


def predictions_json(predictions: Any) -> dict[str, Any]:
    """`{"predictions": [...]}`, as MLflow answers, from an array, Series or DataFrame."""
    if isinstance(predictions, pd.DataFrame):
        return {"predictions": predictions.to_dict("records")}
    if isinstance(predictions, pd.Series):
        return {"predictions": predictions.tolist()}
    return {"predictions": np.asarray(predictions).tolist()}
