"""Models in the SDK: log a model package as a run's artifact, and load one back by URI.

log_model(run, estimator, "model", input_example=X[:5])
load_model("runs:/<run_id>/model").predict(records)
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from opsloop.config import load_settings
from opsloop.core.ids import is_valid_id
from opsloop.errors import InvalidInputError
from opsloop.models.flavors import Trust
from opsloop.models.manifest import Manifest
from opsloop.models.package import LoadedModel, save_model
from opsloop.models.package import load_model as load_package
from opsloop.models.signature import Signature
from opsloop.sdk import session
from opsloop.sdk.run import ActiveRun
from opsloop.storage.artifacts import clean_relative_path


def log_model(
    run: ActiveRun,
    model: Any,
    artifact_path: str = "model",
    *,
    input_example: Any = None,
    signature: Signature | None = None,
    flavor: str | None = None,
) -> Manifest:
    """Save `model` as a package with the run's id and latest metrics, and upload it under
    `artifact_path` in the run's artifacts."""
    metrics = {key: summary.value for key, summary in run.get().metrics.items()}
    with tempfile.TemporaryDirectory(prefix="opsloop-model-") as scratch:
        folder = Path(scratch) / "model"
        manifest = save_model(
            model,
            folder,
            flavor=flavor,
            input_example=input_example,
            signature=signature,
            metrics=metrics,
            source_run_id=run.id,
        )
        run.log_artifact(folder, artifact_path)
    return manifest


def load_model(uri: str | Path, *, trust: Trust = False) -> LoadedModel:
    """Load a model package from a local folder or `runs:/<run_id>/<artifact_path>`.

    A run's package is downloaded to OPSLOOP_HOME/cache/models/<run_id>/<path> (fresh each time:
    the store is the source of truth) and checked against its manifest before it is loaded."""
    text = str(uri)
    if text.startswith("models:/"):
        raise InvalidInputError(
            f"models:/ URIs need the registry, which is not available yet: {text}", details={"field": "uri"}
        )
    if text.startswith("runs:/"):
        return load_package(download_run_model(text), trust=trust)
    if "://" in text or text.startswith(("runs:", "models:")):
        raise InvalidInputError(
            f"unsupported model URI {text!r}: use a folder or runs:/<run_id>/<path>", details={"field": "uri"}
        )
    return load_package(Path(text), trust=trust)


def download_run_model(uri: str) -> Path:
    run_id, _, path = uri.removeprefix("runs:/").strip("/").partition("/")
    if not is_valid_id(run_id):
        raise InvalidInputError(
            f"no valid run id in {uri!r}: use runs:/<run_id>/<path>", details={"field": "uri"}
        )
    relative = clean_relative_path(path or "model")
    cache = load_settings().home / "cache" / "models" / run_id / relative
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    session.current().download_artifacts(run_id, relative, cache)
    return cache
