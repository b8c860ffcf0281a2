"""scikit-learn estimators and pipelines, saved with skops (no pickle).

Loading lists the types the file holds that skops does not trust by default and refuses them
unless the caller trusts them: `trust=True`, or `trust=[...]` naming every one of them.
On top of skops' own list, scikit-learn's internal types (`sklearn.tree._tree.Tree`, the
histogram-boosting `TreePredictor` ...) are trusted: they are data structures of the library
the flavor is for, which skops rebuilds without unpickling code, and without them no forest or
boosted model would load. Custom classes and functions from other modules still need trust.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from opsloop.models.errors import UntrustedModelError
from opsloop.models.flavors.base import Flavor, Predictor, Trust, module_of, trusted_names, trusts_everything
from opsloop.models.manifest import Manifest

FILE = "model.skops"
_LIBRARY_PREFIXES = ("sklearn.",)


class SklearnFlavor(Flavor):
    name = "sklearn"
    libraries = (("scikit-learn", "sklearn"), ("skops", "skops"))
    extra = "sklearn"

    def handles(self, model: Any) -> bool:
        if module_of(model).startswith("sklearn."):
            return True
        base = sys.modules.get("sklearn.base")  # a custom estimator: sklearn is imported already
        return base is not None and isinstance(model, base.BaseEstimator)

    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        sio = self.require("skops.io")
        sklearn = self.require("sklearn")
        sio.dump(model, folder / FILE)
        return {
            "file": FILE,
            "sklearn_version": sklearn.__version__,
            "estimator_class": f"{module_of(model)}.{type(model).__name__}",
        }

    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor:
        sio = self.require("skops.io")
        path = folder / str(manifest.flavor_config.get("file", FILE))
        untrusted = sorted(sio.get_untrusted_types(file=path))
        library_types = {name for name in untrusted if name.startswith(_LIBRARY_PREFIXES)}
        allowed = library_types | trusted_names(trust)
        refused = [] if trusts_everything(trust) else sorted(set(untrusted) - allowed)
        if refused:
            raise UntrustedModelError(
                f"{path.name} holds types that are not trusted by default: {', '.join(refused)}. "
                "Load it only if you trust its source, with trust=True or trust=[<these type names>]",
                untrusted_types=refused,
            )
        model: Predictor = sio.load(path, trusted=untrusted)
        return model
