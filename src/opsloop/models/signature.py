"""Signatures: a model's input and output columns (name, dtype, nullable), as plain data.

Inference reads a sample; validation turns a DataFrame, a numpy array, a list of records or a
dict of columns into a DataFrame with exactly the signature's columns, in its order and dtypes.
Only lossless coercions happen (see `coerce_column`); anything else is a `SignatureError` that
names every missing, extra and mistyped column at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import InvalidInputError
from opsloop.models.errors import SignatureError


class DType(StrEnum):
    BOOL = "bool"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    STRING = "string"
    DATETIME = "datetime"


class InputKind(StrEnum):
    """How the model wants its input: a DataFrame (`table`) or a 2-D numpy array (`array`)."""

    TABLE = "table"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    dtype: DType
    nullable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.dtype.value, "nullable": self.nullable}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        try:
            return cls(str(data["name"]), DType(data["type"]), bool(data.get("nullable", False)))
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInputError(
                f"bad column spec {dict(data)!r}: {exc}", details={"field": "signature"}
            ) from exc


@dataclass(frozen=True, slots=True)
class Signature:
    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[ColumnSpec, ...] | None = None
    input_kind: InputKind = InputKind.TABLE

    @property
    def input_names(self) -> list[str]:
        return [column.name for column in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [column.to_dict() for column in self.inputs],
            "outputs": None if self.outputs is None else [column.to_dict() for column in self.outputs],
            "input_kind": self.input_kind.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        if not isinstance(data, Mapping) or not isinstance(data.get("inputs"), list):
            raise InvalidInputError("a signature needs a list of inputs", details={"field": "signature"})
        outputs = data.get("outputs")
        try:
            kind = InputKind(data.get("input_kind", "table"))
        except ValueError as exc:
            raise InvalidInputError(str(exc), details={"field": "signature.input_kind"}) from exc
        return cls(
            tuple(ColumnSpec.from_dict(column) for column in data["inputs"]),
            None if outputs is None else tuple(ColumnSpec.from_dict(column) for column in outputs),
            kind,
        )


# --- inference ------------------------------------------------------------------------------------
def infer_signature(X: Any, y: Any = None) -> Signature:
    """The signature of a sample input `X` (and, optionally, of the model's output `y`).

    A column is nullable when the sample holds a null in it: pass an explicit signature when
    a column may be null later but is not in the sample."""
    kind = InputKind.ARRAY if isinstance(X, np.ndarray) else InputKind.TABLE
    inputs = _specs(to_frame(X, prefix="x"))
    outputs = None if y is None else _specs(to_frame(y, prefix="prediction"))
    return Signature(inputs, outputs, kind)


def _specs(frame: pd.DataFrame) -> tuple[ColumnSpec, ...]:
    return tuple(
        ColumnSpec(str(name), infer_dtype(frame[name], str(name)), bool(frame[name].isna().any()))
        for name in frame.columns
    )


def infer_dtype(column: pd.Series[Any], name: str = "") -> DType:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return DType.BOOL
    if pd.api.types.is_integer_dtype(dtype):
        small = _itemsize(dtype) <= 4 and str(dtype) not in ("uint32", "UInt32")
        return DType.INT32 if small else DType.INT64
    if pd.api.types.is_float_dtype(dtype):
        return DType.FLOAT32 if _itemsize(dtype) <= 4 else DType.FLOAT64
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DType.DATETIME
    values = column.dropna()
    if isinstance(dtype, pd.CategoricalDtype) or all(isinstance(v, str) for v in values):
        return DType.STRING
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    by_name = {"boolean": DType.BOOL, "integer": DType.INT64, "floating": DType.FLOAT64}
    by_name |= {"mixed-integer-float": DType.FLOAT64, "datetime": DType.DATETIME}
    if inferred in by_name:
        return by_name[inferred]
    raise InvalidInputError(
        f"column {name!r}: cannot infer a signature type from {inferred} values", details={"field": name}
    )


def _itemsize(dtype: Any) -> int:
    return int(getattr(dtype, "itemsize", 8))


def to_frame(data: Any, *, prefix: str = "x", names: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame from a DataFrame, Series, numpy array, list of records/rows or dict of columns.
    Array columns take `names` when given, else `<prefix>0`, `<prefix>1`, …"""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else prefix)
    if isinstance(data, Mapping):
        if all(np.ndim(value) == 0 for value in data.values()):
            return pd.DataFrame([dict(data)])  # one record
        return pd.DataFrame(dict(data))
    if isinstance(data, list) and data and all(isinstance(row, Mapping) for row in data):
        return pd.DataFrame.from_records(data)
    array = np.asarray(data)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise InvalidInputError(f"expected 2-D input, got {array.ndim} dimensions", details={"field": "data"})
    if names is None or len(names) != array.shape[1]:
        names = [prefix] if array.shape[1] == 1 and prefix == "prediction" else None
        names = names or [f"{prefix}{i}" for i in range(array.shape[1])]
    return pd.DataFrame({name: array[:, i] for i, name in enumerate(names)})


