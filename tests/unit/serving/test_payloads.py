"""Every request shape opsloop and MLflow's /invocations accept, and clear refusals of the rest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from opsloop.errors import InvalidInputError
from opsloop.serving.payloads import MAX_ROWS, PayloadError, parse_payload, predictions_json

EXPECTED = pd.DataFrame({"age": [25, 40], "plan": ["a", "b"]})


@pytest.mark.parametrize(
    "body",
    [
        [{"age": 25, "plan": "a"}, {"age": 40, "plan": "b"}],
        {"columns": ["age", "plan"], "data": [[25, "a"], [40, "b"]]},
        {"dataframe_split": {"columns": ["age", "plan"], "data": [[25, "a"], [40, "b"]], "index": [0, 1]}},
        {"dataframe_records": [{"age": 25, "plan": "a"}, {"age": 40, "plan": "b"}]},
        {"instances": [{"age": 25, "plan": "a"}, {"age": 40, "plan": "b"}]},
        {"inputs": {"age": [25, 40], "plan": ["a", "b"]}},
        {"inputs": [{"age": 25, "plan": "a"}, {"age": 40, "plan": "b"}]},
        {"dataframe_records": [{"age": 25, "plan": "a"}, {"age": 40, "plan": "b"}], "params": {"k": 1}},
    ],
    ids=[
        "records",
        "columnar",
        "split",
        "mlflow-records",
        "instances",
        "inputs-columns",
        "inputs-rows",
        "params",
    ],
)
def test_named_shapes_give_the_same_frame(body: Any) -> None:
    parsed = parse_payload(body)
    assert isinstance(parsed, pd.DataFrame)
    pd.testing.assert_frame_equal(parsed, EXPECTED)


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        ({"instances": [[1.0, 2.0], [3.0, 4.0]]}, (2, 2)),
        ({"inputs": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]}, (3, 2)),
        ({"instances": [1.0, 2.0, 3.0]}, (3,)),
        ([[1, 2], [3, 4]], (2, 2)),
    ],
)
def test_rows_without_names_are_a_tensor(body: Any, shape: tuple[int, ...]) -> None:
    parsed = parse_payload(body)
    assert isinstance(parsed, np.ndarray)
    assert parsed.shape == shape


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("text", "body", "JSON list of records"),
        (42, "body", "JSON list of records"),
        ({"whatever": 1}, "body", "unrecognised body"),
        ({"instances": [], "inputs": []}, "body", "exactly one of"),
        ({"instances": [[1]], "extra": 1}, "extra", "unknown field"),
        ({"dataframe_split": [1, 2]}, "dataframe_split", "'columns' and 'data'"),
        ({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}, "dataframe_split.data[0]", "1 values"),
        ({"dataframe_split": {"columns": ["a", "a"], "data": []}}, "dataframe_split.columns", "twice"),
        (
            {"dataframe_split": {"columns": "a", "data": []}},
            "dataframe_split.columns",
            "list of column names",
        ),
        (
            {"dataframe_split": {"columns": ["a"], "data": [[1]], "orient": 1}},
            "dataframe_split.orient",
            "unknown",
        ),
        ({"columns": ["a"], "data": "x"}, "body.data", "list of rows"),
        ({"dataframe_records": {"a": 1}}, "dataframe_records", "list of records"),
        ({"dataframe_records": [{"a": 1}, 2]}, "dataframe_records[1]", "column: value"),
        ({"instances": []}, "instances", "no rows"),
        ({"instances": [{"a": 1}, [1]]}, "instances", "mixes records and rows"),
        ({"instances": [[1, 2], [3]]}, "instances", "same length"),
        ({"inputs": {"a": [1, 2], "b": [1]}}, "inputs", "same number of values"),
        ({"inputs": {}}, "inputs", "no columns"),
        ({"inputs": 5}, "inputs", "must be a list"),
    ],
)
def test_bad_bodies_are_refused_by_name(body: Any, field: str, words: str) -> None:
    with pytest.raises(PayloadError) as refused:
        parse_payload(body)
    assert isinstance(refused.value, InvalidInputError)  # the server answers 4xx
    assert refused.value.details["field"] == field
    assert words in refused.value.message


def test_too_many_rows_are_refused() -> None:
    with pytest.raises(PayloadError, match=f"at most {MAX_ROWS} rows"):
        parse_payload({"dataframe_records": [{"a": 1}] * (MAX_ROWS + 1)})


def test_predictions_answer_like_mlflow() -> None:
    assert predictions_json(np.array([0, 1])) == {"predictions": [0, 1]}
    assert predictions_json(pd.Series([0.5, 0.25])) == {"predictions": [0.5, 0.25]}
    assert predictions_json(pd.DataFrame({"p": [0.9]})) == {"predictions": [{"p": 0.9}]}
