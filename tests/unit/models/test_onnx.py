"""ONNX: conversion from scikit-learn with matching predictions, import of an external file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from opsloop.errors import InvalidInputError
from opsloop.models import SignatureError, infer_signature, load_model, save_model
from opsloop.models.onnx_tools import convert_sklearn, import_onnx

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

Data = tuple[pd.DataFrame, np.ndarray]


def test_converted_classifier_matches_sklearn(table: Data, tmp_path: Path) -> None:
    X, y = table
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    signature = infer_signature(X, model.predict(X))
    manifest = save_model(convert_sklearn(model, signature), tmp_path / "m", signature=signature)
    assert manifest.flavor == "onnx" and manifest.flavor_config["file"] == "model.onnx"
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict(X.to_dict("records")), model.predict(X))
    with pytest.raises(SignatureError) as caught:
        loaded.predict(X.drop(columns=["age"]))
    assert caught.value.details["missing"] == ["age"]


def test_converted_regressor_matches_within_float_tolerance(table: Data, tmp_path: Path) -> None:
    X, _ = table
    model = LinearRegression().fit(X[["age", "score"]], X["income"])
    signature = infer_signature(X[["age", "score"]])
    save_model(convert_sklearn(model, signature), tmp_path / "m", signature=signature)
    predicted = load_model(tmp_path / "m").predict(X[["age", "score"]])
    np.testing.assert_allclose(predicted, model.predict(X[["age", "score"]]), rtol=1e-4)


def test_mixed_columns_become_one_input_per_column(table: Data, tmp_path: Path) -> None:
    X, y = table
    X = X.assign(city=np.where(X["age"] > 40, "Oslo", "Lima"))
    encode = ColumnTransformer(
        [("num", StandardScaler(), ["income", "score"]), ("cat", OneHotEncoder(), ["city"])]
    )
    model = make_pipeline(encode, LogisticRegression()).fit(X[["income", "score", "city"]], y)
    signature = infer_signature(X[["income", "score", "city"]])
    save_model(convert_sklearn(model, signature), tmp_path / "m", signature=signature)
    predicted = load_model(tmp_path / "m").predict(X[["income", "score", "city"]])
    np.testing.assert_array_equal(predicted, model.predict(X[["income", "score", "city"]]))


def test_import_external_onnx_file(table: Data, tmp_path: Path) -> None:
    from skl2onnx import to_onnx

    X, y = table
    array = X.to_numpy().astype(np.float32)
    model = LogisticRegression().fit(array, y)
    external = tmp_path / "external.onnx"
    external.write_bytes(to_onnx(model, array[:1], options={"zipmap": False}).SerializeToString())
    manifest = import_onnx(external, tmp_path / "m", metrics={"auc": 0.9})
    assert manifest.signature is not None
    assert manifest.signature.input_names == ["x0", "x1", "x2"]
    assert [c.name for c in manifest.signature.outputs or ()] == ["label", "probabilities"]
    assert manifest.metrics == {"auc": 0.9}
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(array), model.predict(array))
    with pytest.raises(InvalidInputError, match="not a valid ONNX model"):
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"not onnx")
        import_onnx(bad, tmp_path / "bad")
