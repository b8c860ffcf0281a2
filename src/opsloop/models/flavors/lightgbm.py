"""LightGBM models in LightGBM's own text format (no pickle).

A scikit-learn wrapper is stored as its booster plus, for classifiers, the class labels, and
predicts exactly as the wrapper does (labels from probabilities)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from opsloop.errors import InvalidInputError
from opsloop.models.flavors.base import Flavor, Predictor, Trust, module_of
from opsloop.models.manifest import Manifest

FILE = "model.txt"


class LightGBMFlavor(Flavor):
    name = "lightgbm"
    libraries = (("lightgbm", "lightgbm"),)
    extra = "lightgbm"

    def handles(self, model: Any) -> bool:
        return module_of(model).startswith("lightgbm.")

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        lightgbm = self.require("lightgbm")
        booster = model if isinstance(model, lightgbm.Booster) else getattr(model, "booster_", None)
        if booster is None:
            raise InvalidInputError(
                f"cannot save a {type(model).__name__}: not a fitted LightGBM model",
                details={"field": "model"},
            )
        booster.save_model(str(folder / FILE))
        classes = getattr(model, "classes_", None) if isinstance(model, lightgbm.LGBMClassifier) else None
        return {
            "file": FILE,
            "model_class": type(model).__name__,
            "classes": None if classes is None else np.asarray(classes).tolist(),
            "lightgbm_version": lightgbm.__version__,
        }

    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor:
        lightgbm = self.require("lightgbm")
        booster = lightgbm.Booster(model_file=str(folder / str(manifest.flavor_config.get("file", FILE))))
        classes = manifest.flavor_config.get("classes")
        return _BoosterPredictor(booster, None if classes is None else np.asarray(classes))


class _BoosterPredictor:
    def __init__(self, booster: Any, classes: np.ndarray[Any, Any] | None) -> None:
        self.booster, self.classes = booster, classes

    def predict(self, data: Any) -> Any:
        raw = np.asarray(self.booster.predict(data))
        if self.classes is None:
            return raw
        if raw.ndim == 1:  # binary: probability of the positive class
            return self.classes[(raw > 0.5).astype(int)]
        return self.classes[np.argmax(raw, axis=1)]
