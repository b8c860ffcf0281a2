"""The flavors, by name, and auto-detection from a model object (first match wins)."""

from __future__ import annotations

from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.models.flavors.base import Flavor, Predictor, Trust
from opsloop.models.flavors.lightgbm import LightGBMFlavor
from opsloop.models.flavors.onnx import OnnxFlavor
from opsloop.models.flavors.python import PythonFlavor
from opsloop.models.flavors.sklearn import SklearnFlavor
from opsloop.models.flavors.xgboost import XGBoostFlavor

# Order matters: XGBoost and LightGBM wrappers are scikit-learn estimators too, and anything
# with `predict` is a Python model.
FLAVORS: dict[str, Flavor] = {
    flavor.name: flavor
    for flavor in (OnnxFlavor(), XGBoostFlavor(), LightGBMFlavor(), SklearnFlavor(), PythonFlavor())
}


def get_flavor(name: str) -> Flavor:
    try:
        return FLAVORS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown model flavor {name!r} (known: {', '.join(FLAVORS)})", details={"field": "flavor"}
        ) from None


def detect_flavor(model: Any) -> Flavor:
    for flavor in FLAVORS.values():
        if flavor.handles(model):
            return flavor
    raise InvalidInputError(
        f"cannot tell the flavor of a {type(model).__name__}: it has no predict method and is not callable",
        details={"field": "model"},
    )


__all__ = ["FLAVORS", "Flavor", "Predictor", "Trust", "detect_flavor", "get_flavor"]
