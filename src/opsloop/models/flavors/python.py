"""Any Python object with `predict`, or any callable, saved with cloudpickle.

Unpickling runs code, so a package of this flavor is never loaded without `trust=True`
(a list of type names is not enough: pickle cannot be checked type by type).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.models.errors import UntrustedModelError
from opsloop.models.flavors.base import Flavor, Predictor, Trust, module_of, trusts_everything
from opsloop.models.manifest import Manifest

FILE = "model.pkl"


class PythonFlavor(Flavor):
    name = "python"
    libraries = (("cloudpickle", "cloudpickle"),)

    def handles(self, model: Any) -> bool:
        return callable(getattr(model, "predict", None)) or callable(model)

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        if not self.handles(model):
            raise InvalidInputError(
                f"a {type(model).__name__} has no predict method and is not callable",
                details={"field": "model"},
            )
        cloudpickle = self.require("cloudpickle")
        (folder / FILE).write_bytes(cloudpickle.dumps(model))
        return {"file": FILE, "object_class": f"{module_of(model)}.{type(model).__name__}"}

    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor:
        object_class = str(manifest.flavor_config.get("object_class", "?"))
        if not trusts_everything(trust):
            raise UntrustedModelError(
                f"this model ({object_class}) is a pickle, and unpickling runs arbitrary code: "
                "load it only if you trust its source, with trust=True",
                untrusted_types=[object_class],
            )
        cloudpickle = self.require("cloudpickle")
        model = cloudpickle.loads((folder / str(manifest.flavor_config.get("file", FILE))).read_bytes())
        return model if callable(getattr(model, "predict", None)) else _CallablePredictor(model)


class _CallablePredictor:
    def __init__(self, function: Any) -> None:
        self.function = function

    def predict(self, data: Any) -> Any:
        return self.function(data)
