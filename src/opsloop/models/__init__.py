"""Model packages: a folder with the model file(s) and a manifest `opsloop-model.yaml`.

    from opsloop.models import save_model, load_model
    save_model(estimator, "out/model", input_example=X[:5])
    load_model("out/model").predict(records)

Pure domain code: it knows nothing of runs, the registry or the server.
"""

from __future__ import annotations

from opsloop.models.errors import (
    MissingDependencyError,
    ModelIntegrityError,
    SignatureError,
    UntrustedModelError,
)
from opsloop.models.manifest import MANIFEST_FILE, Manifest, read_manifest, write_manifest
from opsloop.models.package import LoadedModel, load_model, save_model
from opsloop.models.signature import ColumnSpec, Signature, infer_signature, validate_and_coerce

__all__ = [
    "MANIFEST_FILE",
    "ColumnSpec",
    "LoadedModel",
    "Manifest",
    "MissingDependencyError",
    "ModelIntegrityError",
    "Signature",
    "SignatureError",
    "UntrustedModelError",
    "infer_signature",
    "load_model",
    "read_manifest",
    "save_model",
    "validate_and_coerce",
    "write_manifest",
]
