"""XGBoost models in XGBoost's own JSON format (no pickle): a `Booster` or a scikit-learn
wrapper (`XGBClassifier`, `XGBRegressor` …), rebuilt from a fixed list of classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.models.flavors.base import Flavor, Predictor, Trust, module_of
from opsloop.models.manifest import Manifest

FILE = "model.json"
CLASSES = ("Booster", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


class XGBoostFlavor(Flavor):
    name = "xgboost"
    libraries = (("xgboost", "xgboost"),)
    extra = "xgboost"

    def handles(self, model: Any) -> bool:
        return module_of(model).startswith("xgboost.")

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        xgboost = self.require("xgboost")
        model_class = type(model).__name__
        if model_class not in CLASSES:
            raise _unsupported(model_class)
        model.save_model(str(folder / FILE))
        return {"file": FILE, "model_class": model_class, "xgboost_version": xgboost.__version__}

    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor:
        xgboost = self.require("xgboost")
        model_class = str(manifest.flavor_config.get("model_class"))
        if model_class not in CLASSES:
            raise _unsupported(model_class)
        model = getattr(xgboost, model_class)()
        model.load_model(str(folder / str(manifest.flavor_config.get("file", FILE))))
        return _BoosterPredictor(model, xgboost) if model_class == "Booster" else model


class _BoosterPredictor:
    def __init__(self, booster: Any, xgboost: Any) -> None:
        self.booster, self.xgboost = booster, xgboost

    def predict(self, data: Any) -> Any:
        return self.booster.predict(self.xgboost.DMatrix(data))


def _unsupported(model_class: str) -> InvalidInputError:
    return InvalidInputError(
        f"unsupported XGBoost model class {model_class} (supported: {', '.join(CLASSES)})",
        details={"field": "model"},
    )
