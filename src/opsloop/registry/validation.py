"""Input rules shared by every registry store, so SQL, in-memory and HTTP behave the same.

Every error is an InvalidInputError whose `details["field"]` names the offending field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.registry.entities import VersionStatus

MAX_NAME_LENGTH = 256
MAX_TEXT_LENGTH = 5000
MAX_URI_LENGTH = 2000
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000
MAX_FILES = 100_000
# A model name goes into `models:/<name>@<alias>` and `models:/<name>/<version>`: no '/' or '@'.
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_ALIAS_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_WORKSPACE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
RESERVED_ALIASES = frozenset({"latest"})


def _fail(field: str, message: str, **extra: Any) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details={"field": field, **extra})


def validate_workspace(workspace: object) -> str:
    if not isinstance(workspace, str) or not _WORKSPACE_PATTERN.match(workspace):
        raise _fail("workspace", f"{workspace!r} must be 1-64 lowercase letters, digits, '_' or '-'")
    return workspace


def validate_model_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name:
        raise _fail(field, "a model name must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise _fail(field, f"a model name is at most {MAX_NAME_LENGTH} characters")
    if not _NAME_PATTERN.match(name):
        raise _fail(
            field,
            f"model name {name!r} must start with a letter or digit and hold only letters, digits, "
            "'_', '-' and '.'",
        )
    return name


def validate_alias(alias: object, field: str = "alias") -> str:
    if not isinstance(alias, str) or not _ALIAS_PATTERN.match(alias):
        raise _fail(
            field,
            f"alias {alias!r} must be 1-64 lowercase letters, digits, '_' or '-', starting with a "
            "letter or digit",
        )
    if alias.isdigit():
        raise _fail(field, f"alias {alias!r} is purely numeric and would read as a version number")
    if alias in RESERVED_ALIASES:
        raise _fail(field, f"alias {alias!r} is reserved (models:/<name>/latest)")
    return alias


def validate_version(version: object, field: str = "version") -> int:
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(field, f"a version is a positive integer, got {version!r}")
    return version


def validate_text(
    value: object, field: str, *, required: bool = False, limit: int = MAX_TEXT_LENGTH
) -> str | None:
    if value is None or value == "":
        if required:
            raise _fail(field, "must be a non-empty string")
        return None
    if not isinstance(value, str):
        raise _fail(field, "must be a string")
    if len(value) > limit:
        raise _fail(field, f"is longer than {limit} characters")
    return value


def validate_tags(tags: Mapping[str, str] | None, field: str = "tags") -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise _fail(field, "must be a mapping of strings to strings")
    clean: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_TAG_KEY_LENGTH:
            raise _fail(field, f"tag key {key!r} must be a non-empty string of at most {MAX_TAG_KEY_LENGTH}")
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE_LENGTH:
            raise _fail(f"{field}.{key}", f"must be a string of at most {MAX_TAG_VALUE_LENGTH} characters")
        clean[key] = value
    return clean


def validate_files(files: Mapping[str, str] | None) -> dict[str, str]:
    if files is None:
        return {}
    if not isinstance(files, Mapping):
        raise _fail("files", "must be a mapping of relative path -> sha256")
    if len(files) > MAX_FILES:
        raise _fail("files", f"at most {MAX_FILES} files")
    clean: dict[str, str] = {}
    for path, digest in files.items():
        if (
            not isinstance(path, str)
            or not path
            or path.startswith("/")
            or "\\" in path
            or any(part in ("", ".", "..") for part in path.split("/"))
        ):
            raise _fail("files", f"{path!r} is not a relative path inside the model folder", path=path)
        if not isinstance(digest, str) or not _SHA256_PATTERN.match(digest):
            raise _fail(f"files.{path}", "must be a sha256 digest (64 lowercase hex digits)")
        clean[path] = digest
    return dict(sorted(clean.items()))


def validate_metrics(metrics: Mapping[str, float] | None) -> dict[str, float]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise _fail("metrics", "must be a mapping of metric name -> number")
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        if not isinstance(key, str) or not key or len(key) > MAX_TAG_KEY_LENGTH:
            raise _fail("metrics", f"metric name {key!r} must be a non-empty string")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(f"metrics.{key}", f"must be a number, got {value!r}")
        clean[key] = float(value)
    return clean


def validate_json_object(value: Mapping[str, Any] | None, field: str) -> dict[str, Any] | None:
    """An opaque JSON object (lineage, signature): stored as given, so it must be plain JSON."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(field, "must be a JSON object")
    try:
        return dict(json.loads(json.dumps(dict(value), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise _fail(field, f"must be plain JSON (no NaN or infinity): {exc}") from exc


def validate_new_version(
    *,
    source_uri: object,
    storage_uri: object,
    files: Mapping[str, str] | None,
    run_id: object,
    metrics: Mapping[str, float] | None,
    lineage: Mapping[str, Any] | None,
    flavor: object,
    signature: Mapping[str, Any] | None,
    created_by: object,
    status: object,
    description: object,
    tags: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The fields of a new `ModelVersion`, checked and normalized."""
    if not isinstance(status, VersionStatus) or status is VersionStatus.ARCHIVED:
        raise _fail("status", "a new version is PENDING_VALIDATION or READY")
    return {
        "source_uri": validate_text(source_uri, "source_uri", required=True, limit=MAX_URI_LENGTH),
        "storage_uri": validate_text(storage_uri, "storage_uri", required=True, limit=MAX_URI_LENGTH),
        "run_id": validate_text(run_id, "run_id", limit=64),
        "files": validate_files(files),
        "flavor": validate_text(flavor, "flavor", limit=64),
        "signature": validate_json_object(signature, "signature"),
        "metrics": validate_metrics(metrics),
        "lineage": validate_json_object(lineage, "lineage") or {},
        "status": status,
        "description": validate_text(description, "description"),
        "tags": validate_tags(tags),
        "created_by": validate_text(created_by, "created_by", limit=256),
    }
