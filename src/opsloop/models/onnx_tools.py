"""ONNX helpers above the flavor: convert a scikit-learn model, package an external .onnx file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.models.flavors.onnx import OnnxFlavor, graph_signature
from opsloop.models.manifest import Manifest
from opsloop.models.package import save_model
from opsloop.models.signature import DType, Signature

_NUMERIC = {DType.BOOL, DType.INT32, DType.INT64, DType.FLOAT32, DType.FLOAT64}


def convert_sklearn(model: Any, signature: Signature) -> Any:
    """An ONNX `ModelProto` computing what `model.predict` does, through skl2onnx.

    All-numeric inputs become one float tensor `[N, k]` (columns in signature order); otherwise
    one `[N, 1]` tensor per column, named after it (for a ColumnTransformer by column name)."""
    flavor = OnnxFlavor()
    types = flavor.require("skl2onnx.common.data_types")
    skl2onnx = flavor.require("skl2onnx")
    is_classifier = flavor.require("sklearn.base").is_classifier
    if all(column.dtype in _NUMERIC for column in signature.inputs):
        initial = [("X", types.FloatTensorType([None, len(signature.inputs)]))]
    else:
        by_dtype = {DType.STRING: types.StringTensorType, DType.FLOAT32: types.FloatTensorType}
        by_dtype |= {DType.FLOAT64: types.DoubleTensorType, DType.INT32: types.Int64TensorType}
        by_dtype |= {DType.INT64: types.Int64TensorType, DType.BOOL: types.BooleanTensorType}
        unsupported = [column.name for column in signature.inputs if column.dtype not in by_dtype]
        if unsupported:
            raise InvalidInputError(
                f"ONNX conversion does not support the type of: {', '.join(unsupported)}",
                details={"field": "signature", "columns": unsupported},
            )
        initial = [(column.name, by_dtype[column.dtype]([None, 1])) for column in signature.inputs]
    options = {"zipmap": False} if is_classifier(model) else None
    try:
        return skl2onnx.convert_sklearn(model, initial_types=initial, options=options)
    except (RuntimeError, NotImplementedError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"skl2onnx cannot convert a {type(model).__name__}: {exc}", details={"field": "model"}
        ) from exc


def import_onnx(
    path: str | Path,
    folder: str | Path,
    *,
    signature: Signature | None = None,
    input_example: Any = None,
    metrics: Mapping[str, float] | None = None,
) -> Manifest:
    """Package an .onnx file built anywhere; its signature is read from the graph unless given."""
    onnx = OnnxFlavor().require("onnx")
    source = Path(path)
    if not source.is_file():
        raise InvalidInputError(f"no such ONNX file: {source}", details={"field": "path"})
    try:
        model = onnx.load_model(str(source))
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx raises several foreign types for a bad file
        reason = f"{source} is not a valid ONNX model: {exc}"
        raise InvalidInputError(reason, details={"field": "path"}) from exc
    return save_model(
        model,
        folder,
        flavor="onnx",
        signature=signature or graph_signature(model),
        input_example=input_example,
        metrics=metrics,
    )