# --- validation -----------------------------------------------------------------------------------
def validate_and_coerce(signature: Signature, data: Any) -> pd.DataFrame:
    """`data` as a DataFrame with exactly the signature's columns, order and dtypes."""
    expected = signature.input_names
    if not isinstance(data, pd.DataFrame | Mapping | pd.Series) and not _is_records(data):
        width = _width(data)
        if width is not None and width != len(expected):
            raise SignatureError(
                missing=expected[width:] if width < len(expected) else [],
                message=f"expected {len(expected)} columns ({', '.join(expected)}), got {width}",
            )
    try:
        frame = to_frame(data, names=expected)
    except ValueError as exc:  # ragged dict of columns, etc.
        reason = f"cannot read the input as a table: {exc}"
        raise InvalidInputError(reason, details={"field": "data"}) from exc
    present = [str(name) for name in frame.columns]
    missing = [name for name in expected if name not in present]
    extra = [name for name in present if name not in expected]
    problems: dict[str, str] = {}
    columns: dict[str, pd.Series[Any]] = {}
    for spec in signature.inputs:
        if spec.name in missing:
            continue
        try:
            columns[spec.name] = coerce_column(frame[spec.name], spec)
        except _Mistyped as exc:
            problems[spec.name] = str(exc)
    if missing or extra or problems:
        raise SignatureError(missing=missing, extra=extra, problems=problems)
    return pd.DataFrame(columns, index=frame.index)


def _is_records(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(row, Mapping) for row in data)


def _width(data: Any) -> int | None:
    shape = np.shape(data) if isinstance(data, np.ndarray | list | tuple) else ()
    if len(shape) == 1:
        return 1
    return shape[1] if len(shape) == 2 else None


class _Mistyped(Exception):
    """A column whose values do not fit its declared dtype."""


def coerce_column(column: pd.Series[Any], spec: ColumnSpec) -> pd.Series[Any]:
    """Lossless coercions only: int → float; integral floats → int; int32 ↔ int64 in range;
    ISO-8601 strings → datetime. Never numbers ↔ strings or numbers ↔ bools."""
    nulls = column.isna()
    if nulls.any() and not spec.nullable:
        raise _Mistyped(f"{int(nulls.sum())} null value(s) in a non-nullable column")
    got = _kind(column)
    values = column[~nulls]
    target = spec.dtype
    if target in (DType.FLOAT32, DType.FLOAT64):
        if got not in ("int", "float", "empty"):
            raise _Mistyped(f"expected {target.value}, got {got}")
        return column.astype(np.dtype(target.value))
    if target in (DType.INT32, DType.INT64):
        if got not in ("int", "float", "empty"):
            raise _Mistyped(f"expected {target.value}, got {got}")
        if got == "float" and not bool((values == values.round()).all()):
            raise _Mistyped(f"expected {target.value}, got non-integral floats")
        if nulls.any():
            return column.astype("float64")  # what pandas and scikit-learn expect for a nullable int
        info = np.iinfo(target.value)
        if len(values) and (values.min() < info.min or values.max() > info.max):
            raise _Mistyped(f"values out of {target.value} range")
        return column.astype(np.dtype(target.value))
    if target is DType.BOOL:
        if got not in ("bool", "empty"):
            raise _Mistyped(f"expected bool, got {got}")
        return column.astype("boolean" if nulls.any() else bool)
    if target is DType.STRING:
        if got not in ("string", "empty"):
            raise _Mistyped(f"expected string, got {got}")
        return column.astype(object).where(~nulls, None)
    if got == "string":
        try:
            return pd.Series(pd.to_datetime(column, format="ISO8601"), index=column.index)
        except (ValueError, TypeError) as exc:
            raise _Mistyped(f"expected datetime, got strings that are not ISO-8601 ({exc})") from exc
    if got not in ("datetime", "empty"):
        raise _Mistyped(f"expected datetime, got {got}")
    return column


def _kind(column: pd.Series[Any]) -> str:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float" if column.notna().any() else "empty"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    kinds = {"boolean": "bool", "integer": "int", "floating": "float", "mixed-integer-float": "float"}
    kinds |= {"string": "string", "datetime": "datetime", "datetime64": "datetime", "empty": "empty"}
    return kinds.get(inferred, inferred)
