"""ONNX graphs run by onnxruntime: models converted from scikit-learn or built anywhere else.

ONNX is data, not code, so there is nothing to trust. The graph declares its inputs: one 2-D
tensor `[N, k]` is fed the input columns stacked in signature order; several inputs are fed one
column each, by name. The first output is the prediction (`[N, 1]` flattened to `[N]`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import InvalidInputError
from opsloop.models.flavors.base import Flavor, Predictor, Trust, module_of
from opsloop.models.manifest import Manifest
from opsloop.models.signature import ColumnSpec, DType, InputKind, Signature

FILE = "model.onnx"
# onnx.TensorProto element types → signature dtypes
_ELEM_TYPES = {1: DType.FLOAT32, 2: DType.INT32, 3: DType.INT32, 4: DType.INT32, 5: DType.INT32}
_ELEM_TYPES |= {6: DType.INT32, 7: DType.INT64, 8: DType.STRING, 9: DType.BOOL, 11: DType.FLOAT64}
# onnxruntime type strings → numpy dtypes
_RUNTIME_TYPES: dict[str, Any] = {"tensor(float)": np.float32, "tensor(double)": np.float64}
_RUNTIME_TYPES |= {"tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_}
_RUNTIME_TYPES |= {"tensor(string)": object}


class OnnxFlavor(Flavor):
    name = "onnx"
    libraries = (("onnx", "onnx"), ("onnxruntime", "onnxruntime"))
    extra = "onnx"

    def handles(self, model: Any) -> bool:
        return module_of(model).startswith("onnx") and type(model).__name__ == "ModelProto"

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        onnx = self.require("onnx")
        onnx.save_model(model, str(folder / FILE))
        opsets = {entry.domain or "ai.onnx": entry.version for entry in model.opset_import}
        return {"file": FILE, "onnx_version": onnx.__version__, "ir_version": model.ir_version} | {
            "opsets": opsets
        }

    def signature_of(self, model: Any) -> Signature:
        return graph_signature(model)

    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor:
        onnxruntime = self.require("onnxruntime")
        path = folder / str(manifest.flavor_config.get("file", FILE))
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return OnnxPredictor(session)


class OnnxPredictor:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = session.get_inputs()

    def predict(self, data: Any) -> Any:
        outputs = self.session.run(None, self._feed(data))
        first = outputs[0]
        if isinstance(first, list):  # a ZipMap output: one {class: probability} per row
            return pd.DataFrame(first)
        result = np.asarray(first)
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result

    def _feed(self, data: Any) -> dict[str, Any]:
        if len(self.inputs) == 1 and (isinstance(data, np.ndarray) or _stacks(self.inputs[0], data)):
            only = self.inputs[0]
            array = np.asarray(data.to_numpy() if isinstance(data, pd.DataFrame) else data)
            return {only.name: array.astype(_RUNTIME_TYPES.get(only.type, np.float32))}
        feed = {}
        for node in self.inputs:
            if node.name not in data.columns:
                reason = f"the ONNX graph needs input column {node.name!r}"
                raise InvalidInputError(reason, details={"field": node.name})
            column = data[node.name].to_numpy().astype(_RUNTIME_TYPES.get(node.type, np.float32))
            feed[node.name] = column.reshape(-1, 1) if len(node.shape) == 2 else column
        return feed


def _stacks(node: Any, frame: pd.DataFrame) -> bool:
    width = node.shape[-1] if len(node.shape) == 2 else None
    return width == frame.shape[1] and (frame.shape[1] > 1 or node.name not in frame.columns)


def graph_signature(model: Any) -> Signature:
    """Inputs and outputs an ONNX graph declares (initializers are not inputs)."""
    initializers = {item.name for item in model.graph.initializer}
    inputs = [node for node in model.graph.input if node.name not in initializers]
    if len(inputs) == 1 and len(_dims(inputs[0])) == 2 and isinstance(_dims(inputs[0])[1], int):
        node = inputs[0]
        width = int(_dims(node)[1])
        dtype = _dtype(node)
        columns = tuple(ColumnSpec(f"x{i}", dtype) for i in range(width))
        return Signature(columns, _outputs(model), InputKind.ARRAY)
    specs = []
    for node in inputs:
        dims = _dims(node)
        if len(dims) > 2 or (len(dims) == 2 and dims[1] != 1):
            raise InvalidInputError(
                f"cannot infer columns from ONNX input {node.name!r} of shape {dims}: pass a signature",
                details={"field": "signature"},
            )
        specs.append(ColumnSpec(node.name, _dtype(node)))
    return Signature(tuple(specs), _outputs(model), InputKind.TABLE)


def _outputs(model: Any) -> tuple[ColumnSpec, ...]:
    return tuple(
        ColumnSpec(node.name, _dtype(node))
        for node in model.graph.output
        if node.type.HasField("tensor_type")
    )


def _dims(node: Any) -> list[int | str]:
    shape = node.type.tensor_type.shape.dim
    return [dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or "?") for dim in shape]


def _dtype(node: Any) -> DType:
    elem_type = node.type.tensor_type.elem_type
    if elem_type not in _ELEM_TYPES:
        raise InvalidInputError(
            f"ONNX input/output {node.name!r} has an unsupported element type {elem_type}",
            details={"field": node.name},
        )
    return _ELEM_TYPES[elem_type]
