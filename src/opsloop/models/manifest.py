"""The manifest `opsloop-model.yaml`: what a model package holds and how to load it.

format_version: 1
flavor: sklearn
flavor_config: {file: model.skops, sklearn_version: 1.9.1}
signature: {inputs: [{name: age, type: int64, nullable: false}], outputs: ..., input_kind: table}
input_example: [{age: 42}]
python_version: 3.11.9
requirements: [scikit-learn==1.9.1, skops==0.16.0]
created_at: '2025-01-01T12:00:00+00:00'
source_run_id: null
metrics: {auc: 0.91}
files: {model.skops: <sha256>}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsloop.errors import InvalidInputError
from opsloop.models.errors import ModelIntegrityError
from opsloop.models.signature import Signature

MANIFEST_FILE = "opsloop-model.yaml"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Manifest:
    flavor: str
    flavor_config: dict[str, Any]
    python_version: str
    created_at: str
    files: dict[str, str]
    signature: Signature | None = None
    input_example: list[dict[str, Any]] | None = None
    requirements: list[str] = field(default_factory=list)
    source_run_id: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "flavor": self.flavor,
            "flavor_config": self.flavor_config,
            "signature": None if self.signature is None else self.signature.to_dict(),
            "input_example": self.input_example,
            "python_version": self.python_version,
            "requirements": self.requirements,
            "created_at": self.created_at,
            "source_run_id": self.source_run_id,
            "metrics": self.metrics,
            "files": self.files,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise _invalid(f"unsupported format_version {version!r} (this opsloop reads {FORMAT_VERSION})")
        for key in ("flavor", "python_version", "created_at"):
            if not isinstance(data.get(key), str):
                raise _invalid(f"field {key!r} is missing or not a string")
        files = data.get("files")
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise _invalid("field 'files' must map file names to sha256 sums")
        signature = data.get("signature")
        return cls(
            flavor=data["flavor"],
            flavor_config=dict(data.get("flavor_config") or {}),
            python_version=data["python_version"],
            created_at=data["created_at"],
            files={str(name): digest for name, digest in files.items()},
            signature=None if signature is None else Signature.from_dict(signature),
            input_example=data.get("input_example"),
            requirements=[str(item) for item in data.get("requirements") or []],
            source_run_id=data.get("source_run_id"),
            metrics={str(k): float(v) for k, v in (data.get("metrics") or {}).items()},
        )


def _invalid(reason: str) -> InvalidInputError:
    return InvalidInputError(f"invalid {MANIFEST_FILE}: {reason}", details={"field": MANIFEST_FILE})


def write_manifest(folder: str | Path, manifest: Manifest) -> Path:
    path = Path(folder) / MANIFEST_FILE
    path.write_text(yaml.safe_dump(manifest.to_dict(), sort_keys=False, allow_unicode=True))
    return path


def read_manifest(folder: str | Path) -> Manifest:
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        raise InvalidInputError(
            f"{folder} is not a model package: no {MANIFEST_FILE} in it", details={"field": "path"}
        )
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise _invalid(f"not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise _invalid("expected a mapping at the top level")
    return Manifest.from_dict(data)


def file_digests(folder: str | Path) -> dict[str, str]:
    """sha256 of every file under `folder` (by POSIX relative path), the manifest excluded."""
    root = Path(folder)
    return {
        path.relative_to(root).as_posix(): sha256_of(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
    }


def verify_files(folder: str | Path, manifest: Manifest) -> None:
    """Refuse a package whose files differ from what its manifest lists (changed, missing, added)."""
    actual = file_digests(folder)
    listed = manifest.files.items()
    changed = sorted(name for name, digest in listed if actual.get(name) not in (digest, None))
    missing = sorted(set(manifest.files) - set(actual))
    added = sorted(set(actual) - set(manifest.files))
    if changed or missing or added:
        raise ModelIntegrityError(
            f"model package {folder} does not match its manifest: "
            f"changed {changed or '-'}, missing {missing or '-'}, unexpected {added or '-'}",
            details={"changed": changed, "missing": missing, "unexpected": added},
        )


def sha256_of(path: Path, chunk_size: int = 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
