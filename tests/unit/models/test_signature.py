from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from opsloop.errors import InvalidInputError
from opsloop.models import ColumnSpec, Signature, SignatureError, infer_signature, validate_and_coerce
from opsloop.models.signature import DType, InputKind

SIGNATURE = Signature(
    (
        ColumnSpec("age", DType.INT64),
        ColumnSpec("income", DType.FLOAT64, nullable=True),
        ColumnSpec("city", DType.STRING),
    )
)


def _error(data: Any, signature: Signature = SIGNATURE) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        validate_and_coerce(signature, data)
    assert caught.value.code == "signature_mismatch"
    assert isinstance(caught.value, InvalidInputError)
    return caught.value


def test_infer_from_dataframe_with_all_types() -> None:
    frame = pd.DataFrame(
        {
            "flag": [True, False],
            "small": np.array([1, 2], dtype=np.int32),
            "big": [1, 2],
            "ratio": np.array([0.5, 1.5], dtype=np.float32),
            "amount": [1.0, None],
            "name": ["a", None],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    signature = infer_signature(frame, np.array([0, 1]))
    got = {c.name: (c.dtype.value, c.nullable) for c in signature.inputs}
    assert got == {
        "flag": ("bool", False),
        "small": ("int32", False),
        "big": ("int64", False),
        "ratio": ("float32", False),
        "amount": ("float64", True),
        "name": ("string", True),
        "when": ("datetime", False),
    }
    assert signature.outputs == (ColumnSpec("prediction", DType.INT64),)
    assert signature.input_kind is InputKind.TABLE
    assert Signature.from_dict(signature.to_dict()) == signature


def test_infer_from_ndarray_and_records() -> None:
    array_signature = infer_signature(np.zeros((3, 2)))
    assert array_signature.input_names == ["x0", "x1"]
    assert array_signature.input_kind is InputKind.ARRAY
    records = infer_signature([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert [(c.name, c.dtype) for c in records.inputs] == [("a", DType.INT64), ("b", DType.STRING)]


def test_validation_names_missing_extra_and_mistyped_columns_at_once() -> None:
    error = _error([{"age": "old", "city": "Oslo", "zip": 123}])
    assert error.details["missing"] == ["income"]
    assert error.details["extra"] == ["zip"]
    assert error.details["mistyped"] == ["age"]
    assert "income" in error.message and "zip" in error.message and "age" in error.message


def test_records_dict_of_columns_and_dataframe_are_coerced_to_the_signature() -> None:
    expected_columns = ["age", "income", "city"]
    for data in (
        [{"city": "Oslo", "income": 10, "age": 3}],
        {"city": ["Oslo"], "income": [10], "age": [3.0]},
        {"city": "Oslo", "income": 10, "age": 3},
        pd.DataFrame({"age": [3], "income": [10], "city": ["Oslo"]}),
    ):
        frame = validate_and_coerce(SIGNATURE, data)
        assert list(frame.columns) == expected_columns
        assert frame["age"].dtype == np.int64 and frame["income"].dtype == np.float64
        assert frame.iloc[0].tolist() == [3, 10.0, "Oslo"]


def test_ndarray_is_read_by_position() -> None:
    signature = Signature(
        (ColumnSpec("a", DType.FLOAT32), ColumnSpec("b", DType.FLOAT32)), None, InputKind.ARRAY
    )
    frame = validate_and_coerce(signature, np.array([[1, 2], [3, 4]]))
    assert list(frame.columns) == ["a", "b"] and frame["a"].dtype == np.float32
    error = _error(np.zeros((2, 3)), signature)
    assert "expected 2 columns" in error.message


def test_unsafe_coercions_are_refused() -> None:
    error = _error([{"age": 3.5, "income": "10", "city": 7}])
    assert set(error.details["mistyped"]) == {"age", "income", "city"}
    assert "non-integral" in error.details["problems"]["age"]


def test_nullable_columns_accept_nulls_and_others_refuse_them() -> None:
    frame = validate_and_coerce(SIGNATURE, [{"age": 1, "income": None, "city": "a"}])
    assert np.isnan(frame["income"].iloc[0])
    error = _error([{"age": None, "income": 1.0, "city": "a"}])
    assert error.details["mistyped"] == ["age"]
    assert "null" in error.details["problems"]["age"]


def test_datetime_and_bool_columns() -> None:
    signature = Signature((ColumnSpec("when", DType.DATETIME), ColumnSpec("flag", DType.BOOL)))
    frame = validate_and_coerce(signature, [{"when": "2024-05-01T10:00:00", "flag": True}])
    assert frame["when"].iloc[0] == pd.Timestamp("2024-05-01T10:00:00")
    error = _error([{"when": "yesterday", "flag": 1}], signature)
    assert error.details["mistyped"] == ["when", "flag"]
