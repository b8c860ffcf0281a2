"""Save a model as a package folder, and load one back as a `LoadedModel` that validates input."""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opsloop.errors import InvalidInputError
from opsloop.models.flavors import Flavor, Predictor, Trust, detect_flavor, get_flavor
from opsloop.models.manifest import Manifest, file_digests, read_manifest, verify_files, write_manifest
from opsloop.models.signature import InputKind, Signature, infer_signature, to_frame, validate_and_coerce

EXAMPLE_ROWS = 5


def save_model(
    model: Any,
    folder: str | Path,
    *,
    flavor: str | None = None,
    input_example: Any = None,
    signature: Signature | None = None,
    metrics: Mapping[str, float] | None = None,
    source_run_id: str | None = None,
) -> Manifest:
    """Write `model` and its manifest into `folder` (created; it must be empty if it exists).

    The flavor is detected from the model unless named. Without a `signature`, it is the one the
    model declares (ONNX), else inferred from `input_example` and the model's output on it."""
    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInputError(f"{target} exists and is not an empty folder", details={"field": "folder"})
    chosen = get_flavor(flavor) if flavor else detect_flavor(model)
    target.mkdir(parents=True, exist_ok=True)
    try:
        return _save(model, target, chosen, input_example, signature, metrics, source_run_id)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _save(
    model: Any,
    folder: Path,
    flavor: Flavor,
    input_example: Any,
    signature: Signature | None,
    metrics: Mapping[str, float] | None,
    source_run_id: str | None,
) -> Manifest:
    flavor_config = flavor.save(model, folder)
    if signature is None:
        signature = flavor.signature_of(model)
    if signature is None and input_example is not None:
        signature = infer_signature(input_example, _try_predict(model, input_example))
    manifest = Manifest(
        flavor=flavor.name,
        flavor_config=flavor_config,
        python_version=platform.python_version(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=file_digests(folder),
        signature=signature,
        input_example=None if input_example is None else example_records(input_example, signature),
        requirements=flavor.requirements(),
        source_run_id=source_run_id,
        metrics={key: float(value) for key, value in (metrics or {}).items()},
    )
    write_manifest(folder, manifest)
    return manifest


def _try_predict(model: Any, example: Any) -> Any:
    """The model's output on the example, for the output signature; None if it cannot tell."""
    with contextlib.suppress(Exception):
        return model.predict(example) if hasattr(model, "predict") else model(example)
    return None


def example_records(example: Any, signature: Signature | None) -> list[dict[str, Any]]:
    """The first rows of an input example as JSON-safe records (NaN → null, datetimes → ISO)."""
    names = None if signature is None else signature.input_names
    frame = to_frame(example, names=names).head(EXAMPLE_ROWS)
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return records


class LoadedModel:
    """A loaded package: `predict` takes a DataFrame, a numpy array, a list of records or a dict
    of columns, checks it against the signature and returns the flavor's predictions."""

    def __init__(self, manifest: Manifest, predictor: Predictor, folder: Path) -> None:
        self.manifest = manifest
        self.predictor = predictor
        self.folder = folder

    @property
    def signature(self) -> Signature | None:
        return self.manifest.signature

    @property
    def flavor(self) -> str:
        return self.manifest.flavor

    def prepare(self, data: Any) -> Any:
        """The input as the model wants it: validated and coerced, as a DataFrame or an array."""
        signature = self.manifest.signature
        if signature is None:
            return data if isinstance(data, pd.DataFrame | np.ndarray) else to_frame(data)
        frame = validate_and_coerce(signature, data)
        return frame.to_numpy() if signature.input_kind is InputKind.ARRAY else frame

    def predict(self, data: Any) -> Any:
        return self.predictor.predict(self.prepare(data))

    def __repr__(self) -> str:
        return f"<LoadedModel flavor={self.flavor} folder={self.folder}>"


def load_model(folder: str | Path, *, trust: Trust = False) -> LoadedModel:
    """Load a package after checking every file against the manifest's sha256 sums.

    `trust`: False (the default) loads only what cannot run code; a list of type names trusts
    those (scikit-learn/skops); True trusts everything, pickles included."""
    root = Path(folder)
    manifest = read_manifest(root)
    verify_files(root, manifest)
    predictor = get_flavor(manifest.flavor).load(root, manifest, trust)
    return LoadedModel(manifest, predictor, root)
