"""Dataset metadata from a DataFrame or array: digest, schema, row count, per-column profile and
a small preview (what Neptune keeps), computed on the client so no data leaves it."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import InvalidInputError
from opsloop.tracking.entities import DatasetInput

PREVIEW_ROWS = 5
TOP_VALUES = 5


def to_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, np.ndarray):
        array = data.reshape(-1, 1) if data.ndim == 1 else data
        if array.ndim != 2:
            raise InvalidInputError("a dataset array must be 1- or 2-dimensional", details={"field": "data"})
        return pd.DataFrame(array, columns=[f"col_{index}" for index in range(array.shape[1])])
    if isinstance(data, list | dict):
        return pd.DataFrame(data)
    raise InvalidInputError(
        f"cannot log a dataset of type {type(data).__name__}: give a DataFrame, Series, array, list or dict",
        details={"field": "data"},
    )


def digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    content = hashlib.sha256(hashed.tobytes())
    content.update(",".join(map(str, frame.columns)).encode())
    return content.hexdigest()[:16]


def _json_safe(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def profile(frame: pd.DataFrame) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        stats: dict[str, Any] = {
            "dtype": str(column.dtype),
            "count": int(column.count()),
            "missing": int(column.isna().sum()),
        }
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            described = column.describe()
            for key in ("mean", "std", "min", "25%", "50%", "75%", "max"):
                if key in described:
                    stats[key.replace("%", "th")] = _json_safe(described[key])
        else:
            counts = column.astype("string").value_counts().head(TOP_VALUES)
            stats["unique"] = int(column.nunique())
            stats["top"] = {str(key): int(value) for key, value in counts.items()}
        columns[str(name)] = stats
    return {"columns": columns}


def describe(
    data: Any,
    *,
    name: str,
    context: str | None = None,
    source: str | None = None,
    tags: dict[str, str] | None = None,
) -> DatasetInput:
    frame = to_frame(data)
    preview = [
        {str(key): _json_safe(value) for key, value in row.items()}
        for row in frame.head(PREVIEW_ROWS).to_dict("records")
    ]
    return DatasetInput(
        name=name,
        digest=digest(frame),
        context=context,
        source=source,
        source_type="pandas" if isinstance(data, pd.DataFrame) else type(data).__name__,
        schema={
            "columns": [{"name": str(column), "type": str(dtype)} for column, dtype in frame.dtypes.items()]
        },
        profile=profile(frame),
        preview=preview,
        num_rows=len(frame),
        tags=dict(tags or {}),
    )
